"""Speed changes that must not change results: the canonical-URL fast path gives the
general path's key, ParquetSink's writer thread gives the same bytes, and ingest/parse
never import pandas (about a CPU second per process, see ``akhbar.ingest.writer``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from akhbar import io
from akhbar.ids import _SIMPLE, _canonical_url, canonical_url
from akhbar.schema import RAW_SCHEMA

_URLS = [
    "http://WWW.Example.com/a/b/", "https://x.com", "HTTP://www.x.com//", "http://u@H:80/p/",
    "http://www./x", "https://h//x", "https://news.example.sa/2015/01/05/خبر",
    "http://a.b/c?utm_source=x&b=2#top", "http://[::1]/x", "http:///x", "http://h/خبر\u00a0",
    "http://خبر.com/x", "http://h.sa/خبر-«عاجل»/", "ftp://H.com/x/",
    " http://spaced.com/x ", "http://tab\t.com/", "mailto:a@b.c", "example.com/x", "",
]


def test_fast_path_matches_urllib_on_known_shapes() -> None:
    fast = [u for u in _URLS if u and _SIMPLE.match(u)]
    assert len(fast) >= 6  # the fast path is taken for the common shapes
    for url in _URLS:
        assert canonical_url(url) == _canonical_url(url), url


_ALPHABET = st.sampled_from([*"aZ09./:?#@[]%-_~ \tWwHhTtPpSs\x00\x7f\u00a0\u3000\x85",
                             "www.", "http", "://", "خبر", "«"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_ALPHABET, max_size=14).map("".join),
       st.sampled_from(["http://", "https://", "HTTPS://", "hTtP://www.", ""]))
def test_fast_path_matches_urllib_on_generated_urls(rest: str, scheme: str) -> None:
    url = scheme + rest
    try:
        expected = _canonical_url(url)
    except ValueError:  # urllib refuses it (bad brackets): the fast path must not accept it
        assert not _SIMPLE.match(url)
        return
    assert canonical_url(url) == expected


def _sink_bytes(tmp: Path, background: bool, chunks: list[int]) -> list[bytes]:
    rows = sum(chunks)
    df = pl.DataFrame({"raw_file": [f"f{i % 7}" for i in range(rows)],
                       "raw_record": list(range(rows)),
                       "body": [f"نص رقم {i} " * (i % 5) for i in range(rows)]})
    out = tmp / ("bg" if background else "fg")
    sink = io.ParquetSink(out, RAW_SCHEMA, rows_per_file=250, row_group_size=100,
                          background=background)
    start = 0
    for n in chunks:
        sink.write(df.slice(start, n))
        start += n
    files = sink.close()
    assert sum(pq.ParquetFile(f).metadata.num_rows for f in files) == rows
    return [f.read_bytes() for f in files]


def test_background_writer_writes_the_same_bytes(tmp_path: Path) -> None:
    threaded = _sink_bytes(tmp_path, True, [37, 410, 3, 180])
    assert len(threaded) == 3  # 630 rows in files of 250
    assert threaded == _sink_bytes(tmp_path, False, [630])


def test_ingest_and_parse_do_not_import_pandas(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    records = [{"url": f"http://example.sa/n/{i}", "title": "عنوان الخبر",
                "content": "نص الخبر الأول عن الطقس في المدينة اليوم. " * 5,
                "date_extracted": "2015-01-05 10:00:00", "author": "محمد علي"}
               for i in range(3)]
    (raw / "a.json").write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    (raw / "bad.json").write_text('[{"content": "نص"', encoding="utf-8")  # a rejected row
    script = f"""
import sys
from pathlib import Path
from akhbar import ingest, params, parse
p = params.load(None)
work = Path({str(tmp_path)!r})
ingest.run([work / "raw"], work / "ingested", work / "rejected" / "ingest.parquet", p)
parse.run(work / "ingested", work / "parsed", work / "rejected" / "parse.parquet", p)
print(sorted(m for m in ("pandas", "datasets", "great_expectations") if m in sys.modules))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"
    assert pl.read_parquet(tmp_path / "parsed").height == 3
    assert pl.read_parquet(tmp_path / "rejected" / "ingest.parquet").height >= 1
