"""akhbar.datelines: dated wire datelines at the head of a body (own Arabic fixtures)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from akhbar.datelines import split_dateline


def day(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=UTC)


@pytest.mark.parametrize(("text", "dateline", "published", "rest"), [
    # the SPA shape: place, Hijri date, الموافق + Gregorian date, agency, on a line of its own
    ("تبوك 3 ذو القعدة 1437 هـ الموافق 6 أغسطس 2016 م واس\nافتتح المحافظ معرضا للكتاب.",
     "تبوك 3 ذو القعدة 1437 هـ الموافق 6 أغسطس 2016 م واس", day(2016, 8, 6),
     "افتتح المحافظ معرضا للكتاب."),
    # glued era marks, a two-word place, leading spaces
    ("  خميس مشيط 3 ذو القعدة 1437هـ الموافق 6 أغسطس 2016م واس\nنص الخبر.\nفقرة ثانية.",
     "خميس مشيط 3 ذو القعدة 1437هـ الموافق 6 أغسطس 2016م واس", day(2016, 8, 6),
     "نص الخبر.\nفقرة ثانية."),
    # Arabic-Indic digits and a weekday between the place and the date
    ("أبها الأحد ١٠ ربيع الأول ١٤٤٠ هـ الموافق ١٨ نوفمبر ٢٠١٨ م واس\nنص.",
     "أبها الأحد ١٠ ربيع الأول ١٤٤٠ هـ الموافق ١٨ نوفمبر ٢٠١٨ م واس", day(2018, 11, 18), "نص."),
    # a place whose words are also a time-zone name ("بتوقيت مكة المكرمة")
    ("مكة المكرمة 3 ذو القعدة 1437 هـ الموافق 6 أغسطس 2016 م واس\nنص.",
     "مكة المكرمة 3 ذو القعدة 1437 هـ الموافق 6 أغسطس 2016 م واس", day(2016, 8, 6), "نص."),
    # the era mark glued to the next word
    ("نجران 3 ذو القعدة 1437 هـالموافق 6 أغسطس 2016 م واس\nنص.",
     "نجران 3 ذو القعدة 1437 هـ الموافق 6 أغسطس 2016 م واس", day(2016, 8, 6), "نص."),
    # Hijri only: converted (Umm al-Qura)
    ("جدة 25 شوال 1436 هـ واس\nهطلت أمطار غزيرة.", "جدة 25 شوال 1436 هـ واس", day(2015, 8, 10),
     "هطلت أمطار غزيرة."),
    # Gregorian, agency in parentheses, the first sentence on the same line after the dash
    ("عمّان 4 مارس 2019 (رويترز) - قال مسؤولون إن الطريق سيفتح غدا.\nوأضافوا أن العمل انتهى.",
     "عمّان 4 مارس 2019 (رويترز)", day(2019, 3, 4),
     "قال مسؤولون إن الطريق سيفتح غدا.\nوأضافوا أن العمل انتهى."),
    # a known agency written without parentheses, Levantine month name
    ("دمشق 12 آذار 2017 أ ف ب\nنص.", "دمشق 12 آذار 2017 أ ف ب", day(2017, 3, 12), "نص."),
])
def test_dated_datelines(text: str, dateline: str, published: datetime, rest: str) -> None:
    found = split_dateline(text)
    assert found is not None
    assert (found.text, found.published, found.rest) == (dateline, published, rest)


@pytest.mark.parametrize("text", [
    None, "", "نص بلا تاريخ.",
    # a date in prose: a sentence goes on after it
    "وقال الوزير في 10 أغسطس 2015 إن المشروع سيبدأ قريبا.",
    "وقال الوزير في 10 أغسطس 2015 إن المشروع سيبدأ.",
    # a title with a date, alone on its line, one calendar only: not a wire dateline
    "افتتاح معرض الكتاب 10 أغسطس 2015\nنص الخبر.",
    # undated datelines are the aggregator module's business (kept in the body there)
    "الرياض (واس) - نص الخبر.",
    # a dateline further down is something the story talks about
    "نص أول.\nجدة 25 شوال 1436 هـ الموافق 10 أغسطس 2015 م واس",
    # no year / no parsable date
    "جدة 25 شوال واس\nنص.", "جدة 45 شوال 1436 هـ الموافق 45 أغسطس 2015 م واس\nنص.",
    # a long first line is prose
    "جدة " + "كلمة " * 60 + "25 شوال 1436 هـ الموافق 10 أغسطس 2015 م واس",
])
def test_not_datelines(text: str | None) -> None:
    assert split_dateline(text) is None
