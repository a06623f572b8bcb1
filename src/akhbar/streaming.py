"""The one streaming loop every batch stage runs on.

Why one loop: parse, clean, quality and dedup used to open two sinks, read batches, write
and count reasons each in their own way (and count ``rows_out`` two different ways). A
stage now says only what is its own:

* ``prepare(inp) -> state``: the corpus-level passes it needs before the first output row
  (clean's per-source line index and yeh evidence, dedup's clustering plan, parse's site
  suffixes); stages that map batches independently keep the default, which prepares
  nothing;
* ``step(batch, state) -> (kept, rejected)``: one input batch in, the kept rows (in input
  order) and the rejected rows (``stage.rejected_frame``, reasons ``<stage>:<why>``) out;
* ``finish(state) -> stats``: the stage's ``report.stats`` once every batch is through.

The loop owns the rest: the output sink (numbered parts) and the rejected sink, batching,
``rows_in``/``rows_out`` (counted from what the sinks received), the reason counts and the
:class:`akhbar.stage.StageReport`. Its time includes the prepare passes. Batch ``i`` is
written (in a writer thread) while batch ``i + 1`` is stepped.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import polars as pl
import pyarrow as pa

from akhbar import io
from akhbar.schema import ARTICLE_SCHEMA, REJECTED_SCHEMA
from akhbar.stage import StageReport, count_reasons

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")
Step = Callable[[pl.DataFrame, S], tuple[pl.DataFrame, pl.DataFrame]]


def _write(sink: io.ParquetSink, rsink: io.ParquetSink, kept: pl.DataFrame,
           rejects: pl.DataFrame) -> None:
    """One batch's rows to the sinks, in a writer thread: conforming and compressing
    (pyarrow, mostly without the GIL) overlap the next batch's step. One writer, waited
    for before the next batch is handed over, so the bytes and their order are those of a
    sequential loop and at most one finished batch is held."""
    sink.write(kept)
    rsink.write(rejects)  # as we go: kept rows never pin a whole batch


def _nothing(inp: Path) -> Any:
    return None


def _no_stats(state: Any) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Passes(Generic[S]):
    """What a batch stage supplies to :func:`run` (see the module docstring)."""

    step: Step[S]
    prepare: Callable[[Path], S] = _nothing
    finish: Callable[[S], dict[str, Any]] = _no_stats


def run(name: str, inp: Path, out: Path, rejected: Path, passes: Passes[S], *,
        batch_size: int, rows_per_file: int, schema: pa.Schema = ARTICLE_SCHEMA
        ) -> StageReport:
    """Run ``passes`` over the Parquet parts of ``inp``: kept rows to ``out`` (parts of
    ``rows_per_file`` rows), rejected rows to the file ``rejected``; the report counts
    both. Every input row must come out in exactly one of the two (the stage contract);
    a stage that splits a row into several (parse's "read also" articles) counts them as
    output rows."""
    report = StageReport(name)
    state = passes.prepare(Path(inp))
    with io.ParquetSink(Path(out), schema, rows_per_file=rows_per_file) as sink, \
            io.ParquetSink(Path(rejected), REJECTED_SCHEMA) as rsink, \
            ThreadPoolExecutor(max_workers=1) as writer:
        writing: Future[None] | None = None
        for batch in io.read_batches(Path(inp), batch_size=batch_size):
            report.rows_in += batch.height
            kept, rejects = passes.step(batch, state)
            report.rejected.update(count_reasons(rejects))
            if writing is not None:
                writing.result()  # in order, and at most one batch waiting to be written
            writing = writer.submit(_write, sink, rsink, kept, rejects)
        if writing is not None:
            writing.result()
    report.rows_out = sink.rows
    report.stats = passes.finish(state)
    return report.finish()


def threads() -> int:
    """Worker threads for the batch passes: as many as polars may use (``POLARS_MAX_THREADS``
    limits both), at most 4 so that at most 5 batches are in memory at once."""
    return max(1, min(pl.thread_pool_size(), 4))


def ordered_map(fn: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """``map(fn, items)`` on ``workers`` threads, results in input order, at most
    ``workers + 1`` items submitted ahead of the consumer. Threads pay because the batch
    work (polars, Arrow, numpy, rensa) runs outside the GIL. Hand-written: the standard
    ``Executor.map`` submits every item at once (the whole input in memory) before
    Python 3.14's ``buffersize``."""
    if workers <= 1:
        yield from map(fn, items)
        return
    with ThreadPoolExecutor(workers, thread_name_prefix="akhbar-batch") as pool:
        ahead: deque[Future[R]] = deque()
        for item in items:
            ahead.append(pool.submit(fn, item))
            if len(ahead) > workers:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()
