"""Split one raw Arabic news-aggregator page into its parts.

An aggregator page is the republished article followed by furniture the aggregator and the
original site glued on: the source site's topic tags, ``نشر <date>`` and its footer links
(often on the article's last line, without a newline), ``المصدر: X``, ``كلمات دلالية: ...``,
one or more ``إقرأ أيضاً:`` sections carrying a *different* article, and ``مقالات مشابهة``
lists of related headlines. No library knows this layout (trafilatura works on HTML; these
pages arrive as text), so the structure is recovered here with precompiled patterns, one
page at a time. Letters are not normalized here (the clean stage does that); tags are
tidied and glued tags split by :mod:`akhbar.tags` (pieces it cannot identify are returned in
``Page.unsplit_tags``, counted in the stage report, and left out of ``tags``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from akhbar.datelines import DATELINE_LINE_PATTERN, DATELINE_PATTERN
from akhbar.dates import DATE_SEPARATORS, date_span, parse_date
from akhbar.tags import split_tags

#: Fallbacks for direct calls; the stage passes ``params.parse.max_tag_words`` and
#: ``params.parse.max_keyword_words``.
DEFAULT_MAX_TAG_WORDS = 12
DEFAULT_MAX_KEYWORD_WORDS = 3

_SOURCE_RE = re.compile(r"^\s*المصدر\s*[:：]\s*(?P<v>.*?)\s*$")
_KEYWORDS_RE = re.compile(
    r"^\s*(?:كلمات\s+دلالية|الكلمات\s+الدلالية|الوسوم|وسوم)\s*[:：]\s*(?P<v>.*?)\s*$")
_READ_ALSO_RE = re.compile(
    r"^\s*[اأإ]قر[أا]\s+[اأ]يض(?:اً|ًا|ا)\s*(?:[:：]\s*(?P<v>.*?))?\s*$")
_RELATED_RE = re.compile(
    r"^\s*(?:مقالات|أخبار|اخبار|مواضيع|موضوعات)\s+(?:مشابهة|ذات\s+صلة|متعلقة)\s*[:：]?\s*$")
_BULLET_RE = re.compile(r"^\s*[•·▪●◦‣∙*–-]\s*")
_COPYRIGHT_START_RE = re.compile(
    r"^\s*(?:©|\(c\)\s|copyright\b|جميع\s+الحقوق\s+محفوظة|حقوق\s+(?:النشر|الطبع)\s+محفوظة)",
    re.IGNORECASE)
_RESERVED_END_RE = re.compile(r"(?:all\s+rights\s+reserved|جميع\s+الحقوق\s+محفوظة)\W*$",
                              re.IGNORECASE)
_MAX_COPYRIGHT_WORDS = 15  # a standalone "... All Rights Reserved." notice is short
_FOLLOW_LINE_RE = re.compile(r"^\s*تابعونا")
#: Glued footer markers other than the publication date.
_FOOTER_MARK_RE = re.compile(r"تابعونا|©|all\s+rights\s+reserved|جميع\s+الحقوق\s+محفوظة",
                             re.IGNORECASE)
#: ``نشر`` (possibly glued to the last tag) followed by a date-looking start: a weekday or
#: a digit. The span itself is validated token by token (:func:`akhbar.dates.date_span`).
_NASHR_RE = re.compile(
    r"نشر(?:\s*(?:في|يوم|بتاريخ))?\s*[:：]?\s*"
    r"(?=(?:ال)?(?:أحد|احد|إثنين|اثنين|ثلاثاء|أربعاء|اربعاء|خميس|جمعة|سبت)|\d)")
_GLUED_ERA_RE = re.compile(r"(?:هـ|ه|م)(?=تابعونا|©)")
#: Date separators of a footer date: a time's colon too.
_DATE_PUNCT = DATE_SEPARATORS | {":"}
_AFTER_DATE = " \t\u00a0|-–—،,.:"
_SENTENCE_END_RE = re.compile(r"[.!?؟…][\"”»)\]'’]*")
_ENDS_SENTENCE_RE = re.compile(r"[.!?؟…:،][\"”»)\]'’]*$")
_DATELINE_RE = re.compile(DATELINE_PATTERN.replace("^(", "^(?P<d>", 1))
_DATELINE_LINE_RE = re.compile(DATELINE_LINE_PATTERN.replace("^(", "^(?P<d>", 1))
_SPACE_RE = re.compile(r"\s+")


@dataclass
class ReadAlso:
    """An article appended under ``إقرأ أيضاً``: a different article than its host."""

    title: str | None
    text: str
    dateline: str | None = None
    published: datetime | None = None


@dataclass
class Page:
    """The parts of one aggregator page. ``body`` keeps the dateline."""

    body: str = ""
    dateline: str | None = None
    published: datetime | None = None
    published_raw: str | None = None
    tags: list[str] = field(default_factory=list)
    source: str | None = None
    related_titles: list[str] = field(default_factory=list)
    read_also: list[ReadAlso] = field(default_factory=list)
    footer_cut: bool = False
    related_lists: int = 0
    unsplit_tags: list[str] = field(default_factory=list)


def _find_published(line: str) -> tuple[int, str] | None:
    """Position of a ``نشر <date>`` footer in ``line`` and its date text.

    The date must end the line or run straight into footer furniture (``تابعونا``, ``©``):
    prose such as "كما نشر في 24 أبريل 2014 تقرير..." continues after the date and is kept.
    """
    for match in _NASHR_RE.finditer(line):
        end = match.end() + date_span(line[match.end():], _DATE_PUNCT)
        span = line[match.end():end].strip()
        rest = line[end:].lstrip(_AFTER_DATE)
        if era := _GLUED_ERA_RE.match(rest):  # "1445 هـتابعونا": the era mark, then footer
            span, rest = f"{span} {era.group()}", rest[era.end():]
        if re.search(r"\d{4}", span) and (not rest or _FOOTER_MARK_RE.match(rest)):
            return match.start(), span
    return None


def _is_copyright_line(line: str) -> bool:
    """A copyright notice standing on its own line (glued ones are cut by the footer)."""
    if _COPYRIGHT_START_RE.match(line):
        return True
    return bool(_RESERVED_END_RE.search(line)) and len(line.split()) <= _MAX_COPYRIGHT_WORDS \
        and "تابعونا" not in line and _find_published(line) is None


def _split_prefix(prefix: str, max_words: int) -> tuple[str, str]:
    """Split the text glued before ``نشر`` into (body part, tag blob): the tags start after
    the last sentence end; a short line without one is all tags."""
    ends = list(_SENTENCE_END_RE.finditer(prefix))
    if ends:
        cut = ends[-1].end()
        body, blob = prefix[:cut], prefix[cut:].strip()
    else:
        body, blob = "", prefix.strip()
    if len(blob.split()) > max_words:  # prose, not tags
        return prefix, ""
    return body, blob


def _is_tag_line(line: str, max_words: int) -> bool:
    """A line of its own that can be the tag list printed above a ``نشر`` line."""
    stripped = line.strip()
    return bool(stripped) and len(stripped.split()) <= max_words and not (
        _ENDS_SENTENCE_RE.search(stripped) or _DATELINE_RE.match(stripped))


def _cut_glued(line: str, max_words: int, want_date: bool
               ) -> tuple[str, str, str | None] | None:
    """Cut a footer glued to ``line`` from its earliest marker: (kept text, tag blob glued
    before ``نشر``, date text), or None when the line has no footer marker."""
    published = _find_published(line) if want_date else None
    mark = _FOOTER_MARK_RE.search(line)
    starts = [p for p in (published[0] if published else None,
                          mark.start() if mark else None) if p is not None]
    if not starts:
        return None
    start = min(starts)
    if published and published[0] == start:
        body_part, blob = _split_prefix(line[:start], max_words)
        return body_part, blob, published[1]
    return line[:start], "", None


def _cut_footer(lines: list[str], max_words: int) -> tuple[list[str], str, str | None, bool]:
    """Remove the footer from ``lines``.

    Returns (remaining lines, tag blob, publication date text, whether a footer was cut).
    Copyright lines go wherever they are, and so does a footer glued to a line that ends in
    "All Rights Reserved". Then trailing footer-only lines (``تابعونا``, a ``نشر`` date
    line) are dropped, and on the last remaining line a glued footer is cut from its
    earliest marker (the tags glued before ``نشر`` are returned as the blob).
    """
    kept = [ln for ln in lines if not _is_copyright_line(ln)]
    cut = len(kept) != len(lines)
    lines = kept
    blob, date_text = "", None
    last_text = max((i for i, ln in enumerate(lines) if ln.strip()), default=-1)
    for i in range(last_text):
        if _RESERVED_END_RE.search(lines[i]) and (
                res := _cut_glued(lines[i], max_words, date_text is None)):
            lines[i], blob, date_text = res[0], blob or res[1], date_text or res[2]
            cut = True
    while lines:
        last = lines[-1]
        if not last.strip():
            lines.pop()
            continue
        if _FOLLOW_LINE_RE.match(last):
            lines.pop()
            cut = True
            continue
        res = _cut_glued(last, max_words, date_text is None)
        if res is None:
            break
        cut = True
        body_part, glued_blob, found_date = res
        blob, date_text = blob or glued_blob, date_text or found_date
        if body_part.strip():
            lines[-1] = body_part.rstrip()
            break
        lines.pop()
        if found_date and not blob:
            while lines and not lines[-1].strip():
                lines.pop()
            if lines and _is_tag_line(lines[-1], max_words):
                blob = lines.pop().strip()
    return lines, blob, date_text, cut


def _paragraphs(lines: Iterable[str]) -> list[str]:
    return [ln.strip() for ln in lines if ln.strip()]


def _dateline(paragraphs: Sequence[str]) -> str | None:
    if not paragraphs:
        return None
    match = _DATELINE_RE.match(paragraphs[0]) or _DATELINE_LINE_RE.match(paragraphs[0])
    return match.group("d").strip() if match else None


def _clean_title(line: str) -> str:
    return _SPACE_RE.sub(" ", _BULLET_RE.sub("", line)).strip()


def _read_also(lines: list[str], inline_title: str | None, max_words: int
               ) -> ReadAlso | list[str]:
    """One ``إقرأ أيضاً`` section: an article, or (if it is a bullet list) related titles."""
    paras = _paragraphs(lines)
    if not inline_title and paras and _BULLET_RE.match(paras[0]):
        return [t for t in (_clean_title(p) for p in paras) if t]
    title = inline_title or (paras.pop(0) if paras else None)
    kept, _blob, date_text, _cut = _cut_footer(paras, max_words)
    text_paras = _paragraphs(kept)
    return ReadAlso(title=title.strip() if title else None, text="\n".join(text_paras),
                    dateline=_dateline(text_paras),
                    published=parse_date(date_text) if date_text else None)


def parse_page(text: str, known_tags: Sequence[str] = (),
               max_tag_words: int = DEFAULT_MAX_TAG_WORDS,
               max_keyword_words: int = DEFAULT_MAX_KEYWORD_WORDS) -> Page:
    """Parse one aggregator page (see the module docstring for the layout)."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    page = Page()
    keywords: str | None = None
    body_end = len(lines)
    sections: list[tuple[str, str | None, list[str]]] = []
    current: list[str] | None = None  # lines of the open section; None = outside one
    for i, line in enumerate(lines):
        if m := _SOURCE_RE.match(line):
            page.source = page.source or (m.group("v") or None)
            current = None
        elif m := _KEYWORDS_RE.match(line):
            keywords = m.group("v") if keywords is None else f"{keywords}، {m.group('v')}"
            current = None
        elif m := _READ_ALSO_RE.match(line):
            sections.append(("read", m.group("v") or None, []))
            current = sections[-1][2]
        elif _RELATED_RE.match(line):
            sections.append(("related", None, []))
            current = sections[-1][2]
        else:
            if current is not None and not _is_copyright_line(line):
                current.append(line)
            continue
        body_end = min(body_end, i)
    body_lines, blob, date_text, page.footer_cut = _cut_footer(lines[:body_end], max_tag_words)
    paragraphs = _paragraphs(body_lines)
    page.body = "\n".join(paragraphs)
    page.dateline = _dateline(paragraphs)
    page.published_raw = date_text
    page.published = parse_date(date_text) if date_text else None
    page.tags, page.unsplit_tags = split_tags(blob, keywords, known_tags, max_keyword_words)
    related: dict[str, None] = {}
    for kind, inline_title, section_lines in sections:
        if kind == "related":
            page.related_lists += 1
            titles = [_clean_title(p) for p in _paragraphs(section_lines)]
        else:
            result = _read_also(section_lines, inline_title, max_tag_words)
            if isinstance(result, ReadAlso):
                page.read_also.append(result)
                continue
            page.related_lists += 1
            titles = result
        for title in titles:
            if title:
                related.setdefault(title, None)
    page.related_titles = list(related)
    return page
