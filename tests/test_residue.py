"""Template residue (akhbar.residue and its use in the clean stage): each frame class of
issue 14 is removed where it sits, the same words inside prose stay, glued tag lists move
to ``tags``, and the stage reports counts per source and pattern with a bounded sample.
All sentences are made up for these tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

from akhbar import clean, io
from akhbar.boilerplate import BoilerplateParams, LineIndex, remove_lines
from akhbar.params import defaults as params_defaults
from akhbar.params import defaults_for
from akhbar.residue import ResidueParams, strip_frames
from akhbar.schema import ARTICLE_SCHEMA, rows
from builders import news

BODY = "افتتح المحافظ صباح اليوم المكتبة العامة الجديدة في وسط المدينة بحضور الأهالي."
MORE = "وأكد أن المكتبة تضم آلاف الكتب وقاعات للقراءة والبحث مفتوحة طوال الأسبوع."


def frame(texts: list[str], tags: list[list[str] | None] | None = None,
          source: str = "s") -> pl.DataFrame:
    return pl.DataFrame({"source": [source] * len(texts), "text": texts,
                         "tags": tags or [None] * len(texts)},
                        schema={"source": pl.String, "text": pl.String,
                                "tags": pl.List(pl.String)})


def strip(text: str) -> tuple[str, list[str]]:
    texts, _, removed = strip_frames(frame([text]), defaults_for(ResidueParams))
    return texts[0], removed.get_column("pattern").to_list()


@pytest.mark.parametrize(("framed", "pattern"), [
    (f"{BODY}\nرابط الخبر بصحيفة النهار: افتتاح المكتبة العامة في وسط المدينة", "link-back"),
    (f"شارك من خلال تويتر فيسبوك جوجل بلس اكتب رأيك\n{BODY}", "share-widget"),
    (f"{BODY}\nأضف تعليقك", "comment-widget"),
    (f"{BODY}\nمقالات أخرى للكاتبعن المدن القديمةرحلة إلى الجنوبحديث الصباح", "other-articles"),
    (f"{BODY}\n// انتهى //", "wire-marker"),
    (f"{BODY}\nللتواصل أرسل رسالة نصية sms إلى 80808 تبدأ بالرمز 314 مسافة ثم الرسالة",
     "sms-contact"),
    (f"{BODY}\nلمراسلة الكاتب: katib.sahafi@example.net", "email"),
    (f"{BODY}\nhttps://images.example.com/2015/08/library-opening.jpg", "url"),
    (f"(تصوير: سالم الحربي)\n{BODY}", "photo-caption"),
    (f"{BODY}\nكلمات دلالية: مكتبة، ثقافة، المدينة", "tag-list"),
])
def test_each_frame_class_goes_and_the_article_stays(framed: str, pattern: str) -> None:
    text, patterns = strip(framed + f"\n{MORE}" if pattern != "other-articles" else framed)
    assert patterns == [pattern]
    assert BODY in text
    assert "\n\n\n" not in text and not text.startswith("\n")


def test_frames_glued_to_a_sentence_are_cut_not_the_sentence() -> None:
    text, patterns = strip(f"شارك عبر تويتر فيسبوك واتساب {BODY}\n{MORE} // انتهى //")
    assert text == f"{BODY}\n{MORE}"
    assert sorted(patterns) == ["share-widget", "wire-marker"]
    text, patterns = strip(f"{BODY}\n{MORE} رابط الخبر بصحيفة النهار: افتتاح مكتبة جديدة")
    assert (text, patterns) == (f"{BODY}\n{MORE}", ["link-back"])
    glued = ("katib@example.orgللتواصل مع الكاتب ارسل رسالة SMS تبدأ بالرمز (7) ثم مسافة "
             "ثم نص الرسالة إلى 80808 - Stc 606060 - Mobily")
    assert strip(f"{BODY}\n{glued}") == (BODY, ["sms-contact"])


@pytest.mark.parametrize("prose", [
    # the same words, inside sentences, are content
    "وقال الوزير إن رابط الخبر بين المدينتين هو الطريق الجديد الذي افتتح اليوم.",
    "شارك المئات من الأهالي في حفل افتتاح المكتبة عبر تويتر وفيسبوك وغيرهما.",
    "ويمكن الاطلاع على الأسماء عبر موقع الوزارة https://example.gov/names في أي وقت.",
    "وأوضح أن الرسائل النصية القصيرة ساعدت في تنظيم حملة التبرع هذا العام.",
    "وأرسل المواطن رسالة قصيرة إلى الوزير يشكره فيها على سرعة الاستجابة.",
    "تصوير الأفلام الوثائقية في المدينة القديمة يجذب المخرجين من كل مكان.",
])
def test_prose_with_frame_words_stays(prose: str) -> None:
    text, patterns = strip(f"{BODY}\n{prose}\n{MORE}")
    assert patterns == []
    assert text == f"{BODY}\n{prose}\n{MORE}"


def test_captions_and_tag_lists_only_at_their_place() -> None:
    middle = f"{BODY}\n{MORE}\n(تصوير: سالم الحربي)\n{MORE}\n{MORE}\n{BODY}"
    assert strip(middle)[1] == []
    tags_early = f"كلمات دلالية: مكتبة، ثقافة\n{BODY}\n{MORE}\n{MORE}\n{BODY}"
    assert strip(tags_early)[1] == []


def test_tag_list_moves_into_tags() -> None:
    df = frame([f"{BODY}\nالوسوم: مكتبة | ثقافة | المدينة | مكتبة",
                f"{BODY}\nكلمات دلالية: هذه جملة طويلة جدا وليست وسما أبدا، تعليم"],
               tags=[["أخبار"], None])
    texts, tags, _ = strip_frames(df, defaults_for(ResidueParams))
    assert texts.to_list() == [BODY, BODY]
    assert tags.to_list() == [["أخبار", "مكتبة", "ثقافة", "المدينة"], ["تعليم"]]


def test_blank_line_paragraph_breaks_stay() -> None:
    text, _ = strip(f"{BODY}\n\n{MORE}\n\n// انتهى //")
    assert text == f"{BODY}\n\n{MORE}"


def test_masked_lines_recur_per_source() -> None:
    """Frames that vary only in a number, URL or e-mail are one line of the source;
    a line naming a month keeps its numbers (a dateline is not a frame)."""
    notices = [f"للاشتراك في خدمة الأخبار أرسل الرمز {n} إلى الرقم {800 + n}" for n in range(6)]
    mails = [f"بريد المحرر: editor{n}@example.org" for n in range(6)]
    dates = [f"الرياض {n + 1} يوليو 2015" for n in range(6)]
    bodies = [BODY, MORE, BODY + " " + MORE, MORE + " " + BODY, BODY[:40], MORE[:40]]
    texts = [f"{dates[i]}\n{bodies[i]}\n{notices[i]}\n{mails[i]}" for i in range(6)]
    df = frame(texts)
    index = LineIndex(defaults_for(BoilerplateParams, min_docs=5, min_fraction=0.5,
                                   max_line_words=20))
    index.add(df)
    out, removed = remove_lines(df, index.boilerplate(), max_words=20)
    assert sorted(set(removed.get_column("line").str.slice(0, 6))) == ["بريد ا", "للاشتر"]
    assert all(t.startswith(dates[i]) for i, t in enumerate(out.to_list()))


# ----------------------------------------------------------------- the stage
def _article(i: int, source: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"id": f"t{i:031d}", "url": f"https://example.org/{source}/{i}", "source": source,
            "title": f"خبر {i}", "text": text, "raw_file": "f.json", "raw_record": i, **extra}


def test_clean_stage_reports_residue_per_source_and_pattern(tmp_path: Path) -> None:
    recs = []
    for i in range(8):
        body = news(i)
        if i % 2 == 0:
            body = (f"شارك من خلال تويتر فيسبوك اكتب رأيك {body}\n"
                    f"رابط الخبر بصحيفة النهار: عنوان {i}")
        recs.append(_article(i, "nahar", body))
    for i in range(8, 12):
        recs.append(_article(i, "wire", f"{news(i)} // انتهى //",
                             tags=["محليات"]))
    recs.append(_article(12, "wire", "// انتهى //"))
    inp = tmp_path / "in"
    with io.ParquetSink(inp, ARTICLE_SCHEMA, rows_per_file=5) as sink:
        sink.write(rows(ARTICLE_SCHEMA, recs))
    p = params_defaults()
    p["clean"]["batch_size"] = 3
    p["clean"]["residue"]["samples_per_pattern"] = 1
    report = clean.run(inp, tmp_path / "out", tmp_path / "rej.parquet", p)
    out = io.read_frame(tmp_path / "out")
    assert out.height == 12 and dict(report.rejected) == {"clean:empty-after-clean": 1}
    assert not out.get_column("text").str.contains("شارك من خلال|رابط الخبر|انتهى").any()
    assert out.get_column("text").to_list() == [news(i) for i in range(12)]
    res = report.stats["residue"]
    assert res["per_source"] == {"nahar": {"link-back": 4, "share-widget": 4},
                                 "wire": {"wire-marker": 5}}
    assert res["samples"] == [
        {"source": "nahar", "pattern": "link-back", "line": "رابط الخبر بصحيفة النهار: عنوان 0"},
        {"source": "nahar", "pattern": "share-widget",
         "line": "شارك من خلال تويتر فيسبوك اكتب رأيك"},
        {"source": "wire", "pattern": "wire-marker", "line": "// انتهى //"}]
    assert out.filter(pl.col("source") == "wire").get_column("tags").to_list() == [
        ["محليات"]] * 4


def test_a_batch_strips_each_row_as_that_row_alone() -> None:
    """The patterns run on the lines holding a hint word only, positions counted on all
    lines: a caption after two plain lines is not at an edge, one on the second line is."""
    texts = [f"{BODY}\n{MORE}\nتصوير: سالم\n{MORE}\n{BODY}",      # middle: stays
             f"{BODY}\nتصوير: سالم\n{MORE}\n{MORE}\n{BODY}",      # second line: edge
             f"{BODY}\n{MORE} // انتهى //\nكلمات دلالية: مكتبة، ثقافة",
             BODY, "", f"شارك عبر تويتر فيسبوك {BODY}\n{MORE}"]
    p = defaults_for(ResidueParams)
    got, tags, removed = strip_frames(frame(texts), p)
    alone = [strip_frames(frame([t]), p) for t in texts]
    assert got.to_list() == [a[0].to_list()[0] for a in alone]
    assert tags.to_list() == [a[1].to_list()[0] for a in alone]
    assert removed.get_column("pattern").to_list() == [
        "photo-caption", "tag-list", "share-widget", "wire-marker"]
    assert "تصوير: سالم" in got[0] and "تصوير" not in got[1]
    assert removed.get_column("__row").to_list() == [1, 2, 5, 2]
