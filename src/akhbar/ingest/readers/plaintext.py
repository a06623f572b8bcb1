"""Text files (``.txt``, ``.dat``, no extension): aggregator pages and one-article files.

Two kinds of text file share the ``.txt`` extension:

* **aggregator pages** — an article followed by the furniture an aggregator glued on
  (``المصدر:``, ``كلمات دلالية:``, ``إقرأ أيضاً``, ``مقالات مشابهة``, a ``نشر <date>``
  footer, ``All Rights Reserved``). The page goes to the parse stage whole
  (``raw_format`` ``aggregator``), which takes that furniture apart.
* **one article per file** (``raw_format`` ``plaintext``) — everything else.

Both may start with header lines, which become columns and leave the body (nothing of
them stays in ``text``):

* a short first line that reads as a headline (at most ``max_title_words`` words, no
  sentence-final ``.``/``:``/``،``, not a dateline, followed by a longer line) → ``title``.
  A trailing `` - Site`` on it is split off later, in the parse stage, only when it
  repeats across the folder (:mod:`akhbar.titles`): one file cannot tell a site name from
  the end of a headline.
* a line that is only a date → a date column. **Which column:** an HTTP date
  (``Fri, 11 Aug 2017 15:17:25 GMT``, RFC 7231's IMF-fixdate, to the second, in GMT) is
  what a crawler writes from the response's ``Date``/``Last-Modified`` header, i.e. the
  time of the fetch, so it goes to ``crawled_raw`` (``ingest.text.http_date: crawled``;
  set ``published`` when a corpus is known to stamp publication times that way): the
  project never takes a crawl time for a publication time, since a wrong date is worse than
  none for temporal splits. A date written as a site writes it (Arabic month names, ISO
  ``2023-03-12``, ``12/03/2023``) is the article's date → ``published_raw``.

A section or landing page (a list of short headline lines, no paragraph) is not an
article: it is rejected as ``ingest:landing-page`` with the counts that decided it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from akhbar.config import Text
from akhbar.datelines import DATELINE_PATTERN
from akhbar.dates import DATE_WORDS, parse_date
from akhbar.folding import fold_raw
from akhbar.ingest.readers.base import Bad, Blob, Context, Good, too_large
from akhbar.params import defaults_for

#: ``ingest.text`` in params.yaml (the typed model; see the comments there).
TextParams = Text


# Aggregator furniture, anywhere in the page (a line start, or the glued footer).
_AGGREGATOR = re.compile(
    r"^[ \t]*(?:المصدر\s*[:：]|(?:كلمات\s+دلالية|الكلمات\s+الدلالية|الوسوم|وسوم)\s*[:：]"
    r"|[اأإ]قر[أا]\s+[اأ]يض|(?:مقالات|أخبار|اخبار|مواضيع|موضوعات)\s+"
    r"(?:مشابهة|ذات\s+صلة|متعلقة)[ \t]*[:：]?[ \t]*$)"
    r"|تابعونا\s*عبر|all\s+rights\s+reserved"
    r"|نشر\s*(?:في|يوم|بتاريخ)?\s*[:：]?\s*(?:ال)?(?:أحد|احد|إثنين|اثنين|ثلاثاء|أربعاء|اربعاء"
    r"|خميس|جمعة|سبت)[،,]?\s*\d{1,2}\s",
    re.M | re.I)
_LINE_END = re.compile(r"\r\n|\r|\n|\u2028|\u2029")
_HTTP_DATE = re.compile(r"\A[A-Za-z]{3},\s+\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{2}:\d{2}:\d{2}"
                        r"\s+(?:GMT|UTC|[+-]\d{4})\Z")
_DATE_TOKEN = re.compile(r"\d+|[^\W\d_]+|[^\w\s]")
_LATIN_DATE_WORDS = frozenset({"mon", "tue", "wed", "thu", "fri", "sat", "sun", "t", "z",
                               "monday", "tuesday", "wednesday", "thursday", "friday",
                               "saturday", "sunday"})
_DATELINE = re.compile(DATELINE_PATTERN)
_SENTENCE_END = re.compile(r"[.:،؛…,;]\W*\Z")
_WORD = re.compile(r"\w+")
# A byline or credit line is not a headline ("بقلم: ...", "كتب - ...", "By ...").
_BYLINE = re.compile(r"\A\W*(?:(?:بقلم|by)(?!\w)|(?:كتب|كتبت|إعداد|اعداد|تحرير|ترجمة|تصوير"
                     r"|حوار|مراسل)\s*[:：\-–])", re.I)


def is_aggregator_page(text: str) -> bool:
    """Whether the page carries the furniture of an aggregator page."""
    return _AGGREGATOR.search(text) is not None


def date_line(line: str) -> tuple[str, str] | None:
    """``(column, value)`` when ``line`` is only a date, else None."""
    value = line.strip()
    if not value or len(value) > 80 or parse_date(value) is None:
        return None
    for tok in _DATE_TOKEN.findall(value):
        if tok.isdigit() or not tok.isalpha():
            continue
        if fold_raw(tok) not in DATE_WORDS and tok.lower() not in _LATIN_DATE_WORDS:
            return None
    if _HTTP_DATE.match(value):
        return "http", value
    return "published_raw", value


def _words(line: str) -> int:
    return len(_WORD.findall(line))


def _headline(line: str, following: list[str], params: TextParams) -> bool:
    """A short line that reads as a headline, above text that is longer than it."""
    value = line.strip()
    n = _words(value)
    if n < 2 or n > params.max_title_words or len(value) > params.max_title_chars:
        return False
    if _SENTENCE_END.search(value) or _DATELINE.match(value) or _BYLINE.match(value) or not any(
            c.isalpha() for c in value) or _AGGREGATOR.match(value):
        return False
    return any(_words(f) > n for f in following)


def split_header(text: str, params: TextParams) -> tuple[dict[str, str], str]:
    """Header columns found at the top of ``text`` and the rest of the text (verbatim
    from the first line that is not a header line)."""
    spans = [(m.start(), m.end()) for m in _LINE_END.finditer(text)]
    starts = [0, *(e for _, e in spans)]
    ends = [*(s for s, _ in spans), len(text)]
    lines = [text[s:e] for s, e in zip(starts, ends, strict=True)]
    fields: dict[str, str] = {}
    dated = False
    i = taken = 0
    while i < len(lines) and taken < params.max_header_lines:
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        date = None if dated else date_line(line)
        if date is not None:
            column, value = date
            if column == "http":
                column = "published_raw" if params.http_date == "published" else "crawled_raw"
            fields[column] = value
            dated = True
        elif "title" not in fields and _headline(
                line, [x for x in lines[i + 1:i + 40] if x.strip()], params):
            fields["title"] = line.strip()
        else:
            break
        taken += 1
        i += 1
    if not taken:
        return {}, text
    return fields, text[starts[i]:] if i < len(lines) else ""


def landing_page(body: str, params: TextParams) -> str | None:
    """Why ``body`` is a list of headlines rather than an article, or None."""
    lines = [x.strip() for x in _LINE_END.split(body) if x.strip()]
    if len(lines) < params.landing_min_lines:
        return None
    short = sum(1 for x in lines if _words(x) <= params.max_title_words
                and not _SENTENCE_END.search(x))
    if short / len(lines) < params.landing_short_share:
        return None
    return (f"section or landing page: {short} of {len(lines)} lines are short headline-like "
            f"lines (landing_short_share={params.landing_short_share})")


def read(blob: Blob, ctx: Context, params: TextParams | None = None,
         kind: str | None = None) -> Iterator[Good | Bad]:
    """One record per file: ``aggregator`` or ``plaintext`` (``kind`` forces one)."""
    params = params or defaults_for(TextParams)
    if (msg := too_large(blob.size, ctx, "page")) is not None:
        yield Bad(0, "too-large", msg, blob.head(ctx.excerpt_bytes))
        return
    decoded = ctx.decode(blob)
    text = decoded.text
    kind = kind or ("aggregator" if is_aggregator_page(text) else "plaintext")
    fields, body = split_header(text, params)
    if kind == "plaintext" and (why := landing_page(body, params)) is not None:
        yield Bad(0, "landing-page", why, text[:ctx.excerpt_bytes], decoded.encoding,
                  raw_format=kind)
        return
    yield Good(0, decoded.encoding, {**fields, "body": body}, decoded.damaged, raw_format=kind)
