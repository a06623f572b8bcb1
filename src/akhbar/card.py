"""The ``card`` stage: a Hugging Face dataset card that is also a datasheet.

Why generated from facts: everything the card asserts is read from the build at card
time — the Parquet files, ``stats.json``, the parameters the build ran with, the raw paths
it was given and the validation report (:mod:`akhbar.card_facts`). What a build cannot
know (licence, curators, contact, funding, how the raw data was collected) comes from the
``card`` section of the parameters; when absent the card says "not stated" and the YAML
licence is ``unknown`` (with a warning naming the key to set). The library's defaults
state nothing, so a user's corpus never inherits the project's title, version or licence.

The version is the build's content version (:func:`akhbar.versions.content_version`):
the release number when the published bytes are the release's, else
``<last release>+<12 hex of the content fingerprint>``. The fingerprint (sha256 over the
published Parquet files) is written to ``version.json`` beside ``stats.json``.

The YAML metadata is built with ``huggingface_hub.DatasetCardData`` and declares two
configs (``default``: train/validation/test; ``rejected``: one split named ``rejected``)
with features derived from the files' Arrow schema by ``datasets.Features``.

Determinism: no build timestamp anywhere; identical inputs give byte-identical
``README.md``, ``version.json``, ``metrics.json``, plots and ``explorer/``.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from datasets import Features
from huggingface_hub import DatasetCard, DatasetCardData

from akhbar import citation, plots, versions
from akhbar.params import Params, RawParams, card_fields, typed
from akhbar.shards import rejected_files, splits_files

log = logging.getLogger(__name__)
NOT_STATED = citation.NOT_STATED
METRICS = "metrics.json"

README = "README.md"
PLOTS_DIR = "plots"
#: The offline explorer site (:mod:`akhbar.explore`), published next to the card.
EXPLORER_DIR = "explorer"

#: Size categories of the Hub (upper bounds, exclusive).
_SIZES = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
          (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"),
          (1_000_000_000, "100M<n<1B"), (10_000_000_000, "1B<n<10B"),
          (100_000_000_000, "10B<n<100B"), (1_000_000_000_000, "100B<n<1T")]

# --------------------------------------------------------------------------- files


def parquet_summary(files: list[Path]) -> dict[str, int]:
    """``num_examples``, ``num_bytes`` (uncompressed column data) and ``download_size``
    (bytes on disk) of some Parquet files, from their footers only."""
    rows = num_bytes = size = 0
    for f in files:
        meta = pq.read_metadata(f)
        rows += meta.num_rows
        num_bytes += sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        size += f.stat().st_size
    return {"num_examples": rows, "num_bytes": num_bytes, "download_size": size}


def files_schema(files: list[Path]) -> pa.Schema:
    """The one Arrow schema shared by ``files`` (an error if shards disagree)."""
    schemas = [pq.read_schema(f).remove_metadata() for f in files]
    for f, s in zip(files[1:], schemas[1:], strict=True):
        if not s.equals(schemas[0]):
            raise ValueError(f"{f}: schema differs from {files[0].name}")
    return schemas[0]


def features_yaml(files: list[Path]) -> list[dict[str, Any]]:
    """The ``features`` list of ``dataset_info``, in the ``datasets`` YAML form."""
    return Features.from_arrow_schema(files_schema(files))._to_yaml_list()


def size_category(n: int) -> str:
    """The Hub's ``size_categories`` value for ``n`` rows."""
    for bound, label in _SIZES:
        if n < bound:
            return label
    return "n>1T"


# --------------------------------------------------------------------------- metadata


def _config_info(name: str, files_by_split: Mapping[str, list[Path]]) -> dict[str, Any]:
    splits, download, dataset = [], 0, 0
    for split, files in files_by_split.items():
        s = parquet_summary(files)
        splits.append({"name": split, "num_bytes": s["num_bytes"],
                       "num_examples": s["num_examples"]})
        download += s["download_size"]
        dataset += s["num_bytes"]
    first = next(iter(files_by_split.values()))
    return {"config_name": name, "features": features_yaml(first), "splits": splits,
            "download_size": download, "dataset_size": dataset}


def card_data(dataset_dir: Path, params: Params | RawParams) -> DatasetCardData:
    """The card's YAML metadata (configs, features, split sizes, license, task tags)."""
    card = card_fields(typed(params))
    by_split = splits_files(dataset_dir)
    if not by_split:
        raise FileNotFoundError(f"no split shards under {Path(dataset_dir) / 'data'}")
    configs: list[dict[str, Any]] = [{
        "config_name": "default",
        "data_files": [{"split": s, "path": f"data/{s}-*"} for s in by_split],
        "default": True,
    }]
    infos = [_config_info("default", by_split)]
    rejected = rejected_files(dataset_dir)
    if rejected:
        configs.append({"config_name": "rejected",
                        "data_files": [{"split": "rejected", "path": "rejected/*.parquet"}]})
        infos.append(_config_info("rejected", {"rejected": rejected}))
    total = sum(s["num_examples"] for s in infos[0]["splits"])
    return DatasetCardData(
        pretty_name=card.get("pretty_name"),
        license=license_id(card),
        language=list(card.get("language") or ["ar"]),  # the filter keeps Arabic only
        multilinguality=card.get("multilinguality") or None,
        size_categories=[size_category(total)],
        source_datasets=list(card.get("source_datasets") or []) or None,
        task_categories=list(card.get("task_categories") or []) or None,
        task_ids=list(card.get("task_ids") or []) or None,
        annotations_creators=list(card.get("annotations_creators") or []) or None,
        language_creators=list(card.get("language_creators") or []) or None,
        tags=list(card.get("tags") or []) or None,
        configs=configs,
        dataset_info=infos,
    )


def license_id(card: Mapping[str, Any]) -> str:
    """The Hub licence id; ``unknown`` (with a warning naming the key) when not stated."""
    if card.get("license"):
        return str(card["license"])
    log.warning("card.license is not set: the card says `license: unknown`. Set it in the "
                "card section of your parameters (e.g. `card: {license: cc-by-4.0}`).")
    return "unknown"


# --------------------------------------------------------------------------- version


def build_version(dataset_dir: Path, params: Params | RawParams) -> dict[str, Any]:
    """The content fingerprint and version of the published files (``version.json``)."""
    card = card_fields(typed(params))
    hashes = versions.file_hashes(dataset_dir)
    fp = versions.fingerprint(hashes)
    return {"fingerprint": fp, "version": versions.content_version(card, fp),
            "release": card.get("version") if versions.is_release(card, fp) else None,
            "last_release": card.get("version"), "files": hashes}


def bibtex(params: Params | RawParams, version: Mapping[str, Any]) -> str:
    return citation.bibtex(card_fields(typed(params)), version["version"], version["fingerprint"],
                           released=version["release"] is not None)


def write_citation(path: Path, params: Params | RawParams, version: Mapping[str, Any]
                   ) -> Path:
    """Write ``CITATION.cff`` for this build (its content version)."""
    return citation.write_citation(path, card_fields(typed(params)), version["version"],
                                   released=version["release"] is not None)


# --------------------------------------------------------------------------- render


def _template(params: Params) -> str:
    custom = params.card.template
    if custom:
        return Path(custom).read_text(encoding="utf-8")
    return resources.files("akhbar").joinpath("templates/datasheet.md").read_text(
        encoding="utf-8")


def render(data: DatasetCardData, ctx: Mapping[str, Any], template: str) -> DatasetCard:
    """Fill the template. Rendered with our own Jinja environment rather than
    ``DatasetCard.from_template`` because that one cannot be made strict (a misspelt
    variable would silently print nothing) nor trim block lines."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True,
                             autoescape=False)
    text = env.from_string(template).render(card_data=data.to_yaml(), **ctx)
    return DatasetCard(text)


def run(dataset_dir: Path, params: Params | RawParams, validation: dict | None = None,
        citation_path: Path | None = None, raw_paths: Sequence[Path | str] | None = None
        ) -> Path:
    """Write ``dataset_dir/README.md``, ``plots/*``, ``version.json``, ``metrics.json``
    and the explorer site ``explorer/`` the card links to (and ``CITATION.cff`` at
    ``citation_path`` when given). ``raw_paths``: the raw inputs as the user gave them (the
    CLI's arguments); ``raw.paths`` of the parameters when None (the DVC pipeline).
    Returns the card's path."""
    from akhbar import card_body
    from akhbar.explore import site

    dataset_dir = Path(dataset_dir)
    params = typed(params)
    # the explorer's search index is GIL-free work: built on the second core meanwhile
    search_job = site.start_search(dataset_dir)
    data = card_data(dataset_dir, params)
    version = build_version(dataset_dir, params)
    (dataset_dir / versions.VERSION_FILE).write_text(
        json.dumps(version, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    articles = plots.article_frame(dataset_dir)
    plot_files = plots.write(dataset_dir, dataset_dir / PLOTS_DIR, params.card.plots,
                             articles)
    del articles  # a frame of every kept row: not to be held while the explorer is written
    given = [str(p) for p in raw_paths] if raw_paths is not None else list(
        params.raw.paths)
    ctx = card_body.context(dataset_dir, params, validation, plot_files, data, version, given)
    (dataset_dir / METRICS).write_text(
        json.dumps(card_body.headline(ctx), indent=2, sort_keys=True) + "\n",
        encoding="utf-8")
    out = dataset_dir / README
    render(data, ctx, _template(params)).save(out)
    from akhbar import explore  # after the card: the site reads its thresholds back

    explore.generate(dataset_dir, search_job=search_job)
    if citation_path is not None:
        write_citation(citation_path, params, version)
    return out


def front_matter(card_path: Path) -> dict[str, Any]:
    """The YAML metadata of a card, parsed (for checks and tests)."""
    text = Path(card_path).read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        raise ValueError(f"{card_path}: no YAML front matter")
    block = text[4:text.index("\n---\n", 4)]
    return yaml.safe_load(block)


def export(dataset_dir: Path, dest: Path) -> Path:
    """Copy a carded dataset into ``dest`` as a Hub-ready folder: ``README.md``, ``data/``,
    ``rejected/``, ``plots/``, ``explorer/`` and ``stats.json``. Publishing is then one call
    (needs a token and network, so it is never done here)::

        huggingface_hub.upload_folder(folder_path=dest, repo_id="org/akhbar",
                                      repo_type="dataset")

    Folders of ``dest`` that the export manages are replaced, so a shard removed from
    the dataset does not linger in the export.
    """
    dataset_dir, dest = Path(dataset_dir), Path(dest)
    if not (dataset_dir / README).exists():
        raise FileNotFoundError(f"{dataset_dir / README} missing: run akhbar.card.run first")
    dest.mkdir(parents=True, exist_ok=True)
    for folder in ("data", "rejected", PLOTS_DIR, EXPLORER_DIR):
        target = dest / folder
        if target.exists():
            shutil.rmtree(target)
        if (dataset_dir / folder).is_dir():
            shutil.copytree(dataset_dir / folder, target)
    for name in (README, "stats.json", versions.VERSION_FILE, METRICS):
        if (dataset_dir / name).exists():
            shutil.copyfile(dataset_dir / name, dest / name)
    return dest
