"""The ``leakage`` suite (no id, text, near-duplicate cluster or story in two splits) as a
cluster aggregation, so that the driver never holds a row's key.

Why: locally the suite runs once in GX on the distinct (key, split) pairs of every
published row (:func:`akhbar.validate_parts.leakage_frame`): four pairs a row, O(rows) in
one process (at 1M articles the driver and its GX process held ~2 GB of them). Each check
is the uniqueness of one key column, a property of each key's group, so it partitions as
the ``keys`` suite does (:mod:`akhbar.distributed.keys`):

1. map (in each ``validate_part`` task, :func:`scatter`): the part's pairs, already
   reduced to distinct (key, split, min id), written to ``leak/bNNNNN/`` by the hash of
   the key (all pairs of one key, from every part, land in one bucket);
2. ``leakage_bucket``, one task per bucket (:func:`check_bucket`): the bucket's pairs
   reduced again by the same rule, stacked as the local frame is (per key kind, sorted by
   key and split), and GX runs the whole suite on them; per check its outcome, counts and
   first unexpected rows with their order key (key, split);
3. the driver folds the buckets (:func:`akhbar.distributed.keys.merge`): a check fails when
   it fails in a bucket, counts add up (each pair is in exactly one bucket), and the
   examples are the first ones by (key, split), the order of the local frame, where each
   check's unexpected rows are rows of its own key kind, sorted by key and split. The same
   ``validation.json`` bytes as GX on the whole frame; a suite with any other kind of
   expectation is refused by :func:`supported` (the caller keeps the one-frame path).

**Driver memory**: O(B × checks × MAX_EXAMPLES) small records. **Worker memory**: one
part's pairs (map), one bucket's pairs (≈ 4 × rows / B short strings).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from akhbar.distributed.keys import Outcome, outcomes, write

SUITE = "leakage"
KIND = "_kind"  # the key's kind (its target column) in the bucket files
ORDER = "_order"  # key + NUL + split: sorts as the local frame's (key, split) order
_UNIQUE = "expect_column_values_to_be_unique"


def _targets() -> list[str]:
    from akhbar.validate_parts import LEAK_KEYS

    return [target for _, target in LEAK_KEYS]


def supported(suite: dict[str, Any]) -> bool:
    """Whether the bucket fold is exact for ``suite``: every expectation is the
    uniqueness of one of the frame's key columns."""
    targets = set(_targets())
    return all(e["type"] == _UNIQUE and (e.get("kwargs") or {}).get("column") in targets
               for e in suite["expectations"])


def scatter(pairs: dict[str, pa.Table], work: Path, tag: str, buckets: int) -> None:
    """Map side: the part's distinct pairs of every key kind to the bucket of their key
    (``work/leak/bNNNNN/<tag>.parquet``)."""
    import polars as pl

    frames = [pl.from_arrow(t).with_columns(pl.lit(kind).alias(KIND))
              for kind, t in pairs.items() if t.num_rows]
    if not frames:
        return
    frame = pl.concat(frames, how="vertical")
    assert isinstance(frame, pl.DataFrame)
    # seeded polars hashes are the same in every process of one polars version
    groups = frame.with_columns((pl.col("_k").hash(seed=5) % buckets).alias("_b")
                                ).partition_by("_b", as_dict=True, include_key=False)
    for (b,), rows in groups.items():
        write(rows.to_arrow(), work / "leak" / f"b{int(b):05d}" / f"{tag}.parquet")


def bucket_frame(work: Path, bucket: int) -> pa.Table:
    """The bucket's rows of the local leakage frame, in its order, with their order key."""
    from akhbar.validate_parts import PAIR_SCHEMA, distinct_pairs, leakage_frame

    folder = work / "leak" / f"b{bucket:05d}"
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    schema = PAIR_SCHEMA.append(pa.field(KIND, pa.string()))
    table = (pa.concat_tables([pq.read_table(f).cast(schema) for f in files])
             if files else schema.empty_table())
    merged: dict[str, list[pa.Table]] = {}
    order: list[pa.Array] = []
    for kind in _targets():
        rows = table.filter(pc.equal(table.column(KIND), kind)).drop_columns([KIND])
        # the reduction and sort of leakage_frame, kept to read each row's split
        got = distinct_pairs(rows).sort_by([("_k", "ascending"), ("split", "ascending")])
        merged[kind] = [got]
        order.append(pc.binary_join_element_wise(got.column("_k"), got.column("split"),
                                                 "\x00").combine_chunks())
    frame = leakage_frame(merged)  # (key, split) is unique: the same sort, the same order
    return frame.append_column(ORDER, pa.chunked_array(order, pa.string()))


def check_bucket(work: Path | str, bucket: int, parameters: dict[str, Any]
                 ) -> dict[str, Outcome]:
    """One ``leakage_bucket`` task: GX on the bucket's pairs; check → :class:`Outcome`."""
    from akhbar.expectations_suites import load_suites
    from akhbar.gx_session import gx, pandas_frame
    from akhbar.validate_parts import INDEX

    frame = bucket_frame(Path(work), bucket)
    result = gx().validate(load_suites()[SUITE], pandas_frame(frame), parameters,
                           [*INDEX, ORDER])
    return outcomes(result, lambda row: str(row[ORDER]))
