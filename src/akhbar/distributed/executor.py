"""``--executor dask``: the pipeline's stages on a Dask distributed cluster.

:class:`DaskRunner` has the signature of :func:`akhbar.pipeline.run_stage`, so ``akhbar
build`` and the DVC scripts call it in its place and nothing else changes:

* ingest, parse, clean, filter: shards of the same stage ``run``
  (:mod:`akhbar.distributed.shards`), after the corpus-level passes of parse and clean as
  cluster aggregations (:mod:`akhbar.distributed.aggregate`);
* dedup: copies and story clusters as waves of tasks joined by file shuffles
  (:mod:`akhbar.distributed.dedup`);
* split, publication, validation and the card run in the driver, streaming, as locally.

Where each stage runs is decided in one place, :func:`route` (to be read from the stage
registry once stages declare whether they are batch-parallel or corpus-level).

Output bytes equal the local executor's (tests/test_distributed.py). The workers must see
the build's work folder (one machine, or a shared volume).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from akhbar.distributed import shards
from akhbar.params import Params
from akhbar.pipeline import Layout, run_stage
from akhbar.stage import StageReport

#: How each stage runs on the cluster: ``"shards"`` (the stage ``run`` on pieces of its
#: input, :mod:`akhbar.distributed.shards`), ``"dedup"`` (:mod:`akhbar.distributed.dedup`);
#: a stage not listed runs in the driver (``run_stage``).
CLUSTER_STAGES: dict[str, str] = {"ingest": "shards", "parse": "shards", "clean": "shards",
                                  "filter": "shards", "dedup": "dedup"}


def route(stage: str) -> str:
    """``"shards"``, ``"dedup"`` or ``"driver"``: where ``stage`` runs."""
    return CLUSTER_STAGES.get(stage, "driver")


class DaskRunner:
    """``run_stage`` on a ``distributed.Client``; keeps per-stage cluster figures in
    :attr:`info` (waves, shuffle bytes) for benchmarks."""

    def __init__(self, client: Any, params: Params) -> None:
        ex = params.get("executor") or {}
        self.client = client
        self.shard_batches = int(ex.get("shard_batches", 2))
        self.partitions = int(ex.get("partitions", 8))
        self.files_per_shard = int(ex.get("files_per_shard", 1))
        self.info: dict[str, Any] = {}

    def __call__(self, stage: str, layout: Layout, params: Params,
                 raw_paths: Sequence[Path] | None = None,
                 dataset_dir: Path | None = None) -> StageReport:
        how = route(stage)
        if how == "shards":
            report = shards.run(list(raw_paths or []), layout, params, self.client,
                                stages=[stage], shard_batches=self.shard_batches,
                                files_per_shard=self.files_per_shard,
                                partitions=self.partitions)[stage]
            self.info[stage] = {"executor": "cluster"}
            return report
        if how == "dedup":
            return self._dedup(layout, params)
        self.info[stage] = {"executor": "driver"}
        return run_stage(stage, layout, params, raw_paths=raw_paths, dataset_dir=dataset_dir)

    def _dedup(self, layout: Layout, params: Params) -> StageReport:
        """Dedup on the cluster; its work folder (the shuffle files) is removed after."""
        from akhbar.distributed import dedup

        inp = layout.input("dedup")
        ranges = shards._parquet_ranges(inp, int(params["dedup"]["batch_size"]),
                                        self.shard_batches)
        work = layout.root / "_shards" / "dedup"
        if work.exists():
            shutil.rmtree(work)
        report, info = dedup.run(inp, layout.output("dedup"), layout.rejected("dedup"),
                                 params, self.client, work, ranges, self.partitions)
        shutil.rmtree(layout.root / "_shards", ignore_errors=True)
        report.write(layout.report("dedup"))
        self.info["dedup"] = {"executor": "cluster", **info}
        return report


def settings(params: Params, executor: str | None = None, scheduler: str | None = None,
             workers: int | None = None) -> dict[str, Any]:
    """The ``executor`` section of ``params`` overridden by the command-line options."""
    ex = dict(params.get("executor") or {})
    if executor is not None:
        ex["kind"] = executor
    if scheduler:
        ex["scheduler"] = scheduler
    if workers:
        ex["workers"] = workers
    kind = ex.get("kind", "local")
    if kind not in ("local", "dask"):
        raise ValueError(f"unknown executor {kind!r} (local | dask)")
    return ex


@contextlib.contextmanager
def stage_runner(params: Params, executor: str | None = None, scheduler: str | None = None,
                 workers: int | None = None) -> Iterator[DaskRunner | None]:
    """The stage runner the settings ask for: ``None`` (local ``run_stage``), or a
    :class:`DaskRunner` on the scheduler given, else on a local cluster of ``workers``
    processes (closed on exit)."""
    ex = settings(params, executor, scheduler, workers)
    if ex.get("kind", "local") == "local":
        yield None
        return
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - depends on the install
        from akhbar.errors import AkhbarError

        raise AkhbarError('the dask executor needs the "distributed" extra: '
                          'pip install "akhbar[distributed]"') from exc
    with contextlib.ExitStack() as stack:
        if ex.get("scheduler"):
            client = stack.enter_context(distributed.Client(str(ex["scheduler"])))
        else:
            cluster = stack.enter_context(distributed.LocalCluster(
                n_workers=int(ex.get("workers", 2)), threads_per_worker=1, processes=True,
                host="127.0.0.1", dashboard_address=None))
            client = stack.enter_context(distributed.Client(cluster))
        yield DaskRunner(client, params)
