"""The ``dedup`` stage on a Dask cluster, with the decisions (copies and stories) of
:func:`akhbar.dedup.plan`.

NeMo Curator's fuzzy-dedup shape, as waves of tasks joined by file shuffles
(:mod:`akhbar.distributed.shuffle`), ``P`` = ``executor.partitions``; keys are
partitioned by range, so partition order is key byte order:

1. ``sign`` (one task per input range): exact keys and MinHash signatures with the local
   stage's own functions (:func:`akhbar.dedup.exact_keys`, :func:`~akhbar.dedup.signatures`);
   rows and signatures go to the partition of their exact key, LSH band values to the
   partition of (band, values): the banding shuffle.
2. ``buckets``: band buckets → candidate key pairs by the local rule
   (:mod:`akhbar.distributed.buckets`, on keys in byte order, as the local stage numbers
   its nodes), sent to the partition of the first key.
3. ``index``: each partition's distinct keys and signatures written once to the
   signature store (:mod:`akhbar.distributed.sigstore`); the driver turns the P counts
   into id offsets (a text's id is its rank in key byte order).
4. ``verify``: the distinct pairs of a partition, both signatures read from the store
   (a pair never carries one); pairs at or above ``threshold`` become edges.
5. ``propagate`` / ``relabel`` rounds (:mod:`akhbar.distributed.components`): min-label
   propagation over the edges (a node's label is the smallest key of its component) until
   no label changes; rounds ≤ the largest component's diameter + 1.
6. story clusters (:mod:`akhbar.distributed.stories`): a second banding on node ids, its
   links, and a second labelling over copies ∪ story links.
7. ``label_rows`` / ``keep``: rows joined with both labels, sent to their story's partition
   (a component lies inside one story), one kept row per component by the local rule
   (earliest ``published``, ``crawled``, smallest ``id``, ``raw_file``, ``raw_record``;
   input position last) and the ``story_id`` of each story (its first row in that order).
8. ``sim``: estimated Jaccard of each near duplicate and its kept row (store lookups).
9. ``apply`` (one task per input range): the range's rows routed as ``akhbar.dedup.run``
   does; the driver concatenates the ranges in order
   (:func:`akhbar.distributed.shards.merge_shards`).

Driver memory: the driver holds one future and one small dict of counts per task,
O(ranges + P × rounds) plus the P + 1 id offsets, never a row, key, signature or edge.
Worker memory: one range, or one partition: ≈ rows/P index rows and distinct texts/P
signatures (512 B each) in ``index``; in ``verify``/``sim`` the partition's pairs (32 B
each) and 16,384 pairs' signatures at a time (``sigstore.CHUNK``: 16 MB); story tasks as
:mod:`akhbar.distributed.stories` says.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from akhbar import dedup as local
from akhbar import io
from akhbar.distributed import components, sigstore, stories
from akhbar.distributed.buckets import bucket_pairs
from akhbar.distributed.shards import merge_shards, read_range
from akhbar.distributed.shuffle import gather, key_partition, mix_partition, scatter, wave_bytes
from akhbar.folding import fold_expr
from akhbar.params import Params, typed
from akhbar.schema import ARTICLE_SCHEMA, REJECTED_SCHEMA
from akhbar.stage import StageReport, count_reasons

_ROW_COLUMNS = ["row", "key", "id", "published", "crawled", "raw_file", "raw_record"]
_RANK = ["published", "crawled", "id", "raw_file", "raw_record", "row"]
_DEC = {"row": pl.Int64, "keep_id": pl.String, "reason": pl.String, "similarity": pl.Float64,
        "story_id": pl.String}
_PAIR = {"a": pl.Binary, "b": pl.Binary}


def _frame(table: pa.Table) -> pl.DataFrame:
    return pl.from_arrow(table)  # type: ignore[return-value]


# ---------------------------------------------------------------- worker side (one task each)

def sign(i: int, file: str, offset: int, length: int, row0: int, root: str,
         params: Params, parts: int) -> dict[str, int]:
    """Wave 1: keys, signatures and band values of input range ``i``."""
    d, base = params.dedup, Path(root)
    batch = _frame(read_range(file, offset, length, local._KEY_COLUMNS))
    folded = batch.select(fold_expr(pl.col("text").fill_null("")).alias("f")).to_series()
    keys = pl.Series("key", local.exact_keys(folded), dtype=pl.Binary)
    first = pl.DataFrame({"key": keys}).with_row_index("pos").unique("key", keep="first",
                                                                      maintain_order=True)
    sig, has = local.signatures(folded.gather(first.get_column("pos")), d.shingle_size,
                                d.num_perm, d.seed)
    rows = batch.drop("text").with_columns(
        keys, pl.int_range(row0, row0 + batch.height, dtype=pl.Int64).alias("row"))
    out = scatter(rows.select(_ROW_COLUMNS), key_partition(keys, parts), parts,
                  base / "rows", i)
    ukeys = first.get_column("key")
    nodes = pl.DataFrame({"key": ukeys, "has": has, "sig": pl.Series(sig)})
    out += scatter(nodes, key_partition(ukeys, parts), parts, base / "nodes", i)
    usable = np.flatnonzero(has)
    per = d.num_perm // d.bands
    frames, dests = [], []
    for band in range(d.bands):  # one band's columns at a time, as the local stage
        values = sig[usable, band * per:(band + 1) * per]
        cols = [np.full(len(usable), band, dtype=np.uint64)] + [values[:, j]
                                                               for j in range(per)]
        dests.append(mix_partition(cols, parts))
        frames.append(pl.DataFrame(
            {"band": pl.Series(np.full(len(usable), band), dtype=pl.UInt16),
             **{f"h{j}": values[:, j] for j in range(per)}, "key": ukeys.gather(usable)}))
    out += scatter(pl.concat(frames), np.concatenate(dests), parts, base / "bands", i)
    return {"rows": batch.height, "bytes": out}


def buckets(p: int, root: str, parts: int) -> dict[str, int]:
    """Wave 2: the band buckets of partition ``p`` → candidate key pairs, to the
    partition of the first key."""
    base = Path(root)
    a, b = bucket_pairs(gather(base / "bands", p).unique(), "key")
    keyed = pl.DataFrame({"a": a, "b": b}, schema=_PAIR)
    out = scatter(keyed, key_partition(keyed.get_column("a"), parts), parts,
                  base / "pairs", p)
    return {"bytes": out}


def index(p: int, root: str, num_perm: int) -> dict[str, int]:
    """Wave 3: partition ``p``'s distinct keys and signatures into the signature store
    (:mod:`akhbar.distributed.sigstore`); its count gives the driver the id offsets."""
    nodes, written = sigstore.write(Path(root), p, num_perm)
    return {"nodes": nodes, "bytes": written}


def verify(p: int, root: str, parts: int, params: Params, offsets: list[int]
           ) -> dict[str, int]:
    """Wave 4: the estimated Jaccard of the distinct candidate pairs whose first key is in
    ``p``, both signatures read from the store (pairs never carry one); edges at or above
    ``threshold`` (both directions, by source key)."""
    d, base = params.dedup, Path(root)
    store = sigstore.Store(base, offsets)
    pairs = gather(base / "pairs", p, _PAIR).unique().sort("a", "b")
    a = store.ids(pairs.get_column("a"), np.full(pairs.height, p))
    b = store.ids(pairs.get_column("b"), key_partition(pairs.get_column("b"), parts))
    near = store.estimate(a, b) >= d.threshold
    edges = pairs.filter(pl.Series(near, dtype=pl.Boolean))
    directed = pl.concat([edges.select(pl.col("a").alias("src"), pl.col("b").alias("dst")),
                          edges.select(pl.col("b").alias("src"), pl.col("a").alias("dst"))])
    out = scatter(directed, key_partition(directed.get_column("src"), parts), parts,
                  base / "edges", p)
    return {"candidates": pairs.height, "verified": edges.height, "bytes": out}


def label_rows(p: int, rnd: int, srnd: int, root: str, parts: int) -> dict[str, int]:
    """Rows of key partition ``p`` with their component and their story (final labels of
    the two labellings, else own key), sent to the story's partition (a component lies
    inside one story); exact-group counts of the partition."""
    base = Path(root)
    rows = gather(base / "rows", p)
    comp = (rows.join(components.labels(base, rnd, p), left_on="key", right_on="node",
                      how="left")
            .with_columns(pl.coalesce("label", "key").alias("comp")).drop("label")
            .join(components.labels(base, srnd, p, "s"), left_on="key", right_on="node",
                  how="left")
            .with_columns(pl.coalesce("label", "key").alias("story")).drop("label"))
    sizes = rows.get_column("key").value_counts().get_column("count")
    out = scatter(comp, key_partition(comp.get_column("story"), parts), parts,
                  base / "comps", p)
    return {"exact_groups": int((sizes > 1).sum()), "exact_copies": rows.height - len(sizes),
            "bytes": out}


def keep(p: int, root: str, parts: int, range_starts: list[int]) -> dict[str, int]:
    """One kept row per component of ``p`` and each story's ``story_id`` (the id of its
    first row in keep order, as :func:`akhbar.stories.story_ids`); exact duplicates decided
    here, near ones sent on for their similarity; decisions go to the partition of their
    input range. Story sizes count kept rows, as the local report does."""
    base = Path(root)
    rows = gather(base / "comps", p)
    ranked = rows.sort(_RANK, nulls_last=True)
    keeper = (ranked.group_by("comp", maintain_order=True)
              .agg(pl.col("row").first().alias("keep_row"),
                   pl.col("id").first().alias("keep_id"),
                   pl.col("key").first().alias("keep_key")))
    first = ranked.group_by("story", maintain_order=True).agg(
        pl.col("id").first().alias("story_id"))
    rows = rows.join(first, on="story", how="left")
    story_sizes = (rows.join(keeper.select(pl.col("keep_row").alias("row")), on="row",
                             how="semi").get_column("story").value_counts().get_column("count"))
    planned = rows.join(keeper, on="comp").with_columns(
        pl.when(pl.col("row") == pl.col("keep_row")).then(None)
        .when(pl.col("key") == pl.col("keep_key")).then(pl.lit("dedup:exact"))
        .otherwise(pl.lit("dedup:near")).alias("reason"))
    near = planned.filter(pl.col("reason") == "dedup:near")
    decided = planned.filter(pl.col("reason").fill_null("") != "dedup:near").with_columns(
        pl.lit(1.0).alias("similarity")).select(list(_DEC))
    starts = np.asarray(range_starts, dtype=np.int64)
    out = scatter(decided, _range_of(decided, starts), len(starts), base / "decisions", p)
    hand = near.select("row", "keep_id", "reason", "story_id", "key", "keep_key")
    out += scatter(hand, key_partition(hand.get_column("key"), parts), parts,
                   base / "near", p)
    dup = planned.filter(pl.col("reason").is_not_null()).get_column("comp").n_unique()
    several = story_sizes.filter(story_sizes > 1)
    return {"clusters": keeper.height, "duplicate_clusters": dup, "bytes": out,
            "stories": story_sizes.len(), "stories_of_several_articles": several.len(),
            "articles_in_stories_of_several": int(several.sum()),
            "largest_story": int(story_sizes.max() or 0)}


def _range_of(df: pl.DataFrame, starts: np.ndarray) -> np.ndarray:
    return np.searchsorted(starts, df.get_column("row").to_numpy(), side="right") - 1


def sim(p: int, root: str, parts: int, offsets: list[int], range_starts: list[int]
        ) -> dict[str, int]:
    """The similarity of each near duplicate of key partition ``p`` and its kept row
    (rounded as locally in :func:`apply`), both signatures read from the store."""
    base = Path(root)
    store = sigstore.Store(base, offsets)
    near = gather(base / "near", p)
    a = store.ids(near.get_column("key"), np.full(near.height, p))
    b = store.ids(near.get_column("keep_key"), key_partition(near.get_column("keep_key"),
                                                             parts))
    decided = near.with_columns(pl.Series("similarity", store.estimate(a, b),
                                          dtype=pl.Float64)).select(list(_DEC))
    starts = np.asarray(range_starts, dtype=np.int64)
    return {"bytes": scatter(decided, _range_of(decided, starts), len(starts),
                             base / "decisions", parts + p)}


def apply(i: int, file: str, offset: int, length: int, root: str, shard: str,
          params: Params) -> StageReport:
    """Wave 7: route input range ``i`` as ``akhbar.dedup.run`` routes a batch."""
    d = params.dedup
    report = StageReport("dedup")
    batch = _frame(read_range(file, offset, length))
    dec = (gather(Path(root) / "decisions", i, _DEC).sort("row")
           .with_columns(pl.col("similarity").round(3)))
    if dec.height != batch.height:
        raise RuntimeError(f"dedup range {i}: {dec.height} decisions for {batch.height} rows")
    both = pl.concat([batch.drop("story_id", strict=False),
                      dec.select("keep_id", "reason", "similarity", "story_id")],
                     how="horizontal")
    kept, rej_rows = local.route(both)
    with io.ParquetSink(Path(shard) / "out", ARTICLE_SCHEMA,
                        rows_per_file=d.rows_per_file) as sink, \
            io.ParquetSink(Path(shard) / "rejected.parquet", REJECTED_SCHEMA) as rsink:
        sink.write(kept)
        rsink.write(rej_rows)
    report.rows_in, report.rows_out = batch.height, kept.height
    report.rejected.update(count_reasons(rej_rows))
    return report


# ---------------------------------------------------------------- driver side

def _measured(fn: Callable[..., Any], *args: Any) -> tuple[Any, float, int]:
    """``fn(*args)`` on a worker, with the CPU seconds it took and the worker's peak RSS
    during it (MB, sampled every 20 ms): the benchmark's per-wave figures."""
    import psutil  # a dependency of distributed

    proc, stop, peak = psutil.Process(), threading.Event(), [0]

    def sample() -> None:
        while True:
            peak[0] = max(peak[0], proc.memory_info().rss)
            if stop.wait(0.02):
                return

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    t0 = time.process_time()
    try:
        got = fn(*args)
    finally:
        stop.set()
        watcher.join()
    return got, time.process_time() - t0, peak[0] // 2**20


def run(inp: Path, out: Path, rejected: Path, params: Params, client: Any,
        work: Path, ranges: list[tuple[str, int, int]], parts: int,
        on_wave: Callable[[str], None] | None = None) -> tuple[StageReport, dict[str, Any]]:
    """Deduplicate ``inp`` on ``client`` into ``out``/``rejected`` (the bytes of
    ``akhbar.dedup.run``); ``work`` is a folder every worker can write."""
    params = typed(params)
    root = str(work)
    starts = list(np.cumsum([0] + [n for _, _, n in ranges[:-1]]).tolist()) if ranges else []
    shuffled: dict[str, int] = {}
    seconds: dict[str, float] = {}  # wall seconds per wave (for benchmarks)
    cpu: dict[str, float] = {}  # CPU seconds of the wave's tasks, summed
    maxrss: dict[str, int] = {}  # largest worker RSS (MB) during one of the wave's tasks

    def wave(name: str, fn: Callable[..., Any], args: list[tuple[Any, ...]]) -> list[Any]:
        if on_wave:
            on_wave(name)
        t0 = time.perf_counter()
        got = client.gather([client.submit(_measured, fn, *a, pure=False,
                                           key=f"{fn.__name__}-{uuid.uuid4().hex}")
                             for a in args])
        results = [g[0] for g in got]
        shuffled[name] = sum(g.get("bytes", 0) for g in results if isinstance(g, dict))
        seconds[name] = round(time.perf_counter() - t0, 2)
        cpu[name] = round(sum(g[1] for g in got), 3)
        maxrss[name] = max((g[2] for g in got), default=0)
        return results

    report = StageReport("dedup")
    if not ranges:
        return local.run(inp, out, rejected, params), {}
    wave("sign", sign, [(i, f, o, n, s, root, params, parts)
                        for i, ((f, o, n), s) in enumerate(zip(ranges, starts, strict=True))])
    wave("buckets", buckets, [(p, root, parts) for p in range(parts)])
    sizes = wave("index", index, [(p, root, params.dedup.num_perm) for p in range(parts)])
    offsets = np.cumsum([0] + [x["nodes"] for x in sizes]).tolist()  # P + 1 ints
    ver = wave("verify", verify, [(p, root, parts, params, offsets) for p in range(parts)])

    def labelling(tag: str, changed: int) -> int:
        """Propagation rounds until no label changes (no edge: nothing to do)."""
        rnd = 0
        while changed:
            wave(f"{tag}propagate-{rnd}", components.propagate,
                 [(p, rnd, root, parts, tag) for p in range(parts)])
            got = wave(f"{tag}relabel-{rnd}", components.relabel,
                       [(p, rnd, root, tag) for p in range(parts)])
            changed = sum(c["changed"] for c in got)
            rnd += 1
        return rnd

    near_edges = sum(v["verified"] for v in ver)
    rnd = labelling("", near_edges)
    story_stats = stories.run_waves(wave, root, parts, params, ranges, starts, offsets)
    srnd = labelling("s", near_edges + story_stats["story_pairs_linked"])
    groups = wave("label_rows", label_rows, [(p, rnd, srnd, root, parts)
                                             for p in range(parts)])
    kept = wave("keep", keep, [(p, root, parts, starts) for p in range(parts)])
    wave("sim", sim, [(p, root, parts, offsets, starts) for p in range(parts)])
    shards = [Path(root) / "apply" / f"{i:05d}" for i in range(len(ranges))]
    reports = wave("apply", apply, [(i, f, o, n, root, str(s), params)
                                    for i, ((f, o, n), s) in enumerate(zip(ranges, shards,
                                                                           strict=True))])
    merge_shards(shards, Path(out), Path(rejected), ARTICLE_SCHEMA,
                 params.dedup.rows_per_file)
    for r in reports:
        report.rows_in += r.rows_in
        report.rows_out += r.rows_out
        report.rejected.update(r.rejected)
    report.stats = {
        "clusters": sum(k["clusters"] for k in kept),
        "exact_groups": sum(g["exact_groups"] for g in groups),
        "exact_copies": sum(g["exact_copies"] for g in groups),
        "duplicate_clusters": sum(k["duplicate_clusters"] for k in kept),
        "near_pairs_verified": sum(v["verified"] for v in ver),
        "candidate_pairs": sum(v["candidates"] for v in ver),
        **story_stats,
        **{k: sum(x[k] for x in kept) for k in (
            "stories", "stories_of_several_articles", "articles_in_stories_of_several")},
        "largest_story": max(x["largest_story"] for x in kept),
    }
    info = {"shuffle_bytes": {**shuffled, "total": sum(shuffled.values())},
            "work_bytes": wave_bytes(Path(root)), "label_rounds": rnd,
            "story_label_rounds": srnd, "wave_seconds": seconds, "wave_cpu_s": cpu,
            "wave_worker_peak_rss_mb": maxrss, "distinct_texts": offsets[-1],
            "ranges": len(ranges), "partitions": parts}
    return report.finish(), info
