"""Benchmark a full build (ingest → card) on a raw corpus or on a synthetic one.

    .venv/bin/python scripts/benchmark.py --raw ../shared/corpora/saudinewsnet --json r.json
    .venv/bin/python scripts/benchmark.py --synthetic 300000 --synthetic-dir /tmp/syn300k
    /usr/bin/time -v .venv/bin/python scripts/benchmark.py --raw ../shared/corpora/saudinewsnet

Prints wall time, rows/s, MB/s, peak RSS and output size per stage and in total, and the
reference (datatrove: 643 s on SaudiNewsNet; target ≤ 64 s).
"""

import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from akhbar.bench import main

if __name__ == "__main__":
    sys.exit(main())
