"""Story clusters (:mod:`akhbar.stories`) on the cluster, as waves between file shuffles.

The local stage bands the same MinHash signatures a second time (``split.story_bands``
bands), keeps candidate pairs whose estimated Jaccard is at least ``story_threshold +
story_exact_margin``, checks those within the margin exactly on their shingle sets, and
joins copies and story links into stories. Here, with ``P`` partitions and the signature
store of :mod:`akhbar.distributed.sigstore` (dense node ids, rank in key byte order):

1. ``story_bands`` (per store partition): band values of the usable texts, each with its
   8-byte node id → the partition of (band, values);
2. ``story_buckets``: buckets → candidate pairs of ids by the local rule
   (:mod:`akhbar.distributed.buckets`), sorted, → the store partition of the first id
   (16 B a pair: no signature travels; this was ~95 % of dedup's shuffle when the first
   side's 512-byte signature went with each pair);
3. ``story_verify``: the distinct pairs of a partition, in id slices of at most
   ``SLICE_PAIRS`` received pairs (row groups with statistics, so a slice reads only its
   own), the estimate from store lookups; sure links → ``sedges/``; pairs within the
   margin → ``maybe/`` (by first key) and their keys → ``wanted/``;
4. ``want_rows``: one input row per wanted key → the partition of its input range;
   ``shingle`` (per input range): the shingle set of those rows' texts only (the local
   stage re-reads the texts for the same pairs only) → the partition of the key;
5. ``exact_a`` / ``exact_b``: each side's set joined in its partition; exact Jaccard ≥
   ``story_threshold`` → ``sedges/``.

The stories are then the components of ``edges/`` ∪ ``sedges/``
(:mod:`akhbar.distributed.components`, tag ``"s"``), and ``story_id`` is decided with the
kept rows in :func:`akhbar.distributed.dedup.keep`. Driver memory: counts per task and P
received-pair counts. Worker memory: ``story_bands`` one store partition (distinct
texts/P × 512 B) and its band entries (× ``story_bands`` × ~18 B); ``story_buckets`` its
band entries and at most ``CHUNK_PAIRS`` pairs plus one band's (band by band, written in
chunks; a band's pairs are bounded by the bucket rule: ≤ 2,016 per bucket of ≤ 64, 2 per
member beyond); ``story_verify`` one slice (≤ ``SLICE_PAIRS`` × 16
B, a few times that while de-duplicating) and 16 MB of signatures at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from akhbar import dedup as local
from akhbar import stories
from akhbar.distributed import sigstore
from akhbar.distributed.buckets import bucket_pairs
from akhbar.distributed.shards import read_range
from akhbar.distributed.shuffle import (
    gather,
    gather_range,
    key_partition,
    mix_partition,
    scatter,
)
from akhbar.folding import fold_expr
from akhbar.params import Params

_SETS = {"key": pl.Binary, "set": pl.List(pl.UInt64)}
_PAIR = {"a": pl.Binary, "b": pl.Binary}
_IDS = {"a": pl.UInt64, "b": pl.UInt64}
#: story pairs written per row group (with statistics: a slice reads only its groups)
ROW_GROUP = 65_536
#: story candidate pairs (duplicates included) a ``story_verify`` slice takes at most:
#: 16 B each, ~64 MB of ids, a few times that while de-duplicating
SLICE_PAIRS = 4_000_000
#: story candidate pairs a ``story_buckets`` task holds before writing them as a chunk
#: (16 B each: ~32 MB, a few times that while de-duplicating and sorting)
CHUNK_PAIRS = 2_000_000


def _directed(links: pl.DataFrame) -> pl.DataFrame:
    return pl.concat([links.select(pl.col("a").alias("src"), pl.col("b").alias("dst")),
                      links.select(pl.col("b").alias("src"), pl.col("a").alias("dst"))])


def story_bands(p: int, root: str, parts: int, params: Params, offsets: list[int]
                ) -> dict[str, int]:
    """Story band values of the distinct usable texts of partition ``p`` (read from the
    signature store), each with its node id (8 bytes, not its 16-byte key)."""
    base, d = Path(root), params.dedup
    sp = params.split
    store = sigstore.Store(base, offsets)
    usable = np.flatnonzero(store.local("has", p))
    sig = store.local("sigs", p)[usable]
    ids = (offsets[p] + usable).astype(np.uint64)
    per = d.num_perm // sp.story_bands
    frames, dests = [], []
    for band in range(sp.story_bands):
        values = sig[:, band * per:(band + 1) * per]
        cols = [np.full(len(ids), band, dtype=np.uint64)] + [values[:, j] for j in range(per)]
        dests.append(mix_partition(cols, parts))
        frames.append(pl.DataFrame(
            {"band": pl.Series(np.full(len(ids), band), dtype=pl.UInt16),
             **{f"h{j}": pl.Series(values[:, j], dtype=pl.UInt32) for j in range(per)},
             "id": pl.Series(ids, dtype=pl.UInt64)}))
    out = scatter(pl.concat(frames), np.concatenate(dests), parts, base / "sbands", p)
    return {"bytes": out}


def story_buckets(p: int, root: str, parts: int, offsets: list[int]) -> dict[str, int]:
    """The story band buckets of partition ``p`` → candidate pairs of node ids (the local
    bucket rule: ids are ranks in key byte order), to the store partition of the first.

    Band by band: a bucket lies in one band, and the rule depends only on the members'
    order, so each band's pairs are those of the whole partition's rule. Pairs are held
    until ``CHUNK_PAIRS`` are, then written as one chunk (de-duplicated and sorted in the
    chunk; ``story_verify`` de-duplicates across chunks and partitions): the task holds
    its band entries and at most one chunk plus one band's pairs."""
    base = Path(root)
    entries = gather(base / "sbands", p).unique()
    store = sigstore.Store(base, offsets)
    sent = np.zeros(parts, dtype=np.int64)
    held: list[pl.DataFrame] = []
    written, chunks, n_held = 0, 0, 0

    def flush() -> None:
        nonlocal written, chunks, n_held
        pairs = (pl.concat(held) if held else pl.DataFrame(schema=_IDS)).unique().sort("a", "b")
        dest = store.partition_of(pairs.get_column("a").to_numpy())
        sent[:] += np.bincount(dest, minlength=parts)
        written += scatter(pairs, dest, parts, base / "spairs", f"{p:05d}-{chunks:04d}",
                           row_group=ROW_GROUP)
        held.clear()
        chunks, n_held = chunks + 1, 0

    bands = entries.partition_by("band", as_dict=True) if entries.height else {}
    del entries
    for key in sorted(bands):
        a, b = bucket_pairs(bands.pop(key), "id")
        if len(a):
            held.append(pl.DataFrame({"a": a, "b": b}, schema=_IDS))
            n_held += len(a)
        if n_held >= CHUNK_PAIRS:
            flush()
    if held or not chunks:
        flush()
    return {"bytes": written, "sent": sent.tolist(), "chunks": chunks}


def story_verify(p: int, root: str, parts: int, params: Params, offsets: list[int],
                 received: int = 0) -> dict[str, int]:
    """Estimated Jaccard of the distinct story candidates whose first node is in ``p``
    (signatures from the store, a chunk at a time): sure links to ``sedges/``, pairs
    within the margin to ``maybe/`` and their keys to ``wanted/``. ``received``: the pairs
    sent to ``p`` (duplicates included); the partition's id range is read in
    ``ceil(received / SLICE_PAIRS)`` slices, so the task holds one slice of pairs (a pair
    lies in the slice of its first id, so each slice de-duplicates on its own)."""
    base = Path(root)
    sp = params.split
    store = sigstore.Store(base, offsets)
    lo, hi = sp.story_threshold - sp.story_exact_margin, sp.story_threshold + sp.story_exact_margin
    slices = max(1, -(-received // SLICE_PAIRS))
    edges = np.linspace(offsets[p], offsets[p + 1], slices + 1).round().astype(np.int64)
    links, check, candidates, n_sure, n_maybe = [], [], 0, 0, 0
    for s0, s1 in zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True):
        pairs = gather_range(base / "spairs", p, "a", s0, s1, _IDS).unique().sort("a", "b")
        a = pairs.get_column("a").to_numpy().astype(np.int64)
        b = pairs.get_column("b").to_numpy().astype(np.int64)
        est = store.estimate(a, b)
        sure = est >= hi
        maybe = (est >= lo) & ~sure
        candidates, n_sure, n_maybe = (candidates + len(a), n_sure + int(sure.sum()),
                                       n_maybe + int(maybe.sum()))
        links.append(pl.DataFrame([store.keys(a[sure], "a"), store.keys(b[sure], "b")],
                                  schema=_PAIR))
        check.append(pl.DataFrame([store.keys(a[maybe], "a"), store.keys(b[maybe], "b")],
                                  schema=_PAIR))
        del pairs, a, b, est
    directed = _directed(pl.concat(links))
    out = scatter(directed, key_partition(directed.get_column("src"), parts), parts,
                  base / "sedges", p)
    maybe_pairs = pl.concat(check)
    out += scatter(maybe_pairs, key_partition(maybe_pairs.get_column("a"), parts), parts,
                   base / "maybe", p)
    wanted = pl.concat([maybe_pairs.select(pl.col("a").alias("key")),
                        maybe_pairs.select(pl.col("b").alias("key"))]).unique().sort("key")
    out += scatter(wanted, key_partition(wanted.get_column("key"), parts), parts,
                   base / "wanted", p)
    return {"candidates": candidates, "sure": n_sure, "maybe": n_maybe, "bytes": out,
            "slices": slices}


def want_rows(p: int, root: str, range_starts: list[int]) -> dict[str, int]:
    """One input row (the first) of each wanted key of ``p``, sent to its input range."""
    base = Path(root)
    wanted = gather(base / "wanted", p, {"key": pl.Binary}).unique()
    rows = gather(base / "rows", p).select("key", "row")
    first = (rows.join(wanted, on="key", how="semi").group_by("key")
             .agg(pl.col("row").min()))
    starts = np.asarray(range_starts, dtype=np.int64)
    dest = np.searchsorted(starts, first.get_column("row").to_numpy(), side="right") - 1
    return {"bytes": scatter(first, dest, len(starts), base / "want_rows", p)}


def shingle(i: int, file: str, offset: int, length: int, row0: int, root: str, parts: int,
            size: int) -> dict[str, int]:
    """Sorted unique shingle hashes of the wanted rows of input range ``i``."""
    base = Path(root)
    want = gather(base / "want_rows", i, {"key": pl.Binary, "row": pl.Int64})
    if want.height:
        texts = pl.from_arrow(read_range(file, offset, length, ["text"])).get_column("text")
        picked = texts.gather(want.get_column("row") - row0)
        folded = pl.select(fold_expr(picked.fill_null(""))).to_series()
        flat, offsets = local.shingle_hashes(folded, size)
        sets = [np.unique(flat[int(offsets[k]):int(offsets[k + 1])]).tolist()
                for k in range(want.height)]
        frame = pl.DataFrame({"key": want.get_column("key"), "set": sets}, schema=_SETS)
    else:
        frame = pl.DataFrame(schema=_SETS)
    return {"bytes": scatter(frame, key_partition(frame.get_column("key"), parts), parts,
                             base / "sets", i)}


def exact_a(p: int, root: str, parts: int) -> dict[str, int]:
    """The pairs to check whose first key is in ``p``, with its shingle set."""
    base = Path(root)
    sets = gather(base / "sets", p, _SETS).unique("key", keep="first").select(
        pl.col("key").alias("a"), pl.col("set").alias("set_a"))
    joined = gather(base / "maybe", p, _PAIR).join(sets, on="a", how="left")
    return {"bytes": scatter(joined, key_partition(joined.get_column("b"), parts), parts,
                             base / "maybe_b", p)}


def exact_b(p: int, root: str, parts: int, params: Params) -> dict[str, int]:
    """Exact Jaccard of each pair within the margin; links at or above the threshold."""
    base = Path(root)
    sp = params.split
    sets = gather(base / "sets", p, _SETS).unique("key", keep="first").select(
        pl.col("key").alias("b"), pl.col("set").alias("set_b"))
    joined = gather(base / "maybe_b", p).join(sets, on="b", how="left")
    got = {k: np.asarray(v, dtype=np.uint64) for k, v in enumerate(
        joined.get_column("set_a").to_list() + joined.get_column("set_b").to_list())}
    n = joined.height
    exact = stories.exact_jaccard(got, np.arange(n), np.arange(n) + n)
    links = joined.filter(pl.Series(exact >= sp.story_threshold, dtype=pl.Boolean)
                          ).select("a", "b")
    directed = _directed(links)
    out = scatter(directed, key_partition(directed.get_column("src"), parts), parts,
                  base / "sedges", parts + p)
    return {"linked": links.height, "bytes": out}


def run_waves(wave: Callable[[str, Callable[..., Any], list[tuple[Any, ...]]], list[Any]],
              root: str, parts: int, params: Params, ranges: list[tuple[str, int, int]],
              starts: list[int], offsets: list[int]) -> dict[str, int]:
    """The story waves on ``wave`` (the dedup driver's task runner); story link counts."""
    every = range(parts)
    wave("story_bands", story_bands, [(p, root, parts, params, offsets) for p in every])
    sent = wave("story_buckets", story_buckets, [(p, root, parts, offsets) for p in every])
    received = np.sum([x["sent"] for x in sent], axis=0).tolist()  # P ints
    ver = wave("story_verify", story_verify, [(p, root, parts, params, offsets, received[p])
                                              for p in every])
    maybe = sum(v["maybe"] for v in ver)
    linked = 0
    if maybe:
        wave("want_rows", want_rows, [(p, root, starts) for p in every])
        size = params.dedup.shingle_size
        wave("shingle", shingle, [(i, f, o, n, s, root, parts, size)
                                  for i, ((f, o, n), s) in enumerate(zip(ranges, starts,
                                                                         strict=True))])
        wave("exact_a", exact_a, [(p, root, parts) for p in every])
        linked = sum(x["linked"] for x in wave("exact_b", exact_b,
                                               [(p, root, parts, params) for p in every]))
    return {"story_candidate_pairs": sum(v["candidates"] for v in ver),
            "story_pairs_checked_exactly": maybe,
            "story_pairs_linked": sum(v["sure"] for v in ver) + linked}
