"""``akhbar build``: the whole pipeline in one process, without DVC.

Runs the same stage functions as ``dvc repro`` (through :mod:`akhbar.pipeline`), with a
progress display and a closing summary table. Intermediate tables go to a work folder
(temporary unless ``work`` is given) so that the output folder holds only the dataset.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from akhbar import collect
from akhbar.errors import AkhbarError, ValidationFailed
from akhbar.params import Params
from akhbar.pipeline import STAGES, Layout, run_stage


@dataclass
class BuildResult:
    """What a build produced, for the CLI summary and for tests."""

    out: Path
    stats: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    validation: dict[str, Any] | None = None


def _check_inputs(raw_paths: Sequence[Path]) -> list[Path]:
    paths = [Path(p) for p in raw_paths]
    if not paths:
        raise AkhbarError("no raw path given")
    for p in paths:
        if not p.exists():
            raise AkhbarError(f"{p}: raw path does not exist")
    return paths


def _reset_outputs(out: Path) -> None:
    """Remove outputs of an earlier build so no stale shard survives into this one."""
    for sub in ("data", "rejected"):
        if (out / sub).exists():
            shutil.rmtree(out / sub)
    out.mkdir(parents=True, exist_ok=True)


def build(raw_paths: Sequence[Path], out: Path, params: Params, *, work: Path | None = None,
          validate: bool = True, card: bool = True,
          console: Console | None = None, runner: Any = None) -> BuildResult:
    """Build a dataset folder ``out`` from raw paths; raise on a failed validation.
    ``runner`` replaces :func:`run_stage` up to dedup (``akhbar.distributed.executor``)."""
    paths = _check_inputs(raw_paths)
    out = Path(out)
    console = console or Console(stderr=True)
    _reset_outputs(out)
    timings: dict[str, float] = {}
    names = [s for s, _, _ in STAGES] + ["split"] + (["validate"] if validate else []) + (
        ["card"] if card else [])
    with tempfile.TemporaryDirectory(prefix="akhbar-work-") as tmp:
        layout = Layout(Path(work) if work else Path(tmp))
        progress = Progress(TextColumn("[bold]{task.description:<10}"), BarColumn(),
                            TextColumn("{task.completed}/{task.total} stages"),
                            TimeElapsedColumn(), console=console, transient=True)
        validation: dict[str, Any] | None = None
        with progress:
            task = progress.add_task("build", total=len(names))
            for name in names:
                progress.update(task, description=name)
                t0 = time.perf_counter()
                if name == "split":
                    run_stage("split", layout, params, dataset_dir=out)
                    stats = collect.run(layout, out)
                elif name == "validate":
                    validation = _validate(out, params)
                elif name == "card":
                    from akhbar import card as card_stage

                    card_stage.run(out, params, validation=validation)
                else:
                    (runner or run_stage)(name, layout, params, raw_paths=paths)
                timings[name] = round(time.perf_counter() - t0, 3)
                progress.advance(task)
    _write_timings(out, timings)
    return BuildResult(out=out, stats=stats, timings=timings, validation=validation)


def _validate(out: Path, params: Params) -> dict[str, Any]:
    from akhbar import validate as validate_stage

    result = validate_stage.run(out, params, reports_dir=out / "reports")
    if not result.ok:
        raise ValidationFailed(result.summary())
    report = out / "reports" / "validation.json"
    return json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}


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
