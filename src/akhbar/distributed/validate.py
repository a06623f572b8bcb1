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

**Driver memory**: one :class:`~akhbar.validate_parts.PartResult` per part, i.e. the id,
url and loc of every published row plus the distinct leakage pairs: O(rows) short strings,
never a text (the ``keys`` suite's uniqueness checks run in GX on one frame).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from akhbar.expectations_report import ValidationResult
from akhbar.params import Params, RawParams


def run(client: Any, dataset_dir: Path, params: Params | RawParams,
        reports_dir: Path | None = None, reason_stages: Sequence[str] | None = None,
        finish: Callable[..., ValidationResult] | None = None) -> ValidationResult:
    """Map the parts on ``client``'s workers (one task each, in order), gather, then
    ``finish`` (default :func:`akhbar.validate.finish`; the build passes one that runs it
    in its warmed GX process) merges and writes the reports."""
    from akhbar import validate
    from akhbar.validate_parts import validate_part

    parts = validate.parts(dataset_dir, params)
    parameters = validate.suite_parameters(params, reason_stages)
    futures = [client.submit(validate_part, part, parameters, pure=False) for part in parts]
    results = client.gather(futures)
    return (finish or validate.finish)(dataset_dir, params, results, reports_dir,
                                       reason_stages)
