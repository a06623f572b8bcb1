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

import polars as pl

from akhbar.chars import DIACRITICS, INVISIBLE, MARKS, TATWEEL

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


def fold_expr(e: pl.Expr) -> pl.Expr:
    """A lossy matching key of (normalized) text: no diacritics, tatweel or controls, letter
    variants folded (:data:`FOLD_MAP`), punctuation and symbols (Arabic ، ؛ ؟ « » too)
    turned into spaces, lower case, whitespace collapsed to single spaces."""
    return (
        e.str.replace_all(f"[{FOLD_DROP}]", "")
        .str.replace_many(FOLD_MAP)
        .str.to_lowercase()
        .str.replace_all(r"[\p{P}\p{S}]", " ")
        .str.replace_all(r"\s+", " ")
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
