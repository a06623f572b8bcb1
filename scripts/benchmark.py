"""Benchmark a full build (ingest → card) on a raw corpus or on a synthetic one.

    .venv/bin/python scripts/benchmark.py --raw ../shared/corpora/saudinewsnet --json r.json
    .venv/bin/python scripts/benchmark.py --synthetic 300000 --synthetic-dir /tmp/syn300k
    /usr/bin/time -v .venv/bin/python scripts/benchmark.py --raw ../shared/corpora/saudinewsnet

Prints wall time, rows/s, MB/s, peak RSS and output size per stage and in total, and the
reference (datatrove: 643 s on SaudiNewsNet; target ≤ 64 s).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--raw", type=Path, nargs="+", help="raw files/folders to build")
    src.add_argument("--synthetic", type=int, metavar="N",
                     help="generate N synthetic articles (akhbar.synth) and build them")
    parser.add_argument("--synthetic-dir", type=Path,
                        help="where to generate (default: a temporary folder, removed after)")
    parser.add_argument("--seed", type=int, default=0, help="synthetic corpus seed")
    parser.add_argument("--builtin-vocab", action="store_true",
                        help="synthetic bodies from the built-in grammar, not ../shared")
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

    from akhbar import bench, synth
    from akhbar import params as params_mod

    params = params_mod.load(args.params)
    with tempfile.TemporaryDirectory(prefix="akhbar-benchmark-") as tmp:
        if args.synthetic:
            dest = args.synthetic_dir or Path(tmp) / "raw"
            seed_corpus = None if args.builtin_vocab else synth.default_seed_corpus()
            t0 = time.perf_counter()
            synth.generate(dest, args.synthetic, seed=args.seed, seed_corpus=seed_corpus)
            print(f"generated {args.synthetic} articles in {dest} "
                  f"({time.perf_counter() - t0:.1f} s, seed corpus: {seed_corpus})",
                  file=sys.stderr)
            raw = [dest]
        elif args.raw:
            raw = args.raw
        else:
            raw = [Path(p) for p in params["raw"]["paths"]]
        out = args.out or Path(tmp) / "dataset"
        report = bench.run(raw, out, params, validate=not args.no_validate,
                           card=not args.no_card, profile_html=args.profile)
        if args.synthetic:
            report["synthetic"] = {"n_articles": args.synthetic, "seed": args.seed}
    print(bench.format_report(report))
    if args.compare:
        base = json.loads(args.compare.read_text(encoding="utf-8"))
        report["compare"] = bench.compare(base, report)
        print(f"vs {args.compare}: {report['compare']}")
    if args.json:
        bench.dump(report, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
