"""The ``card`` stage: a Hugging Face dataset card that is also a datasheet.

Why generated: every number a reader sees (split sizes, sources, years, what was removed
and why, the parameters of each stage) is read from the Parquet files, ``stats.json``,
``params.yaml`` and the validation report at build time, so the card cannot drift from the
data. Hand-written prose lives in ``akhbar/templates/datasheet.md``.

The YAML metadata is built with ``huggingface_hub.DatasetCardData`` and declares two
configs (``default``: train/validation/test; ``rejected``) with their features derived
from the files' Arrow schema by ``datasets.Features`` (timestamps stay timestamps, lists
stay lists), so ``datasets.load_dataset(DIR)`` works offline and the Hub viewer shows
the right types.

Determinism: no build timestamp anywhere; the date is ``params.card.date`` (set by
``akhbar.release``), so identical inputs give byte-identical ``README.md`` and plots.
The dataset version has ONE source, ``params.card.version``; ``CITATION.cff`` and the
card's BibTeX are generated from it (:func:`write_citation`, :func:`bibtex`).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from datasets import Features
from huggingface_hub import DatasetCard, DatasetCardData

from akhbar import plots
from akhbar.schema import SPLITS

README = "README.md"
PLOTS_DIR = "plots"

#: Pipeline order of the stages reported in stats.json (the card lists them so).
PIPELINE = ("ingest", "parse", "clean", "filter", "dedup", "split")

#: Stage name in stats.json → the params.yaml section it reads (when they differ).
STAGE_SECTIONS = {"ingest": ["raw", "ingest"], "filter": ["quality"]}

#: Size categories of the Hub (upper bounds, exclusive).
_SIZES = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
          (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"),
          (1_000_000_000, "100M<n<1B"), (10_000_000_000, "1B<n<10B"),
          (100_000_000_000, "10B<n<100B"), (1_000_000_000_000, "100B<n<1T")]

#: Hub license ids whose SPDX spelling is not simply the upper-cased id.
_SPDX = {"apache-2.0": "Apache-2.0", "mit": "MIT", "odc-by": "ODC-By-1.0",
         "cc0-1.0": "CC0-1.0", "odbl": "ODbL-1.0"}


# --------------------------------------------------------------------------- files


def split_files(dataset_dir: Path) -> dict[str, list[Path]]:
    """Split → its shards under ``data/``, for the splits that have any."""
    data = Path(dataset_dir) / "data"
    out = {s: sorted(data.glob(f"{s}-*.parquet")) for s in SPLITS}
    return {s: files for s, files in out.items() if files}


def rejected_files(dataset_dir: Path) -> list[Path]:
    """The shards of the ``rejected`` config."""
    return sorted((Path(dataset_dir) / "rejected").glob("*.parquet"))


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


def card_data(dataset_dir: Path, params: Mapping[str, Any]) -> DatasetCardData:
    """The card's YAML metadata (configs, features, split sizes, license, task tags)."""
    card = params.get("card", {})
    by_split = split_files(dataset_dir)
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
                        "data_files": [{"split": "train", "path": "rejected/*.parquet"}]})
        infos.append(_config_info("rejected", {"train": rejected}))
    total = sum(s["num_examples"] for s in infos[0]["splits"])
    return DatasetCardData(
        pretty_name=card.get("pretty_name"),
        license=card.get("license"),
        language=list(card.get("language", ["ar"])),
        multilinguality=card.get("multilinguality", "monolingual"),
        size_categories=[size_category(total)],
        source_datasets=list(card.get("source_datasets", ["original"])),
        task_categories=list(card.get("task_categories", [])),
        task_ids=list(card.get("task_ids", [])),
        annotations_creators=list(card.get("annotations_creators", ["no-annotation"])),
        language_creators=list(card.get("language_creators", ["found"])),
        tags=list(card.get("tags", [])),
        configs=configs,
        dataset_info=infos,
    )


# --------------------------------------------------------------------------- citation


def version(params: Mapping[str, Any]) -> str:
    """The dataset version (``params.card.version``, the one place it is written)."""
    return str(params.get("card", {}).get("version", "0.0.0"))


def spdx_license(hub_id: str | None) -> str | None:
    """SPDX spelling of a Hub license id (CITATION.cff wants SPDX)."""
    if not hub_id:
        return None
    return _SPDX.get(hub_id, hub_id.upper())


def citation(params: Mapping[str, Any]) -> dict[str, Any]:
    """The ``CITATION.cff`` content (Citation File Format 1.2.0) from ``params.card``."""
    card = params.get("card", {})
    authors = _authors(card)
    ref: dict[str, Any] = {"type": "dataset", "title": card.get("pretty_name"),
                           "authors": authors, "version": version(params)}
    if card.get("date"):
        ref["date-released"] = str(card["date"])
        ref["year"] = int(str(card["date"])[:4])
    for key, cff_key in (("homepage", "url"), ("repository", "repository-code")):
        if card.get(key):
            ref[cff_key] = card[key]
    if spdx_license(card.get("license")):
        ref["license"] = spdx_license(card.get("license"))
    top: dict[str, Any] = {
        "cff-version": "1.2.0",
        "message": "If you use this dataset, please cite it using these metadata.",
        "type": "dataset",
        "title": ref["title"],
        "version": ref["version"],
    }
    if "date-released" in ref:
        top["date-released"] = ref["date-released"]
    top["authors"] = [dict(a) for a in authors]  # a copy: no YAML anchor/alias in the file
    for key in ("license", "url", "repository-code"):
        if key in ref:
            top[key] = ref[key]
    if card.get("description"):
        top["abstract"] = " ".join(str(card["description"]).split())
    if card.get("keywords"):
        top["keywords"] = list(card["keywords"])
    top["preferred-citation"] = ref
    return top


def citation_text(params: Mapping[str, Any]) -> str:
    """``CITATION.cff`` as text (stable key order, UTF-8)."""
    header = ("# Generated by akhbar.card.write_citation from params.yaml (card section);\n"
              "# edit params.yaml, not this file.\n")
    return header + yaml.safe_dump(citation(params), sort_keys=False, allow_unicode=True,
                                   width=100)


def write_citation(path: Path, params: Mapping[str, Any]) -> Path:
    """Write ``CITATION.cff`` from ``params.card``."""
    path = Path(path)
    path.write_text(citation_text(params), encoding="utf-8")
    return path


def _authors(card: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [dict(a) for a in card.get("authors") or [{"name": "Akhbar contributors"}]]


def _bibtex_name(author: Mapping[str, Any]) -> str:
    """``{Entity Name}`` (braced: not split into first/last) or ``Family, Given``."""
    if author.get("name"):
        return f"{{{author['name']}}}"
    return ", ".join(x for x in (author.get("family-names"), author.get("given-names")) if x)


def bibtex(params: Mapping[str, Any]) -> str:
    """A BibTeX ``@misc`` entry for this version of the dataset."""
    card = params.get("card", {})
    authors = " and ".join(_bibtex_name(a) for a in _authors(card))
    fields = [("title", f"{{{card.get('pretty_name')}}}"), ("author", authors),
              ("version", version(params))]
    if card.get("date"):
        fields.append(("year", str(card["date"])[:4]))
    if card.get("homepage"):
        fields.append(("howpublished", f"\\url{{{card['homepage']}}}"))
    fields.append(("note", f"Version {version(params)}"))
    key = f"{card.get('citation_key', 'akhbar')}_{version(params).replace('.', '_')}"
    body = ",\n".join(f"  {k:<12} = {{{v}}}" for k, v in fields)
    return f"@misc{{{key},\n{body}\n}}"


# --------------------------------------------------------------------------- body


def _composition(articles: pl.DataFrame) -> dict[str, list[dict[str, Any]]]:
    n = max(articles.height, 1)
    by_split = articles.group_by("split").len(name="articles")
    splits = {r["split"]: r["articles"] for r in by_split.iter_rows(named=True)}
    sources = (articles.group_by("source").agg(
        [(pl.col("split") == s).sum().alias(s) for s in SPLITS])
        .with_columns(pl.sum_horizontal(*SPLITS).alias("total"))
        .sort(["total", "source"], descending=[True, False]))
    years = (articles.with_columns(
        pl.col("published").dt.year().cast(pl.String).fill_null("(undated)").alias("year"))
        .group_by("year").len(name="articles").sort("year"))
    return {
        "split_counts": [{"name": s, "articles": splits.get(s, 0),
                          "share": f"{100 * splits.get(s, 0) / n:.1f}%"} for s in SPLITS],
        "sources": sources.to_dicts(),
        "years": years.to_dicts(),
    }


def _stage_params(stage: str, params: Mapping[str, Any]) -> str:
    sections = STAGE_SECTIONS.get(stage, [stage])
    chosen = {s: params[s] for s in sections if s in params}
    if not chosen:
        return ""
    return yaml.safe_dump(chosen, sort_keys=False, allow_unicode=True, width=100).rstrip()


def _removed(stats: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = [{"reason": r, "stage": r.split(":", 1)[0], "records": int(n)}
            for r, n in (stats.get("rejected") or {}).items()]
    return sorted(rows, key=lambda r: (-r["records"], r["reason"]))


def _split_mode(params: Mapping[str, Any]) -> str:
    split = params.get("split", {})
    if split.get("mode") == "temporal":
        period = split.get("temporal", {}).get("period", "month")
        return f"temporal split on the publication {period}"
    return "salted hash of its id"


def context(dataset_dir: Path, params: Mapping[str, Any], validation: Mapping | None,
            plot_files: Mapping[str, Path], articles: pl.DataFrame,
            data: DatasetCardData) -> dict[str, Any]:
    """Everything the template shows, computed from the dataset folder."""
    dataset_dir = Path(dataset_dir)
    card = params.get("card", {})
    stats_path = dataset_dir / "stats.json"
    stats = json.loads(stats_path.read_text(encoding="utf-8")) if stats_path.exists() else {}
    comp = _composition(articles)
    sizes = {s["name"]: s for s in data.dataset_info[0]["splits"]}
    splits = []
    for row in comp["split_counts"]:
        if row["name"] in sizes:
            files = split_files(dataset_dir)[row["name"]]
            splits.append({**row, "download_size": parquet_summary(files)["download_size"]})
    ran = stats.get("stages") or {}
    order = sorted(ran, key=lambda n: (PIPELINE.index(n) if n in PIPELINE else len(PIPELINE),
                                       n))  # stats.json may be key-sorted
    stages = [{"name": name, "rows_in": int(ran[name].get("rows_in", 0)),
               "rows_out": int(ran[name].get("rows_out", 0)),
               "rejected": sum(int(v) for v in (ran[name].get("rejected") or {}).values()),
               "params": _stage_params(name, params)}
              for name in order]
    creators = ", ".join(a.get("name") or " ".join(
        x for x in (a.get("given-names"), a.get("family-names")) if x) for a in _authors(card))
    return {
        "pretty_name": card.get("pretty_name", "Akhbar"),
        "description": " ".join(str(card.get("description", "")).split()),
        "version": version(params),
        "date": str(card["date"]) if card.get("date") else "",
        "license": card.get("license", ""),
        "homepage": card.get("homepage", ""),
        "repository": card.get("repository", ""),
        "creators": creators,
        "load_path": card.get("hub_repo") or "path/to/akhbar",
        "total_articles": articles.height,
        "records_in": int(stats.get("records_in", 0)),
        "rejected_total": int(stats.get("rejected_total",
                                        sum(int(v) for v in
                                            (stats.get("rejected") or {}).values()))),
        "split_mode": _split_mode(params),
        "splits": splits,
        "sources": comp["sources"],
        "years": comp["years"],
        "stages": stages,
        "removed": _removed(stats),
        "validation": dict(validation) if validation else None,
        "plots": [{"title": plots.PLOTS[name], "file": p.relative_to(dataset_dir).as_posix()}
                  for name, p in plot_files.items()],
        "bibtex": bibtex(params),
    }


def _template(params: Mapping[str, Any]) -> str:
    custom = params.get("card", {}).get("template")
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


def run(dataset_dir: Path, params: dict, validation: dict | None = None,
        citation_path: Path | None = None) -> Path:
    """Write ``dataset_dir/README.md`` and ``dataset_dir/plots/*`` (and ``CITATION.cff`` at
    ``citation_path`` when given). Returns the card's path."""
    dataset_dir = Path(dataset_dir)
    data = card_data(dataset_dir, params)
    articles = plots.article_frame(dataset_dir)
    plot_files = plots.write(dataset_dir, dataset_dir / PLOTS_DIR, params.get("card", {}),
                             articles)
    ctx = context(dataset_dir, params, validation, plot_files, articles, data)
    out = dataset_dir / README
    render(data, ctx, _template(params)).save(out)
    if citation_path is not None:
        write_citation(citation_path, params)
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
    ``rejected/``, ``plots/`` and ``stats.json``. Publishing is then one call (needs a
    token and network, so it is never done here)::

        huggingface_hub.upload_folder(folder_path=dest, repo_id="org/akhbar",
                                      repo_type="dataset")

    Folders of ``dest`` that the export manages are replaced, so a shard removed from
    the dataset does not linger in the export.
    """
    dataset_dir, dest = Path(dataset_dir), Path(dest)
    if not (dataset_dir / README).exists():
        raise FileNotFoundError(f"{dataset_dir / README} missing: run akhbar.card.run first")
    dest.mkdir(parents=True, exist_ok=True)
    for folder in ("data", "rejected", PLOTS_DIR):
        target = dest / folder
        if target.exists():
            shutil.rmtree(target)
        if (dataset_dir / folder).is_dir():
            shutil.copytree(dataset_dir / folder, target)
    for name in (README, "stats.json"):
        if (dataset_dir / name).exists():
            shutil.copyfile(dataset_dir / name, dest / name)
    return dest
