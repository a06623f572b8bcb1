"""The ``akhbar`` command line (typer): build, validate, release, export, bench.

Exit codes: 0 success, 1 a build or validation failure, 2 a usage error (a refused output
folder, a held lock, bad parameters, an empty input); see :mod:`akhbar.errors`. Paths are
made absolute here, once, so every later step (Data Docs included) sees absolute paths.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from akhbar import params as params_mod
from akhbar.errors import AkhbarError, UsageError
from akhbar.guard import absolute

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Build, validate and release the Akhbar Arabic news corpus.")
console = Console(stderr=True)

ParamsOpt = Annotated[Path | None, typer.Option("--params", help="YAML merged over defaults")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="show full tracebacks")]


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("akhbar")
        except PackageNotFoundError:  # pragma: no cover - run from a source tree
            from akhbar import __version__ as number
        typer.echo(f"akhbar {number}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="print the version and exit")
        ] = False) -> None:
    """Build, validate and release the Akhbar Arabic news corpus."""


def _params(path: Path | None) -> params_mod.Params:
    """Parameters, or a usage error (exit 2) naming the file when they cannot be read."""
    try:
        return params_mod.load(absolute(path) if path else None)
    except Exception as exc:
        if hasattr(exc, "exit_code"):
            raise
        raise UsageError(f"--params {path}: {exc}") from exc


def _given(path: str) -> str:
    """A raw path for the card: a URL as written, a local path made absolute."""
    from akhbar.distributed.storage import is_url, url

    return url(path) if is_url(path) else str(absolute(Path(path)))


def _fail(exc: BaseException, debug: bool) -> None:
    """One clear line for the user (not wrapped, not read as markup); the traceback only
    on --debug. Exit code: the error's own (``exit_code``), else 1."""
    if debug:
        raise exc
    code = getattr(exc, "exit_code", 1)
    if isinstance(exc, AkhbarError) or hasattr(exc, "exit_code"):
        console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
    else:
        console.print(f"[red]error:[/red] {escape(f'{type(exc).__name__}: {exc}')}\n"
                      "(run again with --debug for the traceback)", soft_wrap=True)
    raise typer.Exit(code if isinstance(code, int) else 1)


@app.command()
def build(
    raw_paths: Annotated[list[str], typer.Argument(
        help="files, folders or archives (local, or any fsspec URL: s3://, memory://)")],
    out: Annotated[str, typer.Option("--out", "-o", help="dataset folder (or fsspec URL)")],
    params: ParamsOpt = None,
    work: Annotated[Path | None, typer.Option(help="keep intermediate tables here")] = None,
    no_validate: Annotated[bool, typer.Option("--no-validate")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="replace OUT even if Akhbar did not write it")] = False,
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
        loaded = _params(params)
        with staged(raw_paths, out) as (local_raw, local_out), \
                stage_runner(loaded, executor, scheduler, workers) as runner:
            result = run_build([absolute(p) for p in local_raw], absolute(local_out), loaded,
                               work=absolute(work) if work else None,
                               validate=not no_validate, force=force, console=console,
                               runner=runner, given=[_given(p) for p in raw_paths])
    except Exception as exc:
        _fail(exc, debug)
        return
    console.print(summary_table(result))


@app.command()
def inspect(
    raw_paths: Annotated[list[Path], typer.Argument(help="files, folders or archives")],
    params: ParamsOpt = None,
    sample: Annotated[int, typer.Option(help="files (or archive members) to read")] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    debug: DebugOpt = False,
) -> None:
    """Show what a build would read: formats, encodings, field mapping, column coverage
    and three parsed examples, on a sample, in seconds."""
    import json

    from akhbar.inspect import inspect as run_inspect
    from akhbar.inspect import render

    try:
        missing = [str(p) for p in raw_paths if not p.exists()]
        if missing:
            raise AkhbarError(f"no such file or folder: {', '.join(missing)}")
        result = run_inspect(raw_paths, params_mod.load(params), sample=sample)
    except Exception as exc:
        _fail(exc, debug)
        return
    typer.echo(json.dumps(result, ensure_ascii=False, indent=1) if as_json else render(result))


@app.command()
def validate(
    dataset_dir: Annotated[Path, typer.Argument(help="a built dataset folder")],
    params: ParamsOpt = None,
    reports: Annotated[Path | None, typer.Option(help="where to write reports")] = None,
    debug: DebugOpt = False,
) -> None:
    """Run the expectation suites on a built dataset; exit 1 when one fails."""
    from akhbar import validate as validate_stage

    dataset_dir = absolute(dataset_dir)
    try:
        if not (dataset_dir / "data").is_dir():
            raise UsageError(f"{dataset_dir}: not a dataset folder (no data/ inside)")
        result = validate_stage.run(dataset_dir, _params(params),
                                    reports_dir=absolute(reports or dataset_dir / "reports"))
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
        release_mod.release(version, absolute(repo))
    except Exception as exc:
        _fail(exc, debug)


@app.command()
def export(dataset_dir: Annotated[Path, typer.Argument()],
           dest: Annotated[Path, typer.Argument()], debug: DebugOpt = False) -> None:
    """Write a Hub-ready copy of a dataset folder (card, data, plots)."""
    from akhbar import card

    try:
        card.export(absolute(dataset_dir), absolute(dest))
    except Exception as exc:
        _fail(exc, debug)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True,
                               "help_option_names": []})  # --help: the benchmark's own
def bench(ctx: typer.Context) -> None:
    """Benchmark a full build: per-stage wall/CPU/RSS (`akhbar bench --help`)."""
    try:  # a development tool, outside the library: absent from a plain install
        from akhbar_dev.bench import main as bench_main
    except ImportError as exc:
        console.print(f"[red]akhbar bench needs the development tools (akhbar_dev): {exc}."
                      " Run it from a source checkout (`make env`).[/red]")
        raise typer.Exit(2) from exc
    raise typer.Exit(bench_main(list(ctx.args)))




@app.command()
def explore(
    dataset_dir: Annotated[Path, typer.Argument(help="a built dataset folder")],
    serve: Annotated[bool, typer.Option("--serve", help="serve it on 127.0.0.1")] = False,
    compare: Annotated[Path | None, typer.Option(
        "--compare", help="an earlier build (folder or vX.Y.Z tag): adds a Changes page")] = None,
    params: ParamsOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Write DATASET_DIR/explorer/, a static offline site of what was kept, removed and why."""
    import time

    from akhbar import diff as diff_mod
    from akhbar import explore as explore_mod

    try:
        if not (dataset_dir / "data").is_dir():
            raise AkhbarError(f"{dataset_dir}: not a dataset folder (no data/ inside)")
        report = (diff_mod.compare(diff_mod.resolve(compare), dataset_dir)
                  if compare is not None else None)
        site = explore_mod.generate(dataset_dir, compare=report, params_path=params)
    except Exception as exc:
        _fail(exc, debug)
        return
    console.print(f"explorer written: {site / 'index.html'} (open it in a browser)")
    if serve:
        server, url = explore_mod.serve(site)
        print(url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            server.shutdown()


@app.command()
def diff(
    before: Annotated[str, typer.Argument(help="build folder (or vX.Y.Z release tag)")],
    after: Annotated[str, typer.Argument(help="build folder (or vX.Y.Z release tag)")],
    json_path: Annotated[Path | None, typer.Option("--json", help="write the report here")] = None,
    repo: Annotated[Path, typer.Option(help="git repository of release tags")] = Path("."),
    debug: DebugOpt = False,
) -> None:
    """Articles added, removed, moved between splits and changed from BEFORE to AFTER."""
    from akhbar import diff as diff_mod

    try:
        report = diff_mod.compare(diff_mod.resolve(before, repo), diff_mod.resolve(after, repo))
        if json_path is not None:
            diff_mod.write_json(report, json_path)
    except Exception as exc:
        _fail(exc, debug)
        return
    print(diff_mod.changelog_section(report))


def main() -> None:  # pragma: no cover - console entry point
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.exit(app())


if __name__ == "__main__":  # pragma: no cover
    main()
