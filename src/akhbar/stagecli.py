"""Entry point shared by ``scripts/<stage>.py``: the DVC side of the pipeline.

Each script is a thin wrapper (``main("clean")``) so that ``dvc.yaml`` lists one script
per stage while the logic stays in the library. Exit codes as the CLI's: 1 a failed
stage (validation, a ``build`` floor of :mod:`akhbar.floors` at the split), 2 bad
parameters.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import sys
from collections.abc import Callable
from pathlib import Path

from akhbar import params as params_mod
from akhbar.errors import AkhbarError, BuildCollapsed
from akhbar.pipeline import Layout, run_stage
from akhbar.stage import StageReport


def main(stage: str, argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"scripts/{stage}.py",
                                     description=f"Run the {stage!r} stage of the pipeline.")
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    parser.add_argument("--root", type=Path, default=Path("data"),
                        help="folder of intermediate tables")
    parser.add_argument("--dataset", type=Path, default=Path("dataset"))
    parser.add_argument("--reports", type=Path, default=Path("reports"))
    args = parser.parse_args(argv)
    args.dataset, args.reports = args.dataset.resolve(), args.reports.resolve()
    layout = Layout(args.root)
    try:
        params = params_mod.load(args.params)
        with _stage_runner(params) as runner:  # params.yaml executor.kind
            return _run(stage, args, params, layout, runner or run_stage)
    except Exception as exc:
        return _error(exc)


def _stage_runner(params: params_mod.Params) -> contextlib.AbstractContextManager:
    """The Dask runner when ``executor.kind`` asks for it. Imported by name, and only then:
    the executor changes where a stage runs, never its output bytes, so it is not a code
    dependency of the DVC stages (dvc.yaml's deps are checked against static imports)."""
    if params.executor.kind == "local":
        return contextlib.nullcontext(None)
    executor = importlib.import_module("akhbar.distributed.executor")
    return executor.stage_runner(params)


def _error(exc: BaseException) -> int:
    """One line on stderr; the exception's exit code (2 for bad parameters), else 1."""
    code = getattr(exc, "exit_code", None)
    if code is None and not isinstance(exc, AkhbarError):
        raise exc
    print(f"error: {exc}", file=sys.stderr)
    return code if isinstance(code, int) else 1


def _run(stage: str, args: argparse.Namespace, params: params_mod.Params, layout: Layout,
         run: Callable[..., StageReport]) -> int:
    try:
        if stage == "ingest":
            paths = [Path(p) for p in params.raw.paths]
            missing = [str(p) for p in paths if not p.exists()]
            if missing:
                raise AkhbarError(f"raw path(s) not found: {', '.join(missing)}")
            report = run("ingest", layout, params, raw_paths=paths)
        elif stage == "split":
            from akhbar import collect, floors

            report = run_stage("split", layout, params, dataset_dir=args.dataset)
            problems = floors.check(collect.run(layout, args.dataset), params)
            if problems:  # outputs stay written (rejected/ included); the stage fails
                raise BuildCollapsed(floors.message(problems))
        elif stage == "validate":
            from akhbar import validate

            result = validate.run(args.dataset, params, reports_dir=args.reports)
            print(result.summary())
            return 0 if result.ok else 1
        elif stage == "card":
            from akhbar import card

            report_path = args.reports / "validation.json"
            validation = (json.loads(report_path.read_text(encoding="utf-8"))
                          if report_path.exists() else None)
            card.run(args.dataset, params, validation=validation,
                     citation_path=args.params.resolve().parent / "CITATION.cff")
            return 0
        else:
            report = run(stage, layout, params)
    except Exception as exc:
        return _error(exc)
    print(f"{stage}: {report.rows_in} in, {report.rows_out} out, "
          f"{sum(report.rejected.values())} rejected ({report.seconds:.2f}s)")
    return 0
