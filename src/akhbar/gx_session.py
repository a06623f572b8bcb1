"""One Great Expectations context per process, and a worker that sets it up early.

Why: importing GX (with pandas, scipy and altair behind it) and building an ephemeral
context costs the ``validate`` stage more CPU than validating SaudiNewsNet's rows does.
That cost does not depend on the data, so ``akhbar build`` starts a validation worker
process before ingest (:func:`warm_up`): it imports GX and builds its context on the
other core while ingest → split run, and the ``validate`` stage then runs in it
(:func:`run_in_worker`) with everything ready. A process rather than a thread: GX's
import is pure Python, and a thread would hold the GIL against the stages' own Python.
While the main process waits for the worker, a thread imports the card's heavy modules
(``datasets``, matplotlib: :func:`warm_card`), which costs the main process nothing then.

:func:`gx` builds at most one context per process (a lock guards it).
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from akhbar.expectations_report import MAX_EXAMPLES

log = logging.getLogger(__name__)
T = TypeVar("T")


class Gx:
    """An ephemeral GX context with one pandas data source for in-memory frames."""

    def __init__(self) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig
        from great_expectations.execution_engine import pandas_execution_engine

        # GX fingerprints every pandas batch under 1 GB by hashing all of its cells (a batch
        # marker nothing here reads): a quarter of the stage's CPU on text batches. The
        # module constant is read at each call; 0 turns the fingerprint off.
        pandas_execution_engine.HASH_THRESHOLD = 0
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        source = self.context.data_sources.add_pandas("akhbar")
        asset = source.add_dataframe_asset("frames")
        self.batch_definition = asset.add_batch_definition_whole_dataframe("whole")

    def validate(self, suite: Any, frame: Any, parameters: dict[str, Any],
                 index: list[str] | None = None) -> Any:
        """Run one suite on ``frame``."""
        return self.validate_many([suite], frame, parameters, index)[0]

    def validate_many(self, suites: list[Any], frame: Any, parameters: dict[str, Any],
                      index: list[str] | None = None) -> list[Any]:
        """Run several suites on one GX batch of ``frame`` (its setup runs once)."""
        batch = self.batch_definition.get_batch(batch_parameters={"dataframe": frame})
        fmt: dict[str, Any] = {"result_format": "SUMMARY",
                               "partial_unexpected_count": MAX_EXAMPLES}
        if index:
            fmt["unexpected_index_column_names"] = [c for c in index if c in frame.columns]
        return [batch.validate(suite, expectation_parameters=parameters, result_format=fmt)
                for suite in suites]


_LOCK = threading.Lock()
_GX: Gx | None = None


def gx() -> Gx:
    """The process's context, built on first use (or already by :func:`warm_up`)."""
    global _GX
    with _LOCK:
        if _GX is None:
            _GX = Gx()
        return _GX


def pandas_frame(table: Any) -> Any:
    """Arrow → pandas with Arrow-backed columns (no per-cell Python objects)."""
    import pandas as pd

    return table.to_pandas(types_mapper=pd.ArrowDtype)


#: Modules the card stage imports that cost seconds (``datasets`` alone ~6 s of CPU).
CARD_MODULES = ("akhbar.card", "akhbar.card_body")

_POOL: ProcessPoolExecutor | None = None


def _pool() -> ProcessPoolExecutor:
    """The one validation worker of this process, kept for later builds (tests build many
    times; the worker's context is built once). ``spawn``: the parent holds polars' threads,
    which a forked child must not inherit."""
    global _POOL
    if _POOL is None:
        _POOL = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    return _POOL


def _warm_validation() -> None:
    gx()
    importlib.import_module("akhbar.expectations_suites")


def warm_up() -> None:
    """Start the validation worker and its GX setup now (``akhbar build`` calls this
    before ingest); returns at once."""
    _pool().submit(_warm_validation)


def run_in_worker(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` in the validation worker (arguments and result pickled); in
    this process when the worker is gone (killed, or out of memory)."""
    global _POOL
    try:
        return _pool().submit(fn, *args, **kwargs).result()
    except BrokenProcessPool:
        log.warning("the validation worker died; validating in the main process")
        _POOL = None
        return fn(*args, **kwargs)


#: Set to 1 by a process that builds many times (the test suite): the worker is kept.
KEEP_ENV = "AKHBAR_KEEP_GX_WORKER"


def release() -> None:
    """Shut the validation worker down once validation is done: it holds GX and its
    context (~0.5 GB on SaudiNewsNet) while the card stage, the build's peak, runs. A
    process that builds again re-spawns it (seconds); one that sets ``KEEP_ENV`` keeps it."""
    global _POOL
    if _POOL is not None and os.environ.get(KEEP_ENV) != "1":
        pool, _POOL = _POOL, None
        pool.shutdown(wait=True, cancel_futures=True)


def _import_card() -> None:
    try:
        for name in CARD_MODULES:
            importlib.import_module(name)
    except Exception:  # the card stage will raise the same error, with its context
        log.debug("card warm-up failed", exc_info=True)


def warm_card() -> threading.Thread:
    """Import the card's modules in a daemon thread (started while the main thread waits
    for the validation worker, so it takes no GIL time from a stage); join it before the
    process ends (an import cut short by interpreter shutdown can crash it)."""
    thread = threading.Thread(target=_import_card, name="akhbar-card-imports", daemon=True)
    thread.start()
    return thread
