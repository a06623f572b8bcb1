"""The shortcuts of the quality signals give exactly the straightforward definitions:
prose regexes run only where a URL or code may be, words are counted without a list,
letters per run, and the bigram group-by sees only repeated 2-grams."""

from __future__ import annotations

import random

import polars as pl

from akhbar import codepoints, quality

# Own sentences: plain Arabic, a URL, an e-mail, a code line, upper-case WWW, a ';' line,
# diacritics, a dash and an Arabic comma as their own tokens, digits, symbols, empty, null.
TEXTS: list[str | None] = [
    "أعلنت الوزارة اليوم عن مشروع جديد في المدينة.",
    "التفاصيل على الموقع https://example.com/a?b=1 مساء اليوم",
    "للتواصل: desk@example.org أو الهاتف 123",
    "خبر أول\nvar x = 1;\nخبر ثان",
    "زوروا WWW.EXAMPLE.COM الآن",
    "سطر ينتهي بفاصلة منقوطة;\nوسطر آخر",
    "وقّعَ الطرفانِ الاتفاقيةَ - بعد مفاوضاتٍ ، طويلة",
    "2024 15/3 ... !!! • • •",
    "function(){ document.write('x') }",
    "", None, "   \n\t ", "ّ ً",
]


def _fixtures() -> list[str | None]:
    rng = random.Random(5)
    tokens = [t for s in TEXTS if s for t in s.split()] + ["-", "،", "ـ", "\u200c", "ّ"]
    made = [" ".join(rng.choice(tokens) for _ in range(rng.randint(0, 40)))
            for _ in range(200)]
    return [*TEXTS, *made]


def test_prose_runs_the_regexes_only_where_needed_with_the_same_result() -> None:
    text = pl.Series("text", _fixtures(), dtype=pl.String)
    want = pl.select(quality.prose_expr(pl.lit(text).fill_null(""))).to_series()
    got = quality.prose(text)
    assert got.to_list() == want.to_list()
    assert "https" not in got[1] and "@" not in got[2] and "var" not in got[3]
    assert text[1] is not None and "https" in text[1]  # the input is not changed


def test_word_signals_equal_the_list_of_words_definition() -> None:
    df = pl.DataFrame({"p": [t or "" for t in _fixtures()]})
    words = pl.col("p").str.extract_all(r"\S+").list.filter(
        pl.element().str.contains(r"[\p{L}\p{N}]"))
    want = df.select(
        words.list.len().cast(pl.Int64).alias("n"),
        words.list.eval(pl.element().str.len_chars()
                        - pl.element().str.count_matches(r"\p{M}")).list.mean()
        .fill_null(0.0).cast(pl.Float64).alias("m"))
    n, mean = quality._word_signals(pl.col("p"))
    got = df.select(n.alias("n"), mean.alias("m"))
    assert got.equals(want)
    assert got.get_column("n").sum() > 0


def test_letter_counts_per_run_equal_counts_per_character() -> None:
    df = pl.DataFrame({"p": [t or "" for t in _fixtures()]})
    for cls, negated in [(r"\p{L}", r"\P{L}"),
                         (r"[\p{Arabic}&&\p{L}]", r"[^\p{Arabic}&&\p{L}]")]:
        want = df.select(pl.col("p").str.count_matches(cls).cast(pl.Float64)).to_series()
        got = df.select(quality._chars_besides(pl.col("p"), negated)).to_series()
        assert got.to_list() == want.to_list()


def test_top_bigram_is_found_among_unrepeated_ones() -> None:
    texts = ["أ ب أ ب أ ب ج", "أ ب ج د", "س ص س ص ع ع ع", "", "كلمة"]
    frac = quality._top_bigram_frac(pl.DataFrame({"text": texts}))
    n = [len(t) for t in texts]
    # "أ ب" three times over 13 chars; none repeated; "ع ع" twice vs "س ص" twice (both 3)
    assert frac.to_list() == [3 * 3 / n[0], 0.0, 2 * 3 / n[2], 0.0, 0.0]


def test_one_pass_counts_equal_the_regex_counts(monkeypatch) -> None:
    extra = ["كلمة\u00a0أخرى\u2003و\tثالثة", "𝐀𝐁 😀 ١٢٣ x\u0301y", "ـــ ، ۝", "a", " b "]
    texts = [t or "" for t in [*_fixtures(), *extra]]
    df = pl.DataFrame({"p": texts})
    n, mean = quality._word_signals(pl.col("p"))
    want = df.select(
        pl.col("p").str.count_matches(r"\p{L}").cast(pl.Float64).alias("letters"),
        pl.col("p").str.count_matches(r"[\p{Arabic}&&\p{L}]").cast(pl.Float64)
        .alias("arabic"),
        n.alias("n_words"), mean.alias("mean"))
    for rows in (len(texts), 7):  # one pass, and slices of 7 rows (texts cut at slices)
        monkeypatch.setattr(codepoints, "_COUNT_ROWS", rows)
        got = quality.prose_counts(df.get_column("p"))
        words = got.get_column("n_words")
        assert got.get_column("letters").to_list() == want.get_column("letters").to_list()
        assert got.get_column("arabic").to_list() == want.get_column("arabic").to_list()
        assert words.to_list() == want.get_column("n_words").to_list()
        chars = got.get_column("word_chars")
        means = [c / w if w else 0.0 for c, w in zip(chars, words, strict=True)]
        assert means == want.get_column("mean").to_list()
    assert want.get_column("arabic").sum() > 0 and words.sum() > 0


def test_class_table_equals_the_regex_classes_in_every_plane() -> None:
    rng = random.Random(7)
    points = [c for c in (rng.randrange(0x110000) for _ in range(3000))
              if not 0xD800 <= c < 0xE000] + [0x627, 0x64B, 0x661, 0x20, 0xA0, 0x1D400]
    table = codepoints._char_classes(max(points))
    chars = pl.Series([chr(c) for c in points], dtype=pl.String)
    for bit, cls in [(codepoints._LETTER, r"\p{L}"), (codepoints._ARABIC, r"[\p{Arabic}&&\p{L}]"),
                     (codepoints._MARK, r"\p{M}"), (codepoints._SPACE, r"\s"),
                     (codepoints._NUMBER, r"\p{N}")]:
        want = chars.str.contains(f"^{cls}$").to_list()
        assert [bool(table[c] & bit) for c in points] == want
    assert table[0x627] & codepoints._ARABIC and table[0x1D400] & codepoints._LETTER


def test_damaged_ratio_on_the_rows_that_may_hold_damage_equals_the_expression() -> None:
    texts = [*_fixtures(), "كت?ب ج??د", "\ufffd\ufffd نص", "هل جاء؟ نعم?", "?", None]
    series = pl.Series("text", texts, dtype=pl.String)
    want = pl.select(quality.damaged_expr(pl.lit(series).fill_null(""))).to_series()
    got = quality.damaged(series)
    assert got.to_list() == want.to_list()
    assert sum(v > 0 for v in got.to_list()) >= 2
    assert quality.damaged(pl.Series("text", ["نص سليم", None])).to_list() == [0.0, 0.0]
