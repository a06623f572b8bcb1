"""Optional executor: the embarrassingly parallel stages over shards on Dask distributed.

Why this shape: a shard runs the *same* stage ``run`` function as the local build, into its
own folder; the driver then merges the shard outputs in shard order through one
``ParquetSink``, replaying the writes the local run would have made, so the merged bytes equal
the local run's (same rows, same row groups, same part files). No stage code changes.

* ``ingest``: one shard per raw file (a link to it under a folder of the same name, so the
  ``raw_file`` label is unchanged). The local writer flushes every ``batch_size`` rows or
  ``batch_bytes`` of body text, rejected rows at each flush; the merge recomputes those flush
  points from the concatenated rows (rows are in walk order: path parts, then record).
* ``parse`` / ``filter``: one shard per run of ``shard_batches`` whole input batches of one
  input part (batches never straddle files in :func:`akhbar.io.read_batches`, and pyarrow
  yields exactly ``batch_size`` rows per batch, so shard batches equal local batches). The
  merge replays each shard output row group as one write (a stage writes one table per input
  batch, ≤ 10 000 rows, so a row group is a write). ``parse`` writes its rejected rows once at
  the end: the merge concatenates them and writes once too.
* ``clean`` has a corpus-level pass (per-source boilerplate counts): it runs locally between
  the parallel ``parse`` and ``filter``.

The driver needs the workers to see the same filesystem (true for a ``LocalCluster``; use a
shared volume on a real cluster). Ray Data would map the same way: ``ray.data.from_items``
over the shard specs, ``map`` with :func:`ingest_shard` / :func:`parquet_shard`, then the
same :func:`merge_parquet_shards` on the driver.
"""

from __future__ import annotations

import copy
import importlib
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from akhbar import io
from akhbar.params import Params
from akhbar.pipeline import Layout, run_stage
from akhbar.schema import ARTICLE_SCHEMA, RAW_SCHEMA, REJECTED_SCHEMA
from akhbar.stage import StageReport


@dataclass(frozen=True)
class ParquetStage:
    """How a Parquet-to-Parquet stage reads and writes (mirrors the stage's ``run``)."""

    module: str
    section: str
    rows_per_file_key: str
    rejected_once: bool  # rejected rows written in one write at the end (else per batch)
    in_schema: pa.Schema


PARQUET_STAGES: dict[str, ParquetStage] = {
    "parse": ParquetStage("akhbar.parse", "parse", "rows_per_file", True, RAW_SCHEMA),
    "filter": ParquetStage("akhbar.quality", "quality", "rows_per_part", False, ARTICLE_SCHEMA),
}
PARALLEL_STAGES = ("ingest", "parse", "clean", "filter")


# ---------------------------------------------------------------- worker side (pure functions)

def ingest_shard(paths: list[str], shard_dir: str, params: Params) -> StageReport:
    """Run ``akhbar.ingest.run`` on one shard's raw paths into ``shard_dir``.

    The shard flushes after every reader unit (``batch_size = batch_bytes = 1``, no part
    rollover), so each row group of its output is one unit the reader handed the writer:
    the driver needs the units to recompute where the local writer would have flushed."""
    from akhbar import ingest

    root = Path(shard_dir)
    shard_params = copy.deepcopy(params)
    shard_params["ingest"].update(batch_size=1, batch_bytes=1, rows_per_file=1 << 60)
    return ingest.run([Path(p) for p in paths], root / "out", root / "rejected.parquet",
                      shard_params)


def no_nested_pools() -> int:
    """A Dask worker is already one process per core, and daemonic: it may not start the
    language-id process pool of ``akhbar.langid`` (multiprocessing forbids children of
    daemonic processes). Run language id serially there; returns its worker count."""
    import multiprocessing as mp

    from akhbar import langid

    if mp.current_process().daemon and hasattr(langid, "_workers"):
        langid._workers = lambda: 1  # module-level switch; no public knob exists yet
    return langid._workers()


def parquet_shard(stage: str, file: str, offset: int, length: int, shard_dir: str,
                  params: Params) -> StageReport:
    """Run a Parquet stage's ``run`` on rows ``[offset, offset+length)`` of one input part."""
    no_nested_pools()
    spec = PARQUET_STAGES[stage]
    root = Path(shard_dir)
    pf = pq.ParquetFile(file)
    # decode only the row groups that hold rows [offset, offset + length)
    groups, start, first_row = [], 0, None
    for i in range(pf.num_row_groups):
        n = pf.metadata.row_group(i).num_rows
        if start + n > offset and start < offset + length:
            groups.append(i)
            first_row = start if first_row is None else first_row
        start += n
    table = pf.read_row_groups(groups).slice(offset - (first_row or 0), length)
    io.write_table(root / "in" / "part-00000.parquet", table, spec.in_schema)
    # no part rollover inside a shard: each row group of its output is then (a slice of) one
    # write, which the driver replays into the real, rolling sink
    shard_params = copy.deepcopy(params)
    shard_params[spec.section][spec.rows_per_file_key] = 1 << 60
    module = importlib.import_module(spec.module)
    report = module.run(root / "in", root / "out", root / "rejected.parquet", shard_params)
    shutil.rmtree(root / "in")
    return report


# ---------------------------------------------------------------- driver side

def _merge_reports(name: str, reports: Sequence[StageReport]) -> StageReport:
    """Sum the shard reports (counts add up; nested stats dicts of counts add up too)."""
    merged = StageReport(name)
    for r in reports:
        merged.rows_in += r.rows_in
        merged.rows_out += r.rows_out
        merged.rejected.update(r.rejected)
        merged.stats = _merge_stats(merged.stats, r.stats)
    merged.finish()
    return merged


def _merge_stats(a: Any, b: Any) -> Any:
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = _merge_stats(out[k], v) if k in out else v
        return dict(sorted(out.items())) if all(isinstance(k, str) for k in out) else out
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return a + b
    return a if a == b else b


def _row_groups(folder: Path) -> list[pa.Table]:
    tables = []
    for f in io.parquet_files(folder):
        pf = pq.ParquetFile(f)
        tables.extend(pf.read_row_group(i) for i in range(pf.num_row_groups))
    return tables


def _writes(folder: Path) -> list[pa.Table]:
    """The writes a shard made: its row groups, a write larger than a row group being the
    run of full row groups that precedes its remainder (glued back together)."""
    writes: list[pa.Table] = []
    glue = False
    for table in _row_groups(folder):
        if glue:
            writes[-1] = pa.concat_tables([writes[-1], table]).combine_chunks()
        else:
            writes.append(table)
        glue = table.num_rows == io.ROW_GROUP_SIZE
    return writes


def merge_parquet_shards(stage: str, shards: Sequence[Path], out: Path, rejected: Path,
                         params: Params) -> None:
    """Replay the shard outputs (in order) into the stage's output and rejected files."""
    spec = PARQUET_STAGES[stage]
    section = params[spec.section]
    with io.ParquetSink(out, ARTICLE_SCHEMA,
                        rows_per_file=int(section[spec.rows_per_file_key])) as sink:
        for shard in shards:
            for table in _writes(shard / "out"):
                sink.write(table)
    rej = [t for shard in shards for t in _writes(shard / "rejected.parquet")]
    if spec.rejected_once:
        io.write_table(rejected, pa.concat_tables(rej) if rej else REJECTED_SCHEMA.empty_table(),
                       REJECTED_SCHEMA)
        return
    with io.ParquetSink(rejected, REJECTED_SCHEMA) as rsink:
        for table in rej:
            rsink.write(table)


def _order_key(raw_file: str, raw_record: int) -> tuple[tuple[str, ...], int]:
    """Walk order of ingest: path parts (entries are walked sorted by name), then record."""
    return tuple(raw_file.split("/")), raw_record


def _units(shards: Sequence[Path]) -> list[pa.Table]:
    """The reader units of the shards, in order. A unit larger than a row group shows up as
    several full row groups of one file: glue those back together."""
    units: list[pa.Table] = []
    glue = False
    for table in (t for s in shards for t in _row_groups(s / "out")):
        same_file = bool(units) and units[-1].column("raw_file")[0] == table.column(
            "raw_file")[0]
        if glue and same_file:
            units[-1] = pa.concat_tables([units[-1], table])
        else:
            units.append(table)
        glue = table.num_rows == io.ROW_GROUP_SIZE
    return units


def merge_ingest_shards(shards: Sequence[Path], out: Path, rejected: Path,
                        params: Params) -> None:
    """Replay the local ingest writer over the shards' units and rejected rows: it adds a
    unit, flushes when ``batch_size`` rows or ``batch_bytes`` of body text are pending, and
    writes the pending rejected rows at each flush (or when ``batch_size`` of them wait)."""
    cfg = params["ingest"]
    batch_size = int(cfg.get("batch_size", 5000))
    batch_bytes = int(cfg.get("batch_bytes", 64 << 20))
    units = _units(shards)
    unit_bytes = [int(pl.from_arrow(u.select(["body"])).get_column("body")  # type: ignore[union-attr]
                      .fill_null("").str.len_chars().sum()) for u in units]
    unit_keys = [_order_key(u.column("raw_file")[0].as_py(), u.column("raw_record")[0].as_py())
                 for u in units]
    bad = pa.concat_tables([t for s in shards for t in _row_groups(s / "rejected.parquet")]
                           or [REJECTED_SCHEMA.empty_table()])
    bad_keys = [_order_key(f, r) for f, r in zip(bad.column("raw_file").to_pylist(),
                                                 bad.column("raw_record").to_pylist(),
                                                 strict=True)]
    sink = io.ParquetSink(out, RAW_SCHEMA, rows_per_file=int(cfg.get("rows_per_file", 100_000)))
    rsink = io.ParquetSink(rejected, REJECTED_SCHEMA)
    pending: list[pa.Table] = []
    rows = nbytes = ui = bi = b0 = 0

    def flush() -> None:
        nonlocal rows, nbytes, b0, pending
        if pending:
            sink.write(pa.concat_tables(pending).combine_chunks())
        if bi > b0:
            rsink.write(bad.slice(b0, bi - b0).combine_chunks())
        pending, rows, nbytes, b0 = [], 0, 0, bi

    while ui < len(units) or bi < len(bad_keys):
        if bi < len(bad_keys) and (ui >= len(units) or bad_keys[bi] < unit_keys[ui]):
            bi += 1
            if bi - b0 >= batch_size:
                flush()
        else:
            pending.append(units[ui])
            rows += units[ui].num_rows
            nbytes += unit_bytes[ui]
            ui += 1
            if rows >= batch_size or nbytes >= batch_bytes:
                flush()
    flush()
    sink.close()
    rsink.close()


def _ingest_shards(raw_paths: Sequence[Path], shard_root: Path, files_per_shard: int = 1
                   ) -> list[list[str]] | None:
    """Runs of up to ``files_per_shard`` raw files (never spanning two raw arguments, whose
    walk order is by argument path), linked under a folder named like their root so that
    every ``raw_file`` label is unchanged. ``None`` when a path cannot be sharded
    faithfully (then ingest runs locally)."""
    from akhbar.ingest.discover import walk

    shards: list[list[str]] = []
    tops: list[str] = []
    count = 0
    for found in walk([Path(p) for p in raw_paths], {}):
        if found.error is not None or "~" in found.label:
            return None
        top = found.label.split("/")[0]
        if not tops or top != tops[-1] or count >= files_per_shard:
            tops.append(top)
            shards.append([])
            count = 0
        base = shard_root / f"{len(shards) - 1:05d}" / "raw"
        target = base / found.label
        target.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(found.path.resolve(), target)
        if not shards[-1]:
            shards[-1].append(str(base / top))
        count += 1
    return shards


def _parquet_ranges(inp: Path, batch: int, shard_batches: int) -> list[tuple[str, int, int]]:
    ranges = []
    step = batch * shard_batches
    for f in io.parquet_files(inp):
        n = pq.ParquetFile(f).metadata.num_rows
        ranges.extend((str(f), off, min(step, n - off)) for off in range(0, n, step))
    return ranges


def run(raw_paths: Sequence[Path], layout: Layout, params: Params, client: Any,
        stages: Sequence[str] = PARALLEL_STAGES, shard_batches: int = 2,
        files_per_shard: int = 1) -> dict[str, StageReport]:
    """Run ``stages`` (a prefix of ingest → parse → clean → filter) with ``client`` (a
    ``distributed.Client``) and leave ``layout`` exactly as the local ``run_stage`` would.

    ``files_per_shard`` raw files make one ingest task; ``shard_batches`` input batches make
    one parse/filter task (more tasks: more parallelism, more per-task overhead)."""
    reports: dict[str, StageReport] = {}
    for stage in stages:
        shard_root = layout.root / "_shards" / stage
        if shard_root.exists():
            shutil.rmtree(shard_root)
        out, rejected = layout.output(stage), layout.rejected(stage)
        if stage == "ingest":
            shards = _ingest_shards(raw_paths, shard_root, files_per_shard)
            if shards is None:
                reports[stage] = run_stage(stage, layout, params, raw_paths=raw_paths)
                continue
            dirs = [shard_root / f"{i:05d}" for i in range(len(shards))]
            futures = [client.submit(ingest_shard, p, str(d), params, pure=False)
                       for p, d in zip(shards, dirs, strict=True)]
            parts = client.gather(futures)
            merge_ingest_shards(dirs, out, rejected, params)
            report = _merge_reports(stage, parts)
        elif stage in PARQUET_STAGES:
            spec = PARQUET_STAGES[stage]
            batch = int(params[spec.section]["batch_size"])
            ranges = _parquet_ranges(layout.input(stage), batch, shard_batches)
            dirs = [shard_root / f"{i:05d}" for i in range(len(ranges))]
            futures = [client.submit(parquet_shard, stage, f, off, n, str(d), params,
                                     pure=False)
                       for (f, off, n), d in zip(ranges, dirs, strict=True)]
            parts = client.gather(futures)
            merge_parquet_shards(stage, dirs, out, rejected, params)
            report = _merge_reports(stage, parts)
        else:  # corpus-level stage (clean's per-source counts): local
            reports[stage] = run_stage(stage, layout, params, raw_paths=raw_paths)
            continue
        shutil.rmtree(shard_root)
        report.write(layout.report(stage))
        reports[stage] = report
    if (layout.root / "_shards").exists():
        shutil.rmtree(layout.root / "_shards")
    return reports

