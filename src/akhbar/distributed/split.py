"""The ``split`` stage on a Dask cluster: the local stage's files, byte for byte, without
any per-row structure in the driver.

The local stage (:func:`akhbar.split.run`) decides each row's split, orders every split by
:data:`akhbar.split.ORDER` (``id``, ``raw_file``, ``raw_record``, input position) and cuts
it into files of ``split.rows_per_file`` rows written by :class:`akhbar.io.ParquetSink`
(row groups of 10,000 from each file's start). Here, as waves of tasks over the input
ranges (``R``) with files between them (:mod:`akhbar.distributed.shuffle`'s shape):

1. ``split_periods`` (temporal mode only): each range's two latest periods, combined in a
   tree on the workers (:func:`akhbar.split.latest_periods` of the ranges' latest two is
   the corpus's latest two): the test and validation periods.
2. ``split_keys``: each range's split decision (:func:`akhbar.split.assign`, the local
   function) and, per split, its row count and a sample of its sorted ids (every
   ``sort_chunk_rows / SAMPLES_PER_BUCKET``-th). The driver cuts each split's merged sample
   into ``ceil(rows / sort_chunk_rows)`` id ranges (the bounds).
3. ``split_scatter``: each range's rows, with their split and global input position, to
   the file of their (split, id range): ``<work>/rows/<split>-<bucket>/<range>.arrow``
   (Arrow IPC, lz4: files between waves are read whole, once).
4. ``split_sort``: one task per (split, id range) sorts its rows by the local order (an id
   range holds every row of its ids, so bucket order then row order is the split's order)
   and returns its row count.
5. ``split_write``: the driver turns the bucket counts into each published file's slices
   of sorted buckets; one task per file writes them through a ``ParquetSink`` of the file
   alone. A file's bytes depend only on its rows and their order, so they equal the local
   stage's file of the same name.

**Driver memory bound:** per split, the count and the id sample (≈ ``SAMPLES_PER_BUCKET``
ids per bucket of ``sort_chunk_rows`` rows, plus one per range), the bounds (one id per
bucket) and the counts per bucket, and one future per task: O(buckets + ranges) small
objects, never a row. A worker holds one range, or one bucket (≈ ``sort_chunk_rows`` rows:
the sample makes the buckets even, not exact), or one row group while writing a file.
Files are written under a temporary name and renamed, so a task rerun after its worker
died rewrites the same bytes.
"""

from __future__ import annotations

import math
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from akhbar import io
from akhbar import split as local
from akhbar.distributed.aggregate import tree
from akhbar.distributed.shards import read_range
from akhbar.params import Params, typed
from akhbar.schema import ARTICLE_SCHEMA, SPLITS, conform
from akhbar.stage import StageReport

#: Sample ids per bucket of ``sort_chunk_rows`` rows: more evens the buckets out.
SAMPLES_PER_BUCKET = 8
_ROWS = pa.schema([*ARTICLE_SCHEMA, pa.field("row", pa.int64(), nullable=False)])
_IPC = pa.ipc.IpcWriteOptions(compression="lz4")


def _frame(table: pa.Table) -> pl.DataFrame:
    return pl.from_arrow(table)  # type: ignore[return-value]


def _atomic(path: Path) -> Path:
    """A temporary name next to ``path`` (renamed into place once written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")


def _write_rows(data: pl.DataFrame, path: Path) -> int:
    """Write rows between waves: an Arrow IPC file, lz4-compressed (read back whole by the
    next wave only, so Parquet's encoding and zstd would cost CPU for nothing; lz4 keeps
    the bytes on shared storage down). Through a temporary name; returns the bytes."""
    table = conform(data, _ROWS)
    tmp = _atomic(path)
    with pa.ipc.new_file(str(tmp), _ROWS, options=_IPC) as writer:
        writer.write_table(table)
    os.replace(tmp, path)
    return path.stat().st_size


def _read_rows(path: Path) -> pa.Table:
    with pa.OSFile(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


# ---------------------------------------------------------------- worker side

def split_periods(file: str, offset: int, length: int, period: str) -> pl.Series:
    """Map (temporal mode): the two latest periods of one range."""
    dated = _frame(read_range(file, offset, length, ["published", "crawled"]))
    return local.latest_periods(dated.select(local.period_expr(period)).to_series())


def combine_periods(a: pl.Series, b: pl.Series) -> pl.Series:
    """Combine: the two latest of both."""
    return local.latest_periods(pl.concat([a, b]))


def split_keys(file: str, offset: int, length: int, params: Params,
               held_out: pl.Series | None) -> dict[str, tuple[int, list[str]]]:
    """Per split: rows of this range and every ``stride``-th of their sorted ids."""
    rows = _frame(read_range(file, offset, length, local.PLAN_COLUMNS))
    rows = rows.with_columns(local.assign(rows, params, held_out))
    stride = max(1, typed(params).split.sort_chunk_rows // SAMPLES_PER_BUCKET)
    out = {}
    for name in SPLITS:
        ids = rows.filter(pl.col("split") == name).get_column("id")
        out[name] = (len(ids), ids.drop_nulls().sort().gather_every(stride).to_list())
    return out


def buckets_of(ids: pl.Series, bounds: list[str]) -> np.ndarray:
    """Id range of each id: how many bounds are ≤ it (so equal ids share a range, and
    ranges follow the ids' byte order); a null id, which sorts last, is in the last."""
    if not bounds:
        return np.zeros(len(ids), dtype=np.int64)
    at = pl.Series(bounds, dtype=pl.String).search_sorted(ids.fill_null(""), side="right")
    return np.where(ids.is_null().to_numpy(), len(bounds), at.to_numpy()).astype(np.int64)


def split_scatter(i: int, file: str, offset: int, length: int, first_row: int,
                  params: Params, held_out: pl.Series | None,
                  bounds: dict[str, list[str]], work: str) -> int:
    """Scatter one range's rows (with ``row``: their position in the whole input) to the
    files of their (split, id range); returns the bytes written."""
    rows = _frame(read_range(file, offset, length))
    rows = rows.with_columns(local.assign(rows.select(local.PLAN_COLUMNS), params, held_out),
                             pl.int_range(first_row, first_row + rows.height, dtype=pl.Int64)
                             .alias("row"))
    written = 0
    for (name,), part in rows.partition_by("split", as_dict=True).items():
        dest = buckets_of(part.get_column("id"), bounds[str(name)])
        part = part.drop("split").with_columns(pl.Series("_bucket", dest))
        for (b,), group in part.partition_by("_bucket", as_dict=True).items():
            path = Path(work) / "rows" / f"{name}-{int(b):05d}" / f"{i:05d}.arrow"
            written += _write_rows(group.drop("_bucket"), path)
    return written


def split_sort(name: str, b: int, work: str) -> int:
    """Sort one (split, id range) by the local order into ``sorted/<split>-<b>.arrow``;
    returns its rows."""
    files = sorted((Path(work) / "rows" / f"{name}-{b:05d}").glob("[0-9]*.arrow"))
    if not files:
        return 0
    rows = _frame(pa.concat_tables([_read_rows(f) for f in files]))
    _write_rows(rows.sort(local.ORDER, nulls_last=True),
                Path(work) / "sorted" / f"{name}-{b:05d}.arrow")
    return rows.height


def split_write(pieces: list[tuple[str, int, int]], target: str) -> int:
    """Write one published file from slices (file, offset, rows) of sorted buckets (a
    bucket is read whole: ≈ ``sort_chunk_rows`` rows)."""
    path = Path(target)
    tmp = _atomic(path)
    with io.ParquetSink(tmp, ARTICLE_SCHEMA) as sink:
        for file, offset, n in pieces:
            sink.write(_read_rows(Path(file)).slice(offset, n).drop_columns(["row"]))
    os.replace(tmp, path)
    return sink.rows


# ---------------------------------------------------------------- driver side

def bounds_from(sample: list[str], rows: int, chunk: int) -> list[str]:
    """Cut a split's merged id sample into ``ceil(rows / chunk)`` ranges: the first id
    of every range but the first."""
    n = max(1, math.ceil(rows / chunk))
    sample = sorted(sample)
    cuts = {sample[len(sample) * j // n] for j in range(1, n)} if sample else set()
    return sorted(cuts)


def file_pieces(counts: list[int], paths: list[str], rows_per_file: int
                ) -> list[list[tuple[str, int, int]]]:
    """Slices of the sorted buckets (in order) that make each published file: file k
    holds rows ``[k·rows_per_file, (k+1)·rows_per_file)`` of the split."""
    total = sum(counts)
    files: list[list[tuple[str, int, int]]] = [
        [] for _ in range(max(1, math.ceil(total / rows_per_file)))]
    start = 0
    for n, path in zip(counts, paths, strict=True):
        pos = 0
        while pos < n:
            k = (start + pos) // rows_per_file
            take = min(n - pos, (k + 1) * rows_per_file - (start + pos))
            files[k].append((path, pos, take))
            pos += take
        start += n
    return files


def run(inp: Path, dataset_dir: Path, params: Params, client: Any, work: Path,
        ranges: list[tuple[str, int, int]]) -> tuple[StageReport, dict[str, Any]]:
    """Write ``dataset_dir/data/{split}-NNNNN-of-NNNNN.parquet`` as :func:`akhbar.split.run`
    does, on the cluster; returns the report and figures (tasks per wave, bytes shuffled)."""
    s = typed(params).split
    report = StageReport("split")
    starts = np.cumsum([0, *(n for _, _, n in ranges)]).tolist()
    held_out = None
    if s.mode == "temporal":
        local.period_expr(s.temporal.period)  # an unknown period fails here, not on a worker
        maps = [client.submit(split_periods, f, o, n, s.temporal.period, pure=False)
                for f, o, n in ranges]
        held_out = tree(client, maps, combine_periods).result()
    keys = client.gather([client.submit(split_keys, f, o, n, params, held_out, pure=False)
                          for f, o, n in ranges])
    sizes = {name: sum(k[name][0] for k in keys) for name in SPLITS}
    bounds = {name: bounds_from([i for k in keys for i in k[name][1]], sizes[name],
                                s.sort_chunk_rows) for name in SPLITS}
    del keys
    scattered = client.gather([
        client.submit(split_scatter, i, f, o, n, starts[i], params, held_out, bounds,
                      str(work), pure=False) for i, (f, o, n) in enumerate(ranges)])
    jobs = [(name, b) for name in SPLITS for b in range(len(bounds[name]) + 1)]
    counts = client.gather([client.submit(split_sort, name, b, str(work), pure=False)
                            for name, b in jobs])
    data = Path(dataset_dir) / "data"
    data.mkdir(parents=True, exist_ok=True)
    writes = []
    for name in SPLITS:
        for old in data.glob(f"{name}-*.parquet"):  # as the local sink does
            old.unlink()
        mine = [(c, str(work / "sorted" / f"{n}-{b:05d}.arrow"))
                for (n, b), c in zip(jobs, counts, strict=True) if n == name and c]
        files = file_pieces([c for c, _ in mine], [p for _, p in mine], s.rows_per_file)
        writes += [client.submit(split_write, pieces,
                                 str(data / f"{name}-{k:05d}-of-{len(files):05d}.parquet"),
                                 pure=False) for k, pieces in enumerate(files)]
    written = client.gather(writes)
    assert sum(written) == sum(sizes.values()) == sum(counts), "split: rows lost"
    shutil.rmtree(work, ignore_errors=True)
    report.rows_in = int(starts[-1])
    report.rows_out = sum(sizes.values())
    report.stats = dict(sizes)
    info = {"ranges": len(ranges), "buckets": len(jobs), "files": len(writes),
            "shuffle_bytes": sum(scattered)}
    return report.finish(), info

