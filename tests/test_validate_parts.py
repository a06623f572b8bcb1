"""Validation as a map over parts and a merge (akhbar.validate_parts): however the
published rows are cut, and wherever the parts run (here, or pickled as a cluster task
would return them), the merged report is the bytes of one pass; faults spread over
several parts keep their first example ids in row order and their counts add up."""

from __future__ import annotations

import copy
import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from akhbar import validate
from akhbar import validate_parts as vp
from test_validate import Fixture, _copy_key, write_dataset


def _faulty() -> Fixture:
    """Tatweel inside a word in six rows across every split (more than five examples),
    and a text shared by train and test (leakage across parts)."""
    fx = Fixture()
    for _split, rows in fx.articles.items():
        for row in rows[:2]:
            row["text"] = row["text"].replace("مدينة", "مديـنة", 1)
    _copy_key("text")(fx)
    return fx


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory, params) -> Path:
    return write_dataset(tmp_path_factory.mktemp("parts"), _faulty())


@pytest.fixture(scope="module")
def params() -> dict[str, Any]:
    from akhbar import params as params_mod

    p = params_mod.defaults()
    p["validate"]["data_docs"] = False
    return p


def _with_batch(params: dict[str, Any], rows: int) -> dict[str, Any]:
    p = copy.deepcopy(params)
    p["validate"]["batch_size"] = rows
    return p


def test_plan_cuts_by_rows_and_never_pools_files_of_other_columns(faulty, params) -> None:
    parts = validate.parts(faulty, _with_batch(params, 2))
    assert all(sum(s.stop - s.start for s in part) <= 2 for part in parts)
    covered = [(Path(s.path).name, r) for part in parts for s in part
               for r in range(s.start, s.stop)]
    assert len(covered) == len(set(covered)) == 8  # every published row exactly once
    assert next(s.split for part in parts for s in part) == "train"
    pooled = validate.parts(faulty, _with_batch(params, 100))
    assert len(pooled) == 1 and len(pooled[0]) == 4  # 4 files of one schema, one part


def test_report_does_not_depend_on_the_cut(faulty, params, tmp_path: Path) -> None:
    reports = {}
    for rows in (1, 3, 100):
        result = validate.run(faulty, _with_batch(params, rows),
                              reports_dir=tmp_path / str(rows))
        assert not result.ok
        reports[rows] = (tmp_path / str(rows) / "validation.json").read_bytes()
    assert reports[1] == reports[3] == reports[100]
    report = json.loads(reports[1])
    checks = {c["check"]: c for c in report["suites"]["text_quality"]["expectations"]}
    tatweel = checks["text_no_tatweel"]
    assert tatweel["unexpected_count"] == 6 and len(tatweel["examples"]) == 5
    assert tatweel["element_count"] == 8
    leak = {c["check"]: c for c in report["suites"]["leakage"]["expectations"]}
    assert not leak["no_text_in_two_splits"]["success"]
    assert leak["no_id_in_two_splits"]["success"]


def test_parts_merged_elsewhere_equal_the_local_run(faulty, params, tmp_path: Path) -> None:
    """What a Dask task returns (pickled), merged in another order of arrival but
    handed over in part order, gives the local bytes."""
    p = _with_batch(params, 2)
    validate.run(faulty, p, reports_dir=tmp_path / "local")
    parameters = validate.suite_parameters(p)
    parts = validate.parts(faulty, p)
    done = {i: pickle.loads(pickle.dumps(vp.validate_part(part, parameters)))
            for i, part in reversed(list(enumerate(parts)))}
    validate.finish(faulty, p, [done[i] for i in range(len(parts))],
                    reports_dir=tmp_path / "merged")
    assert (tmp_path / "merged" / "validation.json").read_bytes() == (
        tmp_path / "local" / "validation.json").read_bytes()


def test_leakage_pairs_reduce_associatively() -> None:
    import pyarrow as pa

    rows = pa.table({"_k": ["a", "a", "b", "a", None], "split": ["train", "train", "test",
                                                                 "test", "test"],
                     "id": ["3", "1", "2", "4", "5"]})
    whole = vp.distinct_pairs(rows)
    halves = vp.distinct_pairs(pa.concat_tables([vp.distinct_pairs(rows.slice(0, 2)),
                                                 vp.distinct_pairs(rows.slice(2))]))
    key = [("_k", "ascending"), ("split", "ascending")]
    assert whole.sort_by(key).to_pylist() == halves.sort_by(key).to_pylist() == [
        {"_k": "a", "split": "test", "id": "4"}, {"_k": "a", "split": "train", "id": "1"},
        {"_k": "b", "split": "test", "id": "2"}]
