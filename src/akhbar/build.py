"""``akhbar build``: the whole pipeline in one process, without DVC.

Runs the stages of the registry (:mod:`akhbar.pipeline`), as ``dvc repro`` does, with a
progress display and a closing summary table. The output folder is guarded
(:mod:`akhbar.guard`: never an input, never a folder Akhbar did not write, one build at a
time) and published atomically (:mod:`akhbar.publish`): stages write into a staging folder
next to OUT, swapped in at the very end, so OUT always holds one complete dataset.

A failing build (validation failed, or a ``build`` floor of :mod:`akhbar.floors`) exits 1
and never replaces a dataset that passed: it is published only into an OUT that holds no
such dataset (so that a first build can be inspected in place), and otherwise kept in
``.<OUT>.akhbar/failed/`` until the next build.
"""

from __future__ import annotations

import json
import resource
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from akhbar import floors, guard, gx_session, memory, publish
from akhbar.errors import AkhbarError, BuildCollapsed, UsageError, ValidationFailed
from akhbar.params import Params
from akhbar.pipeline import Context, Layout, plan


@dataclass
class BuildResult:
    """What a build produced, for the CLI summary and for tests."""

    out: Path
    stats: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    validation: dict[str, Any] | None = None


@dataclass(frozen=True)
class StageMeasure:
    """What one stage of a build cost, handed to ``build(..., on_stage=...)`` after it
    (the benchmark's hook: no need to wrap the stage functions). ``cpu_s`` counts every
    thread and child process (the validation worker's GX setup lands in the stages it
    overlaps); ``peak_rss_bytes`` is the main process's peak so far."""

    name: str
    wall_s: float
    cpu_s: float
    peak_rss_bytes: int


def cpu_seconds() -> float:
    """CPU seconds of this process (all threads), of its finished child processes (a
    stage's worker pool) and of the live ones (the validation worker)."""
    import psutil

    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    live = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.Error:  # ended meanwhile: counted by RUSAGE_CHILDREN once waited for
            continue
        live += times.user + times.system
    return time.process_time() + kids.ru_utime + kids.ru_stime + live


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: kilobytes


def _check_inputs(raw_paths: Sequence[Path]) -> list[Path]:
    paths = [guard.absolute(p) for p in raw_paths]
    if not paths:
        raise UsageError("no raw path given")
    for p in paths:
        if not p.exists():
            raise UsageError(f"{p}: raw path does not exist")
        if p.is_dir() and not any(f.is_file() for f in p.rglob("*")):
            raise UsageError(f"{p}: the input folder holds no file")
    return paths


def build(raw_paths: Sequence[Path], out: Path, params: Params, *, work: Path | None = None,
          validate: bool = True, card: bool = True, force: bool = False,
          console: Console | None = None, runner: Any = None,
          given: Sequence[str] | None = None,
          on_stage: Callable[[StageMeasure], None] | None = None) -> BuildResult:
    """Build a dataset folder ``out`` from raw paths; raise UsageError (nothing written)
    when OUT is refused, ValidationFailed or BuildCollapsed when the build fails.
    ``runner`` replaces :func:`run_stage` (``akhbar.distributed.executor``); ``given``: the
    raw paths as the user gave them (URLs before staging), for the card; ``on_stage``: called
    with a :class:`StageMeasure` after each stage."""
    paths = _check_inputs(raw_paths)
    out = guard.absolute(out)
    if out.is_symlink():  # build beside, and swap, the folder it points to
        out = out.resolve()
    work = guard.absolute(work) if work else None
    guard.check_paths(paths, out, work)
    floors.check_params(params)
    console = console or Console(stderr=True)
    guard.check_existing(out, force)  # refuse before writing anything (the lock file)
    with publish.locked(out):
        publish.clean_leftovers(out)
        previous = guard.check_existing(out, force)  # again: the folder may have changed
        stage = publish.new_stage(out)
        staged = stage / "dataset"
        staged.mkdir()
        with publish.temporary_files_in(stage / "tmp"):
            result, failure = _run(paths, staged, params, Layout(work or stage / "work"),
                                   validate=validate, card=card, console=console,
                                   runner=runner,
                                   given=list(given) if given is not None else None,
                                   on_stage=on_stage)
        result.out = out
        if failure is None or previous != "ok":
            publish.checkpoint("staged")
            publish.swap(staged, out)
            where = out
        else:
            where = publish.keep_failed(staged, out)
        shutil.rmtree(stage, ignore_errors=True)
    if failure is not None:
        failure.args = (f"{failure.args[0]}{_where(failure, where, out)}",)
        failure.result = result  # type: ignore[attr-defined]
        raise failure
    return result


def _where(failure: AkhbarError, where: Path, out: Path) -> str:
    sep = "\n" if isinstance(failure, ValidationFailed) else " "  # after a multi-line summary
    if where == out:
        return f"{sep}(written to {out}, which held no dataset that passed, for inspection)"
    return f"{sep}({out} is unchanged; this build is kept in {where} until the next build)"


def _run(paths: list[Path], staged: Path, params: Params, layout: Layout, *,
         validate: bool, card: bool, console: Console, runner: Any,
         given: list[str] | None, on_stage: Callable[[StageMeasure], None] | None = None
         ) -> tuple[BuildResult, AkhbarError | None]:
    """Run every stage of the registry into ``staged``; return the result and the
    failure, if any (a failed build still runs the stages its failure does not make moot,
    so that it can be inspected). The validation worker sets GX up meanwhile
    (:mod:`akhbar.gx_session`)."""
    if validate:
        gx_session.warm_up()
    threads: list[Any] = []
    try:
        return _run_stages(paths, staged, params, layout, validate=validate, card=card,
                           console=console, runner=runner, given=given, on_stage=on_stage,
                           threads=threads)
    finally:
        for thread in threads:
            thread.join()


def _run_stages(paths: list[Path], staged: Path, params: Params, layout: Layout, *,
                validate: bool, card: bool, console: Console, runner: Any,
                given: list[str] | None, on_stage: Callable[[StageMeasure], None] | None,
                threads: list[Any]) -> tuple[BuildResult, AkhbarError | None]:
    timings: dict[str, float] = {}
    stages = plan(validate=validate, card=card)
    progress = Progress(TextColumn("[bold]{task.description:<10}"), BarColumn(),
                        TextColumn("{task.completed}/{task.total} stages"),
                        TimeElapsedColumn(), console=console, transient=True)
    ctx = Context(layout, params, dataset=staged, reports=staged / "reports",
                  raw_paths=paths, given=paths if given is None else given, runner=runner,
                  gx_worker=validate, warm_card=card, threads=threads)
    failure: AkhbarError | None = None
    with progress:
        task = progress.add_task("build", total=len(stages))
        for stage in stages:
            name = stage.name
            progress.update(task, description=name)
            t0, c0 = time.perf_counter(), cpu_seconds()
            if stage.runs_after(failure):
                try:
                    stage.step(stage, ctx)
                except (BuildCollapsed, ValidationFailed) as exc:  # a verdict, not a crash
                    failure = exc
            timings[name] = round(time.perf_counter() - t0, 3)
            memory.release()
            if on_stage is not None:
                on_stage(StageMeasure(name, time.perf_counter() - t0, cpu_seconds() - c0,
                                      _peak_rss_bytes()))
            publish.checkpoint(name)
            progress.advance(task)
    _write_timings(staged, timings)
    guard.write_marker(staged, "ok" if failure is None else "failed",
                       [] if failure is None else [str(failure.args[0]).splitlines()[0]])
    return BuildResult(out=staged, stats=ctx.stats, timings=timings,
                       validation=ctx.validation), failure


def _write_timings(out: Path, timings: dict[str, float]) -> None:
    """Timings vary run to run, so they live apart from the deterministic stats.json."""
    path = out / "reports" / "timings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(timings, indent=2) + "\n", encoding="utf-8")


def summary_table(result: BuildResult) -> Table:
    """Records in, kept per split, rejected per reason, time per stage."""
    stats = result.stats
    table = Table(title=f"Akhbar build → {result.out}", show_header=True)
    table.add_column("what")
    table.add_column("count / seconds", justify="right")
    table.add_row("raw records in", str(stats.get("records_in", 0)))
    for split, n in stats.get("articles", {}).items():
        table.add_row(f"kept: {split}", str(n))
    for reason, n in stats.get("rejected", {}).items():
        table.add_row(f"rejected: {reason}", str(n))
    for stage, secs in result.timings.items():
        table.add_row(f"time: {stage}", f"{secs:.2f}")
    table.add_row("time: total", f"{sum(result.timings.values()):.2f}")
    return table
