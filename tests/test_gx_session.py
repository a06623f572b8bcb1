"""How rows are fed to Great Expectations (akhbar.gx_session): cut into narrow frames per
group of expectations, BASIC first and SUMMARY only for a failed group, numbers as numpy
where that is exact. Whatever the feeding, the results must be the ones GX gives for the
whole suite on the whole frame in SUMMARY (the way it was run before): same checks in the
same order, same success, counts and example ids, on rows with faults, nulls and NaN."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from akhbar import validate
from akhbar import validate_parts as vp
from akhbar.expectations_report import MAX_EXAMPLES, Tally
from akhbar.expectations_suites import load_suites
from akhbar.gx_session import gx, pandas_frame

UTC = dt.UTC
WORDS = ["أعلنت", "الوزارة", "اليوم", "عن", "افتتاح", "مشروع", "جديد", "للمياه", "في", "المدينة"]


def _text(i: int) -> str:
    words = [WORDS[(i + k) % len(WORDS)] for k in range(12)]
    return " ".join(words[:6]) + ".\n" + " ".join(words[6:]) + "."


def _rows(n: int) -> dict[str, list[Any]]:
    stamp = dt.datetime(2015, 3, 1, tzinfo=UTC)
    return {
        "id": [f"a{i:03d}" for i in range(n)],
        "title": [f"خبر رقم {i}" for i in range(n)],
        "text": [_text(i) for i in range(n)],
        "arabic_ratio": [0.95] * n,
        "published": [stamp - dt.timedelta(hours=i) for i in range(n)],
        "crawled": [stamp] * n,
        "n_words": [12] * n,
        "mean_word_length": [4.5] * n,
        "dup_line_frac": [0.0] * n,
        "top_ngram_frac": [0.1] * n,
        "punct_line_ratio": [1.0] * n,
        "lang": ["ar"] * n,
        "lang_score": [0.99] * n,
    }


def _table(rows: dict[str, list[Any]]) -> pa.Table:
    from akhbar.schema import ARTICLE_SCHEMA

    fields = [ARTICLE_SCHEMA.field(c) for c in rows]
    table = pa.table({c: pa.array(v, f.type) for (c, v), f in zip(rows.items(), fields,
                                                                  strict=True)})
    return vp._with_loc(table, "part.parquet", 0)


def _faulty() -> pa.Table:
    """Faults of every kind of column, more than five on one check, nulls in a title
    (GX filters the frame by it) and in published (the pair check skips the row)."""
    rows = _rows(12)
    for i in (1, 3, 4, 6, 8, 10, 11):  # seven tatweels: five examples kept
        rows["text"][i] = rows["text"][i].replace("المدينة", "المديـنة")
    rows["title"][2] = None
    rows["title"][5] = "<b>خبر</b>"
    rows["published"][7] = None
    rows["published"][9] = dt.datetime(2016, 1, 1, tzinfo=UTC)  # after crawled
    rows["n_words"][0] = 2
    rows["lang_score"][4] = None
    rows["lang"][6] = "fa"
    rows["id"][11] = None  # named by loc
    return _table(rows)


def _reference(table: pa.Table, parameters: dict[str, Any]) -> dict[str, Any]:
    """The tally of the row suites as GX gives it for each whole suite on one frame of
    every column (Arrow-backed), in SUMMARY with the example ids."""
    g, suites, tally = gx(), load_suites(), Tally()
    frame = table.to_pandas(types_mapper=pd.ArrowDtype)
    batch = g.batch_definition.get_batch(batch_parameters={"dataframe": frame})
    fmt = {"result_format": "SUMMARY", "partial_unexpected_count": MAX_EXAMPLES,
           "unexpected_index_column_names": vp.INDEX}
    for name in vp.ROW_SUITES:
        tally.add_gx(name, batch.validate(suites[name], expectation_parameters=parameters,
                                          result_format=fmt))
    return tally.report()


@pytest.fixture(scope="module")
def parameters() -> dict[str, Any]:
    from akhbar import params as params_mod

    return validate.suite_parameters(params_mod.defaults())


@pytest.mark.parametrize("make", [_faulty, lambda: _table(_rows(9))], ids=["faulty", "good"])
def test_fed_in_groups_equals_gx_on_the_whole_frame(make, parameters) -> None:
    table = make()
    got = vp.rows_tally(table, parameters).report()
    assert got == _reference(table, parameters)
    if make is _faulty:
        checks = {c["check"]: c for s in got["suites"].values() for c in s["expectations"]}
        failed = {name for name, c in checks.items() if not c["success"]}
        assert failed == {"text_no_tatweel", "title_no_html", "filter_min_max_words",
                          "lang_score_not_null", "filter_language",
                          "published_not_after_crawled"}
        assert checks["text_no_tatweel"]["unexpected_count"] == 7
        assert checks["text_no_tatweel"]["examples"] == ["a001", "a003", "a004", "a006",
                                                         "a008"]
        assert checks["filter_language"]["examples"] == ["a006"]
        assert checks["title_no_html"]["element_count"] == 12


def test_plan_follows_gx_order_and_reads_only_its_columns() -> None:
    suites = load_suites()
    keys = gx().plan(suites["keys"])
    assert [cols for cols, _ in keys] == [None, ("id",), ("url",)]  # row count: whole table
    assert [[e.meta["check"] for e in sub.expectations] for _, sub in keys] == [
        ["dataset_not_empty"], ["id_not_null", "id_unique"], ["url_unique"]]
    dates = gx().plan(suites["dates"])
    assert [cols for cols, _ in dates] == [("published",), ("crawled",),
                                            ("crawled", "published")]
    schema = gx().plan(suites["schema_splits"])
    assert [cols for cols, _ in schema] == [None]  # column_list is the expected list here
    assert gx().plan(suites["keys"]) is keys  # built once per suite object


def test_numbers_become_numpy_only_where_exact() -> None:
    stamp = dt.datetime(2015, 3, 1, tzinfo=UTC)
    table = pa.table({
        "f": pa.array([0.5, None], pa.float64()),
        "f_nan": pa.array([0.5, math.nan], pa.float32()),
        "i": pa.array([1, 2], pa.int64()),
        "i_null": pa.array([1, None], pa.int32()),
        "t": pa.array([stamp, None], pa.timestamp("us", tz="UTC")),
        "naive": pa.array([stamp.replace(tzinfo=None), None], pa.timestamp("us")),
        "s": pa.array(["نص", None], pa.string()),
    })
    frame = pandas_frame(table)
    assert frame["f"].dtype == "float64" and frame["f"].isna().tolist() == [False, True]
    assert frame["i"].dtype == "int64"
    assert frame["t"].dtype == pd.DatetimeTZDtype("us", "UTC")
    assert frame["t"].isna().tolist() == [False, True]
    for kept in ("i_null", "naive", "s"):
        assert isinstance(frame[kept].dtype, pd.ArrowDtype), kept
    # a NaN is a value for Arrow and a null for numpy: not converted, so a range check
    # still sees it; the rule is per Arrow type (types_mapper), so a column of the same
    # type stays Arrow too
    assert isinstance(frame["f_nan"].dtype, pd.ArrowDtype)
    assert frame["f_nan"].isna().tolist() == [False, False]
    both = pandas_frame(table.append_column("g", pa.array([1.0, 2.0], pa.float32())))
    assert isinstance(both["f_nan"].dtype, pd.ArrowDtype)
    assert isinstance(both["g"].dtype, pd.ArrowDtype) and both["g"].isna().sum() == 0
