"""Dated wire datelines at the head of an article body.

The Saudi Press Agency and the papers that reprint it open a story with one line::

    الرياض 25 شوال 1436 هـ الموافق 10 أغسطس 2015 م واس

(place, Hijri date, ``الموافق`` + Gregorian date, agency), and other wires write
``بيروت 10 أغسطس 2015 (رويترز) - النص...``. Such a line is the article's publication
date, stated by its publisher; it is not prose. :func:`split_dateline` recognises it on the
*first* line only (a date further down is something the story talks about), returns it with
its parsed date, and the body without it: the parse stage moves it to the ``dateline``
column before the clean stage (which would strip a line repeated across a source as
boilerplate, losing the date).

What counts as a dated dateline (each rule keeps prose out):

* a place of 1-4 words without digits or sentence punctuation, then
* a run made only of date tokens (digits, month and weekday names, ``هـ``/``م``,
  ``الموافق``, separators: :func:`akhbar.dates.date_span`, which the aggregator footer
  reader uses too) holding a 4-digit year that parses
  (:func:`akhbar.dates.parse_date`: the Gregorian date when both are given, a Hijri-only one
  converted), then
* an agency: in parentheses, or a known agency/outlet name (:func:`akhbar.authors.is_outlet`)
  of at most ``_MAX_AGENCY_WORDS`` words
  ending the line, optionally followed by a dash or colon and the story's first sentence;
  or a dash/colon and the first sentence; or the end of the line when both calendars are
  given (``... هـ الموافق ... م``: a title or caption never reads like that).

A line where the date is followed by prose without a separator (``الرياض 10 أغسطس 2015 أعلنت
الوزارة``) is not taken: we cannot tell where a place ends and a sentence begins there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from akhbar.authors import is_outlet
from akhbar.dates import date_span, parse_date
from akhbar.folding import fold_raw

#: A dateline: a short place (no sentence end) then the agency in parentheses and a dash,
#: ``دبي، الإمارات (CNN) --`` / ``بيروت (رويترز) -``. Plain syntax, valid for Python's ``re``
#: and for polars' Rust regex alike (the stage applies it column-wise to other formats).
DATELINE_PATTERN = r"^([^\n().!?؟]{0,80}\([^()\n]{1,30}\)\s*(?:--|[-–—:]))"
#: A dateline that is a paragraph of its own, with no dash: the Arabic Gigaword / TREC
#: ``<DATELINE>`` layout, ``الرياض 3-5 (الخليج للأنباء)``.
DATELINE_LINE_PATTERN = r"^([^\n().!?؟]{0,80}\([^()\n]{1,30}\))[ \t]*(?:\n|$)"

_MAX_LINE_CHARS = 200  # a dateline (+ the first sentence after a dash) is short
_MAX_PLACE_WORDS = 4  # "المدينة المنورة", "إسلام آباد", "دار السلام"; a sentence is longer
_MAX_AGENCY_WORDS = 3  # "واس", "أ ف ب", "د ب أ"
_PLACE_RE = re.compile(r"^\s*(?P<place>[^\W\d_](?:[^\d\n.!?؟:()«»\"“”]*[^\W\d_])?)")
_AGENCY_PAREN_RE = re.compile(r"^\s*[(\[](?P<a>[^()\[\]\n\d]{1,30})[)\]]\s*(?:--|[-–—:])?\s*")
_AGENCY_PLAIN_RE = re.compile(r"^\s*(?P<a>[^\W\d_][^\n\d:()]*?)\s*(?:(?:--|[-–—:])\s*|$)")
_GLUED_ERA_RE = re.compile(r"([\d٠-٩]\s?[هم]ـ+)(?=[^\W\d_])")
_SEP_RE = re.compile(r"^\s*(?:--|[-–—:])\s*")


@dataclass(frozen=True)
class Dateline:
    """A dated dateline: its text as written, its date, and the body after it."""

    text: str
    published: datetime
    rest: str


#: Words that may stand between the place and the date (not every date word: the time zone
#: names in :data:`akhbar.dates.DATE_WORDS` hold "مكة المكرمة", which is a place here).
_LEAD_WORDS = frozenset(fold_raw(w) for w in (
    "في", "يوم", "بتاريخ", "الموافق", "الأحد", "الإثنين", "الاثنين", "الثلاثاء", "الأربعاء",
    "الخميس", "الجمعة", "السبت"))


def _split_date(place: str) -> tuple[str, str]:
    """Move trailing date words of the place (``في``, ``يوم``, a weekday) to the date."""
    words = place.split()
    k = len(words)
    while k and fold_raw(words[k - 1]).strip("،,") in _LEAD_WORDS:
        k -= 1
    return " ".join(words[:k]), " ".join(words[k:])


@lru_cache(maxsize=1 << 14)
def _first_line(line: str) -> tuple[str, datetime, str] | None:
    """(dateline text, date, rest of the line) when ``line`` opens with a dated dateline."""
    if len(line) > _MAX_LINE_CHARS:
        return None
    line = _GLUED_ERA_RE.sub(r"\1 ", line)  # "1436 هـالموافق": the era mark, then a word
    m = _PLACE_RE.match(line)
    if not m:
        return None
    place, lead = _split_date(m.group("place"))
    if not place or len(place.split()) > _MAX_PLACE_WORDS:
        return None
    start = m.end()
    end = start + date_span(line[start:])
    date_text = f"{lead} {line[start:end]}".strip()
    if not re.search(r"\d{4}", date_text.translate(_DIGITS)):
        return None
    published = parse_date(date_text)
    if published is None:
        return None
    after = line[end:]
    if not after.strip():
        # A line that is only a place and a date could be a title or a caption; the wire
        # form that stands alone gives both calendars ("... هـ الموافق ... م").
        if "الموافق" not in fold_raw(date_text):
            return None
        return line.strip(), published, ""
    for pattern in (_AGENCY_PAREN_RE, _SEP_RE):
        if a := pattern.match(after):
            return line[:end + a.end()].strip(), published, after[a.end():].strip()
    if ((a := _AGENCY_PLAIN_RE.match(after)) and len(a.group("a").split()) <= _MAX_AGENCY_WORDS
            and is_outlet(a.group("a"))):
        return line[:end + a.end()].strip(), published, after[a.end():].strip()
    return None


_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def split_dateline(text: str | None) -> Dateline | None:
    """The dated dateline opening ``text`` (paragraphs joined by ``\\n``), or None.

    ``rest`` is ``text`` without the dateline: the remainder of the first line (the first
    sentence after ``(رويترز) -``) and the following lines, joined by ``\\n``."""
    if not text:
        return None
    first, _sep, others = text.lstrip().partition("\n")
    found = _first_line(first.strip())
    if found is None:
        return None
    line, published, rest_of_line = found
    rest = "\n".join(p for p in (rest_of_line, others) if p)
    return Dateline(text=line.rstrip(" -–—:"), published=published, rest=rest)
