"""The ``validate`` stage on a Dask cluster: the parts of the published splits validated
on the workers, merged into one GX result and one Data Docs site.

Why this shape: the per-row suites are a fold over rows, so each part
(:func:`akhbar.validate.parts`) is one task running :func:`akhbar.validate_parts.validate_part`
where the data is (the workers import GX once each); a task folds its row checks and
scatters the key columns of its rows (id, url, loc: no text) and its leakage pairs
(reduced to distinct (key, split, min id)) to hash buckets. The global suites are then
computed from those: uniqueness of ids and urls across splits and text/cluster/story
leakage bucket by bucket on the workers (below), the accounting counts against
``stats.json`` by :func:`akhbar.validate.finish`, which writes the report and the Data
Docs once. ``validation.json`` is byte-identical to the local run's
(``tests/test_distributed.py``, ``tests/test_distributed_keys.py``).

The ``keys`` suite (ids not null, ids and URLs unique) and the ``leakage`` suite (no key
in two splits) are cluster aggregations (:mod:`akhbar.distributed.keys`,
:mod:`akhbar.distributed.leakage`): each part task also scatters its key rows and its
distinct leakage pairs to hash buckets, one ``keys_bucket`` and one ``leakage_bucket``
task per bucket run the suites' expectations in GX, and the driver folds the buckets'
outcomes into the one-frame tally.

**Driver memory**: per part one :class:`~akhbar.validate_parts.PartResult` without keys
or pairs (the folded row checks), plus O(buckets × checks × 5) outcomes of the two
suites: nothing that grows with the rows.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from akhbar.distributed import keys, leakage
from akhbar.expectations_report import Tally, ValidationResult
from akhbar.params import Params, RawParams
from akhbar.validate_parts import KEY_SCHEMA, PartResult, validate_part


def run(client: Any, dataset_dir: Path, params: Params | RawParams,
        reports_dir: Path | None = None, reason_stages: Sequence[str] | None = None,
        finish: Callable[..., ValidationResult] | None = None) -> ValidationResult:
    """Map the parts on ``client``'s workers (one task each, in order), check the keys
    bucket by bucket, gather, then ``finish`` (default :func:`akhbar.validate.finish`;
    the build passes one that runs it in its warmed GX process) merges and writes the
    reports."""
    from akhbar import validate
    from akhbar.params import typed

    dataset_dir = Path(dataset_dir)
    parts = validate.parts(dataset_dir, params)
    parameters = validate.suite_parameters(params, reason_stages)
    if not parts or not bucketable():
        # the one-frame path (nothing to shard, or a suite the bucket fold does not cover)
        futures = [client.submit(validate_part, part, parameters, pure=False)
                   for part in parts]
        results = client.gather(futures)
    else:
        buckets = typed(params).executor.partitions
        work = workdir(dataset_dir)
        try:
            offsets = list(itertools.accumulate(
                (sum(s.stop - s.start for s in part) for part in parts), initial=0))
            futures = [client.submit(validate_part_keys, part, parameters, offsets[i],
                                     str(work), f"{i:06d}", buckets, pure=False,
                                     key=f"validate_part-{uuid.uuid4().hex}")
                       for i, part in enumerate(parts)]
            results = client.gather(futures)
            checked = client.gather([
                client.submit(keys.check_bucket, str(work), b, parameters, pure=False,
                              key=f"keys_bucket-{uuid.uuid4().hex}")
                for b in range(buckets)])
            leaked = client.gather([
                client.submit(leakage.check_bucket, str(work), b, parameters, pure=False,
                              key=f"leakage_bucket-{uuid.uuid4().hex}")
                for b in range(buckets)])
        finally:
            shutil.rmtree(work, ignore_errors=True)
        results.append(folded(checked, leaked))
    return (finish or validate.finish)(dataset_dir, params, results, reports_dir,
                                       reason_stages)


def validate_part_keys(part: Sequence[Any], parameters: dict[str, Any], offset: int,
                       work: str, tag: str, buckets: int) -> PartResult:
    """``validate_part`` whose key rows and leakage pairs go to the buckets of the keys
    and leakage suites instead of the driver (:func:`to_buckets`)."""
    return to_buckets(validate_part(part, parameters), offset, Path(work), tag, buckets)


def bucketable() -> bool:
    """Whether the bucket fold is exact for the committed keys and leakage suites."""
    return (keys.supported(keys.suite_dict())
            and leakage.supported(keys.suite_dict(leakage.SUITE)))


def workdir(dataset_dir: Path, local: bool = False) -> Path:
    """A fresh folder for the buckets beside the dataset (the workers read the dataset, so
    they see its parent; its disk has room for the keys). ``local``: in the system's
    temporary folder when that one cannot be written (a check of a read-only dataset in one
    process; never on a cluster, whose workers on other machines would not see it)."""
    try:
        return Path(tempfile.mkdtemp(prefix=".akhbar-keys-", dir=Path(dataset_dir).parent))
    except OSError:
        if not local:
            raise
        return Path(tempfile.mkdtemp(prefix="akhbar-keys-"))


def to_buckets(result: PartResult, offset: int, work: Path, tag: str, buckets: int
               ) -> PartResult:
    """One part's key rows (numbered from ``offset``) and leakage pairs written to the
    buckets (:func:`akhbar.distributed.keys.scatter`,
    :func:`akhbar.distributed.leakage.scatter`); the result without them."""
    assert not isinstance(result.keys, Tally) and not isinstance(result.pairs, Tally)
    keys.scatter(result.keys, offset, work, tag, buckets)
    leakage.scatter(result.pairs, work, tag, buckets)
    return PartResult(result.tally, KEY_SCHEMA.empty_table(), {})


def folded(checked: Sequence[dict[str, keys.Outcome]],
           leaked: Sequence[dict[str, keys.Outcome]]) -> PartResult:
    """The last result of the map: the buckets' outcomes of both suites folded into the
    one-frame tallies (:func:`akhbar.distributed.keys.merge`)."""
    return PartResult(Tally(), keys.merge(keys.suite_dict(), checked),
                      keys.merge(keys.suite_dict(leakage.SUITE), leaked, leakage.SUITE))
