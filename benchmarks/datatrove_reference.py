"""datatrove's equivalent of ``akhbar build`` on SaudiNewsNet, for issue 16's "≥ 20× in one run".

Why this exists: the speed target is relative to datatrove on the same machine in the same
run, and the machine's speed varies (~1.7× between quiet and busy states here), so both
tools must be timed back to back. datatrove is *not* a dependency of akhbar; run this with
an interpreter that has it, e.g.::

    python3 -m venv /tmp/dt
    /tmp/dt/bin/pip install "datatrove[processing]==0.10.1" spacy pyarrow orjson
    /usr/bin/time -v /tmp/dt/bin/python benchmarks/datatrove_reference.py \
        --raw ../shared/corpora/saudinewsnet --work /tmp/dt-work

The pipeline is the one the issue names: JSONL reader → Gopher repetition and quality filters
(Arabic word tokenizer, an Arabic stop-word list) → 4-stage MinHash (signatures, buckets,
clusters, filter) → Parquet, 2 workers; the filtered documents go to JSONL between the filter
step and MinHash, as the MinHash stages re-read their input. datatrove has no reader for
zipped JSON arrays, so the zips are first written out as JSONL; that step is timed and
printed on its own and is not part of the pipeline figure. Prints one line per step and the
total; exits 0 with a reason when datatrove or the corpus is missing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
import zipfile
from pathlib import Path

#: Common Arabic function words (our own short list): Gopher's quality filter needs some
#: stop words per document; news prose has several of these in every paragraph.
ARABIC_STOP_WORDS = [
    "في", "من", "على", "إلى", "عن", "مع", "أن", "إن", "هذا", "هذه", "ذلك", "التي",
    "الذي", "الذين", "كان", "كانت", "قد", "لا", "ما", "لم", "لن", "ثم", "أو", "بين",
    "كما", "بعد", "قبل", "حتى", "عند", "كل", "هو", "هي", "وقد", "وفي", "ومن", "فيه",
]


def to_jsonl(raw: Path, out: Path) -> int:
    """Write every zipped JSON array under ``raw`` as one JSONL file per zip; returns rows."""
    out.mkdir(parents=True, exist_ok=True)
    rows = 0
    for zpath in sorted(raw.glob("*.zip")):
        with zipfile.ZipFile(zpath) as zf, open(out / f"{zpath.stem}.jsonl", "w",
                                                 encoding="utf-8") as fh:
            for name in sorted(zf.namelist()):
                for i, rec in enumerate(json.loads(zf.read(name))):
                    fh.write(json.dumps({"id": f"{zpath.stem}/{i}",
                                         "text": rec.get("content") or "",
                                         "metadata": {"url": rec.get("url"),
                                                      "source": rec.get("source")}},
                                        ensure_ascii=False) + "\n")
                    rows += 1
    return rows


def run_pipeline(jsonl: Path, work: Path, workers: int) -> list[tuple[str, float]]:
    """The four datatrove executors, run one after the other; returns (step, seconds)."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import MinhashDedupSignature
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
    )
    from datatrove.pipeline.filters import GopherQualityFilter, GopherRepetitionFilter
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter, ParquetWriter
    from datatrove.utils.typeshelper import Languages

    lang = Languages.standard_arabic__arab  # "arb" alone maps to a Latin-script tokenizer
    config = MinhashConfig()
    sigs, buckets, clusters = work / "sigs", work / "buckets", work / "clusters"
    filtered = work / "filtered"
    n_buckets = config.num_buckets

    def reader():
        return JsonlReader(str(filtered))

    steps = [
        ("filter", LocalPipelineExecutor(pipeline=[
            JsonlReader(str(jsonl)),
            GopherRepetitionFilter(language=lang),
            GopherQualityFilter(stop_words=ARABIC_STOP_WORDS, language=lang),
            JsonlWriter(str(filtered), compression=None),
        ], tasks=workers, workers=workers, logging_dir=str(work / "logs/0"))),
        # datatrove's 4-stage MinHash; stages 1 and 4 read the same files with the same
        # task count, so document indices line up per task.
        ("signatures", LocalPipelineExecutor(pipeline=[
            reader(),
            MinhashDedupSignature(output_folder=str(sigs), config=config, language=lang),
        ], tasks=workers, workers=workers, logging_dir=str(work / "logs/1"))),
        ("buckets", LocalPipelineExecutor(pipeline=[
            MinhashDedupBuckets(input_folder=str(sigs), output_folder=str(buckets),
                                config=config),
        ], tasks=n_buckets, workers=workers, logging_dir=str(work / "logs/2"))),
        ("clusters", LocalPipelineExecutor(pipeline=[
            MinhashDedupCluster(input_folder=str(buckets), output_folder=str(clusters),
                                config=config),
        ], tasks=1, workers=1, logging_dir=str(work / "logs/3"))),
        ("filter+write", LocalPipelineExecutor(pipeline=[
            reader(),
            MinhashDedupFilter(input_folder=str(clusters)),
            ParquetWriter(str(work / "out")),
        ], tasks=workers, workers=workers, logging_dir=str(work / "logs/4"))),
    ]
    timings = []
    for name, executor in steps:
        t0 = time.perf_counter()
        executor.run()
        timings.append((name, time.perf_counter() - t0))
    return timings


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, prepare JSONL, run the pipeline and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--raw", type=Path, default=Path("../shared/corpora/saudinewsnet"))
    ap.add_argument("--work", type=Path, required=True, help="scratch folder (emptied)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    try:
        import datatrove  # noqa: F401
    except ImportError:
        print("skipped: datatrove is not installed in this interpreter (see the docstring)")
        return 0
    if not any(args.raw.glob("*.zip")):
        print(f"skipped: no zipped JSON arrays under {args.raw}")
        return 0
    if args.work.exists():
        shutil.rmtree(args.work)
    t0 = time.perf_counter()
    rows = to_jsonl(args.raw, args.work / "jsonl")
    print(f"prepare (zips -> JSONL, not counted): {rows} rows, {time.perf_counter() - t0:.1f} s",
          flush=True)
    timings = run_pipeline(args.work / "jsonl", args.work, args.workers)
    for name, secs in timings:
        print(f"{name:>14}: {secs:8.1f} s")
    kept = 0
    import pyarrow.parquet as pq
    for f in sorted((args.work / "out").rglob("*.parquet")):
        kept += pq.ParquetFile(f).metadata.num_rows
    print(f"datatrove pipeline: {sum(s for _, s in timings):.1f} s wall, "
          f"{rows} in, {kept} kept ({args.workers} workers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
