"""Gather what the stages set aside into the published ``rejected`` config and write
``stats.json``, the dataset's own account of itself.

``stats.json`` is what the card quotes and what validation checks the Parquet files
against, so it holds counts only (no timings): two builds of the same input produce the
same bytes.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from akhbar.io import ParquetSink, read_batches
from akhbar.pipeline import Layout, load_reports
from akhbar.schema import REJECTED_SCHEMA, SPLITS

REJECTED_ROWS_PER_SHARD = 200_000


def write_rejected(layout: Layout, dataset_dir: Path) -> Counter[str]:
    """Concatenate every stage's rejected rows (pipeline order) into
    ``dataset_dir/rejected/rejected-NNNNN-of-NNNNN.parquet``; returns reason counts."""
    reasons: Counter[str] = Counter()
    sink = ParquetSink(dataset_dir / "rejected", REJECTED_SCHEMA,
                       rows_per_file=REJECTED_ROWS_PER_SHARD, prefix="rejected", of_total=True)
    for path in layout.rejected_files():
        if not path.exists():
            continue
        for batch in read_batches(path):
            reasons.update(batch.get_column("reason").to_list())
            sink.write(batch)
    sink.close()
    return reasons


def split_counts(dataset_dir: Path) -> dict[str, int]:
    """Rows per split, read from the Parquet footers."""
    counts = {}
    for split in SPLITS:
        files = sorted((dataset_dir / "data").glob(f"{split}-*.parquet"))
        counts[split] = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    return counts


def write_stats(layout: Layout, dataset_dir: Path, reasons: Counter[str]) -> dict[str, Any]:
    """Write ``dataset_dir/stats.json`` from the stage reports and the published files."""
    reports = load_reports(layout)
    articles = split_counts(dataset_dir)
    stats: dict[str, Any] = {
        "records_in": reports.get("ingest", {}).get("rows_in", 0),
        "articles": articles,
        "articles_total": sum(articles.values()),
        "rejected": dict(sorted(reasons.items())),
        "rejected_total": sum(reasons.values()),
        "stages": reports,
    }
    path = dataset_dir / "stats.json"
    path.write_text(json.dumps(stats, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                    encoding="utf-8")
    return stats


def run(layout: Layout, dataset_dir: Path) -> dict[str, Any]:
    """Publish rejected rows and stats for a finished split."""
    reasons = write_rejected(layout, dataset_dir)
    return write_stats(layout, dataset_dir, reasons)
