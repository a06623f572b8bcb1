"""Optional executor: the embarrassingly parallel stages over shards on Dask distributed.

Why this shape: a shard runs the *same* stage ``run`` function as the local build, into its
own folder; the driver then concatenates the shard outputs in shard order through one
``ParquetSink``. The sink's bytes depend only on the rows and their order (it cuts row
groups and part files by row count, whatever the size of the writes), so the merged files
equal the local run's. No stage code changes.

* ``ingest``: one shard per run of raw files (links under a folder of the same name, so the
  ``raw_file`` label is unchanged); rows come out in walk order (path parts, then record).
* ``parse``, ``clean``, ``quality``: one shard per run of ``shard_batches`` whole input
  batches of one input part (a stage's output row order is its input order). The
  corpus-level passes of parse (per-folder site suffixes of titles) and clean (per-source
  boilerplate lines, yeh evidence) run first as cluster aggregations, and each shard runs
  the stage with that decision (:mod:`akhbar.distributed.aggregate`).
* ``dedup``: :mod:`akhbar.distributed.dedup`; the executor that ``akhbar build --executor
  dask`` uses is :mod:`akhbar.distributed.executor`.

The driver needs the workers to see the same filesystem (true for a ``LocalCluster``; use a
shared volume on a real cluster). Ray Data would map the same way: ``ray.data.from_items``
over the shard specs, ``map`` with :func:`ingest_shard` / :func:`parquet_shard`, then the
same :func:`merge_shards` on the driver.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from akhbar import io, pipeline
from akhbar.params import Params, typed
from akhbar.pipeline import Layout, run_stage
from akhbar.schema import ARTICLE_SCHEMA, RAW_SCHEMA, REJECTED_SCHEMA
from akhbar.stage import StageReport


def parallel_stages() -> list[str]:
    """The stages the registry lets this module shard (:class:`akhbar.pipeline.Cluster`)."""
    return [s.name for s in pipeline.STAGES
            if s.cluster is not None and s.cluster.how in ("raw-shards", "shards")]


def _hook(name: str | None) -> Any:
    """A function of :mod:`akhbar.distributed.aggregate` named by the registry."""
    if name is None:
        return None
    from akhbar.distributed import aggregate

    return getattr(aggregate, name)


# ---------------------------------------------------------------- worker side (pure functions)

def ingest_shard(stage: str, paths: list[str], shard_dir: str, params: Params
                 ) -> StageReport:
    """Run the first stage's ``run`` on one shard's raw paths into ``shard_dir``."""
    root = Path(shard_dir)
    # The shard's files are symlinks made by the driver from a walk that already applied
    # the user's ``follow_symlinks`` rule, so they are followed here.
    params = typed(params).model_copy(deep=True)
    params.ingest.follow_symlinks = True
    return pipeline.get(stage).function()([Path(p) for p in paths], root / "out",
                                          root / "rejected.parquet", params)


def read_range(file: str, offset: int, length: int, columns: list[str] | None = None
               ) -> pa.Table:
    """Rows ``[offset, offset+length)`` of one Parquet file, decoding only the row groups
    that hold them."""
    pf = pq.ParquetFile(file)
    groups, start, first_row = [], 0, None
    for i in range(pf.num_row_groups):
        n = pf.metadata.row_group(i).num_rows
        if start + n > offset and start < offset + length:
            groups.append(i)
            first_row = start if first_row is None else first_row
        start += n
    return pf.read_row_groups(groups, columns=columns).slice(offset - (first_row or 0),
                                                             length)


def parquet_shard(stage: str, file: str, offset: int, length: int, shard_dir: str,
                  params: Params, context: Any = None) -> tuple[StageReport, Any]:
    """Run a Parquet stage's ``run`` on rows ``[offset, offset+length)`` of one input part,
    with ``context`` (the stage's corpus-level decision) in place of its own first pass;
    returns the report and what the report merge needs."""
    spec = pipeline.get(stage)
    root = Path(shard_dir)
    table = read_range(file, offset, length)  # with its file's schema, as the stage wrote it
    io.write_table(root / "in" / "part-00000.parquet", table, table.schema)
    args = (root / "in", root / "out", root / "rejected.parquet", params)
    shard = _hook(spec.cluster.shard if spec.cluster else None)
    got = shard(args, context) if shard else (spec.function()(*args), None)
    shutil.rmtree(root / "in")
    return got


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


MERGE_BATCH = 2_048  # rows per read while the driver merges shard outputs


def merge_shards(shards: Sequence[Path], out: Path, rejected: Path, schema: pa.Schema,
                 rows_per_file: int) -> None:
    """Concatenate the shard outputs and rejected rows, in shard order, into the stage's
    output parts and rejected file (the sink cuts row groups and parts by row count).

    This runs in the driver, so it reads ``MERGE_BATCH`` rows at a time: pyarrow's default
    (65,536 rows, ~260 MB of 4 KB articles, held twice while conformed) put the driver of
    the 1M-article benchmark at 1.17 GB in parse and clean. The bytes do not depend on it
    (the sink cuts row groups by row count)."""
    with io.ParquetSink(out, schema, rows_per_file=rows_per_file) as sink:
        for shard in shards:
            for f in io.parquet_files(shard / "out"):
                for batch in pq.ParquetFile(f).iter_batches(batch_size=MERGE_BATCH):
                    sink.write(batch)
    with io.ParquetSink(rejected, REJECTED_SCHEMA) as rsink:
        for shard in shards:
            for f in io.parquet_files(shard / "rejected.parquet"):
                for batch in pq.ParquetFile(f).iter_batches(batch_size=MERGE_BATCH):
                    rsink.write(batch)


def _ingest_shards(raw_paths: Sequence[Path], shard_root: Path, files_per_shard: int = 1,
                   follow_symlinks: bool = False) -> list[list[str]] | None:
    """Runs of up to ``files_per_shard`` raw files (never spanning two raw arguments, whose
    walk order is by argument path), linked under a folder named like their root so that
    every ``raw_file`` label is unchanged. ``None`` when a path cannot be sharded
    faithfully (then ingest runs locally)."""
    from akhbar.ingest.discover import walk

    shards: list[list[str]] = []
    tops: list[str] = []
    count = 0
    for found in walk([Path(p) for p in raw_paths], {}, follow_symlinks):
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
        stages: Sequence[str] | None = None, shard_batches: int = 2,
        files_per_shard: int = 1, partitions: int = 8) -> dict[str, StageReport]:
    """Run ``stages`` (default: every stage the registry lets this module shard) with
    ``client`` (a ``distributed.Client``) and leave ``layout`` exactly as the local
    ``run_stage`` would.

    ``files_per_shard`` raw files make one ingest task; ``shard_batches`` input batches make
    one row-range task (more tasks: more parallelism, more per-task overhead);
    ``partitions``: hash partitions of clean's line-index shuffle."""
    params = typed(params)
    reports: dict[str, StageReport] = {}
    for stage in parallel_stages() if stages is None else stages:
        spec = pipeline.get(stage)
        how = spec.cluster.how if spec.cluster else None
        shard_root = layout.root / "_shards" / stage
        if shard_root.exists():
            shutil.rmtree(shard_root)
        out, rejected = layout.output(stage), layout.rejected(stage)
        if how == "raw-shards":
            shards = _ingest_shards(raw_paths, shard_root, files_per_shard,
                                    params.ingest.follow_symlinks)
            if shards is None:
                reports[stage] = run_stage(stage, layout, params, raw_paths=raw_paths)
                continue
            dirs = [shard_root / f"{i:05d}" for i in range(len(shards))]
            futures = [client.submit(ingest_shard, stage, p, str(d), params, pure=False)
                       for p, d in zip(shards, dirs, strict=True)]
            parts = client.gather(futures)
            merge_shards(dirs, out, rejected, RAW_SCHEMA,
                         params.ingest.rows_per_file)
            report = _merge_reports(stage, parts)
        elif how == "shards":
            section = getattr(params, spec.sections[0])  # its batch_size, rows_per_file
            batch = section.batch_size
            ranges = _parquet_ranges(layout.input(stage), batch, shard_batches)
            if not ranges:  # nothing to shard: the stage writes its empty outputs
                reports[stage] = run_stage(stage, layout, params)
                continue
            prepare = _hook(spec.cluster.prepare)  # type: ignore[union-attr]
            context = (prepare(client, ranges, shard_root / "_pass1", partitions, params)
                       if prepare else None)
            context_f = (client.scatter([context], broadcast=True)[0] if context is not None
                         else None)
            dirs = [shard_root / f"{i:05d}" for i in range(len(ranges))]
            futures = [client.submit(parquet_shard, stage, f, off, n, str(d), params,
                                     context_f, pure=False)
                       for (f, off, n), d in zip(ranges, dirs, strict=True)]
            parts = client.gather(futures)
            merge_shards(dirs, out, rejected, ARTICLE_SCHEMA,
                         section.rows_per_file)
            report = _merge_reports(stage, [r for r, _ in parts])
            merge = _hook(spec.cluster.merge)  # type: ignore[union-attr]
            if merge:
                merge(report, [x for _, x in parts], context, params)
        else:  # the registry gives it no shards: it runs here, as locally
            reports[stage] = run_stage(stage, layout, params, raw_paths=raw_paths)
            continue
        shutil.rmtree(shard_root)
        report.write(layout.report(stage))
        reports[stage] = report
    if (layout.root / "_shards").exists():
        shutil.rmtree(layout.root / "_shards")
    return reports

