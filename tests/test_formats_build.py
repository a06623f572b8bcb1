"""``akhbar build`` end to end on one raw folder holding every format and encoding.

test_ingest*.py check the ingest stage alone; here the same kinds of input go through the
whole real pipeline (ingest → parse → clean → filter → dedup → split → validate → card)
once, and the assertions read what is *published*: ``out/data/*.parquet`` and
``out/rejected/*.parquet``. Each good article carries its own lead sentence (plus a
made-up filler from :func:`builders.news`) so that it passes the quality filter and is not
merged with another by dedup.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import tarfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pytest

from akhbar import params as params_mod
from akhbar.build import build
from builders import news
from test_ingest_support import html_page, jsonl, warc_gz, write

# One unique lead sentence per article (own text), found again in the published text.
LEAD = {
    "cp1256": "سجلت محطة الأرصاد في الواحة الجنوبية أعلى درجة حرارة منذ عشرين عاما يوم الخميس.",
    "utf16": "أطلق نادي الشطرنج المحلي بطولة مفتوحة للناشئين تستمر ثلاثة أيام في قاعة المدينة.",
    "warc_a": "وقعت شركة الكهرباء عقدا لإنشاء محطة طاقة شمسية قرب الساحل الغربي بقدرة كبيرة.",
    "warc_b": "استقبل ميناء الصيادين أول شحنة من السفن المجهزة بمحركات حديثة صديقة للبيئة.",
    "trec_1": "قررت لجنة المياه توزيع حصص الري بالتناوب بين القرى الواقعة على ضفتي الوادي.",
    "trec_2": "احتفلت مدرسة القرية بتخريج أول دفعة من طلاب برنامج الحاسوب المسائي للكبار.",
    "zip": "نظمت جمعية الخبازين مسابقة لأفضل رغيف تقليدي شارك فيها حرفيون من عدة بلدات.",
    "json_1": "رصد فريق من علماء الفلك مذنبا جديدا يقترب من الأرض خلال الشهر المقبل.",
    "json_2": "أعادت البلدية فتح السوق القديم بعد ترميم واجهاته الحجرية وأسقفه الخشبية بالكامل.",
    "jsonl_1": "سجل مطار العاصمة زيادة ملحوظة في عدد المسافرين خلال عطلة الربيع الماضية.",
    "jsonl_2": "أعلن المتحف الوطني عن معرض للمخطوطات النادرة يفتح أبوابه للجمهور مطلع الشهر.",
    "csv_1": "بدأ مزارعو التمور موسم الحصاد مبكرا هذا العام بسبب ارتفاع درجات الحرارة.",
    "csv_2": "افتتح مستشفى الأطفال جناحا جديدا لعلاج الحروق مجهزا بأحدث الأجهزة الطبية.",
    "tsv": "شارك مئات العدائين في سباق الماراثون الخيري الذي جرى على طريق الكورنيش.",
    "html": "كشفت دراسة جامعية أن استهلاك المياه في المنازل انخفض بعد حملة الترشيد الأخيرة.",
    "tar": "أقامت مكتبة الجامعة ورشة لتعليم تجليد الكتب يدويا بمشاركة طلاب من كليات مختلفة.",
    "gz": "أنهت فرق الصيانة إصلاح الجسر المعلق بعد أشهر من الإغلاق أمام حركة السيارات.",
    "snn": "دشنت هيئة السياحة مسارا جديدا للمشي الجبلي يمر بقرى تاريخية ومزارع البن.",
}
# The aggregator page is written with a word-internal Persian yeh (بلدیة) and tatweel
# (المـدينـة); the published text must carry the normalized spelling.
AGG_RAW = ("زرعت متطوعات بلدیة الحي ألف شجرة زيتون على جانبي الطريق المؤدي إلى "
           "المـدينـة القديمة.")
AGG_NORMALIZED = ("زرعت متطوعات بلدية الحي ألف شجرة زيتون على جانبي الطريق المؤدي إلى "
                  "المدينة القديمة.")
TITLE = {key: f"عنوان خبر {word}" for key, word in (
    ("warc_a", "الطاقة"), ("warc_b", "الميناء"), ("json_1", "المذنب"), ("json_2", "السوق"),
    ("jsonl_1", "المطار"), ("jsonl_2", "المتحف"), ("csv_1", "التمور"), ("csv_2", "المستشفى"),
    ("tsv", "الماراثون"), ("html", "المياه"), ("snn", "المسار"))}
TREC_TITLE = "الري & الزراعة في الوادي"
# Arabic Gigaword style: "<city> <d>-<m> (<agency>)", as in data/raw/sample/trec.
TREC_DATELINE = "الرباط 3-1 (وكالة المثال)"


def body(key: str, seed: int) -> str:
    """The lead sentence of ``key`` and a made-up filler (about 45 more words)."""
    return f"{LEAD[key]} {news(seed, sentences=3, paragraphs=1)}"


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _zip_bomb(path: Path, good: bytes) -> None:
    """A zip with one good JSON Lines member and 3 MiB of zeros (~1000:1, over the default
    ``max_ratio`` 200 and past ``ratio_min_bytes`` 1 MiB)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("good.jsonl", good)
        archive.writestr("bomb.json", b"0" * (3 << 20))


def _csv(rows: list[list[str]], delimiter: str = ",") -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def _tar_gz(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            archive.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def make_raw(raw: Path) -> dict[str, bytes]:
    """Write every fixture under ``raw``; return the bytes of a few files (for sha256)."""
    files: dict[str, bytes] = {}
    cp1256 = (f"{body('cp1256', 1)}\nنشر الخميس، 2 مارس 2023\nالمصدر: صحيفة الواحة\n"
              ).encode("cp1256")
    files["old.txt"] = cp1256
    write(raw / "old.txt", cp1256)
    write(raw / "wide.txt", codecs.BOM_UTF16_LE + (
        f"{body('utf16', 2)}\nالمصدر: نشرة الشطرنج\n").encode("utf-16-le"))
    warc = warc_gz([
        ("https://warc.example/energy/1", "2024-05-01T10:00:00Z",
         html_page(TITLE["warc_a"], body("warc_a", 3), canonical="https://canon.example/a",
                   site="موقع الطاقة", published="2024-04-30T22:15:00+02:00")),
        ("https://warc.example/port/2", "2024-05-02T11:00:00Z",
         html_page(TITLE["warc_b"], body("warc_b", 4), canonical="https://canon.example/b",
                   site="موقع الميناء", published="2024-05-01T08:00:00-04:00")),
    ])
    files["crawl/c.warc.gz"] = warc
    write(raw / "crawl" / "c.warc.gz", warc)
    write(raw / "gigaword.sgml", (
        '<DOC id="AKH_ARB_20050103.0001" type="story">\n<HEADLINE>\n'
        f"{TREC_TITLE}\n</HEADLINE>\n<DATELINE>\n"
        f"{TREC_DATELINE}\n</DATELINE>\n"
        "<DATE_TIME>Mon, 03 Jan 2005 14:30:00 +0300</DATE_TIME>\n<TEXT>\n<P>\n"
        f"{body('trec_1', 5)}\n</P>\n<P>وقال المزارعون إن المياه & الأسمدة &amp; البذور "
        "متوفرة هذا الموسم.\n</TEXT>\n</DOC>\n"
        "<DOC>\n<DOCNO> https://trec.example/doc/2 </DOCNO>\n<TITLE>تخريج دفعة الحاسوب</TITLE>\n"
        f"<DATE>Tue, 4 Jan 2005 09:00:00 EST</DATE>\n<TEXT>\n{body('trec_2', 6)}\n</TEXT>\n"
    ))  # the second document has no </DOC>
    _zip_bomb(raw / "bomb.zip", jsonl([{"text": body("zip", 7),
                                        "url": "https://zip.example/bakers"}]))
    write(raw / "array.json", orjson.dumps([
        {"text": body("json_1", 8), "title": TITLE["json_1"], "url": "https://j.example/1",
         "published": "2023-01-01 08:00:00"},
        {"text": body("json_2", 9), "title": TITLE["json_2"], "url": "https://j.example/2",
         "published": "2023-01-02T23:30:00-05:00"},
    ]))
    write(raw / "broken.json", b"not json at all")
    write(raw / "feed.jsonl", jsonl([
        {"text": body("jsonl_1", 10), "title": TITLE["jsonl_1"], "url": "https://l.example/1"}])
        + b'{"text": "' + LEAD["jsonl_2"].encode()[:31] + b"\n"
        + jsonl([{"content": body("jsonl_2", 11), "headline": TITLE["jsonl_2"],
                  "date": "2024-01-02"}]))
    write(raw / "table.csv", _csv([
        ["headline", "text", "link", "published_at", "tags"],
        [TITLE["csv_1"], body("csv_1", 12), "https://c.example/1", "2024-02-03", "زراعة، تمور"],
        [TITLE["csv_2"], body("csv_2", 13), "https://c.example/2", "", ""],
    ]))
    write(raw / "table.tsv", _csv([["title", "body", "url"],
                                   [TITLE["tsv"], body("tsv", 14), "https://t.example/3"]],
                                  delimiter="\t"))
    write(raw / "page.html", html_page(
        TITLE["html"], body("html", 15), canonical="https://h.example/canonical/15",
        site="موقع الدراسات", published="2023-05-01T10:20:00+03:00"))
    write(raw / "pages" / "agg.txt", (
        f"{AGG_RAW} {news(16, sentences=3, paragraphs=1)}\n"
        "نشر الثلاثاء، 14 نوفمبر 2023\nالمصدر: صحيفة الحي\n"))
    write(raw / "pack.tar.gz", _tar_gz({
        "inner/lib.txt": f"{body('tar', 17)}\n".encode(),
        "inner/README.md": "# وصف الأرشيف".encode()}))
    write(raw / "more.jsonl.gz", gzip.compress(jsonl([
        {"text": body("gz", 18), "url": "https://g.example/bridge"}]), mtime=0))
    write(raw / "snn.json", orjson.dumps([{
        "source": "sabq", "url": "https://snn.example/trail", "title": TITLE["snn"],
        "author": "محرر السياحة", "date_extracted": "2015-07-22 02:33:26",
        "content": body("snn", 19)}]))
    return files


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("formats")
    raw, out, work = root / "raw", root / "dataset", root / "work"
    files = make_raw(raw)
    result = build([raw], out, params_mod.load(), work=work)
    data = sorted((out / "data").glob("*.parquet"))
    rejected = sorted((out / "rejected").glob("*.parquet"))
    return {"out": out, "result": result, "files": files,
            "data": pl.concat([pl.read_parquet(p) for p in data], how="vertical"),
            "rejected": pl.concat([pl.read_parquet(p) for p in rejected], how="vertical")}


def one(built: dict[str, Any], raw_file: str, raw_record: int = 0) -> dict[str, Any]:
    """The single published row of one raw record."""
    rows = built["data"].filter((pl.col("raw_file") == raw_file)
                                & (pl.col("raw_record") == raw_record))
    assert rows.height == 1, f"{raw_file}#{raw_record}: {rows.height} published rows"
    return rows.row(0, named=True)


def test_every_good_record_is_published_once_and_only_the_bad_ones_are_rejected(built) -> None:
    keys = sorted(built["data"].select("raw_file", "raw_record").rows())
    assert keys == sorted([
        ("raw/old.txt", 0), ("raw/wide.txt", 0), ("raw/crawl/c.warc.gz", 0),
        ("raw/crawl/c.warc.gz", 2), ("raw/gigaword.sgml", 0), ("raw/gigaword.sgml", 1),
        ("raw/bomb.zip/good.jsonl", 0), ("raw/array.json", 0), ("raw/array.json", 1),
        ("raw/feed.jsonl", 0), ("raw/feed.jsonl", 2), ("raw/table.csv", 0),
        ("raw/table.csv", 1), ("raw/table.tsv", 0), ("raw/page.html", 0),
        ("raw/pages/agg.txt", 0), ("raw/pack.tar.gz/inner/lib.txt", 0),
        ("raw/more.jsonl.gz/more.jsonl", 0), ("raw/snn.json", 0)])
    rejected = sorted(built["rejected"].select("raw_file", "raw_record", "reason").rows())
    assert rejected == [("raw/bomb.zip/bomb.json", 0, "ingest:archive-bomb"),
                        ("raw/broken.json", 0, "ingest:invalid-json"),
                        ("raw/feed.jsonl", 1, "ingest:invalid-json")]
    stats = built["result"].stats
    assert stats["articles_total"] == 19 and stats["rejected_total"] == 3
    assert stats["rejected"] == {"ingest:archive-bomb": 1, "ingest:invalid-json": 2}


def test_rejected_rows_say_what_went_wrong(built) -> None:
    rej = {(r["raw_file"], r["raw_record"]): r for r in built["rejected"].to_dicts()}
    bomb = rej[("raw/bomb.zip/bomb.json", 0)]
    assert bomb["stage"] == "ingest" and "ratio" in bomb["detail"]
    cut = rej[("raw/feed.jsonl", 1)]
    assert cut["stage"] == "ingest" and cut["raw_format"] == "jsonl"
    assert cut["raw_excerpt"].startswith('{"text": "' + LEAD["jsonl_2"][:5])
    assert "raw/feed.jsonl#1" in cut["detail"]
    assert rej[("raw/broken.json", 0)]["raw_excerpt"] == "not json at all"


def test_every_published_text_has_its_lead_and_is_normalized(built) -> None:
    data = built["data"]
    texts = data["text"].to_list()
    for key, lead in LEAD.items():
        assert sum(lead in t for t in texts) == 1, f"{key}: lead not published exactly once"
    assert "\u06cc" in AGG_RAW and "\u0640" in AGG_RAW  # the fixture has both
    assert sum(AGG_NORMALIZED in t for t in texts) == 1
    for column in ("text", "title"):
        joined = "\n".join(v for v in data[column].to_list() if v)
        assert "\u06cc" not in joined and "\u0640" not in joined, column  # ی, tatweel
    assert data["id"].n_unique() == data.height == 19
    assert data["published"].dtype == pl.Datetime("us", "UTC")


def test_cp1256_aggregator_page(built) -> None:
    row = one(built, "raw/old.txt")
    assert row["raw_encoding"] == "windows-1256" and row["raw_format"] == "aggregator"
    assert row["raw_sha256"] == hashlib.sha256(built["files"]["old.txt"]).hexdigest()
    assert row["text"].startswith(LEAD["cp1256"])
    assert "نشر" not in row["text"] and "المصدر" not in row["text"]  # footer cut
    assert row["source"] == "صحيفة الواحة"
    assert row["published"] == _utc(2023, 3, 2) and row["crawled"] is None


def test_utf16_bom_page(built) -> None:
    row = one(built, "raw/wide.txt")
    assert row["raw_encoding"] == "utf-16-le" and row["raw_format"] == "aggregator"
    assert row["text"].startswith(LEAD["utf16"]) and row["source"] == "نشرة الشطرنج"
    assert row["published"] is None


def test_warc_responses_take_target_uri_and_warc_date(built) -> None:
    a, b = one(built, "raw/crawl/c.warc.gz", 0), one(built, "raw/crawl/c.warc.gz", 2)
    assert (a["url"], b["url"]) == ("https://warc.example/energy/1",
                                    "https://warc.example/port/2")
    assert (a["title"], b["title"]) == (TITLE["warc_a"], TITLE["warc_b"])
    assert LEAD["warc_a"] in a["text"] and LEAD["warc_b"] in b["text"]
    assert "الرئيسية" not in a["text"]  # the <nav> is not article text
    assert (a["crawled"], b["crawled"]) == (_utc(2024, 5, 1, 10), _utc(2024, 5, 2, 11))
    # article:published_time with its offset, never the crawl date
    assert (a["published"], b["published"]) == (_utc(2024, 4, 30, 20, 15),
                                                 _utc(2024, 5, 1, 12))
    assert a["source"] == "موقع الطاقة" and a["raw_format"] == b["raw_format"] == "warc"
    assert a["raw_encoding"] == "utf-8"
    assert a["raw_sha256"] == hashlib.sha256(built["files"]["crawl/c.warc.gz"]).hexdigest()


def test_trec_documents_with_bare_ampersand_and_rfc822_zones(built) -> None:
    first, second = one(built, "raw/gigaword.sgml", 0), one(built, "raw/gigaword.sgml", 1)
    assert first["title"] == TREC_TITLE and first["source"] == "AKH_ARB"
    assert first["url"] is None
    assert first["published"] == _utc(2005, 1, 3, 11, 30)  # 14:30 +0300
    assert LEAD["trec_1"] in first["text"]
    assert "المياه & الأسمدة & البذور" in first["text"] and "&amp;" not in first["text"]
    assert second["url"] == "https://trec.example/doc/2"
    assert second["title"] == "تخريج دفعة الحاسوب"
    assert second["published"] == _utc(2005, 1, 4, 14)  # 09:00 EST
    assert second["text"].startswith(LEAD["trec_2"])
    assert {first["raw_format"], second["raw_format"]} == {"trec"}


def test_trec_dateline_reaches_the_dateline_column(built) -> None:
    # <DATELINE> is a field of its own in TREC files; ingest puts it as the body's first
    # paragraph so that parse can take it into the dateline column (see readers/trec.py).
    row = one(built, "raw/gigaword.sgml", 0)
    assert row["dateline"] == TREC_DATELINE


def test_zip_bomb_keeps_the_good_member(built) -> None:
    row = one(built, "raw/bomb.zip/good.jsonl")
    assert row["url"] == "https://zip.example/bakers" and row["raw_format"] == "jsonl"
    assert row["text"].startswith(LEAD["zip"])


def test_json_array(built) -> None:
    r0, r1 = one(built, "raw/array.json", 0), one(built, "raw/array.json", 1)
    assert (r0["title"], r1["title"]) == (TITLE["json_1"], TITLE["json_2"])
    assert (r0["url"], r1["url"]) == ("https://j.example/1", "https://j.example/2")
    assert r0["text"].startswith(LEAD["json_1"]) and r1["text"].startswith(LEAD["json_2"])
    assert r0["published"] == _utc(2023, 1, 1, 8)  # naive = UTC
    assert r1["published"] == _utc(2023, 1, 3, 4, 30)  # 23:30 -05:00
    assert r0["raw_format"] == "json" and r0["raw_encoding"] == "utf-8"
    assert r0["source"] == "j.example"  # no source field: the URL's host


def test_jsonl_with_truncated_line(built) -> None:
    r0, r2 = one(built, "raw/feed.jsonl", 0), one(built, "raw/feed.jsonl", 2)
    assert r0["title"] == TITLE["jsonl_1"] and r0["text"].startswith(LEAD["jsonl_1"])
    assert r2["title"] == TITLE["jsonl_2"] and r2["text"].startswith(LEAD["jsonl_2"])
    assert r2["published"] == _utc(2024, 1, 2) and r0["published"] is None
    assert {r0["raw_format"], r2["raw_format"]} == {"jsonl"}


def test_csv_and_tsv(built) -> None:
    c0, c1 = one(built, "raw/table.csv", 0), one(built, "raw/table.csv", 1)
    t0 = one(built, "raw/table.tsv", 0)
    assert [c0["title"], c1["title"], t0["title"]] == [TITLE["csv_1"], TITLE["csv_2"],
                                                       TITLE["tsv"]]
    assert c0["text"].startswith(LEAD["csv_1"]) and c1["text"].startswith(LEAD["csv_2"])
    assert t0["text"].startswith(LEAD["tsv"])
    assert [c0["url"], c1["url"], t0["url"]] == ["https://c.example/1", "https://c.example/2",
                                                 "https://t.example/3"]
    assert c0["published"] == _utc(2024, 2, 3) and c1["published"] is None
    assert c0["tags"] == ["زراعة", "تمور"]
    assert {c0["raw_format"], t0["raw_format"]} == {"csv"}


def test_html_page_canonical_url_and_offset(built) -> None:
    row = one(built, "raw/page.html")
    assert row["url"] == "https://h.example/canonical/15"
    assert row["title"] == TITLE["html"] and LEAD["html"] in row["text"]
    assert row["published"] == _utc(2023, 5, 1, 7, 20)  # 10:20 +03:00
    assert row["crawled"] is None
    assert row["source"] == "موقع الدراسات" and row["author"] == "سالم الكاتب"
    assert "جميع الحقوق محفوظة" not in row["text"]
    assert row["raw_format"] == "html" and row["raw_encoding"] == "utf-8"


def test_aggregator_page_is_normalized_and_its_footer_parsed(built) -> None:
    row = one(built, "raw/pages/agg.txt")
    assert row["text"].startswith(AGG_NORMALIZED)
    assert row["source"] == "صحيفة الحي"
    assert row["published"] == _utc(2023, 11, 14)
    assert "نشر" not in row["text"] and row["raw_encoding"] == "utf-8"


def test_archives_tar_gz_and_gz(built) -> None:
    tar = one(built, "raw/pack.tar.gz/inner/lib.txt")
    # one paragraph and no aggregator furniture: a one-article text file
    assert tar["text"].startswith(LEAD["tar"]) and tar["raw_format"] == "plaintext"
    gz = one(built, "raw/more.jsonl.gz/more.jsonl")
    assert gz["text"].startswith(LEAD["gz"]) and gz["raw_format"] == "jsonl"
    assert gz["url"] == "https://g.example/bridge"
    assert not built["data"].filter(pl.col("raw_file").str.contains("README")).height


def test_saudinewsnet_crawl_date_is_never_the_publish_date(built) -> None:
    row = one(built, "raw/snn.json")
    assert row["crawled"] == _utc(2015, 7, 22, 2, 33, 26)
    assert row["published"] is None
    assert row["source"] == "sabq" and row["author"] == "محرر السياحة"
    assert row["title"] == TITLE["snn"] and row["text"].startswith(LEAD["snn"])
    data = built["data"]
    both = data.filter(pl.col("published").is_not_null() & pl.col("crawled").is_not_null())
    assert both.height == 2  # the two WARC pages, whose dates differ
    assert (both["published"] != both["crawled"]).all()


def test_published_dataset_loads_with_datasets(built) -> None:
    import datasets

    ds = datasets.load_dataset(str(built["out"]))
    ids = {i for split in ds.values() for i in split["id"]}
    assert ids == set(built["data"]["id"].to_list())
    assert (built["out"] / "README.md").is_file()
