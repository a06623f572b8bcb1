"""CPU seconds (user + system, this process and its reaped children) per stage of a build.

Usage: ``.venv/bin/python benchmarks/stage_cpu.py RAW... --work DIR``. Wall time on a
shared machine says little; CPU seconds compare two code versions under any load.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
from pathlib import Path

from akhbar import params
from akhbar.pipeline import STAGES, Layout, run_stage


def cpu() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("raw", nargs="+", type=Path)
    ap.add_argument("--work", type=Path, required=True)
    args = ap.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    layout, p = Layout(args.work / "work"), params.load()
    out: dict[str, float] = {}
    for name in [s.name for s in STAGES if s.has_report]:
        t0 = cpu()
        run_stage(name, layout, p, raw_paths=args.raw, dataset_dir=args.work / "dataset")
        out[name] = round(cpu() - t0, 2)
    out["total"] = round(sum(out.values()), 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
