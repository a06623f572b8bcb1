"""The whole build on a real Dask cluster: a ``dask scheduler`` and two ``dask worker``
processes on 127.0.0.1, synthetic articles (:mod:`akhbar_dev.synth`).

Every stage of the registry runs through its own step (:attr:`akhbar.pipeline.Stage.step`)
with :class:`akhbar.distributed.executor.DaskRunner` as the runner, as in ``akhbar build
--executor dask``: ingest → split and collect on the cluster, validation's parts on the
workers and its merge in the build's GX worker process (:mod:`akhbar.gx_session`, started
before the first stage as the build does), then the card in the driver.

Prints (and writes with ``--json``) per stage the wall seconds, CPU seconds and peak RSS
(psutil, sampled every 100 ms) of each worker process, of the driver alone and of the
driver **with its own child processes** (the GX worker; the scheduler and the workers,
which this script also starts, are left out of that figure), plus dedup's shuffle bytes
per wave.

``--from-stage STAGE`` resumes on a kept ``--work`` folder (its ``raw/``, ``work/`` and
``dataset/``): no generation, the stages before STAGE are skipped, their outputs are read
as they are (e.g. ``--from-stage validate`` after a run that stopped after collect).
``--to-stage`` stops after a stage.

    .venv/bin/python benchmarks/bench_distributed.py --articles 100000 --json dist-100k.json
    .venv/bin/python benchmarks/bench_distributed.py --work /work/bench/d1m \\
        --from-stage validate --partitions 64 --shard-batches 10 --json dist-1m-leg2.json
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

from akhbar import gx_session, memory, publish
from akhbar import params as params_mod
from akhbar.distributed.executor import DaskRunner
from akhbar.distributed.local import dask_processes
from akhbar.errors import BuildCollapsed, ValidationFailed
from akhbar.pipeline import Context, Layout, names, plan
from akhbar_dev import synth

DRIVER, DRIVER_ALL = "driver", "driver+children"


class Procs:
    """The processes measured: each worker (with its children), the driver alone, and the
    driver with its children other than the cluster's processes (``skip``: the pids of
    the scheduler and workers, and their descendants)."""

    def __init__(self, workers: dict[str, int]) -> None:
        self.workers = {name: psutil.Process(pid) for name, pid in workers.items()}
        self.driver = psutil.Process()
        self.skip = {c.pid for c in self.driver.children(recursive=True)}

    def own_children(self) -> list[psutil.Process]:
        """The driver's children that are not the cluster (the GX worker, its tracker)."""
        return [c for c in self.driver.children(recursive=True) if c.pid not in self.skip]

    def rss(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for name, proc in self.workers.items():
            try:
                out[name] = proc.memory_info().rss + sum(
                    c.memory_info().rss for c in proc.children(recursive=True))
            except psutil.Error:
                continue
        own = self.driver.memory_info().rss
        out[DRIVER] = own
        kids = 0
        for child in self.own_children():
            try:
                kids += child.memory_info().rss
            except psutil.Error:  # ended meanwhile
                continue
        out[DRIVER_ALL] = own + kids
        return out

    def cpu(self) -> dict[str, float]:
        """user + system CPU seconds so far (wall time means little on a shared machine;
        CPU seconds per article do). The driver's children: live ones, plus the ended ones
        it waited for (``RUSAGE_CHILDREN``: the GX worker once validation released it)."""
        out: dict[str, float] = {}
        for name, proc in self.workers.items():
            try:
                t = proc.cpu_times()
            except psutil.Error:
                continue
            out[name] = t.user + t.system
        t = self.driver.cpu_times()
        out[DRIVER] = t.user + t.system
        ended = resource.getrusage(resource.RUSAGE_CHILDREN)
        live = 0.0
        for child in self.own_children():
            try:
                c = child.cpu_times()
            except psutil.Error:
                continue
            live += c.user + c.system
        out[DRIVER_ALL] = out[DRIVER] + live + ended.ru_utime + ended.ru_stime
        return out


class Peaks(threading.Thread):
    """Peak RSS of :class:`Procs`, per stage (``self.stage`` names the current one)."""

    def __init__(self, procs: Procs) -> None:
        super().__init__(daemon=True)
        self.procs = procs
        self.stage = "start"
        self.peaks: dict[str, dict[str, int]] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            row = self.peaks.setdefault(self.stage, {})
            for name, rss in self.procs.rss().items():
                row[name] = max(row.get(name, 0), rss)
            time.sleep(0.1)


def print_waves(info: dict) -> None:
    """Dedup per wave: wall s, CPU s of its tasks, bytes written, worker peak RSS in a task."""
    print(f"{'wave':16s} {'wall s':>8s} {'cpu s':>8s} {'MB out':>9s} {'worker MB':>9s}")
    for name, wall in info.get("wave_seconds", {}).items():
        print(f"{name:16s} {wall:8.2f} {info.get('wave_cpu_s', {}).get(name, 0):8.2f} "
              f"{info['shuffle_bytes'].get(name, 0) / 2**20:9.2f} "
              f"{info.get('wave_worker_peak_rss_mb', {}).get(name, 0):9d}", flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    stages = names()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--shard-batches", type=int, default=2)
    ap.add_argument("--seed-corpus", type=Path, default=None,
                    help="SaudiNewsNet folder to draw sentences from (default: built-in)")
    ap.add_argument("--work", type=Path, default=None, help="keep the work folder here")
    ap.add_argument("--from-stage", choices=stages, default=None,
                    help="resume on a kept --work folder: skip generation and the stages "
                         "before this one")
    ap.add_argument("--to-stage", choices=stages, default=None, help="stop after this stage")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    if args.from_stage and not (args.work and (args.work / "raw").is_dir()):
        ap.error("--from-stage needs --work, a kept folder holding raw/ (and work/, dataset/)")
    return args


def run_stages(args: argparse.Namespace, tmp: Path, raw: Path, procs: Procs,
               runner: DaskRunner, params: params_mod.Params, result: dict) -> None:
    """Each stage's step in pipeline order (from ``--from-stage`` to ``--to-stage``),
    measured; a validation failure or a collapsed build is recorded and later stages run
    as ``akhbar build`` would run them."""
    peaks = Peaks(procs)
    peaks.start()
    out = tmp / "dataset"
    out.mkdir(exist_ok=True)
    threads: list = []
    ctx = Context(Layout(tmp / "work"), params, dataset=out, reports=out / "reports",
                  raw_paths=[raw], given=[raw], runner=runner, gx_worker=True,
                  warm_card=True, threads=threads)
    order = names()
    first = order.index(args.from_stage) if args.from_stage else 0
    last = order.index(args.to_stage) if args.to_stage else len(order) - 1
    todo = [s for s in plan() if first <= order.index(s.name) <= last]
    failure = None
    if any(s.name == "validate" for s in todo):
        gx_session.warm_up()  # as akhbar build: GX is set up while the stages before run
    t_all = time.perf_counter()
    try:
        for stage in todo:
            peaks.stage = stage.name
            row = result["stages"].setdefault(stage.name, {})
            t, cpu0 = time.perf_counter(), procs.cpu()
            ctx.report = None
            if stage.runs_after(failure):
                try:
                    stage.step(stage, ctx)
                except (BuildCollapsed, ValidationFailed) as exc:  # a verdict, not a crash
                    failure = exc
                    row["failure"] = str(exc.args[0]).splitlines()[0]
            memory.release()
            if ctx.report is not None:
                row["rows_in"] = ctx.report.rows_in
                if stage.name == "dedup":  # candidate and link counts (story pairs too)
                    result["dedup_stats"] = ctx.report.stats
            row["wall_s"] = round(time.perf_counter() - t, 2)
            row["cpu_s"] = {k: round(v - cpu0.get(k, 0.0), 2) for k, v in procs.cpu().items()}
            print(f"{stage.name:8s} {row['wall_s']:8.1f} s wall  cpu {row['cpu_s']}",
                  flush=True)
    finally:
        for thread in threads:
            thread.join()
        peaks.stop.set()
        peaks.join()
    result["wall_s"] = round(time.perf_counter() - t_all, 2)
    summarize(args, result, procs, peaks, runner, [s.name for s in todo], ctx)


def summarize(args: argparse.Namespace, result: dict, procs: Procs, peaks: Peaks,
              runner: DaskRunner, todo: list[str], ctx: Context) -> None:
    """Peaks per stage and overall, executors, per-article figures, dedup's waves."""
    if ctx.validation is not None:
        result["validation_success"] = ctx.validation.get("success")
    for stage, prow in peaks.peaks.items():
        if stage in result["stages"]:
            result["stages"][stage]["peak_rss_mb"] = {
                k: round(v / 2**20) for k, v in sorted(prow.items())}
    keys = [*procs.workers, DRIVER, DRIVER_ALL]
    result["peak_rss_mb"] = {
        k: round(max((r.get(k, 0) for r in peaks.peaks.values()), default=0) / 2**20)
        for k in keys}
    result["driver_ru_maxrss_mb"] = round(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    result["children_ru_maxrss_mb"] = round(  # the largest ended child (the GX worker)
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    dedup = result["dedup"] = runner.info.get("dedup", {})
    result["executors"] = {s: runner.info.get(s, {}).get("executor", "driver")
                           for s in todo}
    n = max(args.articles, 1)
    cpu = {k: sum(r.get("cpu_s", {}).get(k, 0.0) for r in result["stages"].values())
           for k in keys}
    result["per_article"] = {
        "cpu_ms": {k: round(1000 * v / n, 3) for k, v in cpu.items()},
        "shuffle_bytes": round(dedup.get("shuffle_bytes", {}).get("total", 0) / n, 1),
        "dedup_work_bytes": round(dedup.get("work_bytes", 0) / n, 1),
        "raw_bytes": round(result["raw_bytes"] / n, 1)}
    if dedup:
        print_waves(dedup)
    result["published_bytes"] = sum(
        f.stat().st_size for f in Path(ctx.dataset or ".").rglob("*.parquet"))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import distributed

    tmp = Path(args.work or tempfile.mkdtemp(prefix="akhbar-bench-dist-"))
    raw = tmp / "raw"
    t0 = time.perf_counter()
    if not raw.exists():
        synth.generate(raw, args.articles, seed=0, seed_corpus=args.seed_corpus)
    gen = time.perf_counter() - t0
    raw_bytes = sum(f.stat().st_size for f in raw.rglob("*") if f.is_file())
    if args.from_stage:  # the kept folder's article count, not the option's default
        args.articles = _articles(tmp, args.articles)

    result: dict = {"articles": args.articles, "raw_bytes": raw_bytes, "generate_s": gen,
                    "workers": args.workers, "partitions": args.partitions,
                    "from_stage": args.from_stage, "to_stage": args.to_stage, "stages": {}}
    try:
        with dask_processes(args.workers) as (address, workers), \
                distributed.Client(address, timeout=60) as client, \
                publish.temporary_files_in(tmp / "tmp"):
            procs = Procs({f"w{k}": w.pid for k, w in enumerate(workers)})
            params = params_mod.from_dict({"executor": {
                "kind": "dask", "partitions": args.partitions,
                "shard_batches": args.shard_batches}})
            runner = DaskRunner(client, params)
            run_stages(args, tmp, raw, procs, runner, params, result)
    finally:
        gx_session.release()
        if args.work is None:
            shutil.rmtree(tmp, ignore_errors=True)
    result["loadavg"] = os.getloadavg()
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


def _articles(tmp: Path, default: int) -> int:
    """Raw records of a kept build (the ingest report's ``rows_in``), else ``default``."""
    report = Layout(tmp / "work").report("ingest")
    if report.exists():
        data = json.loads(report.read_text(encoding="utf-8"))
        for value in data.values():
            if isinstance(value, dict) and "rows_in" in value:
                return int(value["rows_in"])
    return default


if __name__ == "__main__":
    sys.exit(main())
