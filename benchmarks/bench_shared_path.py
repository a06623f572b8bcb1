"""CPU seconds every batch stage pays before its own work: read Parquet batches, hand them
to polars, ``conform`` to the schema contract, zstd-encode them (``akhbar.io``).

Usage::

    .venv/bin/python benchmarks/bench_shared_path.py TABLE_DIR

``TABLE_DIR`` is one of a build's intermediate folders (e.g.
``/work/base/snn-work/filtered``). Each step is timed alone (best of three, CPU seconds of
this process, all threads), then a pass-through stage (``akhbar.streaming.run`` with a step
that keeps every row) runs once: the floor under any streaming stage on that table. The
load average is printed, since wall time means little on a shared machine.
"""

from __future__ import annotations

import argparse
import io as bytes_io
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from akhbar import io, streaming
from akhbar.schema import ARTICLE_SCHEMA, REJECTED_SCHEMA, conform, polars_schema


def _best(label: str, fn: Callable[[], Any], times: int = 3) -> Any:
    best, result = float("inf"), None
    for _ in range(times):
        start = time.process_time()
        result = fn()
        best = min(best, time.process_time() - start)
    print(f"{label:34s} {best:6.3f} CPU-s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("table", type=Path)
    args = parser.parse_args()
    files = io.parquet_files(args.table)
    batches = _best("read (iter_batches 5000)", lambda: [
        b for f in files for b in pq.ParquetFile(f).iter_batches(batch_size=5000)])
    frames = _best("arrow -> polars", lambda: [
        pl.from_arrow(pa.Table.from_batches([b])) for b in batches])
    tables = _best("conform (polars -> contract)", lambda: [
        conform(f, ARTICLE_SCHEMA) for f in frames])
    whole = pa.concat_tables(tables).combine_chunks()

    def encode(compression: str) -> int:
        sink = bytes_io.BytesIO()
        pq.write_table(whole, sink, compression=compression,
                       row_group_size=io.ROW_GROUP_SIZE, write_statistics=True)
        return sink.tell()

    _best("encode, no compression", lambda: encode("none"))
    _best(f"encode, {io.COMPRESSION}", lambda: encode(io.COMPRESSION))
    no_rejects = pl.DataFrame(schema=polars_schema(REJECTED_SCHEMA))
    with tempfile.TemporaryDirectory(prefix="akhbar-shared-") as tmp:
        start = time.process_time()
        report = streaming.run(
            "pass", args.table, Path(tmp) / "out", Path(tmp) / "rejected.parquet",
            streaming.Passes(lambda batch, _: (batch, no_rejects)),
            batch_size=5000, rows_per_file=100_000)
        cpu = time.process_time() - start
    print(f"{'pass-through stage (streaming.run)':34s} {cpu:6.3f} CPU-s, "
          f"{report.rows_out} rows, load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
