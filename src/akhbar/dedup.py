"""The ``dedup`` stage: exact and near-duplicate removal across all sources.

Two streamed passes over the input keep memory bounded by the *index*, never the texts:

1. per batch, hash ``fold(text)`` (exact key) and compute a MinHash signature of its word
   5-gram shingles (hashed column-wise off the Arrow byte buffer, :mod:`akhbar.shingles`),
   once per distinct exact key, with rensa's ``RMinHash`` (on SaudiNewsNet's shingles:
   ~36,000 signatures/s against datasketch's ~700/s, see ``benchmarks/bench_dedup.py``);
   batches are folded and signed on worker
   threads (:func:`akhbar.streaming.ordered_map`: the work runs in polars, Arrow, numpy and
   rensa, outside the GIL) and numbered in input order (``benchmarks/dedup_stage.py`` measures it);
2. band the signatures (LSH: numpy sorts per band) to get candidate pairs, keep the pairs
   whose estimated Jaccard reaches ``threshold``, and join exact groups and near pairs
   into clusters with a vectorized union-find;
3. pick one article per cluster with a rule that depends on the rows only, never on their
   order: earliest ``published`` (nulls last), then earliest ``crawled``, then smallest
   ``id`` (then ``raw_file``/``raw_record`` for rows sharing an id);
4. link articles into *stories* at the lower ``split.story_threshold`` (see
   :mod:`akhbar.stories`; ``story_id`` names the story, the split stage keys on it);
5. re-read the input and route each row to the output (``cluster_id`` = its own id, as the
   kept article names its cluster) or to rejected (``dedup:exact``/``dedup:near`` with
   ``duplicate_of`` = the kept id), preserving input order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from akhbar import config, io, stories, streaming
from akhbar.folding import fold_expr
from akhbar.params import Params, RawParams, typed

# the kernels live in akhbar.shingles; re-exported here for stories, the cluster version
# (akhbar.distributed) and the tests, which name them dedup.<kernel>
from akhbar.shingles import exact_keys as exact_keys
from akhbar.shingles import shingle_hashes as shingle_hashes
from akhbar.shingles import sign, sorted_unique
from akhbar.shingles import signatures as signatures
from akhbar.shingles import word_hashes as word_hashes
from akhbar.stage import StageReport, rejected_frame

#: Buckets larger than this are verified as a chain (each member against the smallest and
#: the previous one) instead of all pairs, so a template-heavy bucket cannot go quadratic.
MAX_BUCKET_PAIRS = 64
#: LSH bands keyed at once by :func:`candidate_pairs` (8 × 300,000 rows of keys ≈ 40 MB).
BANDS_AT_ONCE = 8
_KEY_COLUMNS = ["id", "text", "published", "crawled", "raw_file", "raw_record"]


def _bucket_pairs(members: pl.DataFrame) -> pl.DataFrame:
    """Pairs (a < b) to verify in each bucket: all pairs up to ``MAX_BUCKET_PAIRS``
    members, else a star on the smallest member plus a chain through the sorted rest."""
    small = members.filter(pl.col("size") <= MAX_BUCKET_PAIRS)
    allpairs = (small.join(small, on="bucket", suffix="_b")
                .filter(pl.col("node") < pl.col("node_b"))
                .select(pl.col("node").alias("a"), pl.col("node_b").alias("b")))
    big = members.filter(pl.col("size") > MAX_BUCKET_PAIRS).sort("bucket", "node")
    first = pl.col("node").first().over("bucket")
    prev = pl.col("node").shift(1).over("bucket")
    star = big.select(first.alias("a"), pl.col("node").alias("b")).filter(
        pl.col("a") < pl.col("b"))
    chain = big.select(prev.alias("a"), pl.col("node").alias("b")).drop_nulls()
    return pl.concat([allpairs, star, chain])


def _band_keys(sig: np.ndarray, nodes: np.ndarray, lo: int, hi: int, rows: int
               ) -> np.ndarray:
    """Bands ``lo..hi`` of ``nodes`` as packed keys (band, node, slot pair): a band's
    ``rows`` uint32 slots read two by two as uint64 (lossless, so equal keys are exactly
    equal bands; an odd last slot is paired with 0)."""
    n, nb = len(nodes), hi - lo
    block = sig[nodes, lo * rows:hi * rows].reshape(n, nb, rows).transpose(1, 0, 2)
    if rows % 2:
        block = np.concatenate([block, np.zeros((nb, n, 1), dtype=np.uint32)], axis=2)
    return np.ascontiguousarray(block, dtype=np.uint32).view(np.uint64)


def _run_pairs(members: np.ndarray, start: np.ndarray) -> np.ndarray:
    """:func:`_bucket_pairs` on arrays: ``members`` sorted by (bucket, member), bucket
    ``i`` = ``members[start[i]:start[i + 1]]``; the pairs as codes ``a * n + b`` are left
    to the caller, here (a, b) rows."""
    size = np.diff(start)
    end = np.repeat(start[1:], size)  # per member: the end of its bucket
    at = np.arange(len(members))
    small = np.flatnonzero(np.repeat(size <= MAX_BUCKET_PAIRS, size))
    count = end[small] - small - 1  # partners after each member of a small bucket
    partner = np.repeat(small + 1 - (np.cumsum(count) - count), count) + np.arange(count.sum())
    big = at[np.repeat(size > MAX_BUCKET_PAIRS, size)]
    rest = big[np.isin(big, start, invert=True)]  # every member of a big bucket but its first
    head = np.repeat(start[:-1], size)  # per member: the first of its bucket
    a = np.concatenate([np.repeat(members[small], count), members[head[rest]], members[rest - 1]])
    b = np.concatenate([members[partner], members[rest], members[rest]])
    return np.stack([a, b], axis=1)


def _runs(same: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Runs of equal neighbours (``same[i]``: item i + 1 equals item i) of two or more
    items: (mask of the items in such runs, their runs' starts in the masked items)."""
    start = np.concatenate([[0], np.flatnonzero(~same) + 1, [len(same) + 1]])
    size = np.diff(start)
    several = size > 1
    return np.repeat(several, size), np.concatenate([[0], np.cumsum(size[several])])


def _band_pairs(keys: np.ndarray) -> np.ndarray:
    """Candidate pairs (positions, a < b) of one band's keys (n × slot pairs). A quicksort
    of the first slot pair finds the few rows whose first slots recur; only those are
    sorted by all their slots, then position (so a bucket lists its members ascending).
    numpy sorts a band ~6x faster than a polars hash pass finds its duplicates."""
    order = np.argsort(keys[:, 0])
    first = keys[order, 0]
    recur, _ = _runs(first[1:] == first[:-1])
    pos = order[recur]
    if not len(pos):
        return np.empty((0, 2), dtype=np.int64)
    sub = keys[pos]
    order = np.lexsort((pos, *sub.T[::-1]))
    sub, pos = sub[order], pos[order]
    member, start = _runs((sub[1:] == sub[:-1]).all(axis=1))
    return _run_pairs(pos[member], start)


def candidate_pairs(sig: np.ndarray, bands: int, nodes: np.ndarray | None = None
                    ) -> np.ndarray:
    """(a, b) positions in ``nodes`` (default: all rows of ``sig``), a < b, that share at
    least one LSH band, sorted. Per band, keyed by its packed slots: the rows whose key
    recurs, then their buckets (set-based, hence independent of row order); the pair set
    is de-duplicated after every ``BANDS_AT_ONCE`` bands, so it holds at most that
    multiple of the pairs, and only those bands' keys are copied at a time. (numpy sorts:
    the polars group-by of every key cost 3x more.)"""
    nodes = np.arange(len(sig)) if nodes is None else nodes
    rows, n = sig.shape[1] // bands, len(nodes)
    if rows == 0 or n < 2:
        return np.empty((0, 2), dtype=np.int64)
    codes = np.empty(0, dtype=np.int64)
    for lo in range(0, bands, BANDS_AT_ONCE):
        keys = _band_keys(sig, nodes, lo, min(lo + BANDS_AT_ONCE, bands), rows)
        found = [_band_pairs(band) for band in keys]
        codes = sorted_unique(np.concatenate([codes, *(p[:, 0] * n + p[:, 1] for p in found)]))
    return np.stack([codes // n, codes % n], axis=1)


def jaccard(sig: np.ndarray, a: np.ndarray, b: np.ndarray, chunk: int = 65536) -> np.ndarray:
    """Estimated Jaccard similarity of node pairs: share of equal signature slots
    (in chunks, so a million pairs never materialize a pairs × num_perm matrix)."""
    out = np.empty(len(a), dtype=np.float64)
    for i in range(0, len(a), chunk):
        out[i:i + chunk] = (sig[a[i:i + chunk]] == sig[b[i:i + chunk]]).mean(axis=1)
    return out


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Union-find by min-label propagation with pointer jumping (vectorized numpy): each
    node ends labelled with the smallest node of its component, whatever the edge order."""
    label = np.arange(n, dtype=np.int64)
    while len(a):
        new = label.copy()
        low = np.minimum(label[a], label[b])
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        while not np.array_equal(new, new[new]):
            new = new[new]
        if np.array_equal(new, label):
            break
        label = new
    return label


@dataclass
class _Index:
    """What pass 1 keeps per row (small fixed-size fields) and per distinct text."""

    rows: list[pl.DataFrame] = field(default_factory=list)
    node_of_key: dict[bytes, int] = field(default_factory=dict)
    sigs: list[np.ndarray] = field(default_factory=list)
    has_tokens: list[np.ndarray] = field(default_factory=list)
    #: every node's shingle hashes, in node order, on disk; ``lengths``: their counts
    shingles: stories.ShingleSpill = field(default_factory=lambda: stories.ShingleSpill())
    lengths: list[np.ndarray] = field(default_factory=list)


def _batch_index(batch: pl.DataFrame, d: config.Dedup
                 ) -> tuple[list[bytes], list[bytes], np.ndarray, np.ndarray, np.ndarray,
                            np.ndarray, pl.DataFrame]:
    """One batch's share of pass 1 (on a worker thread): every row's exact key, the distinct
    keys in order of first appearance, their signatures and has-tokens flags and shingle
    hashes (flat, int64 row offsets: the story pass's exact check reads them), the rows."""
    folded = batch.select(fold_expr(pl.col("text").fill_null("")).alias("f")).to_series()
    keys = exact_keys(folded)
    first: dict[bytes, int] = {}
    for pos, key in enumerate(keys):
        first.setdefault(key, pos)
    distinct = folded if len(first) == len(keys) else folded.gather(list(first.values()))
    flat, offsets = shingle_hashes(distinct, d.shingle_size)
    sig, has = sign(flat, offsets, d.num_perm, d.seed)
    return (keys, list(first), sig, has, flat, offsets.astype(np.int64),
            batch.select("id", "published", "crawled", "raw_file", "raw_record"))


def _index(inp: Path, d: config.Dedup) -> _Index:
    """Pass 1: exact keys for every row, one signature per new distinct text. Batches are
    folded and signed on worker threads; nodes are numbered here, in input order, by first
    appearance (a text already seen in an earlier batch drops its batch's signature, the
    same numbers as signing it only once)."""
    idx = _Index()
    batches = io.read_batches(inp, batch_size=d.batch_size, columns=_KEY_COLUMNS)
    indexed = streaming.ordered_map(lambda batch: _batch_index(batch, d), batches,
                                    streaming.threads())
    for keys, distinct, sig, has, flat, offsets, rows in indexed:
        fresh = []
        for j, key in enumerate(distinct):
            if key not in idx.node_of_key:
                idx.node_of_key[key] = len(idx.node_of_key)
                fresh.append(j)
        idx.sigs.append(sig[fresh])
        idx.has_tokens.append(has[fresh])
        lengths = np.diff(offsets)
        if len(fresh) < len(distinct):  # only the new texts' shingles, in node order
            lengths, at = lengths[fresh], offsets[fresh]  # old start - new start below
            flat = flat[np.arange(lengths.sum()) + np.repeat(at - np.cumsum(lengths) + lengths,
                                                              lengths)]
        idx.shingles.append(flat)
        idx.lengths.append(lengths)
        nodes = [idx.node_of_key[key] for key in keys]
        idx.rows.append(rows.with_columns(pl.Series("node", nodes, dtype=pl.Int64)))
    return idx


def plan(inp: Path, params: Params | RawParams) -> tuple[pl.DataFrame, dict[str, int]]:
    """Decide every row: ``keep_row`` (input position of its cluster's kept row),
    ``duplicate_of``, ``reason`` and ``similarity``. Returns the plan and cluster counts."""
    params = typed(params)
    d = params.dedup
    idx = _index(inp, d)  # on an error the spill file is closed (deleted) when collected
    if not idx.rows:
        return pl.DataFrame(), {"clusters": 0, "exact_groups": 0, "exact_copies": 0,
                                "duplicate_clusters": 0, "near_pairs_verified": 0,
                                "candidate_pairs": 0}
    rows = pl.concat(idx.rows).with_row_index("row")
    sig = np.concatenate(idx.sigs)
    idx.sigs.clear()  # the batches' copies go before banding allocates
    usable = np.flatnonzero(np.concatenate(idx.has_tokens))
    # number the LSH nodes by exact key, not by first appearance, so that even the choices
    # made by position (star and chain of an oversized bucket) ignore the input order
    node_keys = np.array(list(idx.node_of_key), dtype=object)
    usable = usable[np.argsort(node_keys[usable], kind="stable")]
    pairs = candidate_pairs(sig, d.bands, usable)
    a, b = usable[pairs[:, 0]], usable[pairs[:, 1]]
    near = jaccard(sig, a, b) >= d.threshold
    label = components(len(sig), a[near], b[near])
    node_of_row = rows.get_column("node").to_numpy()
    sp = params.split

    node_offsets = np.concatenate([[0], np.cumsum(np.concatenate(idx.lengths))]).astype(np.int64)
    sa, sb, story_stats = stories.story_edges(
        sig, usable, sp, None, d.shingle_size, sets_of=lambda w: idx.shingles.sets(node_offsets, w))
    idx.shingles.close()
    # copies are one story too (their pairs were verified at the higher threshold)
    story = components(len(sig), np.concatenate([a[near], sa]), np.concatenate([b[near], sb]))
    rows = rows.with_columns(pl.Series("comp", label[node_of_row]),
                             pl.Series("story", story[node_of_row]))
    ranked = (rows.sort(["published", "crawled", "id", "raw_file", "raw_record"], nulls_last=True))
    rows = rows.with_columns(stories.story_ids(rows, ranked))
    keeper = (ranked.group_by("comp", maintain_order=True)
              .agg(pl.col("row").first().alias("keep_row"), pl.col("id").first().alias("keep_id"),
                   pl.col("node").first().alias("keep_node")))
    story_sizes = (rows.join(keeper.select(pl.col("keep_row").alias("row")), on="row",
                             how="semi")
                   .get_column("story").value_counts().get_column("count"))
    planned = (rows.join(keeper, on="comp", how="left", maintain_order="left")
               .with_columns(
                   pl.when(pl.col("row") == pl.col("keep_row")).then(None)
                   .when(pl.col("node") == pl.col("keep_node")).then(pl.lit("dedup:exact"))
                   .otherwise(pl.lit("dedup:near")).alias("reason")))
    sims = jaccard(sig, planned.get_column("node").to_numpy(),
                   planned.get_column("keep_node").to_numpy())
    planned = planned.with_columns(pl.Series("similarity", sims).round(3))
    sizes = rows.get_column("node").value_counts().get_column("count")
    stats = {"clusters": int(keeper.height),
             "exact_groups": int((sizes > 1).sum()),
             "exact_copies": int(rows.height - sizes.len()),
             "duplicate_clusters": int(planned.filter(pl.col("reason").is_not_null())
                                       .get_column("comp").n_unique()),
             "near_pairs_verified": int(near.sum()), "candidate_pairs": len(a),
             **story_stats, "stories": int(story_sizes.len()),
             "stories_of_several_articles": int((story_sizes > 1).sum()),
             "articles_in_stories_of_several": int(story_sizes.filter(story_sizes > 1).sum()),
             "largest_story": int(story_sizes.max() or 0)}
    return (planned.select("row", "keep_row", "keep_id", "reason", "similarity", "story_id"),
            stats)


def route(both: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rows joined with their decisions (``keep_id``, ``reason``, ``similarity``) → the kept
    rows (``cluster_id`` = their own id) and the rejected rows naming the copy kept. Shared
    with the cluster version (:mod:`akhbar.distributed.dedup`)."""
    dropped = pl.col("reason").is_not_null()
    kept = (both.filter(~dropped).with_columns(pl.col("id").alias("cluster_id"))
            .drop("keep_id", "reason", "similarity"))
    rejected = rejected_frame(
        both.filter(dropped), "dedup", pl.concat_list(pl.col("reason")),
        detail=pl.format("{} of {} (estimated Jaccard {})", pl.col("reason"),
                         pl.col("keep_id"), pl.col("similarity")),
        duplicate_of=pl.col("keep_id"))
    return kept, rejected

class _Plan:
    """Dedup's prepared state: every row's decision, handed out batch by batch in input
    order (the loop reads the input in the order :func:`plan` numbered it)."""

    def __init__(self, decisions: pl.DataFrame, stats: dict[str, int]) -> None:
        self.decisions, self.stats, self.offset = decisions, stats, 0

    def take(self, n: int) -> pl.DataFrame:
        dec = self.decisions.slice(self.offset, n)
        self.offset += n
        return dec


def _step(batch: pl.DataFrame, state: _Plan) -> tuple[pl.DataFrame, pl.DataFrame]:
    dec = state.take(batch.height)
    return route(pl.concat([batch.drop("story_id", strict=False),
                            dec.select("keep_id", "reason", "similarity", "story_id")],
                           how="horizontal"))


def run(inp: Path, out: Path, rejected: Path, params: Params | RawParams) -> StageReport:
    """Deduplicate ``inp`` into ``out`` (parts, input order) and ``rejected``: a planning
    pass over the whole input (:func:`plan`), then the routing pass."""
    params = typed(params)
    d = params.dedup
    passes = streaming.Passes(_step, lambda inp: _Plan(*plan(inp, params)),
                              lambda state: state.stats)
    return streaming.run("dedup", Path(inp), Path(out), Path(rejected), passes,
                         batch_size=d.batch_size, rows_per_file=d.rows_per_file)
