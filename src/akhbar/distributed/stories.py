"""Story clusters (:mod:`akhbar.stories`) on the cluster, as waves between file shuffles.

The local stage bands the same MinHash signatures a second time (``split.story_bands``
bands), keeps candidate pairs whose estimated Jaccard is at least ``story_threshold +
story_exact_margin``, checks those within the margin exactly on their shingle sets, and
joins copies and story links into stories. Here, with ``P`` hash partitions:

1. ``story_bands`` (per partition of distinct texts): story band values → the partition of
   (band, values);
2. ``buckets`` / ``verify_a`` of :mod:`akhbar.distributed.dedup` on those bands (the local
   bucket rule on keys ranked in byte order);
3. ``story_verify``: the estimate; sure links → ``sedges/``; pairs within the margin →
   ``maybe/`` (by first key) and their keys → ``wanted/``;
4. ``want_rows``: one input row per wanted key → the partition of its input range;
   ``shingle`` (per input range): the shingle set of those rows' texts only (the local
   stage re-reads the texts for the same pairs only) → the partition of the key;
5. ``exact_a`` / ``exact_b``: each side's set joined in its partition; exact Jaccard ≥
   ``story_threshold`` → ``sedges/``.

The stories are then the components of ``edges/`` ∪ ``sedges/``
(:mod:`akhbar.distributed.components`, tag ``"s"``), and ``story_id`` is decided with the
kept rows in :func:`akhbar.distributed.dedup.keep`. Driver memory: counts per task only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from akhbar import dedup as local
from akhbar import stories
from akhbar.distributed.shards import read_range
from akhbar.distributed.shuffle import gather, key_partition, mix_partition, scatter
from akhbar.folding import fold_expr
from akhbar.params import Params

_SETS = {"key": pl.Binary, "set": pl.List(pl.UInt64)}
_PAIR = {"a": pl.Binary, "b": pl.Binary}


def _sigs(column: pl.Series, num_perm: int) -> np.ndarray:
    return column.to_numpy().reshape(-1, num_perm).astype(np.uint32, copy=False)


def _directed(links: pl.DataFrame) -> pl.DataFrame:
    return pl.concat([links.select(pl.col("a").alias("src"), pl.col("b").alias("dst")),
                      links.select(pl.col("b").alias("src"), pl.col("a").alias("dst"))])


def story_bands(p: int, root: str, parts: int, params: Params) -> dict[str, int]:
    """Story band values of the distinct usable texts of partition ``p``."""
    base, d = Path(root), params.dedup
    sp = params.split
    nodes = gather(base / "nodes", p).unique("key", keep="first").filter(pl.col("has"))
    sig = _sigs(nodes.get_column("sig"), d.num_perm)
    keys = nodes.get_column("key")
    per = d.num_perm // sp.story_bands
    frames, dests = [], []
    for band in range(sp.story_bands):
        values = sig[:, band * per:(band + 1) * per]
        cols = [np.full(len(keys), band, dtype=np.uint64)] + [values[:, j] for j in range(per)]
        dests.append(mix_partition(cols, parts))
        frames.append(pl.DataFrame(
            {"band": pl.Series(np.full(len(keys), band), dtype=pl.UInt16),
             **{f"h{j}": pl.Series(values[:, j], dtype=pl.UInt32) for j in range(per)},
             "key": keys}))
    out = scatter(pl.concat(frames), np.concatenate(dests), parts, base / "sbands", p)
    return {"bytes": out}


def story_verify(p: int, root: str, parts: int, params: Params) -> dict[str, int]:
    """Estimated Jaccard of the story candidates whose second key is in ``p``: sure links
    to ``sedges/``, pairs within the margin to ``maybe/`` and their keys to ``wanted/``."""
    base, d = Path(root), params.dedup
    sp = params.split
    pairs = gather(base / "spairs_b", p)
    nodes = gather(base / "nodes", p).unique("key", keep="first").select(
        pl.col("key").alias("b"), pl.col("sig").alias("sig_b"))
    joined = pairs.join(nodes, on="b", how="left")
    n = joined.height
    both = np.vstack([_sigs(joined.get_column("sig_a"), d.num_perm),
                      _sigs(joined.get_column("sig_b"), d.num_perm)])
    est = local.jaccard(both, np.arange(n), np.arange(n) + n)
    lo = sp.story_threshold - sp.story_exact_margin
    hi = sp.story_threshold + sp.story_exact_margin
    sure = est >= hi
    maybe = (est >= lo) & ~sure
    links = joined.filter(pl.Series(sure)).select("a", "b")
    out = scatter(_directed(links), key_partition(_directed(links).get_column("src"), parts),
                  parts, base / "sedges", p)
    check = joined.filter(pl.Series(maybe)).select("a", "b")
    out += scatter(check, key_partition(check.get_column("a"), parts), parts,
                   base / "maybe", p)
    wanted = pl.concat([check.select(pl.col("a").alias("key")),
                        check.select(pl.col("b").alias("key"))]).unique()
    out += scatter(wanted, key_partition(wanted.get_column("key"), parts), parts,
                   base / "wanted", p)
    return {"sure": links.height, "maybe": check.height, "bytes": out}


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
              buckets: Callable[..., Any], verify_a: Callable[..., Any], root: str,
              parts: int, params: Params, ranges: list[tuple[str, int, int]],
              starts: list[int]) -> dict[str, int]:
    """The story waves on ``wave`` (the dedup driver's task runner); story link counts."""
    every = range(parts)
    wave("story_bands", story_bands, [(p, root, parts, params) for p in every])
    wave("story_buckets", buckets, [(p, root, parts, "sbands", "spairs") for p in every])
    cand = wave("story_verify_a", verify_a, [(p, root, parts, "spairs", "spairs_b")
                                             for p in every])
    ver = wave("story_verify", story_verify, [(p, root, parts, params) for p in every])
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
    return {"story_candidate_pairs": sum(c["candidates"] for c in cand),
            "story_pairs_checked_exactly": maybe,
            "story_pairs_linked": sum(v["sure"] for v in ver) + linked}
