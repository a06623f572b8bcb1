"""Releases and pinned loading, end to end in a throw-away git + DVC repository.

One module-scoped repository is built (two releases of a tiny dataset folder tracked with
``dvc add`` and pushed to a local DVC remote) and shared by the tests, so the slow part —
the ``dvc``/``git`` subprocesses — runs once (about 15 s).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import akhbar
from akhbar import card, diff, release, versions
from akhbar.cli import app
from test_card import IDS, article, build_dataset

DVC = str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / "dvc")

# v0.2.0: two train and one test article removed, two train and one test article added,
# one article moved from validation to test.
IDS_V2 = {
    "train": [k for k in IDS["train"] if k not in ("tr-1", "tr-5")] + ["tr-40", "tr-41"],
    "validation": ["va-20"],
    "test": ["te-30", "te-31", "va-21", "te-43"],
}


def sh(repo: Path, *args: str) -> str:
    proc = subprocess.run(list(args), cwd=repo, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"{args}: {proc.stdout}{proc.stderr}"
    return proc.stdout


def _env(mp: pytest.MonkeyPatch, home: Path) -> None:
    """An isolated git identity/config and no DVC analytics (no network)."""
    gitconfig = home / "gitconfig"
    gitconfig.write_text("[init]\n\tdefaultBranch = main\n", encoding="utf-8")
    for key, value in {"GIT_AUTHOR_NAME": "Akhbar Test", "GIT_AUTHOR_EMAIL": "t@example.org",
                       "GIT_COMMITTER_NAME": "Akhbar Test",
                       "GIT_COMMITTER_EMAIL": "t@example.org",
                       "GIT_CONFIG_GLOBAL": str(gitconfig), "GIT_CONFIG_NOSYSTEM": "1",
                       "DVC_NO_ANALYTICS": "1", "HF_HUB_OFFLINE": "1"}.items():
        mp.setenv(key, value)
    # The environment sets PYTHONDONTWRITEBYTECODE, so every `dvc` subprocess would
    # recompile its ~400 modules (~2 s each call); cache bytecode under the test folder.
    mp.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    mp.setenv("PYTHONPYCACHEPREFIX", str(home / "pycache"))


def init_repo(repo: Path, remote: Path | None = None) -> None:
    repo.mkdir(parents=True)
    sh(repo, "git", "init", "-q")
    sh(repo, DVC, "init", "-q")
    if remote is not None:
        remote.mkdir(parents=True, exist_ok=True)
        # what `dvc remote add -d local REMOTE` writes, without one more dvc process
        with open(repo / ".dvc" / "config", "a", encoding="utf-8") as fh:
            fh.write(f"[core]\n    remote = local\n['remote \"local\"']\n    url = {remote}\n")
    (repo / "card.yaml").write_text(
        "# test project\ncard:\n  version: 0.0.0  # set by release\n"
        '  pretty_name: "Akhbar test"\n  license: cc-by-4.0\n', encoding="utf-8")


def write_validation(repo: Path, success: bool) -> None:
    (repo / "reports").mkdir(exist_ok=True)
    (repo / "reports" / "validation.json").write_text(json.dumps(
        {"evaluated": 3, "passed": 3 if success else 2, "failed": 0 if success else 1,
         "success": success}), encoding="utf-8")


def files_digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("release")
    with pytest.MonkeyPatch.context() as mp:
        _env(mp, base)
        repo, remote = base / "repo", base / "remote"
        init_repo(repo, remote)
        write_validation(repo, True)
        build_dataset(repo / "dataset", IDS)
        sh(repo, DVC, "add", "-q", "dataset")
        sh(repo, "git", "add", "-A")
        sh(repo, "git", "commit", "-qm", "data v1")
        assert release.release("0.1.0", repo, date="2026-01-10", push=True) == "v0.1.0"
        digest_v1 = files_digest(repo / "dataset")

        shutil.rmtree(repo / "dataset")
        build_dataset(repo / "dataset", IDS_V2)
        sh(repo, DVC, "add", "-q", "dataset")
        sh(repo, "git", "add", "-A")
        sh(repo, "git", "commit", "-qm", "data v2")
        assert release.release("v0.2.0", repo, date="2026-02-20", push=True) == "v0.2.0"
        yield {"repo": repo, "remote": remote, "base": base, "mp": mp,
               "digest_v1": digest_v1, "digest_v2": files_digest(repo / "dataset")}


def _entry(changelog: str, tag: str) -> str:
    m = re.search(rf"^## {re.escape(tag)} .*?(?=^## |\Z)", changelog, flags=re.M | re.S)
    assert m, tag
    return m.group(0)


def _rows(entry: str, label: str) -> dict[str, list[str]]:
    """The Markdown table under ``label`` (e.g. "Per split:"), keyed by its first column."""
    part = entry.split(f"\n{label}\n", 1)[1].lstrip("\n").split("\n\n", 1)[0]
    rows = [ln.strip("|").split("|") for ln in part.splitlines() if ln.startswith("| ")]
    return {r[0].strip(): [c.strip() for c in r[1:]] for r in rows[1:]}


def _expected_splits(before: dict[str, list[str]], after: dict[str, list[str]]
                     ) -> dict[str, list[str]]:
    """The per-split table recomputed from the fixture ids: before, after, added, removed,
    moved in, moved out, changed (the fixture never edits a text)."""
    where_b = {k: s for s, ks in before.items() for k in ks}
    where_a = {k: s for s, ks in after.items() for k in ks}
    out = {}
    for s in ("train", "validation", "test"):
        nb, na = set(before.get(s, [])), set(after.get(s, []))
        out[s] = [str(len(nb)), str(len(na)), str(len(na - where_b.keys())),
                  str(len(nb - where_a.keys())),
                  str(sum(where_b.get(k, s) != s for k in na)),
                  str(sum(where_a.get(k, s) != s for k in nb)), "0"]
    return out


def _expected_sources(before: dict[str, list[str]], after: dict[str, list[str]]
                      ) -> dict[str, list[str]]:
    """The per-source table: added, removed, moved, changed."""
    where_b = {k: s for s, ks in before.items() for k in ks}
    where_a = {k: s for s, ks in after.items() for k in ks}
    counts: dict[str, list[int]] = {}
    for k in where_b.keys() | where_a.keys():
        split = where_a.get(k) or where_b[k]
        src = article(k, int(k.split("-")[1]), split)["source"]
        row = counts.setdefault(src, [0, 0, 0, 0])
        if k not in where_b:
            row[0] += 1
        elif k not in where_a:
            row[1] += 1
        elif where_a[k] != where_b[k]:
            row[2] += 1
    return {s: [str(n) for n in c] for s, c in sorted(counts.items()) if any(c)}


@pytest.mark.slow
def test_changelog_from_akhbar_diff_against_previous_release(project) -> None:
    text = (project["repo"] / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.index("\n## Unreleased\n") < text.index("## v0.2.0") < text.index("## v0.1.0")
    assert "\n\n\n" not in text
    first = _entry(text, "v0.1.0")
    assert "First release: 14 articles." in first
    assert "+14 added, -0 removed, 0 moved between splits, 0 with changed text" in first
    assert _rows(first, "Per split:") == _expected_splits({}, IDS)
    second = _entry(text, "v0.2.0")
    assert "## v0.2.0 — 2026-02-20" in second and "Changes since v0.1.0:" in second
    assert ("Articles: 14 → 14: +3 added, -3 removed, 1 moved between splits, "
            "0 with changed text.") in second
    assert _rows(second, "Per split:") == _expected_splits(IDS, IDS_V2)
    assert _rows(second, "Per source:") == _expected_sources(IDS, IDS_V2)
    # the article that moved from validation to test is moved, neither added nor removed
    assert _rows(second, "Per split:")["validation"][3:6] == ["0", "0", "1"]
    # v0.2.0 removes no rejected row and adds none: no per-reason table
    assert "Rejected records per reason" not in second


@pytest.mark.slow
def test_diff_of_release_tags(project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                              ) -> None:
    """``akhbar diff v0.1.0 v0.2.0``: both folders fetched through DVC at their tags."""
    monkeypatch.setenv("AKHBAR_CACHE", str(tmp_path / "cache"))
    repo = project["repo"]
    out = tmp_path / "d.json"
    result = CliRunner().invoke(app, ["diff", "v0.1.0", "0.2.0", "--repo", str(repo),
                                      "--json", str(out)])
    assert result.exit_code == 0, result.output
    r = json.loads(out.read_text(encoding="utf-8"))
    assert "/versions/v0.1.0-" in r["a"] and "/versions/v0.2.0-" in r["b"]
    t = r["totals"]
    assert (t["a"], t["b"], t["added"], t["removed"], t["moved"], t["changed"]) == (
        14, 14, 3, 3, 1, 0)
    assert sorted(x["id"] for x in r["added"]) == ["ute-43", "utr-40", "utr-41"]
    assert sorted(x["id"] for x in r["removed"]) == ["ute-32", "utr-1", "utr-5"]
    assert {x["reason"] for x in r["removed"]} == {"absent"}
    assert r["moved"] == [{"id": "uva-21", "from": "validation", "to": "test",
                           "source": article("va-21", 21, "test")["source"],
                           "category": article("va-21", 21, "test")["category"],
                           "title": article("va-21", 21, "test")["title"]}]
    # a tag against a folder is the same diff; the printed section is the changelog's
    mixed = CliRunner().invoke(app, ["diff", "v0.1.0", str(repo / "dataset"), "--repo",
                                     str(repo)])
    assert mixed.exit_code == 0, mixed.output
    assert "+3 added, -3 removed, 1 moved between splits" in mixed.output
    assert _rows(_entry((repo / "CHANGELOG.md").read_text(encoding="utf-8"), "v0.2.0"),
                 "Per split:") == _rows("\n" + mixed.output, "Per split:")
    bad = CliRunner().invoke(app, ["diff", "v9.9.9", "v0.1.0", "--repo", str(repo)])
    assert bad.exit_code == 1 and "Traceback" not in bad.output


@pytest.mark.slow
def test_version_written_once_and_tagged(project) -> None:
    repo = project["repo"]
    text = (repo / "card.yaml").read_text(encoding="utf-8")
    params = yaml.safe_load(text)
    assert params["card"]["version"] == "0.2.0" and params["card"]["date"] == "2026-02-20"
    fp = versions.fingerprint(versions.file_hashes(repo / "dataset"))
    assert params["card"]["fingerprint"] == fp
    assert "# test project" in text and "# set by release" in text
    assert not (repo / "params.yaml").exists()  # the defaults file is never written
    cff = yaml.safe_load((repo / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["version"] == "0.2.0" and cff["date-released"] == "2026-02-20"
    assert release.release_tags(repo) == ["v0.1.0", "v0.2.0"]
    assert release.git(repo, "status", "--porcelain") == ""
    old_params = yaml.safe_load(release.git(repo, "show", "v0.1.0:card.yaml"))
    assert old_params["card"]["version"] == "0.1.0"
    assert old_params["card"]["fingerprint"] != fp  # v0.1.0 had other bytes
    log = (repo / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"Content fingerprint: `{fp}`" in _entry(log, "v0.2.0")


@pytest.mark.slow
def test_pinned_load_returns_each_release(project, tmp_path: Path) -> None:
    for tag, ids in (("v0.1.0", IDS), ("0.2.0", IDS_V2)):
        dd = versions.load(tag, project["repo"], cache_dir=tmp_path / "cache")
        assert {s: sorted(dd[s]["id"]) for s in dd} == {
            s: sorted(f"u{k}" for k in ks) for s, ks in ids.items()}
        assert dd["train"].features["tags"].feature.dtype == "string"
    local = versions.fetch("v0.1.0", project["repo"], cache_dir=tmp_path / "cache")
    readme = (local / "README.md").read_text(encoding="utf-8")
    assert "| Version | `0.1.0` (release of 2026-01-10) |" in readme  # the card as released
    assert "version      = {0.1.0}" in readme
    meta = card.front_matter(local / "README.md")
    assert [s["num_examples"] for s in meta["dataset_info"][0]["splits"]] == [9, 2, 3]


@pytest.mark.slow
def test_push_clone_pull_round_trip(project, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    sh(tmp_path, "git", "clone", "-q", str(project["repo"]), str(clone))
    # nothing pulled yet: the pinned load must fetch v0.1.0 from the DVC remote
    dd = akhbar.load("v0.1.0", str(clone), cache_dir=tmp_path / "cache")  # the public entry
    assert sorted(dd["test"]["id"]) == sorted(f"u{k}" for k in IDS["test"])
    sh(clone, DVC, "pull", "-q")
    assert files_digest(clone / "dataset") == project["digest_v2"]
    sh(clone, "git", "checkout", "-q", "v0.1.0")
    sh(clone, DVC, "pull", "-q")
    assert files_digest(clone / "dataset") == project["digest_v1"]


@pytest.mark.slow
def test_release_refuses_dirty_tree_old_version_and_failed_validation(project,
                                                                      tmp_path: Path) -> None:
    repo = project["repo"]
    (repo / "stray.txt").write_text("x", encoding="utf-8")
    try:
        with pytest.raises(release.ReleaseError, match="not clean"):
            release.release("0.3.0", repo)
    finally:
        (repo / "stray.txt").unlink()
    with pytest.raises(release.ReleaseError, match="not newer"):
        release.release("0.1.5", repo)
    stats = repo / "dataset" / "stats.json"  # ignored by git, tracked by DVC
    original = stats.read_bytes()
    stats.write_bytes(original.replace(b"records_in", b"records_In"))
    try:
        assert release.git(repo, "status", "--porcelain") == ""
        with pytest.raises(release.ReleaseError, match="DVC-tracked data differs"):
            release.release("0.3.0", repo)
    finally:
        stats.write_bytes(original)
    assert release.release_tags(repo) == ["v0.1.0", "v0.2.0"]
    other = tmp_path / "failing"  # refused before any dvc command runs: no `dvc init`
    other.mkdir()
    sh(other, "git", "init", "-q")
    (other / "card.yaml").write_text("card:\n  version: 0.0.0\n", encoding="utf-8")
    write_validation(other, False)
    sh(other, "git", "add", "-A")
    sh(other, "git", "commit", "-qm", "init")
    with pytest.raises(release.ReleaseError, match="success"):
        release.release("0.1.0", other)
    assert release.release_tags(other) == []


def test_set_card_keys_keeps_everything_else(tmp_path: Path) -> None:
    p = tmp_path / "params.yaml"
    p.write_text("a:\n  x: 1  # keep\ncard:\n  version: 0.1.0  # the one place\n"
                 "  license: mit\nz:\n  version: 9\n", encoding="utf-8")
    release.set_card_keys(p, {"version": "0.10.0", "date": "2026-05-01"})
    text = p.read_text(encoding="utf-8")
    assert '  version: "0.10.0"  # the one place\n' in text
    assert "a:\n  x: 1  # keep\n" in text and "z:\n  version: 9\n" in text
    data = yaml.safe_load(text)
    assert data["card"] == {"version": "0.10.0", "date": "2026-05-01", "license": "mit"}
    fresh = tmp_path / "card.yaml"  # created when missing
    release.set_card_keys(fresh, {"version": "1.0.0", "fingerprint": "sha256:ab"})
    assert yaml.safe_load(fresh.read_text(encoding="utf-8")) == {
        "card": {"version": "1.0.0", "fingerprint": "sha256:ab"}}


def test_changelog_entry_and_unreleased_notes(tmp_path: Path) -> None:
    build_dataset(tmp_path / "a", {"train": ["tr-1", "tr-2"], "test": ["te-3"]})
    build_dataset(tmp_path / "b", {"train": ["tr-1"], "test": ["te-3", "tr-2", "te-4"]})
    report = diff.compare(tmp_path / "a", tmp_path / "b")
    log = tmp_path / "CHANGELOG.md"
    log.write_text(release.CHANGELOG_HEADER + "- Fixed the dateline parser.\n",
                   encoding="utf-8")
    release.add_changelog_entry(log, lambda notes: release.changelog_entry(
        "v1.0.0", "2026-06-01", "v0.9.0", report, notes, "sha256:ab"))
    text = log.read_text(encoding="utf-8")
    unreleased = text.split("\n## Unreleased\n", 1)[1].split("## v1.0.0", 1)[0]
    assert unreleased.strip() == ""
    entry = _entry(text, "v1.0.0")
    assert "Content fingerprint: `sha256:ab`" in entry and "Changes since v0.9.0:" in entry
    assert "Articles: 3 → 4: +1 added, -0 removed, 1 moved between splits" in entry
    assert _rows(entry, "Per split:") == _expected_splits(
        {"train": ["tr-1", "tr-2"], "test": ["te-3"]},
        {"train": ["tr-1"], "test": ["te-3", "tr-2", "te-4"]})
    assert "### Notes\n\n- Fixed the dateline parser." in entry
    assert "\n\n\n" not in text and text.endswith("parser.\n")
    first = release.changelog_entry("v0.1.0", "2026-01-01", None, diff.compare(
        tmp_path / "nothing", tmp_path / "a"))
    assert "First release: 3 articles." in first and "+3 added" in first


def test_version_tag_parsing() -> None:
    assert versions.tag("1.2.3") == versions.tag("v1.2.3") == "v1.2.3"
    for bad in ("1.2", "v1.2.3-rc1", "latest"):
        with pytest.raises(ValueError):
            versions.tag(bad)


def _release_cli(*args: str) -> tuple[int, list[str]]:
    from typer.testing import CliRunner

    from akhbar.cli import app

    res = CliRunner().invoke(app, ["release", *args])
    return res.exit_code, [line for line in res.output.splitlines() if line.strip()]


def test_refused_release_is_one_line_and_exit_2_through_the_cli(tmp_path: Path) -> None:
    """A refused release reads like every other refusal of the CLI: one ``error:`` line,
    exit code 2, no traceback, nothing changed."""
    sh(tmp_path, "git", "init", "-q")
    (tmp_path / "stray.txt").write_text("x", encoding="utf-8")
    (tmp_path / "other.txt").write_text("y", encoding="utf-8")
    code, lines = _release_cli("0.1.0", "--repo", str(tmp_path))
    assert code == 2
    assert len(lines) == 1 and lines[0].startswith("error: git working tree is not clean")
    assert "stray.txt" in lines[0] and "other.txt" in lines[0]
    assert release.release_tags(tmp_path) == []
    code, lines = _release_cli("1.x", "--repo", str(tmp_path))
    assert code == 2 and len(lines) == 1 and "not a version" in lines[0]
    assert not any("Traceback" in line or "--debug" in line for line in lines)


def test_a_failed_release_step_is_an_error_of_exit_1(tmp_path: Path) -> None:
    """A git or dvc command that fails is not a refusal: exit code 1, still one error."""
    with pytest.raises(release.ReleaseError) as failed:
        release.git(tmp_path, "no-such-git-command")
    assert failed.value.exit_code == 1 and not isinstance(failed.value, release.ReleaseRefused)
    assert release.ReleaseRefused("x").exit_code == 2
