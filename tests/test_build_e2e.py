"""End to end: the real stages on the embedded sample, loaded back with `datasets`."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import datasets
import polars as pl
import pytest
from typer.testing import CliRunner

from akhbar import params as params_mod
from akhbar.build import build
from akhbar.cli import app
from akhbar.io import read_frame
from akhbar.pipeline import STAGES, Layout
from akhbar.schema import SPLITS


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, sample_dir: Path):
    root = tmp_path_factory.mktemp("e2e")
    out, work = root / "dataset", root / "work"
    result = build([sample_dir], out, params_mod.load(), work=work)
    return result, out, work


def _parquet_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*.parquet"))}


def test_sample_build_loads_with_datasets(built) -> None:
    result, out, _ = built
    ds = datasets.load_dataset(str(out))
    assert set(ds) == set(SPLITS)
    for split in SPLITS:
        assert ds[split].num_rows == result.stats["articles"][split]
    assert sum(ds[s].num_rows for s in SPLITS) >= 30  # the sample holds ≥ 48 raw articles
    features = ds["train"].features
    assert features["published"] == datasets.Value("timestamp[us, tz=UTC]")
    assert features["crawled"] == datasets.Value("timestamp[us, tz=UTC]")
    assert features["tags"] == datasets.List(datasets.Value("string"))
    assert features["raw_record"] == datasets.Value("int64")
    ids = [set(ds[s]["id"]) for s in SPLITS]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2]), "an id is in two splits"
    rejected = datasets.load_dataset(str(out), "rejected")
    assert list(rejected) == ["rejected"]  # the rejected config's one split
    assert rejected["rejected"].num_rows == result.stats["rejected_total"] > 0


def test_every_raw_record_ends_in_a_split_or_in_rejected(built) -> None:
    _, out, work = built
    layout = Layout(work)
    ingested = read_frame(layout.output("ingest"), columns=["raw_file", "raw_record"])
    ingest_rejected = read_frame(layout.rejected("ingest"), columns=["raw_file", "raw_record"])
    raw = Counter(map(tuple, pl.concat([ingested, ingest_rejected]).rows()))
    assert raw and max(raw.values()) == 1, "a raw record was counted twice at ingest"

    cols = ["raw_file", "raw_record", "host_id"]
    kept = read_frame(out / "data", columns=cols).with_columns(pl.lit("kept").alias("where"))
    rejected = read_frame(out / "rejected", columns=cols).with_columns(
        pl.lit("rejected").alias("where"))
    hosts = pl.concat([kept, rejected]).filter(pl.col("host_id").is_null())
    ended = Counter(map(tuple, hosts.select("raw_file", "raw_record").rows()))
    assert ended == raw, "raw records lost or duplicated between ingest and the published files"


def test_rebuild_gives_byte_identical_parquet(built, tmp_path: Path, sample_dir: Path) -> None:
    _, out, _ = built
    again = tmp_path / "again"
    build([sample_dir], again, params_mod.load(), validate=False, card=False)
    first, second = _parquet_hashes(out), _parquet_hashes(again)
    assert first and first == second
    assert (out / "stats.json").read_bytes() == (again / "stats.json").read_bytes()


def test_stats_agree_with_the_files(built) -> None:
    result, out, _ = built
    stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    assert stats == result.stats
    assert set(stats["stages"]) == {s.name for s in STAGES if s.has_report}
    assert stats["records_in"] == stats["stages"]["ingest"]["rows_in"]
    reasons = read_frame(out / "rejected", columns=["reason"]).get_column("reason")
    assert dict(Counter(reasons.to_list())) == stats["rejected"]
    # per raw format: every published row counted once; what the floors read
    formats = stats["formats"]
    assert sum(f["rows"] for f in formats.values()) == (stats["articles_total"]
                                                        + stats["rejected_total"])
    assert sum(f["kept"] for f in formats.values()) == stats["articles_total"]
    kept = read_frame(out / "data", columns=["raw_format", "title", "host_id"])
    for fmt, f in formats.items():
        own = kept.filter((pl.col("raw_format") == fmt) & pl.col("host_id").is_null())
        assert f["own"] == own.height
        assert f["filled"]["title"] == own.get_column("title").is_not_null().sum()


def test_the_published_folder_is_marked_and_nothing_is_left_beside_it(built) -> None:
    _, out, _ = built
    marker = json.loads((out / ".akhbar-dataset").read_text(encoding="utf-8"))
    assert marker["status"] == "ok"
    assert set(marker["entries"]) == {p.name for p in out.iterdir()} - {".akhbar-dataset"}
    control = out.parent / f".{out.name}.akhbar"
    assert [p.name for p in control.iterdir()] == ["lock"]  # no staging, no work folder


def test_card_declares_both_configs(built) -> None:
    _, out, _ = built
    card = (out / "README.md").read_text(encoding="utf-8")
    assert card.startswith("---\n")
    assert "config_name: default" in card and "config_name: rejected" in card


def test_cli_build_and_validate(tmp_path: Path, sample_dir: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "cli-out"
    res = runner.invoke(app, ["build", str(sample_dir), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "raw records in" in res.output
    assert {p.name.split("-")[0] for p in (out / "data").glob("*.parquet")} == set(SPLITS)
    res = runner.invoke(app, ["validate", str(out)])
    assert res.exit_code == 0, res.output
    # a corrupted copy must fail validation with a non-zero exit
    victim = sorted((out / "data").glob("train-*.parquet"))[0]
    table = pl.read_parquet(victim)
    pl.concat([table, table.head(1)]).write_parquet(victim)  # duplicate id
    res = runner.invoke(app, ["validate", str(out)])
    assert res.exit_code == 1


def test_cli_names_a_missing_path_without_traceback(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["build", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2  # a usage error: nothing was built
    assert "nope" in res.output and "does not exist" in res.output
    assert "Traceback" not in res.output
