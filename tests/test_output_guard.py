"""The output folder is guarded: never an input, never a folder Akhbar did not write, one
build at a time; usage errors exit 2 with one line; a build that keeps too little exits 1
(the "no silent collapse" floors); ``akhbar --version``."""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
import sys
from pathlib import Path

import orjson
import polars as pl
import pytest
from typer.testing import CliRunner

import akhbar
from akhbar import floors, guard, publish
from akhbar import params as params_mod
from akhbar.build import build
from akhbar.cli import app
from akhbar.errors import UsageError
from builders import news


def make_raw(root: Path, n: int = 4) -> Path:
    """A raw folder shaped like the one the issue lost: articles plus sub-folders named
    ``data/`` and ``rejected/`` (which the old build deleted)."""
    root.mkdir(parents=True, exist_ok=True)
    lines = [orjson.dumps({"text": news(i, sentences=8), "title": f"خبر رقم {i}",
                           "url": f"https://guard.example/{i}"}) for i in range(n)]
    (root / "feed.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    for sub in ("data", "rejected"):
        (root / sub).mkdir(exist_ok=True)
        (root / sub / "notes.jsonl").write_bytes(orjson.dumps({"text": news(50, 8)}) + b"\n")
    return root


def tree_hash(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def one_line_error(res) -> str:
    text = res.output.strip()
    assert "\n" not in text, text
    assert text.startswith("error:") and "Traceback" not in text
    return text


@pytest.mark.parametrize("case", ["out-is-raw", "out-is-cwd-holding-raw", "out-inside-raw",
                                  "out-holds-raw-file", "work-is-raw", "work-inside-out"])
def test_refused_builds_exit_2_and_leave_the_raw_files_intact(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    project = tmp_path / "project"
    raw = make_raw(project / "raw")
    before = tree_hash(project)
    monkeypatch.chdir(project)
    args = {
        "out-is-raw": ["raw", "--out", "raw"],
        "out-is-cwd-holding-raw": ["raw", "--out", "."],
        "out-inside-raw": ["raw", "--out", "raw/dataset"],
        "out-holds-raw-file": ["raw/feed.jsonl", "--out", "raw"],
        "work-is-raw": ["raw", "--out", "ds", "--work", "raw"],
        "work-inside-out": ["raw", "--out", "ds", "--work", "ds/work"],
    }[case]
    res = CliRunner().invoke(app, ["build", *args])
    assert res.exit_code == 2, res.output
    assert "--out" in one_line_error(res) or "--work" in res.output
    assert tree_hash(project) == before
    assert not (project / "ds").exists() and not list(raw.glob(".*akhbar*"))


def test_a_folder_akhbar_did_not_write_is_replaced_only_with_force(tmp_path: Path) -> None:
    raw = make_raw(tmp_path / "raw")
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.txt").write_text("لا تحذفني", encoding="utf-8")
    res = CliRunner().invoke(app, ["build", str(raw), "--out", str(out)])
    assert res.exit_code == 2
    assert "not an Akhbar dataset" in one_line_error(res) and "--force" in res.output
    assert (out / "thesis.txt").read_text(encoding="utf-8") == "لا تحذفني"
    assert not (tmp_path / ".mine.akhbar").exists()  # refused before the lock file

    build([raw], out, params_mod.load(), validate=False, card=False, force=True)
    assert not (out / "thesis.txt").exists()
    marker = guard.read_marker(out)
    assert marker and marker["status"] == "ok" and "data" in marker["entries"]
    kept = pl.read_parquet(out / "data").height
    assert kept > 0

    # an Akhbar dataset is rebuilt without --force ...
    build([raw], out, params_mod.load(), validate=False, card=False)
    # ... unless someone put a file of their own into it
    (out / "notes.md").write_text("ملاحظات", encoding="utf-8")
    with pytest.raises(UsageError, match=r"notes\.md"):
        build([raw], out, params_mod.load(), validate=False, card=False)
    assert (out / "notes.md").exists() and pl.read_parquet(out / "data").height == kept


def test_out_that_is_a_file_is_refused_even_with_force(tmp_path: Path) -> None:
    raw = make_raw(tmp_path / "raw")
    (tmp_path / "out.txt").write_text("x", encoding="utf-8")
    res = CliRunner().invoke(app, ["build", str(raw), "--out", str(tmp_path / "out.txt"),
                                   "--force"])
    assert res.exit_code == 2 and "is a file" in one_line_error(res)
    assert (tmp_path / "out.txt").read_text(encoding="utf-8") == "x"


def test_a_second_build_into_the_same_out_exits_2_at_once(tmp_path: Path) -> None:
    raw = make_raw(tmp_path / "raw")
    out = tmp_path / "ds"
    lock = publish.control_dir(out) / "lock"
    lock.parent.mkdir(parents=True)
    holder = subprocess.Popen(  # another process holds the build lock of OUT
        [sys.executable, "-c", "import filelock, sys, time\n"
         "lock = filelock.FileLock(sys.argv[1]); lock.acquire()\n"
         "print('held', flush=True); time.sleep(120)", str(lock)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        res = CliRunner().invoke(app, ["build", str(raw), "--out", str(out)])
        assert res.exit_code == 2
        assert "another build" in one_line_error(res)
        assert not out.exists()
    finally:
        holder.kill()
        holder.wait()


def test_empty_input_folder_exits_2(tmp_path: Path) -> None:
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    res = CliRunner().invoke(app, ["build", str(tmp_path / "empty"), "--out",
                                   str(tmp_path / "ds")])
    assert res.exit_code == 2 and "holds no file" in one_line_error(res)
    assert not (tmp_path / "ds").exists()


def test_unreadable_params_exit_2(tmp_path: Path) -> None:
    raw = make_raw(tmp_path / "raw")
    bad = tmp_path / "p.yaml"
    bad.write_text("- just\n- a list\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["build", str(raw), "--out", str(tmp_path / "ds"),
                                   "--params", str(bad)])
    assert res.exit_code == 2 and "p.yaml" in one_line_error(res)
    bad.write_text("build:\n  min_coverage: {dateline: 0.5}\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["build", str(raw), "--out", str(tmp_path / "ds"),
                                   "--params", str(bad)])
    assert res.exit_code == 2 and "min_coverage.dateline" in one_line_error(res)


def test_version() -> None:
    res = CliRunner().invoke(app, ["--version"])
    assert res.exit_code == 0 and res.output.strip() == f"akhbar {akhbar.__version__}"


@pytest.mark.slow
def test_twenty_files_of_random_bytes_exit_1_with_every_file_in_rejected(
        tmp_path: Path) -> None:
    raw = tmp_path / "noise"
    raw.mkdir()
    rng = random.Random(11)
    for i in range(20):
        (raw / f"f{i:02d}{['.txt', '.json', '', '.html'][i % 4]}").write_bytes(
            rng.randbytes(rng.randint(200, 4000)))
    out = tmp_path / "ds"
    res = CliRunner().invoke(app, ["build", str(raw), "--out", str(out), "--no-validate"])
    assert res.exit_code == 1, res.output
    line = one_line_error(res)
    assert "kept no article of 20 records" in line and "most rejected:" in line
    rejected = pl.read_parquet(out / "rejected")  # published: OUT held no passing dataset
    assert sorted(rejected.get_column("raw_file").unique().to_list()) == sorted(
        f"noise/{p.name}" for p in raw.iterdir())
    assert rejected.height == 20
    assert guard.read_marker(out)["status"] == "failed"
    stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    assert stats["articles_total"] == 0 and stats["rejected_total"] == 20


# --- the floors, on stats.json shapes -------------------------------------------------

def _stats(formats: dict[str, dict], rejected: dict[str, int]) -> dict:
    kept = sum(f["kept"] for f in formats.values())
    full = {name: {"rows": f["rows"], "kept": f["kept"], "duplicates": f.get("duplicates", 0),
                   "own": f.get("own", f["kept"]), "filled": f.get("filled", {}),
                   "top_rejected": f.get("top")} for name, f in formats.items()}
    return {"articles_total": kept, "rejected": rejected,
            "rejected_total": sum(rejected.values()), "formats": full}


def test_floors_name_the_format_and_the_column() -> None:
    params = params_mod.defaults()
    # TREC files read as aggregator pages: titles in 12 of 300 rows
    stats = _stats({"aggregator": {"rows": 300, "kept": 300, "filled": {"title": 12}},
                    "json": {"rows": 100, "kept": 100, "filled": {"title": 100}}}, {})
    problems = floors.check(stats, params)
    assert problems == ["format aggregator: column title filled in 12 of 300 kept rows "
                        "(4%; floor build.min_coverage.title 90%)"]
    # a format that never yields titles is not checked; read-also excerpts are not "own"
    stats = _stats({"aggregator": {"rows": 300, "kept": 300, "own": 200,
                                   "filled": {"title": 0}}}, {})
    assert floors.check(stats, params) == []


def test_floors_kept_share_overall_and_per_format_duplicates_excluded() -> None:
    params = params_mod.defaults()
    # 2,900 windows-1256 files rejected as binary beside 1,000 good JSON records
    stats = _stats({"json": {"rows": 1000, "kept": 1000, "filled": {"title": 1000}},
                    "unknown": {"rows": 2900, "kept": 0, "top": "ingest:binary"}},
                   {"ingest:binary": 2900})
    problems = floors.check(stats, params)
    assert problems[0].startswith("kept 1000 of 3900 records (26%; floor "
                                  "build.min_kept_share 50%); most rejected: ingest:binary")
    assert problems[1].startswith("format unknown: kept 0 of 2900 records")
    assert "(and 1 more" in floors.message(problems)
    # 70% duplicates is the dedup doing its job, not a collapse
    stats = _stats({"json": {"rows": 1000, "kept": 300, "duplicates": 700,
                             "filled": {"title": 300}}}, {"dedup:exact": 700})
    assert floors.check(stats, params) == []
    # few rows: per-format floors wait for min_format_rows, the overall one does not
    stats = _stats({"csv": {"rows": 5, "kept": 1, "top": "parse:empty-body"}},
                   {"parse:empty-body": 4})
    assert [p.split(" (")[0] for p in floors.check(stats, params)] == ["kept 1 of 5 records"]


def test_floors_nothing_read_or_nothing_kept_always_fails() -> None:
    params = params_mod.merge(params_mod.defaults(), {"build": {"min_kept_share": 0.0}})
    assert "no record was read" in floors.check(_stats({}, {}), params)[0]
    stats = _stats({"unknown": {"rows": 3, "kept": 0}}, {"ingest:unknown-format": 3})
    assert floors.check(stats, params)[0].startswith("kept no article of 3 records")


def test_out_given_as_a_symlink_stays_a_symlink_to_the_new_dataset(tmp_path: Path) -> None:
    raw = make_raw(tmp_path / "raw")
    target = tmp_path / "real"
    build([raw], target, params_mod.load(), validate=False, card=False)
    link = tmp_path / "link"
    link.symlink_to(target)
    build([raw], link, params_mod.load(), validate=False, card=False)
    assert link.is_symlink() and link.resolve() == target
    assert guard.read_marker(target)["status"] == "ok"
    assert not (tmp_path / ".link.akhbar").exists()
    assert [p.name for p in (tmp_path / ".real.akhbar").iterdir()] == ["lock"]


def test_dvc_collect_stage_fails_on_a_collapse_with_rejected_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from akhbar import stagecli
    from akhbar.pipeline import STAGES, Layout, run_stage
    from conftest import ROOT

    raw = tmp_path / "noise"
    raw.mkdir()
    rng = random.Random(5)
    for i in range(3):
        (raw / f"n{i}.bin").write_bytes(rng.randbytes(500))
    layout, params = Layout(tmp_path / "data"), params_mod.defaults()
    for stage in STAGES:
        if stage.rejects:
            run_stage(stage.name, layout, params, raw_paths=[raw])
    dataset = tmp_path / "dataset"
    argv = ["--params", str(ROOT / "params.yaml"), "--root", str(layout.root),
            "--dataset", str(dataset), "--reports", str(tmp_path / "reports")]
    assert stagecli.main("split", argv) == 0  # the split itself has nothing to refuse
    assert stagecli.main("collect", argv) == 1  # publishing checks the floors
    assert "kept no article of 3 records" in capsys.readouterr().err
    assert pl.read_parquet(dataset / "rejected").height == 3
