"""Publication dates written into article URLs: ``/2015/08/11/``, ``/20150811/``,
``2015-08-11``, ``2015_08_11``.

Why a module of its own: a URL is the one place most news sites state a date when the dump
has no date field (SaudiNewsNet: aleqt ``/2015/07/20/article_…``, al-jazirah
``/2015/20150721/…``, okaz ``/Issues/20150720/…``), and reading it needs sanity checks that
text dates do not: a run of digits in a URL is usually an id, so a date is taken only when

* it is a real calendar date (``datetime`` validates month and day) in the plausible year
  range ``[min_year, max_year]`` (params: ``parse.published.min_year`` / ``max_year``), and
* every date-shaped run in the URL that passes those checks names the same day (two
  different days mean the digits are ids or a range, and nothing is guessed).

Whether the day is after the crawl time is checked by the caller for every date source
alike (:func:`akhbar.parse`). A URL date has no time: it is midnight UTC of that day.
No library reads dates out of URLs (``htmldate`` does, but only for whole HTML pages, and it
brings heuristics we cannot bound); these four shapes cover the sites we know.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache

#: ``/2015/08/11`` (also ``-`` or ``_`` between the parts), and ``20150811`` bounded by
#: non-digits (``Con20150720784687`` is an id glued to a date: not read, the
#: ``/Issues/20150720/`` segment of the same URL is).
_SEPARATED = re.compile(r"(?<!\d)((?:19|20)\d{2})([/_-])(\d{1,2})\2(\d{1,2})(?!\d)")
_COMPACT = re.compile(r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})(?!\d)")


@lru_cache(maxsize=1 << 16)
def url_date(url: str | None, min_year: int = 1990, max_year: int = 2100) -> datetime | None:
    """The one calendar day written in ``url`` (midnight UTC), or None (never raises)."""
    if not isinstance(url, str) or not url:
        return None
    path = url.split("://", 1)[-1]
    path = path[path.find("/"):] if "/" in path else ""  # the host never holds a date
    found: set[datetime] = set()
    for m in [*_SEPARATED.finditer(path), *_COMPACT.finditer(path)]:
        groups = m.groups()
        year, month, day = (int(groups[0]), int(groups[-2]), int(groups[-1]))
        if not min_year <= year <= max_year:
            continue
        try:
            found.add(datetime(year, month, day, tzinfo=UTC))
        except ValueError:
            continue
    return found.pop() if len(found) == 1 else None
