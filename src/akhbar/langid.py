"""Language id with py3langid, spread over all cores.

Why a module of its own: py3langid walks a byte automaton in pure Python (no columnar
form exists), which makes it the one per-row cost of the filter stage. Worker processes
are started with ``spawn`` and import only this module and py3langid (never polars,
whose thread pool must not be forked), once per build, and receive chunks of text
prefixes. Results are returned in input order, so output does not depend on scheduling.
"""

from __future__ import annotations

import atexit
import multiprocessing as mp
import os
import re
import sys
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from typing import Any

_LETTER = re.compile(r"[^\W\d_]")
#: Below this many texts a batch is classified in-process (a pool round trip costs more).
MIN_PARALLEL = 2000
_POOL: ProcessPoolExecutor | None = None


@lru_cache(maxsize=1)
def _identifier() -> Any:
    """py3langid with normalized probabilities; the model ships inside the wheel."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def classify_many(texts: list[str]) -> list[tuple[str, float]]:
    """(language, probability) per text; ``und``/0.0 for a text without letters
    (py3langid would answer a uniform guess)."""
    ident = _identifier()
    out: list[tuple[str, float]] = []
    for text in texts:
        if _LETTER.search(text):
            lang, score = ident.classify(text)
            out.append((lang, float(score)))
        else:
            out.append(("und", 0.0))
    return out


def _workers() -> int:
    """Cores available, or 1 when worker processes cannot be spawned: inside a daemonic
    process (a Dask worker, already one process per core) or when ``spawn`` could not
    re-import the main module (code read from stdin or typed in a REPL)."""
    if mp.current_process().daemon:
        return 1
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if not main_file or not os.path.exists(main_file):
        return 1
    return max(1, len(os.sched_getaffinity(0)))


def _pool() -> ProcessPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ProcessPoolExecutor(max_workers=_workers(),
                                    mp_context=mp.get_context("spawn"))
        atexit.register(_POOL.shutdown, wait=False, cancel_futures=True)
    return _POOL


def classify(texts: list[str]) -> list[tuple[str, float]]:
    """Classify ``texts``, in parallel over all cores when the batch is large enough."""
    workers = _workers()
    if workers == 1 or len(texts) < MIN_PARALLEL:
        return classify_many(texts)
    size = -(-len(texts) // (workers * 4))
    chunks = [texts[i:i + size] for i in range(0, len(texts), size)]
    out: list[tuple[str, float]] = []
    for part in _pool().map(classify_many, chunks):
        out.extend(part)
    return out
