"""The stage registry: every stage of the pipeline declared once, in pipeline order.

A :class:`Stage` says everything the wiring needs: its one name (the DVC stage, the
``scripts/<name>.py`` wrapper, the ``stats.json`` key, the ``stage`` column and the reason
prefix of its rejected rows), the module holding its ``run``, the ``params.yaml`` sections
it reads, the folder it writes and how it is called. ``akhbar build`` (:mod:`akhbar.build`),
the DVC scripts (:mod:`akhbar.stagecli`), the card's stage list, the validation suites'
reason list and ``tests/test_dvc_pipeline.py`` (``dvc.yaml`` against this table) all read
it, so a new stage is one module, one entry here and one ``dvc.yaml`` block. Nothing
outside this module branches on a stage's name: callers read the fields.

Intermediate folders live under one root (``data/`` for DVC, a work folder for the CLI)
and name the state of the data (``filtered``, ``deduplicated``).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from akhbar.errors import AkhbarError, BuildCollapsed, ValidationFailed
from akhbar.params import Params
from akhbar.stage import StageReport

#: What an executor needs to decide where a stage runs: ``map`` = batch by batch, rows are
#: independent (may be sharded across workers); ``corpus`` = has corpus-level passes (runs
#: in one place unless it has a distributed version); ``publish`` = writes the published
#: dataset's files from earlier outputs; ``check`` = reads the dataset and judges it.
Kind = Literal["map", "corpus", "publish", "check"]


@dataclass(frozen=True)
class Layout:
    """Where a build keeps its intermediate tables."""

    root: Path

    def output(self, stage: str) -> Path:
        folder = get(stage).output
        if folder is None:
            raise ValueError(f"stage {stage!r} writes no intermediate table")
        return self.root / folder

    def input(self, stage: str) -> Path | None:
        """The output of the nearest earlier stage that has one; ``None`` for the first
        stage, which reads the raw paths."""
        earlier = [s for s in STAGES[: index(stage)] if s.output is not None]
        return self.root / earlier[-1].output if earlier else None  # type: ignore[operator]

    def rejected(self, stage: str) -> Path:
        return self.root / "rejected" / f"{stage}.parquet"

    def report(self, stage: str) -> Path:
        return self.root / "stats" / f"{stage}.json"

    def rejected_files(self) -> list[Path]:
        return [self.rejected(s.name) for s in STAGES if s.rejects]

    def report_files(self) -> list[Path]:
        return [self.report(s.name) for s in STAGES if s.has_report]


@dataclass
class Context:
    """What one run of the pipeline hands from stage to stage (one process: ``akhbar
    build``; or one stage per process: the DVC scripts)."""

    layout: Layout
    params: Params
    dataset: Path | None = None  # the dataset folder being written
    reports: Path | None = None  # where validation writes its reports
    raw_paths: list[Path] | None = None  # None: ``raw.paths`` of the parameters
    given: Sequence[Path | str] | None = None  # raw paths as the user gave them (the card)
    citation: Path | None = None  # CITATION.cff to write, if any
    runner: Callable[..., StageReport] | None = None  # replaces run_stage (Dask executor)
    report: StageReport | None = None  # of the last stage that counts rows
    stats: dict[str, Any] = field(default_factory=dict)  # stats.json, once published
    validation: dict[str, Any] | None = None
    message: str = ""  # what the stage has to say (the validation summary)
    gx_worker: bool = False  # validate in the GX worker process that ``akhbar build`` warmed
    warm_card: bool = False  # import the card's libraries in a thread while validation runs
    threads: list[Any] = field(default_factory=list)  # joined by whoever made the context


# ------------------------------------------------------------------ how stages are called

def _configured_raw(params: Params) -> list[Path]:
    paths = [Path(p) for p in params.raw.paths]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise AkhbarError(f"raw path(s) not found: {', '.join(missing)}")
    return paths


def _rows(stage: Stage, ctx: Context) -> None:
    """A stage that reads the previous table (or the raw paths) and writes its own table
    and rejected rows, through the executor's runner when there is one."""
    paths = ctx.raw_paths
    if paths is None and ctx.layout.input(stage.name) is None:
        paths = _configured_raw(ctx.params)
    ctx.report = (ctx.runner or run_stage)(stage.name, ctx.layout, ctx.params,
                                           raw_paths=paths)


def _into_dataset(stage: Stage, ctx: Context) -> None:
    """A stage that writes into the dataset folder (the split), through the executor's
    runner when there is one."""
    ctx.report = (ctx.runner or run_stage)(stage.name, ctx.layout, ctx.params,
                                           dataset_dir=ctx.dataset)


def _publish(stage: Stage, ctx: Context) -> None:
    """Publish the rejected rows and ``stats.json`` (on the executor's cluster when the
    stage has a ``cluster`` and the runner a ``publish``), then hold them to the ``build``
    floors (:mod:`akhbar.floors`): the outputs stay written, the stage fails."""
    from akhbar import floors

    on_cluster = getattr(ctx.runner, "publish", None) if stage.cluster else None
    ctx.stats = (on_cluster(stage.name, ctx.layout, ctx.dataset) if on_cluster
                 else stage.function()(ctx.layout, ctx.dataset))
    problems = floors.check(ctx.stats, ctx.params)
    if problems:
        raise BuildCollapsed(floors.message(problems))


def _check(stage: Stage, ctx: Context) -> None:
    """Validate the dataset; :class:`ValidationFailed` carries the summary. In ``akhbar
    build`` this runs in the worker process that imported GX while earlier stages computed
    (:mod:`akhbar.gx_session`); on an executor with a ``check`` method (Dask) and a stage
    with a :class:`Cluster`, its parts run there and only the merge runs here."""
    check = getattr(ctx.runner, "check", None) if stage.cluster is not None else None
    if ctx.gx_worker and ctx.warm_card:
        from akhbar import gx_session

        ctx.threads.append(gx_session.warm_card())
    try:
        if check is not None:
            result = check(stage.name, ctx.dataset, ctx.params, reports_dir=ctx.reports,
                           reason_stages=reason_prefixes(), in_worker=ctx.gx_worker)
        elif ctx.gx_worker:
            from akhbar import gx_session

            result = gx_session.run_in_worker(stage.function(), ctx.dataset, ctx.params,
                                              reports_dir=ctx.reports,
                                              reason_stages=reason_prefixes())
        else:
            result = stage.function()(ctx.dataset, ctx.params, reports_dir=ctx.reports)
    finally:
        if ctx.gx_worker:
            from akhbar import gx_session

            gx_session.release()  # the card stage, the build's peak, runs without it
    if not result.ok:
        raise ValidationFailed(result.summary())
    ctx.message = result.summary()
    path = Path(ctx.reports or ".") / "validation.json"
    ctx.validation = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _document(stage: Stage, ctx: Context) -> None:
    """Write the card; the validation report of an earlier process when there is one."""
    path = Path(ctx.reports or ".") / "validation.json"
    if ctx.validation is None and ctx.reports is not None and path.exists():
        ctx.validation = json.loads(path.read_text(encoding="utf-8"))
    stage.function()(ctx.dataset, ctx.params, validation=ctx.validation,
                     citation_path=ctx.citation,
                     raw_paths=None if ctx.given is None else list(ctx.given))


# ------------------------------------------------------------------ the registry

@dataclass(frozen=True)
class Cluster:
    """How ``--executor dask`` (:mod:`akhbar.distributed`) runs a stage; a stage without
    one runs in the driver. ``how``: ``raw-shards`` (the stage ``run`` on runs of raw
    files), ``shards`` (on row ranges of its input table), ``minhash``
    (:mod:`akhbar.distributed.dedup`: MinHash, LSH shuffle, connected components),
    ``sort`` (:mod:`akhbar.distributed.split`: a range-partitioned sort into the
    published files), ``publish`` (:mod:`akhbar.distributed.collect`: a task per
    published file, counts summed in the driver),
    ``partitions`` (a ``check`` stage: its parts on the workers, the merge in the driver,
    :mod:`akhbar.distributed.validate`).
    ``prepare`` / ``shard`` / ``merge`` name functions of
    :mod:`akhbar.distributed.aggregate`: the corpus-level decision computed on the
    cluster before the shards, the shard run that takes it, and the merge of what the
    shards' summed reports cannot add up."""

    how: Literal["raw-shards", "shards", "minhash", "sort", "publish", "partitions"]
    prepare: str | None = None
    shard: str | None = None
    merge: str | None = None


@dataclass(frozen=True)
class Stage:
    """One stage of the pipeline, declared once."""

    name: str
    module: str  # import path of the module holding ``run`` (imported when run)
    kind: Kind
    sections: tuple[str, ...] = ()  # params.yaml sections it reads (DVC params, the card)
    output: str | None = None  # its table's folder under the layout root
    step: Callable[[Stage, Context], None] = _rows
    uses: tuple[str, ...] = ()  # modules its step imports besides ``module`` (DVC deps)
    extra_params: tuple[str, ...] = ()  # single keys of other sections (``split.salt``)
    writes: tuple[str, ...] = ()  # files and folders it writes under the dataset folder
    switch: str | None = None  # the ``akhbar build`` option that can leave it out
    skip_after: tuple[type[AkhbarError], ...] = ()  # build failures that make it moot
    cluster: Cluster | None = None  # how the Dask executor runs it (None: in the driver)

    @property
    def rejects(self) -> bool:
        """Stages with a table of their own set rows aside in ``rejected/<name>.parquet``."""
        return self.output is not None

    @property
    def reason(self) -> str | None:
        """Prefix of the reasons its rejected rows carry (``quality:too-short``)."""
        return f"{self.name}:" if self.rejects else None

    @property
    def has_report(self) -> bool:
        """Writes a :class:`StageReport` (``stats/<name>.json``, quoted in stats.json)."""
        return self.kind in ("map", "corpus")

    @property
    def script(self) -> str:
        return f"scripts/{self.name}.py"

    def function(self) -> Callable[..., Any]:
        return importlib.import_module(self.module).run

    def runs_after(self, failure: AkhbarError | None) -> bool:
        return failure is None or not isinstance(failure, self.skip_after)


#: Every stage, in pipeline order (mutable only through :func:`register`).
STAGES: list[Stage] = [
    Stage("ingest", "akhbar.ingest", "map", ("raw", "ingest"), output="ingested",
          cluster=Cluster("raw-shards")),
    Stage("parse", "akhbar.parse", "corpus", ("parse",), output="parsed",
          cluster=Cluster("shards", prepare="parse_prepare", shard="parse_shard")),
    Stage("clean", "akhbar.clean", "corpus", ("clean",), output="cleaned",
          cluster=Cluster("shards", prepare="clean_prepare", shard="clean_shard",
                          merge="clean_merge")),
    Stage("quality", "akhbar.quality", "map", ("quality",), output="filtered",
          cluster=Cluster("shards")),
    Stage("dedup", "akhbar.dedup", "corpus", ("dedup",), output="deduplicated",
          extra_params=("split.story_threshold", "split.story_bands",
                        "split.story_exact_margin"), cluster=Cluster("minhash")),
    Stage("split", "akhbar.split", "corpus", ("split",), step=_into_dataset,
          writes=("data",), cluster=Cluster("sort")),
    Stage("collect", "akhbar.collect", "publish", ("build",), step=_publish,
          uses=("akhbar.floors",), writes=("rejected", "stats.json"),
          cluster=Cluster("publish")),
    Stage("validate", "akhbar.validate", "check", ("quality", "validate"), step=_check,
          switch="validate", skip_after=(AkhbarError,),  # a collapsed build has its verdict
          cluster=Cluster("partitions")),
    Stage("card", "akhbar.card", "publish",
          ("card", "raw", "ingest", "parse", "clean", "quality", "dedup", "split"),
          step=_document, switch="card", skip_after=(ValidationFailed,)),
]


def names() -> list[str]:
    return [s.name for s in STAGES]


def index(name: str) -> int:
    try:
        return names().index(name)
    except ValueError:
        raise KeyError(f"no stage named {name!r} (stages: {', '.join(names())})") from None


def get(name: str) -> Stage:
    return STAGES[index(name)]


def register(stage: Stage, *, after: str) -> None:
    """Insert ``stage`` after the stage named ``after`` (the later stages then read its
    table). For plug-ins and tests; undo with :func:`unregister`."""
    if stage.name in names():
        raise ValueError(f"a stage named {stage.name!r} is already registered")
    STAGES.insert(index(after) + 1, stage)


def unregister(name: str) -> None:
    del STAGES[index(name)]


def plan(**switches: bool) -> list[Stage]:
    """The stages a build runs: all but those whose :attr:`Stage.switch` is turned off."""
    return [s for s in STAGES if s.switch is None or switches.get(s.switch, True)]


def reason_prefixes() -> list[str]:
    """The stages whose names may prefix a rejection reason."""
    return [s.name for s in STAGES if s.rejects]


def run_stage(stage: str, layout: Layout, params: Params,
              raw_paths: Sequence[Path] | None = None,
              dataset_dir: Path | None = None) -> StageReport:
    """Run one stage that reports counts and write its report next to its output."""
    spec = get(stage)
    if not spec.has_report:
        raise ValueError(f"stage {stage!r} is run through its step, not run_stage")
    inp = layout.input(stage)
    if spec.output is None:  # writes into the dataset folder
        if dataset_dir is None:
            raise ValueError(f"the {stage} stage needs a dataset folder")
        report = spec.function()(inp, dataset_dir, params)
    else:
        first = list(raw_paths or []) if inp is None else inp
        report = spec.function()(first, layout.output(stage), layout.rejected(stage), params)
    if not report.seconds:
        report.finish()
    report.write(layout.report(stage))
    return report


def load_reports(layout: Layout) -> dict[str, dict]:
    """The stage reports written so far, in pipeline order."""
    out: dict[str, dict] = {}
    for path in layout.report_files():
        if path.exists():
            out.update(json.loads(path.read_text(encoding="utf-8")))
    return out


def outputs(root: Path = Path("data"), dataset: Path = Path("dataset")) -> list[Path]:
    """The folders of tables the pipeline writes (for ``make clean``; single files such
    as ``stats.json`` are kept: DVC writes them uncached, git tracks them)."""
    layout = Layout(root)
    return ([layout.output(s.name) for s in STAGES if s.output is not None]
            + [root / "rejected", root / "stats"]
            + [dataset / w for s in STAGES for w in s.writes if not Path(w).suffix])


if __name__ == "__main__":  # ``make clean``: the paths, one a line
    print("\n".join(str(p) for p in outputs()))
