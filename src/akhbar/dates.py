"""Dates as Arabic news sites write them → aware UTC datetimes.

Why hand-written instead of ``dateparser`` (installed only as a transitive dependency of
trafilatura/htmldate): measured on dateparser 1.5, it returns None for every Levantine/Iraqi
month (``تشرين الثاني``, ``آب``, ``أيار``), for the combined form ``14 نوفمبر / تشرين الثاني
2023`` and for pages carrying a Hijri date, and it turns relative phrases (``منذ ساعتين``)
into "now minus two hours", which makes a build depend on the clock. The Latin formats are
still parsed by the standard library (``datetime.fromisoformat`` for ISO 8601,
``email.utils.parsedate_to_datetime`` for RFC 822/2822 with its zone table); the Arabic layer
below only folds digits, letter variants and month names into numbers.

Rules (documented, deterministic):

* A naive time (no zone given) is taken as UTC; a date without a time is midnight UTC.
* All-numeric dates are day-first (``14/11/2023``) unless the year comes first
  (``2023-11-14``), as Arabic sites write them.
* A Hijri date next to a Gregorian one is ignored (the Gregorian one is what the page
  states as its civil date). A Hijri-only date (``25 شوال 1436 هـ``, ``07/10/1436هـ``) is
  converted with ``hijridate`` (the Umm al-Qura calendar, the official calendar of Saudi
  Arabia, where most Hijri-dated Arabic news comes from; it covers 1343-1500 AH, outside
  that range the date returns None). A Hijri month name without a day and year is not a date.
* Relative dates ("منذ ساعتين", "أمس") and dates without a day, month and year return None:
  there is no trustworthy reference date at parse time.
* Invalid input returns None; :func:`parse_date` never raises.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache

import polars as pl
from hijridate import Hijri

from akhbar.chars import alternation
from akhbar.folding import fold_raw

_LETTER = r"[^\W\d_]"


_WEEKDAYS = ("الأحد", "الإثنين", "الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة",
             "السبت", "أحد", "إثنين", "اثنين", "ثلاثاء", "أربعاء", "خميس", "جمعة", "سبت")


_MONTH_NAMES: dict[int, tuple[str, ...]] = {
    1: ("يناير", "جانفي", "كانون الثاني", "كانون ثاني", "january", "jan"),
    2: ("فبراير", "فيفري", "شباط", "february", "feb"),
    3: ("مارس", "آذار", "march", "mar"),
    4: ("أبريل", "إبريل", "أفريل", "نيسان", "april", "apr"),
    5: ("مايو", "ماي", "أيار", "may"),
    6: ("يونيو", "يونيه", "جوان", "حزيران", "june", "jun"),
    7: ("يوليو", "يوليه", "يوليوز", "جويلية", "تموز", "july", "jul"),
    8: ("أغسطس", "غشت", "أوت", "آب", "august", "aug"),
    9: ("سبتمبر", "شتنبر", "أيلول", "september", "sept", "sep"),
    10: ("أكتوبر", "تشرين الأول", "تشرين أول", "october", "oct"),
    11: ("نوفمبر", "نونبر", "تشرين الثاني", "تشرين ثاني", "november", "nov"),
    12: ("ديسمبر", "دجنبر", "كانون الأول", "كانون أول", "december", "dec"),
}
_MONTHS: dict[str, int] = {fold_raw(n): m for m, names in _MONTH_NAMES.items() for n in names}


_MONTH_RE = re.compile(rf"(?<!{_LETTER})({alternation(list(_MONTHS))})(?!{_LETTER})")

_HIJRI_MONTH_NAMES: dict[int, tuple[str, ...]] = {
    1: ("محرم",), 2: ("صفر",), 3: ("ربيع الأول", "ربيع أول"),
    4: ("ربيع الآخر", "ربيع الثاني", "ربيع ثاني", "ربيع آخر"),
    5: ("جمادى الأولى", "جمادى الأول", "جمادى أولى"),
    6: ("جمادى الآخرة", "جمادى الثانية", "جمادى الآخر", "جمادى ثانية"),
    7: ("رجب",), 8: ("شعبان",), 9: ("رمضان",), 10: ("شوال",),
    11: ("ذو القعدة", "ذي القعدة"), 12: ("ذو الحجة", "ذي الحجة"),
}
_HIJRI_NUMBER: dict[str, int] = {fold_raw(n): m for m, names in _HIJRI_MONTH_NAMES.items()
                                 for n in names}
_HIJRI_MONTHS = list(_HIJRI_NUMBER)
_HIJRI_RE = re.compile(
    rf"(?:(?<!\d)\d{{1,2}}\s*)?(?<!{_LETTER})(?:{alternation(_HIJRI_MONTHS)})(?!{_LETTER})"
    rf"(?:\s*,?\s*\d{{3,4}})?(?:\s*ه(?!{_LETTER}))?"
)
_HIJRI_YEAR_RE = re.compile(rf"(?<!\d)\d{{3,4}}\s*ه(?!{_LETTER})")
#: A full Hijri date, folded: day, month name, year (``25 شوال 1436``) ...
_HIJRI_FULL_RE = re.compile(
    rf"(?<!\d)(?P<d>\d{{1,2}})\s*[-/]?\s*(?<!{_LETTER})(?P<m>{alternation(_HIJRI_MONTHS)})"
    rf"(?!{_LETTER})\s*[-/,،]?\s*(?P<y>\d{{4}})(?!\d)")
#: ... or all-numeric with the Hijri marker (``07/10/1436هـ``, ``1436/10/07 هـ``).
_HIJRI_DMY_RE = re.compile(rf"(?<!\d)(\d{{1,2}})[-/.](\d{{1,2}})[-/.](\d{{4}})\s*ه(?!{_LETTER})")
_HIJRI_YMD_RE = re.compile(rf"(?<!\d)(\d{{4}})[-/.](\d{{1,2}})[-/.](\d{{1,2}})\s*ه(?!{_LETTER})")

_ZONES: dict[str, int] = {  # minutes east of UTC; RFC 822 names plus common ones
    "z": 0, "ut": 0, "utc": 0, "gmt": 0, "غرينتش": 0, "جرينتش": 0, "غرينيتش": 0,
    "est": -300, "edt": -240, "cst": -360, "cdt": -300, "mst": -420, "mdt": -360,
    "pst": -480, "pdt": -420, "cet": 60, "cest": 120, "eet": 120, "eest": 180,
    "msk": 180, "gst": 240, "مكه": 180, "مكه المكرمه": 180,
}
#: Folded words that may appear inside a written date (used to find where a date glued to
#: other text ends).
DATE_WORDS: frozenset[str] = frozenset(
    w for phrase in [*_MONTHS, *_HIJRI_MONTHS, *_ZONES, *(fold_raw(d) for d in _WEEKDAYS),
                     "في", "يوم", "الموافق", "بتاريخ", "ه", "م", "ص", "صباحا", "مساء",
                     "الساعه", "بتوقيت", "توقيت", "am", "pm"]
    for w in phrase.split())
#: Tokens of a written date: spaces, digit runs, letter runs, single punctuation marks.
_TOKEN_RE = re.compile(r"\s+|\d+|[^\W\d_]+|[^\w\s]")
#: What separates the parts of a written date (``،`` ``/`` ``-`` ``.`` parentheses).
DATE_SEPARATORS = frozenset("،,/-–—.()")


def date_span(text: str, separators: frozenset[str] = DATE_SEPARATORS) -> int:
    """Length of the longest prefix of ``text`` made only of date tokens: digits, date words
    (:data:`DATE_WORDS`: weekdays, months, Hijri months, ``هـ``, ``الموافق``, zones),
    ``separators`` and marks that fold to nothing. Words glued after the year (a footer, an
    agency) are left out. The footer reader also counts ``:`` (a time) as a separator; a
    dateline cannot, as a colon ends it."""
    end = 0
    for match in _TOKEN_RE.finditer(text):
        tok = match.group()
        folded = fold_raw(tok)
        if tok.isspace() or tok in separators or not folded:
            continue
        if tok.isdigit() or folded in DATE_WORDS:
            end = match.end()
            continue
        break
    return end


_TIME_RE = re.compile(
    r"(?<!\d)(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.\d+)?)?"
    rf"(?:\s*(?P<ampm>صباحا|مساء|ص|م|am|pm|a\.m\.|p\.m\.)(?!{_LETTER}))?"
    r"(?:\s*(?:بتوقيت\s+|توقيت\s+)?(?:(?P<zname>"
    + alternation(list(_ZONES))
    + rf")(?!{_LETTER}))?\s*(?P<off>[+-]\d{{1,2}}(?::?\d{{2}})?)?)?"
)
_ISO_LIKE = re.compile(r"^\s*\d{4}-?\d{2}-?\d{2}(?:[T ]\d{2}(?::?\d{2}){0,2}(?:[.,]\d+)?)?"
                       r"\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?\s*$", re.IGNORECASE)
_RFC822 = re.compile(r"^\s*(?:[a-z]{3},?\s*)?\d{1,2}\s+[a-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}"
                     r"(?::\d{2})?\s*(?:[a-z]{1,5}|[+-]\d{4})?\s*$", re.IGNORECASE)
_YMD_RE = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_DMY_RE = re.compile(r"(?<!\d)(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?!\d)")
_NUMBER_RE = re.compile(r"(?<!\d)\d+(?!\d)")


def _utc(value: datetime) -> datetime:
    """Naive → UTC (documented rule); aware → converted to UTC."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _latin(text: str) -> datetime | None:
    """ISO 8601 and RFC 822 through the standard library."""
    if _ISO_LIKE.match(text):
        try:
            return _utc(datetime.fromisoformat(text.strip().replace(" ", "T", 1)
                                               if "T" not in text else text.strip()))
        except ValueError:
            pass
    if _RFC822.match(text):
        try:
            return _utc(parsedate_to_datetime(text))
        except (TypeError, ValueError, IndexError, OverflowError):
            pass
    return None


def _zone(match: re.Match[str]) -> timezone:
    name, off = match.group("zname"), match.group("off")
    minutes = 0
    if off:
        digits = off[1:].replace(":", "")
        hours, mins = (digits[:-2], digits[-2:]) if len(digits) > 2 else (digits, "0")
        minutes = int(hours) * 60 + int(mins)
        minutes = -minutes if off[0] == "-" else minutes
    elif name:
        minutes = _ZONES[re.sub(r"\s+", " ", name)]
    return timezone(timedelta(minutes=minutes))


def _general(text: str) -> datetime | None:
    """Arabic (and English) written dates: fold, drop the Hijri part, take the time, then
    day/month/year from a month name or an all-numeric form."""
    folded = fold_raw(text)
    folded = _HIJRI_YMD_RE.sub(" ", _HIJRI_DMY_RE.sub(" ", folded))  # numeric Hijri dates
    folded = _HIJRI_YEAR_RE.sub(" ", _HIJRI_RE.sub(" ", folded))
    hour = minute = second = 0
    tz: timezone = UTC
    time_match = _TIME_RE.search(folded)
    if time_match:
        hour, minute = int(time_match.group("h")), int(time_match.group("m"))
        second = int(time_match.group("s") or 0)
        ampm = time_match.group("ampm")
        if ampm in ("ص", "صباحا", "am", "a.m.") and hour == 12:
            hour = 0
        elif ampm in ("م", "مساء", "pm", "p.m.") and hour < 12:
            hour += 12
        tz = _zone(time_match)
        folded = folded[:time_match.start()] + " " + folded[time_match.end():]
    months = {_MONTHS[re.sub(r"\s+", " ", m)] for m in _MONTH_RE.findall(folded)}
    if len(months) == 1:
        rest = _MONTH_RE.sub(" ", folded)
        numbers = _NUMBER_RE.findall(rest)
        years = [int(n) for n in numbers if len(n) == 4]
        days = [int(n) for n in numbers if len(n) <= 2 and 1 <= int(n) <= 31]
        if not years or not days:
            return None
        year, month, day = years[0], months.pop(), days[0]
    elif months:
        return None  # two different months: a range or garbage, not one date
    elif ymd := _numeric_date(folded, (_YMD_RE, _YMD), (_DMY_RE, _DMY)):
        year, month, day = ymd
    else:
        return None
    return datetime(year, month, day, hour, minute, second, tzinfo=tz).astimezone(UTC)


#: Group positions of (year, month, day) in the all-numeric date patterns.
_YMD, _DMY = (0, 1, 2), (2, 1, 0)


def _numeric_date(text: str, *patterns: tuple[re.Pattern[str], tuple[int, int, int]]
                  ) -> tuple[int, int, int] | None:
    """(year, month, day) of the first pattern that matches, tried in the order given."""
    for pattern, (y, mo, d) in patterns:
        if m := pattern.search(text):
            groups = m.groups()
            return int(groups[y]), int(groups[mo]), int(groups[d])
    return None


def _hijri(text: str) -> datetime | None:
    """A Hijri-only date converted to the Gregorian calendar (Umm al-Qura, ``hijridate``),
    at midnight UTC. Used only when the text names no Gregorian month and no all-numeric
    Gregorian date was found (a Hijri date next to a Gregorian one is never used)."""
    folded = fold_raw(text)
    if _MONTH_RE.search(folded):
        return None
    if m := _HIJRI_FULL_RE.search(folded):
        day, month = int(m.group("d")), _HIJRI_NUMBER[re.sub(r"\s+", " ", m.group("m"))]
        year = int(m.group("y"))
    elif ymd := _numeric_date(folded, (_HIJRI_DMY_RE, _DMY), (_HIJRI_YMD_RE, _YMD)):
        year, month, day = ymd
    else:
        return None
    g = Hijri(year, month, day).to_gregorian()  # raises ValueError/OverflowError if invalid
    return datetime(g.year, g.month, g.day, tzinfo=UTC)


@lru_cache(maxsize=1 << 16)
def _parse(text: str) -> datetime | None:
    try:
        return _latin(text) or _general(text) or _hijri(text)
    except (ValueError, OverflowError, KeyError, IndexError):
        return None


def parse_date(s: str | None) -> datetime | None:
    """Parse one date string into an aware UTC datetime, or None (never raises)."""
    if not isinstance(s, str) or not s.strip() or len(s) > 500:
        return None
    return _parse(s.strip())


#: The one shape that dominates crawl/publish columns (``2015-07-21 02:51:32``, naive, so
#: UTC): parsed column-wise by polars. Hours 00-23 and seconds 00-59 only (chrono would
#: take a leap second ``:60`` that ``datetime.fromisoformat`` refuses), year 1000-9999;
#: an impossible day (``02-30``) comes out null from polars and goes the general way.
_PLAIN_ISO = r"^[1-9]\d{3}-\d{2}-\d{2}[ T](?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d$"


def parse_dates(values: pl.Series) -> pl.Series:
    """:func:`parse_date` over a polars column. Why two ways: most dump columns hold one
    plain ISO shape (:data:`_PLAIN_ISO`), mostly distinct values (crawl times to the
    second), which polars parses without a Python call per row (the same datetimes as
    ``fromisoformat``: ``tests/test_dates.py`` compares them); every other value is parsed
    once per distinct value by :func:`parse_date`. Returns ``Datetime("us", "UTC")`` with
    the same name."""
    dtype = pl.Datetime("us", "UTC")
    values = values.cast(pl.String)
    fast = (values.str.replace("T", " ", literal=True)
            .str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False)
            .dt.replace_time_zone("UTC"))
    fast = pl.select(pl.when(values.str.contains(_PLAIN_ISO)).then(fast)).to_series()
    distinct = values.filter(fast.is_null()).drop_nulls().unique(maintain_order=True).to_list()
    if not distinct:
        return fast.alias(values.name)
    parsed = [parse_date(v) for v in distinct]
    slow = values.replace_strict(distinct, parsed, default=None, return_dtype=dtype)
    return fast.fill_null(slow).alias(values.name)
