"""`dvc repro` on a fresh copy of the repository builds dataset/ and is reproducible."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

DVC = Path(sys.executable).with_name("dvc")


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True).stdout


@pytest.mark.slow
def test_dvc_repro_builds_the_dataset_on_a_copy(tmp_path: Path) -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    files = _git(ROOT, "ls-files", "-co", "--exclude-standard").splitlines()
    repo = tmp_path / "repo"
    for rel in files:
        src = ROOT / rel
        if src.is_file():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, repo / rel)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "copy")
    env = {**os.environ, "PATH": f"{DVC.parent}{os.pathsep}{os.environ['PATH']}"}
    assert not (repo / "data" / "raw").exists()  # DVC-tracked: not in git
    pull = subprocess.run([str(DVC), "pull", "data/raw.dvc"], cwd=repo, env=env,
                          capture_output=True, text=True)  # from the in-repo sample remote
    assert pull.returncode == 0, pull.stdout + pull.stderr
    assert (repo / "data" / "raw" / "sample" / "README.md").is_file()
    run = subprocess.run([str(DVC), "repro"], cwd=repo, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    shards = sorted(p.name for p in (repo / "dataset" / "data").glob("*.parquet"))
    assert any(s.startswith("train-") for s in shards)
    assert (repo / "reports" / "validation.json").exists()
    status = subprocess.run([str(DVC), "status"], cwd=repo, env=env, capture_output=True,
                            text=True)
    assert "up to date" in status.stdout.lower(), status.stdout
    # the headline metrics: a few short lines, not the detailed stats
    metrics = subprocess.run([str(DVC), "metrics", "show"], cwd=repo, env=env,
                             capture_output=True, text=True)
    assert metrics.returncode == 0, metrics.stderr
    assert "articles.train" in metrics.stdout and "rejected.total" in metrics.stdout
    assert max(len(line) for line in metrics.stdout.splitlines()) < 1000
    # the plots DVC builds from dvc.yaml: the month axis is temporal, the histogram binned
    shown = subprocess.run([str(DVC), "plots", "show", "--json"], cwd=repo, env=env,
                           capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    specs = json.loads(shown.stdout)["data"]
    month = specs["dataset/plots/articles_per_month.csv"][0]["content"]
    assert month["encoding"]["x"]["type"] == "temporal"
    hist = specs["dataset/plots/text_length.csv"][0]["content"]
    assert hist["encoding"]["x"]["bin"] == {"binned": True}
    assert (repo / "dataset" / "version.json").is_file()
    docs = repo / "reports" / "data_docs" / "index.html"
    if not docs.is_file():  # validate was up to date (its report is in git): as `make dataset`
        subprocess.run([sys.executable, "scripts/validate.py"], cwd=repo, env=env, check=True,
                       capture_output=True)
    assert docs.is_file()


# --- each stage's code dependencies --------------------------------------------------------

def stage_entry() -> dict[str, list[str]]:
    """The library modules a stage's script enters (through akhbar.stagecli): the stage's
    module and the ones its registry step imports."""
    from akhbar.pipeline import STAGES

    return {s.name: [s.module, *s.uses] for s in STAGES}


#: Modules every stage runs, of which only the module-level imports count (their
#: function-level imports are the per-stage branches, listed above).
COMMON = ["akhbar", "akhbar.stagecli", "akhbar.pipeline"]
SRC = ROOT / "src"


def _module_file(name: str) -> Path | None:
    base = SRC.joinpath(*name.split("."))
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _imports(name: str, module_level_only: bool) -> set[str]:
    """``akhbar`` modules imported by module ``name`` (``from akhbar import x`` counts
    ``akhbar.x`` when it is a module)."""
    import ast

    path = _module_file(name)
    assert path is not None, name
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if module_level_only else list(ast.walk(tree))
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([base] if base else [])])
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return {m for m in found if m.split(".")[0] == "akhbar" and _module_file(m)}


def stage_modules(stage: str) -> set[str]:
    """Every akhbar module the stage runs: the closure of its entry modules' imports."""
    seen: set[str] = set()
    todo = [*COMMON, *stage_entry()[stage]]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # parent packages run
        todo += list(_imports(name, module_level_only=name in COMMON))
    return seen


def test_each_stage_depends_on_every_module_it_imports() -> None:
    import yaml

    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    assert set(stages) == set(stage_entry())
    missing = {}
    for stage, body in stages.items():
        deps = [str(d) for d in body.get("deps", [])]
        for module in sorted(stage_modules(stage)):
            rel = _module_file(module).relative_to(ROOT).as_posix()
            if not any(rel == d or rel.startswith(d.rstrip("/") + "/") for d in deps):
                missing.setdefault(stage, []).append(rel)
    assert missing == {}, f"add to dvc.yaml deps: {missing}"


def test_dependency_closure_follows_lazy_imports() -> None:
    """The closure is not vacuous: it sees function-level imports of a stage module and
    module-level imports of the common ones."""
    assert "akhbar.langid" in stage_modules("quality")
    assert "akhbar.expectations_suites" in stage_modules("validate")
    assert "akhbar.params" in stage_modules("parse")
    assert "akhbar.validate" not in stage_modules("parse")


# --- dvc.yaml against the stage registry ---------------------------------------------------

def _entries(body: dict, key: str) -> list[str]:
    """Path or parameter names of a ``deps``/``outs``/``params`` list (``{name: opts}``
    entries count by name; a ``{file: [keys]}`` params entry by its file)."""
    return [str(e) if not isinstance(e, dict) else str(next(iter(e)))
            for e in body.get(key) or []]


def dvc_problems(stages: dict[str, dict]) -> list[str]:
    """What ``dvc.yaml`` (its ``stages`` mapping) lacks or has too many against the
    registry, one line per problem, each naming the stage and what to add."""
    from akhbar.pipeline import STAGES, Layout

    layout, problems = Layout(Path("data")), []
    registered = [s.name for s in STAGES]
    for name in stages:
        if name not in registered:
            problems.append(f"dvc.yaml stage {name!r} is not in the registry "
                            f"(akhbar.pipeline.STAGES)")
    for stage in STAGES:
        body = stages.get(stage.name)
        if body is None:
            problems.append(f"dvc.yaml has no block for stage {stage.name!r}: add "
                            f"`{stage.name}:` with cmd `python {stage.script}`, its deps, "
                            f"params {list(stage.sections)} and outs")
            continue
        if not str(body.get("cmd", "")).startswith(f"python {stage.script}"):
            problems.append(f"{stage.name}: cmd should run `python {stage.script}`, "
                            f"not {body.get('cmd')!r}")
        script = ROOT / stage.script
        if not script.is_file() or f'main("{stage.name}")' not in script.read_text("utf-8"):
            problems.append(f"{stage.name}: {stage.script} should call main({stage.name!r})")
        deps, outs = _entries(body, "deps"), _entries(body, "outs")
        params = _entries(body, "params")
        wanted_deps = [stage.script]
        if stage.has_report and layout.input(stage.name) is not None:
            wanted_deps.append(str(layout.input(stage.name)))
        wanted_outs = [f"dataset/{w}" for w in stage.writes]
        if stage.has_report:
            wanted_outs.append(str(layout.report(stage.name)))
        if stage.rejects:
            wanted_outs += [str(layout.output(stage.name)), str(layout.rejected(stage.name))]
        for kind, have, wanted in (("deps", deps, wanted_deps), ("outs", outs, wanted_outs),
                                   ("params", params,
                                    [*stage.sections, *stage.extra_params])):
            missing = [w for w in wanted if w not in have]
            if missing:
                problems.append(f"{stage.name}: add to {kind}: {missing}")
    order = [n for n in stages if n in registered]
    if not problems and order != registered:
        problems.append(f"dvc.yaml lists the stages as {order}, the registry as {registered}")
    return problems


def _dvc_stages() -> dict[str, dict]:
    import yaml

    return yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]


def test_dvc_yaml_agrees_with_the_registry() -> None:
    assert dvc_problems(_dvc_stages()) == []


def test_dvc_problems_name_what_is_missing() -> None:
    """The check is not vacuous: a dropped block, param and out are each named."""
    stages = _dvc_stages()
    stages.pop("dedup")
    stages["clean"]["params"] = []
    stages["parse"]["outs"] = [o for o in stages["parse"]["outs"] if o != "data/parsed"]
    problems = dvc_problems(stages)
    assert any(p.startswith("dvc.yaml has no block for stage 'dedup'") for p in problems)
    assert "clean: add to params: ['clean']" in problems
    assert "parse: add to outs: ['data/parsed']" in problems
