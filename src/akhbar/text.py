"""Arabic text normalization: one chain of regex classes, run column-wise by polars.

Why a module of its own: every later stage (quality signals, dedup keys, the published
``text``) must see the same characters, so the rules live here once. Each rule is a polars
string operation (``str.replace_all`` over a character class, ``str.replace_many``) on
the rows that can change (which rows hold an entity, a tatweel, a Persian letter): the
whole chain is one ``map_batches`` over the column (:func:`_chain`), never a per-row loop. The
plain string functions run the very same expressions on a one-element Series, so the two
APIs cannot drift apart (use the expression API for bulk work: a call costs 1-5 ms).

The chain of :func:`normalize_expr`, in order:

1. ``unescape``     soft hyphen, zero-width and bidi controls, C0/C1 controls are
                    removed, then HTML entities (``&amp;`` ``&#1575;`` ``&#x627;``) are
                    decoded, repeatedly, until none is left (double-escaped ``&amp;quot;``).
2. ``presentation`` Arabic presentation forms (U+FB50–U+FDFF, U+FE70–U+FEFE) → their NFKC
                    letters, code point by code point (``ﻻ`` → ``لا``, ``ﷲ`` → ``الله``,
                    ``ﷺ`` → ``صلى الله عليه وسلم``); nothing else is NFKC-folded.
3. ``invisible``    the same removal again (part of step 2's function: only the rows
                    holding a presentation form can hold an invisible character again).
   ``tatweel``      only intra-word tatweel is removed (``كتـــاب`` → ``كتاب``); a run not
                    after a letter is a dash (``2013 ــ 2022`` → ``2013 - 2022``); a run
                    after a letter at a word end is kept as one tatweel (``1436 هـ``,
                    ``2015 مـ``, ``بـ``): see :func:`_tatweel_series`. After step 2, so that
                    a tatweel a presentation form produced (``ﹱ``) is judged too.
4. ``spaces``       line breaks (``\\r\\n``, U+2028, ...) → ``\\n``; NBSP, tabs and other
                    Unicode spaces → space; runs of spaces collapsed; no space around a line
                    end; a blank line between paragraphs is kept (runs of blank lines become one,
                    ``\\n\\n``); trimmed. (The parse stage already writes one paragraph
                    per line, so published texts hold no blank line; text normalized
                    elsewhere keeps its paragraph breaks.)
5. ``persian``      per line, unless the line looks Persian: keheh ``ک`` → ``ك``, Farsi yeh
                    ``ی`` → ``ي`` or, word-final, ``ى`` by corpus evidence
                    (:func:`build_yeh_evidence`) or a built-in word list
                    (:mod:`akhbar.persian`).

Diacritics are kept. ZWNJ (U+200C) is removed everywhere, Persian lines included (it is in
the invisible set by design; Persian text loses its half-spaces).

The chain is idempotent (``normalize(normalize(x)) == normalize(x)``): step 1 loops to a
fixed point and removes controls inside the loop (so ``&am<ZWSP>p;`` cannot turn into an
entity later), later steps never create an entity, a control or a line break, and the
Persian decision only ever removes Persian cues from a line.

The stronger, lossy form used for matching keys (boilerplate lines, dedup) is
:func:`akhbar.folding.fold_expr`; the character classes live in :mod:`akhbar.chars`.
"""

from __future__ import annotations

import html
import html.entities
import unicodedata
from collections.abc import Callable, Mapping
from functools import cache
from typing import Literal

import polars as pl

from akhbar.chars import (
    ARABIC_LETTER,
    INVISIBLE,
    MARKS,
    PERSIAN_MAPPED,
    PERSIAN_ONLY,
    TATWEEL,
    char_class,
)
from akhbar.folding import on_string
from akhbar.persian import on_lines, persian_lines_kept, persian_series

# --------------------------------------------------------------------------- classes
_DROP = INVISIBLE
#: What a standalone tatweel run (not after a letter) becomes: ASCII hyphen-minus, the dash
#: the pipeline's dateline and byline patterns already split on, and the one fold keys
#: treat as punctuation. An en dash would suit ranges (``2013 – 2022``) but not the
#: separators the same run also writes (``المدينة ـ جدة``); we cannot tell them apart.
TATWEEL_DASH = "-"
ENTITY = r"&(?:#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,7}|[A-Za-z][A-Za-z0-9]{1,31});"
LINE_BREAK = "\r\n|[\r\u000b\u000c\u0085\u2028\u2029]"
SPACE_LIKE = "[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]"
#: Kinds reported by :func:`normalize_frame` / :func:`normalize_with_counts`.
COUNT_KINDS = (
    "entities_unescaped",
    "invisible_removed",
    "persian_letters_mapped",
    "persian_lines_kept",
    "persian_only_letters_seen",
    "presentation_forms_folded",
    "spaces_normalized",
    "tatweel_removed",
)


# --------------------------------------------------------------------------- tables
@cache
def presentation_map() -> dict[str, str]:
    """Presentation form → its NFKC letters, for the two presentation blocks only.

    An isolated mark form (``ﹰ`` = space + fathatan under NFKC) maps to the bare mark so
    that it attaches to the letter before it instead of inserting a space."""
    table: dict[str, str] = {}
    for cp in [*range(0xFB50, 0xFE00), *range(0xFE70, 0xFEFF)]:
        ch = chr(cp)
        out = unicodedata.normalize("NFKC", ch)
        if out != ch:
            if out.startswith(" ") and all(unicodedata.category(c) == "Mn" for c in out[1:]):
                out = out[1:]
            table[ch] = out
    return table


@cache
def presentation_class() -> str:
    """The presentation forms that have a mapping (the ornate parentheses ﴾﴿, ﷽ and
    unassigned code points have none and stay)."""
    return char_class(list(presentation_map()))


def _decode_entity(entity: str) -> str | None:
    """The text of one entity, or None when it is not a known HTML5 entity."""
    if entity.startswith("&#"):
        return html.unescape(entity)  # numeric; invalid code points → U+FFFD (HTML5 rule)
    return html.entities.html5.get(entity[1:])


# --------------------------------------------------------------------------- steps
def _unescape_series(s: pl.Series) -> pl.Series:
    """Remove controls, then decode entities until none is left (a fixed point).

    Columnar: each round collects the distinct entities of the whole batch, decodes those
    few strings with the standard library and substitutes them with one Aho-Corasick
    ``replace_many``. Every round shortens each string it changes, so the loop ends."""
    return _decode_entities(s.str.replace_all(_DROP, ""))


def _decode_entities(s: pl.Series) -> pl.Series:
    """:func:`_unescape_series` after its first removal of the controls."""
    while s.str.contains("&", literal=True).any():
        found = s.str.extract_all(ENTITY).explode().drop_nulls().unique().sort()
        mapping = {e: d for e in found.to_list() if (d := _decode_entity(e)) is not None}
        if not mapping:
            break
        s = s.str.replace_many(mapping).str.replace_all(_DROP, "")
    return s


#: The two presentation blocks as plain ranges: a cheaper scan than the exact class.
_PRESENTATION_BLOCKS = "[\ufb50-\ufdff\ufe70-\ufefe]"


def _presentation_series(s: pl.Series, mask: pl.Series | None = None) -> pl.Series:
    """One Aho-Corasick pass over the table, then the invisible removal again, on the rows
    holding a presentation block character only (news text rarely has any: the scan
    costs half the replacement, and the other rows are left as they are, unchanged by
    both steps). ``mask``: those rows, when the caller has it."""
    if mask is None:
        mask = s.str.contains(_PRESENTATION_BLOCKS).fill_null(False)
    if not mask.any():
        return s
    fixed = s.filter(mask).str.replace_many(presentation_map()).str.replace_all(_DROP, "")
    return s.clone().scatter(mask.arg_true(), fixed)


_INTRA = f"({ARABIC_LETTER}[{MARKS}]*){TATWEEL}[{TATWEEL}{MARKS}]*({ARABIC_LETTER})"
_GLUED_ERA = f"([0-9\u0660-\u0669][ \u00a0]?[\u0647\u0645]){TATWEEL}+({ARABIC_LETTER})"
_STANDALONE = f"(^|[^{TATWEEL}{MARKS}\\p{{L}}]){TATWEEL}+"
#: A standalone run with nothing after it on its line separates nothing: removed.
_TRAILING = f"(?m)(^|[^{TATWEEL}{MARKS}\\p{{L}}]){TATWEEL}+([^\\S\\n]*)$"


def _tatweel_series(s: pl.Series, mask: pl.Series | None = None) -> pl.Series:
    """Intra-word runs removed (to a fixed point: a match consumes the letter after the
    run, so ``كـتـاب`` needs two rounds); a run not after a letter → :data:`TATWEEL_DASH`
    (``2013 ــ 2022``, a line opening with ``ـــ``); a run after a letter and before a
    non-letter (``1436 هـ``, ``2015 مـ``, ``بـ 50``, ``الـ«63»``) is kept, as one tatweel:
    there it writes an abbreviation or a detached letter, and removing it changes meaning
    (``1436 ه``). ``mask``: the rows holding a tatweel, when the caller has it.

    Every rule is local to a line (no pattern spans a line break; a line's start reads as
    the text's start), so they run on the lines holding a tatweel only: a third of the
    bytes of the rows holding one, in news text."""
    if mask is None:
        mask = s.str.contains(TATWEEL, literal=True).fill_null(False)
    return _on_rows(s, mask, lambda r: on_lines(r, TATWEEL, _tatweel_rules, literal=True))


def _tatweel_rules(s: pl.Series) -> pl.Series:
    """The rules of :func:`_tatweel_series`, on every string of ``s``."""
    # "1436 هـالموافق": the era mark glued to the next word; a space keeps the mark.
    s = s.str.replace_all(_GLUED_ERA, f"${{1}}{TATWEEL} ${{2}}")
    while s.str.contains(_INTRA).any():
        s = s.str.replace_all(_INTRA, "${1}${2}")
    return (s.str.replace_all(_TRAILING, "${1}${2}")
            .str.replace_all(_STANDALONE, f"${{1}}{TATWEEL_DASH}")
            .str.replace_all(f"{TATWEEL}{{2,}}", TATWEEL))


def _spaces_work(s: pl.Series) -> pl.Series:
    """The rows the ``spaces`` step may change other than by a :data:`SPACE_LIKE`
    character: a line break other than ``\\n``, two spaces, a space next to a line end,
    three line ends, a space or line end at either end. Literal scans (~1 GB/s each); a
    row outside them and without a SPACE_LIKE character is left as it is by every rule."""
    found = s.str.contains("[\r\u000b\u000c\u0085\u2028\u2029]")
    for literal in ("  ", " \n", "\n ", "\n\n\n"):
        found = found | s.str.contains(literal, literal=True)
    for end in (" ", "\n"):
        found = found | s.str.starts_with(end) | s.str.ends_with(end)
    return found.fill_null(False)


def _spaces_series(s: pl.Series, spaced: pl.Series | None = None) -> pl.Series:
    """The ``spaces`` step; ``spaced``: the rows that may hold a :data:`SPACE_LIKE`
    character (the others skip that scan, the costliest of the step, and the whole step
    when :func:`_spaces_work` finds nothing in them either)."""
    if spaced is not None:
        return _on_rows(s, spaced | _spaces_work(s), _spaces_series)
    return (
        s.str.replace_all(LINE_BREAK, "\n")  # no line break is SPACE_LIKE: order-free
        .str.replace_all(SPACE_LIKE, " ")
        .str.replace_all(" {2,}", " ")
        .str.replace_all(" \n ?|\n ", "\n")  # = " ?\n ?" without rewriting every \n
        .str.replace_all("\n{3,}", "\n\n")
        .str.strip_chars(" \n")
    )


#: Every character the unescape, presentation and spaces steps look for, as one class.
#: A class of non-ASCII characters is scanned by the regex engine at ~0.4 GB/s (a literal
#: such as "&" twenty times faster), and most news text holds none of them: one scan of
#: the column finds the rows (about 1 in 10) that the three per-class scans then look at.
_RARE = f"[{INVISIBLE[1:-1]}{SPACE_LIKE[1:-1]}{_PRESENTATION_BLOCKS[1:-1]}]"


def _on_rows(s: pl.Series, mask: pl.Series, f: Callable[[pl.Series], pl.Series]
             ) -> pl.Series:
    """``f`` applied to the rows of ``mask`` only, the others left as they are."""
    if not mask.any():
        return s
    return s.clone().scatter(mask.arg_true(), f(s.filter(mask)))


def _matching(s: pl.Series, candidates: pl.Series, pattern: str) -> pl.Series:
    """``s.str.contains(pattern)``, knowing that no row outside ``candidates`` matches."""
    if not candidates.any():
        return candidates
    return candidates.clone().scatter(
        candidates.arg_true(), s.filter(candidates).str.contains(pattern).fill_null(False))


def _total(s: pl.Series) -> int:
    return int(s.sum() or 0)


def _diff(before: pl.Series, after: pl.Series, pattern: str) -> pl.Series:
    """Per row: matches of ``pattern`` before the step minus those after it."""
    return (before.str.count_matches(pattern).cast(pl.Int64)
            - after.str.count_matches(pattern).cast(pl.Int64))


def _chain(s: pl.Series, yeh_evidence: Mapping[str, str] | None, keep_final_yeh: bool,
           counts: dict[str, int] | None) -> pl.Series:
    """The whole chain over one Series, counting into ``counts`` when given: steps 1-4
    (:func:`_base_chain`), then the Persian step (:func:`_persian_step`)."""
    return _persian_step(_base_chain(s, counts), yeh_evidence, keep_final_yeh, counts)


def _base_chain(s: pl.Series, counts: dict[str, int] | None) -> pl.Series:
    """Steps 1-4 over one Series, counting into ``counts`` when given. They need no
    corpus evidence, so the clean stage runs them once, in its first pass.

    One function, not one ``map_batches`` per step, so that each step's row mask is
    computed once and serves both the step and its count: a count is taken on the rows
    the step can change only (the other rows add 0), never by rescanning the column."""
    s = s.cast(pl.String)
    # 1. unescape. INVISIBLE is a class of single characters: the length lost to its
    # removal is its count, and an entity needs a "&". Outside the rows holding a "&"
    # (whose decoding may write any character) or a _RARE character, no row holds a
    # character that steps 1, 2 or the SPACE_LIKE part of 4 change.
    amp = s.str.contains("&", literal=True).fill_null(False)
    rare = s.str.contains(_RARE).fill_null(False)
    invisible = _matching(s, rare, _DROP)
    before = s
    s = _on_rows(s, invisible, lambda r: r.str.replace_all(_DROP, ""))
    if counts is not None and invisible.any():
        counts["invisible_removed"] += _total(
            before.filter(invisible).str.len_chars().cast(pl.Int64)
            - s.filter(invisible).str.len_chars().cast(pl.Int64))
    s = _on_rows(s, amp, _decode_entities)  # no entity outside the rows holding a "&"
    rare = rare | amp
    if counts is not None:
        if amp.any():
            counts["entities_unescaped"] += _total(
                _diff(before.filter(amp), s.filter(amp), ENTITY).clip(0))
    # 2. presentation forms (and the invisible removal again)
    mask = _matching(s, rare, _PRESENTATION_BLOCKS)
    if counts is not None and mask.any():
        counts["presentation_forms_folded"] += _total(
            s.filter(mask).str.count_matches(presentation_class()))
    s = _presentation_series(s, mask)
    # 3. tatweel
    mask = s.str.contains(TATWEEL, literal=True).fill_null(False)
    before = s
    s = _tatweel_series(s, mask)
    if counts is not None and mask.any():
        counts["tatweel_removed"] += _total(
            _diff(before.filter(mask), s.filter(mask), TATWEEL))
    # 4. spaces: a row the step leaves as it is holds nothing it counts.
    before = s  # steps 1-2 changed rows of `rare` only; step 3 writes no SPACE_LIKE
    s = _spaces_series(s, _matching(s, rare, SPACE_LIKE))
    if counts is not None:
        changed = (before != s).fill_null(False)
        if changed.any():
            b, a = before.filter(changed), s.filter(changed)
            counts["spaces_normalized"] += _total(
                b.str.count_matches(f"{SPACE_LIKE}|{LINE_BREAK}").cast(pl.Int64)
                + b.str.len_chars().cast(pl.Int64) - a.str.len_chars().cast(pl.Int64))
    return s


def _persian_step(s: pl.Series, yeh_evidence: Mapping[str, str] | None, keep_final_yeh: bool,
                  counts: dict[str, int] | None) -> pl.Series:
    """Step 5 over one Series (the output of :func:`_base_chain`), counting into
    ``counts`` when given."""
    s = s.cast(pl.String)
    # 5. persian: it only removes ک and ی, so only the rows holding one before can change.
    mask = s.str.contains(PERSIAN_MAPPED).fill_null(False)
    before = s
    s = persian_series(s, yeh_evidence, keep_final_yeh, mask)
    if counts is not None:
        if mask.any():
            counts["persian_letters_mapped"] += _total(
                _diff(before.filter(mask), s.filter(mask), PERSIAN_MAPPED))
        only = s.str.count_matches(PERSIAN_ONLY)
        counts["persian_only_letters_seen"] += _total(only)
        lettered = mask | (only > 0).fill_null(False)
        if lettered.any():
            counts["persian_lines_kept"] += persian_lines_kept(s.filter(lettered))
    return s


# --------------------------------------------------------------------------- public API
#: Which steps a call runs: all five, steps 1-4 (``"base"``: no corpus evidence needed), or
#: the Persian step 5 alone on text that went through the base steps. ``"base"`` then
#: ``"persian"`` equals ``"all"``, counts included (each kind belongs to one step).
Steps = Literal["all", "base", "persian"]


def _steps(s: pl.Series, yeh_evidence: Mapping[str, str] | None, keep_final_yeh: bool,
           counts: dict[str, int] | None, steps: Steps) -> pl.Series:
    if steps == "base":
        return _base_chain(s, counts)
    if steps == "persian":
        return _persian_step(s, yeh_evidence, keep_final_yeh, counts)
    return _chain(s, yeh_evidence, keep_final_yeh, counts)


def normalize_expr(e: pl.Expr, yeh_evidence: Mapping[str, str] | None = None, *,
                   keep_final_yeh: bool = False, steps: Steps = "all") -> pl.Expr:
    """The normalization chain as one polars expression (see the module docstring).

    ``yeh_evidence`` maps a word ending in Farsi yeh to its Arabic form (from
    :func:`build_yeh_evidence`). ``keep_final_yeh`` leaves word-final ی undecided (used to
    gather that evidence). ``steps``: see :data:`Steps`."""
    return e.map_batches(lambda s: _steps(s, yeh_evidence, keep_final_yeh, None, steps),
                         return_dtype=pl.String, is_elementwise=True)


def normalize_frame(df: pl.DataFrame, column: str,
                    yeh_evidence: Mapping[str, str] | None = None, *, steps: Steps = "all"
                    ) -> tuple[pl.DataFrame, dict[str, int]]:
    """Normalize ``df[column]`` and count what changed, per kind (:data:`COUNT_KINDS`).

    Each change is counted once, under the step that makes it (a tatweel written as
    ``&#1600;`` is an entity, not a tatweel). ``steps``: see :data:`Steps`."""
    counts = dict.fromkeys(COUNT_KINDS, 0)
    out = _steps(df.get_column(column), yeh_evidence, False, counts, steps)
    return df.with_columns(out.alias(column)), counts


def normalize(s: str, yeh_evidence: Mapping[str, str] | None = None) -> str:
    """:func:`normalize_expr` for one string."""
    return on_string(lambda e: normalize_expr(e, yeh_evidence), s)


def normalize_with_counts(s: str, yeh_evidence: Mapping[str, str] | None = None
                          ) -> tuple[str, dict[str, int]]:
    """:func:`normalize_frame` for one string: the text and its change counts."""
    df, counts = normalize_frame(pl.DataFrame({"t": [s]}, schema={"t": pl.String}), "t",
                                 yeh_evidence)
    return df.item(0, "t") or "", counts


# --------------------------------------------------------------------------- yeh evidence
# (re-exported: the evidence functions live in akhbar.yeh; text.py keeps its public names)
from akhbar.yeh import build_yeh_evidence as build_yeh_evidence  # noqa: E402
from akhbar.yeh import yeh_evidence_from_counts as yeh_evidence_from_counts  # noqa: E402
from akhbar.yeh import yeh_word_counts as yeh_word_counts  # noqa: E402
