"""The benchmark command prints and saves real per-stage figures (no timing asserted), and
reaches the build through its ``on_stage`` hook, not by patching it."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import psutil
from typer.testing import CliRunner

from akhbar import build as build_mod
from akhbar import gx_session, pipeline
from akhbar import params as params_mod
from akhbar.build import StageMeasure
from akhbar.cli import app
from akhbar_dev import bench

STAGES = tuple(s.name for s in pipeline.plan(validate=False, card=False))


def test_benchmark_reports_every_stage_with_figures(tmp_path: Path, sample_dir: Path,
                                                    capsys) -> None:
    report_path = tmp_path / "report.json"
    functions = (pipeline.run_stage, build_mod._run_stages, build_mod._run)
    code = bench.main(["--raw", str(sample_dir), "--out", str(tmp_path / "ds"),
                       "--no-validate", "--no-card", "--json", str(report_path)])
    assert code == 0
    assert (pipeline.run_stage, build_mod._run_stages, build_mod._run) == functions
    report = json.loads(report_path.read_text(encoding="utf-8"))
    stats = json.loads((tmp_path / "ds" / "stats.json").read_text(encoding="utf-8"))
    assert report["records_in"] == stats["records_in"] > 0
    assert report["articles_out"] == stats["articles_total"]
    assert list(report["stages"]) == list(STAGES)  # no validate/card: they were skipped
    for name in STAGES:
        figures = report["stages"][name]
        assert figures["seconds"] > 0 and figures["peak_rss_mb"] > 0
        assert figures["cpu_seconds"] >= 0
        # main and children apart; the tree's peak is at least each part's
        assert 0 < figures["peak_rss_main_mb"] <= figures["peak_rss_mb"]
        assert 0 <= figures["peak_rss_children_mb"] <= figures["peak_rss_mb"]
        if name in stats["stages"]:  # the stages that count rows
            assert figures["rows_in"] == stats["stages"][name]["rows_in"]
    total = report["total"]
    assert total["peak_rss_mb"] > 0 and total["articles_per_s"] > 0
    assert 0 < total["startup_seconds"] < total["process_seconds"]
    assert sum(s["cpu_seconds"] for s in report["stages"].values()) <= (
        total["process_cpu_seconds"] - total["startup_cpu_seconds"] + 0.5)
    printed = capsys.readouterr().out
    assert "ingest" in printed and "rows/s" in printed and "whole process" in printed
    assert "main + children" in printed and total["peak_rss_sampled_mb"] >= max(
        v["peak_rss_main_mb"] for v in report["stages"].values())


def test_build_calls_on_stage_after_each_stage(tmp_path: Path, sample_dir: Path) -> None:
    seen: list[StageMeasure] = []
    result = build_mod.build([sample_dir], tmp_path / "ds", params_mod.load(),
                             validate=False, card=False, on_stage=seen.append)
    assert [m.name for m in seen] == list(result.timings) == list(STAGES)
    for m in seen:
        assert m.wall_s > 0 and m.cpu_s >= 0 and m.peak_rss_bytes > 10 * 1024 * 1024
        assert abs(m.wall_s - result.timings[m.name]) < 0.05
    peaks = [m.peak_rss_bytes for m in seen]
    assert peaks == sorted(peaks)  # the process's peak so far never falls


def _pid() -> int:
    return os.getpid()


def test_validation_worker_is_another_process_and_is_reused() -> None:
    first = gx_session.run_in_worker(_pid)
    assert first != os.getpid()
    assert gx_session.run_in_worker(_pid) == first


def test_cli_bench_says_what_is_missing_without_the_dev_tools(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "akhbar_dev.bench", None)  # import fails
    result = CliRunner().invoke(app, ["bench", "--no-validate"])
    assert result.exit_code == 2
    assert "akhbar_dev" in result.output


def test_cli_bench_forwards_its_options() -> None:
    result = CliRunner().invoke(app, ["bench", "--help"])
    assert result.exit_code == 0
    assert "--synthetic" in result.output


def test_validation_worker_is_released_unless_the_process_keeps_it(monkeypatch) -> None:
    """A one-build process (the CLI) frees the GX worker before the card stage; the test
    suite (``KEEP_ENV``) keeps it."""
    first = gx_session.run_in_worker(_pid)
    gx_session.release()  # this suite sets KEEP_ENV: kept
    assert gx_session.run_in_worker(_pid) == first
    monkeypatch.setenv(gx_session.KEEP_ENV, "0")
    gx_session.release()
    assert gx_session._POOL is None
    assert not psutil.pid_exists(first) or psutil.Process(first).status() == psutil.STATUS_ZOMBIE
    second = gx_session.run_in_worker(_pid)  # a later build spawns a new one
    assert second not in (first, os.getpid())
