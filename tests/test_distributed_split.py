"""The split stage on a Dask cluster writes the local stage's files, byte for byte, in
both modes, from an input of several parts cut into many ranges; and its pure parts (id
ranges, file slices) hold their contracts.

An in-process cluster (threads) keeps this fast; tests/test_distributed.py runs the same
code on worker processes through ``akhbar build --scheduler``.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from akhbar import io, params, split
from akhbar.pipeline import Layout
from akhbar.schema import ARTICLE_SCHEMA, SPLITS
from builders import news

distributed = pytest.importorskip(
    "distributed", reason='the "distributed" extra is not installed (uv sync --extra distributed)')

from akhbar.distributed import split as dsplit  # noqa: E402
from akhbar.distributed.executor import DaskRunner  # noqa: E402


def _rows(n: int, seed: int) -> list[dict]:
    """Articles over five months (some undated, some dated by crawl only), stories of
    several rows, and a few rows sharing an id (the order falls back to provenance)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        month = rng.randint(1, 5)
        day = datetime(2024, month, rng.randint(1, 28), tzinfo=UTC)
        dated = rng.random()
        rows.append({
            "id": f"u{rng.getrandbits(40):010x}" if i % 17 else "u-shared",
            "text": news(i, 2, paragraphs=1), "source": "s",
            "published": day if dated < 0.7 else None,
            "crawled": day if 0.7 <= dated < 0.9 else None,
            "raw_file": f"f{i % 4}.json", "raw_record": i,
            "story_id": f"s{i // 3}" if i % 5 else None, "cluster_id": f"c{i}"})
    return rows


def _input(root: Path, rows: list[dict]) -> Layout:
    """The split's input table in three parts of unequal size."""
    layout = Layout(root)
    inp = layout.input("split")
    assert inp is not None
    for k, (a, b) in enumerate(((0, 90), (90, 100), (100, len(rows)))):
        io.write_table(inp / f"part-{k:05d}.parquet", rows[a:b], ARTICLE_SCHEMA)
    return layout


def _hashes(folder: Path) -> dict[str, str]:
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest()
            for f in sorted(folder.glob("*.parquet"))}


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as lc, distributed.Client(lc) as c:
        yield c


@pytest.mark.parametrize("mode", ["hash", "temporal"])
def test_split_on_the_cluster_writes_the_local_files(client, tmp_path: Path, mode: str
                                                     ) -> None:
    p = params.defaults()
    p["split"].update(mode=mode, rows_per_file=45, sort_chunk_rows=20)
    p["executor"].update(shard_batches=1)
    layout = _input(tmp_path / "work", _rows(260, 7))
    want = split.run(layout.input("split"), tmp_path / "local", p)
    runner = DaskRunner(client, p)
    got = runner("split", layout, params.typed(p), dataset_dir=tmp_path / "dask")
    assert runner.info["split"]["executor"] == "cluster"
    assert runner.info["split"]["ranges"] >= 10 and runner.info["split"]["buckets"] >= 9
    local_files = _hashes(tmp_path / "local" / "data")
    assert len(local_files) >= 6, "several files per split"
    assert _hashes(tmp_path / "dask" / "data") == local_files
    assert got.to_dict() == want.to_dict()
    assert layout.report("split").exists()
    assert not (layout.root / "_shards").exists()
    if mode == "temporal":
        assert want.stats["test"] > 0 and want.stats["validation"] > 0


def test_an_old_file_of_a_split_is_replaced(client, tmp_path: Path) -> None:
    p = params.defaults()
    p["split"].update(rows_per_file=1000, sort_chunk_rows=30)
    layout = _input(tmp_path / "work", _rows(120, 3))
    stale = tmp_path / "ds" / "data" / "train-00003-of-00004.parquet"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    DaskRunner(client, p)("split", layout, params.typed(p), dataset_dir=tmp_path / "ds")
    names = sorted(f.name for f in (tmp_path / "ds" / "data").glob("*.parquet"))
    assert names == [f"{s}-00000-of-00001.parquet" for s in sorted(SPLITS)]


def test_id_ranges_follow_the_id_order() -> None:
    ids = pl.Series(["b", "a", None, "d", "c", "b"], dtype=pl.String)
    got = dsplit.buckets_of(ids, ["b", "d"]).tolist()
    assert got == [1, 0, 2, 2, 1, 1]
    assert dsplit.buckets_of(ids, []).tolist() == [0] * 6


def test_bounds_cut_the_sample_into_even_ranges() -> None:
    sample = [f"{i:04d}" for i in range(100)]
    random.Random(1).shuffle(sample)
    assert dsplit.bounds_from(sample, rows=1000, chunk=250) == ["0025", "0050", "0075"]
    assert dsplit.bounds_from(sample, rows=10, chunk=250) == []
    assert dsplit.bounds_from([], rows=0, chunk=5) == []


@pytest.mark.parametrize("counts", [[7, 0, 12, 3], [50], [], [1, 1, 1]])
def test_file_slices_cover_each_file_exactly(counts: list[int]) -> None:
    paths = [f"b{k}" for k in range(len(counts))]
    files = dsplit.file_pieces(counts, paths, rows_per_file=5)
    total = sum(counts)
    assert len(files) == max(1, -(-total // 5))
    flat = [(path, off + i) for pieces in files for path, off, n in pieces for i in range(n)]
    assert flat == [(p, i) for p, c in zip(paths, counts, strict=True) for i in range(c)]
    assert [sum(n for _, _, n in f) for f in files[:-1]] == [5] * (len(files) - 1)


def _rejected(layout: Layout, rows: list[dict]) -> None:
    """Rejected tables of three stages (one missing), formats known and unknown."""
    from akhbar.pipeline import reason_prefixes
    from akhbar.schema import REJECTED_SCHEMA

    stages = reason_prefixes()
    for k, stage in enumerate([stages[0], stages[2], stages[-1]]):
        why = ["too-short", "empty", "near" if stage == "dedup" else "odd"]
        part = [{**r, "stage": stage, "reason": f"{stage}:{why[i % 3]}",
                 "reasons": [f"{stage}:{why[i % 3]}"], "raw_format": [None, "json", "csv"][i % 3],
                 "duplicate_of": None} for i, r in enumerate(rows[k * 40:(k + 1) * 40 + 7 * k])]
        io.write_table(layout.rejected(stage), part, REJECTED_SCHEMA)


def test_collect_on_the_cluster_writes_the_local_files(client, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from akhbar import collect
    from akhbar.distributed import collect as dcollect

    monkeypatch.setattr(collect, "REJECTED_ROWS_PER_SHARD", 30)  # several published files
    p = params.defaults()
    p["split"].update(rows_per_file=40)
    rows = _rows(200, 5)
    for i, r in enumerate(rows):
        r.update(raw_format=["json", "csv", None][i % 3], host_id="h" if i % 7 == 0 else None,
                 title=None if i % 4 == 0 else "عنوان")
    layout = _input(tmp_path / "work", rows)
    _rejected(layout, rows)
    (tmp_path / "stats").mkdir()
    for name in ("local", "dask"):
        split.run(layout.input("split"), tmp_path / name, p)
    want = collect.run(layout, tmp_path / "local")
    got = dcollect.run(layout, tmp_path / "dask", client)
    assert got == want
    files = _hashes(tmp_path / "local" / "rejected")
    assert len(files) >= 4
    assert _hashes(tmp_path / "dask" / "rejected") == files
    assert ((tmp_path / "dask" / "stats.json").read_bytes()
            == (tmp_path / "local" / "stats.json").read_bytes())
    stats = json.loads((tmp_path / "local" / "stats.json").read_text(encoding="utf-8"))
    assert stats["rejected_total"] == 40 + 47 + 54
    assert set(stats["formats"]) == {"json", "csv", "unknown"}
    assert any(f["duplicates"] for f in stats["formats"].values())


def test_the_key_pass_returns_counts_and_a_sample_not_rows(tmp_path: Path) -> None:
    """What a range sends the driver: per split a count and every stride-th sorted id
    (stride = sort_chunk_rows / SAMPLES_PER_BUCKET), never the range's ids."""
    p = params.defaults()
    p["split"].update(sort_chunk_rows=80)
    rows = _rows(300, 11)
    io.write_table(tmp_path / "part-00000.parquet", rows, ARTICLE_SCHEMA)
    got = dsplit.split_keys(str(tmp_path / "part-00000.parquet"), 0, 300, params.typed(p), None)
    stride = 80 // dsplit.SAMPLES_PER_BUCKET
    assert sum(n for n, _ in got.values()) == 300
    for name, (n, sample) in got.items():
        ids = sorted(r["id"] for r, s in zip(rows, split.assign(pl.DataFrame(rows).select(
            split.PLAN_COLUMNS), p), strict=True) if s == name)
        assert n == len(ids)
        assert sample == ids[::stride]
        assert len(sample) <= -(-n // stride)
