"""Benchmark of the validate stage on a dataset folder built from SaudiNewsNet.

Prints the time of ``akhbar.validate.run`` and the peak RSS of the process that ran it
(targets: < 60 s, < 2 GB). The dataset folder is built straight from the corpus zips with
a crude mapping (content → text, date_extracted → crawled, split by id hash, empty bodies
and repeated URLs rejected), not by the pipeline: the point is the validator's cost on a
realistically sized and realistically dirty corpus, so the suites are expected to report
failures (tatweel, presentation forms, duplicate bodies across splits, ...).

    .venv/bin/python benchmarks/bench_validate.py [--copies N] [--keep DIR]

``--copies N`` repeats the corpus N times (URLs made unique) to see memory stay flat.
Skips (exit 0 with a message) when ../shared/corpora/saudinewsnet is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from pathlib import Path

import orjson
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpora" / "saudinewsnet"
SPLIT_OF = ["train"] * 8 + ["validation", "test"]


def load_corpus(copies: int) -> pl.DataFrame:
    """All articles of the zips as one frame (``copies`` times, URLs suffixed)."""
    frames = []
    for path in sorted(CORPUS.glob("*.zip")):
        with zipfile.ZipFile(path) as zf:
            for member in zf.namelist():
                frames.append(pl.DataFrame(orjson.loads(zf.read(member)),
                                           infer_schema_length=None))
    base = pl.concat(frames, how="diagonal_relaxed").with_row_index("raw_record")
    return pl.concat([base.with_columns(
        url=pl.col("url") + (f"?copy={c}" if c else ""),
        raw_record=pl.col("raw_record") + c * base.height) for c in range(copies)])


def build(out: Path, copies: int) -> dict[str, int]:
    """Write ``out/data``, ``out/rejected`` and ``out/stats.json``; returns counts."""
    from akhbar.ids import article_id
    from akhbar.io import ParquetSink, write_table
    from akhbar.schema import ARTICLE_SCHEMA, REJECTED_SCHEMA, SPLITS

    df = load_corpus(copies)
    ids = [article_id(u, t) for u, t in zip(df["url"].to_list(), df["content"].to_list(),
                                             strict=True)]
    letters = pl.col("text").str.count_matches(r"\p{L}")
    df = df.select(
        pl.Series("id", ids), "url", "source", "title", pl.col("content").alias("text"),
        pl.col("date_extracted").str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False)
        .dt.replace_time_zone("UTC").dt.cast_time_unit("us").alias("crawled"),
        "author", pl.lit("saudinewsnet.json").alias("raw_file"),
        pl.col("raw_record").cast(pl.Int64),
    ).with_columns(
        (pl.col("text").str.count_matches("[\u0621-\u064a]") / letters)
        .fill_nan(0.0).alias("arabic_ratio"),
        pl.col("text").str.len_chars().cast(pl.Int64).alias("n_chars"),
        pl.col("id").alias("cluster_id"),
    )
    empty = df["text"].fill_null("").str.strip_chars().str.len_chars() == 0
    dup = df["id"].is_duplicated() & ~df["id"].is_first_distinct()
    rejected = pl.concat([
        df.filter(empty).with_columns(stage=pl.lit("parse"), reason=pl.lit("parse:empty-body")),
        df.filter(~empty & dup).with_columns(stage=pl.lit("dedup"),
                                             reason=pl.lit("dedup:exact-url")),
    ]).with_columns(reasons=pl.concat_list("reason"))
    kept = df.filter(~empty & ~dup)
    split = pl.Series([SPLIT_OF[int(i[1:9], 16) % 10] for i in kept["id"].to_list()])
    counts = {}
    for name in SPLITS:
        part = kept.filter(split == name).sort("id")
        counts[name] = part.height
        with ParquetSink(out / "data", ARTICLE_SCHEMA, rows_per_file=10_000, prefix=name,
                         of_total=True) as sink:
            sink.write(part)
    write_table(out / "rejected" / "rejected-00000-of-00001.parquet", rejected,
                REJECTED_SCHEMA)
    reasons = Counter(rejected["reason"].to_list())
    stats = {"records_in": df.height, "articles": counts, "rejected": dict(sorted(
        reasons.items())), "rejected_total": rejected.height, "stages": {}}
    (out / "stats.json").write_text(json.dumps(stats, indent=2), encoding="utf-8")
    return {"records": df.height, **counts, "rejected": rejected.height}


CHILD = """
import json, sys, time
from pathlib import Path
t0 = time.perf_counter()
from akhbar import params, validate
p = params.from_dict({"validate": {"data_docs": sys.argv[3] == "1"}})
t1 = time.perf_counter()
result = validate.run(Path(sys.argv[1]), p, reports_dir=Path(sys.argv[2]))
t2 = time.perf_counter()
# VmHWM: this process's peak RSS since exec (getrusage's maxrss would include the pages
# of the parent that forked it, i.e. the dataset builder)
status = Path("/proc/self/status").read_text().splitlines()
hwm = next(int(x.split()[1]) for x in status if x.startswith("VmHWM:")) / 2**10
print(json.dumps({"import_s": t1 - t0, "run_s": t2 - t1, "peak_mib": hwm,
                  "summary": result.summary()}))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=1)
    ap.add_argument("--keep", type=Path, help="build the dataset here and keep it")
    ap.add_argument("--no-data-docs", action="store_true")
    args = ap.parse_args()
    if not CORPUS.is_dir() or not any(CORPUS.glob("*.zip")):
        print(f"skip: {CORPUS} is absent")
        return 0
    with tempfile.TemporaryDirectory(prefix="akhbar-bench-") as tmp:
        out = args.keep or Path(tmp) / "dataset"
        t0 = time.perf_counter()
        counts = build(out, args.copies)
        print(f"built {out} in {time.perf_counter() - t0:.1f} s: {counts}")
        size = sum(p.stat().st_size for p in out.rglob("*.parquet"))
        print(f"parquet on disk: {size / 2**20:.1f} MiB")
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, str(out), str(out / "reports"),
             "0" if args.no_data_docs else "1"],
            capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
        if proc.returncode:
            print(proc.stderr[-3000:])
            return proc.returncode
        figures = json.loads(proc.stdout.strip().splitlines()[-1])
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = usage.ru_utime + usage.ru_stime
    print(figures["summary"])
    print(f"validate.run: {figures['run_s']:.1f} s (target < 60 s); imports "
          f"{figures['import_s']:.1f} s; process wall {wall:.1f} s")
    print(f"CPU time of the validating process: {cpu:.1f} s (2 shared cores; load average "
          f"{os.getloadavg()[0]:.1f}, so wall time depends on what else runs)")
    print(f"peak RSS of the validating process: {figures['peak_mib']:.0f} MiB (target < 2048 MiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
