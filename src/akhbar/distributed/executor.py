"""``--executor dask``: the pipeline's stages on a Dask distributed cluster.

:class:`DaskRunner` has the signature of :func:`akhbar.pipeline.run_stage`, so ``akhbar
build`` and the DVC scripts call it in its place and nothing else changes:

* ingest, filter: shards of the same stage ``run`` (:mod:`akhbar.parallel`);
* parse and clean (corpus-level passes: per-folder title suffixes, per-source boilerplate
  and residue), dedup (its story clusters are not distributed yet; the cluster version of
  its copy decisions is :mod:`akhbar.distributed.dedup`), split, publication, validation
  and the card run in the driver, streaming, as locally.

Output bytes equal the local executor's (tests/test_distributed.py). The workers must see
the build's work folder (one machine, or a shared volume).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from akhbar import parallel
from akhbar.config import Executor
from akhbar.params import Params, typed
from akhbar.pipeline import Layout, run_stage
from akhbar.stage import StageReport

#: Stages that run as tasks on the cluster; the others run in the driver.
CLUSTER_STAGES = ("ingest", "filter")


class DaskRunner:
    """``run_stage`` on a ``distributed.Client``; keeps per-stage cluster figures in
    :attr:`info` (waves, shuffle bytes) for benchmarks."""

    def __init__(self, client: Any, params: Params) -> None:
        params = typed(params)
        self.client = client
        self.shard_batches = params.executor.shard_batches
        self.files_per_shard = params.executor.files_per_shard
        self.info: dict[str, Any] = {}

    def __call__(self, stage: str, layout: Layout, params: Params,
                 raw_paths: Sequence[Path] | None = None,
                 dataset_dir: Path | None = None) -> StageReport:
        if stage in CLUSTER_STAGES:
            return parallel.run(list(raw_paths or []), layout, params, self.client,
                                stages=[stage], shard_batches=self.shard_batches,
                                files_per_shard=self.files_per_shard)[stage]
        # dedup runs in the driver: its story clusters (``akhbar.stories``, the lower
        # threshold that keeps a rewritten story in one split) are not distributed yet, so
        # the cluster version of its copy decisions (akhbar.distributed.dedup) is not used
        # by the build until they are.
        return run_stage(stage, layout, params, raw_paths=raw_paths, dataset_dir=dataset_dir)


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
