"""Language id on a real corpus: akhbar.langid's batched walk against py3langid text by
text, on every row, with CPU seconds of each.

Usage: ``.venv/bin/python benchmarks/langid_exact.py CLEANED_DIR [--prefix 300]``
(``CLEANED_DIR``: the clean stage's output parts, e.g. ``<work>/cleaned`` of
``akhbar build --work``). Prints the number of rows, how many answers differ (must be 0:
label and probability compared exactly) and the CPU seconds of both.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import polars as pl

from akhbar import langid, quality


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("cleaned", type=Path)
    ap.add_argument("--prefix", type=int, default=300)
    args = ap.parse_args()
    text = pl.read_parquet(args.cleaned / "*.parquet", columns=["text"]).get_column("text")
    prose = quality.prose(text)
    prefixes = prose.str.slice(0, args.prefix).to_list()
    langid.classify(prefixes[:10])  # load the model outside the timings
    t0 = time.process_time()
    batched = langid.classify(prefixes)
    t1 = time.process_time()
    one_by_one = [langid.classify_one(t) for t in prefixes]
    t2 = time.process_time()
    differ = sum(a != b for a, b in zip(batched, one_by_one, strict=True))
    print(json.dumps({"rows": len(prefixes), "differ": differ,
                      "cpu_batched_s": round(t1 - t0, 2), "cpu_py3langid_s": round(t2 - t1, 2)}))


if __name__ == "__main__":
    main()
