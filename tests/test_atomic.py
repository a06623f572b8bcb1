"""Atomic publication: OUT always holds one complete dataset, the old or the new.

The slow tests run the README's commands with relative paths from a project-like folder,
then SIGKILL rebuilds at named points (``AKHBAR_TEST_KILL_AT``, see ``akhbar.publish``)
and load the folder with ``datasets`` each time: its split sizes must be those of the old
card or of the new one, never a mix (``NonMatchingSplitsSizesError``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import datasets
import polars as pl
import pytest

from akhbar import build as build_mod
from akhbar import guard, gx_session, publish
from akhbar import params as params_mod
from akhbar import validate as validate_mod
from akhbar.errors import ValidationFailed
from akhbar.schema import SPLITS
from test_output_guard import make_raw

AKHBAR = Path(sys.executable).with_name("akhbar")


def _folder(path: Path, text: str) -> Path:
    path.mkdir(parents=True)
    (path / "f.txt").write_text(text, encoding="utf-8")
    return path


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# --- the swap itself --------------------------------------------------------------------

@pytest.mark.parametrize("atomic_exchange", [True, False])
def test_swap_replaces_out_and_drops_the_old(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             atomic_exchange: bool) -> None:
    if not atomic_exchange:
        monkeypatch.setattr(publish, "exchange", lambda a, b: False)
    out = _folder(tmp_path / "ds", "old")
    publish.control_dir(out).mkdir()
    stage = publish.new_stage(out)
    staged = _folder(stage / "dataset", "new")
    publish.swap(staged, out)
    assert (out / "f.txt").read_text(encoding="utf-8") == "new"
    assert not staged.exists() and not (stage / "old").exists()


def test_swap_into_a_new_folder(tmp_path: Path) -> None:
    out = tmp_path / "a" / "ds"
    publish.control_dir(out).mkdir(parents=True)
    staged = _folder(publish.new_stage(out) / "dataset", "new")
    publish.swap(staged, out)
    assert (out / "f.txt").read_text(encoding="utf-8") == "new"


def test_next_build_restores_a_swap_cut_between_its_two_renames(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    control = publish.control_dir(out)
    _folder(control / "stage-x" / "old", "old")  # OUT renamed aside, kill, new never moved
    _folder(control / "stage-x" / "dataset", "new")
    _folder(control / "stage-y" / "work", "tables of a killed build")
    _folder(control / "failed", "a failed build")
    removed = publish.clean_leftovers(out)
    assert (out / "f.txt").read_text(encoding="utf-8") == "old"
    assert {p.name for p in removed} == {"stage-x", "stage-y", "failed"}
    assert sorted(p.name for p in control.iterdir()) == []


# --- a failing build never replaces a dataset that passed -------------------------------

def _fail_validation(*_: object, **__: object) -> None:
    raise ValidationFailed("validation FAILED: 1 checks, 0 passed, 1 failed")


def test_failing_build_leaves_the_old_dataset_loadable(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    raw = make_raw(tmp_path / "raw", n=30)
    out = tmp_path / "ds"
    build_mod.build([raw], out, params_mod.load(), validate=False, card=False)
    before = _hashes(out)
    sizes = _split_sizes(out, tmp_path / "c1")
    assert all(sizes.values()), sizes  # every split non-empty: loadable without a card

    monkeypatch.setattr(validate_mod, "run", _fail_validation)
    # the patched function lives in this process: validate here, not in the GX worker
    monkeypatch.setattr(gx_session, "run_in_worker", lambda fn, *a, **k: fn(*a, **k))
    other = params_mod.merge(params_mod.defaults(), {"split": {"salt": "another"}})
    with pytest.raises(ValidationFailed, match="is unchanged; this build is kept in"):
        build_mod.build([raw], out, other, card=False)
    assert _hashes(out) == before
    assert _split_sizes(out, tmp_path / "c2") == sizes
    failed = publish.control_dir(out) / "failed"
    assert guard.read_marker(failed)["status"] == "failed"
    assert (failed / "data").is_dir()

    monkeypatch.undo()
    build_mod.build([raw], out, params_mod.load(), validate=False, card=False)
    assert not failed.exists()
    assert sorted(p.name for p in publish.control_dir(out).iterdir()) == ["lock"]


def test_failing_first_build_is_published_for_inspection(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = make_raw(tmp_path / "raw")
    out = tmp_path / "ds"
    monkeypatch.setattr(validate_mod, "run", _fail_validation)
    with pytest.raises(ValidationFailed, match="which held no dataset that passed"):
        build_mod.build([raw], out, params_mod.load(), card=False)
    assert guard.read_marker(out)["status"] == "failed"
    assert (out / "rejected").is_dir() and (out / "stats.json").is_file()
    # a failed dataset does not protect itself: the next failed build replaces it
    (out / "stats.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ValidationFailed):
        build_mod.build([raw], out, params_mod.load(), card=False)
    assert (out / "stats.json").read_text(encoding="utf-8") != "{}"


def _split_sizes(out: Path, cache: Path) -> dict[str, int]:
    """Split sizes as ``datasets`` loads them (it checks them against the card's)."""
    ds = datasets.load_dataset(str(out), cache_dir=str(cache))
    return {s: ds[s].num_rows for s in SPLITS}


# --- the README's commands, and kills at several points of a rebuild ------------------

@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, sample_dir: Path) -> Path:
    """A project-like folder: data/raw/sample, built with the README's relative paths."""
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(sample_dir, root / "data" / "raw" / "sample")
    run = _akhbar(root, "build", "data/raw/sample", "--out", "my-dataset")
    assert run.returncode == 0, run.stderr[-3000:]
    return root


def _akhbar(cwd: Path, *args: str, kill_at: str | None = None
            ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != publish.KILL_ENV}
    if kill_at:
        env[publish.KILL_ENV] = kill_at
    return subprocess.run([str(AKHBAR), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=900)


@pytest.mark.slow
def test_readme_commands_with_relative_paths(project: Path) -> None:
    out = project / "my-dataset"
    assert (out / "README.md").is_file() and (out / "reports" / "validation.json").is_file()
    assert (out / "reports" / "data_docs").is_dir()
    run = _akhbar(project, "validate", "my-dataset")
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "validation passed" in run.stdout + run.stderr


@pytest.mark.slow
@pytest.mark.parametrize("point", ["parse", "staged", "swapped"])
def test_sigkill_during_a_rebuild_leaves_a_loadable_dataset(project: Path, point: str,
                                                           tmp_path: Path) -> None:
    out = project / "my-dataset"
    old = _split_sizes(out, tmp_path / "before")
    (project / "new.yaml").write_text(
        "split:\n  ratios: {train: 0.5, validation: 0.25, test: 0.25}\n", encoding="utf-8")
    run = _akhbar(project, "build", "data/raw/sample", "--out", "my-dataset", "--no-validate",
                  "--params", "new.yaml", kill_at=point)
    assert run.returncode == -signal.SIGKILL, run.stderr[-2000:]
    assert list(publish.control_dir(out).glob("stage-*")), "a killed build leaves its stage"
    after = _split_sizes(out, tmp_path / "after")  # raises on sizes that disagree with the card
    if point == "swapped":
        assert after != old  # the new ratios
        assert sum(after.values()) == sum(old.values())
    else:
        assert after == old
    assert {p.name.split("-")[0] for p in (out / "data").glob("*.parquet")} == set(SPLITS)


@pytest.mark.slow
def test_collapsed_rebuild_keeps_the_good_dataset_and_cleans_leftovers(
        project: Path, tmp_path: Path) -> None:
    out = project / "my-dataset"
    before = _hashes(out)
    (project / "strict.yaml").write_text("build:\n  min_kept_share: 0.99\n", encoding="utf-8")
    run = _akhbar(project, "build", "data/raw/sample", "--out", "my-dataset", "--params",
                  "strict.yaml")
    assert run.returncode == 1
    # The card may warn first (an unset licence); the failure itself is one line.
    errors = [ln for ln in run.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1, run.stderr
    line = errors[0]
    assert line.startswith("error: kept ") and "build.min_kept_share 99%" in line
    assert "is unchanged" in line
    assert _hashes(out) == before
    control = publish.control_dir(out)
    assert sorted(p.name for p in control.iterdir()) == ["failed", "lock"]  # stages cleaned
    rejected = pl.read_parquet(control / "failed" / "rejected")
    assert rejected.height == sum(
        n for r, n in _stats(control / "failed")["rejected"].items())


def _stats(folder: Path) -> dict:
    import json

    return json.loads((folder / "stats.json").read_text(encoding="utf-8"))
