"""Story-level splits (akhbar.stories through the dedup and split stages): the same story
rewritten (5-gram Jaccard 0.5–0.7) is kept by dedup but lands in one split; story ids do not
depend on batch sizes or order; growing a corpus moves existing articles only by merges."""

from __future__ import annotations

import json
import random
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from akhbar import dedup, io, params, split
from akhbar.folding import fold
from akhbar.schema import ARTICLE_SCHEMA, SPLITS

SAUDINEWSNET = next((d / "shared" / "corpora" / "saudinewsnet"
                     for d in Path(__file__).resolve().parents
                     if (d / "shared" / "corpora" / "saudinewsnet").is_dir()),
                    Path("../shared/corpora/saudinewsnet"))
_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"


def vocabulary(n: int = 4000, seed: int = 7) -> list[str]:
    """Made-up Arabic-letter words (no corpus text), all distinct."""
    rng = random.Random(seed)
    words: set[str] = set()
    while len(words) < n:
        words.add("".join(rng.choice(_LETTERS) for _ in range(rng.randint(3, 7))))
    return sorted(words)


VOCAB = vocabulary()


def story(seed: int, n: int = 90) -> list[str]:
    rng = random.Random(seed)
    return [rng.choice(VOCAB) for _ in range(n)]


def rewrite(words: list[str], seed: int, lo: float = 0.0, hi: float = 1.0,
            every: int = 20) -> list[str]:
    """Replace one word in ``every`` inside the [lo, hi) share of the text."""
    rng = random.Random(seed)
    out = list(words)
    for i in range(int(lo * len(out)), int(hi * len(out))):
        if i % every == every // 2:
            out[i] = rng.choice(VOCAB)
    return out


def shingles(text: str, k: int = 5) -> set[tuple[str, ...]]:
    """Independent of akhbar.dedup: Python tuples of folded words."""
    w = fold(text).split()
    return {tuple(w[i:i + k]) for i in range(max(1, len(w) - k + 1))}


def jac(x: str, y: str) -> float:
    a, b = shingles(x), shingles(y)
    return len(a & b) / len(a | b)


T0 = datetime(2024, 1, 1, tzinfo=UTC)


def art(i: int, words: list[str], hours: int) -> dict:
    return {"id": f"a{i:06d}", "text": " ".join(words), "source": "s",
            "crawled": T0 + timedelta(hours=hours), "raw_file": "s.json", "raw_record": i}


def build(tmp: Path, rows: list[dict], tag: str, batch_size: int = 500
          ) -> tuple[pl.DataFrame, dict]:
    """dedup → split; (id, story_id, split) of every kept row, and the dedup stats."""
    p = params.defaults()
    p["dedup"] = {**p["dedup"], "batch_size": batch_size}
    inp = tmp / f"in-{tag}"
    io.write_table(inp / "part-00000.parquet", rows, ARTICLE_SCHEMA)
    rep = dedup.run(inp, tmp / f"dd-{tag}", tmp / f"rej-{tag}.parquet", p)
    split.run(tmp / f"dd-{tag}", tmp / f"ds-{tag}", p)
    placed = pl.concat([
        pl.read_parquet(f).select("id", "story_id", "text", pl.lit(s).alias("split"))
        for s in SPLITS for f in sorted((tmp / f"ds-{tag}" / "data").glob(f"{s}-*.parquet"))])
    return placed, rep.stats


def test_a_rewritten_story_is_kept_but_never_straddles_splits(tmp_path: Path) -> None:
    rows, pairs = [], []
    for k in range(40):
        base = story(k)
        other = rewrite(base, 1000 + k)
        assert 0.5 <= jac(" ".join(base), " ".join(other)) < 0.7
        rows += [art(2 * k, base, k), art(2 * k + 1, other, k + 100)]
        pairs.append((f"a{2 * k:06d}", f"a{2 * k + 1:06d}"))
    placed, stats = build(tmp_path, rows, "x", batch_size=7)
    assert placed.height == len(rows)  # dedup removes no rewrite (below 0.7)
    by_id = {r["id"]: r for r in placed.iter_rows(named=True)}
    for first, second in pairs:
        assert by_id[first]["story_id"] == by_id[second]["story_id"] == first  # earliest
        assert by_id[first]["split"] == by_id[second]["split"]
    assert stats["stories"] == 40 and stats["largest_story"] == 2
    # across 40 stories the hash still spreads them over the splits
    assert placed.get_column("split").n_unique() >= 2


def test_unrelated_articles_are_separate_stories(tmp_path: Path) -> None:
    rows = [art(k, story(500 + k), k) for k in range(30)]
    placed, stats = build(tmp_path, rows, "u")
    assert placed.get_column("story_id").to_list() == placed.get_column("id").to_list()
    assert stats["stories_of_several_articles"] == 0


def test_story_ids_ignore_batch_size_and_order(tmp_path: Path) -> None:
    rows = []
    for k in range(25):
        base = story(k)
        rows += [art(3 * k, base, k), art(3 * k + 1, rewrite(base, k, 0.0, 0.5, 10), 50 + k),
                 art(3 * k + 2, rewrite(base, k + 7, 0.5, 1.0, 10), 80 + k)]
    shuffled = rows[:]
    random.Random(2).shuffle(shuffled)
    got = []
    for tag, rs, bs in (("a", rows, 1000), ("b", shuffled, 4), ("c", shuffled, 13)):
        placed, _ = build(tmp_path, rs, tag, batch_size=bs)
        got.append(dict(placed.select("id", "story_id").iter_rows()))
    assert got[0] == got[1] == got[2]


def test_growing_the_corpus_moves_articles_only_by_merges(tmp_path: Path) -> None:
    """Subset → superset: count the existing articles that changed split; every one of
    them is in a story that a new article joined to another story of the subset."""
    rng = random.Random(11)
    small: list[dict] = []
    i = 0
    for k in range(1200):  # singletons and rewritten pairs
        base = story(10_000 + k)
        small.append(art(i, base, rng.randint(0, 1000)))
        i += 1
        if k % 4 == 0:
            small.append(art(i, rewrite(base, k), rng.randint(0, 1000)))
            i += 1
    bridges = []
    for k in range(3):  # two halves-rewritten copies, apart in the subset (J < 0.5)
        base = story(90_000 + k)
        x, y = rewrite(base, k, 0.0, 0.5, 10), rewrite(base, k + 50, 0.5, 1.0, 10)
        assert jac(" ".join(x), " ".join(y)) < 0.5
        small += [art(i, x, 10), art(i + 1, y, 20)]
        bridges.append((base, i, i + 1))
        i += 2
    extra: list[dict] = []
    for k in range(400):  # new stories, and new rewrites joining ONE existing story
        extra.append(art(i, story(50_000 + k), 2000 + k))
        i += 1
    for r in small[:200:5]:
        extra.append(art(i, rewrite(r["text"].split(), i), 3000))
        i += 1
    for base, _, _ in bridges:  # the original: close to both halves, joins them
        extra.append(art(i, base, 4000))
        i += 1
    before, _ = build(tmp_path, small, "small")
    after, stats = build(tmp_path, small + extra, "big")
    b = dict(before.select("id", "split").iter_rows())
    a = dict(after.select("id", "split").iter_rows())
    assert b.keys() <= a.keys()  # nothing kept before is dropped
    moved = {k for k in b if a[k] != b[k]}
    assert len(moved) <= 0.002 * len(b)
    bridged = {f"a{j:06d}" for _, x, y in bridges for j in (x, y)}
    assert moved <= bridged
    # the bridged pairs now share a story (hence a split)
    story_of = dict(after.select("id", "story_id").iter_rows())
    for _, x, y in bridges:
        assert story_of[f"a{x:06d}"] == story_of[f"a{y:06d}"]
    assert stats["stories_of_several_articles"] >= 300 and stats["largest_story"] == 3


@pytest.mark.slow
def test_saudinewsnet_story_pairs_stay_in_one_split(tmp_path: Path) -> None:
    """An independent check on real news: pairs with exact 5-gram Jaccard >= 0.5 (found
    through an inverted index of Python shingle tuples, not MinHash) share a story."""
    zips = sorted(SAUDINEWSNET.glob("*.zip"))[:6]
    if not zips:
        pytest.skip(f"{SAUDINEWSNET} is absent (SaudiNewsNet is needed for this test)")
    rows: list[dict] = []
    for path in zips:
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                for rec in json.loads(zf.read(name)):
                    text = (rec.get("content") or "").strip()
                    if len(text.split()) >= 15:
                        rows.append({"id": f"a{len(rows):06d}", "text": text,
                                     "source": rec.get("source"), "raw_file": name,
                                     "raw_record": len(rows)})
    placed, stats = build(tmp_path, rows, "snn", batch_size=2000)
    texts = placed.get_column("text").to_list()
    sets = [shingles(t) for t in texts]
    index: dict[tuple[str, ...], list[int]] = {}
    for doc, sh in enumerate(sets):
        for s in sh:
            index.setdefault(s, []).append(doc)
    shared: dict[tuple[int, int], int] = {}
    for docs in index.values():
        if 1 < len(docs) <= 100:
            for x in range(len(docs)):
                for y in range(x + 1, len(docs)):
                    key = (docs[x], docs[y])
                    shared[key] = shared.get(key, 0) + 1
    story_of = placed.get_column("story_id").to_list()
    split_of = placed.get_column("split").to_list()
    close = [(x, y) for (x, y), n in shared.items()
             if 2 * n >= min(len(sets[x]), len(sets[y]))
             and len(sets[x] & sets[y]) / len(sets[x] | sets[y]) >= 0.5]
    assert close  # real news has rewritten stories
    assert all(story_of[x] == story_of[y] for x, y in close)
    assert all(split_of[x] == split_of[y] for x, y in close)
    assert stats["largest_story"] < 0.01 * len(rows)
    assert np.isfinite(stats["story_pairs_linked"])


def test_story_edges_read_spilled_sets_as_they_would_recompute_them() -> None:
    """The stage hands the exact check pass 1's shingle sets (``sets_of``); the edges and
    counts are those of recomputing the sets from the texts, and some pairs go through the
    exact check (rewrites near the threshold are in the checked margin)."""
    from akhbar import stories
    from akhbar.folding import fold_expr
    texts = []
    for k in range(12):
        base = story(300 + k)
        texts += [" ".join(base), " ".join(rewrite(base, 2000 + k)),
                  " ".join(rewrite(base, 3000 + k, 0.0, 0.5, 10))]
    p = params.typed(params.defaults())
    d, sp = p.dedup, p.split
    folded = pl.select(fold_expr(pl.Series(texts))).to_series()
    sig, _ = dedup.signatures(folded, d.shingle_size, d.num_perm, d.seed)
    flat, offsets = dedup.shingle_hashes(folded, d.shingle_size)
    nodes = np.arange(len(texts))
    spill = stories.ShingleSpill()
    spill.append(flat[:int(offsets[7])])  # in two appends, as batches do
    spill.append(flat[int(offsets[7]):])
    bounds = offsets.astype(np.int64)
    via_spill = stories.story_edges(sig, nodes, sp, None, d.shingle_size,
                                    sets_of=lambda w: spill.sets(bounds, w))
    spill.close()
    batches = iter([(pl.Series(texts[:5]), nodes[:5]), (pl.Series(texts[5:]), nodes[5:])])
    via_texts = stories.story_edges(sig, nodes, sp, batches, d.shingle_size)
    assert np.array_equal(via_spill[0], via_texts[0])
    assert np.array_equal(via_spill[1], via_texts[1])
    assert via_spill[2] == via_texts[2] and via_spill[2]["story_pairs_checked_exactly"] > 0
    assert len(via_spill[0]) > 0  # some rewrites are linked
