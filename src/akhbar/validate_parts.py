"""The map side of the ``validate`` stage: the published splits cut into parts that are
validated on their own, and partial results that merge into the result of one pass.

Why parts: the per-row suites (``text_quality``, ``dates``) are most of the stage's work,
and their outcome is a fold (a check fails when it fails on any batch; counts add up; the
first :data:`~akhbar.expectations_report.MAX_EXAMPLES` example ids in row order are kept),
so any cut of the rows gives the same ``validation.json`` once the parts are merged in
order. A part is a run of row ranges of published files (at most ``validate.batch_size``
rows, files of one column set pooled so that small shards do not each pay GX's per-call
cost); :func:`validate_part` returns its :class:`PartResult`: the folded checks, the key
columns the ``keys`` suite needs (no text), and the distinct (key, split) pairs of the
``leakage`` suite reduced on the part (an aggregation: merged parts reduce again with the
same rule, ``min(id)`` per pair). The same map runs in the build's process (text keys in
a thread, beside GX: polars releases the GIL) or as tasks of a Dask cluster
(:mod:`akhbar.distributed.validate`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from akhbar.expectations_report import Tally

INDEX = ["id", "loc"]  # columns GX reports for an unexpected row (loc only when id is null)
ROW_SUITES = ("text_quality", "dates")
#: leakage: source column → the frame's key column (one per kind of key)
LEAK_KEYS = (("id", "id_key"), ("text_key", "text_key"), ("cluster_id", "cluster_key"),
             ("story_id", "story_key"))

KEY_SCHEMA = pa.schema([("id", pa.string()), ("url", pa.string()), ("loc", pa.string())])
PAIR_SCHEMA = pa.schema([("_k", pa.string()), ("split", pa.string()), ("id", pa.string())])


class Slice(NamedTuple):
    """Rows ``start``..``stop`` (exclusive) of one published file of ``split``."""

    split: str
    path: str
    start: int
    stop: int


@dataclass
class PartResult:
    """What one part hands to the merge: folded row checks, keys, leakage pairs."""

    tally: Tally
    #: KEY_SCHEMA: id, url, loc of every row (the keys suite); or the keys suite's tally
    #: when the cluster checked the keys bucket by bucket (:mod:`akhbar.distributed.keys`)
    keys: pa.Table | Tally
    #: leakage key → distinct (key, split, min id); or the leakage suite's tally when the
    #: cluster checked the pairs bucket by bucket (:mod:`akhbar.distributed.leakage`)
    pairs: dict[str, pa.Table] | Tally


def plan(pairs: Sequence[tuple[str, Path]], batch_rows: int) -> list[list[Slice]]:
    """Parts of at most ``batch_rows`` rows in listing order; consecutive files pool into
    one part only when they have the same columns (a schema fault is never pooled)."""
    parts: list[list[Slice]] = []
    current: list[Slice] = []
    size, names = 0, None
    for split, path in pairs:
        pf = pq.ParquetFile(path)
        n = pf.metadata.num_rows
        these = pf.schema_arrow.remove_metadata()
        for start in range(0, n, batch_rows):
            stop = min(n, start + batch_rows)
            if current and (size + stop - start > batch_rows
                            or names is None or not these.equals(names)):
                parts.append(current)
                current, size = [], 0
            current.append(Slice(split, str(path), start, stop))
            size += stop - start
            names = these
    if current:
        parts.append(current)
    return parts


def _read(s: Slice, columns: list[str]) -> pa.Table:
    """The slice's rows of the ``columns`` its file has (only the row groups it spans)."""
    pf = pq.ParquetFile(s.path)
    present = [c for c in columns if c in pf.schema_arrow.names]
    groups, first, offset = [], None, 0
    for i in range(pf.metadata.num_row_groups):
        n = pf.metadata.row_group(i).num_rows
        if offset < s.stop and offset + n > s.start:
            groups.append(i)
            first = offset if first is None else first
        offset += n
    if not groups:
        return pf.schema_arrow.empty_table().select(present)
    table = pf.read_row_groups(groups, columns=present)
    return table.slice(s.start - (first or 0), s.stop - s.start)


def _with_loc(table: pa.Table, name: str, offset: int) -> pa.Table:
    """Add ``loc`` = ``file#row`` where ``id`` is null (so such a row can be named)."""
    n = table.num_rows
    ids = table.column("id") if "id" in table.column_names else None
    if ids is not None and ids.null_count == 0:
        return table.append_column("loc", pa.nulls(n, pa.string()))
    locs = pa.array([f"{name}#{offset + i}" for i in range(n)], pa.string())
    if ids is not None:
        locs = pc.if_else(pc.is_null(ids), locs, pa.nulls(n, pa.string()))
    return table.append_column("loc", locs)


def read_part(part: Sequence[Slice], columns: list[str]) -> pa.Table:
    """The part's rows with ``loc`` and ``split`` added."""
    tables = []
    for s in part:
        table = _with_loc(_read(s, columns), Path(s.path).name, s.start)
        tables.append(table.append_column("split", pa.array([s.split] * table.num_rows,
                                                            pa.string())))
    return pa.concat_tables(tables)


def _fold_hashes(texts: pa.ChunkedArray) -> pa.Array:
    """128-bit key of ``akhbar.folding.fold`` of each text (null for null/empty folds).

    Two seeded 64-bit polars hashes: vectorized, and collisions stay out of reach
    (~N²/2¹²⁹). Seeded polars hashes are the same in every process of one polars
    version, so parts hashed on different workers compare."""
    import polars as pl

    from akhbar.folding import fold_expr

    folded = pl.DataFrame({"t": pl.from_arrow(texts)}).select(
        fold_expr(pl.col("t").cast(pl.String)).alias("f"))
    key = pl.when(pl.col("f").str.len_bytes() > 0).then(
        pl.col("f").hash(seed=1).cast(pl.String) + ":"
        + pl.col("f").hash(seed=2).cast(pl.String))
    return folded.select(key.alias("k")).to_series().to_arrow().cast(pa.string())


def _col(table: pa.Table, name: str) -> Any:
    return (table.column(name).cast(pa.string()) if name in table.column_names
            else pa.nulls(table.num_rows, pa.string()))


def distinct_pairs(table: pa.Table) -> pa.Table:
    """One row per distinct (key ``_k``, split) with the smallest id (an associative
    reduction: parts reduce, then their union reduces again)."""
    t = table.select(["_k", "split", "id"]).filter(pc.is_valid(table.column("_k")))
    return t.group_by(["_k", "split"]).aggregate([("id", "min")]).rename_columns(
        ["_k", "split", "id"]).cast(PAIR_SCHEMA)


def keys_of(table: pa.Table) -> tuple[pa.Table, dict[str, pa.Table]]:
    """The part's key columns and its leakage pairs (texts are hashed, never kept)."""
    n = table.num_rows
    text_key = (_fold_hashes(table.column("text")) if "text" in table.column_names
                else pa.nulls(n, pa.string()))
    cols = {"id": _col(table, "id"), "split": _col(table, "split"), "text_key": text_key,
            "cluster_id": _col(table, "cluster_id"), "story_id": _col(table, "story_id")}
    pairs = {target: distinct_pairs(pa.table({"_k": cols[source], "split": cols["split"],
                                              "id": cols["id"]}))
             for source, target in LEAK_KEYS}
    keys = pa.table({"id": cols["id"], "url": _col(table, "url"),
                     "loc": _col(table, "loc")}, schema=KEY_SCHEMA)
    return keys, pairs


def rows_tally(table: pa.Table, parameters: dict[str, Any]) -> Tally:
    """The per-row suites on the part (GX; each expectation on the columns it reads:
    :meth:`akhbar.gx_session.Gx.validate_many`)."""
    from akhbar.expectations_suites import ROW_COLUMNS
    from akhbar.gx_session import gx

    suites = _suites()
    tally = Tally()
    frame = table.select([c for c in [*ROW_COLUMNS, "loc"] if c in table.column_names])
    results = gx().validate_many([suites[n] for n in ROW_SUITES], frame, parameters, INDEX)
    for name, result in zip(ROW_SUITES, results, strict=True):
        tally.add_gx(name, result)
    return tally


def _suites() -> dict[str, Any]:
    """The committed suites, read once per process while their files stay the same (a
    part is validated many times in one process; GX keeps its plan per suite object)."""
    from akhbar.expectations_suites import SUITES_DIR, load_suites

    stamp = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size)
                  for p in sorted(SUITES_DIR.glob("*.json"))) if SUITES_DIR.is_dir() else ()
    if _SUITES.get("stamp") != stamp or "suites" not in _SUITES:
        _SUITES.update(stamp=stamp, suites=load_suites())
    return _SUITES["suites"]


_SUITES: dict[str, Any] = {}


def columns() -> list[str]:
    from akhbar.expectations_suites import ROW_COLUMNS

    return [*ROW_COLUMNS, "url", "cluster_id", "story_id"]


def validate_part(part: Sequence[Slice], parameters: dict[str, Any]) -> PartResult:
    """One map task: read the part, run the row suites, hash its keys (a Dask task)."""
    table = read_part(part, columns())
    keys, pairs = keys_of(table)
    return PartResult(rows_tally(table, parameters), keys, pairs)


def map_local(parts: Sequence[Sequence[Slice]], parameters: dict[str, Any]
              ) -> Iterator[PartResult]:
    """:func:`validate_part` over ``parts`` in this process, in order: each part's keys
    are hashed in a thread (polars and pyarrow release the GIL) while GX runs the row
    suites, and the next part is read meanwhile."""
    cols = columns()
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="akhbar-validate") as pool:
        reading = pool.submit(read_part, parts[0], cols) if parts else None
        for i in range(len(parts)):
            assert reading is not None
            table = reading.result()
            keys = pool.submit(keys_of, table)
            reading = pool.submit(read_part, parts[i + 1], cols) if i + 1 < len(parts) else None
            tally = rows_tally(table, parameters)
            k, pairs = keys.result()
            yield PartResult(tally, k, pairs)


def merge(results: Iterator[PartResult] | Sequence[PartResult]
          ) -> tuple[Tally, pa.Table | Tally, pa.Table | Tally]:
    """Fold part results in order: (row-suite tally, keys of every row, leakage frame);
    the keys (the leakage frame) are the keys (leakage) suite's tally when a result
    carries one (checked on the cluster: the parts' key tables (pairs) are then empty)."""
    tally = Tally()
    keys: list[pa.Table] = []
    checked: Tally | None = None
    leaked: Tally | None = None
    pairs: dict[str, list[pa.Table]] = {target: [] for _, target in LEAK_KEYS}
    for r in results:
        tally.merge(r.tally)
        if isinstance(r.keys, Tally):
            checked = checked or Tally()
            checked.merge(r.keys)
        else:
            keys.append(r.keys)
        if isinstance(r.pairs, Tally):
            leaked = leaked or Tally()
            leaked.merge(r.pairs)
        else:
            for name, t in r.pairs.items():
                pairs[name].append(t)
    all_keys = (checked if checked is not None
                else pa.concat_tables(keys) if keys else KEY_SCHEMA.empty_table())
    return tally, all_keys, leaked if leaked is not None else leakage_frame(pairs)


def leakage_frame(pairs: dict[str, list[pa.Table]]) -> pa.Table:
    """Stacked distinct (key, split) rows; each row fills one of the four key columns,
    so a key found on two rows is a key shared by two splits."""
    targets = [target for _, target in LEAK_KEYS]
    parts = []
    for target in targets:
        got = pairs.get(target) or []
        merged = distinct_pairs(pa.concat_tables(got) if got else PAIR_SCHEMA.empty_table())
        merged = merged.sort_by([("_k", "ascending"), ("split", "ascending")])
        n = merged.num_rows
        cols = {"id": merged.column("id"), "loc": pa.nulls(n, pa.string())}
        for name in targets:
            cols[name] = merged.column("_k") if name == target else pa.nulls(n, pa.string())
        parts.append(pa.table(cols))
    return pa.concat_tables(parts)
