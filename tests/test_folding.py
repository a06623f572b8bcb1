"""The fast paths of :func:`akhbar.folding.fold_expr` give the plain operations' result."""

from __future__ import annotations

import random

import polars as pl

from akhbar.folding import (
    _MAY_LOWER,
    _PUNCT_OR_SPACE_FIX,
    _SPACE_FIX,
    FOLD_DROP,
    FOLD_MAP,
    fold,
    fold_expr,
)


def _plain_fold(e: pl.Expr) -> pl.Expr:
    """fold_expr as first written: every string lowercased, every whitespace run rewritten."""
    return (e.str.replace_all(f"[{FOLD_DROP}]", "").str.replace_many(FOLD_MAP)
            .str.to_lowercase().str.replace_all(r"[\p{P}\p{S}]", " ")
            .str.replace_all(r"\s+", " ").str.strip_chars(" "))


def _all_code_points() -> pl.Series:
    return pl.Series([chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF])


def test_every_code_point_that_lowercasing_changes_is_in_the_class() -> None:
    chars = _all_code_points()
    changed = chars.str.to_lowercase() != chars
    assert changed.sum() > 1000  # the check sees the case tables at all
    assert not (changed & ~chars.str.contains(_MAY_LOWER)).any()


def test_every_whitespace_the_collapse_rewrites_is_matched() -> None:
    chars = _all_code_points()
    pairs = pl.Series([f"a{c}b" for c in chars.filter(chars.str.contains(r"\s"))]
                      + [f"a{c} b" for c in chars.filter(chars.str.contains(r"\s"))])
    assert pairs.len() > 20
    assert (pairs.str.replace_all(r"\s+", " ") == pairs.str.replace_all(_SPACE_FIX, " ")).all()


def test_fold_equals_the_plain_chain_on_mixed_rows() -> None:
    rows = ["قالَ الرئيسُ: «إنّ الاقتصادَ» ـ اليوم", "Breaking NEWS  from   Riyadh",
            "ΣΟΦΙΑ و Straße\u00a0\u2003end", "", None, "  مسافة\t\tتبويب \n سطر ",
            "٢٠٢٤ ﻻ ی ک ة ؤ", "ÀÉÎ mixed عربي İstanbul"]
    # a batch with few cased rows (the scatter path) and one with many (whole column)
    for batch in (rows + ["نص عربي فقط"] * 20, rows):
        df = pl.DataFrame({"t": batch}, schema={"t": pl.String})
        got = df.select(fold_expr(pl.col("t"))).to_series()
        want = df.select(_plain_fold(pl.col("t"))).to_series()
        assert got.to_list() == want.to_list()
    assert fold("Breaking NEWS  «عاجل»") == "breaking news عاجل"


def test_fold_expr_takes_a_series_as_well_as_an_expression() -> None:
    """Callers fold a gathered Series directly (the story exact check): same keys."""
    texts = pl.Series("t", ["ذهبَ الوزيرُ إلى  الرياض", None, "WWW.Akhbar.SA ، اليوم"])
    from_series = fold_expr(texts.fill_null(""))
    from_expr = texts.fill_null("").to_frame().select(fold_expr(pl.col("t"))).to_series()
    assert isinstance(from_series, pl.Series)
    assert from_series.to_list() == from_expr.to_list()
    assert from_series[2] == from_series[2].lower() != ""


def _two_passes(s: pl.Series) -> pl.Series:
    return s.str.replace_all(r"[\p{P}\p{S}]", " ").str.replace_all(_SPACE_FIX, " ")


def test_the_one_punctuation_and_space_pass_equals_the_two() -> None:
    """Every punctuation mark, symbol and whitespace character alone, doubled, beside a
    space, a tab or a comma, at either end; then random runs over a mixed alphabet."""
    chars = _all_code_points()
    runs = chars.filter(chars.str.contains(r"[\p{P}\p{S}\s]")).to_list()
    assert len(runs) > 5000  # the Unicode classes are seen at all
    rows = [f"{a}{c}{b}" for c in runs
            for a, b in (("x", "y"), ("x ", "y"), ("x", "\ty"), ("", ""), ("،", c + " z"))]
    rows += [f"x{c}" for c in chars.to_list()[::7]]  # the other code points are left alone
    rng = random.Random(5)
    alphabet = ["ا", "b", " ", "  ", "\t", "\n", "،", ".", "«", "»", "$", "\u00a0", "-", "ـ"]
    rows += ["".join(rng.choices(alphabet, k=rng.randint(0, 12))) for _ in range(20000)]
    series = pl.Series(rows)
    one = series.str.replace_all(_PUNCT_OR_SPACE_FIX, " ")
    assert one.to_list() == _two_passes(series).to_list()
