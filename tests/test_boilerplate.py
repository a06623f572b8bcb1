"""Per-source line statistics as map → combine → decide (what a distributed run does)."""

from __future__ import annotations

import random

import polars as pl

from akhbar.boilerplate import (
    BoilerplateParams,
    LineIndex,
    body_keys,
    body_lines,
    combine,
    count_lines,
    decide,
)
from akhbar.params import defaults_for

FOOTER = "// انتهى //"
SUBSCRIBE = "للاشتراك في خدمة الأخبار أرسل رسالة إلى 8899"
SENTENCES = ["وصل الوفد إلى العاصمة صباح اليوم", "ارتفعت أسعار الخضار في السوق المركزي",
             "افتتح المعرض أبوابه للزوار", "أعلن النادي عن مدربه الجديد",
             "هطلت أمطار غزيرة على المنطقة الشرقية", "بدأ العام الدراسي في المدارس"]

WORDS = ("أمس اليوم غدا شمال جنوب شرق غرب كبير صغير جديد قديم سريع بطيء عال منخفض أول "
         "آخر مدينة قرية وزير مدير طالب معلم طبيب مهندس").split()


def corpus(n: int, seed: int) -> pl.DataFrame:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        src = rng.choice(["okaz", "spa", "alriyadh"])
        lines = [" ".join([rng.choice(SENTENCES), *rng.sample(WORDS, 3)])
                 for _ in range(rng.randint(1, 4))]
        if src == "spa" and rng.random() < 0.8:
            lines.append(FOOTER)
        if src == "okaz" and rng.random() < 0.3:
            lines.insert(0, SUBSCRIBE.replace("8899", str(rng.randint(10, 99))))
        rows.append({"source": src, "text": "\n".join(lines)})
    rows += rows[:5]  # exact duplicate bodies count once
    return pl.DataFrame(rows)


def local(df: pl.DataFrame, p: BoilerplateParams, batch: int) -> pl.DataFrame:
    index = LineIndex(p)
    for start in range(0, df.height, batch):
        index.add(df.slice(start, batch))
    return index.boilerplate()


def test_map_combine_decide_on_disjoint_body_sets_equals_the_local_index() -> None:
    p = defaults_for(BoilerplateParams, min_docs=5, min_fraction=0.05, max_line_words=20)
    df = corpus(300, seed=3)
    want = local(df, p, batch=64)
    assert want.height >= 2  # the footer and the masked subscription line
    assert set(want.get_column("source")) == {"okaz", "spa"}
    # distributed: dedupe bodies globally, hash-partition them (disjoint), map in any order
    bodies = body_keys(df)
    parts = [count_lines(bodies.filter(pl.col("body") % 4 == k), p) for k in (2, 0, 3, 1)]
    articles = bodies.group_by("source").agg(pl.len().alias("articles"))
    got = decide(combine([combine(parts[:2]), combine(parts[2:])]), articles, p)
    assert got.equals(want)
    assert local(df, p, batch=1000).equals(want)  # batch size does not matter


def test_decide_applies_both_thresholds() -> None:
    p = defaults_for(BoilerplateParams, min_docs=3, min_fraction=0.5, max_line_words=20)
    counts = pl.DataFrame({"source": ["a", "a", "b"], "h": [1, 2, 3], "docs": [3, 2, 3]},
                          schema={"source": pl.String, "h": pl.UInt64, "docs": pl.UInt32})
    articles = pl.DataFrame({"source": ["a", "b"], "articles": [6, 10]})
    got = decide(counts, articles, p)
    assert got.select("source", "h").rows() == [("a", 1)]  # b: 3 < 10 * 0.5; a/2: 2 < 3
    assert combine([]).is_empty()


def test_spilled_index_equals_the_in_memory_one() -> None:
    """Counts spilled to hash buckets on disk (bounded memory) decide exactly the same
    lines as counts kept in memory; lines computed per body elsewhere (a worker thread)
    and handed to add_lines count as add's own."""
    p = defaults_for(BoilerplateParams, min_docs=5, min_fraction=0.05, max_line_words=20)
    df = corpus(400, seed=5)
    want = local(df, p, batch=50)
    assert want.height >= 2
    spilled = LineIndex(p, spill_rows=10)
    for start in range(0, df.height, 50):
        spilled.add(df.slice(start, 50))
    assert spilled._dir is not None and len(spilled._writers) > 1  # it did spill
    assert spilled.boilerplate().equals(want)
    assert spilled.boilerplate().equals(want)  # asked twice: the same table
    threaded = LineIndex(p, spill_rows=25)
    for start in range(0, df.height, 50):
        bodies = body_keys(df.slice(start, 50))
        threaded.add_lines(bodies.select("source", "body"), body_lines(bodies, p))
    assert threaded.boilerplate().equals(want)
    assert threaded.articles().equals(local_articles(df, p))


def local_articles(df: pl.DataFrame, p: BoilerplateParams) -> pl.DataFrame:
    index = LineIndex(p)
    index.add(df)
    return index.articles()


def test_remove_lines_with_known_hashes_equals_folding_every_row() -> None:
    """With the line hashes of pass 1 (row_hashes), remove_lines folds again only the
    rows whose hashes are unknown (null) or hit the index; the other rows only lose
    their blank lines. Texts and removed lines equal those of folding every row."""
    from akhbar.boilerplate import batch_lines, lines_frame, remove_lines, row_hashes

    p = defaults_for(BoilerplateParams, min_docs=5, min_fraction=0.05, max_line_words=20)
    df = corpus(200, seed=11)
    rng = random.Random(4)
    blanks = [t.replace("\n", "\n\n", 1) if rng.random() < 0.3 else t for t in df["text"]]
    df = df.with_columns(pl.Series("text", blanks)).vstack(
        pl.DataFrame({"source": ["spa", None], "text": [None, "\n" + FOOTER + "\n"]}))
    table = local(df, p, batch=50)
    assert table.height >= 2
    want_texts, want_removed = remove_lines(df, table, max_words=p.max_line_words)
    hashes = row_hashes(lines_frame(df, "text", p.max_line_words), df.height)
    assert hashes.len() == df.height and hashes.null_count() == 0
    unknown = pl.Series([rng.random() < 0.2 for _ in range(df.height)])
    for h in (hashes, pl.select(pl.when(pl.lit(unknown)).then(None)
                                .otherwise(pl.lit(hashes))).to_series()):
        texts, removed = remove_lines(df, table, max_words=p.max_line_words, hashes=h)
        assert texts.to_list() == want_texts.to_list()
        assert removed.equals(want_removed)
    assert want_removed.height > 0 and "\n\n" not in "".join(t or "" for t in want_texts)
    # batch_lines: body_keys and body_lines of the batch from one fold of its lines
    bodies, lines, _ = batch_lines(df, p)
    assert bodies.equals(body_keys(df).select("source", "body"))
    assert lines.equals(body_lines(body_keys(df), p))
