"""Measure a whole build: wall time, throughput and memory per stage and in total.

Why in-process: the figure that matters is the one a user sees for ``akhbar build`` (one
process, imports included), so the benchmark calls :func:`akhbar.build.build` directly.
The build reports each stage's wall and CPU seconds (its threads and child processes,
the validation worker included) through its ``on_stage`` hook; a psutil sampling thread
adds each stage's peak RSS (main process plus children), and ``resource.getrusage`` the
whole process's peak. The stages themselves run unchanged.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psutil

from akhbar import build as build_mod
from akhbar import pipeline
from akhbar.build import StageMeasure, cpu_seconds
from akhbar.errors import ValidationFailed
from akhbar.params import Params
from akhbar.pipeline import Layout

#: The reference this project is measured against (issue 16; see docs/scaling.md):
#: datatrove 0.10.1's equivalent pipeline on SaudiNewsNet, and the targets on 2 cores.
REFERENCE = {"datatrove_saudinewsnet_s": 539.0, "target_saudinewsnet_s": 25.0,
             "target_peak_rss_mb": 1200.0, "target_300k_s": 240.0,
             "max_rss_growth_at_300k": 0.30}
MB = 1024 * 1024


def _tree_rss(proc: psutil.Process) -> tuple[int, int]:
    """RSS of ``proc`` and the summed RSS of its live children (the validation worker,
    which holds GX and stays alive after the validate stage, so its memory shows in the
    card stage's tree figure too: hence the two apart)."""
    children = 0
    for child in proc.children(recursive=True):
        try:
            children += child.memory_info().rss
        except psutil.Error:  # ended meanwhile
            continue
    return proc.memory_info().rss, children


class RssSampler(threading.Thread):
    """Sample RSS (this process and its children) every ``interval`` seconds; :meth:`cut`
    returns the peaks since the previous cut, i.e. those of the stage that just ended:
    ``(main + children, main, children)``, each peak taken on its own."""

    def __init__(self, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.peak = (0, 0, 0)
        self._proc = psutil.Process()
        self._halt = threading.Event()
        self._lock = threading.Lock()

    def _sample(self) -> None:
        main, children = _tree_rss(self._proc)
        with self._lock:
            self.peak = (max(self.peak[0], main + children), max(self.peak[1], main),
                         max(self.peak[2], children))

    def cut(self) -> tuple[int, int, int]:
        self._sample()
        with self._lock:
            peak, self.peak = self.peak, (0, 0, 0)
        return peak

    def run(self) -> None:
        while not self._halt.wait(self.interval):
            self._sample()

    def stop(self) -> None:
        self._halt.set()
        self.join()


def raw_bytes(paths: Sequence[Path]) -> tuple[int, int]:
    """(bytes on disk, bytes after unzipping) of the raw inputs."""
    disk = unpacked = 0
    for root in paths:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for f in files:
            size = f.stat().st_size
            disk += size
            if f.suffix == ".zip":
                with zipfile.ZipFile(f) as zf:
                    unpacked += sum(i.file_size for i in zf.infolist())
            else:
                unpacked += size
    return disk, unpacked


def folder_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def _outputs(layout: Layout, out: Path) -> dict[str, int]:
    """Bytes each stage wrote: its intermediate table, or what it writes into the dataset
    folder (the registry's ``output`` and ``writes``)."""
    sizes = {s.name: (folder_bytes(layout.output(s.name)) if s.output is not None else
                      sum(folder_bytes(out / w) for w in s.writes))
             for s in pipeline.STAGES}
    sizes["rejected_intermediate"] = folder_bytes(layout.root / "rejected")
    return sizes


def run(raw: Sequence[Path], out: Path, params: Params, *, validate: bool = True,
        card: bool = True, profile_html: Path | None = None) -> dict[str, Any]:
    """Build ``raw`` into ``out`` and return the report (also what ``--json`` writes)."""
    raw = [Path(p) for p in raw]
    disk, unpacked = raw_bytes(raw)
    sampler = RssSampler()
    sampler.start()
    profiler = None
    if profile_html is not None:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.005)
        profiler.start()
    failure = None
    measures: list[tuple[StageMeasure, tuple[int, int, int]]] = []

    def on_stage(measure: StageMeasure) -> None:
        measures.append((measure, sampler.cut()))

    t0, startup_cpu = time.perf_counter(), cpu_seconds()
    startup_s = time.time() - psutil.Process().create_time()
    with tempfile.TemporaryDirectory(prefix="akhbar-bench-") as tmp:
        layout = Layout(Path(tmp))
        try:
            build_mod.build(raw, out, params, work=layout.root, validate=validate, card=card,
                            on_stage=on_stage)
        except ValidationFailed as exc:
            # a data problem, not a speed one: record it, time the card anyway
            failure = str(exc)
            if card:
                from akhbar import card as card_stage

                t1, c1 = time.perf_counter(), cpu_seconds()
                card_stage.run(out, params, validation=None)
                on_stage(StageMeasure("card", time.perf_counter() - t1, cpu_seconds() - c1, 0))
        build_s = time.perf_counter() - t0
        sizes = _outputs(layout, Path(out))
    if profiler is not None:
        profiler.stop()
        profile_html.write_text(profiler.output_html(), encoding="utf-8")
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    sampler.stop()
    stats = json.loads((Path(out) / "stats.json").read_text(encoding="utf-8"))
    records = int(stats.get("records_in", 0))
    stages = stats.get("stages", {})
    per_stage = {}
    for m, peak in measures:
        secs = round(m.wall_s, 3)
        rows = stages.get(m.name, {}).get("rows_in", records)
        per_stage[m.name] = {
            "seconds": secs,
            "cpu_seconds": round(m.cpu_s, 3),
            "rows_in": rows,
            "rows_per_s": round(rows / secs, 1) if secs else None,
            "raw_mb_per_s": round(unpacked / MB / secs, 2) if secs else None,
            "peak_rss_mb": round(peak[0] / MB, 1),  # main + live children
            "peak_rss_main_mb": round(peak[1] / MB, 1),
            "peak_rss_children_mb": round(peak[2] / MB, 1),
            "output_mb": round(sizes.get(m.name, 0) / MB, 2),
        }
    proc = psutil.Process()
    return {
        "raw": [str(p) for p in raw],
        "raw_bytes": disk,
        "raw_bytes_unpacked": unpacked,
        "records_in": records,
        "articles_out": stats.get("articles_total"),
        "rejected": stats.get("rejected_total"),
        "validation": failure or ("passed" if validate else "skipped"),
        "stages": per_stage,
        "total": {
            "build_seconds": round(build_s, 3),
            # process start → build start (interpreter, imports, argument parsing)
            "startup_seconds": round(startup_s, 3),
            "startup_cpu_seconds": round(startup_cpu, 3),
            "process_seconds": round(time.time() - proc.create_time(), 3),
            "process_cpu_seconds": round(cpu_seconds(), 3),
            "articles_per_s": round(records / build_s, 1),
            "raw_mb_per_s": round(unpacked / MB / build_s, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            # main + live children, sampled every 20 ms (the figure to hold to the target)
            "peak_rss_sampled_mb": max((v["peak_rss_mb"] for v in per_stage.values()),
                                       default=0.0),
            "peak_rss_children_sampled_mb": max(
                (v["peak_rss_children_mb"] for v in per_stage.values()), default=0.0),
            "dataset_mb": round((folder_bytes(Path(out) / "data")) / MB, 2),
            # the machine may be shared: a high load average inflates wall times
            "loadavg": [round(x, 2) for x in os.getloadavg()],
        },
        "reference": REFERENCE,
        "profiled": profile_html is not None,
    }


def compare(base: dict[str, Any], big: dict[str, Any]) -> dict[str, Any]:
    """Scaling check between a base run and a larger one: peak RSS growth outside the dedup
    stage (≤ 30 % allowed) and throughput ratio (must not fall)."""
    def rss_without_dedup(rep: dict[str, Any]) -> float:
        return max(v["peak_rss_mb"] for k, v in rep["stages"].items() if k != "dedup")

    growth = rss_without_dedup(big) / rss_without_dedup(base) - 1
    throughput = big["total"]["articles_per_s"] / base["total"]["articles_per_s"]
    return {"rss_growth_excl_dedup": round(growth, 3), "throughput_ratio": round(throughput, 3),
            "rss_ok": growth <= REFERENCE["max_rss_growth_at_300k"], "throughput_ok":
            throughput >= 0.95}


def format_report(rep: dict[str, Any]) -> str:
    """A plain-text table of the report (what the script prints)."""
    lines = [f"raw: {', '.join(rep['raw'])}  ({rep['records_in']} records, "
             f"{rep['raw_bytes'] / MB:.1f} MB on disk, {rep['raw_bytes_unpacked'] / MB:.1f} MB "
             f"unpacked) → {rep['articles_out']} articles, {rep['rejected']} rejected",
             f"{'stage':<10}{'wall s':>9}{'cpu s':>9}{'rows/s':>11}{'MB/s':>9}{'peak RSS MB':>13}"
             f"{'main':>7}{'child':>7}{'output MB':>11}"]
    for name, s in rep["stages"].items():
        lines.append(f"{name:<10}{s['seconds']:>9.2f}{s['cpu_seconds'] or 0:>9.2f}"
                     f"{s['rows_per_s'] or 0:>11.0f}"
                     f"{s['raw_mb_per_s'] or 0:>9.2f}{s['peak_rss_mb']:>13.0f}"
                     f"{s.get('peak_rss_main_mb', 0):>7.0f}"
                     f"{s.get('peak_rss_children_mb', 0):>7.0f}{s['output_mb']:>11.2f}")
    t = rep["total"]
    lines.append(f"{'total':<10}{t['build_seconds']:>9.2f}{t['process_cpu_seconds']:>9.2f}"
                 f"{t['articles_per_s']:>11.0f}"
                 f"{t['raw_mb_per_s']:>9.2f}{t['peak_rss_sampled_mb']:>13.0f}"
                 f"{t['peak_rss_mb']:>7.0f}{t.get('peak_rss_children_sampled_mb', 0):>7.0f}"
                 f"{t['dataset_mb']:>11.2f}")
    lines.append(f"startup (process start → build): {t['startup_seconds']:.2f} s wall, "
                 f"{t['startup_cpu_seconds']:.2f} s CPU")
    lines.append(f"whole process: {t['process_seconds']:.1f} s wall, "
                 f"{t['process_cpu_seconds']:.1f} s CPU, peak RSS: main process "
                 f"{t['peak_rss_mb']:.0f} MB (ru_maxrss), main + children "
                 f"{t['peak_rss_sampled_mb']:.0f} MB (sampled), load average "
                 f"{t.get('loadavg', '?')}")
    ref = rep["reference"]
    lines.append(f"reference: datatrove {ref['datatrove_saudinewsnet_s']:.0f} s on SaudiNewsNet; "
                 f"target ≤ {ref['target_saudinewsnet_s']:.0f} s for the full build, peak RSS < "
                 f"{ref['target_peak_rss_mb']:.0f} MB; 300k synthetic articles ≤ "
                 f"{ref['target_300k_s']:.0f} s")
    if rep.get("profiled"):
        lines.append("(profiled run: pyinstrument adds overhead; time it again without --profile)")
    lines.append(f"validation: {rep['validation']}")
    return "\n".join(lines)


def dump(rep: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rep, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """The benchmark command line (``scripts/benchmark.py`` and ``akhbar bench``)."""
    parser = argparse.ArgumentParser(
        prog="akhbar bench",
        description="Benchmark a full build (ingest → card) on a raw corpus or a synthetic one.")
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--raw", type=Path, nargs="+", help="raw files/folders to build")
    src.add_argument("--synthetic", type=int, metavar="N",
                     help="generate N synthetic articles (the synthetic-corpus generator) "
                     "and build them")
    parser.add_argument("--synthetic-dir", type=Path,
                        help="where to generate (default: a temporary folder, removed after)")
    parser.add_argument("--seed", type=int, default=0, help="synthetic corpus seed")
    parser.add_argument("--builtin-vocab", action="store_true",
                        help="synthetic bodies from the built-in grammar, not a seed corpus")
    parser.add_argument("--shared", type=Path, default=Path("../shared"),
                        help="folder of the shared corpora whose SaudiNewsNet zips seed the "
                        "synthetic vocabulary (default ../shared, from the project folder)")
    parser.add_argument("--out", type=Path, help="dataset folder (default: temporary)")
    parser.add_argument("--params", type=Path, help="params file merged over the defaults")
    parser.add_argument("--json", type=Path, help="write the report as JSON here")
    parser.add_argument("--compare", type=Path,
                        help="a smaller run's JSON report: print RSS growth and throughput ratio")
    parser.add_argument("--profile", type=Path, nargs="?", const=Path("profile.html"),
                        help="run under pyinstrument; write HTML here (default profile.html)")
    parser.add_argument("--no-validate", action="store_true")
    parser.add_argument("--no-card", action="store_true")
    args = parser.parse_args(argv)

    from akhbar import params as params_mod
    from akhbar_dev import synth

    params = params_mod.load(args.params)
    with tempfile.TemporaryDirectory(prefix="akhbar-benchmark-") as tmp:
        if args.synthetic:
            dest = args.synthetic_dir or Path(tmp) / "raw"
            seed_corpus = None if args.builtin_vocab else synth.saudinewsnet_in(args.shared)
            t0 = time.perf_counter()
            synth.generate(dest, args.synthetic, seed=args.seed, seed_corpus=seed_corpus)
            print(f"generated {args.synthetic} articles in {dest} "
                  f"({time.perf_counter() - t0:.1f} s, seed corpus: {seed_corpus})",
                  file=sys.stderr)
            raw = [dest]
        elif args.raw:
            raw = args.raw
        else:
            raw = [Path(p) for p in params.raw.paths]
        out = args.out or Path(tmp) / "dataset"
        report = run(raw, out, params, validate=not args.no_validate,
                           card=not args.no_card, profile_html=args.profile)
        if args.synthetic:
            report["synthetic"] = {"n_articles": args.synthetic, "seed": args.seed}
    print(format_report(report))
    if args.compare:
        base = json.loads(args.compare.read_text(encoding="utf-8"))
        report["compare"] = compare(base, report)
        print(f"vs {args.compare}: {report['compare']}")
    if args.json:
        dump(report, args.json)
    return 0
