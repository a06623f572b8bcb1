"""The dedup stage alone on a real stage input: CPU, wall, peak RSS, where the CPU goes,
and whether the output is the same bytes as a reference build.

    .venv/bin/python benchmarks/dedup_stage.py WORK [--reference REF] [--threads N]

``WORK`` is a build's intermediate folder (``akhbar build --work``, or a DVC ``data/``):
the stage reads ``WORK/filtered`` and writes into a temporary folder. ``--reference`` (a
folder laid out the same way, by default ``WORK`` itself) holds the ``deduplicated/``,
``rejected/dedup.parquet`` and ``stats/dedup.json`` to compare with: sha256 of each file,
``DataFrame.equals`` and the report's counts. CPU seconds are the figure to compare on a
shared machine (they include every thread); the load average is printed with the wall
time. ``--threads 1`` runs the batch passes on the calling thread (the figure before
threads). Per section: CPU seconds spent inside the named functions (nested sections
overlap: ``plan`` holds ``_index``, the LSH and the story pass; the routing pass is
``total - plan``).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import polars as pl

from akhbar import dedup, params, stories, streaming

SECTIONS: list[tuple[ModuleType | type, str]] = [
    (dedup, "plan"), (dedup, "_index"), (dedup, "exact_keys"), (dedup, "shingle_hashes"),
    (dedup, "sign"), (dedup, "candidate_pairs"), (stories, "shingle_sets"),
    (stories.ShingleSpill, "sets"), (stories, "exact_jaccard"), (dedup, "jaccard"),
    (dedup, "components")]


def _timed(spent: dict[str, list[float]], module: ModuleType | type, name: str) -> None:
    """Wrap ``module.name`` so that its CPU and wall seconds add up in ``spent``."""
    inner: Callable[..., Any] = getattr(module, name)

    @functools.wraps(inner)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            got = spent.setdefault(name, [0.0, 0.0])
            got[0] += time.process_time() - cpu
            got[1] += time.perf_counter() - wall

    setattr(module, name, wrapper)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def compare(out: Path, ref: Path, report: dict[str, Any]) -> list[str]:
    """What differs between this run (``out``, ``report``) and the reference folder."""
    diffs = []
    files = [*(p.relative_to(ref) for p in sorted((ref / "deduplicated").glob("*.parquet"))),
             Path("rejected/dedup.parquet")]
    for rel in files:
        mine, theirs = out / rel, ref / rel
        if not mine.exists() or _sha(mine) != _sha(theirs):
            same = mine.exists() and pl.read_parquet(mine).equals(pl.read_parquet(theirs))
            diffs.append(f"{rel}: bytes differ (frames {'equal' if same else 'differ'})")
    expected = json.loads((ref / "stats" / "dedup.json").read_text())["dedup"]
    for key in ("rejected", "rows_in", "rows_out", "stats"):
        if json.dumps(report[key], sort_keys=True) != json.dumps(expected[key], sort_keys=True):
            diffs.append(f"report {key}: {report[key]} != {expected[key]}")
    return diffs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("work", type=Path)
    ap.add_argument("--reference", type=Path)
    ap.add_argument("--threads", type=int)
    args = ap.parse_args()
    if args.threads:
        streaming.threads = lambda: args.threads  # type: ignore[assignment]
    spent: dict[str, list[float]] = {}
    for module, name in SECTIONS:
        _timed(spent, module, name)
    with tempfile.TemporaryDirectory(prefix="akhbar-dedup-") as tmp:
        out = Path(tmp)
        cpu, wall = time.process_time(), time.perf_counter()
        rep = dedup.run(args.work / "filtered", out / "deduplicated",
                        out / "rejected" / "dedup.parquet", params.load())
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        report = {"rejected": dict(rep.rejected), "rows_in": rep.rows_in,
                  "rows_out": rep.rows_out, "stats": rep.stats}
        diffs = compare(out, args.reference or args.work, report)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = streaming.threads()
    print(f"dedup: {rep.rows_in} rows, threads {workers}: CPU {cpu:.2f} s, "
          f"wall {wall:.2f} s (load average {os.getloadavg()[0]:.1f}), peak RSS {rss:.0f} MB")
    for name, (c, w) in spent.items():
        print(f"  {name:16s} CPU {c:6.2f} s  wall {w:6.2f} s")
    print("  routing pass     CPU {:6.2f} s".format(cpu - spent.get("plan", [0.0])[0]))
    print("same bytes as the reference" if not diffs else "DIFFERENT:\n  " + "\n  ".join(diffs))


if __name__ == "__main__":
    main()
