"""Parquet in and out, in bounded batches, always through the schema contract.

Why one module: determinism (same rows → same bytes: fixed compression, fixed row-group
size, no timestamps in metadata) and the contract (``schema.conform`` on every write)
are enforced here instead of at each call site.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from akhbar.schema import conform

COMPRESSION = "zstd"
ROW_GROUP_SIZE = 10_000


def parquet_files(path: Path) -> list[Path]:
    """The Parquet files of ``path`` (a file, or a folder read in name order)."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.exists():
        return []
    return sorted(p for p in path.rglob("*.parquet") if p.is_file())


def read_batches(path: Path, batch_size: int = 20_000, columns: list[str] | None = None
                 ) -> Iterator[pl.DataFrame]:
    """Stream ``path`` as polars frames of at most ``batch_size`` rows."""
    for file in parquet_files(path):
        pf = pq.ParquetFile(file)
        for batch in pf.iter_batches(batch_size=batch_size, columns=columns):
            yield pl.from_arrow(pa.Table.from_batches([batch]))  # type: ignore[misc]


def read_frame(path: Path, columns: list[str] | None = None) -> pl.DataFrame:
    """Read all of ``path`` (for stages whose algorithm needs the whole column set)."""
    files = parquet_files(path)
    if not files:
        raise FileNotFoundError(f"no Parquet files under {path}")
    return pl.concat([pl.read_parquet(f, columns=columns) for f in files], how="vertical")


class ParquetSink:
    """Write conformed batches to one Parquet file, or to numbered shards in a folder.

    With ``rows_per_file`` set, ``path`` is a folder and files are named
    ``{prefix}-NNNNN.parquet`` (renamed to ``-NNNNN-of-NNNNN`` by :meth:`close` when
    ``of_total`` is true, the Hugging Face shard convention). An empty sink still writes
    one file holding the schema, so downstream stages and loaders always find a table.

    Why a writer thread: Parquet encoding and zstd compression release the GIL, so with
    ``background=True`` (the default) row groups are written on the second core while the
    caller computes the next batch. One thread, and at most one row group in flight (a
    write waits for the previous one), keep the order (so the bytes) and the memory as
    without it; a failed write is raised by the next ``write`` or by ``close``.
    """

    def __init__(self, path: Path, schema: pa.Schema, rows_per_file: int | None = None,
                 prefix: str = "part", of_total: bool = False,
                 row_group_size: int = ROW_GROUP_SIZE, background: bool = True) -> None:
        self.path = Path(path)
        self.row_group_size = row_group_size  # also the most rows the sink buffers
        self.schema = schema
        self.rows_per_file = rows_per_file
        self.prefix = prefix
        self.of_total = of_total
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None
        self._file_rows = 0
        self._files: list[Path] = []
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._pool = (ThreadPoolExecutor(max_workers=1, thread_name_prefix="parquet-sink")
                      if background else None)
        self._in_flight: Future[None] | None = None
        if rows_per_file:
            self.path.mkdir(parents=True, exist_ok=True)
            for old in self.path.glob(f"{prefix}-*.parquet"):
                old.unlink()
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)

    def _open(self) -> None:
        if self.rows_per_file:
            target = self.path / f"{self.prefix}-{len(self._files):05d}.parquet"
        else:
            target = self.path
        self._files.append(target)
        self._writer = pq.ParquetWriter(
            target, self.schema, compression=COMPRESSION, write_statistics=True,
            store_schema=True,
        )
        self._file_rows = 0

    def write(self, data: Any) -> None:
        """Append rows (polars frame, arrow table or list of dicts).

        Rows are buffered into row groups of exactly ``row_group_size`` (the last one of a
        file may be shorter), so the bytes written do not depend on how callers batch their
        writes. ``conform`` copies the rows out of the caller's buffers, so a few kept rows
        never pin a whole input batch in memory.
        """
        table = conform(data, self.schema)
        if table.num_rows == 0:
            return
        self._pending.append(table)
        self._pending_rows += table.num_rows
        self.rows += table.num_rows
        self._drain(final=False)

    def _drain(self, final: bool) -> None:
        while self._pending_rows >= self.row_group_size or (final and self._pending_rows):
            if self._writer is None:
                self._open()
            n = min(self.row_group_size, self._pending_rows)
            if self.rows_per_file:
                n = min(n, self.rows_per_file - self._file_rows)
            buffered = pa.concat_tables(self._pending)
            assert self._writer is not None
            # one contiguous chunk per row group: page layout must not follow the callers'
            # batch boundaries either
            fills = bool(self.rows_per_file) and self._file_rows + n >= (self.rows_per_file or 0)
            self._submit(self._writer, buffered.slice(0, n), fills)
            rest = buffered.slice(n)
            self._pending = [rest] if rest.num_rows else []
            self._pending_rows -= n
            self._file_rows += n
            if self.rows_per_file and self._file_rows >= self.rows_per_file:
                self._writer = None  # closed by the write that filled it

    def _submit(self, writer: pq.ParquetWriter, rows: pa.Table, last: bool) -> None:
        """Write one row group (and close its file when ``last``), in the writer thread
        when there is one, after the previous row group."""
        def write() -> None:
            writer.write_table(rows.combine_chunks(), row_group_size=self.row_group_size)
            if last:
                writer.close()

        self._wait()
        if self._pool is None:
            write()
        else:
            self._in_flight = self._pool.submit(write)

    def _wait(self) -> None:
        if self._in_flight is not None:
            done, self._in_flight = self._in_flight, None
            done.result()

    def close(self) -> list[Path]:
        """Finish the files; returns their final paths."""
        try:
            self._drain(final=True)
            self._wait()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None
        if self._writer is None and not self._files:
            self._open()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self.rows_per_file and self.of_total:
            total = len(self._files)
            renamed = []
            for i, f in enumerate(self._files):
                final = self.path / f"{self.prefix}-{i:05d}-of-{total:05d}.parquet"
                f.replace(final)
                renamed.append(final)
            self._files = renamed
        return list(self._files)

    def __enter__(self) -> ParquetSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_table(path: Path, data: Any, schema: pa.Schema) -> Path:
    """Write one conformed table to one file."""
    with ParquetSink(path, schema) as sink:
        sink.write(data)
    return Path(path)


def compact(df: pl.DataFrame) -> pl.DataFrame:
    """A copy of ``df`` whose strings own their bytes.

    Polars string columns are views into the buffers of the frame they were cut from, so a
    few rows (or group keys) kept from a batch would keep the whole batch's text alive;
    exporting to Arrow's classic layout copies them out.
    """
    return pl.from_arrow(df.to_arrow(compat_level=pl.CompatLevel.oldest()))  # type: ignore[return-value]
