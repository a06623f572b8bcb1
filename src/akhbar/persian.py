"""Persian-keyboard letters in Arabic text: the ``persian`` step of the normalization chain.

Why a module of its own: it is the one step that judges language, line by line, and the one
that needs word lists (alef-maqsura words) and corpus evidence; the rest of
:mod:`akhbar.text` is character-level. Per line, unless the line looks Persian
(:func:`persian_line`): keheh ``ک`` → ``ك``; Farsi yeh ``ی`` → ``ي`` inside a word; a
word-final ``ی`` → ``ى`` or ``ي`` by corpus evidence (``akhbar.text.build_yeh_evidence``),
else by a small built-in list of alef-maqsura words, else ``ي``. Letters with no Arabic
equivalent (``گ پ چ ژ``) are kept and only counted, as are the Persian lines. The decision
only ever removes Persian cues from a line, so the step is idempotent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache

import polars as pl

from akhbar.chars import (
    ALEF_MAQSURA,
    ANY_MARKS,
    ARABIC_ONLY,
    FARSI_YEH,
    PERSIAN_MAPPED,
    PERSIAN_ONLY,
    YEH,
    alternation,
)

_PERSIAN_WORDS = "\\b(?:\u06a9\u0647|را|است|از|برا\u06cc)\\b"
_ARABIC_WORDS = ("\\b(?:ف\u06cc|في|هذا|هذه|الذ\u06cc|الذي|الت\u06cc|التي|عن|قد|لم|لن|أن|إن)\\b"
                 "|\\bال\\w")
_M = ANY_MARKS
#: Marks that may sit on the letter before a final ى (a kasra there means ي: عَلِيّ).
_M_NO_KASRA = ("[\u0610-\u061a\u064b\u064c\u064e\u064f\u0651-\u065f\u0670"
               "\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed]*")
#: A letter that ends a word: followed by marks, then a non-letter or the end.
_FINAL = f"({_M})([^\\p{{L}}\\p{{M}}]|$)"

_ALEF_HAMZA = "أإآ"
#: Words that end in alef maqsura (ى): particles and verbs (may take و/ف), nouns,
#: adjectives and names (may also take ب ك ل ال لل). Deliberately only words whose
#: ي-ending twin is rare: ambiguous pairs (منى/مني, بنى/بني, سعى/سعي) are left to evidence.
_MAQSURA_PLAIN = (
    "على إلى الى حتى لدى متى سوى بلى أنى رأى يرى ترى نرى أرى جرى أجرى مضى أمضى ألقى تلقى "
    "التقى اشترى أعطى أبدى أدى انتهى أنهى قضى اقتضى تولى استدعى ادعى أوصى أحصى أتى أدلى أفتى "
    "ألغى أرسى استثنى أبقى تمنى تحدى تصدى ارتقى أمسى أضحى اكتفى اختفى موسى عيسى مصطفى يحيى "
    "ليلى سلمى مرتضى سلوى"
).split()
_MAQSURA_NOUNS = (
    "مستشفى مستوى منتدى ملتقى مبنى معنى مرمى مدى مجرى مأوى مقهى مصلى مغزى منحنى أقصى أدنى "
    "أعلى أولى أخرى كبرى صغرى عظمى قصوى وسطى ذكرى شكوى فتوى دعوى تقوى بشرى رؤى قرى ضحى "
    "جدوى عدوى فوضى مرضى جرحى قتلى"
).split()


def _variants(words: list[str]) -> list[str]:
    """Add the hamza-less spelling (اعلى for أعلى), common on Persian keyboards."""
    out = set(words)
    out.update("ا" + w[1:] for w in words if w[0] in _ALEF_HAMZA)
    return sorted(out, key=lambda w: (-len(w), w))


def _stems(stems: list[str]) -> str:
    """Stems that may carry diacritics between their letters, longest first."""
    return alternation(stems, between=_M)


@cache
def _builtin_maqsura_pattern() -> str:
    plain = _stems([w[:-1] for w in _variants(_MAQSURA_PLAIN)])
    nouns = _stems([w[:-1] for w in _variants(_MAQSURA_NOUNS)])
    return (f"\\b((?:[وف]?(?:{plain})|[وف]?(?:[بك]?ال|لل|[بكل])?(?:{nouns})){_M_NO_KASRA})"
            f"{FARSI_YEH}{_FINAL}")


def _stems_patterns(words: list[str], chunk: int = 400) -> list[str]:
    """Regexes matching the given ی-final words (chunked to keep each regex small)."""
    stems = sorted({w[:-1] for w in words if w.endswith(FARSI_YEH) and len(w) > 1})
    return [f"\\b((?:{_stems(stems[i:i + chunk])}){_M}){FARSI_YEH}{_FINAL}"
            for i in range(0, len(stems), chunk)]


def persian_line(line: pl.Expr) -> pl.Expr:
    """A line is Persian when Persian cues (Persian-only letters, the function words که را
    است از برای) number at least 2, at least 1 per 20 words, and more than the Arabic cues
    (letters Persian does not use: ة ي ك ى; words فی هذا الذی عن قد ..., ال- words). So a
    transliterated name (گوگل) in an Arabic sentence does not qualify, a Persian one does."""
    cues = (line.str.count_matches(PERSIAN_ONLY)
            + line.str.count_matches(_PERSIAN_WORDS))
    arabic = line.str.count_matches(ARABIC_ONLY) + line.str.count_matches(_ARABIC_WORDS)
    words = line.str.count_matches("\\S+")
    return (cues >= 2) & (cues > arabic) & (cues * 20 >= words)


def _map_persian(line: pl.Expr, evidence: Mapping[str, str] | None,
                 keep_final_yeh: bool) -> pl.Expr:
    out = line.str.replace_all("\u06a9", "\u0643")  # ک → ك
    if keep_final_yeh:  # evidence gathering: map only word-internal ی (protect finals)
        return (out.str.replace_all(f"{FARSI_YEH}{_FINAL}", "\ue000${1}${2}")
                .str.replace_all(FARSI_YEH, YEH).str.replace_all("\ue000", FARSI_YEH))
    if evidence:
        for target in (ALEF_MAQSURA, YEH):
            words = [w for w, form in evidence.items() if form.endswith(target)]
            for pattern in _stems_patterns(words):
                out = out.str.replace_all(pattern, f"${{1}}{target}${{2}}${{3}}")
    out = out.str.replace_all(_builtin_maqsura_pattern(), f"${{1}}{ALEF_MAQSURA}${{2}}${{3}}")
    return out.str.replace_all(FARSI_YEH, YEH)


def on_lines(s: pl.Series, pattern: str, f: Callable[[pl.Series], pl.Series], *,
             literal: bool = False) -> pl.Series:
    """``f`` applied to the lines of ``s`` (no null) matching ``pattern``, the other lines
    left as they are: for a ``f`` local to a line that leaves a line without ``pattern``
    as it is, the same as ``f(s)``, on a fraction of the bytes."""
    parts = (pl.DataFrame({"t": s}).with_row_index("__r")
             .with_columns(pl.col("t").str.split("\n")).explode("t"))
    lines = parts.get_column("t")
    hit = lines.str.contains(pattern, literal=literal)
    lines = lines.scatter(hit.arg_true(), f(lines.filter(hit)))
    return (parts.with_columns(lines.alias("t")).group_by("__r", maintain_order=True)
            .agg(pl.col("t").str.join("\n")).get_column("t").alias(s.name))


def persian_series(s: pl.Series, evidence: Mapping[str, str] | None = None,
                   keep_final_yeh: bool = False, mask: pl.Series | None = None) -> pl.Series:
    """Line by line, only for the rows with ک or ی (``mask``, when the caller has it) and
    in them the lines holding one (a line without either is left as it is by the step,
    Persian or not): they are filtered out, mapped, and scattered back in place."""
    if mask is None:
        mask = s.str.contains(PERSIAN_MAPPED).fill_null(False)
    if not mask.any():
        return s

    def step(lines: pl.Series) -> pl.Series:
        el = pl.col("l")
        return (lines.to_frame("l")
                .select(pl.when(persian_line(el)).then(el)
                        .otherwise(_map_persian(el, evidence, keep_final_yeh)))
                .to_series())

    return s.clone().scatter(mask.arg_true(), on_lines(s.filter(mask), PERSIAN_MAPPED, step))


def persian_expr(e: pl.Expr, evidence: Mapping[str, str] | None = None,
                 keep_final_yeh: bool = False) -> pl.Expr:
    """The step as an expression. ``evidence`` maps a word ending in ی to its Arabic form;
    ``keep_final_yeh`` leaves word-final ی undecided (used to gather that evidence)."""
    return e.map_batches(lambda s: persian_series(s, evidence, keep_final_yeh),
                         return_dtype=pl.String, is_elementwise=True)


def persian_lines_kept(s: pl.Series) -> int:
    """Lines judged Persian (left alone) among the lines holding a Persian letter."""
    lines = (s.filter(s.str.contains(f"{PERSIAN_MAPPED}|{PERSIAN_ONLY}").fill_null(False))
             .str.split("\n").explode().drop_nulls())
    lines = lines.filter(lines.str.contains(f"{PERSIAN_MAPPED}|{PERSIAN_ONLY}"))
    return int(pl.select(persian_line(pl.lit(lines)).sum()).item() or 0)
