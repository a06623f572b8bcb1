"""Builders of raw-input fixtures shared by the ingest tests (own Arabic text, tiny,
inline). Named test_ingest_* to stay in the ingest files; it holds no tests itself."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import orjson
import polars as pl

from akhbar import params as akhbar_params
from akhbar.ingest import run
from akhbar.stage import StageReport

BODY_1 = "أعلنت وزارة الزراعة اليوم عن خطة جديدة لزيادة إنتاج القمح في المناطق الشمالية."
BODY_2 = "افتتح المعرض الدولي للكتاب أبوابه صباح الأحد بمشاركة مئات من دور النشر العربية."
BODY_3 = "شهدت أسواق الخضار في المدينة ارتفاعا طفيفا في الأسعار مع بداية فصل الصيف الحار."
TITLE_1 = "خطة لزيادة إنتاج القمح"
TITLE_2 = "افتتاح معرض الكتاب"


def params(**ingest: Any) -> dict[str, Any]:
    """The project's parameters with ``ingest`` keys overridden."""
    return akhbar_params.merge(akhbar_params.defaults(), {"ingest": ingest})


def ingest(tmp: Path, *paths: Path, **overrides: Any
           ) -> tuple[StageReport, pl.DataFrame, pl.DataFrame]:
    """Run ingest into ``tmp/_out``; return the report, good rows and rejected rows."""
    out, rej = tmp / "_out" / "ingested", tmp / "_out" / "rejected.parquet"
    report = run(list(paths), out, rej, params(**overrides))
    return report, pl.read_parquet(out), pl.read_parquet(rej)


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def jsonl(records: list[Any]) -> bytes:
    return b"\n".join(orjson.dumps(r) for r in records) + b"\n"


def html_page(title: str, body: str, canonical: str = "https://akhbar.example/news/123",
              site: str = "أخبار المثال", published: str = "2024-03-05T10:20:00+03:00",
              charset: str = "utf-8") -> str:
    paragraphs = "".join(f"<p>{body} {i}</p>" for i in range(3))
    return (f'<!doctype html><html lang="ar" dir="rtl"><head><meta charset="{charset}">'
            f"<title>{title} | موقع</title>"
            f'<link rel="canonical" href="{canonical}">'
            f'<meta property="og:site_name" content="{site}">'
            f'<meta property="article:published_time" content="{published}">'
            f'<meta name="author" content="سالم الكاتب">'
            f'<meta name="keywords" content="اقتصاد، زراعة">'
            f'<meta property="og:title" content="{title}"></head>'
            f"<body><nav>الرئيسية | اتصل بنا</nav><article><h1>{title}</h1>{paragraphs}"
            f"</article><footer>جميع الحقوق محفوظة</footer></body></html>")


def warc_gz(responses: list[tuple[str, str, str]], with_request: bool = True) -> bytes:
    """A gzipped WARC: for each (uri, date, html) a response record, and a request record
    after the first response (so record indexes are 0, 1=request, 2, ...)."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    for i, (uri, date, page) in enumerate(responses):
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                protocol="HTTP/1.1")
        rec = writer.create_warc_record(uri, "response", payload=io.BytesIO(page.encode()),
                                        http_headers=http,
                                        warc_headers_dict={"WARC-Date": date})
        writer.write_record(rec)
        if with_request and i == 0:
            req = writer.create_warc_record(uri, "request", payload=io.BytesIO(
                b"GET / HTTP/1.1\r\nHost: akhbar.example\r\n\r\n"),
                warc_headers_dict={"WARC-Date": date})
            writer.write_record(req)
    return buf.getvalue()


def keys(df: pl.DataFrame) -> list[tuple[str, int]]:
    return list(zip(df["raw_file"].to_list(), df["raw_record"].to_list(), strict=True))
