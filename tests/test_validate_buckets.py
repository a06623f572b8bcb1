"""The local build's keys and leakage suites bucket by bucket (akhbar.validate_buckets):
the same validation.json bytes as the one-frame path, on a dataset whose keys fail every
check in several buckets, splits and files, and on a clean one."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from akhbar import validate, validate_buckets
from akhbar.distributed import keys as dkeys
from keys_fixture import broken
from test_validate import Fixture, write_dataset

ROWS = 26  # keys_fixture's dataset


@pytest.fixture
def params() -> dict[str, Any]:
    from akhbar import params as params_mod

    p = params_mod.defaults()
    p["validate"].update(data_docs=False, batch_size=4)
    return p


def _both(data: Path, params: dict[str, Any], tmp_path: Path, bucket_rows: int,
          monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, int]:
    one = validate.run(data, params, reports_dir=tmp_path / "one")
    calls: list[int] = []
    real = dkeys.check_bucket
    monkeypatch.setattr(dkeys, "check_bucket",
                        lambda work, b, p: calls.append(b) or real(work, b, p))
    monkeypatch.setattr(validate_buckets, "BUCKET_ROWS", bucket_rows)
    got = validate.run(data, params, reports_dir=tmp_path / "buckets")
    assert (tmp_path / "buckets" / "validation.json").read_bytes() == (
        tmp_path / "one" / "validation.json").read_bytes()
    assert not list(data.parent.glob(".akhbar-keys-*")), "the bucket folder is removed"
    return one, got, len(calls)


@pytest.mark.parametrize("bucket_rows", [4, 9, 25])
def test_failing_keys_in_buckets_equal_one_frame(params, tmp_path: Path, bucket_rows: int,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    data = write_dataset(tmp_path / "ds", broken())
    one, got, checked = _both(data, params, tmp_path, bucket_rows, monkeypatch)
    assert checked == math.ceil(ROWS / bucket_rows)  # the bucket path did run
    assert got.report == one.report
    keys = {c["check"]: c for c in one.report["suites"]["keys"]["expectations"]}
    assert keys["id_unique"]["unexpected_count"] == 14
    assert keys["url_unique"]["unexpected_count"] == 6
    leaks = {c["check"]: c for c in one.report["suites"]["leakage"]["expectations"]}
    assert not any(c["success"] for c in leaks.values())


def test_clean_keys_in_buckets_equal_one_frame(params, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    data = write_dataset(tmp_path / "ds", Fixture())
    one, got, checked = _both(data, params, tmp_path, 3, monkeypatch)
    assert checked > 1
    assert got.report["suites"]["keys"] == one.report["suites"]["keys"]
    assert all(c["success"] for c in one.report["suites"]["keys"]["expectations"])


def test_small_datasets_keep_one_frame(params, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "ds", broken())
    plan = validate.parts(data, params)
    assert validate_buckets.buckets_for(plan) == 0  # 26 rows, far below BUCKET_ROWS
