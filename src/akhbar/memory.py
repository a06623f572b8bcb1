"""Allocator settings that keep a build's resident memory near what it actually holds.

Why: a build runs eight stages in one process, each with a few worker threads (polars'
pool, the language-id thread, the Parquet writer threads). Three allocators share that
process, and each keeps freed memory mapped by default:

* glibc's malloc (numpy, Python's larger objects) gives threads arenas of their own, up to
  eight per core; a stage that starts a thread per batch spreads its temporaries over all
  of them, and their free pages stay in the RSS. The quality stage alone on 300,000
  synthetic articles rose from 500 MB to 1,000-1,250 MB over its 60 batches this way; with
  two arenas it stayed at 570-820 MB. SaudiNewsNet's whole-build peak: 0.83-0.86 GB with
  both settings here, 1.19-1.25 GB with neither.
* Arrow's default memory pool (mimalloc in the pyarrow wheels) keeps freed pages for a
  while: SaudiNewsNet's whole-build peak was 1.19-1.25 GB, 1.03-1.09 GB with them purged
  at once (about 4 % more time).
* polars' jemalloc decays its free pages over 10 s; purging them at once cost ~10 % more
  time for little, so it keeps its default.

:func:`tune` runs on ``import akhbar``, before pyarrow is loaded (mimalloc reads its
options then) and before any stage thread exists (glibc applies the arena limit to arenas
created later). Values the user set in the environment win. :func:`release` hands the heap a
stage freed back to the system between stages.
"""

from __future__ import annotations

import ctypes
import functools
import os
from collections.abc import MutableMapping
from typing import Any

#: glibc's ``mallopt`` parameter number for the arena limit (``malloc.h``: ``M_ARENA_MAX``).
M_ARENA_MAX = -8


def arena_max() -> int:
    """One glibc arena per core (at least two): threads on different cores rarely wait for
    each other's arena, and no more arenas exist than can be busy at once."""
    return max(2, os.cpu_count() or 2)


def tune(environ: MutableMapping[str, str] = os.environ) -> None:
    """Set the allocator options above unless the user set them (children inherit them)."""
    environ.setdefault("MIMALLOC_PURGE_DELAY", "0")
    if "MALLOC_ARENA_MAX" not in environ:
        environ["MALLOC_ARENA_MAX"] = str(arena_max())  # child processes read it at start
        mallopt = _libc_function("mallopt")
        if mallopt is not None:  # this process read its environment before we set it
            mallopt(M_ARENA_MAX, arena_max())


def release() -> None:
    """Give the heap a stage freed back to the system before the next one: freed arena
    memory stays in the RSS otherwise (SaudiNewsNet: the main process's peak in collect fell
    from 873 to 699 MB with this, in the card from 1,455 to 1,349 MB). No library exposes
    ``malloc_trim``; off glibc this does nothing."""
    trim = _libc_function("malloc_trim")
    if trim is not None:
        trim(0)


@functools.cache
def _libc_function(name: str) -> Any:
    """The C library's function ``name`` (from the symbols the process already has, so no
    ``ldconfig`` subprocess as ``ctypes.util.find_library`` would start), looked up once;
    ``None`` where the C library has no such function."""
    try:
        return getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):
        return None
