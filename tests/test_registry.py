"""The stage registry (akhbar.pipeline): one entry per stage, read by every caller.

A toy stage defined here (a module and a registry entry, nothing else) runs through
``akhbar build`` and is reported; the dvc.yaml check names the block it lacks; stage names
appear as literals only in their own modules and in the registry.
"""

from __future__ import annotations

import ast
import json
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from akhbar import io, pipeline
from akhbar.cli import app
from akhbar.errors import AkhbarError, ValidationFailed
from akhbar.expectations_suites import known_reason
from akhbar.pipeline import STAGES, Layout, Stage
from akhbar.schema import ARTICLE_SCHEMA, REJECTED_SCHEMA
from akhbar.stage import StageReport, count_reasons, rejected_frame
from builders import news
from conftest import ROOT
from test_dvc_pipeline import _dvc_stages, dvc_problems

TOY = "marker"
#: A made-up word the toy stage rejects titles for ("experimental").
MARK = "تجريبية"


def _toy_run(inp: Path, out: Path, rejected: Path, params: dict) -> StageReport:
    """Keep every row but those whose title holds :data:`MARK`."""
    report = StageReport(TOY)
    with io.ParquetSink(Path(out), ARTICLE_SCHEMA, rows_per_file=1000) as sink, \
            io.ParquetSink(Path(rejected), REJECTED_SCHEMA) as rsink:
        for batch in io.read_batches(Path(inp)):
            marked = batch.get_column("title").fill_null("").str.contains(MARK, literal=True)
            rej = rejected_frame(batch.filter(marked), TOY, f"{TOY}:marked-title")
            sink.write(batch.filter(~marked))
            rsink.write(rej)
            report.rows_in += batch.height
            report.rows_out += batch.height - rej.height
            report.rejected.update(count_reasons(rej))
    return report.finish()


@pytest.fixture
def toy_stage(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stage]:
    module = types.ModuleType("akhbar_toy_marker")
    module.run = _toy_run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    stage = Stage(TOY, module.__name__, "map", output="marked")
    pipeline.register(stage, after="clean")
    try:
        yield stage
    finally:
        pipeline.unregister(TOY)


def _corpus(folder: Path, n: int = 24, marked: tuple[int, ...] = (3, 11, 17)) -> Path:
    folder.mkdir(parents=True)
    rows = [{"url": f"https://toy.example/2024/0{1 + i % 6}/{i}",
             "title": f"تقرير {'تجريبية ' if i in marked else ''}رقم {i} عن الخدمات",
             "text": news(700 + i, sentences=24), "published": f"2024-0{1 + i % 6}-1{i % 9}"}
            for i in range(n)]
    (folder / "toy.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return folder


def _project_files() -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for top in ("src", "scripts", "expectations")
            for p in (ROOT / top).rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def test_a_toy_stage_runs_through_akhbar_build(toy_stage: Stage, tmp_path: Path) -> None:
    before = _project_files()
    raw, out = _corpus(tmp_path / "raw"), tmp_path / "out"
    result = CliRunner().invoke(app, ["build", str(raw), "--out", str(out)])
    assert result.exit_code == 0, result.output
    stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    toy = stats["stages"][TOY]
    assert toy["rejected"] == {f"{TOY}:marked-title": 3}
    assert toy["rows_out"] == toy["rows_in"] - 3
    assert stats["rejected"][f"{TOY}:marked-title"] == 3
    # the stage after it reads its table: the filter sees exactly what the toy kept
    after = STAGES[pipeline.index(TOY) + 1].name
    assert stats["stages"][after]["rows_in"] == toy["rows_out"]
    rejected = pl.read_parquet(out / "rejected")
    assert rejected.filter(pl.col("stage") == TOY).height == 3
    kept = pl.read_parquet(out / "data", columns=["title"]).get_column("title")
    assert not kept.str.contains(MARK, literal=True).any()
    # validated (the reason's stage is known) and on the card
    assert (out / "reports" / "validation.json").is_file()
    card = (out / "README.md").read_text(encoding="utf-8")
    assert f"`{TOY}` — {toy['rows_in']} → {toy['rows_out']} rows, 3 removed" in card
    assert _project_files() == before


def test_the_dvc_check_names_the_toy_stage_missing_block(toy_stage: Stage) -> None:
    problems = dvc_problems(_dvc_stages())
    assert any(p.startswith(f"dvc.yaml has no block for stage {TOY!r}") for p in problems)
    after = STAGES[pipeline.index(TOY) + 1].name  # now reads the toy's table
    assert f"{after}: add to deps: ['data/marked']" in problems


def test_registry_order_and_layout() -> None:
    layout = Layout(Path("w"))
    first, split_like = STAGES[0], [s for s in STAGES if s.has_report and not s.rejects]
    assert layout.input(first.name) is None  # the first stage reads the raw paths
    for stage in STAGES[1:]:
        if stage.has_report:  # every later stage reads the nearest earlier table
            earlier = [s for s in STAGES[: pipeline.index(stage.name)] if s.output]
            assert layout.input(stage.name) == Path("w") / earlier[-1].output
    assert split_like and all(s.writes for s in split_like)  # writes into the dataset
    assert layout.rejected_files() == [layout.rejected(s.name) for s in STAGES if s.rejects]
    with pytest.raises(KeyError, match="no stage named 'nope'"):
        pipeline.get("nope")
    with pytest.raises(ValueError, match="already registered"):
        pipeline.register(first, after=first.name)


def test_plan_leaves_out_switched_off_stages() -> None:
    switches = {s.switch for s in STAGES if s.switch}
    assert switches  # validation and the card can be left out of a build
    for switch in switches:
        planned = pipeline.plan(**{switch: False})
        assert [s for s in STAGES if s not in planned] == [
            s for s in STAGES if s.switch == switch]
    assert pipeline.plan() == STAGES


def test_stages_skipped_after_a_failure() -> None:
    failing = [s for s in STAGES if s.skip_after]
    assert failing
    for stage in failing:
        assert stage.runs_after(None)
        assert not stage.runs_after(ValidationFailed("x"))
    assert all(s.runs_after(AkhbarError("x")) for s in STAGES if not s.skip_after)


def test_known_reason_follows_the_registry(toy_stage: Stage) -> None:
    import re

    pattern = re.compile(known_reason())
    for stage in STAGES:
        if stage.reason:
            assert pattern.match(f"{stage.reason}why")
    assert pattern.match(f"{TOY}:marked-title")
    assert not pattern.match("shrug") and not pattern.match("nostage:x")


# --- stage names only in their own modules and in the registry --------------------------

SRC = ROOT / "src" / "akhbar"
#: Modules owned by other work this round that still name stages; each reads the registry
#: once merged (the executor's cluster stages: ``kind == "map"``; the benchmark's sizes:
#: the registry's folders). Remove a file from here when it does.
PENDING: set[str] = set()  # files still to move onto the registry: none
#: Where a stage's name is legitimately used outside its module: the cluster version of
#: dedup's copy decisions; the explorer, which shows the ``quality`` params section (named
#: after its stage) recorded in a card's YAML blocks.
ALSO_OWN = {"distributed/dedup.py": "dedup", "explore/site.py": "quality"}


def _own_files(stage: Stage) -> set[Path]:
    base = SRC.parent.joinpath(*stage.module.split("."))
    return {base.with_suffix(".py")} | set(base.rglob("*.py"))


def _is_section_lookup(node: ast.Constant, parents: dict[ast.AST, ast.AST]) -> bool:
    """``params["x"]`` / ``params.get("x")``: a params section, named after its stage."""
    parent = parents.get(node)
    if isinstance(parent, ast.Subscript):
        target = parent.value
    elif isinstance(parent, ast.Call) and isinstance(parent.func, ast.Attribute) \
            and parent.func.attr == "get" and parent.args and parent.args[0] is node:
        target = parent.func.value
    else:
        return False
    return isinstance(target, ast.Name) and "param" in target.id


def test_stage_names_only_in_their_modules_and_the_registry() -> None:
    # the stages that set rows aside (the check of issue 13); "split" is also a column
    names = {s.name: s for s in STAGES if s.rejects}
    found = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel in PENDING or path == SRC / "pipeline.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parents = {c: p for p in ast.walk(tree) for c in ast.iter_child_nodes(p)}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and node.value in names):
                continue
            if (path in _own_files(names[node.value]) or ALSO_OWN.get(rel) == node.value
                    or _is_section_lookup(node, parents)):
                continue
            found.append(f"{rel}:{node.lineno}: {node.value!r}")
    assert found == [], "read the registry (akhbar.pipeline) instead: " + "; ".join(found)
