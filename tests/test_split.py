"""The split stage: clusters never straddle splits, adding articles moves no kept one,
temporal mode holds out the latest periods, and the files are the same bytes every time."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from akhbar import dedup, io, params, split
from akhbar.schema import ARTICLE_SCHEMA, SPLITS
from builders import news as _news


def news(seed: int, sentences: int = 4) -> str:
    """A one-paragraph made-up body (see builders.news)."""
    return _news(seed, sentences, paragraphs=1)


def edited(text: str) -> str:
    words = text.split(" ")
    del words[len(words) // 2]
    return " ".join(words)


def art(i: int, text: str, published: datetime | None = None,
        crawled: datetime | None = None, cluster_id: str | None = None) -> dict:
    return {"id": f"a{i:05d}", "text": text, "source": "s", "published": published,
            "crawled": crawled, "raw_file": "s.json", "raw_record": i,
            "cluster_id": cluster_id}


def with_split(**override: object) -> dict:
    p = params.defaults()
    p["split"] = {**p["split"], **override}
    return p


def write(folder: Path, rows: list[dict]) -> Path:
    io.write_table(folder / "part-00000.parquet", rows, ARTICLE_SCHEMA)
    return folder


def read_splits(dataset: Path) -> dict[str, pl.DataFrame]:
    return {s: pl.concat([pl.read_parquet(f) for f in
                          sorted((dataset / "data").glob(f"{s}-*.parquet"))])
            for s in SPLITS}


def where(dataset: Path) -> dict[str, str]:
    return {i: s for s, df in read_splits(dataset).items() for i in df.get_column("id")}


def test_files_counts_and_order(tmp_path: Path) -> None:
    rows = [art(i, news(i), cluster_id=f"a{i:05d}") for i in range(300)]
    random.Random(1).shuffle(rows)
    rep = split.run(write(tmp_path / "in", rows), tmp_path / "ds",
                    with_split(rows_per_file=100, sort_chunk_rows=70))
    names = sorted(p.name for p in (tmp_path / "ds" / "data").glob("*.parquet"))
    assert "train-00000-of-00003.parquet" in names and "test-00000-of-00001.parquet" in names
    frames = read_splits(tmp_path / "ds")
    assert rep.name == "split"
    assert rep.stats == {s: frames[s].height for s in SPLITS}
    assert sum(rep.stats.values()) == rep.rows_out == rep.rows_in == 300
    assert 190 <= rep.stats["train"] <= 290 and rep.stats["test"] >= 10
    for df in frames.values():
        ids = df.get_column("id").to_list()
        assert ids == sorted(ids)
    assert pq.read_schema(tmp_path / "ds" / "data" / names[0]).equals(ARTICLE_SCHEMA)


def test_empty_splits_still_get_one_file(tmp_path: Path) -> None:
    rep = split.run(write(tmp_path / "in", [art(1, news(1), cluster_id="a00001")]),
                    tmp_path / "ds", params.defaults())
    for s in SPLITS:
        assert (tmp_path / "ds" / "data" / f"{s}-00000-of-00001.parquet").exists()
    assert sorted(rep.stats.values()) == [0, 0, 1]


def test_a_cluster_never_straddles_splits(tmp_path: Path) -> None:
    rows = [art(10 * c + k, news(10 * c + k), cluster_id=f"c{c}")
            for c in range(40) for k in range(4)]
    split.run(write(tmp_path / "in", rows), tmp_path / "ds", params.load())
    placed = where(tmp_path / "ds")
    for c in range(40):
        assert len({placed[f"a{10 * c + k:05d}"] for k in range(4)}) == 1


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=40), st.text(max_size=10))
def test_bucket_is_a_pure_function_in_unit_interval(key: str, salt: str) -> None:
    u = split.bucket(salt, key)
    assert 0.0 <= u < 1.0
    assert split.bucket(salt, key) == u


def _corpus(n: int, seed: int) -> list[dict]:
    """n stories, a third of which come with a re-edited or exact copy."""
    rng = random.Random(seed)
    rows: list[dict] = []
    for k in range(n):
        body = news(seed * 1000 + k)
        day = datetime(2024, 1 + k % 6, 1 + k % 27, tzinfo=UTC)
        rows.append(art(seed * 1000 + k, body, published=day))
        if k % 3 == 0:
            copy = edited(body) if rng.random() < 0.5 else body
            rows.append(art(seed * 1000 + 500 + k, copy, published=day))
    return rows


def _build(tmp: Path, rows: list[dict], tag: str, **split_params: object) -> Path:
    p = with_split(**split_params)
    inp = write(tmp / f"raw-{tag}", rows)
    dedup.run(inp, tmp / f"dd-{tag}", tmp / f"rej-{tag}.parquet", p)
    split.run(tmp / f"dd-{tag}", tmp / f"ds-{tag}", p)
    return tmp / f"ds-{tag}"


def test_subset_to_superset_keeps_every_kept_article_in_its_split(tmp_path: Path) -> None:
    small = _corpus(60, 1)
    extra = _corpus(40, 2)
    # later copies of existing stories: they lose the keep rule and must move nothing
    late = datetime(2025, 1, 1, tzinfo=UTC)
    extra += [art(9000 + i, edited(r["text"]), published=late) for i, r in enumerate(small[:10])]
    big = small + extra
    random.Random(3).shuffle(big)
    before = where(_build(tmp_path, small, "small"))
    after = where(_build(tmp_path, big, "big"))
    both = before.keys() & after.keys()
    assert len(both) == len(before)  # nothing kept before was dropped by the additions
    assert all(before[i] == after[i] for i in both)
    assert len(after) > len(before)


def test_temporal_mode_holds_out_the_latest_months(tmp_path: Path) -> None:
    def at(m: int, d: int = 5) -> datetime:
        return datetime(2024, m, d, tzinfo=UTC)

    rows = [art(1, news(1), published=at(1)), art(2, news(2), published=at(3, 30)),
            art(3, news(3), published=None, crawled=at(5)),  # crawl date stands in
            art(4, news(4), published=at(5, 1)), art(5, news(5)),  # undated → train
            art(6, news(6), published=at(3, 1))]
    rep = split.run(write(tmp_path / "in", rows), tmp_path / "ds",
                    with_split(mode="temporal"))
    placed = where(tmp_path / "ds")
    assert placed == {"a00001": "train", "a00002": "validation", "a00003": "test",
                      "a00004": "test", "a00005": "train", "a00006": "validation"}
    assert rep.stats == {"train": 2, "validation": 2, "test": 2}


def test_same_rows_in_any_order_give_byte_identical_files(tmp_path: Path) -> None:
    rows = [art(i, news(i), cluster_id=f"a{i:05d}") for i in range(120)]
    shuffled = rows[:]
    random.Random(9).shuffle(shuffled)
    blobs = []
    for tag, rs in (("a", rows), ("b", rows), ("c", shuffled)):
        split.run(write(tmp_path / f"in-{tag}", rs), tmp_path / f"ds-{tag}",
                  with_split(sort_chunk_rows=50))
        files = sorted((tmp_path / f"ds-{tag}" / "data").glob("*.parquet"))
        blobs.append({f.name: f.read_bytes() for f in files})
    assert blobs[0] == blobs[1] == blobs[2]


def test_empty_input_gives_three_empty_files(tmp_path: Path) -> None:
    rep = split.run(write(tmp_path / "in", []), tmp_path / "ds", params.load())
    assert rep.stats == {"train": 0, "validation": 0, "test": 0}
    for s in SPLITS:
        f = tmp_path / "ds" / "data" / f"{s}-00000-of-00001.parquet"
        assert pq.read_table(f).schema.equals(ARTICLE_SCHEMA)
