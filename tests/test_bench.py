"""The benchmark command prints and saves real per-stage figures (no timing asserted)."""

from __future__ import annotations

import json
from pathlib import Path

from akhbar import bench


def test_benchmark_reports_every_stage_with_figures(tmp_path: Path, sample_dir: Path,
                                                    capsys) -> None:
    report_path = tmp_path / "report.json"
    code = bench.main(["--raw", str(sample_dir), "--out", str(tmp_path / "ds"),
                       "--no-validate", "--no-card", "--json", str(report_path)])
    assert code == 0
    report = json.loads(report_path.read_text(encoding="utf-8"))
    stats = json.loads((tmp_path / "ds" / "stats.json").read_text(encoding="utf-8"))
    assert report["records_in"] == stats["records_in"] > 0
    assert report["articles_out"] == stats["articles_total"]
    assert {"ingest", "parse", "clean", "filter", "dedup", "split"} <= set(report["stages"])
    for name in ("ingest", "parse", "clean", "filter", "dedup", "split"):
        figures = report["stages"][name]
        assert figures["seconds"] > 0 and figures["peak_rss_mb"] > 0
        assert figures["rows_in"] == stats["stages"][name]["rows_in"]
    assert report["total"]["peak_rss_mb"] > 0 and report["total"]["articles_per_s"] > 0
    printed = capsys.readouterr().out
    assert "ingest" in printed and "rows/s" in printed and "whole process" in printed
