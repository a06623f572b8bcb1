"""``--executor dask``: the pipeline's stages on a Dask distributed cluster.

:class:`DaskRunner` has the signature of :func:`akhbar.pipeline.run_stage`, so ``akhbar
build`` and the DVC scripts call it in its place and nothing else changes:

* ingest, parse, clean, quality: shards of the same stage ``run``
  (:mod:`akhbar.distributed.shards`), after the corpus-level passes of parse and clean as
  cluster aggregations (:mod:`akhbar.distributed.aggregate`);
* dedup: copies and story clusters as waves of tasks joined by file shuffles
  (:mod:`akhbar.distributed.dedup`);
* split: a range-partitioned sort into the published files
  (:mod:`akhbar.distributed.split`);
* collect: one task per published rejected file and per data file's counts
  (:mod:`akhbar.distributed.collect`);
* validate: its parts on the workers, the ``keys`` suite bucket by bucket on the workers,
  the merge and the other global suites in the driver (:mod:`akhbar.distributed.validate`),
  through :meth:`DaskRunner.check`;
* the card runs in the driver, streaming, as locally.

Where each stage runs is the stage registry's word (:class:`akhbar.pipeline.Cluster`).

**Driver memory per stage** (what the process running this runner holds; workers hold
the rows):

* ingest, quality: one future and one summed report per shard;
* parse, clean: that, plus the corpus-level decision the local stage holds too (parse's
  title suffixes per folder; clean's boilerplate line table and per-source counts);
* dedup: O(ranges + P × rounds) counts and P + 1 id offsets, never a row, signature or
  edge (:mod:`akhbar.distributed.dedup`);
* split: per split a count, an id sample (~8 ids per 10,000 rows), the bucket bounds and
  counts (:mod:`akhbar.distributed.split`);
* collect: counts per reason and per format;
* validate: per part its folded row checks, and O(buckets) outcomes of the ``keys`` and
  ``leakage`` suites (:mod:`akhbar.distributed.keys`, :mod:`akhbar.distributed.leakage`:
  the key rows and leakage pairs go to hash buckets checked on the workers), merged in
  the build's GX process (a child of the driver);
* card: in the driver, streaming over the published files as locally (its explorer
  search index grows with the corpus's distinct tokens).

Output bytes equal the local executor's (tests/test_distributed.py). The workers must see
the build's work folder (one machine, or a shared volume).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from akhbar import pipeline
from akhbar.config import Executor
from akhbar.distributed import shards
from akhbar.params import Params, typed
from akhbar.pipeline import Layout, run_stage
from akhbar.stage import StageReport


class DaskRunner:
    """``run_stage`` on a ``distributed.Client``; keeps per-stage cluster figures in
    :attr:`info` (waves, shuffle bytes) for benchmarks."""

    def __init__(self, client: Any, params: Params) -> None:
        params = typed(params)
        self.client = client
        self.shard_batches = params.executor.shard_batches
        self.partitions = params.executor.partitions
        self.files_per_shard = params.executor.files_per_shard
        self.info: dict[str, Any] = {}

    def __call__(self, stage: str, layout: Layout, params: Params,
                 raw_paths: Sequence[Path] | None = None,
                 dataset_dir: Path | None = None) -> StageReport:
        cluster = pipeline.get(stage).cluster
        how = cluster.how if cluster is not None else None
        if how in ("raw-shards", "shards"):
            report = shards.run(list(raw_paths or []), layout, params, self.client,
                                stages=[stage], shard_batches=self.shard_batches,
                                files_per_shard=self.files_per_shard,
                                partitions=self.partitions)[stage]
            self.info[stage] = {"executor": "cluster"}
            return report
        if how == "minhash":
            return self._dedup(stage, layout, params)
        if how == "sort" and dataset_dir is not None:
            return self._split(stage, layout, params, dataset_dir)
        self.info[stage] = {"executor": "driver"}
        return run_stage(stage, layout, params, raw_paths=raw_paths, dataset_dir=dataset_dir)

    def check(self, stage: str, dataset_dir: Path, params: Params,
              reports_dir: Path | None = None, reason_stages: Sequence[str] | None = None,
              in_worker: bool = False) -> Any:
        """A ``check`` stage with a ``partitions`` Cluster (validation) on the cluster;
        ``in_worker``: merge in the build's warmed GX process (:mod:`akhbar.gx_session`)."""
        from akhbar.distributed import validate

        finish = None
        if in_worker:
            from akhbar import gx_session
            from akhbar.validate import finish as local_finish

            def finish(*args: Any) -> Any:
                return gx_session.run_in_worker(local_finish, *args)

        self.info[stage] = {"executor": "cluster"}
        return validate.run(self.client, dataset_dir, params, reports_dir, reason_stages,
                            finish=finish)

    def _dedup(self, stage: str, layout: Layout, params: Params) -> StageReport:
        """Dedup on the cluster; its work folder (the shuffle files) is removed after."""
        from akhbar.distributed import dedup

        inp = layout.input(stage)
        ranges = shards._parquet_ranges(inp, typed(params).dedup.batch_size,
                                        self.shard_batches)
        work = layout.root / "_shards" / stage
        if work.exists():
            shutil.rmtree(work)
        report, info = dedup.run(inp, layout.output(stage), layout.rejected(stage),
                                 params, self.client, work, ranges, self.partitions)
        shutil.rmtree(layout.root / "_shards", ignore_errors=True)
        report.write(layout.report(stage))
        self.info[stage] = {"executor": "cluster", **info}
        return report

    def publish(self, stage: str, layout: Layout, dataset_dir: Path) -> dict[str, Any]:
        """A ``publish`` stage (collect: rejected files and ``stats.json``) on the cluster
        (:mod:`akhbar.distributed.collect`), or in the driver when the registry says so."""
        cluster = pipeline.get(stage).cluster
        if cluster is None or cluster.how != "publish":
            self.info[stage] = {"executor": "driver"}
            return pipeline.get(stage).function()(layout, dataset_dir)
        from akhbar.distributed import collect

        self.info[stage] = {"executor": "cluster"}
        return collect.run(layout, dataset_dir, self.client)

    def _split(self, stage: str, layout: Layout, params: Params, dataset_dir: Path
               ) -> StageReport:
        """The split on the cluster (:mod:`akhbar.distributed.split`)."""
        from akhbar.distributed import split

        inp = layout.input(stage)
        ranges = shards._parquet_ranges(inp, typed(params).split.sort_chunk_rows,
                                        self.shard_batches)
        if not ranges:  # nothing to sort: the stage writes its empty files
            self.info[stage] = {"executor": "driver"}
            return run_stage(stage, layout, params, dataset_dir=dataset_dir)
        work = layout.root / "_shards" / stage
        shutil.rmtree(work, ignore_errors=True)
        report, info = split.run(inp, dataset_dir, params, self.client, work, ranges)
        shutil.rmtree(layout.root / "_shards", ignore_errors=True)
        report.write(layout.report(stage))
        self.info[stage] = {"executor": "cluster", **info}
        return report


def settings(params: Params, executor: str | None = None, scheduler: str | None = None,
             workers: int | None = None) -> Executor:
    """The ``executor`` section of ``params`` overridden by the command-line options."""
    params = typed(params)
    changes: dict[str, Any] = {}
    if executor is not None:
        if executor not in ("local", "dask"):
            raise ValueError(f"unknown executor {executor!r} (local | dask)")
        changes["kind"] = executor
    if scheduler:
        changes["scheduler"] = scheduler
    if workers:
        changes["workers"] = workers
    return params.executor.model_copy(update=changes)


@contextlib.contextmanager
def stage_runner(params: Params, executor: str | None = None, scheduler: str | None = None,
                 workers: int | None = None) -> Iterator[DaskRunner | None]:
    """The stage runner the settings ask for: ``None`` (local ``run_stage``), or a
    :class:`DaskRunner` on the scheduler given, else on a local cluster of ``workers``
    processes (closed on exit)."""
    ex = settings(params, executor, scheduler, workers)
    if ex.kind == "local":
        yield None
        return
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - depends on the install
        from akhbar.errors import AkhbarError

        raise AkhbarError('the dask executor needs the "distributed" extra: '
                          'pip install "akhbar[distributed]"') from exc
    with contextlib.ExitStack() as stack:
        if ex.scheduler:
            client = stack.enter_context(distributed.Client(ex.scheduler))
        else:
            cluster = stack.enter_context(distributed.LocalCluster(
                n_workers=ex.workers, threads_per_worker=1, processes=True,
                host="127.0.0.1", dashboard_address=None))
            client = stack.enter_context(distributed.Client(cluster))
        yield DaskRunner(client, params)
