"""The dedup stage: exact and near duplicates collapse across sources by the keep rule,
whatever the input order, and the output is the same bytes every time."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from akhbar import dedup, io, params
from akhbar.folding import fold_expr
from akhbar.schema import ARTICLE_SCHEMA
from builders import news


def edited(text: str) -> str:
    """A re-edited copy: one word dropped, one word added (Jaccard stays high)."""
    words = text.split(" ")
    del words[len(words) // 3]
    words.insert(2 * len(words) // 3, "أيضا")
    return " ".join(words)


def spelled_differently(text: str) -> str:
    """The same text to the folded key: tashkeel, hamza forms and punctuation differ."""
    return ("«" + text.replace("أعلنت", "اعلنت").replace("وزارة", "وِزارة")
            .replace(".", "،") + "»")


def day(d: int) -> datetime:
    return datetime(2024, 3, d, 8, 0, tzinfo=UTC)


def art(id_: str, text: str, source: str = "s1", published: datetime | None = None,
        crawled: datetime | None = None, **extra: object) -> dict:
    return {"id": id_, "text": text, "source": source, "published": published,
            "crawled": crawled, "raw_file": f"{source}.json", "raw_record": int(id_[1:]),
            **extra}


def run(tmp: Path, rows: list[dict], batch_size: int = 4, tag: str = "x"
        ) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    inp = tmp / f"in-{tag}"
    io.write_table(inp / "part-00000.parquet", rows, ARTICLE_SCHEMA)
    p = params.defaults()
    p["dedup"] = {**p["dedup"], "batch_size": batch_size}
    rep = dedup.run(inp, tmp / f"out-{tag}", tmp / f"rej-{tag}.parquet", p)
    out = io.read_frame(tmp / f"out-{tag}")
    rej = pl.read_parquet(tmp / f"rej-{tag}.parquet")
    assert rep.rows_in == len(rows) and rep.rows_out == out.height
    assert out.height + rej.height == len(rows)
    return out, rej, rep.to_dict()


def dropped(rej: pl.DataFrame) -> dict[str, tuple[str, str]]:
    return {r["id"]: (r["reason"], r["duplicate_of"]) for r in rej.iter_rows(named=True)}


def test_exact_copies_across_sources_keep_the_earliest_published(tmp_path: Path) -> None:
    body = news(1)
    rows = [art("a1", body, "s1", published=day(3), crawled=day(1)),
            art("a2", spelled_differently(body), "s2", published=day(2), crawled=day(9)),
            art("a3", body, "s3", published=None, crawled=day(1)),  # no date: last
            art("a4", news(2), "s1", published=day(5))]
    out, rej, rep = run(tmp_path, rows)
    assert out.get_column("id").to_list() == ["a2", "a4"]
    assert out.get_column("cluster_id").to_list() == ["a2", "a4"]
    assert dropped(rej) == {"a1": ("dedup:exact", "a2"), "a3": ("dedup:exact", "a2")}
    assert set(rej.get_column("stage")) == {"dedup"}
    assert rep["rejected"] == {"dedup:exact": 2}
    assert rep["stats"]["exact_groups"] == 1 and rep["stats"]["exact_copies"] == 2


def test_keep_rule_ties_fall_to_crawled_then_id(tmp_path: Path) -> None:
    body = news(3)
    rows = [art("a5", body, published=day(2), crawled=day(4)),
            art("a6", body, published=day(2), crawled=day(3)),
            art("a7", body, published=day(2), crawled=day(3))]
    out, rej, _ = run(tmp_path, rows, tag="t1")
    assert out.get_column("id").to_list() == ["a6"]
    assert dropped(rej) == {"a5": ("dedup:exact", "a6"), "a7": ("dedup:exact", "a6")}
    undated = [art("a9", body), art("a8", body)]
    out, rej, _ = run(tmp_path, undated, tag="t2")
    assert out.get_column("id").to_list() == ["a8"]
    assert dropped(rej) == {"a9": ("dedup:exact", "a8")}


def test_near_duplicates_collapse_across_sources(tmp_path: Path) -> None:
    body = news(4)
    rows = [art("a1", edited(body), "s2", published=day(4)),
            art("a2", news(5), "s1", published=day(1)),
            art("a3", body, "s1", published=day(3)),
            art("a4", edited(edited(body)), "s3", published=day(6))]
    out, rej, rep = run(tmp_path, rows)
    assert out.get_column("id").to_list() == ["a2", "a3"]
    assert dropped(rej) == {"a1": ("dedup:near", "a3"), "a4": ("dedup:near", "a3")}
    assert rep["rejected"] == {"dedup:near": 2}
    assert all("Jaccard" in d for d in rej.get_column("detail").to_list())


def test_distinct_articles_are_all_kept_in_input_order(tmp_path: Path) -> None:
    rows = [art(f"a{i}", news(100 + i)) for i in range(12)]
    out, rej, _ = run(tmp_path, rows, batch_size=5)
    assert rej.height == 0
    assert out.get_column("id").to_list() == [r["id"] for r in rows]
    assert out.get_column("cluster_id").to_list() == out.get_column("id").to_list()


def test_read_also_row_merges_with_its_own_full_page(tmp_path: Path) -> None:
    page = news(6, sentences=3)
    rows = [art("a1", page, published=day(2)),
            art("a2", page, published=day(2), host_id="a1"),  # cut from a1, same text
            art("a3", news(7))]
    out, rej, _ = run(tmp_path, rows)
    assert out.get_column("id").to_list() == ["a1", "a3"]
    assert dropped(rej) == {"a2": ("dedup:exact", "a1")}


def _mixed_rows() -> list[dict]:
    rows: list[dict] = []
    for k in range(6):
        body = news(200 + k)
        rows.append(art(f"a{10 * k + 1}", body, "s1", published=day(1 + k % 3)))
        rows.append(art(f"a{10 * k + 2}", spelled_differently(body), "s2",
                        published=day(2 + k % 2)))
        rows.append(art(f"a{10 * k + 3}", edited(body), "s3", crawled=day(1)))
    rows += [art(f"a{100 + i}", news(300 + i), "s4") for i in range(5)]
    return rows


def test_decisions_do_not_depend_on_input_order_or_batches(tmp_path: Path) -> None:
    rows = _mixed_rows()
    out1, rej1, _ = run(tmp_path, rows, batch_size=4, tag="a")
    shuffled = rows[:]
    random.Random(5).shuffle(shuffled)
    out2, rej2, _ = run(tmp_path, shuffled, batch_size=7, tag="b")
    assert set(out1.get_column("id")) == set(out2.get_column("id"))
    assert dropped(rej1) == dropped(rej2)
    assert out2.get_column("id").to_list() == [r["id"] for r in shuffled
                                               if r["id"] in set(out1.get_column("id"))]
    assert out1.height == 6 + 5


def test_same_input_gives_byte_identical_files(tmp_path: Path) -> None:
    rows = _mixed_rows()
    blobs = []
    for tag in ("r1", "r2"):
        run(tmp_path, rows, tag=tag)
        files = [*io.parquet_files(tmp_path / f"out-{tag}"), tmp_path / f"rej-{tag}.parquet"]
        blobs.append([f.read_bytes() for f in files])
    assert blobs[0] == blobs[1]


def test_empty_and_short_texts_only_match_exactly(tmp_path: Path) -> None:
    rows = [art("a1", ""), art("a2", ""), art("a3", "خبر"), art("a4", "خبر آخر"),
            art("a5", news(8))]
    out, rej, _ = run(tmp_path, rows)
    assert out.get_column("id").to_list() == ["a1", "a3", "a4", "a5"]
    assert dropped(rej) == {"a2": ("dedup:exact", "a1")}


# --------------------------------------------------------------------------- units
def test_shingle_hashes_share_shingles_of_shared_text() -> None:
    folded = pl.Series(["ا ب ج د ه و", "ا ب", "", "ب ج د ه و ز"])
    flat, offsets = dedup.shingle_hashes(folded, 5)
    assert offsets.tolist() == [0, 2, 3, 3, 5]
    assert flat[1] == flat[3]  # "ب ج د ه و" in both texts
    assert len(set(flat.tolist())) == 4


def _bfs_components(n: int, edges: list[tuple[int, int]]) -> list[int]:
    adj: dict[int, set[int]] = {i: set() for i in range(n)}
    for a, b in edges:
        adj[a].add(b)
        adj[b].add(a)
    label = [-1] * n
    for s in range(n):
        if label[s] < 0:
            stack, label[s] = [s], s
            while stack:
                for v in adj[stack.pop()]:
                    if label[v] < 0:
                        label[v] = s
                        stack.append(v)
    return label


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 40).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                         max_size=60))))
def test_union_find_matches_graph_components(case: tuple[int, list[tuple[int, int]]]) -> None:
    n, edges = case
    a = np.array([e[0] for e in edges], dtype=np.int64)
    b = np.array([e[1] for e in edges], dtype=np.int64)
    got = dedup.components(n, a, b)
    assert got.tolist() == _bfs_components(n, edges)
    rev = dedup.components(n, b[::-1].copy(), a[::-1].copy())
    assert rev.tolist() == got.tolist()


def test_oversized_buckets_are_order_independent_too(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """With every bucket "oversized" (star + chain instead of all pairs), the decisions
    still ignore the input order: LSH nodes are numbered by exact key."""
    monkeypatch.setattr(dedup, "MAX_BUCKET_PAIRS", 1)
    rows = _mixed_rows()
    _, rej1, _ = run(tmp_path, rows, tag="o1")
    shuffled = rows[::-1]
    _, rej2, _ = run(tmp_path, shuffled, batch_size=3, tag="o2")
    assert dropped(rej1) == dropped(rej2)
    assert len(dropped(rej1)) == 12


def test_empty_input_writes_empty_tables(tmp_path: Path) -> None:
    io.write_table(tmp_path / "in" / "part-00000.parquet", [], ARTICLE_SCHEMA)
    rep = dedup.run(tmp_path / "in", tmp_path / "out", tmp_path / "rej.parquet", params.load())
    assert rep.rows_in == rep.rows_out == 0
    assert io.read_frame(tmp_path / "out").height == 0
    assert pl.read_parquet(tmp_path / "rej.parquet").height == 0


def test_spilled_shingles_are_each_distinct_texts_own(tmp_path: Path) -> None:
    """Pass 1 spills every distinct text's shingle hashes in node order, for the story
    pass's exact check: a copy met in a later batch (or twice in one) adds nothing, and
    each node's set is the set of its own text, empty and short texts included."""
    texts = ["وزارة الصحة تعلن افتتاح مستشفى جديد في المدينة الشرقية", "خبر قصير",
             "", "أعلنت وزارة التعليم بدء العام الدراسي الجديد في موعده المحدد"]
    order = [0, 1, 0, 2, 3, 1, 3, 0, 2, 1]  # copies inside a batch and across batches
    rows = [art(f"a{i}", texts[t]) for i, t in enumerate(order)]
    inp = tmp_path / "in"
    io.write_table(inp / "part-00000.parquet", rows, ARTICLE_SCHEMA)
    d = params.typed(params.defaults()).dedup.model_copy(update={"batch_size": 3})
    idx = dedup._index(inp, d)
    offsets = np.concatenate([[0], np.cumsum(np.concatenate(idx.lengths))]).astype(np.int64)
    assert len(offsets) == len(texts) + 1 == len(idx.node_of_key) + 1
    node_of_row = pl.concat(idx.rows).get_column("node").to_list()
    got = idx.shingles.sets(offsets, set(range(len(texts))))
    for row, t in enumerate(order):
        folded = pl.select(fold_expr(pl.lit(texts[t]))).to_series()
        flat, _ = dedup.shingle_hashes(folded, d.shingle_size)
        assert np.array_equal(got[node_of_row[row]], np.unique(flat))
    assert len(got[node_of_row[order.index(2)]]) == 0  # the empty text has no shingle
    assert idx.shingles.sets(offsets, set()) == {}
    idx.shingles.close()
