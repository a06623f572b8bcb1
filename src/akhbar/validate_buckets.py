"""The local build's ``keys`` and ``leakage`` suites bucket by bucket, past a size.

Why: in one process the two suites run once in GX on the key columns of every published
row and on the distinct (key, split) pairs of four kinds of key, gathered from every part
while the row suites run: an index of the whole corpus held in the validation process
(300,000 synthetic articles: 1.1M pairs; that process peaked at 916 MB against 638 MB at
30,000, most of the build's memory growth outside dedup). The cluster path already checks
both suites in hash buckets whose outcomes fold into the one-frame result byte for byte
(:mod:`akhbar.distributed.keys`, :mod:`akhbar.distributed.leakage`, with their proofs and
tests); here the same functions run in this process, one bucket after another, with the
buckets in a temporary folder on disk. Each bucket costs GX calls of fixed cost (~0.3 CPU-s
each, three per bucket), so small datasets keep the one-frame path.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from akhbar import validate_parts as vp
from akhbar.expectations_report import Tally

#: Published rows per bucket, and the size past which the buckets are used: at 100,000 rows
#: the one-frame index is ~50 MB and three GX calls more cost more than they save.
BUCKET_ROWS = 100_000


def buckets_for(parts: Sequence[Sequence[vp.Slice]]) -> int:
    """How many buckets ``parts`` need; 0 (the one-frame path) at or below
    :data:`BUCKET_ROWS` rows or when a suite has a check the bucket fold does not cover."""
    from akhbar.distributed import keys, leakage

    rows = sum(s.stop - s.start for part in parts for s in part)
    if rows <= BUCKET_ROWS:
        return 0
    if not (keys.supported(keys.suite_dict())
            and leakage.supported(keys.suite_dict(leakage.SUITE))):
        return 0
    return math.ceil(rows / BUCKET_ROWS)


def map_bucketed(parts: Sequence[Sequence[vp.Slice]], parameters: dict[str, Any],
                 near: Path, buckets: int) -> Iterator[vp.PartResult]:
    """:func:`akhbar.validate_parts.map_local` whose parts hand their keys and pairs to
    ``buckets`` hash buckets (in a temporary folder beside ``near``, removed at the end)
    instead of to the merge; after the last part, one more result carries the two suites'
    folded tallies. Same ``validation.json`` as the one-frame path."""
    from akhbar.distributed import keys, leakage

    work = _workdir(near)
    try:
        offset = 0
        for i, result in enumerate(vp.map_local(parts, parameters)):
            assert not isinstance(result.keys, Tally) and not isinstance(result.pairs, Tally)
            keys.scatter(result.keys, offset, work, f"{i:06d}", buckets)
            leakage.scatter(result.pairs, work, f"{i:06d}", buckets)
            offset += result.keys.num_rows
            yield vp.PartResult(result.tally, vp.KEY_SCHEMA.empty_table(), {})
        checked = [keys.check_bucket(work, b, parameters) for b in range(buckets)]
        leaked = [leakage.check_bucket(work, b, parameters) for b in range(buckets)]
        yield vp.PartResult(Tally(), keys.merge(keys.suite_dict(), checked),
                            keys.merge(keys.suite_dict(leakage.SUITE), leaked, leakage.SUITE))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _workdir(near: Path) -> Path:
    """A fresh folder beside the dataset (the disk that holds the data has room for its
    keys), or in the system's temporary folder when that one cannot be written."""
    try:
        return Path(tempfile.mkdtemp(prefix=".akhbar-keys-", dir=Path(near).parent))
    except OSError:
        return Path(tempfile.mkdtemp(prefix="akhbar-keys-"))
