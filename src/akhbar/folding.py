"""Folding: lossy forms of Arabic text used only to compare strings, never stored.

Why one module: two strings match when their folds are equal, so every matcher (boilerplate
lines, dedup keys, story clusters, the explorer's search, date words, author and place
tables) must fold through the same tables. There are two strengths, for two kinds of input:

* :func:`fold_expr` / :func:`fold` — the matching key of *normalized* text (the clean stage's
  output): no diacritics, tatweel or controls, one alef, ``ى``/``ئ``/``ی`` → ``ي``,
  ``ة`` → ``ه``, ``ؤ`` → ``و``, no punctuation or symbols, Western digits, lower case, one
  space between words.
* :func:`fold_raw` — the form of a *raw* token at parse time, before the clean stage ran:
  NFKC first (presentation forms still present), the same letter and digit table without
  the hamza seats ``ئ ؤ``, and punctuation kept (``،`` → ``,``): a date's or dateline's
  separators matter there.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import TypeVar

import polars as pl

from akhbar.chars import DIACRITICS, INVISIBLE, MARKS, TATWEEL

T = TypeVar("T", pl.Expr, pl.Series)  # fold_expr keeps the kind it is given

#: Letter folding for keys. ئ → ي and ى → ي (not ى → ا): the dotless and hamza-seated yeh
#: are the letters most often confused in scraped news, and ي is their common base shape;
#: ة → ه and ؤ → و follow the same "drop the dots/hamza" rule. Persian ی ک are folded too,
#: and Arabic-Indic / Persian digits become Western digits.
FOLD_MAP: dict[str, str] = {
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ئ": "ي", "ی": "ي", "ة": "ه",
    "ؤ": "و", "ک": "ك",
    **{chr(0x0660 + i): str(i) for i in range(10)},
    **{chr(0x06F0 + i): str(i) for i in range(10)},
}

#: What matching keys drop (a character-class body): marks, every tatweel, invisibles. The
#: explorer's JavaScript search folds with the same set.
FOLD_DROP = f"{MARKS}{TATWEEL}{INVISIBLE[1:-1]}"


def on_string(expr: Callable[[pl.Expr], pl.Expr], s: str) -> str:
    """Run a column expression on one string (a call costs 1-5 ms: bulk work uses the
    expression itself), so that the string and column APIs cannot drift apart."""
    out = pl.select(expr(pl.lit(s, dtype=pl.String))).item()
    return out if out is not None else ""


#: Characters ``str.to_lowercase`` may change: the regex engine's Changes_When_Lowercased,
#: plus every code point its tables call unassigned (Rust's case tables may be a newer
#: Unicode). A superset is safe (it only sends a string to the lowercasing); the exhaustive
#: check over all code points is tests/test_folding.py.
_MAY_LOWER = r"[\p{Changes_When_Lowercased}\p{Cn}]"
#: Whitespace that ``\s+ → " "`` would change: a run of two or more, or one that is not a
#: space. A lone space (most matches of ``\s+`` in text) is left alone: same result, no
#: rewrite of every string.
_SPACE_FIX = r"\s\s+|[^\S ]"
#: Punctuation and symbols to spaces and whitespace collapsed in one regex pass: a run of
#: punctuation, symbols and whitespace that holds a punctuation mark or symbol, or a
#: whitespace run that :data:`_SPACE_FIX` rewrites, becomes one space (what the two
#: passes ``[\p{P}\p{S}] → " "`` then ``_SPACE_FIX → " "`` give; tests/test_folding.py
#: checks every code point); each pass rewrote every string (~0.2 s per 10k articles).
_PUNCT_OR_SPACE_FIX = r"[\p{P}\p{S}\s]*[\p{P}\p{S}][\p{P}\p{S}\s]*|" + _SPACE_FIX


def _lower_series(s: pl.Series) -> pl.Series:
    """``str.to_lowercase`` on the strings that hold a character it may change only:
    lowercasing rewrites every string at ~70 MB/s and Arabic text has no case."""
    mask = s.str.contains(_MAY_LOWER).fill_null(False)
    if not mask.any():
        return s
    if mask.sum() * 2 > s.len():
        return s.str.to_lowercase()
    return s.clone().scatter(mask.arg_true(), s.filter(mask).str.to_lowercase())


def fold_expr(e: T) -> T:
    """A lossy matching key of (normalized) text: no diacritics, tatweel or controls, letter
    variants folded (:data:`FOLD_MAP`), punctuation and symbols (Arabic ، ؛ ؟ « » too)
    turned into spaces, lower case, whitespace collapsed to single spaces. Takes an
    expression or a Series (a Series has no ``map_batches``: it goes through a frame)."""
    if isinstance(e, pl.Series):
        return e.to_frame().select(fold_expr(pl.col(e.name))).to_series()
    return (
        e.str.replace_all(f"[{FOLD_DROP}]", "")
        .str.replace_many(FOLD_MAP)
        .map_batches(_lower_series, return_dtype=pl.String, is_elementwise=True)
        .str.replace_all(_PUNCT_OR_SPACE_FIX, " ")
        .str.strip_chars(" ")
    )


def fold(s: str) -> str:
    """:func:`fold_expr` for one string."""
    return on_string(fold_expr, s)


def strip_diacritics_expr(e: pl.Expr) -> pl.Expr:
    """Remove Arabic diacritics (harakat, tanwin, shadda, sukun, dagger alef, Quranic marks)."""
    return e.str.replace_all(DIACRITICS, "")


def strip_diacritics(s: str) -> str:
    """:func:`strip_diacritics_expr` for one string."""
    return on_string(strip_diacritics_expr, s)


#: :data:`FOLD_MAP` without the hamza seats, plus the separators a raw date writes.
_RAW_TABLE = str.maketrans({
    **{k: v for k, v in FOLD_MAP.items() if k not in "ئؤ"},
    "،": ",", "؛": ";", "\u00a0": " ", "\u202f": " ",
})
#: Harakat, dagger alef, tatweel, zero-width and bidi marks: what raw words carry between
#: their letters.
_RAW_DROP = re.compile("[\u064b-\u0652\u0670\u0640\u200b-\u200f\u202a-\u202e\u2066-\u2069"
                       "\u061c]")


def fold_raw(text: str) -> str:
    """Matching form of raw text (plain Python: parse-time tables look up tokens one by
    one): NFKC (presentation forms → letters), Western digits, no diacritics/tatweel/bidi
    marks, one alef/yeh/heh shape, lower-case Latin, punctuation kept."""
    return _RAW_DROP.sub("", unicodedata.normalize("NFKC", text).translate(_RAW_TABLE)).lower()
