"""The ``keys`` and ``leakage`` suites as cluster aggregations (akhbar.distributed.keys,
akhbar.distributed.leakage): key rows (leakage pairs) hashed to buckets on the workers,
GX per bucket, outcomes folded in the driver, give the bytes of GX on the whole frame,
with failures whose examples come from several buckets, splits and files (more than five
of them: the first five in the frame's order must be kept)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from akhbar import validate
from akhbar.schema import SPLITS
from keys_fixture import broken as _broken
from test_validate import Fixture, write_dataset

distributed = pytest.importorskip(
    "distributed", reason='the "distributed" extra is not installed (uv sync --extra distributed)')

from akhbar.distributed import keys as dkeys  # noqa: E402
from akhbar.distributed import leakage as dleakage  # noqa: E402
from akhbar.distributed import validate as dvalidate  # noqa: E402


@pytest.fixture(scope="module")
def params() -> dict[str, Any]:
    from akhbar import params as params_mod

    p = params_mod.defaults()
    p["validate"].update(data_docs=False, batch_size=4)
    return p


@pytest.fixture(scope="module")
def client():
    # one in-process worker thread: GX's context is one per process and not thread-safe
    # (tests/test_distributed.py runs the same tasks on two worker processes)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as lc, distributed.Client(lc) as c:
        yield c


@pytest.mark.parametrize("buckets", [1, 3, 16])
def test_keys_checked_in_buckets_equal_one_frame(client, params, tmp_path: Path,
                                                 buckets: int) -> None:
    data = write_dataset(tmp_path / "ds", _broken())
    local = validate.run(data, params, reports_dir=tmp_path / "local")
    p = copy.deepcopy(params)
    p["executor"]["partitions"] = buckets
    with distributed.get_task_stream(client=client) as stream:
        dist = dvalidate.run(client, data, p, reports_dir=tmp_path / "dist")
    assert (tmp_path / "dist" / "validation.json").read_bytes() == (
        tmp_path / "local" / "validation.json").read_bytes()
    assert dist.report == local.report
    ran = [t["key"].split("-")[0] for t in stream.data]
    assert ran.count("keys_bucket") == buckets and "validate_part" in ran
    assert ran.count("leakage_bucket") == buckets
    checks = {c["check"]: c for c in local.report["suites"]["keys"]["expectations"]}
    assert checks["id_unique"]["unexpected_count"] == 14
    # the first five rows with a repeated id are rows 0, 1 (a000), 2, 3 and 5 (a025, whose
    # first copy is row 25, in another split and bucket); GX lists each id once
    assert checks["id_unique"]["examples"] == ["a000", "a002", "a003", "a025"]
    assert checks["url_unique"]["unexpected_count"] == 6
    assert checks["id_not_null"]["unexpected_count"] == 2
    assert all(e.endswith(".parquet#1") or e.endswith(".parquet#0")
               for e in checks["id_not_null"]["examples"])
    assert checks["dataset_not_empty"]["success"]
    assert not list(tmp_path.glob(".akhbar-keys-*")), "the bucket files are removed"
    leaks = {c["check"]: c for c in local.report["suites"]["leakage"]["expectations"]}
    # every kind of key leaks, with more unexpected rows than examples for texts
    assert not any(c["success"] for c in leaks.values())
    assert leaks["no_text_in_two_splits"]["unexpected_count"] > 5
    assert len(leaks["no_text_in_two_splits"]["examples"]) == 5
    # six clusters in two splits each: two (key, split) rows each
    assert leaks["no_cluster_in_two_splits"]["unexpected_count"] == 2 * 6
    # s-alpha is in the three splits; s-beta and s-gamma stay in one split each
    assert leaks["no_story_in_two_splits"]["unexpected_count"] == 3


def test_an_empty_dataset_fails_the_same_way(client, params, tmp_path: Path) -> None:
    fx = Fixture(articles={s: [] for s in SPLITS})
    data = write_dataset(tmp_path / "ds", fx)
    local = validate.run(data, params, reports_dir=tmp_path / "local")
    dist = dvalidate.run(client, data, params, reports_dir=tmp_path / "dist")
    assert dist.report["suites"]["keys"] == local.report["suites"]["keys"]
    checks = {c["check"]: c for c in local.report["suites"]["keys"]["expectations"]}
    assert not checks["dataset_not_empty"]["success"]


def test_only_foldable_suites_are_bucketed() -> None:
    from akhbar.expectations_suites import suite_dicts

    suites = suite_dicts()
    assert dkeys.supported(dkeys.suite_dict()) and dkeys.supported(suites["keys"])
    assert not dkeys.supported(suites["leakage"])
    assert dleakage.supported(dkeys.suite_dict("leakage"))
    assert not dleakage.supported(suites["keys"])
    other = copy.deepcopy(suites["leakage"])
    other["expectations"][0]["type"] = "expect_column_values_to_not_be_null"
    assert not dleakage.supported(other)
