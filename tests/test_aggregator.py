"""Golden tests of akhbar.aggregator.parse_page on hand-written aggregator pages.

The pages are built from tiny invented sentences (builders below), one variant per test:
glued footer, footer on its own lines, no "read also", two related lists, a Hijri date,
a Levantine-only month, Arabic-Indic digits, no dateline, no source.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from akhbar.aggregator import Page, ReadAlso, parse_page
from akhbar.tags import normalize_tags, tags_expr

DATELINE = "الرياض، السعودية (CNN) --"
P1 = f"{DATELINE} افتتحت البلدية حديقة عامة جديدة في الحي الشمالي صباح اليوم."
P2 = "وقال مسؤول في البلدية إن الحديقة تضم ممرات للمشي وملاعب صغيرة للأطفال."
P3 = "ومن المتوقع أن تستقبل الحديقة آلاف الزوار خلال عطلة نهاية الأسبوع."
LINKS = "تابعونا عبرسياسة الخصوصيةشروط الاستخداممن نحنالأرشيف"
COPY = "© 2023 شبكة أخبار تجريبية. All Rights Reserved."
DATE = "الثلاثاء، 14 نوفمبر / تشرين الثاني 2023"
KNOWN = ["مصر", "السعودية"]
RA_TITLE = "افتتاح مكتبة عامة في وسط المدينة"
RA1 = "أعلنت وزارة الثقافة افتتاح مكتبة عامة تضم آلاف الكتب والمجلات."
RA2 = "وتفتح المكتبة أبوابها يوميا من التاسعة صباحا حتى المساء."
REL_A = ["سوق شعبي يجذب الزوار في الشتاء", "مهرجان للتمور في القصيم"]
REL_B = ["معرض للكتاب في جدة", "سوق شعبي يجذب الزوار في الشتاء"]


def footer_glued(date: str = DATE, tags: str = "مصرالسعودية") -> str:
    """The last sentence with tags, date, links and copyright glued on (one line)."""
    return f"{P3}{tags}نشر {date}{LINKS}{COPY}"


def footer_lines(date: str = DATE, tags: str = "مصرالسعودية") -> list[str]:
    """The same footer, one part per line."""
    return [P3, tags, f"نشر {date}", LINKS, COPY, "All Rights Reserved."]


def tail(*, source: str | None = "صحيفة الاختبار",
         keywords: str | None = "الحدائق العامة، البلدیة",
         read_also: str | None = "إقرأ أيضاً:",
         related: tuple[list[str], ...] = (REL_A,)) -> list[str]:
    """Everything after the body: source, keywords, read-also article, related lists."""
    out: list[str] = []
    if source is not None:
        out.append(f"المصدر: {source}")
    if keywords is not None:
        out.append(f"كلمات دلالية: {keywords}")
    if read_also is not None:
        out += [read_also, RA_TITLE, RA1, RA2]
    for titles in related:
        out.append("مقالات مشابهة")
        out.extend(f"  • {t}  " for t in titles)
    return out


def page(body_end: list[str], first: str = P1, **tail_args: object) -> str:
    return "\n\n".join([first, P2, *body_end, *tail(**tail_args)])  # type: ignore[arg-type]


BODY = "\n".join([P1, P2, P3])
KEYWORD_TAGS = ["الحدائق العامة", "البلدية"]


def check(p: Page, *, body: str = BODY, dateline: str | None = DATELINE,
          published: datetime | None = datetime(2023, 11, 14, tzinfo=UTC),
          tags: list[str] | None = None, source: str | None = "صحيفة الاختبار",
          related: list[str] = REL_A, read_also: bool = True) -> None:
    assert p.body == body
    assert p.dateline == dateline
    assert p.published == published
    assert p.tags == (tags if tags is not None else ["مصر", "السعودية", *KEYWORD_TAGS])
    assert p.source == source
    assert p.related_titles == related
    assert p.read_also == ([ReadAlso(title=RA_TITLE, text=f"{RA1}\n{RA2}")] if read_also else [])
    for marker in ("تابعونا", "©", "All Rights Reserved", "نشر", "المصدر", "كلمات دلالية"):
        assert marker not in p.body


def test_glued_footer() -> None:
    p = parse_page(page([footer_glued()]), known_tags=KNOWN)
    check(p)
    assert p.footer_cut and p.related_lists == 1 and p.unsplit_tags == []
    assert p.published_raw == DATE


def test_footer_on_its_own_lines() -> None:
    check(parse_page(page(footer_lines()), known_tags=KNOWN))


def test_footer_lines_separated_by_single_newlines() -> None:
    text = "\n".join([P1, P2, *footer_lines(), *tail()])
    check(parse_page(text, known_tags=KNOWN))


def test_separated_tags_need_no_dictionary() -> None:
    p = parse_page(page([footer_glued(tags="غابات | بحيرات")]))
    check(p, tags=["غابات", "بحيرات", *KEYWORD_TAGS])


def test_no_read_also() -> None:
    check(parse_page(page([footer_glued()], read_also=None), known_tags=KNOWN),
          read_also=False)


@pytest.mark.parametrize("marker", ["اقرأ أيضا", "إقرأ أيضا", "اقرأ أيضاً:", "إقرأ أيضاً"])
def test_read_also_spellings(marker: str) -> None:
    check(parse_page(page([footer_glued()], read_also=marker), known_tags=KNOWN))


def test_read_also_title_on_marker_line() -> None:
    text = "\n\n".join([P1, P2, footer_glued(), f"اقرأ أيضا: {RA_TITLE}", RA1, RA2])
    p = parse_page(text, known_tags=KNOWN)
    assert p.read_also == [ReadAlso(title=RA_TITLE, text=f"{RA1}\n{RA2}")]
    assert p.source is None and p.related_titles == [] and p.related_lists == 0


def test_two_related_lists_are_merged_without_duplicates() -> None:
    p = parse_page(page([footer_glued()], related=(REL_A, REL_B)), known_tags=KNOWN)
    check(p, related=[*REL_A, REL_B[0]])
    assert p.related_lists == 2


def test_hijri_date_next_to_gregorian() -> None:
    date = "الخميس، 2 جمادى الأولى 1445 هـ - 16 نوفمبر 2023"
    p = parse_page(page([footer_glued(date=date)]), known_tags=KNOWN)
    check(p, published=datetime(2023, 11, 16, tzinfo=UTC))
    assert p.published_raw == date


def test_hijri_only_date_cut_and_converted() -> None:
    date = "الخميس، 2 جمادى الأولى 1445 هـ"  # Umm al-Qura: Thursday 16 November 2023
    p = parse_page(page([footer_glued(date=date)]), known_tags=KNOWN)
    check(p, published=datetime(2023, 11, 16, tzinfo=UTC))
    assert p.footer_cut


def test_levantine_only_month() -> None:
    date = "الأحد، 3 آذار 2024 10:15 م"
    check(parse_page(page(footer_lines(date=date)), known_tags=KNOWN),
          published=datetime(2024, 3, 3, 22, 15, tzinfo=UTC))


def test_arabic_indic_digits() -> None:
    date = "السبت، ١٤ تشرين الثاني ٢٠٢٣"
    check(parse_page(page([footer_glued(date=date)]), known_tags=KNOWN))


def test_no_dateline_no_source() -> None:
    first = "افتتحت البلدية حديقة عامة جديدة في الحي الشمالي صباح اليوم."
    p = parse_page(page([footer_glued()], first=first, source=None), known_tags=KNOWN)
    check(p, body="\n".join([first, P2, P3]), dateline=None, source=None)


def test_agency_dateline() -> None:
    first = "بيروت (رويترز) - قال مسؤول إن الطريق أعيد فتحه أمام السيارات."
    p = parse_page(page([footer_glued()], first=first), known_tags=KNOWN)
    assert p.dateline == "بيروت (رويترز) -"
    assert p.body.startswith(first)


def test_unknown_glued_tags_are_not_guessed() -> None:
    p = parse_page(page([footer_glued(tags="مصرغابات")]), known_tags=["مصر"])
    check(p, tags=KEYWORD_TAGS)
    assert p.unsplit_tags == ["مصرغابات"]
    # a known short tag inside an unknown word is not cut out of it
    p = parse_page(page([footer_glued(tags="فندق")]), known_tags=["فن"])
    check(p, tags=KEYWORD_TAGS)
    assert p.unsplit_tags == ["فندق"]


def test_keyword_line_without_separators_uses_glued_tags() -> None:
    """Space-separated keywords are grouped by the phrases seen in the glued tag list; the
    leftover run (≤ max_keyword_words words) is one keyword."""
    p = parse_page(page([footer_glued(tags="مصرحديقة الملك")],
                        keywords="حديقة الملك بلدیة الرياض"), known_tags=["مصر"])
    check(p, tags=["مصر", "حديقة الملك", "بلدية الرياض"])
    assert p.unsplit_tags == []


def test_long_unknown_keyword_run_is_not_guessed() -> None:
    keywords = "الحدائق العامة البلدية المشي الأطفال"
    p = parse_page(page([footer_glued()], keywords=keywords), known_tags=KNOWN)
    check(p, tags=["مصر", "السعودية"])
    assert p.unsplit_tags == [keywords]
    p = parse_page(page([footer_glued()], keywords=keywords), known_tags=KNOWN,
                   max_keyword_words=5)
    check(p, tags=["مصر", "السعودية", keywords])


def test_short_keyword_line_without_separators_is_one_keyword() -> None:
    check(parse_page(page([footer_glued()], keywords="الحدائق العامة"), known_tags=KNOWN),
          tags=["مصر", "السعودية", "الحدائق العامة"])


def test_prose_with_nashr_is_not_a_footer() -> None:
    last = "وقد نشر الجيش بيانا حول الحادث، ولم يذكر تفاصيل إضافية."
    text = "\n\n".join([P1, last])
    p = parse_page(text)
    assert p.body == f"{P1}\n{last}"
    assert p.published is None and not p.footer_cut and p.tags == []


@pytest.mark.parametrize("last", [
    "وكانت الصحيفة قد نشرت تقريرا نشر في 3 مايو 2019، وأثار جدلا واسعا.",
    "وتابع الخبر الذي نشر في 9 - 10 - 1436هـ أن الطريق سيغلق مؤقتا.",
])
def test_dated_prose_on_last_line_is_kept(last: str) -> None:
    p = parse_page("\n".join([P1, last]))
    assert p.body == f"{P1}\n{last}"
    assert p.published is None and not p.footer_cut


def test_copyright_lines_alone_are_removed() -> None:
    text = "\n".join([P1, COPY, P2, "جميع الحقوق محفوظة © 2023", "2023 CNN. All Rights Reserved."])
    p = parse_page(text)
    assert p.body == f"{P1}\n{P2}"


def test_normalize_tags() -> None:
    assert normalize_tags([" البلدیة ", "البلدية", "", None, "#غزة", "حديقة  الملك"]) == [
        "البلدية", "غزة", "حديقة الملك"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.text(alphabet="بلدیةي #\t\n\u00a0", max_size=8) | st.none(),
                         max_size=6), min_size=1, max_size=4))
def test_tags_column_and_page_tags_agree(rows: list[list[str | None]]) -> None:
    """The column form (other formats) and the per-page form (aggregator pages) tidy tags
    alike: one rule, two speeds."""
    got = pl.DataFrame({"t": rows}, schema={"t": pl.List(pl.String)}).select(
        tags_expr(pl.col("t"))).get_column("t").to_list()
    assert got == [normalize_tags(r) for r in rows]


def test_empty_page() -> None:
    assert parse_page("") == Page()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([P1, P2, footer_glued(), LINKS, COPY, "المصدر:", "مقالات مشابهة",
                                 "إقرأ أيضاً:", "  • ", "نشر", "كلمات دلالية:", "", "\n"]),
                max_size=12).map("\n".join) | st.text(max_size=200))
def test_never_raises(text: str) -> None:
    p = parse_page(text, known_tags=KNOWN)
    assert isinstance(p.body, str)
    assert "All Rights Reserved" not in p.body


SEED = Path(__file__).resolve().parents[1].parent / "shared" / "seed" / "aggregator-page.txt"


def test_shared_seed_page() -> None:
    """The real page in ../shared (structure only; no text of it is copied here)."""
    if not SEED.is_file():
        pytest.skip(f"{SEED} is absent (the shared corpora are optional)")
    p = parse_page(SEED.read_text(encoding="utf-8"), known_tags=["أمريكا", "إسرائيل"])
    assert p.footer_cut and p.published == datetime(2023, 11, 14, tzinfo=UTC)
    assert p.dateline is not None and p.dateline.endswith("(CNN) --")
    assert p.source and len(p.read_also) == 1 and p.read_also[0].title
    assert len(p.related_titles) == 10 and p.related_lists == 1
    assert len(p.tags) == 4 and p.unsplit_tags == []
    assert not any("ی" in t for t in p.tags)
    for marker in ("تابعونا", "©", "Rights Reserved", "المصدر", "كلمات دلالية", "•"):
        assert marker not in p.body
        assert marker not in p.read_also[0].text


@pytest.mark.slow
def test_real_news_bodies_are_not_cut() -> None:
    """SaudiNewsNet bodies carry no aggregator furniture: parse_page must leave their text
    alone (a false footer cut would silently truncate real articles)."""
    import json
    import re
    import zipfile

    corpus = SEED.parents[1] / "corpora" / "saudinewsnet"
    zips = sorted(corpus.glob("*.zip"))
    if not zips:
        pytest.skip(f"{corpus} is absent (the shared corpora are optional)")
    space = re.compile(r"\s+")
    checked = 0
    with zipfile.ZipFile(zips[0]) as zf:
        for name in (n for n in zf.namelist() if n.endswith(".json")):
            for article in json.loads(zf.read(name)):
                body = article.get("content") or ""
                p = parse_page(body, known_tags=KNOWN)
                assert space.sub(" ", p.body).strip() == space.sub(" ", body).strip()
                checked += 1
    assert checked > 1000
