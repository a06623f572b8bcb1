"""The columnar JSON path (``akhbar.ingest.readers.jsoncolumns``) gives exactly the rows of
the orjson path, or declines: on generated JSON arrays holding the cases it must refuse
(numbers, booleans, nulls, nested values, duplicate keys, escaped quotes before a colon,
surrogate escapes, keys that appear late) and through ``ingest.run`` byte for byte."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from akhbar.ingest import run
from akhbar.ingest.presets import SAMPLE_RECORDS, sample_mapping
from akhbar.ingest.readers import jsonfile
from akhbar.ingest.readers.jsoncolumns import _members, read_columns

_KEYS = ["title", "content", "url", "source", "author", "date_extracted", "text", "Title",
         "headline", "tags", "category", "x"]
_TEXT = st.text(alphabet=st.sampled_from([*'ابت خبر "\\:،,\n\t/', "\u00e9", "😀"]),
                max_size=12)
_VALUE = st.one_of(
    _TEXT.map(json.dumps), st.just('""'), st.just("null"), st.integers(-5, 5).map(str),
    st.sampled_from(["true", "1.50", '{"a": "b"}', '["x"]', '"\\ud800"', '"\\ud83d\\ude00"',
                     '"\\": \\"x"', '"a\\\\"', '" : x"', '":x"']))
_RECORD = st.lists(st.tuples(st.sampled_from(_KEYS), _VALUE), min_size=0, max_size=6).map(
    lambda members: "{" + ", ".join(f'"{k}" : {v}' if i % 2 else f'"{k}":{v}'
                                    for i, (k, v) in enumerate(members)) + "}")


def _orjson_rows(data: bytes) -> dict[str, list[Any]]:
    records = orjson.loads(data)
    return sample_mapping(records).columns(records)


@settings(max_examples=400, deadline=None)
@given(st.lists(_RECORD, min_size=1, max_size=8), st.booleans())
def test_columns_equal_the_orjson_path_or_decline(records: list[str], pretty: bool) -> None:
    data = ("[\n  " + ",\n  ".join(records) + "\n]" if pretty
            else "[" + ",".join(records) + "]").encode()
    try:
        expected = _orjson_rows(data)
    except orjson.JSONDecodeError:
        expected = None
    frame = read_columns(data, "auto", {})
    if frame is None:
        return
    assert expected is not None, data  # a document orjson refuses is never taken
    got = frame.to_dict(as_series=False)
    assert got == {k: expected[k] for k in got}, data
    assert set(expected) <= set(got)


def test_plain_string_records_take_the_columnar_path() -> None:
    records = [{"title": f"عنوان {i}", "content": f"قال \"الوزير\": خبر {i}",
                "url": f"https://a.example/{i}", "author": "" if i % 2 else "كاتب"}
               for i in range(SAMPLE_RECORDS + 5)]
    records[-1]["source"] = "مصدر"  # a key first seen after the sampled records
    data = json.dumps(records, ensure_ascii=False, indent=1).encode()
    frame = read_columns(data, "auto", {})
    assert frame is not None
    assert frame.to_dict(as_series=False) == {k: v for k, v in _orjson_rows(data).items()}
    assert frame.get_column("author").null_count() == frame.height // 2  # "" → null


@pytest.mark.parametrize("member", [
    b'"title": 5', b'"title": true', b'"title": null', b'"title": {"a": "b"}',
    b'"title": ["a"]', b'"title": "\\ud800"', b'"title": "a", "title": "b"'])
def test_declines_what_it_cannot_vouch_for(member: bytes) -> None:
    data = b'[{"content": "\\u0646\\u0635"}, {' + member + b', "content": "x"}]'
    assert read_columns(data, "auto", {}) is None


def test_member_sites_skip_escaped_quotes() -> None:
    assert _members(rb'{"a":"q\": 5", "b":"\\": 1}') == (3, 1)
    assert _members(rb'{"a" : "x" ,"b":null}') == (2, 1)


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*.parquet"))}


def test_ingest_writes_the_same_bytes_with_and_without_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.json").write_text(json.dumps(
        [{"title": f"خبر {i}", "content": f"نص الخبر رقم {i}.", "url": f"https://s.example/{i}",
          "source": "s", "author": "كاتب", "date_extracted": "2015-07-21 10:00:00"}
         for i in range(30)], ensure_ascii=False), encoding="utf-8")
    (raw / "b.json").write_text('[{"title": "x", "content": 5}, {"title": "y"}]')
    (raw / "c.jsonl").write_text('{"title": "ج", "text": "نص"}\n', encoding="utf-8")
    params = {"ingest": {"batch_size": 7, "rows_per_file": 11}}
    taken: list[bool] = []

    def counted(*args: Any) -> pl.DataFrame | None:
        frame = read_columns(*args)
        taken.append(frame is not None)
        return frame

    monkeypatch.setattr(jsonfile, "read_columns", counted)
    on = run([raw], tmp_path / "on", tmp_path / "on-rej.parquet", params)
    monkeypatch.setattr(jsonfile, "read_columns", lambda *a: None)
    off = run([raw], tmp_path / "off", tmp_path / "off-rej.parquet", params)
    assert (on.rows_in, on.rows_out, on.rejected, on.stats) == (
        off.rows_in, off.rows_out, off.rejected, off.stats)
    assert _digest(tmp_path / "on") == _digest(tmp_path / "off")
    assert sorted(taken) == [False, True]  # a.json columnar, b.json (a number) not
    assert len(_digest(tmp_path / "on")) == 3  # 33 rows in files of 11
    assert pl.read_parquet(tmp_path / "on").height == 33
