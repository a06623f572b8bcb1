"""Story clusters: articles that tell one story, kept together in one split.

Dedup removes only true copies (estimated Jaccard of word 5-grams ≥ ``dedup.threshold``,
0.7). The same story rewritten by two outlets shares less (0.5–0.7) but would still leak
between train and test, so the dedup stage also links articles at the lower
``split.story_threshold`` (default 0.5) and names each connected component (a *story*) after
one of its articles; the split stage then keys its hash on that ``story_id``.

One home for shingling and MinHash: the signatures, LSH banding, Jaccard estimate and
union-find are :mod:`akhbar.dedup`'s; this module only adds a second banding (more, shorter
bands, so that pairs at 0.5 become candidates with p ≈ 1) and an exact check of the pairs
whose estimate is too close to the threshold to trust (128 permutations give a standard
error of ~0.044 at 0.5): their shingle sets are compared exactly. The local stage reads
them back from the hashes its first pass spilled to a temporary file (:class:`ShingleSpill`);
the cluster version (:mod:`akhbar.distributed.stories`) recomputes them from those
articles' texts only.

Stability rule (the card cites it):
    ``story_id`` is the id of the story's first article in dedup's keep order (earliest
    ``published``, then earliest ``crawled``, then smallest ``id``; nulls last), and an
    article's split is a pure function of ``(split.salt, story_id)``. It does not depend
    on batch sizes or input order (components are computed over the whole corpus, and
    the labels are set-based). Adding articles therefore moves an existing article to
    another split only when its story's first article changes, which happens only when
    (a) a new article links its story to another story that was apart (the merged story
    keeps the first article of the two, so the other one's members may move), or
    (b) a new article dated before every member joins its story. When a corpus grows
    with newer articles (later crawls), (b) cannot happen and every move is a merge (a).
    ``tests/test_stories.py`` builds a subset (1,506 articles) and a superset (+443, three
    of which bridge two stories) and checks that at most 0.2 % of the existing articles
    move, all of them in a bridged story.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator

import numpy as np
import polars as pl

from akhbar import (
    dedup,  # a module reference: dedup imports this module too
    streaming,
)
from akhbar.config import Split
from akhbar.folding import fold_expr
from akhbar.shingles import sorted_unique

#: The story keys (``story_threshold``, ``story_bands``, ``story_exact_margin``) are read
#: from the ``split`` section of params.yaml, its typed model.
StoryParams = Split


def exact_jaccard(sets: dict[int, np.ndarray], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact Jaccard of the sorted unique shingle-hash arrays of node pairs."""
    out = np.empty(len(a), dtype=np.float64)
    for i, (x, y) in enumerate(zip(a.tolist(), b.tolist(), strict=True)):
        sx, sy = sets[x], sets[y]
        inter = len(np.intersect1d(sx, sy, assume_unique=True))
        union = len(sx) + len(sy) - inter
        out[i] = inter / union if union else 0.0
    return out


def _batch_sets(texts: pl.Series, nodes: np.ndarray, wanted: np.ndarray, size: int
                ) -> tuple[list[int], list[np.ndarray]]:
    """The ``wanted`` nodes of one (text, node) batch and their sorted unique shingle
    hashes; only those texts are folded and shingled (on a worker thread)."""
    pos = np.flatnonzero(np.isin(nodes, wanted))
    if not len(pos):
        return [], []
    folded = pl.select(fold_expr(texts.gather(pos).fill_null(""))).to_series()
    flat, offsets = dedup.shingle_hashes(folded, size)
    bounds = offsets.astype(np.int64).tolist()
    return (nodes[pos].tolist(),
            [sorted_unique(flat[bounds[k]:bounds[k + 1]]) for k in range(len(pos))])


def shingle_sets(batches: Iterator[tuple[pl.Series, np.ndarray]], wanted: set[int],
                 size: int) -> dict[int, np.ndarray]:
    """Sorted unique shingle hashes of the ``wanted`` nodes, from (text, node) batches.
    Only those texts are folded and shingled (batches on worker threads, see
    :func:`akhbar.streaming.ordered_map`); memory holds only their sets. A node met again (an
    exact copy: the same folded text) keeps its first set, which is the same set."""
    want = np.fromiter(wanted, dtype=np.int64, count=len(wanted))
    sets: dict[int, np.ndarray] = {}
    for picked, found in streaming.ordered_map(
            lambda batch: _batch_sets(batch[0], batch[1], want, size), batches,
            streaming.threads()):
        for node, shingles in zip(picked, found, strict=True):
            sets.setdefault(node, shingles)
    return sets


class ShingleSpill:
    """Every distinct text's shingle hashes, spilled to a temporary file in node order.

    Why: the story pass checks some pairs on their exact shingle sets; reading, folding and
    shingling those texts a second time cost as much as a tenth of the stage, while
    writing the hashes pass 1 already has costs a sequential write (8 B per shingle:
    ≈70 MB for SaudiNewsNet) and keeps them off the heap (only the pages of the wanted
    nodes are read back)."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile(prefix="akhbar-dedup-shingles-")

    def append(self, flat: np.ndarray) -> None:
        self.file.write(memoryview(np.ascontiguousarray(flat, dtype=np.uint64)))  # no copy

    def sets(self, offsets: np.ndarray, wanted: set[int]) -> dict[int, np.ndarray]:
        """Sorted unique shingle hashes of the ``wanted`` nodes (``offsets``: node bounds)."""
        self.file.flush()
        if not wanted or offsets[-1] == 0:
            return {node: np.empty(0, np.uint64) for node in wanted}
        flat = np.memmap(self.file, dtype=np.uint64, mode="r", shape=(int(offsets[-1]),))
        bounds = offsets.tolist()
        out = {node: sorted_unique(flat[bounds[node]:bounds[node + 1]])
               for node in sorted(wanted)}
        del flat
        return out

    def close(self) -> None:
        self.file.close()


def story_edges(sig: np.ndarray, usable: np.ndarray, sp: StoryParams,
                texts: Iterator[tuple[pl.Series, np.ndarray]] | None, size: int, *,
                sets_of: Callable[[set[int]], dict[int, np.ndarray]] | None = None
                ) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Node pairs (a, b) of one story: estimated Jaccard ≥ threshold + margin, or within
    ±margin and exactly ≥ threshold (checked on the wanted nodes' sorted unique shingle
    hashes, which ``sets_of`` returns when given, else computed from the texts ``texts``
    yields; with neither, the estimate decides). Returns the edges and counts for the
    stage report."""
    pairs = dedup.candidate_pairs(sig, sp.story_bands, usable)
    a, b = usable[pairs[:, 0]], usable[pairs[:, 1]]
    est = dedup.jaccard(sig, a, b)
    lo, hi = sp.story_threshold - sp.story_exact_margin, sp.story_threshold + sp.story_exact_margin
    sure = est >= hi
    maybe = (est >= lo) & ~sure
    link = sure.copy()
    if maybe.any():
        if texts is None and sets_of is None:
            link |= maybe & (est >= sp.story_threshold)
        else:
            wanted = set(a[maybe].tolist()) | set(b[maybe].tolist())
            sets = (sets_of(wanted) if sets_of is not None else
                    shingle_sets(texts or iter(()), wanted, size))
            exact = exact_jaccard(sets, a[maybe], b[maybe])
            link[np.flatnonzero(maybe)[exact >= sp.story_threshold]] = True
    stats = {"story_candidate_pairs": len(a), "story_pairs_checked_exactly": int(maybe.sum()),
             "story_pairs_linked": int(link.sum())}
    return a[link], b[link], stats


def story_ids(rows: pl.DataFrame, ranked: pl.DataFrame) -> pl.Series:
    """``story_id`` of each row of ``rows`` (column ``story``): the id of the first row of
    its story in ``ranked`` (rows already sorted in dedup's keep order)."""
    first = ranked.group_by("story", maintain_order=True).agg(
        pl.col("id").first().alias("story_id"))
    return (rows.select("story").join(first, on="story", how="left", maintain_order="left")
            .get_column("story_id"))
