"""akhbar.dates: Arabic month series, digits, times, zones, Hijri, invalid input."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from akhbar.dates import DATE_SEPARATORS, date_span, parse_date, parse_dates

GULF = ["يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر",
        "أكتوبر", "نوفمبر", "ديسمبر"]
LEVANT = ["كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز", "آب", "أيلول",
          "تشرين الأول", "تشرين الثاني", "كانون الأول"]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("month", range(1, 13))
def test_both_month_series_alone_and_combined(month: int) -> None:
    gulf, levant = GULF[month - 1], LEVANT[month - 1]
    assert parse_date(f"9 {gulf} 2021") == utc(2021, month, 9)
    assert parse_date(f"9 {levant} 2021") == utc(2021, month, 9)
    assert parse_date(f"الأربعاء، 9 {gulf} / {levant} 2021") == utc(2021, month, 9)


@pytest.mark.parametrize(("text", "expected"), [
    ("5 إبريل 2022", utc(2022, 4, 5)),
    ("5 ابريل 2022", utc(2022, 4, 5)),
    ("20 يونيه 2022", utc(2022, 6, 20)),
    ("20 يوليه 2022", utc(2022, 7, 20)),
    ("3 تشرين اول 2019", utc(2019, 10, 3)),
    ("الأحد ١٤ نوفمبر ٢٠٢٣", utc(2023, 11, 14)),  # Arabic-Indic digits
    ("۱۴ آب ۲۰۲۳", utc(2023, 8, 14)),  # Persian digits
    ("14 نوفمبر 2023 10:30 ص", utc(2023, 11, 14, 10, 30)),
    ("14 نوفمبر 2023 10:30 م", utc(2023, 11, 14, 22, 30)),
    ("14 نوفمبر 2023 - 12:05 ص", utc(2023, 11, 14, 0, 5)),
    ("١٤ نوفمبر ٢٠٢٣ ١٠:٣٠ مساءً", utc(2023, 11, 14, 22, 30)),
    ("14 نوفمبر 2023 10:30 ﻣﺴﺎء", utc(2023, 11, 14, 22, 30)),  # presentation forms
    ("14 نوفـــمبر 2023", utc(2023, 11, 14)),  # tatweel
    ("14 نوفمبر 2023 10:00 +03:00", utc(2023, 11, 14, 7, 0)),
    ("14 نوفمبر 2023 10:00 بتوقيت غرينتش", utc(2023, 11, 14, 10, 0)),
    ("14/11/2023", utc(2023, 11, 14)),  # all-numeric dates are day-first
    ("2023/11/14", utc(2023, 11, 14)),
    ("November 14, 2023 10:00 PM", utc(2023, 11, 14, 22, 0)),
])
def test_arabic_forms(text: str, expected: datetime) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Tue, 14 Nov 2023 10:00:00 +0300", utc(2023, 11, 14, 7, 0)),
    ("Tue, 14 Nov 2023 10:00:00 GMT", utc(2023, 11, 14, 10, 0)),
    ("Tue, 14 Nov 2023 10:00:00 EST", utc(2023, 11, 14, 15, 0)),
    ("14 Nov 2023 23:30:00 -0500", utc(2023, 11, 15, 4, 30)),
    ("2023-11-14T10:00:00Z", utc(2023, 11, 14, 10, 0)),
    ("2023-11-14T10:00:00+03:00", utc(2023, 11, 14, 7, 0)),
    ("2023-11-14", utc(2023, 11, 14)),
    ("2015-07-21 09:47:39", utc(2015, 7, 21, 9, 47, 39)),  # SaudiNewsNet: naive = UTC
])
def test_rfc822_and_iso(text: str, expected: datetime) -> None:
    got = parse_date(text)
    assert got == expected
    assert got is not None and got.utcoffset() is not None and got.utcoffset().seconds == 0


def test_hijri_next_to_gregorian_prefers_gregorian() -> None:
    assert parse_date("الخميس 1 جمادى الأولى 1445 هـ الموافق 16 نوفمبر 2023م") == utc(2023, 11, 16)
    assert parse_date("16 تشرين الثاني 2023 - 2 جمادى الأولى 1445هـ") == utc(2023, 11, 16)


@pytest.mark.parametrize(("text", "expected"), [
    # wire datelines give both calendars: the Hijri-only form must land on the same day
    ("25 شوال 1436 هـ", utc(2015, 8, 10)),  # "... الموافق 10 أغسطس 2015 م"
    ("1 جمادى الأولى 1445 هـ", utc(2023, 11, 15)),
    ("15 رمضان 1444", utc(2023, 4, 6)),
    ("الخميس ٧ ذو القعدة ١٤٣٦هـ", utc(2015, 8, 22)),
    ("07/10/1436هـ", utc(2015, 7, 23)),  # numeric, with the Hijri marker
    ("1436/10/07 هـ", utc(2015, 7, 23)),
])
def test_hijri_only_is_converted(text: str, expected: datetime) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", [
    "رمضان 1444",  # no day
    "25 شوال",  # no year
    "25 شوال 1600",  # outside the Umm al-Qura table
    "31 محرم 1437",  # no 31st day in a Hijri month
])
def test_hijri_incomplete_or_invalid_is_none(text: str) -> None:
    assert parse_date(text) is None


@pytest.mark.parametrize("text", [
    None, "", "   ", "غير معروف", "منذ ساعتين", "أمس", "2023", "نوفمبر 2023",
    "31 فبراير 2023", "32 نوفمبر 2023", "14 نوفمبر / ديسمبر 2023", "99/99/2023",
    "2023-13-45T99:00", "Tue, 44 Nov 2023 10:00:00 +0300",
])
def test_invalid_is_none(text: str | None) -> None:
    assert parse_date(text) is None


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([*"0123456789٠١٢٣٤٥٦٧٨٩:/-+ ،,.TZ", *GULF, *LEVANT,
                                  "هـ", "ص", "م", "GMT", "رجب"]),
                max_size=12).map(" ".join) | st.text(max_size=40))
def test_never_raises(text: str) -> None:
    result = parse_date(text)
    assert result is None or (isinstance(result, datetime) and result.tzinfo is not None)


def test_parse_dates_column_matches_scalar() -> None:
    values = ["14 نوفمبر 2023", None, "x", "14 نوفمبر 2023", "2015-07-21 09:47:39"]
    out = parse_dates(pl.Series("published_raw", values))
    assert out.name == "published_raw"
    assert out.dtype == pl.Datetime("us", "UTC")
    assert out.to_list() == [parse_date(v) for v in values]
    assert out.to_list()[0] == utc(2023, 11, 14)


def test_parse_dates_all_null() -> None:
    out = parse_dates(pl.Series("d", [None, None], dtype=pl.String))
    assert out.dtype == pl.Datetime("us", "UTC")
    assert out.null_count() == 2


@pytest.mark.parametrize(("text", "separators", "want"), [
    ("الثلاثاء، 14 نوفمبر 2023تابعونا", DATE_SEPARATORS, "الثلاثاء، 14 نوفمبر 2023"),
    ("25 شوال 1436 هـ الموافق 10 أغسطس 2015 م واس", DATE_SEPARATORS,
     "25 شوال 1436 هـ الموافق 10 أغسطس 2015 م"),
    ("14 نوفمبر 2023 - 10:30 مساء", DATE_SEPARATORS, "14 نوفمبر 2023 - 10"),  # ':' ends it
    ("14 نوفمبر 2023 - 10:30 مساء", DATE_SEPARATORS | {":"}, "14 نوفمبر 2023 - 10:30 مساء"),
    ("10 \u200fأغسطس 2015 (رويترز)", DATE_SEPARATORS, "10 \u200fأغسطس 2015"),  # a mark folds away
    ("أعلنت الوزارة 10 أغسطس", DATE_SEPARATORS, ""),
])
def test_date_span(text: str, separators: frozenset[str], want: str) -> None:
    """The one reader of "how far does this written date go", shared by the aggregator
    footer and the dateline reader (which differ only in the colon)."""
    assert text[:date_span(text, separators)] == want


# The column-wise ISO path (``dates._PLAIN_ISO``) must give exactly what the scalar path
# gives, also at its edges: impossible days, leap seconds, hour 24, year 0, spaces.
PLAIN_ISO_EDGES = ["2015-07-21 02:51:32", "2016-02-29T23:59:59", "2015-02-29 00:00:00",
                   "2015-02-30 10:00:00", "2015-07-21 02:51:60", "2015-07-21 24:00:00",
                   "0000-01-01 00:00:00", "0999-12-31 23:59:59", " 2015-07-21 02:51:32 ",
                   "2015-13-01 00:00:00", "2015-07-21T02:51:32Z", "2015-7-21 02:51:32",
                   None, "", "أمس"]


def test_parse_dates_plain_iso_edges_match_scalar() -> None:
    out = parse_dates(pl.Series("crawled_raw", PLAIN_ISO_EDGES)).to_list()
    assert out == [parse_date(v) for v in PLAIN_ISO_EDGES]
    assert out[0] == datetime(2015, 7, 21, 2, 51, 32, tzinfo=UTC)
    assert out[3] is None and out[5] is None


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31)),
       st.sampled_from([" ", "T"]))
def test_parse_dates_plain_iso_roundtrip(moment: datetime, sep: str) -> None:
    text = moment.replace(microsecond=0).isoformat(sep=sep)
    assert parse_dates(pl.Series("d", [text])).to_list() == [parse_date(text)]
