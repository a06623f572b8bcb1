"""The ``keys`` suite (id not null, ids and URLs unique across every published row) as a
cluster aggregation, so that the driver never holds a row's key.

Why: locally the suite runs once in GX on the id, url and loc of every published row,
O(rows) in one process (~100 B a row: 0.1 GB at 1M, 1 GB at 10M). Uniqueness is a
property of each key's group, so it partitions: every row's keys are hashed to one of
``B`` buckets (``executor.partitions``) per side, a file shuffle like dedup's waves, and
all copies of a key land in one bucket:

1. map (in each ``validate_part`` task, :func:`scatter`): the part's key rows, numbered in
   the global row order (the part's offset + its row), written to ``id/bNNNNN/`` by the
   hash of the id and to ``url/bNNNNN/`` by the hash of the URL;
2. ``keys_bucket``, one task per bucket (:func:`check_bucket`): the bucket's rows sorted
   by their global row number, GX runs the suite's column expectations on them (id side:
   ``id_not_null``, ``id_unique``, the table row count; URL side: ``url_unique``) and the
   task returns per check its outcome, counts and first ``MAX_EXAMPLES`` unexpected rows
   with their row numbers;
3. the driver folds the buckets (:func:`merge`): a column check fails when it fails in a
   bucket, counts add up (each row is in exactly one bucket per side), and its examples
   are the first ``MAX_EXAMPLES`` unexpected rows by global row number (the global first
   ones are each among the first ones of their bucket), deduplicated as
   :class:`~akhbar.expectations_report.Tally` does: the same ``validation.json`` bytes as
   GX on the whole frame. The table row count (``dataset_not_empty``: at least one row)
   holds for the union iff it holds in some bucket (a lower bound only; a suite with any
   other table-level or cross-column expectation is refused by :func:`supported`, and the
   caller keeps the one-frame path).

**Driver memory**: O(B × checks × MAX_EXAMPLES) small records, never a key. **Worker
memory**: one part's keys (map), one bucket's keys (≈ rows / B rows of id, url, loc).
The bucket files live in a folder beside the dataset folder (the workers read the
dataset, so they see its parent), removed after the wave.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from akhbar.expectations_report import MAX_EXAMPLES, Tally

SUITE = "keys"
ORDER = "_row"  # a row's number in the order of the parts (the local frame's order)
#: side → the column hashed to pick a row's bucket, and the checks run on that side
SIDES = {"id": ("id", ("dataset_not_empty", "id_not_null", "id_unique")),
         "url": ("url", ("url_unique",))}
_ROW_COUNT = "expect_table_row_count_to_be_between"


def suite_dict(name: str = SUITE) -> dict[str, Any]:
    """A suite as its JSON (no GX import: the driver folds, the workers run GX)."""
    import json

    from akhbar.expectations_suites import SUITES_DIR, suite_dicts

    path = SUITES_DIR / f"{name}.json"
    if path.is_file():
        return dict(json.loads(path.read_text(encoding="utf-8")))
    return suite_dicts()[name]


def _check(e: dict[str, Any]) -> str:
    return str((e.get("meta") or {}).get("check", e["type"]))


def supported(suite: dict[str, Any]) -> bool:
    """Whether :func:`merge` folds ``suite`` (:func:`suite_dict`) exactly: every
    expectation is one of the sides' checks, a column check, or a row count with a lower
    bound of at most 1."""
    wanted = {c for _, checks in SIDES.values() for c in checks}
    for e in suite["expectations"]:
        kwargs = e.get("kwargs") or {}
        if _check(e) not in wanted:
            return False
        if e["type"] == _ROW_COUNT:
            if kwargs.get("max_value") is not None or (kwargs.get("min_value") or 0) > 1:
                return False
        elif "column" not in kwargs:
            return False
    return True


def write(table: pa.Table, path: Path) -> None:
    """Under a temporary name, then renamed: a task rerun (a worker died) rewrites the
    same bytes and a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def scatter(keys: pa.Table, offset: int, work: Path, tag: str, buckets: int) -> None:
    """Map side: the part's key rows (id, url, loc), numbered from ``offset``, to the
    bucket of their id and to the bucket of their URL (``work/<side>/bNNNNN/<tag>``)."""
    import polars as pl

    frame = pl.from_arrow(keys).with_columns(
        (pl.int_range(pl.len(), dtype=pl.Int64) + offset).alias(ORDER))
    assert isinstance(frame, pl.DataFrame)
    for side, (column, _) in SIDES.items():
        # seeded polars hashes are the same in every process of one polars version
        bucket = (pl.col(column).hash(seed=3) % buckets).alias("_b")
        groups = frame.with_columns(bucket).partition_by("_b", as_dict=True,
                                                         include_key=False)
        for (b,), rows in groups.items():
            write(rows.to_arrow(), work / side / f"b{int(b):05d}" / f"{tag}.parquet")


@dataclass
class Outcome:
    """One check's outcome in one bucket: what :class:`Tally` folds, the examples with
    their place in the global order (a row number; any sortable key)."""

    type: str
    column: str | None
    success: bool
    unexpected: int
    elements: int
    examples: list[tuple[Any, str]] = field(default_factory=list)


def _sub_suite(suite: Any, checks: Sequence[str]) -> Any:
    import copy

    import great_expectations as gx

    return gx.ExpectationSuite(name=suite.name, expectations=[
        copy.deepcopy(e) for e in suite.expectations if e.meta.get("check") in checks])


def _bucket_frame(folder: Path, schema: pa.Schema) -> pa.Table:
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    if not files:
        return schema.empty_table()
    table = pa.concat_tables([pq.read_table(f) for f in files])
    return table.sort_by(ORDER)


def check_bucket(work: Path | str, bucket: int, parameters: dict[str, Any]
                 ) -> dict[str, Outcome]:
    """One ``keys_bucket`` task: GX on the bucket's rows of each side, in row order;
    check name → :class:`Outcome`."""
    from akhbar.expectations_suites import load_suites
    from akhbar.gx_session import gx, pandas_frame
    from akhbar.validate_parts import INDEX, KEY_SCHEMA

    suite = load_suites()[SUITE]
    schema = KEY_SCHEMA.append(pa.field(ORDER, pa.int64()))
    out: dict[str, Outcome] = {}
    for side, (_, checks) in SIDES.items():
        table = _bucket_frame(Path(work) / side / f"b{bucket:05d}", schema)
        result = gx().validate(_sub_suite(suite, checks), pandas_frame(table), parameters,
                               [*INDEX, ORDER])
        out.update(outcomes(result, lambda row: int(row[ORDER])))
    return out


def outcomes(result: Any, order: Callable[[dict[str, Any]], Any]) -> dict[str, Outcome]:
    """A GX suite result on one bucket as check name → :class:`Outcome`; ``order`` gives
    an unexpected row's place in the global order (from its index columns)."""
    from akhbar.expectations_report import _example, _exception

    out: dict[str, Outcome] = {}
    for r in result.results:
        cfg = r.expectation_config
        error = _exception(r.exception_info)
        examples: list[tuple[Any, str]] = []
        if error:
            examples = [(_FIRST, f"batch: error: {error}")]
        elif not r.success:
            examples = [(order(row), _example(row)) for row in
                        r.result.get("partial_unexpected_index_list") or []]
        out[cfg.meta.get("check", cfg.type)] = Outcome(
            cfg.type, cfg.kwargs.get("column"), bool(r.success) and not error,
            r.result.get("unexpected_count") or (0 if r.success else 1),
            int(r.result.get("element_count") or 0), examples)
    return out


class _First:
    """Sorts before every order key (an error message comes before any row)."""

    def __lt__(self, other: object) -> bool:
        return not isinstance(other, _First)

    def __gt__(self, other: object) -> bool:
        return False


_FIRST = _First()


def merge(suite: dict[str, Any], buckets: Sequence[dict[str, Outcome]],
          name_: str = SUITE) -> Tally:
    """The buckets' outcomes folded into the checks of ``suite`` (:func:`suite_dict`,
    named ``name_``), in its order: the tally GX on the whole frame gives (module
    docstring)."""
    tally = Tally()
    for e in suite["expectations"]:
        name = _check(e)
        got = [b[name] for b in buckets if name in b]
        if not got:
            continue
        first = got[0]
        if first.type == _ROW_COUNT:  # at least one row in the union: in some bucket
            ok = any(o.success for o in got)
            tally.add(name_, name, first.type, first.column, ok, 0 if ok else 1, [], 0)
            continue
        examples = sorted(ex for o in got for ex in o.examples)[:MAX_EXAMPLES]
        tally.add(name_, name, first.type, first.column, all(o.success for o in got),
                  sum(o.unexpected for o in got if not o.success), [e for _, e in examples],
                  sum(o.elements for o in got))
    return tally
