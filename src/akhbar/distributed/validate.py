"""The ``validate`` stage on a Dask cluster: the parts of the published splits validated
on the workers, merged into one GX result and one Data Docs site.

Why this shape: the per-row suites are a fold over rows, so each part
(:func:`akhbar.validate.parts`) is one task running :func:`akhbar.validate_parts.validate_part`
where the data is (the workers import GX once each); a task returns its folded checks, the
key columns of its rows (id, url, loc: no text) and its leakage pairs already reduced
to distinct (key, split, min id). The global suites are then computed once from those
aggregates by :func:`akhbar.validate.finish`: uniqueness of ids and urls across splits,
text/cluster/story leakage on the union of the parts' pairs (reduced again by the same
rule), and the accounting counts against ``stats.json``; the report and the Data Docs are
written once. ``validation.json`` is byte-identical to the local run's
(``tests/test_distributed.py``).

The ``keys`` suite (ids not null, ids and URLs unique) is a cluster aggregation
(:mod:`akhbar.distributed.keys`): each part task also scatters its key rows to hash
buckets, one ``keys_bucket`` task per bucket runs the suite's expectations in GX, and the
driver folds the buckets' outcomes into the one-frame tally.

**Driver memory**: per part one :class:`~akhbar.validate_parts.PartResult` without keys
(the folded row checks and the part's distinct leakage pairs: the pairs are still O(rows)
short strings, reduced per part, never a text), plus O(buckets × checks × 5) outcomes of
the keys suite.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from akhbar.distributed import keys
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
    suite = keys.suite_dict()
    if not parts or not keys.supported(suite):  # the one-frame path (nothing to shard)
        futures = [client.submit(validate_part, part, parameters, pure=False)
                   for part in parts]
        results = client.gather(futures)
    else:
        buckets = typed(params).executor.partitions
        work = Path(tempfile.mkdtemp(prefix=".akhbar-keys-", dir=dataset_dir.parent))
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
        finally:
            shutil.rmtree(work, ignore_errors=True)
        results.append(PartResult(Tally(), keys.merge(suite, checked), {}))
    return (finish or validate.finish)(dataset_dir, params, results, reports_dir,
                                       reason_stages)


def validate_part_keys(part: Sequence[Any], parameters: dict[str, Any], offset: int,
                       work: str, tag: str, buckets: int) -> PartResult:
    """``validate_part`` whose key rows go to the keys suite's buckets instead of the
    driver (:func:`akhbar.distributed.keys.scatter`)."""
    result = validate_part(part, parameters)
    assert not isinstance(result.keys, Tally)
    keys.scatter(result.keys, offset, Path(work), tag, buckets)
    result.keys = KEY_SCHEMA.empty_table()
    return result
