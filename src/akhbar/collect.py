"""Gather what the stages set aside into the published ``rejected`` config and write
``stats.json``, the dataset's own account of itself.

``stats.json`` is what the card quotes and what validation checks the Parquet files
against, so it holds counts only (no timings): two builds of the same input produce the
same bytes. Its ``formats`` section (rows, kept, duplicates and filled columns per
``raw_format``) is what the "no silent collapse" floors (:mod:`akhbar.floors`) read.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from akhbar.io import ParquetSink, read_batches
from akhbar.pipeline import STAGES, Layout, load_reports
from akhbar.schema import REJECTED_SCHEMA, SPLITS
from akhbar.shards import split_files

REJECTED_ROWS_PER_SHARD = 200_000
#: Columns whose coverage (non-null share) is counted per raw format in ``stats.json``.
COVERAGE_COLUMNS = ("url", "source", "title", "published", "author", "category")
#: ``raw_format`` label for rows whose format was never detected (e.g. random bytes).
UNKNOWN_FORMAT = "unknown"
#: What the per-format counts read of the published rows.
KEPT_COLUMNS = ["raw_format", "host_id", *COVERAGE_COLUMNS]


def write_rejected(layout: Layout, dataset_dir: Path,
                   by_format: Counter[tuple[str, str]] | None = None) -> Counter[str]:
    """Concatenate every stage's rejected rows (pipeline order) into
    ``dataset_dir/rejected/rejected-NNNNN-of-NNNNN.parquet``; returns reason counts
    (and adds (raw_format, reason) counts to ``by_format`` when given)."""
    reasons: Counter[str] = Counter()
    sink = ParquetSink(dataset_dir / "rejected", REJECTED_SCHEMA,
                       rows_per_file=REJECTED_ROWS_PER_SHARD, prefix="rejected", of_total=True)
    for path in layout.rejected_files():
        if not path.exists():
            continue
        for batch in read_batches(path):
            count_rejected(batch, reasons, by_format)
            sink.write(batch)
    sink.close()
    return reasons


def count_rejected(batch: pl.DataFrame, reasons: Counter[str],
                   by_format: Counter[tuple[str, str]] | None = None) -> None:
    """Add a batch of rejected rows to the reason counts (and (raw_format, reason))."""
    reasons.update(batch.get_column("reason").to_list())
    if by_format is not None:
        fmts = batch.get_column("raw_format").fill_null(UNKNOWN_FORMAT).to_list()
        by_format.update(zip(fmts, batch.get_column("reason").to_list(), strict=True))


def split_counts(dataset_dir: Path) -> dict[str, int]:
    """Rows per split, read from the Parquet footers."""
    counts = {}
    for split in SPLITS:
        files = split_files(dataset_dir, split)
        counts[split] = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    return counts


def kept_counts(batches: Iterable[pl.DataFrame]) -> dict[str, dict[str, Any]]:
    """Per ``raw_format`` of the kept rows in ``batches`` (columns :data:`KEPT_COLUMNS`):
    rows, kept, own (kept rows that are their record's own article, not a "read also"
    excerpt cut from a host page) and, of those, how many fill each of
    :data:`COVERAGE_COLUMNS`. Counts only, so parts of the data add up (:func:`add_kept`)."""
    formats: dict[str, dict[str, Any]] = {}
    for batch in batches:
        batch = batch.with_columns(pl.col("raw_format").fill_null(UNKNOWN_FORMAT))
        own = batch.filter(pl.col("host_id").is_null())
        for fmt, n in batch.group_by("raw_format").len().rows():
            _entry(formats, fmt)["kept"] += n
            _entry(formats, fmt)["rows"] += n
        filled = own.group_by("raw_format").agg(
            pl.len().alias("own"), *(pl.col(c).is_not_null().sum() for c in COVERAGE_COLUMNS))
        for row in filled.iter_rows(named=True):
            e = _entry(formats, row["raw_format"])
            e["own"] += row["own"]
            for c in COVERAGE_COLUMNS:
                e["filled"][c] += row[c]
    return formats


def _entry(formats: dict[str, dict[str, Any]], fmt: str) -> dict[str, Any]:
    return formats.setdefault(fmt, {"rows": 0, "kept": 0, "duplicates": 0, "own": 0,
                                    "filled": dict.fromkeys(COVERAGE_COLUMNS, 0),
                                    "top_rejected": None})


def add_kept(a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]]
             ) -> dict[str, dict[str, Any]]:
    """:func:`kept_counts` of two parts of the data, added up (into ``a``)."""
    for fmt, got in b.items():
        e = _entry(a, fmt)
        for k in ("rows", "kept", "duplicates", "own"):
            e[k] += got[k]
        for c in COVERAGE_COLUMNS:
            e["filled"][c] += got["filled"][c]
    return a


def with_rejected(formats: dict[str, dict[str, Any]], rejected: Counter[tuple[str, str]]
                  ) -> dict[str, dict[str, Any]]:
    """Add the rejected rows ((raw_format, reason) counts) to :func:`kept_counts`: rows,
    duplicates (rejected by dedup) and each format's most frequent other reason."""
    top: dict[str, tuple[int, str]] = {}
    for (fmt, reason), n in sorted(rejected.items()):
        e = _entry(formats, fmt)
        e["rows"] += n
        if reason.startswith("dedup:"):
            e["duplicates"] += n
        elif n > top.get(fmt, (0, ""))[0]:
            top[fmt] = (n, reason)
    for fmt, (_, reason) in top.items():
        formats[fmt]["top_rejected"] = reason
    return dict(sorted(formats.items()))


def format_counts(dataset_dir: Path, rejected: Counter[tuple[str, str]]
                  ) -> dict[str, dict[str, Any]]:
    """Per ``raw_format``: rows (kept + rejected), kept, duplicates (rejected by dedup),
    own and filled columns (:func:`kept_counts`), and the top rejection reason."""
    batches = read_batches(Path(dataset_dir) / "data", columns=KEPT_COLUMNS)
    return with_rejected(kept_counts(batches), rejected)


def write_stats(layout: Layout, dataset_dir: Path, reasons: Counter[str],
                by_format: Counter[tuple[str, str]] | None = None,
                formats: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Write ``dataset_dir/stats.json`` from the stage reports and the published files
    (``formats``: their :func:`format_counts`, when already counted elsewhere)."""
    reports = load_reports(layout)
    articles = split_counts(dataset_dir)
    stats: dict[str, Any] = {
        "records_in": reports.get(STAGES[0].name, {}).get("rows_in", 0),  # raw records
        "articles": articles,
        "articles_total": sum(articles.values()),
        "rejected": dict(sorted(reasons.items())),
        "rejected_total": sum(reasons.values()),
        "stages": reports,
        "formats": (format_counts(dataset_dir, by_format or Counter()) if formats is None
                    else formats),
    }
    path = dataset_dir / "stats.json"
    path.write_text(json.dumps(stats, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                    encoding="utf-8")
    return stats


def run(layout: Layout, dataset_dir: Path) -> dict[str, Any]:
    """Publish rejected rows and stats for a finished split."""
    by_format: Counter[tuple[str, str]] = Counter()
    reasons = write_rejected(layout, dataset_dir, by_format)
    return write_stats(layout, dataset_dir, reasons, by_format)
