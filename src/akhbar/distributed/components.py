"""Connected components as waves of min-label propagation over edge files.

Why not all edges in one process: a node's label (the smallest key of its component) is
kept in the partition of its key; each round, every partition sends its nodes' labels to
themselves and to their neighbours (a shuffle by the receiving key), and each node keeps
the smallest label it received. Rounds stop when no label changes: at most the largest
component's diameter + 1. A worker holds one partition of edges and labels; the driver only
the per-partition count of changed labels.

Two labellings share this code, each under its own ``tag`` (file-name prefix): copies
(``tag=""``: the near-duplicate edges, ``edges/``) and stories (``tag="s"``: the same edges
plus the story links, ``edges/`` and ``sedges/``).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from akhbar.distributed.shuffle import gather, key_partition, scatter, write_atomic

_EDGE = {"src": pl.Binary, "dst": pl.Binary}
_LABEL = {"node": pl.Binary, "label": pl.Binary}
#: edge folders of each labelling
EDGE_WAVES = {"": ("edges",), "s": ("edges", "sedges")}


def edges(base: Path, p: int, tag: str) -> pl.DataFrame:
    """The directed edges whose source key is in partition ``p`` (both directions)."""
    return pl.concat([gather(base / w, p, _EDGE) for w in EDGE_WAVES[tag]], how="vertical")


def labels(base: Path, rnd: int, p: int, tag: str = "") -> pl.DataFrame:
    """Labels of the edge ends of partition ``p`` after round ``rnd`` (round 0: itself)."""
    if rnd == 0:
        return edges(base, p, tag).select(pl.col("src").alias("node")).unique().with_columns(
            pl.col("node").alias("label"))
    return gather(base / f"{tag}labels-{rnd:04d}", p, _LABEL)


def propagate(p: int, rnd: int, root: str, parts: int, tag: str = "") -> dict[str, int]:
    """Each edge end of ``p`` sends its label to itself and to its neighbours."""
    base = Path(root)
    own = labels(base, rnd, p, tag)
    sent = edges(base, p, tag).join(own, left_on="src", right_on="node").select(
        pl.col("dst").alias("node"), "label")
    msgs = pl.concat([own, sent])
    out = scatter(msgs, key_partition(msgs.get_column("node"), parts), parts,
                  base / f"{tag}msgs-{rnd:04d}", p)
    return {"bytes": out}


def relabel(p: int, rnd: int, root: str, tag: str = "") -> dict[str, int]:
    """A node's new label is the smallest it received; counts the labels that changed."""
    base = Path(root)
    new = (gather(base / f"{tag}msgs-{rnd:04d}", p, _LABEL)
           .group_by("node").agg(pl.col("label").min()).sort("node"))
    old = labels(base, rnd, p, tag).rename({"label": "old"})
    changed = new.join(old, on="node", how="left").filter(
        pl.col("old").is_null() | (pl.col("old") != pl.col("label"))).height
    write_atomic(new, base / f"{tag}labels-{rnd + 1:04d}" / f"{p:05d}" / "00000.parquet")
    return {"changed": changed}
