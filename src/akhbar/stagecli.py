"""Entry point shared by ``scripts/<stage>.py``: the DVC side of the pipeline.

Each script is a thin wrapper (``main("clean")``) so that ``dvc.yaml`` lists one script
per stage while the logic stays in the library; the stage is looked up in the registry
(:mod:`akhbar.pipeline`) and called through its step, as ``akhbar build`` calls it. Exit
codes as the CLI's: 1 a failed stage (validation, a ``build`` floor of :mod:`akhbar.floors`
when the rejected rows are published), 2 bad parameters.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
from pathlib import Path

from akhbar import params as params_mod
from akhbar.errors import AkhbarError
from akhbar.pipeline import Context, Layout, get


def main(stage: str, argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"scripts/{stage}.py",
                                     description=f"Run the {stage!r} stage of the pipeline.")
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    parser.add_argument("--root", type=Path, default=Path("data"),
                        help="folder of intermediate tables")
    parser.add_argument("--dataset", type=Path, default=Path("dataset"))
    parser.add_argument("--reports", type=Path, default=Path("reports"))
    args = parser.parse_args(argv)
    try:
        spec = get(stage)
        params = params_mod.load(args.params)
        with _stage_runner(params) as runner:  # params.yaml executor.kind
            ctx = Context(Layout(args.root), params, dataset=args.dataset.resolve(),
                          reports=args.reports.resolve(), runner=runner,
                          citation=args.params.resolve().parent / "CITATION.cff")
            spec.step(spec, ctx)
    except Exception as exc:
        return _error(exc)
    if ctx.report is not None:
        r = ctx.report
        print(f"{stage}: {r.rows_in} in, {r.rows_out} out, "
              f"{sum(r.rejected.values())} rejected ({r.seconds:.2f}s)")
    elif ctx.message:
        print(ctx.message)
    return 0


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
