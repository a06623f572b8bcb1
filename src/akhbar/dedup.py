"""The ``dedup`` stage: exact and near-duplicate removal across all sources.

Two streamed passes over the input keep memory bounded by the *index*, never the texts:

1. per batch, hash ``fold(text)`` (exact key) and compute a MinHash signature of its word
   5-gram shingles (hashed column-wise), once per distinct exact key, with rensa's
   ``RMinHash`` (on SaudiNewsNet's shingles: ~36,000 signatures/s against datasketch's
   ~700/s, see ``benchmarks/bench_dedup.py``);
2. band the signatures (LSH) to get candidate pairs, keep the pairs whose estimated
   Jaccard reaches ``threshold``, and join exact groups and near pairs into clusters with
   a vectorized union-find;
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

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
from rensa import RMinHash

from akhbar import config, io, stories, streaming
from akhbar.folding import fold_expr
from akhbar.params import Params, RawParams, typed
from akhbar.stage import StageReport, rejected_frame

#: Buckets larger than this are verified as a chain (each member against the smallest and
#: the previous one) instead of all pairs, so a template-heavy bucket cannot go quadratic.
MAX_BUCKET_PAIRS = 64
_KEY_COLUMNS = ["id", "text", "published", "crawled", "raw_file", "raw_record"]


def exact_keys(folded: pl.Series) -> list[bytes]:
    """128-bit BLAKE2b of each folded text: stable across library versions, unlike
    ``polars.hash``, so the same corpus always yields the same groups."""
    return [hashlib.blake2b(t.encode("utf-8"), digest_size=16).digest()
            for t in folded.fill_null("").to_list()]


def word_hashes(folded: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of the words of each folded text, flat, with each word's row.

    Only the batch's *vocabulary* goes through Python (rensa's stable token hash); the
    words are mapped back to it column-wise, so cost follows distinct words, not words."""
    words = (pl.DataFrame({"w": folded.fill_null("").str.split(" ")})
             .with_row_index("_row").explode("w").filter(pl.col("w").str.len_chars() > 0))
    if words.height == 0:
        return np.empty(0, np.uint64), np.empty(0, np.int64)
    vocab = words.get_column("w").unique().sort()
    codes = pl.Series(RMinHash.hash_token_sets([vocab.to_list()])[0], dtype=pl.UInt64)
    hashed = words.get_column("w").replace_strict(vocab, codes, return_dtype=pl.UInt64)
    return hashed.to_numpy(), words.get_column("_row").cast(pl.Int64).to_numpy()


def shingle_hashes(folded: pl.Series, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Hashed word ``size``-grams of each text: (flat uint64 hashes, row offsets).

    A shingle hash is a polynomial of its word hashes (numpy, wrapping uint64 arithmetic),
    computed for every start position at once. A text shorter than ``size`` words is one
    shingle of all its words; an empty text has none. Hand-written because no library
    turns a column of texts into shingle hashes without a Python string per shingle,
    which was the bottleneck (≈1,900 texts/s against ≈10,000 now on SaudiNewsNet)."""
    h, row = word_hashes(folded)
    n = len(h)
    start = np.zeros(len(folded) + 1, dtype=np.int64)
    np.add.at(start, row + 1, 1)
    start = np.cumsum(start)  # start[r] = first word of row r
    acc = h.copy()
    with np.errstate(over="ignore"):
        for j in range(1, size):
            m = max(n - j, 0)  # words that have a j-th successor
            nxt = np.zeros(n, dtype=np.uint64)
            same = row[j:j + m] == row[:m]
            nxt[:m][same] = h[j:j + m][same]
            acc = acc * np.uint64(0x9E3779B97F4A7C15) + nxt
    length = np.diff(start)[row]
    last_ok = np.zeros(n, dtype=bool)
    if n >= size:
        last_ok[: n - size + 1] = row[size - 1:] == row[: n - size + 1]
    keep = last_ok | ((length < size) & (np.arange(n) == start[row]))
    counts = np.bincount(row[keep], minlength=len(folded))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.uint64)
    return acc[keep], offsets


def signatures(folded: pl.Series, size: int, num_perm: int, seed: int
               ) -> tuple[np.ndarray, np.ndarray]:
    """MinHash signatures (rows × num_perm, uint32) of each text's shingles, by rensa
    in Rust, and whether each text had any shingle at all."""
    if len(folded) == 0:
        return np.empty((0, num_perm), dtype=np.uint32), np.empty(0, dtype=bool)
    flat, offsets = shingle_hashes(folded, size)
    matrix = RMinHash.digest_matrix_from_flat_token_hashes(flat, offsets, num_perm=num_perm,
                                                           seed=seed)
    return np.asarray(matrix.to_rows(), dtype=np.uint32), np.diff(offsets) > 0


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


def candidate_pairs(sig: np.ndarray, bands: int, nodes: np.ndarray | None = None
                    ) -> np.ndarray:
    """(a, b) positions in ``nodes`` (default: all rows of ``sig``), a < b, that share at
    least one LSH band, sorted. Banding is a polars group-by per band (set-based, hence
    independent of row order); the pair set is de-duplicated after every band so it never
    holds a band-multiple of the pairs, and only one band's columns are copied at a time."""
    nodes = np.arange(len(sig)) if nodes is None else nodes
    rows = sig.shape[1] // bands
    cols = [f"h{j}" for j in range(rows)]
    pairs = pl.DataFrame(schema={"a": pl.UInt32, "b": pl.UInt32})
    for band in range(bands):
        frame = pl.DataFrame({c: sig[nodes, band * rows + j] for j, c in enumerate(cols)})
        members = (frame.with_row_index("node").group_by(cols).agg("node")
                   .filter(pl.col("node").list.len() > 1)
                   .with_row_index("bucket")
                   .with_columns(pl.col("node").list.len().alias("size"))
                   .explode("node").select("bucket", "node", "size"))
        if members.height:
            pairs = pl.concat([pairs, _bucket_pairs(members)]).unique()
    return pairs.sort("a", "b").to_numpy().astype(np.int64).reshape(-1, 2)


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


def _index(inp: Path, d: config.Dedup) -> _Index:
    """Pass 1: exact keys for every row, one signature per new distinct text."""
    idx = _Index()
    for batch in io.read_batches(inp, batch_size=d.batch_size, columns=_KEY_COLUMNS):
        folded = batch.select(fold_expr(pl.col("text").fill_null("")).alias("f")).to_series()
        keys = exact_keys(folded)
        new_pos, nodes = [], []
        for pos, key in enumerate(keys):
            node = idx.node_of_key.get(key)
            if node is None:
                node = idx.node_of_key[key] = len(idx.node_of_key)
                new_pos.append(pos)
            nodes.append(node)
        sig, has = signatures(folded.gather(new_pos), d.shingle_size, d.num_perm,
                              d.seed)
        idx.sigs.append(sig)
        idx.has_tokens.append(has)
        idx.rows.append(batch.select("id", "published", "crawled", "raw_file", "raw_record")
                        .with_columns(pl.Series("node", nodes, dtype=pl.Int64)))
    return idx


def plan(inp: Path, params: Params | RawParams) -> tuple[pl.DataFrame, dict[str, int]]:
    """Decide every row: ``keep_row`` (input position of its cluster's kept row),
    ``duplicate_of``, ``reason`` and ``similarity``. Returns the plan and cluster counts."""
    params = typed(params)
    d = params.dedup
    idx = _index(inp, d)
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

    def texts() -> Iterator[tuple[pl.Series, np.ndarray]]:
        at = 0
        for batch in io.read_batches(inp, batch_size=d.batch_size, columns=["text"]):
            yield batch.get_column("text"), node_of_row[at:at + batch.height]
            at += batch.height

    sa, sb, story_stats = stories.story_edges(sig, usable, sp, texts(), d.shingle_size)
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
