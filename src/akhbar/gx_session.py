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
from typing import Any, NamedTuple, TypeVar

from akhbar.expectations_report import MAX_EXAMPLES

log = logging.getLogger(__name__)
T = TypeVar("T")


class SuiteResult(NamedTuple):
    """What :meth:`Gx.validate_many` returns per suite: GX's expectation results, in the
    order GX itself gives them for the whole suite on one frame."""

    results: list[Any]
    success: bool


#: Domain keywords that name the columns an expectation reads (``column_list`` only where
#: it is the domain, as for multicolumn expectations, not an expected list of names).
_COLUMN_KWARGS = ("column", "column_A", "column_B", "column_list")


def _group_columns(expectations: list[Any]) -> tuple[str, ...] | None:
    """The columns a group of expectations reads; None when one of them reads the whole
    table (a table-level domain, a row condition) or names a column through a parameter."""
    names: list[str] = []
    for e in expectations:
        kwargs = e.configuration.kwargs
        if kwargs.get("row_condition"):
            return None
        got: list[Any] = []
        for k in _COLUMN_KWARGS:
            if k in type(e).domain_keys and k in kwargs:
                value = kwargs[k]
                got.extend(value if isinstance(value, list) else [value])
        if not got or not all(isinstance(n, str) for n in got):
            return None
        names.extend(got)
    return tuple(dict.fromkeys(names))


def _plan(suite: Any) -> list[tuple[tuple[str, ...] | None, Any]]:
    """The suite cut into GX's own evaluation order (``Validator.
    process_expectations_for_validation``: expectations grouped by their ``column``, in
    order of first appearance, those without one as one more group), each
    group with the columns it reads. Concatenated, the groups' results are the suite's."""
    import copy

    import great_expectations as gx

    groups: dict[Any, list[Any]] = {}
    for e in suite.expectations:
        column = e.configuration.kwargs.get("column")
        if column is not None and not isinstance(column, str):
            return [(None, suite)]  # a parameterised column: GX orders it after substitution
        groups.setdefault(column if column is not None else _NO_COLUMN, []).append(e)
    return [(_group_columns(exps), gx.ExpectationSuite(
                name=suite.name, expectations=[copy.deepcopy(e) for e in exps]))
            for exps in groups.values()]


_NO_COLUMN = object()


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
        # suite id -> (suite, plan); the suite is kept so that its id is not reused
        self._plans: dict[int, tuple[Any, list[tuple[tuple[str, ...] | None, Any]]]] = {}
        self._plans_lock = threading.Lock()

    def plan(self, suite: Any) -> list[tuple[tuple[str, ...] | None, Any]]:
        """:func:`_plan` of ``suite``, built once per suite object (a few recent ones)."""
        with self._plans_lock:  # a Dask worker may validate parts in several threads
            got = self._plans.get(id(suite))
            if got is None or got[0] is not suite:
                if len(self._plans) >= _PLANS_KEPT:
                    self._plans.pop(next(iter(self._plans)))
                got = self._plans[id(suite)] = (suite, _plan(suite))
            return got[1]

    def validate(self, suite: Any, frame: Any, parameters: dict[str, Any],
                 index: list[str] | None = None) -> SuiteResult:
        """Run one suite on ``frame``."""
        return self.validate_many([suite], frame, parameters, index)[0]

    def validate_many(self, suites: list[Any], frame: Any, parameters: dict[str, Any],
                      index: list[str] | None = None) -> list[SuiteResult]:
        """Run several suites on ``frame`` (a pyarrow Table, or a pandas frame).

        Why not one GX batch of the whole frame: each expectation of a column reads that
        column only, but GX filters the whole frame by it (a row with a null title copies
        every text). A Table is cut into one narrow frame per group of :func:`_plan` (its
        columns and ``index``); the groups' results, concatenated, are what GX returns
        for the whole suite. Each group runs in GX's BASIC result format first (success,
        counts: all ``validation.json`` keeps of a passing check, at about half the cost
        of SUMMARY); a group with a failed or raising expectation runs again in SUMMARY
        with the ids of its first unexpected rows, so a failure is reported as before."""
        import pyarrow as pa

        table = frame if isinstance(frame, pa.Table) else None
        names = table.column_names if table is not None else list(frame.columns)
        keys = [c for c in index or [] if c in names]
        whole: list[Any] = [] if table is not None else [frame]
        out = []
        for suite in suites:
            plan = self.plan(suite) if table is not None else [(None, suite)]
            results: list[Any] = []
            for columns, sub in plan:
                if columns is None:
                    if not whole:
                        whole.append(pandas_frame(table))
                    part = whole[0]
                else:
                    part = pandas_frame(table.select(
                        [c for c in dict.fromkeys([*columns, *keys]) if c in names]))
                results.extend(self._run(sub, part, parameters, keys))
            out.append(SuiteResult(results, all(r.success for r in results)))
        return out

    def _run(self, suite: Any, frame: Any, parameters: dict[str, Any],
             keys: list[str]) -> list[Any]:
        batch = self.batch_definition.get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(suite, expectation_parameters=parameters,
                                result_format=_BASIC)
        if not result.success:
            fmt: dict[str, Any] = {**_SUMMARY}
            if keys:
                fmt["unexpected_index_column_names"] = keys
            result = batch.validate(suite, expectation_parameters=parameters,
                                    result_format=fmt)
        return list(result.results)


#: The first pass: success and counts. No unexpected-index query string (nothing reads it).
_BASIC: dict[str, Any] = {"result_format": "BASIC", "partial_unexpected_count": MAX_EXAMPLES,
                          "return_unexpected_index_query": False}
#: A failed group again: the first unexpected rows' ids (``unexpected_index_column_names``).
_SUMMARY: dict[str, Any] = {"result_format": "SUMMARY",
                            "partial_unexpected_count": MAX_EXAMPLES,
                            "return_unexpected_index_query": False}
_PLANS_KEPT = 64


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
    """Arrow → pandas: strings and lists stay Arrow-backed (no per-cell Python objects);
    numbers and time zone-aware timestamps become numpy columns where that is exact,
    because GX's range check runs vectorized on numpy dtypes and calls Python once per
    cell on Arrow ones. Not exact, so left to Arrow: a float column holding NaN (a value
    for Arrow, a null for numpy), an integer column with nulls (it would become float),
    a naive timestamp (GX compares it with the UTC bounds only cell by cell)."""
    import pandas as pd

    keep = {f.type for f, col in zip(table.schema, table.columns, strict=True)
            if not _numpy_exact(col)}

    def mapper(t: Any) -> Any:
        return None if t not in keep and _numpy_type(t) else pd.ArrowDtype(t)

    return table.to_pandas(types_mapper=mapper)


def _numpy_type(t: Any) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_floating(t) or pa.types.is_integer(t)
                or (pa.types.is_timestamp(t) and t.tz is not None))


def _numpy_exact(col: Any) -> bool:
    """Whether ``col`` converts to numpy with the same values and nulls."""
    import pyarrow as pa
    import pyarrow.compute as pc

    t = col.type
    if pa.types.is_floating(t):
        return not pc.any(pc.is_nan(col)).as_py()
    if pa.types.is_integer(t):
        return col.null_count == 0
    return _numpy_type(t)


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
