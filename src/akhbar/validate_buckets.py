"""The local build's ``keys`` and ``leakage`` suites bucket by bucket, past a size.

Why: in one process the two suites run once in GX on the key columns of every published
row and on the distinct (key, split) pairs of four kinds of key, gathered from every part
while the row suites run: an index of the whole corpus held in the validation process
(1.1M pairs at 300,000 synthetic articles; on the cluster's driver, before it was
bucketed, ~2 GB at 1M articles). The cluster path already checks both suites in hash
buckets whose outcomes fold into the one-frame result byte for byte
(:mod:`akhbar.distributed.keys`, :mod:`akhbar.distributed.leakage`, with their proofs and
tests); here the same functions run in this process, one bucket after another, with the
buckets in a temporary folder on disk, so validation holds one bucket's keys at a time.
Measured on the 300k dataset: ``validate.run`` peaked at 900 MB instead of 951 MB, with the
same ``validation.json``; the gain grows with the corpus. Each bucket costs three GX calls
of fixed cost, so small datasets keep the one-frame path.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from akhbar import validate_parts as vp

#: Published rows per bucket, and the size past which the buckets are used: below it the
#: index is small (the keys suite's columns are ~100 B a row) and the buckets' GX calls
#: would cost more time than the memory they save is worth.
BUCKET_ROWS = 100_000


def buckets_for(parts: Sequence[Sequence[vp.Slice]]) -> int:
    """How many buckets ``parts`` need; 0 (the one-frame path) at or below
    :data:`BUCKET_ROWS` rows or when a suite has a check the bucket fold does not cover."""
    from akhbar.distributed.validate import bucketable

    rows = sum(s.stop - s.start for part in parts for s in part)
    return math.ceil(rows / BUCKET_ROWS) if rows > BUCKET_ROWS and bucketable() else 0


def map_bucketed(parts: Sequence[Sequence[vp.Slice]], parameters: dict[str, Any],
                 dataset_dir: Path, buckets: int) -> Iterator[vp.PartResult]:
    """:func:`akhbar.validate_parts.map_local` whose parts hand their keys and pairs to
    ``buckets`` hash buckets (the cluster path's :func:`~akhbar.distributed.validate.to_buckets`,
    in its folder beside the dataset, removed at the end) instead of to the merge; after
    the last part, one more result carries the two suites' folded tallies. Same
    ``validation.json`` as the one-frame path."""
    from akhbar.distributed import keys, leakage
    from akhbar.distributed.validate import folded, to_buckets, workdir

    work = workdir(dataset_dir, local=True)
    try:
        offset = 0
        for i, result in enumerate(vp.map_local(parts, parameters)):
            rows = result.keys.num_rows
            yield to_buckets(result, offset, work, f"{i:06d}", buckets)
            offset += rows
        yield folded([keys.check_bucket(work, b, parameters) for b in range(buckets)],
                     [leakage.check_bucket(work, b, parameters) for b in range(buckets)])
    finally:
        shutil.rmtree(work, ignore_errors=True)
