"""Benchmark a full build (ingest → card) on a raw corpus or on a synthetic one.

    .venv/bin/python scripts/benchmark.py --raw ../shared/corpora/saudinewsnet --json r.json
    .venv/bin/python scripts/benchmark.py --synthetic 300000 --synthetic-dir /tmp/syn300k
    /usr/bin/time -v .venv/bin/python scripts/benchmark.py --raw ../shared/corpora/saudinewsnet

Prints wall and CPU seconds, rows/s, MB/s, peak RSS and output size per stage and in total,
and the reference (issue 16: datatrove 539 s on SaudiNewsNet; target ≤ 25 s). Same as
``akhbar bench``.
"""

import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from akhbar_dev.bench import main

if __name__ == "__main__":
    sys.exit(main())
