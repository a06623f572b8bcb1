"""The explorer's fast paths write exactly what the straightforward code wrote.

The search index folds distinct space-separated tokens instead of whole texts, and the
text shards are JSON put together by polars instead of ``json.dumps``: both are checked
against the plain computation on texts chosen to break them (punctuation and newlines
inside tokens, runs of spaces, marks, tatweel, invisible characters, quotes, backslashes,
control characters, empty and missing texts).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from akhbar import folding
from akhbar.explore import rowindex as rowindex_mod
from akhbar.explore import rowjson as rowjson_mod
from akhbar.explore import search as search_mod
from akhbar.explore import site as site_mod
from akhbar.explore import streamindex as streamindex_mod

TEXTS = [
    "قال الوزير: «إن الاقتصاد ينمو»،وأضاف أن النمو مستمر.",
    "كتـــاب  جديد\nفي المكتبة\tاليوم؛ مؤتمر ومسؤول",
    "الأخبارُ العاجلةُ‌ من‏ الرياض — Breaking NEWS!",
    "سطر فيه \"اقتباس\" و\\شرطة\\ و\x07جرس\x1f وفاصل\u2028سطر",
    "",
    None,
    "   مسافات   في البداية والنهاية   ",
    "إئتلاف ئ ؤ ة ى ی ک ١٢٣ ۴۵۶ آمال",
]
TITLES = ["عنوان: الأول", None, "ÉCONOMIE اقتصاد", "", "خبر", "عنوان", None, "أخير"]


def _frame() -> pl.DataFrame:
    return pl.DataFrame({"title": TITLES, "text": TEXTS},
                        schema={"title": pl.String, "text": pl.String})


def _postings_by_folding_texts(df: pl.DataFrame) -> dict[str, list[int]]:
    """The index computed the plain way: fold each title and text, split on spaces."""
    out: dict[str, set[int]] = {}
    for i, (title, text) in enumerate(zip(df["title"], df["text"], strict=True)):
        for part in (title, text):
            for w in folding.fold(part or "").split(" "):
                if w:
                    out.setdefault(w, set()).add(i)
    return {w: sorted(rows) for w, rows in sorted(out.items())}


@pytest.mark.parametrize("chunk", [1, 3, 4096])
def test_postings_equal_folding_every_text(chunk: int) -> None:
    df = _frame()
    index = search_mod.postings(df, chunk=chunk)
    got = dict(zip(index["word"].to_list(), index["rows"].to_list(), strict=True))
    expected = _postings_by_folding_texts(df)
    assert got == expected
    # tokens that fold into several words, or into a word another token also folds to
    assert expected["الاقتصاد"] == [0] and expected["اقتصاد"] == [2]  # «الاقتصاد ينمو»،وأضاف
    assert expected["واضاف"] == [0] and expected["ينمو"] == [0] and expected["ان"] == [0]
    assert expected["كتاب"] == [1] and expected["وجرس"] == [3] and expected["breaking"] == [2]


def test_search_script_is_the_encoded_index(tmp_path: Path) -> None:
    df = _frame()
    meta = search_mod.save(search_mod.script(df), tmp_path)
    assert meta == {"file": "data/search.js", "words": len(_postings_by_folding_texts(df))}
    assert search_mod.read(tmp_path) == _postings_by_folding_texts(df)


def _shards_with_json_dumps(df: pl.DataFrame) -> dict[str, str]:
    """The shards as the plain code wrote them: rows as Python lists, ``json.dumps``."""
    files, shard, size, n = {}, [], 0, 0
    texts = df["text"].to_list() if "text" in df.columns else [None] * df.height
    for text, extra in zip(texts, rowjson_mod._extras(df), strict=True):
        shard.append([text or "", extra])
        size += len((text or "").encode("utf-8")) + 64
        if size >= site_mod.SHARD_BYTES:
            files[f"text-{n:04d}.js"] = shard
            shard, size, n = [], 0, n + 1
    if shard:
        files[f"text-{n:04d}.js"] = shard
    return {name: f"AKHBAR.shard({int(name[5:9])},"
            f"{json.dumps(rows, ensure_ascii=False, separators=(',', ':'))});\n"
            for name, rows in files.items()}


def _batched(df: pl.DataFrame, rows: int) -> list[pl.DataFrame]:
    return [df.slice(a, rows) for a in range(0, df.height, rows)]


@pytest.mark.parametrize("shard_bytes", [1, 150, 2_000_000])
@pytest.mark.parametrize("batch_rows", [1, 3, 4096])
def test_text_shards_are_what_json_dumps_writes(tmp_path: Path, shard_bytes: int,
                                                batch_rows: int,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Streamed in batches of any size, the shards are those ``json.dumps`` writes of
    the whole frame cut by the running byte count."""
    monkeypatch.setattr(site_mod, "SHARD_BYTES", shard_bytes)
    df = _frame().with_columns(
        pl.Series("url", [f"https://example.org/{i}?q=\"x\"" for i in range(len(TEXTS))]),
        pl.Series("tags", [["سياسة", "اقتصاد"], [], None, ["a\\b"], [], ["ج"], None, []],
                  dtype=pl.List(pl.String)),
        pl.Series("published", [dt.datetime(2015, 7, 23, 10, 5, tzinfo=dt.UTC), None] * 4,
                  dtype=pl.Datetime("us", "UTC")),
        pl.Series("cluster_id", [3, None, 5, 5, None, 1, 2, 2], dtype=pl.Int64),
        pl.Series("crawled", [dt.datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC), None,
                              dt.datetime(2020, 2, 29, 23, 59, 59, 999999, tzinfo=dt.UTC),
                              dt.datetime(1969, 12, 31, tzinfo=dt.UTC)] * 2,
                  dtype=pl.Datetime("us", "UTC")),
        pl.Series("reasons", [["a", None], None, [], ["x\ny", "\"q\""], [None], [], ["ب"],
                              ["c"]], dtype=pl.List(pl.String)),
        pl.Series("author", ["", None, "كاتب\t\x01", "\u2028", "a", "b", None, "d"]),
        pl.Series("stage", [None] * 8, dtype=pl.String))
    starts = site_mod._write_shards(_batched(df, batch_rows), tmp_path)
    written = {p.name: p.read_text(encoding="utf-8") for p in sorted(tmp_path.glob("*.js"))}
    expected = _shards_with_json_dumps(df)
    assert written == expected
    assert len(starts) == len(expected) and starts[0] == 0
    assert (len(starts) == len(TEXTS)) == (shard_bytes == 1)
    if shard_bytes == 150:  # a shard boundary inside a batch and one across batches
        assert 1 < len(starts) < len(TEXTS)


def test_text_shards_of_rows_without_text_columns(tmp_path: Path) -> None:
    df = pl.DataFrame({"id": ["a", "b"]})
    assert site_mod._write_shards([df], tmp_path) == [0]
    assert (tmp_path / "text-0000.js").read_text(encoding="utf-8") == \
        'AKHBAR.shard(0,[["",{}],["",{}]]);\n'
    assert site_mod._write_shards([df.clear()], tmp_path / "none") == []


def test_batches_read_parquet_files_in_bounded_batches(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """:func:`site._batches` reads only the text and extras, file by file in
    :func:`site._files` order, at most BATCH_ROWS rows at a time; a file without those
    columns gives empty rows."""
    monkeypatch.setattr(site_mod, "BATCH_ROWS", 3)
    df = _frame().with_columns(pl.Series("url", [f"u{i}" for i in range(len(TEXTS))]),
                               pl.Series("id", [str(i) for i in range(len(TEXTS))]))
    files = [(tmp_path / "a.parquet", "train"), (tmp_path / "b.parquet", "removed")]
    df.write_parquet(files[0][0])
    pl.DataFrame({"id": ["x", "y"]}).write_parquet(files[1][0])
    monkeypatch.setattr(site_mod, "_files", lambda _: files)
    got = list(site_mod._batches(tmp_path))
    assert [b.height for b in got] == [3, 3, 2, 2]
    assert all("id" not in b.columns and "title" not in b.columns for b in got)
    assert pl.concat(got[:3]).equals(df.select("text", "url"))
    assert got[3]["text"].to_list() == [None, None]


@pytest.mark.parametrize(("batch", "bucket", "step"),
                         [(1, 1, None), (3, 2, None), (4096, 20_000, None), (4096, 20_000, 1),
                          (3, 2, 2), (4096, 20_000, 5)])
def test_streamed_index_equals_one_frame(monkeypatch, tmp_path: Path, batch: int,
                                         bucket: int, step: int | None) -> None:
    """:func:`search.build` over several Parquet files, in batches and word-range
    buckets (each range in pieces of ``step`` pairs or more: whole words), writes exactly
    the bytes :func:`search.script` writes for their rows."""
    from akhbar.explore import streamindex

    if step is not None:
        monkeypatch.setattr(streamindex, "STEP", step)
    df = _frame()
    files = [tmp_path / "a.parquet", tmp_path / "b.parquet", tmp_path / "c.parquet"]
    df.slice(0, 3).write_parquet(files[0])
    df.slice(3, 0).write_parquet(files[1])
    df.slice(3).write_parquet(files[2])
    out = tmp_path / "search.js"
    words = search_mod.build(files, out, batch_rows=batch, bucket_rows=bucket)
    text, expected_words = search_mod.script(df)
    assert out.read_text(encoding="utf-8") == text
    assert words == expected_words == len(_postings_by_folding_texts(df))


def _index_of_one_frame(df: pl.DataFrame, signals: list[str]) -> tuple[dict, dict]:
    """The index computed the plain way (the code before :mod:`rowindex`): every row in
    one frame, each field a Python list."""
    def col(c: str) -> list:
        return df.get_column(c).to_list() if c in df.columns else [None] * df.height

    def vocab(values: list) -> tuple[list, list[int]]:
        v = sorted({x for x in values if x is not None})
        return v, [v.index(x) if x is not None else -1 for x in values]

    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    kinds = ["train", "validation", "test", "removed"]
    kind = [kinds.index(k) for k in col("kind")]
    index: dict = {"id": col("id"), "title": col("title"), "kind": kind}
    vocabs: dict = {}
    for key, name in rowindex_mod.VOCAB_FIELDS.items():
        vocabs[name], index[key] = vocab(col(key))
    index["raw_record"] = col("raw_record")
    index["date"] = [None if t is None else (t - epoch).days for t in col("published")]
    index["detail"] = col("detail")
    for name in signals:
        index[name] = [None if v is None else (round(v, 3) if isinstance(v, float) else v)
                       for v in col(name)]
    first_kept: dict = {}
    for i, (rid, k) in enumerate(zip(col("id"), kind, strict=True)):
        if k < 3 and rid is not None:
            first_kept.setdefault(rid, i)
    index["dup"] = [first_kept.get(d, -1) if d else -1 for d in col("duplicate_of")]
    return index, vocabs


@pytest.mark.parametrize("chunk", [1, 3, 65_536])
def test_index_written_column_by_column_is_what_js_writes(
        tmp_path: Path, chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """:func:`rowindex.write` (one column of one file, one chunk at a time) writes the
    bytes of ``_js`` over the index of all rows in one frame: quotes, backslashes and
    Arabic, columns missing from some files, an integer column that another file stores
    as floats (the frame's supertype), dates before 1970, removed duplicates pointing
    at the first kept row holding their id."""
    monkeypatch.setattr(rowindex_mod, "CHUNK_ROWS", chunk)
    ts = [dt.datetime(2015, 7, 23, 10, 5, tzinfo=dt.UTC), None,
          dt.datetime(1969, 12, 31, 23, 59, tzinfo=dt.UTC), dt.datetime(1970, 1, 1, tzinfo=dt.UTC)]
    kept = _frame().slice(0, 5).with_columns(
        pl.Series("id", ["a", "b", "a", "c", "\\q"]),
        pl.Series("source", ["س", None, "س", "\"q\"", "ب"]),
        pl.Series("published", [*ts, ts[0]], dtype=pl.Datetime("us", "UTC")),
        pl.Series("raw_file", ["f1", "f1", "f2", "f2", None]),
        pl.Series("raw_sha256", ["s1", "s1", "s2", "s2", None]),
        pl.Series("raw_record", [0, 1, 0, 1, 2], dtype=pl.Int64),
        pl.Series("n_words", [3, None, 5, 7, 9], dtype=pl.Int64),
        pl.Series("lang_score", [0.12345, 1.0, None, 0.5, 1e-7]))
    test = kept.slice(0, 2).with_columns(pl.Series("id", ["c", "d"]))
    removed = _frame().slice(3).with_columns(
        pl.Series("id", ["a", "zz", None, "c", "e"]),
        pl.Series("duplicate_of", [None, "a", "zz", "", "c"]),
        pl.Series("reason", ["dedup:exact", "dedup:near", "quality:too-short", "x", "y"]),
        pl.Series("detail", ["تفصيل \"x\"", None, "d", "e", "f"]),
        pl.Series("n_words", [1.23456, None, 3.0, 4.5, 6.0]),
        pl.Series("raw_file", ["f3", None, "f1", "f3", "f3"]),
        pl.Series("raw_sha256", ["s3", None, "s1", "s3", "s3"]))
    files = []
    for name, kind, df in (("train", "train", kept), ("empty", "validation", kept.clear()),
                           ("test", "test", test), ("removed", "removed", removed)):
        files.append((tmp_path / f"{name}.parquet", kind))
        df.write_parquet(files[-1][0])
    signals = ["n_words", "lang_score", "arabic_ratio"]
    whole = pl.concat([df.with_columns(pl.lit(kind).alias("kind"))
                       for df, (_, kind) in zip((kept, kept.clear(), test, removed), files,
                                                strict=True)], how="diagonal_relaxed")
    expected_index, expected_vocabs = _index_of_one_frame(whole, signals)
    rows = rowindex_mod.Rows(files)
    vocabs = rowindex_mod.vocabs(rows)
    assert vocabs == expected_vocabs
    assert rows.height == whole.height == 12
    assert rows.file_sha256(vocabs["files"]) == ["s1", "s2", "s3"]
    meta = {"vocabs": vocabs, "name": "أخبار \\ \"x\""}
    rowindex_mod.write(tmp_path / "index.js", meta, rows, signals)
    assert (tmp_path / "index.js").read_text(encoding="utf-8") == \
        site_mod._js("AKHBAR.load", {"meta": meta, "index": expected_index})
    assert expected_index["dup"] == [-1] * 8 + [0, -1, -1, 3]
    assert expected_index["n_words"][:2] == [3.0, None]  # the supertype of Int64 and Float64
    assert expected_index["date"][:4] == [16639, None, -1, 0]


@pytest.mark.parametrize("weak", [lambda h: h % 3, lambda h: h & np.uint64(1 << 63),
                                  lambda h: h * 0])
def test_numbering_is_exact_when_hashes_collide(weak, monkeypatch: pytest.MonkeyPatch
                                                ) -> None:
    """Strings are numbered through their hashes' high bits, but the strings that share
    them are told apart exactly: with a hash that maps every string to one of three
    values, to two, or to one, each value still gets the number of its own string."""
    real = streamindex_mod._hash
    monkeypatch.setattr(streamindex_mod, "_hash", lambda s: weak(real(s)))
    values = pl.Series("t", ["كلمة", "أخرى", "كلمة", "", "x", "أخرى", "y", "", "كلمة"])
    distinct, at = streamindex_mod._number(values)
    assert distinct.gather(at).to_list() == values.to_list()
    assert sorted(distinct.to_list()) == sorted(set(values.to_list()))


@pytest.mark.parametrize("weak", [lambda h: h % 3, lambda h: h * 0])
def test_streamed_index_is_exact_when_hashes_collide(
        tmp_path: Path, weak, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole streamed index with colliding hashes: the bytes of :func:`search.script`."""
    real = streamindex_mod._hash
    monkeypatch.setattr(streamindex_mod, "_hash", lambda s: weak(real(s)))
    df = _frame()
    files = [tmp_path / "a.parquet", tmp_path / "b.parquet"]
    df.slice(0, 4).write_parquet(files[0])
    df.slice(4).write_parquet(files[1])
    out = tmp_path / "search.js"
    words = search_mod.build(files, out, batch_rows=3, bucket_rows=2)
    text, expected_words = search_mod.script(df)
    assert out.read_text(encoding="utf-8") == text and words == expected_words


@pytest.mark.parametrize("column", [
    pl.Series("host_id", [True, None, False], dtype=pl.Boolean),
    pl.Series("cluster_id", [1.5, None, 2.0]),  # a float: the plain Python path
    pl.Series("published", [dt.datetime(2015, 1, 1, 12), None, dt.datetime(2015, 1, 1)],
              dtype=pl.Datetime("ms")),
    pl.Series("published", [dt.datetime(2015, 1, 1, 12, tzinfo=dt.UTC), None, None],
              dtype=pl.Datetime("us", "Asia/Riyadh")),  # another zone: Python path
    pl.Series("url", [None, None, None], dtype=pl.String),
])
def test_row_json_of_other_column_types(column: pl.Series) -> None:
    """Each row's ``[text,extras]`` is ``json.dumps`` of the row, whatever the extras'
    types (those the expressions do not cover take the plain path)."""
    df = pl.DataFrame({"text": ["نص", None, "a\"b"]}).with_columns(column)
    rows, sizes = rowjson_mod.rows(df)
    expected = [json.dumps([t or "", e], ensure_ascii=False, separators=(",", ":"))
                for t, e in zip(df["text"], rowjson_mod._extras(df), strict=True)]
    assert rows.to_list() == expected
    assert sizes == [len((t or "").encode()) for t in df["text"]]


def test_signal_rounding_is_pythons_round() -> None:
    """The index's signals are Python's ``round(v, 3)`` of each float (vectorized, with
    Python's own rounding where the vectorized one could differ): halves and values a
    few ulps off them, negative zero, huge values, NaN, infinities and nulls."""
    rng = np.random.default_rng(7)
    halves = (np.arange(-3000, 3000) + 0.5) / 1000
    near = np.concatenate([np.nextafter(halves, np.inf), np.nextafter(halves, -np.inf),
                           np.nextafter(np.nextafter(halves, np.inf), np.inf)])
    values = np.concatenate([halves, near, rng.random(20_000) * 10, rng.normal(0, 1e-3, 500),
                             [2.675, 1.0005, 0.1235, -0.0004, 1e15 + 0.5, 1e300, np.inf,
                              -np.inf, np.nan, 0.0, -0.0]])
    s = pl.Series("v", values).scatter([3, 10], None)
    got = rowindex_mod._num(s)
    expected = [None if v is None else round(v, 3) for v in s.to_list()]
    assert json.dumps(got) == json.dumps(expected)
    assert rowindex_mod._num(pl.Series("n", [1, None, 3])) == [1, None, 3]
