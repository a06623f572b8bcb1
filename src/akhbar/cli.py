"""The ``akhbar`` command line (typer): build, validate, release, export, bench."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from akhbar import params as params_mod
from akhbar.errors import AkhbarError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Build, validate and release the Akhbar Arabic news corpus.")
console = Console(stderr=True)

ParamsOpt = Annotated[Path | None, typer.Option("--params", help="YAML merged over defaults")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="show full tracebacks")]


def _fail(exc: BaseException, debug: bool) -> None:
    """One clear line for the user; the traceback only on --debug."""
    if debug:
        raise exc
    if isinstance(exc, AkhbarError):
        console.print(f"[red]error:[/red] {exc}")
    else:
        console.print(f"[red]error:[/red] {type(exc).__name__}: {exc}\n"
                      "(run again with --debug for the traceback)")
    raise typer.Exit(1)


@app.command()
def build(
    raw_paths: Annotated[list[str], typer.Argument(
        help="files, folders or archives (local, or any fsspec URL: s3://, memory://)")],
    out: Annotated[str, typer.Option("--out", "-o", help="dataset folder (or fsspec URL)")],
    params: ParamsOpt = None,
    work: Annotated[Path | None, typer.Option(help="keep intermediate tables here")] = None,
    no_validate: Annotated[bool, typer.Option("--no-validate")] = False,
    executor: Annotated[str | None, typer.Option(
        help="local | dask (default: params.yaml executor.kind)")] = None,
    scheduler: Annotated[str | None, typer.Option(
        help="tcp://HOST:PORT of a running Dask scheduler")] = None,
    workers: Annotated[int | None, typer.Option(
        help="worker processes of a local Dask cluster (when no --scheduler)")] = None,
    debug: DebugOpt = False,
) -> None:
    """Build a dataset folder from raw articles (the same stages as `dvc repro`)."""
    from akhbar.build import build as run_build
    from akhbar.build import summary_table
    from akhbar.distributed.executor import stage_runner
    from akhbar.distributed.storage import staged

    try:
        loaded = params_mod.load(params)
        with staged(raw_paths, out) as (local_raw, local_out), \
                stage_runner(loaded, executor, scheduler, workers) as runner:
            result = run_build(local_raw, local_out, loaded, work=work,
                               validate=not no_validate, console=console, runner=runner)
    except Exception as exc:
        _fail(exc, debug)
        return
    console.print(summary_table(result))


@app.command()
def validate(
    dataset_dir: Annotated[Path, typer.Argument(help="a built dataset folder")],
    params: ParamsOpt = None,
    reports: Annotated[Path | None, typer.Option(help="where to write reports")] = None,
    debug: DebugOpt = False,
) -> None:
    """Run the expectation suites on a built dataset; exit 1 when one fails."""
    from akhbar import validate as validate_stage

    try:
        if not (dataset_dir / "data").is_dir():
            raise AkhbarError(f"{dataset_dir}: not a dataset folder (no data/ inside)")
        result = validate_stage.run(dataset_dir, params_mod.load(params),
                                    reports_dir=reports or dataset_dir / "reports")
    except Exception as exc:
        _fail(exc, debug)
        return
    console.print(result.summary())
    if not result.ok:
        raise typer.Exit(1)


@app.command()
def release(version: Annotated[str, typer.Argument(help="X.Y.Z")],
            repo: Annotated[Path, typer.Option()] = Path("."), debug: DebugOpt = False) -> None:
    """Tag a validated, clean working tree as version X.Y.Z (card, citation, changelog)."""
    from akhbar import release as release_mod

    try:
        release_mod.release(version, repo)
    except Exception as exc:
        _fail(exc, debug)


@app.command()
def export(dataset_dir: Annotated[Path, typer.Argument()],
           dest: Annotated[Path, typer.Argument()], debug: DebugOpt = False) -> None:
    """Write a Hub-ready copy of a dataset folder (card, data, plots)."""
    from akhbar import card

    try:
        card.export(dataset_dir, dest)
    except Exception as exc:
        _fail(exc, debug)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench(ctx: typer.Context) -> None:
    """Benchmark a full build; options as in `scripts/benchmark.py --help`."""
    from akhbar.bench import main as bench_main

    raise typer.Exit(bench_main(list(ctx.args)))


def main() -> None:  # pragma: no cover - console entry point
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.exit(app())


if __name__ == "__main__":  # pragma: no cover
    main()
