"""The shapes real Arabic corpora come in, built end to end (issue 12).

Three shapes many corpora share, each with its own made-up Arabic text:

* TREC ``<DOC>`` files named ``*.txt`` (one document each, with ``<SRC>``, ``<CAT>``,
  ``<TIME>``, ``<ABSTRACT>``): the content decides, not the extension;
* windows-1256 one-article files with CRLF line ends in category folders with Arabic
  names, file names coding the country: ``ingest.path_pattern`` gives the category;
* a plain-text crawl, one article per file: ``<headline> - <Site>``, an HTTP date line,
  then paragraphs, with a section page mixed in.

The assertions read the published columns, not only counts.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pytest

from akhbar import params as params_mod
from akhbar.build import build
from akhbar.params import defaults_for
from builders import news
from test_ingest_support import ingest, write

LEAD = {
    "trec_1": "وافق مجلس المحافظة على توسعة شبكة الصرف الصحي لتشمل ثلاثة أحياء جديدة.",
    "trec_2": "أعلن اتحاد الكرة تأجيل مباراة الديربي أسبوعا بسبب ارتباطات المنتخب الوطني.",
    "trec_3": "ارتفعت صادرات الأسماك المجففة إلى الأسواق المجاورة بنسبة قياسية هذا الموسم.",
    "cp_1": "قررت غرفة الصناعة منح القروض الصغيرة لأصحاب الورش الحرفية بلا فوائد.",
    "cp_2": "ناقش البرلمان مشروع قانون ينظم تأجير الشقق المفروشة للسياح والزوار.",
    "cp_3": "فاز فريق الناشئين ببطولة السباحة الإقليمية بعد منافسة قوية مع سبعة فرق.",
    "crawl_1": "دشنت هيئة الطرق جسرا معلقا يختصر زمن الرحلة بين ضفتي الخليج الصغير.",
    "crawl_2": "استضافت مكتبة البلدية معرضا لصور المدينة القديمة التقطها مصورون هواة.",
    "crawl_3": "بدأت المدارس الفنية استقبال طلبات الالتحاق بتخصصات الطاقة المتجددة الجديدة.",
    "crawl_4": "حذرت جمعية المستهلك من عروض وهمية تنتشر عبر الرسائل القصيرة قبل الأعياد.",
}
TREC = {  # key → (docno, url, src, cat, title, time, author, abstract)
    "trec_1": ("AKH-001", "https://akhbar-trec.example/a/1", "جريدة المثال", "محليات",
               "توسعة شبكة الصرف", "2019-04-02 09:30:00", "سعاد المحررة",
               "المجلس يقر مشروع الصرف الصحي."),
    "trec_2": ("AKH-002", "https://akhbar-trec.example/a/2", "جريدة المثال", "رياضة",
               "تأجيل الديربي أسبوعا", "2019-04-03 18:00:00", "ماجد الرياضي",
               "الاتحاد يعيد جدولة المباراة."),
    "trec_3": ("AKH-003", "https://akhbar-trec.example/a/3", "نشرة البحر", "اقتصاد",
               "صادرات الأسماك المجففة", "2019-04-04 07:15:00", "هدى الاقتصادية",
               "الصيادون يجنون ثمار موسم وفير."),
}
CATEGORY_FILES = {  # key → (folder, file name, headline or None)
    "cp_1": ("اقتصاد", "EG12.txt", "قروض بلا فوائد للحرفيين"),
    "cp_2": ("سياسة", "JO7.txt", None),
    "cp_3": ("رياضة", "SA3.txt", "الناشئون أبطال السباحة"),
}
SITE = "موقع النهار الجديد"
CRAWL_TITLES = {"crawl_1": "جسر معلق فوق الخليج", "crawl_2": "صور المدينة القديمة",
                "crawl_3": "تخصصات الطاقة المتجددة", "crawl_4": "تحذير من العروض الوهمية"}
HTTP_DATE = "Fri, 11 Aug 2017 15:17:25 GMT"
PATH_PATTERN = r"/(?P<category>[^/]+)/[A-Z]+[0-9]+\.txt$"


def body(key: str, seed: int) -> str:
    return f"{LEAD[key]} {news(seed, sentences=3, paragraphs=1)}"


def trec_doc(key: str, seed: int) -> str:
    docno, url, src, cat, title, time, author, abstract = TREC[key]
    return (f"<DOC>\n<DOCNO>{docno}</DOCNO>\n<URL>{url}</URL>\n<SRC>{src}</SRC>\n"
            f"<CAT>{cat}</CAT>\n<TITLE>{title}</TITLE>\n<TIME>{time}</TIME>\n"
            f"<AUTHOR>{author}</AUTHOR>\n<ABSTRACT>{abstract}</ABSTRACT>\n"
            f"<TEXT>\n<P>{body(key, seed)}</P>\n<P>وأضاف المصدر أن العمل يبدأ قريبا.</P>\n"
            "</TEXT>\n</DOC>\n")


def make_raw(raw: Path) -> None:
    for i, key in enumerate(TREC, start=1):
        write(raw / "trec" / f"doc-{i:02d}.txt", trec_doc(key, 40 + i))
    for i, (key, (folder, name, headline)) in enumerate(CATEGORY_FILES.items(), start=1):
        text = f"{body(key, 50 + i)}\r\nوتابع المسؤول أن التنفيذ يبدأ الشهر المقبل.\r\n"
        if headline:
            text = f"{headline}\r\n{text}"
        write(raw / "أخبار" / folder / name, text.encode("cp1256"))
    for i, key in enumerate(CRAWL_TITLES, start=1):
        write(raw / "crawl" / f"page-{i}.txt",
              f"{CRAWL_TITLES[key]} - {SITE}\n{HTTP_DATE}\n{body(key, 60 + i)}\n"
              "وأوضح البيان أن التفاصيل ستعلن لاحقا.\n")
    write(raw / "crawl" / "section-news.txt", "\n".join(
        f"{t} - {SITE}" for t in [*CRAWL_TITLES.values(), "أخبار الطقس اليوم",
                                  "نتائج المباريات"]) + "\n")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("shapes")
    raw, out = root / "raw", root / "dataset"
    make_raw(raw)
    params = params_mod.merge(params_mod.defaults(), {"ingest": {"path_pattern": PATH_PATTERN}})
    result = build([raw], out, params, work=root / "work")
    read = lambda sub: pl.concat(  # noqa: E731
        [pl.read_parquet(p) for p in sorted((out / sub).glob("*.parquet"))], how="vertical")
    stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    return {"result": result, "data": read("data"), "rejected": read("rejected"),
            "stats": stats}


def row(built: dict[str, Any], lead_key: str) -> dict[str, Any]:
    rows = built["data"].filter(pl.col("text").str.contains(LEAD[lead_key], literal=True))
    assert rows.height == 1, f"{lead_key}: {rows.height} published rows"
    return rows.row(0, named=True)


@pytest.mark.parametrize("key", list(TREC))
def test_trec_in_txt_fills_every_column(built: dict[str, Any], key: str) -> None:
    _, url, src, cat, title, time, author, abstract = TREC[key]
    r = row(built, key)
    assert r["raw_format"] == "trec (sniffed <DOC> in .txt)"
    assert (r["url"], r["title"], r["source"], r["author"], r["category"]) == (
        url, title, src, author, cat)
    assert r["published"] == datetime.fromisoformat(time).replace(tzinfo=UTC)
    assert "<" not in r["text"] and ">" not in r["text"]
    assert r["text"].startswith(abstract)  # the standfirst leads the body


def test_ingest_counts_files_per_extension_and_detected_format(built: dict[str, Any]) -> None:
    ingest_stats = built["stats"]["stages"]["ingest"]["stats"]
    assert ingest_stats["files_by_extension"] == {".txt": {"plaintext": 8, "trec": 3}}
    assert ingest_stats["path_pattern"] == {"matched": 3, "unmatched": 8}


@pytest.mark.parametrize("key", list(CATEGORY_FILES))
def test_cp1256_crlf_articles_take_their_category_from_the_folder(
        built: dict[str, Any], key: str) -> None:
    folder, name, headline = CATEGORY_FILES[key]
    r = row(built, key)
    assert r["raw_file"] == f"raw/أخبار/{folder}/{name}"
    assert r["raw_encoding"] == "windows-1256" and r["raw_format"] == "plaintext"
    assert r["category"] == folder
    assert r["title"] == headline
    assert r["text"].startswith(LEAD[key]) and "\r" not in r["text"]


@pytest.mark.parametrize("key", list(CRAWL_TITLES))
def test_crawl_header_lines_become_columns(built: dict[str, Any], key: str) -> None:
    r = row(built, key)
    assert r["title"] == CRAWL_TITLES[key]  # the site suffix left the title ...
    assert r["source"] == SITE  # ... for the source column
    assert r["crawled"] == datetime(2017, 8, 11, 15, 17, 25, tzinfo=UTC)
    assert r["published"] is None  # an HTTP date is the fetch time, never the publish date
    assert r["text"].startswith(LEAD[key])  # nothing of the header lines stays in the text
    assert SITE not in r["text"] and "GMT" not in r["text"]


def test_section_page_is_rejected_with_its_reason(built: dict[str, Any]) -> None:
    rej = built["rejected"].filter(pl.col("raw_file") == "raw/crawl/section-news.txt")
    assert rej["reason"].to_list() == ["ingest:landing-page"]
    assert "6 of 6 lines" in rej["detail"][0]
    assert built["data"].filter(pl.col("raw_file").str.contains("section")).height == 0


def test_every_good_article_is_published(built: dict[str, Any]) -> None:
    assert built["data"].height == len(LEAD)
    assert built["rejected"].height == 1


# ----------------------------------------------------------------------------- ingest only

def test_random_bytes_all_land_in_rejected(tmp_path: Path) -> None:
    rng = random.Random(12)
    names = ["", ".txt", ".dat", ".bin", ".json"]
    for i in range(20):
        write(tmp_path / "noise" / f"n{i:02d}{names[i % len(names)]}",
              bytes(rng.getrandbits(8) for _ in range(rng.randint(64, 4096))))
    report, good, bad = ingest(tmp_path, tmp_path / "noise")
    assert good.height == 0
    assert bad.height == 20 and bad["raw_file"].n_unique() == 20
    assert all(r.startswith("ingest:") for r in bad["reason"])
    assert report.rows_in == 20 and report.rows_out == 0


def test_content_decides_for_generic_extensions(tmp_path: Path) -> None:
    import zipfile

    raw = tmp_path / "raw"
    write(raw / "a.txt", orjson.dumps([{"text": LEAD["crawl_2"], "section": "ثقافة"}]))
    write(raw / "b.dat", f"<!doctype html><html><body><p>{LEAD['crawl_3']}</p></body></html>")
    write(raw / "c.txt", '<?xml version="1.0"?><rss><channel></channel></rss>')
    write(raw / "d", f"<?xml version='1.0'?>\n<DOC>\n<TEXT>{LEAD['cp_2']}</TEXT>\n</DOC>")
    with zipfile.ZipFile(raw / "e.txt", "w") as z:
        z.writestr("inner.jsonl", orjson.dumps({"text": LEAD["cp_1"], "category": "تقنية"}))
    report, good, bad = ingest(tmp_path, raw)
    by_file = {r["raw_file"]: r for r in good.to_dicts()}
    assert by_file["raw/a.txt"]["raw_format"] == "json (sniffed JSON in .txt)"
    assert by_file["raw/a.txt"]["category"] == "ثقافة"  # the section key is the category
    assert by_file["raw/d"]["raw_format"] == "trec (sniffed <DOC> without extension)"
    assert by_file["raw/e.txt/inner.jsonl"]["category"] == "تقنية"
    assert by_file["raw/b.dat"]["raw_format"] == "html (sniffed <html in .dat)"
    assert bad["raw_file"].to_list() == ["raw/c.txt"]  # XML that is no <DOC>: no reader
    assert bad["reason"].to_list() == ["ingest:unknown-format"]
    assert bad["raw_format"].to_list() == ["xml (sniffed <?xml in .txt)"]
    assert report.stats["files_by_extension"][".txt"] == {"json": 1, "xml": 1, "zip": 1}


def test_symlinks_outside_the_raw_roots_are_not_followed(tmp_path: Path) -> None:
    secret = write(tmp_path / "elsewhere" / "secret.txt", f"{LEAD['cp_3']}\n")
    inside = write(tmp_path / "raw" / "real.txt", f"{LEAD['crawl_4']}\n")
    (tmp_path / "raw" / "out-link.txt").symlink_to(secret)
    (tmp_path / "raw" / "in-link.txt").symlink_to(inside)
    (tmp_path / "raw" / "dir-link").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    report, good, bad = ingest(tmp_path, tmp_path / "raw")
    assert sorted(good["raw_file"]) == ["raw/in-link.txt", "raw/real.txt"]
    assert bad.height == 0 and LEAD["cp_3"] not in " ".join(good["body"])
    assert report.stats["skipped"]["symlink-outside-raw"] == 2
    _, good, _ = ingest(tmp_path / "f", tmp_path / "raw", follow_symlinks=True)
    assert sorted(good["raw_file"]) == ["raw/dir-link/secret.txt", "raw/in-link.txt",
                                        "raw/out-link.txt", "raw/real.txt"]


def test_path_pattern_fills_only_what_the_record_lacks(tmp_path: Path) -> None:
    write(tmp_path / "raw" / "فن" / "KW1.txt", f"{LEAD['crawl_2']}\n")
    write(tmp_path / "raw" / "فن" / "KW2.txt", trec_doc("trec_2", 1))
    _, good, _ = ingest(tmp_path, tmp_path / "raw", path_pattern=PATH_PATTERN)
    assert dict(zip(good["raw_file"], good["category"], strict=True)) == {
        "raw/فن/KW1.txt": "فن", "raw/فن/KW2.txt": "رياضة"}  # <CAT> wins over the folder
    with pytest.raises(ValueError, match="country"):
        ingest(tmp_path / "x", tmp_path / "raw", path_pattern=r"(?P<country>[A-Z]+)\d")


# ------------------------------------------------------------------ conventions, unit level

@pytest.mark.parametrize(("top", "column"), [
    ("الأحد 12 مارس 2023", "published_raw"),
    ("2023-03-12", "published_raw"),
    ("12/03/2023 10:30", "published_raw"),
    ("Fri, 11 Aug 2017 15:17:25 GMT", "crawled_raw"),
])
def test_a_date_line_becomes_a_date_column(top: str, column: str) -> None:
    from akhbar.ingest.readers.plaintext import TextParams, split_header

    text = f"{CRAWL_TITLES['crawl_1']}\n{top}\n{body('crawl_1', 1)}\n"
    fields, rest = split_header(text, defaults_for(TextParams))
    assert fields == {"title": CRAWL_TITLES["crawl_1"], column: top}
    assert rest == f"{body('crawl_1', 1)}\n"
    swapped, _ = split_header(f"{top}\n{text.split(chr(10), 1)[0]}\n{LEAD['cp_1']}\n",
                              defaults_for(TextParams, http_date="published"))
    assert swapped["published_raw"] == top  # date first, then the headline; switchable


@pytest.mark.parametrize("first", [
    LEAD["cp_2"],  # a sentence ending in "." is prose
    "الرياض (وكالة المثال) -- قال المسؤول",  # a dateline
    "عاجل",  # one word
    "بقلم: سالم الكاتب",  # a byline
    "كتب - محرر الشؤون المحلية",
    "قال الوزير في مؤتمر صحفي عقده اليوم بمقر الوزارة إن الخطة الجديدة ستنفذ على ثلاث مراحل "
    "تبدأ الشهر المقبل وتنتهي مع نهاية العام الحالي بحسب الجدول المعتمد",  # > 25 words
])
def test_a_first_line_that_is_not_a_headline_stays_in_the_body(first: str) -> None:
    from akhbar.ingest.readers.plaintext import TextParams, split_header

    text = f"{first}\n{body('cp_1', 2)}\n"
    assert split_header(text, defaults_for(TextParams)) == ({}, text)


def test_site_suffix_only_when_it_repeats_in_the_folder() -> None:
    from akhbar.titles import SuffixParams, apply, split

    assert split("الهلال يفوز - الدوري يشتعل | موقع") == ("الهلال يفوز - الدوري يشتعل", "موقع")
    assert split("عنوان بلا فاصل-متصل") is None
    frame = pl.DataFrame({
        "raw_file": ["site/a.txt", "site/b.txt", "site/c.txt", "mixed/d.txt", "mixed/e.txt"],
        "title": [f"خبر {i} - {SITE}" for i in range(3)] + ["الهلال يفوز - الدوري يشتعل",
                                                          "النصر يتعادل"],
        "source": [None, "مصدر الملف", None, None, None]})
    suffixes = {"site": {SITE.casefold()}}
    out = apply(frame, suffixes)
    assert out["title"].to_list() == ["خبر 0", "خبر 1", "خبر 2", "الهلال يفوز - الدوري يشتعل",
                                      "النصر يتعادل"]
    assert out["source"].to_list() == [SITE, "مصدر الملف", SITE, None, None]
    assert defaults_for(SuffixParams).min_titles == 3


def test_scan_finds_only_suffixes_that_repeat_enough(tmp_path: Path) -> None:
    from akhbar.titles import SuffixParams, scan

    titles = ([f"خبر رقم {i} - {SITE}" for i in range(3)]  # 3 of 4 in "site"
              + ["خبر آخر"]
              + [f"خبر {i} - فيديو" for i in range(2)]  # 2 < min_titles in "mixed"
              + [f"عنوان {i}" for i in range(8)])
    folders = ["raw/site"] * 4 + ["raw/mixed"] * 10
    (tmp_path / "in").mkdir()
    pl.DataFrame({"raw_file": [f"{f}/{i}.txt" for i, f in enumerate(folders)],
                  "title": titles}).write_parquet(tmp_path / "in" / "part-00000.parquet")
    assert scan(tmp_path / "in", defaults_for(SuffixParams)) == {"raw/site": {SITE.casefold()}}
    assert scan(tmp_path / "in", defaults_for(SuffixParams, min_titles=2, min_share=0.25)) == {
        "raw/site": {SITE.casefold()}}  # 2 of 10 is under the share
