"""The ``collect`` stage on a Dask cluster: the published ``rejected`` files and
``stats.json`` of :func:`akhbar.collect.run`, byte for byte, without reading a row in the
driver.

Locally, collect streams every stage's rejected rows (pipeline order) through one
``ParquetSink`` of ``REJECTED_ROWS_PER_SHARD`` rows per file, counting reasons as it goes,
then streams the published articles' format columns for the per-format counts. Here:

1. the driver reads the rejected tables' row counts from their Parquet footers and cuts
   their concatenation into the published files (:func:`akhbar.distributed.split.file_pieces`);
2. ``collect_rejected``: one task per published file writes its slices through a sink of
   the file alone (same rows, same order, same row groups: same bytes) and returns its
   reason and (raw_format, reason) counts;
3. ``collect_kept``: one task per published data file returns its per-format counts
   (:func:`akhbar.collect.kept_counts`), which add up;
4. the driver sums the counts and writes ``stats.json`` with the local functions.

**Driver memory bound:** the footers' row counts (one per stage), one future per task and
the counts (reasons × formats, not rows).
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from akhbar import collect as local
from akhbar import io
from akhbar.distributed.shards import read_range
from akhbar.distributed.split import _atomic, file_pieces
from akhbar.pipeline import Layout
from akhbar.schema import REJECTED_SCHEMA
from akhbar.shards import DATA_DIR, REJECTED_DIR

_PREFIX = "rejected"  # the local sink's file prefix (akhbar.collect.write_rejected)


def collect_rejected(pieces: list[tuple[str, int, int]], target: str
                     ) -> tuple[Counter[str], Counter[tuple[str, str]]]:
    """Write one published rejected file from slices of the stages' rejected tables;
    returns its reason and (raw_format, reason) counts."""
    path = Path(target)
    tmp = _atomic(path)
    reasons: Counter[str] = Counter()
    by_format: Counter[tuple[str, str]] = Counter()
    with io.ParquetSink(tmp, REJECTED_SCHEMA) as sink:
        for file, offset, n in pieces:
            table = read_range(file, offset, n)
            local.count_rejected(pl.from_arrow(table), reasons, by_format)  # type: ignore[arg-type]
            sink.write(table)
    os.replace(tmp, path)
    return reasons, by_format


def collect_kept(file: str) -> dict[str, dict[str, Any]]:
    """The per-format counts of one published data file."""
    return local.kept_counts(io.read_batches(Path(file), columns=local.KEPT_COLUMNS))


def run(layout: Layout, dataset_dir: Path, client: Any) -> dict[str, Any]:
    """:func:`akhbar.collect.run` on the cluster: writes ``dataset_dir/rejected/`` and
    ``stats.json``; returns the stats."""
    sources = [p for p in layout.rejected_files() if p.exists()]
    counts = [pq.ParquetFile(p).metadata.num_rows for p in sources]
    files = file_pieces(counts, [str(p) for p in sources], local.REJECTED_ROWS_PER_SHARD)
    folder = Path(dataset_dir) / REJECTED_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"{_PREFIX}-*.parquet"):  # as the local sink does
        old.unlink()
    rejected = [client.submit(collect_rejected, pieces,
                              str(folder / f"{_PREFIX}-{k:05d}-of-{len(files):05d}.parquet"),
                              pure=False) for k, pieces in enumerate(files)]
    data = io.parquet_files(Path(dataset_dir) / DATA_DIR)  # what the local stage reads
    kept = [client.submit(collect_kept, str(f), pure=False) for f in data]
    reasons: Counter[str] = Counter()
    by_format: Counter[tuple[str, str]] = Counter()
    for r, f in client.gather(rejected):
        reasons.update(r)
        by_format.update(f)
    formats: dict[str, dict[str, Any]] = {}
    for part in client.gather(kept):
        local.add_kept(formats, part)
    return local.write_stats(layout, Path(dataset_dir), reasons, by_format,
                             local.with_rejected(formats, by_format))
