"""`import akhbar` asks Arrow's mimalloc pool to return freed pages at once (peak RSS, issue 16)."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = "import os, akhbar; print(os.environ.get('MIMALLOC_PURGE_DELAY'))"


def _probe(env_extra: dict[str, str]) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "MIMALLOC_PURGE_DELAY"}
    env.update(env_extra)
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, check=True,
                         capture_output=True, text=True).stdout
    return out.split()


def test_import_sets_the_purge_delay() -> None:
    assert _probe({}) == ["0"]


def test_a_value_the_user_set_wins() -> None:
    assert _probe({"MIMALLOC_PURGE_DELAY": "250"}) == ["250"]
