"""CPU seconds, wall seconds and peak RSS of the clean stage alone, on a parsed table.

Usage::

    .venv/bin/python benchmarks/bench_clean.py PARSED_DIR OUT_DIR [--baseline WORK_DIR]

``PARSED_DIR`` is a build's ``parsed/`` folder (e.g. ``/work/base/snn-work/parsed``, or
``akhbar build --work`` of a synthetic corpus). With ``--baseline`` (a build's work folder
holding ``cleaned/``, ``rejected/clean.parquet`` and ``stats/clean.json``) it compares the
output bytes file by file: a speed change must leave them identical. CPU seconds (this
process, all threads) are the figure to compare on a shared machine; the load average is
printed with the wall time.
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import shutil
import time
from pathlib import Path

from akhbar import clean, params


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("parsed", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--baseline", type=Path)
    args = ap.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    cpu0, wall0 = _cpu(), time.perf_counter()
    report = clean.run(args.parsed, args.out / "cleaned", args.out / "rejected" / "clean.parquet",
                       params.load())
    cpu, wall = _cpu() - cpu0, time.perf_counter() - wall0
    report.write(args.out / "stats" / "clean.json")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"clean: {report.rows_in} rows in, {report.rows_out} out; CPU {cpu:.2f} s, "
          f"wall {wall:.2f} s (load average {load}), peak RSS {rss:.0f} MB")
    if args.baseline is None:
        return
    names = ["stats/clean.json", "rejected/clean.parquet",
             *(str(f.relative_to(args.baseline))
               for f in sorted((args.baseline / "cleaned").glob("*.parquet")))]
    same = [(args.out / n).exists() and _sha(args.out / n) == _sha(args.baseline / n)
            for n in names]
    for name, ok in zip(names, same, strict=True):
        print(f"  {name}: {'identical' if ok else 'DIFFERS'}")
    print("output identical to the baseline" if all(same) else "OUTPUT DIFFERS")


if __name__ == "__main__":
    main()
