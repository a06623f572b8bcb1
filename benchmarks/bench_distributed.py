"""The pipeline on a real Dask cluster: a ``dask scheduler`` and two ``dask worker``
processes on 127.0.0.1, synthetic articles (:mod:`akhbar_dev.synth`).

Prints (and writes with ``--json``) per stage the wall seconds, the peak RSS of each worker
process and of the driver (psutil, sampled every 100 ms), and dedup's shuffle bytes per
wave. Stages ingest → split and collect run through
:class:`akhbar.distributed.executor.DaskRunner` as in ``akhbar build --executor dask``;
validation and the card (driver-side, unchanged by the executor) are left out.

    .venv/bin/python benchmarks/bench_distributed.py --articles 100000 --json dist-100k.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from akhbar import params as params_mod
from akhbar.distributed.executor import DaskRunner
from akhbar.distributed.local import dask_processes
from akhbar.pipeline import STAGES, Layout
from akhbar_dev import synth


def cpu_seconds(procs: dict[str, psutil.Process]) -> dict[str, float]:
    """user + system CPU seconds of each process so far (wall time means little on a
    shared machine; CPU seconds per article do)."""
    out = {}
    for name, proc in procs.items():
        try:
            t = proc.cpu_times()
        except psutil.Error:
            continue
        out[name] = t.user + t.system
    return out


class Peaks(threading.Thread):
    """Peak RSS of the given processes (with their children) and of this one, per stage."""

    def __init__(self, pids: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.procs = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.procs["driver"] = psutil.Process()
        self.stage = "start"
        self.peaks: dict[str, dict[str, int]] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            row = self.peaks.setdefault(self.stage, {})
            for name, proc in self.procs.items():
                try:  # the driver's children are the scheduler and workers: own RSS only
                    rss = proc.memory_info().rss + (0 if name == "driver" else sum(
                        c.memory_info().rss for c in proc.children(recursive=True)))
                except psutil.Error:
                    continue
                row[name] = max(row.get(name, 0), rss)
            time.sleep(0.1)


def print_waves(info: dict) -> None:
    """Dedup per wave: wall s, CPU s of its tasks, bytes written, worker peak RSS in a task."""
    print(f"{'wave':16s} {'wall s':>8s} {'cpu s':>8s} {'MB out':>9s} {'worker MB':>9s}")
    for name, wall in info.get("wave_seconds", {}).items():
        print(f"{name:16s} {wall:8.2f} {info.get('wave_cpu_s', {}).get(name, 0):8.2f} "
              f"{info['shuffle_bytes'].get(name, 0) / 2**20:9.2f} "
              f"{info.get('wave_worker_peak_rss_mb', {}).get(name, 0):9d}", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--shard-batches", type=int, default=2)
    ap.add_argument("--seed-corpus", type=Path, default=None,
                    help="SaudiNewsNet folder to draw sentences from (default: built-in)")
    ap.add_argument("--work", type=Path, default=None, help="keep the work folder here")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)

    import distributed

    tmp = Path(args.work or tempfile.mkdtemp(prefix="akhbar-bench-dist-"))
    raw = tmp / "raw"
    t0 = time.perf_counter()
    if not raw.exists():
        synth.generate(raw, args.articles, seed=0, seed_corpus=args.seed_corpus)
    gen = time.perf_counter() - t0
    raw_bytes = sum(f.stat().st_size for f in raw.rglob("*") if f.is_file())

    result: dict = {"articles": args.articles, "raw_bytes": raw_bytes, "generate_s": gen,
                    "workers": args.workers, "partitions": args.partitions, "stages": {}}
    try:
        with dask_processes(args.workers) as (address, workers), \
                distributed.Client(address, timeout=60) as client:
            peaks = Peaks({f"w{k}": w.pid for k, w in enumerate(workers)})
            peaks.start()
            params = params_mod.from_dict({"executor": {
                "kind": "dask", "partitions": args.partitions,
                "shard_batches": args.shard_batches}})
            runner = DaskRunner(client, params)
            layout = Layout(tmp / "work")
            out = tmp / "dataset"
            t_all = time.perf_counter()
            for stage in [s.name for s in STAGES if s.has_report]:
                peaks.stage = stage
                t = time.perf_counter()
                cpu0 = cpu_seconds(peaks.procs)
                if stage == "split":  # split, then collect: on the cluster, as in a build
                    runner(stage, layout, params, dataset_dir=out)
                    runner.publish("collect", layout, out)
                else:
                    report = runner(stage, layout, params, raw_paths=[raw])
                    result["stages"].setdefault(stage, {})["rows_in"] = report.rows_in
                    if stage == "dedup":  # candidate and link counts (story pairs included)
                        result["dedup_stats"] = report.stats
                row = result["stages"].setdefault(stage, {})
                row["wall_s"] = round(time.perf_counter() - t, 2)
                row["cpu_s"] = {k: round(v - cpu0.get(k, 0.0), 2)
                                for k, v in cpu_seconds(peaks.procs).items()}
                print(f"{stage:8s} {row['wall_s']:8.1f} s wall  cpu {row['cpu_s']}", flush=True)
            result["wall_s"] = round(time.perf_counter() - t_all, 2)
            peaks.stop.set()
            peaks.join()
            for stage, row in peaks.peaks.items():
                if stage in result["stages"]:
                    result["stages"][stage]["peak_rss_mb"] = {
                        k: round(v / 2**20) for k, v in sorted(row.items())}
            result["peak_rss_mb"] = {
                k: round(max(r.get(k, 0) for r in peaks.peaks.values()) / 2**20)
                for k in peaks.procs}
            result["driver_ru_maxrss_mb"] = round(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
            dedup = result["dedup"] = runner.info.get("dedup", {})
            result["executors"] = {k: v.get("executor") for k, v in runner.info.items()}
            n = max(args.articles, 1)
            cpu = {k: sum(r.get("cpu_s", {}).get(k, 0.0) for r in result["stages"].values())
                   for k in peaks.procs}
            result["per_article"] = {
                "cpu_ms": {k: round(1000 * v / n, 3) for k, v in cpu.items()},
                "shuffle_bytes": round(dedup.get("shuffle_bytes", {}).get("total", 0) / n, 1),
                "dedup_work_bytes": round(dedup.get("work_bytes", 0) / n, 1),
                "raw_bytes": round(raw_bytes / n, 1)}

            print_waves(dedup)
            result["published_bytes"] = sum(f.stat().st_size for f in out.rglob("*.parquet"))
    finally:
        if args.work is None:
            shutil.rmtree(tmp, ignore_errors=True)
    result["loadavg"] = os.getloadavg()
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
