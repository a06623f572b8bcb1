"""Corpus evidence for the word-final Farsi yeh (``ی``): is it ``ي`` or ``ى`` here?

Why a module of its own: the Persian step of :mod:`akhbar.text` decides a word-final ``ی``
by how the corpus itself spells the word with an Arabic yeh, so the clean stage counts
the words ending in a yeh form in a first pass (map: :func:`yeh_word_counts` per batch;
combine: sum; decide: :func:`yeh_evidence_from_counts`), locally or on a cluster.
"""

from __future__ import annotations

import polars as pl

from akhbar.chars import ALEF_MAQSURA, DIACRITICS, FARSI_YEH, YEH

#: A word ending in a yeh form (diacritics allowed after it), with the character after it
#: (``\b`` would force the slow regex engine, and reads a digit as part of a word; a
#: trailing space is appended to each text so the last word matches too). Words are
#: maximal runs of letters and marks; the diacritics are stripped from the matches only
#: (a few MB), never from the whole text: all of them are marks, so stripping them first
#: would draw the same word boundaries.
_YEH_WORD = f"[\\p{{L}}\\p{{M}}]*[\u064a\u0649\u06cc]{DIACRITICS}*[^\\p{{L}}\\p{{M}}]"


def yeh_word_counts(texts: pl.Series, *, normalized: bool = False) -> pl.DataFrame:
    """Counts of the words ending in ي, ى or ی (diacritics stripped) in ``texts``, after
    normalization that leaves word-final ی undecided (``normalized=True``: ``texts`` already
    went through ``normalize_expr(..., keep_final_yeh=True)``). Partial counts of several
    batches add up (``pl.concat(...).group_by("word").agg(pl.col("n").sum())``)."""
    t = pl.col("t")
    if not normalized:
        from akhbar.text import normalize_expr  # akhbar.text re-exports this module

        t = normalize_expr(t, keep_final_yeh=True)
    words = (pl.DataFrame({"t": texts.cast(pl.String)})
             .select((t + " ").str.extract_all(_YEH_WORD).alias("word"))
             .explode("word").drop_nulls()
             .select(pl.col("word").str.replace_all(DIACRITICS, "").str.head(-1)))
    return (words.group_by("word").agg(pl.len().cast(pl.Int64).alias("n"))
            .sort("word"))


def yeh_evidence_from_counts(counts: pl.DataFrame, min_evidence: int = 1) -> dict[str, str]:
    """For each word ending in ی, the Arabic form (…ي or …ى) seen more often in the corpus,
    when that form is seen at least ``min_evidence`` times and strictly more than the
    other; undecided words are left to the built-in fallback of :func:`akhbar.text.normalize`."""
    cand = (counts.filter(pl.col("word").str.ends_with(FARSI_YEH))
            .select(pl.col("word"), pl.col("word").str.head(-1).alias("stem")))
    n = counts.select("word", "n")
    cand = (cand
            .join(n.rename({"word": "w_y", "n": "n_y"}),
                  left_on=pl.col("stem") + YEH, right_on="w_y", how="left")
            .join(n.rename({"word": "w_m", "n": "n_m"}),
                  left_on=pl.col("stem") + ALEF_MAQSURA, right_on="w_m", how="left")
            .with_columns(pl.col("n_y", "n_m").fill_null(0)))
    decided = cand.with_columns(
        pl.when((pl.col("n_m") > pl.col("n_y")) & (pl.col("n_m") >= min_evidence))
        .then(pl.col("stem") + ALEF_MAQSURA)
        .when((pl.col("n_y") > pl.col("n_m")) & (pl.col("n_y") >= min_evidence))
        .then(pl.col("stem") + YEH)
        .alias("form")
    ).drop_nulls("form").sort("word")
    return dict(zip(decided.get_column("word").to_list(), decided.get_column("form").to_list(),
                    strict=True))


def build_yeh_evidence(texts: pl.Series, min_evidence: int = 1) -> dict[str, str]:
    """Word-with-final-ی → chosen Arabic form, from the word frequencies of ``texts``."""
    return yeh_evidence_from_counts(yeh_word_counts(texts), min_evidence)
