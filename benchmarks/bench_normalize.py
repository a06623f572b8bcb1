"""Throughput of the Arabic normalization chain on SaudiNewsNet article bodies.

Prints MB/s (UTF-8 bytes of input per second of wall time) for ``normalize_expr`` alone,
with change counting (``normalize_frame``, what the clean stage runs) and for ``fold_expr``.
Run: ``.venv/bin/python benchmarks/bench_normalize.py [--zips N] [--repeat R]``.
Skips with a message when ../shared is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zipfile
from pathlib import Path

import polars as pl

from akhbar.folding import fold_expr
from akhbar.text import build_yeh_evidence, normalize_expr, normalize_frame

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpora" / "saudinewsnet"


def load_contents(n_zips: int) -> pl.Series:
    """The ``content`` field of the first ``n_zips`` crawl days."""
    texts: list[str] = []
    for path in sorted(CORPUS.glob("*.zip"))[:n_zips]:
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                texts.extend(r.get("content") or "" for r in json.loads(zf.read(name)))
    return pl.Series("text", texts, dtype=pl.String)


def timed(label: str, mb: float, repeat: int, fn) -> None:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    print(f"{label:<38} {mb / best:8.1f} MB/s  ({best:.2f} s for {mb:.1f} MB, best of {repeat})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--zips", type=int, default=18, help="crawl days to load (max 18)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if not CORPUS.is_dir():
        print(f"skipped: {CORPUS} is absent (SaudiNewsNet is needed for this benchmark)")
        return 0
    texts = load_contents(args.zips)
    df = pl.DataFrame({"text": texts})
    mb = texts.str.len_bytes().sum() / 1e6
    print(f"{len(texts)} articles, {mb:.1f} MB of UTF-8 text, polars {pl.__version__}, "
          f"{pl.thread_pool_size()} threads")
    evidence = build_yeh_evidence(texts)
    timed("normalize_expr (no evidence)", mb, args.repeat,
          lambda: df.select(normalize_expr(pl.col("text"))))
    timed(f"normalize_expr ({len(evidence)} evidence words)", mb, args.repeat,
          lambda: df.select(normalize_expr(pl.col("text"), evidence)))
    timed("normalize_frame (with counts)", mb, args.repeat,
          lambda: normalize_frame(df, "text", evidence))
    timed("build_yeh_evidence", mb, args.repeat, lambda: build_yeh_evidence(texts))
    timed("fold_expr", mb, args.repeat, lambda: df.select(fold_expr(pl.col("text"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
