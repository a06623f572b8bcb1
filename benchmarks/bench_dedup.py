"""Dedup throughput and memory on SaudiNewsNet and on a 10× perturbed copy of it.

Rates are printed as [by wall clock, by CPU time]: the machine is shared, so wall-clock
figures drop when other work runs. Prints, per corpus: MinHash signatures/s (rensa vs
datasketch, the choice made in ``akhbar.dedup``), end-to-end ``dedup.run`` articles/s,
peak RSS of a fresh process, and how many exact and near duplicates were dropped.
Targets (2 cores): ≥ 3,000 signatures/s; peak RSS < 1 GB at 300,000 articles.

    .venv/bin/python benchmarks/bench_dedup.py            # everything
    .venv/bin/python benchmarks/bench_dedup.py --copies 10 --skip-datasketch

SaudiNewsNet is read from ../shared/corpora/saudinewsnet/*.zip (zipped JSON arrays);
the script exits cleanly when it is absent. Each ``dedup.run`` runs in a child process so
its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import polars as pl
from rensa import RMinHash

from akhbar import dedup, io, params
from akhbar.folding import fold_expr
from akhbar.ids import article_id
from akhbar.schema import ARTICLE_SCHEMA

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpora" / "saudinewsnet"


def load_saudinewsnet(folder: Path = CORPUS) -> list[dict]:
    """SaudiNewsNet records as ARTICLE_SCHEMA rows (crawl time as ``crawled``)."""
    rows: list[dict] = []
    for zpath in sorted(folder.glob("*.zip")):
        with zipfile.ZipFile(zpath) as zf:
            for member in sorted(zf.namelist()):
                for i, rec in enumerate(orjson.loads(zf.read(member))):
                    text = (rec.get("content") or "").strip()
                    crawled = rec.get("date_extracted")
                    rows.append({
                        "id": article_id(rec.get("url"), text), "url": rec.get("url"),
                        "source": rec.get("source"), "title": rec.get("title"), "text": text,
                        "crawled": (datetime.strptime(crawled, "%Y-%m-%d %H:%M:%S")
                                    .replace(tzinfo=UTC) if crawled else None),
                        "raw_file": f"{zpath.name}/{member}", "raw_record": i,
                    })
    return rows


def perturb(text: str, rng: random.Random, rate: float) -> str:
    """Drop and swap about ``rate`` of the words (a re-edited copy of the story)."""
    words = text.split()
    words = [w for w in words if rng.random() >= rate] or words
    for _ in range(int(len(words) * rate)):
        i = rng.randrange(max(1, len(words) - 1))
        words[i:i + 2] = words[i:i + 2][::-1]
    return " ".join(words)


def scaled(rows: list[dict], copies: int, seed: int = 7) -> Iterator[list[dict]]:
    """The corpus and ``copies - 1`` perturbed copies of it, in batches of one copy. Each
    copy is light (2% edits: a near duplicate) or heavy (25%: a different text)."""
    rng = random.Random(seed)
    yield rows
    for c in range(1, copies):
        batch = []
        for r in rows:
            rate = 0.02 if rng.random() < 0.5 else 0.25
            text = perturb(r["text"], rng, rate)
            batch.append({**r, "id": article_id(None, f"{c}:{r['id']}:{text}"), "url": None,
                          "text": text, "raw_file": f"copy{c}/{r['raw_file']}"})
        yield batch


def write_corpus(batches: Iterator[list[dict]], folder: Path) -> int:
    with io.ParquetSink(folder, ARTICLE_SCHEMA, rows_per_file=50_000) as sink:
        for batch in batches:
            sink.write(batch)
    return sink.rows


def _timed(fn: Callable[..., Any], *args: Any) -> tuple[Any, float, float]:
    """(result, wall seconds, CPU seconds of this process: all threads summed)."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - t0, time.process_time() - c0


def signature_rates(folder: Path, p: params.Params, datasketch_too: bool) -> dict:
    """Per step of the signature path of ``akhbar.dedup`` (fold → shingle hashes →
    MinHash), docs/s by wall clock and by CPU time; rensa and datasketch get the very
    same shingle hashes. Texts are read first, so I/O is not counted."""
    d = params.typed(p).dedup
    texts = pl.concat(io.read_batches(folder, columns=["text"]))
    n = texts.height
    folded, w_fold, c_fold = _timed(
        lambda: texts.select(fold_expr(pl.col("text").fill_null(""))).to_series())
    (flat, offsets), w_sh, c_sh = _timed(dedup.shingle_hashes, folded, d.shingle_size)
    _, w_mh, c_mh = _timed(lambda: RMinHash.digest_matrix_from_flat_token_hashes(
        flat, offsets, num_perm=d.num_perm, seed=d.seed).to_rows())
    out = {"docs": n,
           "fold_docs_per_s": [round(n / w_fold), round(n / c_fold)],
           "shingle_hash_docs_per_s": [round(n / w_sh), round(n / c_sh)],
           "rensa_sigs_per_s": [round(n / w_mh), round(n / max(c_mh, 1e-9))],
           "shingles_plus_rensa_per_s": [round(n / (w_sh + w_mh)), round(n / (c_sh + c_mh))]}
    if datasketch_too:
        from datasketch import MinHash

        sample = min(n, 5000)

        def ds() -> None:
            for r in range(sample):
                m = MinHash(num_perm=d.num_perm, seed=d.seed)
                m.update_batch([t.tobytes() for t in flat[int(offsets[r]):int(offsets[r + 1])]])
                m.digest()

        _, w_ds, c_ds = _timed(ds)
        out["datasketch_sigs_per_s"] = [round(sample / w_ds), round(sample / c_ds)]
    return out


def _vm_hwm_kb() -> int:
    """Peak RSS of this process (VmHWM). Not ``ru_maxrss``: Linux carries that over
    ``exec`` from the parent, which holds the whole corpus here."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(folder: str) -> None:
    """Run dedup once and print its figures as JSON (called in a fresh process)."""
    p = params.load()
    with tempfile.TemporaryDirectory() as tmp:
        t0, c0 = time.perf_counter(), time.process_time()
        rep = dedup.run(Path(folder), Path(tmp) / "out", Path(tmp) / "rej.parquet", p)
        secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak_mb = _vm_hwm_kb() / 1024
    print(json.dumps({"rows_in": rep.rows_in, "rows_out": rep.rows_out,
                      "rejected": dict(rep.rejected), "stats": rep.stats,
                      "seconds": round(secs, 1),
                      "articles_per_s": round(rep.rows_in / secs),
                      "cpu_seconds": round(cpu, 1),
                      "peak_rss_mb": round(peak_mb)}))


def measure(folder: Path) -> dict:
    res = subprocess.run([sys.executable, __file__, "--child", str(folder)], check=True,
                         capture_output=True, text=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=10)
    ap.add_argument("--skip-datasketch", action="store_true")
    ap.add_argument("--child")
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return
    if not any(CORPUS.glob("*.zip")):
        print(f"SKIP: SaudiNewsNet not found under {CORPUS}")
        return
    p = params.load()
    rows = load_saudinewsnet()
    texts = pl.Series([r["text"] for r in rows])
    print(f"SaudiNewsNet: {len(rows)} articles, "
          f"{len(rows) - texts.n_unique()} rows repeating an earlier identical body in "
          f"{int((texts.value_counts().get_column('count') > 1).sum())} groups")
    with tempfile.TemporaryDirectory() as tmp:
        base, big = Path(tmp) / "snn", Path(tmp) / "big"
        write_corpus(iter([rows]), base)
        print("signatures:", json.dumps(signature_rates(base, p, not args.skip_datasketch)))
        print("dedup SaudiNewsNet:", json.dumps(measure(base)))
        n = write_corpus(scaled(rows, args.copies), big)
        del rows, texts
        print(f"dedup {args.copies}x ({n} articles):", json.dumps(measure(big)))


if __name__ == "__main__":
    main()
