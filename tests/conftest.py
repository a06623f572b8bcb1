"""Shared test setup: offline Hugging Face, paths to the sample and to ../shared."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
# the suite builds hundreds of times in one process: keep the warmed GX worker between builds
os.environ.setdefault("AKHBAR_KEEP_GX_WORKER", "1")

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "raw" / "sample"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    if not SAMPLE.is_dir():
        pytest.fail(f"{SAMPLE} is missing: it is DVC-tracked, run `dvc pull data/raw.dvc` "
                    "(`make test` does)")
    return SAMPLE


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent (the shared corpora are optional)")
    return SHARED
