"""ingest: every format and encoding reaches RAW_SCHEMA with the right fields."""

from __future__ import annotations

import codecs
import hashlib
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest

from akhbar.ingest.encoding import decode
from akhbar.schema import RAW_SCHEMA, REJECTED_SCHEMA
from test_ingest_support import (
    BODY_1,
    BODY_2,
    BODY_3,
    TITLE_1,
    TITLE_2,
    html_page,
    ingest,
    jsonl,
    keys,
    warc_gz,
    write,
)


def test_aggregator_page_in_a_folder(tmp_path: Path) -> None:
    page = f"{BODY_1}\n\nالمصدر: وكالة المثال\nكلمات دلالية: زراعة، قمح\n"
    write(tmp_path / "raw" / "pages" / "a.txt", page)
    report, good, bad = ingest(tmp_path, tmp_path / "raw")
    assert bad.height == 0 and good.height == 1
    row = good.row(0, named=True)
    assert row["raw_file"] == "raw/pages/a.txt" and row["raw_record"] == 0
    assert row["body"] == page and row["raw_format"] == "aggregator"
    assert row["raw_encoding"] == "utf-8"
    assert row["raw_sha256"] == hashlib.sha256(page.encode()).hexdigest()
    assert report.rows_in == report.rows_out == 1
    assert report.stats["formats"] == {"aggregator": 1}
    assert pq.read_schema(next((tmp_path / "_out" / "ingested").glob("*.parquet"))) \
        .remove_metadata().equals(RAW_SCHEMA)
    assert pq.read_schema(tmp_path / "_out" / "rejected.parquet").remove_metadata() \
        .equals(REJECTED_SCHEMA)


def test_cp1256_page(tmp_path: Path) -> None:
    text = f"{TITLE_1}\n{BODY_1}\n{BODY_2}\n"
    write(tmp_path / "old.txt", text.encode("cp1256"))
    _, good, bad = ingest(tmp_path, tmp_path / "old.txt")
    assert bad.height == 0
    assert good["raw_encoding"].to_list() == ["windows-1256"]
    # a short first line above longer prose is the headline: a column, not body text
    assert good["title"].to_list() == [TITLE_1]
    assert good["body"].to_list() == [f"{BODY_1}\n{BODY_2}\n"]
    assert good["raw_file"].to_list() == ["old.txt"]
    assert good["raw_format"].to_list() == ["plaintext"]


def test_utf16_with_bom(tmp_path: Path) -> None:
    text = f"{BODY_2}\n{BODY_3}"
    write(tmp_path / "w.txt", codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    write(tmp_path / "j.jsonl", codecs.BOM_UTF16_BE + jsonl(
        [{"text": BODY_1, "title": TITLE_1}]).decode().encode("utf-16-be"))
    _, good, bad = ingest(tmp_path, tmp_path / "w.txt", tmp_path / "j.jsonl")
    assert bad.height == 0
    rows = {r["raw_file"]: r for r in good.to_dicts()}
    assert rows["w.txt"]["body"] == text and rows["w.txt"]["raw_encoding"] == "utf-16-le"
    assert rows["j.jsonl"]["body"] == BODY_1 and rows["j.jsonl"]["title"] == TITLE_1
    assert rows["j.jsonl"]["raw_encoding"] == "utf-16-be"


def test_encoding_decisions() -> None:
    assert decode(BODY_1.encode("utf-16-le")).encoding == "utf-16-le"  # no BOM: byte pattern
    assert decode(codecs.BOM_UTF8 + BODY_1.encode()).text == BODY_1
    assert decode(BODY_3.encode("cp1256")).encoding == "windows-1256"
    damaged = decode(BODY_1.encode() + b"\xff" + BODY_2.encode())
    assert damaged.damaged and damaged.encoding == "utf-8" and "\ufffd" in damaged.text


def test_warc_gz_with_two_html_responses(tmp_path: Path) -> None:
    data = warc_gz([
        ("https://akhbar.example/a?utm_source=x", "2024-05-01T10:00:00Z",
         html_page(TITLE_1, BODY_1, canonical="https://akhbar.example/canon-a")),
        ("https://akhbar.example/b", "2024-05-02T11:00:00Z", html_page(TITLE_2, BODY_2)),
    ])
    write(tmp_path / "crawl" / "c.warc.gz", data)
    report, good, bad = ingest(tmp_path, tmp_path / "crawl")
    assert bad.height == 0
    assert keys(good) == [("crawl/c.warc.gz", 0), ("crawl/c.warc.gz", 2)]  # 1 = request
    assert good["url"].to_list() == ["https://akhbar.example/a?utm_source=x",
                                     "https://akhbar.example/b"]
    assert good["crawled_raw"].to_list() == ["2024-05-01T10:00:00Z", "2024-05-02T11:00:00Z"]
    assert good["title"].to_list() == [TITLE_1, TITLE_2]
    assert BODY_1 in good["body"][0] and BODY_2 in good["body"][1]
    assert set(good["raw_format"]) == {"warc"}
    assert set(good["raw_sha256"]) == {hashlib.sha256(data).hexdigest()}
    assert report.stats["skipped"] == {"warc-request": 1}


def test_trec_two_documents_with_bare_ampersand(tmp_path: Path) -> None:
    sgml = (
        '<DOC id="AKH_ARB_20050103.0001" type="story">\n<HEADLINE>\nالزراعة & الري في الشمال\n'
        "</HEADLINE>\n<DATELINE>الرباط 3 يناير</DATELINE>\n"
        "<DATE_TIME>Mon, 03 Jan 2005 14:30:00 +0300</DATE_TIME>\n<TEXT>\n<P>\n"
        f"{BODY_1}\nسطر ثان & تكملة\n</P>\n<P>{BODY_2} &amp; المزيد\n</TEXT>\n</DOC>\n"
        "<DOC>\n<DOCNO> https://akhbar.example/trec/2 </DOCNO>\n<TITLE>عنوان ثان</TITLE>\n"
        f"<DATE>Tue, 4 Jan 2005 09:00:00 GMT</DATE>\n<TEXT>\n{BODY_3}\n\n{BODY_1}\n</TEXT>\n"
    )  # second document: no </DOC>, no <P>
    write(tmp_path / "afp.sgml", sgml)
    _, good, bad = ingest(tmp_path, tmp_path / "afp.sgml")
    assert bad.height == 0
    first, second = good.to_dicts()
    assert (first["raw_record"], second["raw_record"]) == (0, 1)
    assert first["title"] == "الزراعة & الري في الشمال"
    assert first["published_raw"] == "Mon, 03 Jan 2005 14:30:00 +0300"
    assert first["body"] == (f"الرباط 3 يناير\n\n{BODY_1} سطر ثان & تكملة\n\n"
                             f"{BODY_2} & المزيد")
    assert first["url"] is None and first["source"] == "AKH_ARB"
    assert second["url"] == "https://akhbar.example/trec/2"
    assert second["title"] == "عنوان ثان"
    assert second["published_raw"] == "Tue, 4 Jan 2005 09:00:00 GMT"
    assert second["body"] == f"{BODY_3}\n\n{BODY_1}"
    assert set(good["raw_format"]) == {"trec"}


def test_jsonl_truncated_line_keeps_the_others(tmp_path: Path) -> None:
    lines = jsonl([{"text": BODY_1, "title": TITLE_1, "url": "https://a.example/1"}]) \
        + b'{"text": "' + BODY_2.encode()[:25] + b"\n" \
        + b"\n" + jsonl([{"content": BODY_3, "headline": TITLE_2, "date": "2024-01-02"}])
    write(tmp_path / "feed.jsonl", lines)
    report, good, bad = ingest(tmp_path, tmp_path / "feed.jsonl")
    assert keys(good) == [("feed.jsonl", 0), ("feed.jsonl", 3)]  # line 2 is blank
    assert good["body"].to_list() == [BODY_1, BODY_3]
    assert good["title"].to_list() == [TITLE_1, TITLE_2]
    assert good["published_raw"].to_list() == [None, "2024-01-02"]
    assert keys(bad) == [("feed.jsonl", 1)]
    row = bad.row(0, named=True)
    assert row["reason"] == "ingest:invalid-json" and row["stage"] == "ingest"
    assert row["raw_excerpt"].startswith('{"text": "افتتح')
    assert "feed.jsonl#1" in row["detail"] and "invalid-json" in row["detail"]
    assert row["id"].startswith("r") and row["raw_sha256"] == hashlib.sha256(lines).hexdigest()
    assert report.rows_in == 3 and report.rejected == {"ingest:invalid-json": 1}


def test_csv_and_tsv(tmp_path: Path) -> None:
    csv_text = ("headline,text,link,published_at,tags\n"
                f'{TITLE_1},"{BODY_1}\nسطر، ثان",https://a.example/1,2024-02-03,"زراعة، قمح"\n'
                f"{TITLE_2},{BODY_2},https://a.example/2,,\n")
    tsv_text = f"title\tbody\turl\n{TITLE_2}\t{BODY_3}\thttps://a.example/3\n"
    write(tmp_path / "d" / "a.csv", csv_text)
    write(tmp_path / "d" / "b.tsv", tsv_text)
    _, good, bad = ingest(tmp_path, tmp_path / "d")
    assert bad.height == 0
    assert keys(good) == [("d/a.csv", 0), ("d/a.csv", 1), ("d/b.tsv", 0)]
    assert good["body"].to_list() == [f"{BODY_1}\nسطر، ثان", BODY_2, BODY_3]
    assert good["title"].to_list() == [TITLE_1, TITLE_2, TITLE_2]
    assert good["url"].to_list() == ["https://a.example/1", "https://a.example/2",
                                     "https://a.example/3"]
    assert good["published_raw"].to_list() == ["2024-02-03", None, None]
    assert good["tags"].to_list() == [["زراعة", "قمح"], None, None]
    assert set(good["raw_format"]) == {"csv"}


def test_html_metadata(tmp_path: Path) -> None:
    write(tmp_path / "p.html", html_page(TITLE_1, BODY_1))
    write(tmp_path / "q.htm", html_page(TITLE_2, BODY_2, charset="windows-1256")
          .encode("cp1256"))
    _, good, bad = ingest(tmp_path, tmp_path / "p.html", tmp_path / "q.htm")
    assert bad.height == 0
    p, q = good.to_dicts()
    assert p["url"] == "https://akhbar.example/news/123"
    assert p["source"] == "أخبار المثال" and p["author"] == "سالم الكاتب"
    assert p["published_raw"] == "2024-03-05T10:20:00+03:00"  # as written
    assert p["title"] == TITLE_1 and BODY_1 in p["body"] and "الرئيسية" not in p["body"]
    assert p["tags"] == ["اقتصاد", "زراعة"] and p["raw_format"] == "html"
    assert q["raw_encoding"] == "windows-1256" and BODY_2 in q["body"]


def test_json_array_presets_and_user_mapping(tmp_path: Path) -> None:
    write(tmp_path / "np.json", orjson.dumps([{
        "maintext": BODY_1, "title": TITLE_1, "url": "https://n.example/1",
        "date_publish": "2023-01-01 08:00:00", "date_download": "2023-01-02 09:00:00",
        "source_domain": "n.example", "authors": ["أحمد", "منى"]}]))
    write(tmp_path / "own.json", orjson.dumps({"articles": [
        {"nass": BODY_2, "onwan": TITLE_2, "waqt": "2022-05-05"}]}))
    _, good, bad = ingest(tmp_path, tmp_path / "np.json", tmp_path / "own.json",
                          fields={"body": "nass", "title": ["onwan"], "published": "waqt"})
    assert bad.height == 0
    news_please, own = good.to_dicts()
    assert news_please["body"] == BODY_1 and news_please["author"] == "أحمد, منى"
    assert news_please["published_raw"] == "2023-01-01 08:00:00"
    assert news_please["crawled_raw"] == "2023-01-02 09:00:00"
    assert news_please["source"] == "n.example"
    assert (own["body"], own["title"], own["published_raw"]) == (BODY_2, TITLE_2, "2022-05-05")


def test_truncated_json_array_keeps_the_elements_before_the_damage(tmp_path: Path) -> None:
    full = orjson.dumps([{"text": BODY_1}, {"text": BODY_2}, {"text": BODY_3}])
    write(tmp_path / "cut.json", full[: full.index(BODY_3.encode()) + 10])
    write(tmp_path / "dead.json", full[: full.index(BODY_1.encode()) + 10])
    _, good, bad = ingest(tmp_path, tmp_path / "cut.json", tmp_path / "dead.json")
    assert good["body"].to_list() == [BODY_1, BODY_2]
    assert keys(bad) == [("cut.json", 2), ("dead.json", 0)]
    assert set(bad["reason"]) == {"ingest:invalid-json"}


def test_format_override_and_sniffing(tmp_path: Path) -> None:
    write(tmp_path / "x.dat", jsonl([{"text": BODY_1}, {"text": BODY_2}]))
    write(tmp_path / "noext", f"<DOC>\n<TEXT>\n{BODY_3}\n</TEXT>\n</DOC>\n")
    _, good, bad = ingest(tmp_path, tmp_path / "x.dat", tmp_path / "noext",
                          formats={"*.dat": "jsonl"})
    assert bad.height == 0
    assert good["raw_format"].to_list() == [
        "trec (sniffed <DOC> without extension)", "jsonl (override *.dat)",
        "jsonl (override *.dat)"]
    assert good["body"].to_list() == [BODY_3, BODY_1, BODY_2]


def test_output_is_deterministic(tmp_path: Path) -> None:
    write(tmp_path / "raw" / "a.jsonl", jsonl([{"text": BODY_1}, {"text": BODY_2}]))
    write(tmp_path / "raw" / "b.txt", BODY_3)
    write(tmp_path / "raw" / "c.json", b"[{]")
    digests = []
    for name in ("one", "two"):
        ingest(tmp_path / name, tmp_path / "raw")
        files = sorted((tmp_path / name / "_out").rglob("*.parquet"))
        digests.append([hashlib.sha256(f.read_bytes()).hexdigest() for f in files])
    assert digests[0] == digests[1] and len(digests[0]) == 2


@pytest.mark.parametrize("batch_size", [1, 2, 1000])
def test_batches_do_not_change_rows(tmp_path: Path, batch_size: int) -> None:
    records = [{"text": f"{BODY_1} {i}"} for i in range(7)]
    write(tmp_path / "r" / "a.jsonl", jsonl(records))
    write(tmp_path / "r" / "b.json", b"not json")
    _, good, bad = ingest(tmp_path, tmp_path / "r", batch_size=batch_size, rows_per_file=3)
    assert good["body"].to_list() == [r["text"] for r in records]
    assert keys(bad) == [("r/b.json", 0)]
    assert len(list((tmp_path / "_out" / "ingested").glob("part-*.parquet"))) == 3


def test_documentation_and_hidden_files_are_not_raw_records(tmp_path: Path) -> None:
    import zipfile

    write(tmp_path / "raw" / "README.md", "# وصف المجلد")
    write(tmp_path / "raw" / ".DS_Store", b"\x00\x00\x00\x01Bud1")
    write(tmp_path / "raw" / "a.txt", BODY_1)
    with zipfile.ZipFile(tmp_path / "raw" / "b.zip", "w") as archive:
        archive.writestr("LICENSE", "CC0")
        archive.writestr("__MACOSX/._c.txt", b"\x00\x05")
        archive.writestr("c.txt", BODY_2)
    report, good, bad = ingest(tmp_path, tmp_path / "raw")
    assert bad.height == 0 and keys(good) == [("raw/a.txt", 0), ("raw/b.zip/c.txt", 0)]
    assert report.stats["skipped"] == {"documentation": 2, "hidden": 2}


def test_warc_responses_that_are_not_articles_are_rejected(tmp_path: Path) -> None:
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=False)
    for uri, status, ctype, payload in (
            ("https://a.example/img.png", "200 OK", "image/png", b"\x89PNG"),
            ("https://a.example/old", "301 Moved Permanently", "text/html", b"<html></html>"),
            ("https://a.example/ok", "200 OK", "text/html; charset=windows-1256",
             html_page(TITLE_1, BODY_1, charset="windows-1256").encode("cp1256"))):
        http = StatusAndHeaders(status, [("Content-Type", ctype)], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(
            uri, "response", payload=io.BytesIO(payload), http_headers=http))
    write(tmp_path / "c.warc", buf.getvalue())
    _, good, bad = ingest(tmp_path, tmp_path / "c.warc")
    assert keys(good) == [("c.warc", 2)] and good["raw_encoding"][0] == "windows-1256"
    assert good["title"][0] == TITLE_1
    assert dict(zip(bad["raw_record"], bad["reason"], strict=True)) == {
        0: "ingest:not-html", 1: "ingest:http-status"}
    assert bad["url"].to_list() == ["https://a.example/img.png", "https://a.example/old"]


def test_heavily_damaged_utf8_is_an_encoding_failure() -> None:
    from akhbar.ingest.encoding import EncodingFailure

    data = bytearray(BODY_1.encode())
    data[1::4] = b"\xff" * len(data[1::4])  # one byte in four destroyed
    with pytest.raises(EncodingFailure):
        decode(bytes(data))
