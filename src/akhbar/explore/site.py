"""Write the explorer's data files from a built dataset folder.

Why JavaScript files and not JSON: the site must work opened straight from disk
(``file://``), where ``fetch()`` of a sibling file is blocked; a ``<script src>`` is not.
So every data file is a script that hands its payload to a global (``AKHBAR``).

Size: the text of every row is stored once, in shards of about :data:`SHARD_BYTES` loaded
only when needed (an article page loads one shard). The index every page needs (title,
split or reason, source, category, date, signals, provenance) is columnar: one array per
field, strings of small vocabularies as indexes. Search reads a prebuilt index of folded
words (:mod:`akhbar.explore.search`), never the text shards; the raw file's sha256 is
stored once per file, not per row.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq
import yaml

from akhbar import folding
from akhbar import params as params_mod
from akhbar.explore import rowindex, rowjson, search
from akhbar.explore.rowjson import EXTRA
from akhbar.schema import SPLITS
from akhbar.shards import rejected_files, split_files

SHARD_BYTES = 2_000_000
#: Quality signals shown, with the ``quality:`` params keys of their bounds (None: none).
SIGNALS: list[dict[str, Any]] = [
    {"name": "n_words", "min": "min_words", "max": "max_words", "log": True},
    {"name": "mean_word_length", "min": "min_mean_word_length", "max": "max_mean_word_length"},
    {"name": "arabic_ratio", "min": "min_arabic_ratio", "max": None},
    {"name": "lang_score", "min": "min_lang_score", "max": None},
    {"name": "dup_line_frac", "min": None, "max": "max_dup_line_frac"},
    {"name": "top_ngram_frac", "min": None, "max": "max_top_ngram_frac"},
    {"name": "punct_line_ratio", "min": "min_punct_line_ratio", "max": None},
    {"name": "non_arabic_script_ratio", "min": None, "max": None},
    {"name": "n_chars", "min": None, "max": None, "log": True},
]
#: Which signal a quality reason is about (akhbar.quality._rules).
REASON_SIGNAL = {
    "quality:too-short": "n_words", "quality:too-long": "n_words",
    "quality:lang-score": "lang_score", "quality:not-arabic": "lang",
    "quality:low-arabic-ratio": "arabic_ratio", "quality:word-length": "mean_word_length",
    "quality:repeated-lines": "dup_line_frac", "quality:repeated-ngrams": "top_ngram_frac",
    "quality:line-punctuation": "punct_line_ratio",
}


def _js(name: str, payload: Any) -> str:
    return f"{name}({json.dumps(payload, ensure_ascii=False, separators=(',', ':'))});\n"


def card_params(dataset_dir: Path) -> dict[str, Any] | None:
    """The parameters the build used, read back from the card's per-stage YAML blocks
    (the only place a build records them); None when there is no card."""
    card = dataset_dir / "README.md"
    if not card.exists():
        return None
    found: dict[str, Any] = {}
    for block in re.findall(r"```yaml\n(.*?)```", card.read_text(encoding="utf-8"), re.S):
        try:
            value = yaml.safe_load(block)
        except yaml.YAMLError:
            continue
        if isinstance(value, dict) and "quality" in value:
            found.update(value)
    return found or None


def thresholds(dataset_dir: Path, params_path: Path | None = None) -> dict[str, Any]:
    """``{"from": where, "quality": {...}}``: the build's own thresholds when its card
    records them, else those of ``params_path`` (or the defaults)."""
    if params_path is None:
        recorded = card_params(dataset_dir)
        if recorded:
            return {"from": "the dataset card (README.md)", "quality": recorded["quality"]}
    where = str(params_path) if params_path else "params.yaml defaults"
    return {"from": where, "quality": params_mod.load(params_path).quality.model_dump()}


def _name(dataset_dir: Path) -> str:
    """The card's ``pretty_name`` (empty when the card states none). Never the folder's
    name: a build writes into a staging folder before renaming it, and the site must not
    depend on where it was written (byte-identical builds)."""
    card = dataset_dir / "README.md"
    if card.exists():
        text = card.read_text(encoding="utf-8")
        if text.startswith("---\n") and "\n---\n" in text[4:]:
            meta = yaml.safe_load(text[4:text.index("\n---\n", 4)]) or {}
            if meta.get("pretty_name"):
                return str(meta["pretty_name"])
    return ""


def _files(dataset_dir: Path) -> list[tuple[Path, str]]:
    """Each Parquet file of the site's rows and its ``kind``: kept rows (split order)
    then removed rows."""
    files = [(f, split) for split in SPLITS for f in split_files(dataset_dir, split)]
    files += [(f, "removed") for f in rejected_files(dataset_dir)]
    if not files:
        raise FileNotFoundError(f"{dataset_dir}: no data/ or rejected/ Parquet files")
    return files


def start_search(dataset_dir: Path) -> Future[tuple[Path, int]]:
    """Build the search index (:func:`akhbar.explore.search.build`) in a background
    thread; :func:`generate` takes the future. Why a thread: the index is polars, numpy
    and zlib work that releases the GIL, so it runs on the second core while the main
    thread draws the card's plots and writes the text shards: the card stage's wall time
    drops by about the index's, for the cost of reading titles and texts twice. The
    index is streamed: its memory does not grow with the corpus."""
    files = [f for f, _ in _files(Path(dataset_dir))]
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="akhbar-search")
    try:
        return pool.submit(search.build_site, files)
    finally:
        pool.shutdown(wait=False)  # the thread ends when its one job does


#: Rows per Parquet batch read for the text shards: bounds the card's memory (a batch
#: of long articles is tens of MB) while keeping polars' per-batch overhead small.
BATCH_ROWS = 4096


def _batches(dataset_dir: Path) -> Iterator[pl.DataFrame]:
    """``text`` and the :data:`EXTRA` fields of every row, in :func:`_files` order, in
    batches of at most :data:`BATCH_ROWS` rows (pyarrow ``iter_batches``: only one
    batch's texts in memory)."""
    for f, _ in _files(dataset_dir):
        pf = pq.ParquetFile(f)
        have = set(pf.schema_arrow.names)
        cols = [c for c in ["text", *EXTRA] if c in have]
        if not cols:  # no text nor extras: empty rows, as many as the file has
            yield pl.DataFrame({"text": [None] * pf.metadata.num_rows}, schema={"text": pl.String})
            continue
        for batch in pf.iter_batches(batch_size=BATCH_ROWS, columns=cols):
            yield pl.from_arrow(batch)  # type: ignore[misc]


def _write_shards(batches: Iterable[pl.DataFrame], data_dir: Path) -> list[int]:
    """Text (and per-row extras) in shards of about SHARD_BYTES; returns each shard's
    first row number. A shard is ``AKHBAR.shard(n,[[text,extras],...]);``, byte for byte
    what ``json.dumps(shard, ensure_ascii=False, separators=(",", ":"))`` writes; a shard
    ends at the row where the running count of text bytes (+64 per row) reaches
    SHARD_BYTES, whatever the batches' boundaries. Streamed (``batches``: those of
    :func:`_batches`): memory holds one batch and one shard, whatever the corpus size."""
    starts: list[int] = []
    pending: list[pl.Series] = []
    size = row = start = 0

    def flush() -> None:
        n = len(starts)
        # UTF-8 bytes straight from polars: a Python str of the shard would be decoded
        # and encoded again (a third of the shards' cost)
        payload = pl.concat(pending).str.join(",").cast(pl.Binary).item()
        with open(data_dir / f"text-{n:04d}.js", "wb") as out:
            out.write(f"AKHBAR.shard({n},[".encode("ascii"))
            out.write(payload)
            out.write(b"]);\n")
        starts.append(start)
        pending.clear()

    for batch in batches:
        rows, sizes = rowjson.rows(batch)
        a = 0
        for i, n in enumerate(sizes):
            size += n + 64
            if size >= SHARD_BYTES:
                pending.append(rows.slice(a, i + 1 - a))
                flush()
                size, a, start = 0, i + 1, row + i + 1
        if a < len(sizes):
            pending.append(rows.slice(a))
        row += len(sizes)
    if start < row:
        flush()
    return starts


def _copy_assets(site: Path) -> None:
    assets = resources.files("akhbar.explore").joinpath("assets")
    (site / "assets").mkdir(parents=True, exist_ok=True)
    for name in ("store.js", "views.js", "style.css"):
        (site / "assets" / name).write_text(assets.joinpath(name).read_text(encoding="utf-8"),
                                            encoding="utf-8")
    (site / "index.html").write_text(assets.joinpath("index.html").read_text(encoding="utf-8"),
                                     encoding="utf-8")


def _plots(dataset_dir: Path) -> list[str]:
    """The card's plots, linked where they are (``../plots/``) rather than copied: the site
    always sits inside the dataset folder, next to them."""
    return [f"../plots/{p.name}" for p in sorted((dataset_dir / "plots").glob("*.png"))]


def generate(dataset_dir: Path, *, compare: dict[str, Any] | None = None,
             params_path: Path | None = None,
             search_job: Future[tuple[Path, int]] | None = None) -> Path:
    """Write ``dataset_dir/explorer/`` (index.html, assets, data) and return its path.

    ``compare`` is an :func:`akhbar.diff.compare` report shown on the "Changes" page;
    ``search_job``: the index from :func:`start_search` when the caller started it
    earlier (the card does, before its plots); else it is started here.
    """
    dataset_dir = Path(dataset_dir)
    if search_job is None:
        search_job = start_search(dataset_dir)
    site = dataset_dir / "explorer"
    if site.exists():
        shutil.rmtree(site)
    data_dir = site / "data"
    data_dir.mkdir(parents=True)
    _copy_assets(site)
    # the index is written column by column from the files: no frame of every row
    rows = rowindex.Rows(_files(dataset_dir))
    vocabs = rowindex.vocabs(rows)
    stats_path = dataset_dir / "stats.json"
    stats = json.loads(stats_path.read_text(encoding="utf-8")) if stats_path.exists() else {}
    for stage in stats.get("stages", {}).values():
        stage.pop("stats", None)  # per-stage details (boilerplate lines...) are the card's
    meta = {
        "name": _name(dataset_dir),
        "stats": stats, "splits": list(SPLITS), "vocabs": vocabs,
        "file_sha256": rows.file_sha256(vocabs["files"]),
        "signals": SIGNALS, "reason_signal": REASON_SIGNAL,
        "thresholds": thresholds(dataset_dir, params_path),
        "plots": _plots(dataset_dir),
        "fold": {"drop": folding.FOLD_DROP, "map": folding.FOLD_MAP},
        "shards": _write_shards(_batches(dataset_dir), data_dir), "rows": rows.height,
        "search": search.save(search_job.result(), data_dir),
        "compare": compare is not None,
    }
    rowindex.write(data_dir / "index.js", meta, rows, [s["name"] for s in SIGNALS])
    if compare is not None:
        (data_dir / "changes.js").write_text(_js("AKHBAR.changes", compare), encoding="utf-8")
    return site


def search_key(title: str | None, text: str | None) -> str:
    """What the explorer searches, folded like the JavaScript does (akhbar.folding.fold of
    the title and of the text, kept apart so no match straddles them)."""
    return folding.fold(title or "") + " | " + folding.fold(text or "")


def matches(query: str, title: str | None, text: str | None) -> bool:
    """True when every folded word of ``query`` occurs in the article (the site's rule)."""
    key = search_key(title, text)
    return all(w in key for w in folding.fold(query).split())
