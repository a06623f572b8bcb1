"""akhbar.authors: ``author`` holds people; places and outlets go to the dateline."""

from __future__ import annotations

import pytest

from akhbar.authors import is_outlet, split_author


@pytest.mark.parametrize(("value", "person", "dateline"), [
    # datelines and outlets only: no author, the value (framing kept) is the dateline
    ("لندن: «صحيفة المساء أونلاين»", None, "لندن: «صحيفة المساء أونلاين»"),
    ("الرياض - واس", None, "الرياض - واس"),
    ("جدة - عكاظ", None, "جدة - عكاظ"),
    ("القاهرة: وكالات", None, "القاهرة: وكالات"),
    ("واس - الدمام", None, "واس - الدمام"),
    ("\u00a0عكاظ (الطائف)", None, "عكاظ (الطائف)"),
    ("«الاقتصادية» من جدة", None, "«الاقتصادية» من جدة"),
    ("الوئام - رويترز:", None, "الوئام - رويترز"),
    ("بيروت - أ. ف. ب.", None, "بيروت - أ. ف. ب."),
    ("المدينة ـ ينبع", None, "المدينة ـ ينبع"),  # tatweel used as a dash
    ("فريق التحرير", None, "فريق التحرير"),
    ("متابعات", None, "متابعات"),
    ("&nbsp;واس", None, "واس"),  # an entity left by the scraper
    # people kept, the place/outlet parts moved
    ("بقلم: سلمى الحربي", "سلمى الحربي", None),
    ("كتب - ماجد السالم:", "ماجد السالم", None),
    ("تبوك - نورة العنزي", "نورة العنزي", "تبوك"),
    ("خالد الدوسري (الرياض)", "خالد الدوسري", "الرياض"),
    ("منى القحطاني من الدمام", "منى القحطاني", "الدمام"),
    ("فيصل العتيبي- سبق- أبها:", "فيصل العتيبي", "سبق - أبها"),
    ("القاهرة - مكتب الجزيرة - هشام سعيد:", "هشام سعيد", "القاهرة - مكتب الجزيرة"),
    ("الرياض سامي الغامدي", "سامي الغامدي", "الرياض"),  # no separator: known place first
    ("د. عبدالله بن سعد العمر", "د. عبدالله بن سعد العمر", None),
    ("نادر الشهري&ndash; سبق", "نادر الشهري", "سبق"),
    ("نادر الشهري سبق", "نادر الشهري", "سبق"),  # no separator: outlet last
    ("خاص عكاظ", None, "خاص عكاظ"), ("د ب أ واس", None, "د ب أ واس"),
    # nothing
    (None, None, None), ("", None, None), ("  :  ", None, None),
])
def test_split_author(value: str | None, person: str | None, dateline: str | None) -> None:
    assert split_author(value) == (person, dateline)


def test_a_single_unknown_word_is_not_taken_as_a_person() -> None:
    # a town missing from the list is far likelier than a one-word byline
    assert split_author("الحوية - رائد المالكي") == ("رائد المالكي", "الحوية")
    assert split_author("الحوية")[0] is None


def test_prose_in_the_author_field_is_not_a_person() -> None:
    sentence = "الفريق سيكون جاهزا للمباراة المقبلة بعد عودة جميع اللاعبين المصابين"
    assert split_author(sentence)[0] is None


@pytest.mark.parametrize("name", ["واس", "أ ف ب", "أ.ف.ب", "د. ب. أ", "رويترز", "وكالات",
                                  "الشرق الأوسط أونلاين", "الرياض الإلكتروني", "مراسلنا"])
def test_outlets(name: str) -> None:
    assert is_outlet(name)


@pytest.mark.parametrize("name", ["محمد العلي", "جدة", "فاطمة"])
def test_not_outlets(name: str) -> None:
    assert not is_outlet(name)
