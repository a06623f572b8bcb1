"""akhbar.urldates: a publication day written in a URL, with sanity checks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from akhbar.urldates import url_date

DAY = datetime(2016, 3, 9, tzinfo=UTC)


@pytest.mark.parametrize("url", [
    "https://news.example.com/2016/03/09/مقال-عن-المطر/",
    "https://news.example.com/2016/3/9/story.html",
    "http://www.example.com.sa/new/Issues/20160309/Con20160309123456.htm",  # id glued: not read
    "http://paper.example/2016/20160309/loc4.htm",
    "https://example.org/news/2016-03-09-title",
    "https://example.org/archive/2016_03_09/item?id=77",
])
def test_dates_in_urls(url: str) -> None:
    assert url_date(url) == DAY


@pytest.mark.parametrize("url", [
    None, "", "https://example.com/article/4079430",  # an id, not a date
    "https://example.com/node/20161399/",  # month 13
    "https://example.com/2016/02/30/x",  # no such day
    "https://example.com/12345678",  # year 1234: outside the range
    "https://example.com/1985/05/05/old",  # before min_year
    "https://example.com/2016/03/09/a/2016/04/01/b",  # two different days: no guess
    "https://2016-03-09.example.com/x",  # the host never holds a date
])
def test_no_date(url: str | None) -> None:
    assert url_date(url) is None


def test_year_range_is_a_parameter() -> None:
    url = "https://example.com/1985/05/05/old"
    assert url_date(url, min_year=1980) == datetime(1985, 5, 5, tzinfo=UTC)
    assert url_date("https://example.com/2016/03/09/x", max_year=2015) is None
