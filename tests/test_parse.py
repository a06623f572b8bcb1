"""akhbar.parse.run: RAW_SCHEMA in, ARTICLE_SCHEMA + rejected out, in tmp_path."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from akhbar import io, parse
from akhbar.ids import article_id, record_id
from akhbar.schema import ARTICLE_SCHEMA, RAW_SCHEMA, REJECTED_SCHEMA, rows

HOST_P1 = "جدة (رويترز) - أعلن الميناء زيادة عدد الرحلات البحرية خلال الصيف."
HOST_P2 = "وأضاف المسؤول أن الزيادة تشمل خطوطا جديدة إلى موانئ قريبة."
RA_TITLE = "حملة لتنظيف الشواطئ"
RA_TEXT = "شارك متطوعون في حملة لتنظيف الشواطئ يوم السبت."
RELATED = ["افتتاح مركز صحي جديد", "تمديد ساعات عمل الحدائق"]
PARAMS: dict[str, Any] = {"parse": {"min_body_chars": 1, "batch_size": 2, "rows_per_file": 3,
                                    "max_tag_words": 12, "max_keyword_words": 3,
                                    "known_tags": ["مصر", "لبنان"]}}


def aggregator_body() -> str:
    last = (f"{HOST_P2}مصرلبناننشر الاثنين، 5 حزيران 2023تابعونا عبرمن نحن"
            "© 2023 موقع تجريبي. All Rights Reserved.")
    return "\n\n".join([HOST_P1, last, "المصدر: وكالة تجريبية", "كلمات دلالية: موانئ، رحلات",
                        "اقرأ أيضا:", RA_TITLE, RA_TEXT, "مقالات مشابهة",
                        *(f"  • {t}" for t in RELATED)])


def raw(record: int, **fields: Any) -> dict[str, Any]:
    return {"raw_file": "dump/part.jsonl", "raw_record": record, "raw_sha256": "ab" * 32,
            "raw_encoding": "utf-8", "raw_format": "jsonl", **fields}


def raw_rows() -> list[dict[str, Any]]:
    return [
        raw(0, url="https://www.example.com/a/1?utm_source=x", title="عنوان أول",
            body="  فقرة أولى من الخبر.\r\n\r\n\n  فقرة ثانية.  \n",
            published_raw="2015-07-21 09:47:39", crawled_raw="2016-01-01T00:00:00Z",
            tags=[" اقتصاد", "اقتصاد", "البلدیة"], source="صحيفة"),
        raw(1, body="   \n\n ", published_raw="غير معروف"),
        {**raw(0, raw_format="aggregator", source="مجمع", url="https://agg.example/p/9",
               body=aggregator_body(), crawled_raw="2023-06-06 08:00:00"),
         "raw_file": "agg/page.txt"},
        raw(2, body="الدمام (واس) - نص بلا تاريخ نشر.",
            crawled_raw="Tue, 14 Nov 2023 10:00:00 +0300"),
        raw(3, body=None),
    ]


def write_raw(tmp_path: Path, records: list[dict[str, Any]]) -> Path:
    inp = tmp_path / "ingested"
    inp.mkdir()
    io.write_table(inp / "part-00000.parquet", rows(RAW_SCHEMA, records), RAW_SCHEMA)
    return inp


def run(tmp_path: Path, records: list[dict[str, Any]], name: str = "out"
        ) -> tuple[parse.StageReport, pl.DataFrame, pl.DataFrame, Path]:
    inp = tmp_path / "ingested"
    if not inp.exists():
        write_raw(tmp_path, records)
    out, rej = tmp_path / name / "parsed", tmp_path / name / "rejected.parquet"
    report = parse.run(inp, out, rej, PARAMS)
    return report, io.read_frame(out), pl.read_parquet(rej), out


def test_round_trip(tmp_path: Path) -> None:
    report, articles, rejected, out = run(tmp_path, raw_rows())
    assert report.name == "parse"
    assert report.rows_in == 5 and report.rows_out == 4
    assert dict(report.rejected) == {"parse:empty-body": 2}
    assert pq.read_schema(next(out.glob("*.parquet"))).equals(ARTICLE_SCHEMA)
    assert len(list(out.glob("part-*.parquet"))) == 2  # rows_per_file = 3
    assert pq.read_schema(tmp_path / "out" / "rejected.parquet").equals(REJECTED_SCHEMA)

    # input order is kept; a read-also article follows its host
    assert articles.get_column("raw_record").to_list() == [0, 0, 0, 2]
    plain, host, appended, undated = articles.iter_rows(named=True)

    assert plain["text"] == "فقرة أولى من الخبر.\nفقرة ثانية."
    assert plain["id"] == article_id("https://www.example.com/a/1?utm_source=x", plain["text"])
    assert plain["published"] == datetime(2015, 7, 21, 9, 47, 39, tzinfo=UTC)
    assert plain["crawled"] == datetime(2016, 1, 1, tzinfo=UTC)
    assert plain["tags"] == ["اقتصاد", "البلدية"]
    assert plain["source"] == "صحيفة" and plain["title"] == "عنوان أول"
    assert plain["host_id"] is None and plain["dateline"] is None

    assert host["raw_file"] == "agg/page.txt" and host["raw_format"] == "aggregator"
    assert host["text"] == f"{HOST_P1}\n{HOST_P2}"
    assert host["dateline"] == "جدة (رويترز) -"
    assert host["source"] == "وكالة تجريبية"  # the page's المصدر wins over the raw source
    assert host["published"] == datetime(2023, 6, 5, tzinfo=UTC)
    assert host["crawled"] == datetime(2023, 6, 6, 8, tzinfo=UTC)
    assert host["tags"] == ["مصر", "لبنان", "موانئ", "رحلات"]
    assert host["related_titles"] == RELATED
    assert host["id"] == article_id("https://agg.example/p/9", host["text"])

    assert appended["host_id"] == host["id"]
    assert appended["id"] == article_id(None, RA_TEXT)
    assert (appended["title"], appended["text"]) == (RA_TITLE, RA_TEXT)
    assert appended["source"] is None and appended["url"] is None
    assert appended["raw_file"] == "agg/page.txt" and appended["raw_record"] == 0

    assert (plain["published_from"], host["published_from"]) == ("field", "field")
    # crawled is never copied into published
    assert undated["published"] is None and undated["published_from"] is None
    assert undated["dateline"] == "الدمام (واس) -"  # column-wise (polars regex) path
    assert undated["crawled"] == datetime(2023, 11, 14, 7, tzinfo=UTC)

    assert rejected.get_column("reason").to_list() == ["parse:empty-body"] * 2
    assert rejected.get_column("stage").to_list() == ["parse"] * 2
    assert rejected.get_column("raw_record").to_list() == [1, 3]
    assert rejected.get_column("id").to_list() == [record_id("dump/part.jsonl", 1),
                                                    record_id("dump/part.jsonl", 3)]
    assert all("dump/part.jsonl#" in d for d in rejected.get_column("detail").to_list())

    stats = report.stats
    assert stats["footers_cut"] == 1 and stats["read_also_articles"] == 1
    assert stats["related_lists"] == 1 and stats["aggregator_pages"] == 1
    assert stats["published"] == {
        "aggregator": {"parsed": 1, "unparsed": 0, "missing": 0},
        "jsonl": {"parsed": 1, "unparsed": 1, "missing": 2},
    }


def test_deterministic_bytes(tmp_path: Path) -> None:
    _, _, _, out_a = run(tmp_path, raw_rows(), "a")
    _, _, _, out_b = run(tmp_path, raw_rows(), "b")
    files_a, files_b = sorted(out_a.glob("*.parquet")), sorted(out_b.glob("*.parquet"))
    assert [f.name for f in files_a] == [f.name for f in files_b]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(files_a, files_b, strict=True))
    assert ((tmp_path / "a" / "rejected.parquet").read_bytes()
            == (tmp_path / "b" / "rejected.parquet").read_bytes())


def test_error_in_one_aggregator_record_does_not_stop(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    real = parse.parse_page

    def flaky(text: str, **kwargs: Any) -> Any:
        if "انفجار" in text:
            raise RuntimeError("boom")
        return real(text, **kwargs)

    monkeypatch.setattr(parse, "parse_page", flaky)
    records = [raw(0, raw_format="aggregator", body="انفجار"),
               raw(1, raw_format="aggregator", body=aggregator_body())]
    report, articles, rejected, _ = run(tmp_path, records)
    assert report.rows_out == 2 and dict(report.rejected) == {"parse:error": 1}
    assert articles.get_column("raw_record").to_list() == [1, 1]
    row = rejected.row(0, named=True)
    assert row["reason"] == "parse:error" and row["raw_record"] == 0
    assert "dump/part.jsonl#0" in row["detail"] and "boom" in row["detail"]
    assert row["raw_excerpt"] == "انفجار"


def test_error_in_one_dump_record_is_isolated(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    real = parse._url_ids  # the ids of a batch's URLs: one bad URL fails its batch

    def flaky(urls: pl.Series) -> list[str | None]:
        if "https://bad.example/" in urls.to_list():
            raise ValueError("bad url")
        return real(urls)

    monkeypatch.setattr(parse, "_url_ids", flaky)
    records = [raw(0, body="خبر أول.", url="https://ok.example/1"),
               raw(1, body="خبر ثان.", url="https://bad.example/"),
               raw(2, body="خبر ثالث.", url="https://ok.example/3")]
    report, articles, rejected, _ = run(tmp_path, records)
    assert articles.get_column("raw_record").to_list() == [0, 2]
    assert rejected.get_column("reason").to_list() == ["parse:error"]
    assert "dump/part.jsonl#1" in rejected.get_column("detail")[0]
    assert report.rows_in == 3 and report.rows_out == 2


def test_empty_input_writes_empty_tables(tmp_path: Path) -> None:
    report, articles, rejected, _ = run(tmp_path, [])
    assert report.rows_in == 0 and report.rows_out == 0
    assert articles.is_empty() and rejected.is_empty()


def test_project_params_file(tmp_path: Path) -> None:
    """The `parse` section of the project's params.yaml drives the stage as written."""
    from akhbar.params import load

    params = load(Path(__file__).resolve().parents[1] / "params.yaml")
    assert {"min_body_chars", "rows_per_file", "known_tags", "max_tag_words",
            "max_keyword_words"} <= set(params.parse.model_dump())
    write_raw(tmp_path, raw_rows())
    report = parse.run(tmp_path / "ingested", tmp_path / "p", tmp_path / "r.parquet", params)
    assert report.rows_out == 4 and report.stats["tags_unsplit"] == 0


def test_missing_source_falls_back_to_the_url_host(tmp_path: Path) -> None:
    records = [raw(0, url="HTTPS://www.Akhbar-Test.example/news/7", body="نص خبر قصير."),
               raw(1, url=None, body="نص آخر بلا رابط."),
               raw(2, url="https://site.example/x", source="صحيفة محلية", body="نص ثالث.")]
    _, articles, _, _ = run(tmp_path, records)
    assert articles.get_column("source").to_list() == [
        "akhbar-test.example", None, "صحيفة محلية"]


WIRE = "الخبر 3 ذو القعدة 1437 هـ الموافق 6 أغسطس 2016 م واس"
CRAWL = "2016-08-07 10:00:00"


def test_published_with_provenance(tmp_path: Path) -> None:
    """field, then a dated dateline, then the URL; never the crawl time, never the future."""
    records = [
        raw(0, body="نص بتاريخ في الحقل.", published_raw="2016-08-05", crawled_raw=CRAWL,
            url="https://paper.example/2016/08/01/a"),  # field wins over the URL
        raw(1, body=f"{WIRE}\nأعلنت الهيئة نتائج المسابقة.", crawled_raw=CRAWL,
            url="https://paper.example/2016/08/01/b"),  # dateline wins over the URL
        raw(2, body="نص تاريخه في الرابط.", crawled_raw=CRAWL,
            url="https://paper.example/news/20160802/c.htm"),
        raw(3, body="نص بلا تاريخ.", crawled_raw=CRAWL, url="https://paper.example/x/123"),
        # a field date after the crawl is wrong: dropped, counted, and the URL is used
        raw(4, body="نص تاريخه بعد الجمع.", published_raw="2016-09-01", crawled_raw=CRAWL,
            url="https://paper.example/2016/08/03/d"),
        # a URL date after the crawl (and no other): nothing
        raw(5, body="نص رابطه في المستقبل.", crawled_raw=CRAWL,
            url="https://paper.example/2016/08/30/e"),
        # a Hijri-only dateline is converted (Umm al-Qura); no crawl time: only the range
        raw(6, body="جدة 25 شوال 1436 هـ واس\nهطلت أمطار على المحافظة.",
            url="https://paper.example/1985/01/01/f"),
    ]
    report, articles, _, _ = run(tmp_path, records)
    rows = {r["raw_record"]: r for r in articles.iter_rows(named=True)}
    day = {i: (r["published"], r["published_from"]) for i, r in rows.items()}
    assert day == {
        0: (datetime(2016, 8, 5, tzinfo=UTC), "field"),
        1: (datetime(2016, 8, 6, tzinfo=UTC), "dateline"),
        2: (datetime(2016, 8, 2, tzinfo=UTC), "url"),
        3: (None, None),
        4: (datetime(2016, 8, 3, tzinfo=UTC), "url"),
        5: (None, None),
        6: (datetime(2015, 8, 10, tzinfo=UTC), "dateline"),
    }
    for r in rows.values():  # never after the crawl, never the crawl time itself
        if r["published"] is not None and r["crawled"] is not None:
            assert r["published"] < r["crawled"]
    # the dateline moved out of the body into its column (not lost)
    assert rows[1]["dateline"] == WIRE and rows[1]["text"] == "أعلنت الهيئة نتائج المسابقة."
    assert rows[6]["dateline"] == "جدة 25 شوال 1436 هـ واس"
    assert rows[6]["text"] == "هطلت أمطار على المحافظة."
    assert report.stats["published_from"] == {"field": 1, "dateline": 2, "url": 2, "none": 2}
    assert report.stats["published_rejected"] == {"field:after-crawled": 1,
                                                  "url:after-crawled": 1}
    assert report.stats["datelines_moved"] == 2


def test_a_body_that_is_only_a_dateline_is_rejected_empty(tmp_path: Path) -> None:
    _, articles, rejected, _ = run(tmp_path, [raw(0, body=WIRE, crawled_raw=CRAWL)])
    assert articles.is_empty() and rejected.get_column("reason").to_list() == ["parse:empty-body"]


def test_author_holds_people_and_category_passes_through(tmp_path: Path) -> None:
    records = [
        raw(0, body="نص أول.", author="الخبر - واس", category="محليات"),
        raw(1, body="نص ثان.", author="تبوك - نورة العنزي", category=None),
        raw(2, body="نص ثالث.", author="بقلم: سلمى الحربي"),
        # a dateline from the body wins over the author's
        raw(3, body=f"{WIRE}\nنص رابع.", author="واس - الخبر", crawled_raw=CRAWL),
        {**raw(4, raw_format="aggregator", body=aggregator_body(), author="لندن: وكالات",
               category="اقتصاد"), "raw_file": "agg/page.txt"},
    ]
    _, articles, _, _ = run(tmp_path, records)
    got = [(r["raw_record"], r["author"], r["dateline"], r["category"])
           for r in articles.iter_rows(named=True) if r["host_id"] is None]
    assert got == [
        (0, None, "الخبر - واس", "محليات"),
        (1, "نورة العنزي", "تبوك", None),
        (2, "سلمى الحربي", None, None),
        (3, None, WIRE, None),
        (4, None, "جدة (رويترز) -", "اقتصاد"),  # the page's own dateline first
    ]


def suffixed_rows() -> list[dict[str, Any]]:
    """Folder "siteA" ends 4 of 5 titles with its name; folder "siteB" never does."""
    heads = ["ارتفاع أسعار الذهب", "افتتاح جسر جديد", "مهرجان للكتاب", "أمطار غزيرة",
             "فوز المنتخب - الدوري يشتعل"]
    out = [{**raw(i, title=f"{h} - موقع ألف" if i < 4 else h, body=f"نص الخبر رقم {i}."),
            "raw_file": f"siteA/{i}.json"} for i, h in enumerate(heads)]
    out += [{**raw(10 + i, title=h, body=f"نص آخر رقم {i}."), "raw_file": f"siteB/{i}.json"}
            for i, h in enumerate(heads)]
    return out


def test_site_suffixes_map_combine_decide_and_a_given_decision(tmp_path: Path) -> None:
    from akhbar import titles
    from akhbar.params import typed

    records = suffixed_rows()
    sp = typed(PARAMS).parse.site_suffix
    inp = write_raw(tmp_path, records)
    want = titles.scan(inp, sp)
    assert want == {"siteA": {"موقع ألف"}}
    table = io.read_frame(inp).select("raw_file", "title")
    halves = [titles.count(table.slice(0, 3), sp), titles.count(table.slice(3), sp)]
    assert titles.decide(titles.combine(*halves), sp) == want
    scanned = parse.run(inp, tmp_path / "a" / "out", tmp_path / "a" / "rej.parquet", PARAMS)
    given = parse.run(inp, tmp_path / "b" / "out", tmp_path / "b" / "rej.parquet", PARAMS,
                      suffixes=want)
    assert scanned.to_dict()["stats"] == given.to_dict()["stats"]
    a, b = io.read_frame(tmp_path / "a" / "out"), io.read_frame(tmp_path / "b" / "out")
    assert a.equals(b)
    assert a.get_column("title").to_list()[:4] == ["ارتفاع أسعار الذهب", "افتتاح جسر جديد",
                                                   "مهرجان للكتاب", "أمطار غزيرة"]
    # the decision given is the one applied: none given, no suffix is cut
    parse.run(inp, tmp_path / "c" / "out", tmp_path / "c" / "rej.parquet", PARAMS,
              suffixes={})
    kept = io.read_frame(tmp_path / "c" / "out").get_column("title").to_list()
    assert kept[0] == "ارتفاع أسعار الذهب - موقع ألف"


_URL_EDGES = ["http://WWW.Example.com/a/b/", "https://x.org", "https://x.org//", "HTTPS://www.a.com",
              "http://a.com/خبر/١٢", "http://a.com/p?q=1&utm_source=x", "ftp://a.com/x",
              " http://a.com/x", "http://a.com/x y", "httpſ://a.com/x", "http://a.com/\u00a0",
              "http://a.com/\u2028", "http://[::1]/x", "http://a.com/x#f", "http://user@a.com/x",
              "http://a.com:8080/x/", "https://www.", "http:///x", "", None]


_ASCII = st.characters(max_codepoint=0x7f)
_URL = st.builds(lambda scheme, host, path: f"{scheme}://{host}{path}",
                 st.sampled_from(["http", "https", "HTTP", "hTtPs", "ftp", "httpſ"]),
                 st.text(alphabet=_ASCII | st.sampled_from("ﬀſK"), max_size=12),
                 st.text(alphabet=_ASCII | st.sampled_from("خبر/ \u00a0\u2028\x85\x1c?#[]"),
                         max_size=12))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_URL_EDGES), _URL), max_size=20))
def test_url_ids_in_polars_are_those_of_article_id(urls: list[str | None]) -> None:
    """The columnar URL ids equal :func:`akhbar.ids.article_id` wherever they are given,
    and are given for every plain http(s) URL (the rest is left to ``article_id``)."""
    got = parse._url_ids(pl.Series(urls, dtype=pl.String))
    for url, value in zip(urls, got, strict=True):
        if value is not None:
            assert value == article_id(url, None), url
    plain = parse._url_ids(pl.Series(["http://WWW.Example.com/a/b/", "https://x.org",
                                      "http://a.com/p?q=1"]))
    assert plain[:2] == [article_id("http://example.com/a/b", None),
                         article_id("https://x.org/", None)]
    assert plain[2] is None  # a query: ids.canonical_url's general path


def test_date_counts_by_group_by_equal_the_per_row_counts() -> None:
    """``_Stats.dates_of`` (one group-by) counts what ``_Stats.date`` counts row by row,
    empty and null formats and dates included."""
    when = datetime(2015, 7, 1, tzinfo=UTC)
    rows = pl.DataFrame({
        "raw_format": ["json", "json", "json", None, "", "csv (sniffed CSV in .txt)"],
        "published_raw": ["2015-07-01", "أمس", None, "", "2015-07-01", "2015"],
        "published": [when, None, None, None, when, None]})
    by_row, by_group = parse._Stats(), parse._Stats()
    for fmt, raw_date, published in rows.iter_rows():
        by_row.date(fmt, raw_date, published is not None)
    by_group.dates_of(rows)
    assert by_group.as_dict() == by_row.as_dict()
    assert by_group.as_dict()["published"]["unknown"] == {"parsed": 1, "unparsed": 0,
                                                          "missing": 1}
