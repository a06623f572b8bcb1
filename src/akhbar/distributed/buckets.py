"""LSH band buckets → candidate pairs, for the copy banding and the story banding.

One function for both, so both follow the local stage's rule
(:func:`akhbar.dedup._bucket_pairs`: all pairs up to ``MAX_BUCKET_PAIRS`` members, star +
chain beyond) on the same node order: the copy banding carries 16-byte keys, the story
banding the dense ids of :mod:`akhbar.distributed.sigstore`; both sort in key byte order.
"""

from __future__ import annotations

import polars as pl

from akhbar import dedup as local


def bucket_pairs(entries: pl.DataFrame, col: str) -> tuple[pl.Series, pl.Series]:
    """Distinct candidate pairs (a < b, values of ``col``) of band bucket ``entries``
    (band, h0, h1, ..., ``col``) by the local rule; the values' order is the node order."""
    band_key = [c for c in entries.columns if c != col]  # band, h0, h1, ...
    ranked = entries.get_column(col).unique().sort()
    node = pl.DataFrame({col: ranked}).with_row_index("node")
    members = (entries.join(node, on=col).group_by(band_key).agg("node")
               .filter(pl.col("node").list.len() > 1).sort(band_key)
               .with_row_index("bucket")
               .with_columns(pl.col("node").list.len().alias("size"))
               .explode("node").select("bucket", "node", "size"))
    pairs = local._bucket_pairs(members) if members.height else pl.DataFrame(
        schema={"a": pl.UInt32, "b": pl.UInt32})
    pairs = pairs.unique().sort("a", "b")  # sorted: a rerun writes the same bytes
    return ranked.gather(pairs.get_column("a")), ranked.gather(pairs.get_column("b"))
