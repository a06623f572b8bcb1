"""Allocator settings (`akhbar.memory`): set on import unless the user set them, and
`release` really hands freed heap back to the system (peak RSS, issue 16)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from akhbar import memory

KEYS = ("MIMALLOC_PURGE_DELAY", "MALLOC_ARENA_MAX")
PROBE = ("import os, akhbar; "
         "print(os.environ.get('MIMALLOC_PURGE_DELAY'), os.environ.get('MALLOC_ARENA_MAX'))")


def _run(code: str, env_extra: dict[str, str] | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if k not in KEYS}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-c", code], env=env, check=True,
                          capture_output=True, text=True).stdout.strip()


def test_import_sets_both_options() -> None:
    assert _run(PROBE).split() == ["0", str(memory.arena_max())]


def test_values_the_user_set_win() -> None:
    out = _run(PROBE, {"MIMALLOC_PURGE_DELAY": "250", "MALLOC_ARENA_MAX": "7"})
    assert out.split() == ["250", "7"]


def test_tune_on_a_mapping() -> None:
    env: dict[str, str] = {"MALLOC_ARENA_MAX": "3"}
    memory.tune(env)
    assert env == {"MALLOC_ARENA_MAX": "3", "MIMALLOC_PURGE_DELAY": "0"}
    assert memory.arena_max() >= 2


RELEASE = """
import psutil
from akhbar import memory
proc = psutil.Process()
blocks = [bytes(4000) + bytes([i % 251]) for i in range(60_000)]  # ~240 MB of glibc heap
kept = blocks[::64]        # one block in 64 survives: the free space is full of holes
del blocks
before = proc.memory_info().rss
memory.release()
print(before - proc.memory_info().rss)
"""


@pytest.mark.skipif(memory._libc_function("malloc_trim") is None,
                    reason="the C library has no malloc_trim (not glibc)")
def test_release_returns_a_fragmented_heap() -> None:
    freed = int(_run(RELEASE))
    assert freed > 100 * 2**20, f"release() gave back only {freed / 2**20:.0f} MiB"
