"""A hash shuffle through files on storage every worker sees (datatrove's shape).

Why files and not ``dask.dataframe`` shuffles: each map task writes one file per
destination partition (``<wave>/<dest>/<src>.parquet``), each reduce task reads its
folder. A task's output is a pure function of its inputs, written to a temporary name and
renamed, so a task that Dask reruns after its worker died rewrites the same bytes and a
half-written file is never read. The driver holds only futures and counts, never rows.
Shuffle volume is the bytes of these files (:func:`wave_bytes`).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import numpy as np
import polars as pl

#: multiplier of the 64-bit mix below (the golden ratio, as in splitmix64)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def key_partition(keys: pl.Series, parts: int) -> np.ndarray:
    """Destination of each 16-byte BLAKE2b key: the range of its first 8 bytes (read
    big-endian) among ``parts`` equal ranges. The digest is uniform, so the ranges are
    balanced; and partition order is key byte order, so a partition's sorted keys are a
    slice of the global order (the dense ids of :mod:`akhbar.distributed.sigstore`)."""
    if len(keys) == 0 or parts == 1:
        return np.zeros(len(keys), dtype=np.int64)
    head = np.frombuffer(b"".join(k[:8] for k in keys.to_list()), dtype=">u8")
    step = np.uint64((2**64 - 1) // parts + 1)  # ceil(2**64 / parts): p < parts
    return (head.astype(np.uint64) // step).astype(np.int64)


def mix_partition(columns: list[np.ndarray], parts: int) -> np.ndarray:
    """Destination of each row of unsigned integer ``columns`` (a polynomial hash with
    wrapping uint64 arithmetic, then a splitmix64 finalizer)."""
    acc = np.zeros(len(columns[0]), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for col in columns:
            acc = acc * _GOLDEN + col.astype(np.uint64)
        acc ^= acc >> np.uint64(31)
        acc *= np.uint64(0xBF58476D1CE4E5B9)
        acc ^= acc >> np.uint64(29)
    return (acc % np.uint64(parts)).astype(np.int64)


def write_atomic(df: pl.DataFrame, path: Path, row_group: int | None = None) -> int:
    """Write ``df`` to ``path`` through a temporary name; returns the bytes written.
    ``row_group``: rows per row group, written with min/max statistics so that a reader
    filtering on a sorted column skips the other row groups."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    df.write_parquet(tmp, compression="zstd", statistics=row_group is not None,
                     row_group_size=row_group)
    os.replace(tmp, path)
    return path.stat().st_size


def scatter(df: pl.DataFrame, dest: np.ndarray, parts: int, wave: Path, src: int | str,
            row_group: int | None = None) -> int:
    """Write the rows of ``df`` to ``wave/<dest>/<src>.parquet`` (one file per
    destination, empty ones included so a reduce always finds the schema; rows keep
    their order; ``row_group`` as :func:`write_atomic`). ``src``: the source partition,
    or a name starting with it (``00003-0001``: a task that writes in several chunks)."""
    name = f"{src:05d}" if isinstance(src, int) else src
    tagged = df.with_columns(pl.Series("__dest", dest, dtype=pl.Int64))
    groups = {int(k[0]): g.drop("__dest")
              for k, g in tagged.partition_by("__dest", as_dict=True).items()}
    written = 0
    for p in range(parts):
        frame = groups.get(p, df.clear())
        written += write_atomic(frame, wave / f"{p:05d}" / f"{name}.parquet", row_group)
    return written


def gather(wave: Path, dest: int, schema: pl.Schema | None = None) -> pl.DataFrame:
    """Every row sent to partition ``dest`` of ``wave`` (sources in order)."""
    files = sorted((wave / f"{dest:05d}").glob("[0-9]*.parquet"))
    if not files:
        return pl.DataFrame(schema=schema)
    return pl.concat([pl.read_parquet(f) for f in files], how="vertical")


def gather_range(wave: Path, dest: int, column: str, lo: int, hi: int,
                 schema: pl.Schema) -> pl.DataFrame:
    """The rows of partition ``dest`` with ``lo <= column < hi``: row groups whose
    statistics exclude the range are not read (files written sorted on ``column`` with
    ``row_group``), so a task can take its partition one slice at a time."""
    files = sorted((wave / f"{dest:05d}").glob("[0-9]*.parquet"))
    if not files:
        return pl.DataFrame(schema=schema)
    return pl.scan_parquet(files).filter(
        (pl.col(column) >= lo) & (pl.col(column) < hi)).collect()


def wave_bytes(wave: Path) -> int:
    """Bytes a wave shuffled (the sum of its files)."""
    return sum(f.stat().st_size for f in wave.rglob("*.parquet")) if wave.exists() else 0
