"""`dvc repro` on a fresh copy of the repository builds dataset/ and is reproducible."""

from __future__ import annotations

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
