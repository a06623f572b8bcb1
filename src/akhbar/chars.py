"""Arabic character classes and word-list patterns: the one home of the regex pieces that
normalization (:mod:`akhbar.text`, :mod:`akhbar.persian`), matching keys
(:mod:`akhbar.folding`), dates and the validation suites share.

Why one module: a class such as "Arabic diacritics" written twice drifts (one copy gains a
Quranic mark, the other does not) and then the published text and the check of it disagree.
Every class here is plain syntax with literal characters, read alike by Python's ``re``
(GX's pandas engine) and by polars' Rust regex.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: Arabic diacritics (harakat, tanwin, shadda, sukun, dagger alef, Quranic marks).
MARKS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed"
DIACRITICS = f"[{MARKS}]"
TATWEEL = "\u0640"
#: Invisible format/bidi controls, soft hyphen, BOM, word joiner, C0/C1 controls (not
#: \t \n \r \v \f U+0085, which are whitespace and handled by the ``spaces`` step).
INVISIBLE = (
    "[\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff"
    "\\x00-\\x08\\x0e-\\x1f\\x7f-\\x84\\x86-\\x9f]"
)
#: Arabic letters (not tatweel U+0640, not digits or punctuation).
ARABIC_LETTER = "[\u0620-\u063f\u0641-\u064a\u066e\u066f\u0671-\u06d3\u06d5\u06fa-\u06fc\u06ff]"
#: Intra-word tatweel: a run of U+0640 (marks allowed on it) between two Arabic letters
#: (``كتـــاب``). The only tatweel that is pure typography, so the only one removed; the
#: validation suite forbids exactly this (Python ``re`` and RE2 read it alike).
INTRA_WORD_TATWEEL = f"{ARABIC_LETTER}[{MARKS}]*{TATWEEL}[{TATWEEL}{MARKS}]*{ARABIC_LETTER}"
PERSIAN_MAPPED = "[\u06a9\u06cc]"  # ک ی
PERSIAN_ONLY = "[\u067e\u0686\u0698\u06af]"  # پ چ ژ گ: no Arabic equivalent
ARABIC_ONLY = "[\u0629\u064a\u0643\u0649]"  # ة ي ك ى: not written in Persian
FARSI_YEH, ALEF_MAQSURA, YEH = "\u06cc", "\u0649", "\u064a"
#: Any run of diacritics (a piece of larger patterns).
ANY_MARKS = f"[{MARKS}]*"


def char_class(chars: list[str]) -> str:
    """A regex class of ``chars`` (letters and marks, no regex metacharacters), with runs of
    consecutive code points as ranges. Literal characters, so that Python's ``re`` (GX's
    pandas engine) and polars' Rust regex read it the same way."""
    cps = sorted(ord(c) for c in chars)
    parts, i = [], 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        parts.append(chr(cps[i]) + (f"-{chr(cps[j])}" if j > i else ""))
        i = j + 1
    return "[" + "".join(parts) + "]"


def alternation(words: Iterable[str], between: str = "") -> str:
    """A regex alternation of ``words``: longest first (so ``كانون الثاني`` wins over a
    shorter name), each character escaped, ``between`` allowed between two characters (e.g.
    :data:`ANY_MARKS`: a stem that may carry diacritics), an inner space matching any run of
    whitespace."""
    ordered = sorted(set(words), key=lambda w: (-len(w), w))
    return "|".join(between.join(r"\s+" if c == " " else re.escape(c) for c in w)
                    for w in ordered)
