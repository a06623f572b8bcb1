"""The explorer's per-row index (``data/index.js``), written column by column from Parquet.

Why not one frame of the rows: at a million rows, the titles and small fields of every
row in one frame, plus one field as a Python list and its JSON, were most of the card's
memory in a Dask build's driver (1.1 GB). Here each field of the index is read from the
Parquet files one column at a time, :data:`CHUNK_ROWS` rows at a time, and its JSON
written as it is read: memory holds one chunk of one column, the vocabularies and the
ids that removed duplicates point at, never a per-row structure of the whole corpus.

The bytes are those of ``json.dumps`` over the whole ``{"meta":..., "index":...}``
(separators ``,`` ``:``, ``ensure_ascii=False``): a list's JSON is its items' JSON joined
by commas, so a field is written as the items of each chunk's ``json.dumps``. Values
keep the type the rows had in one frame: each chunk is cast to the column's type over
all files (polars' ``diagonal_relaxed`` supertype), so an integer column that is a float
in another file still prints ``3.0``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import polars as pl
import pyarrow.parquet as pq

from akhbar.schema import SPLITS

#: Rows of one column read and dumped at a time (a chunk of titles is a few MB).
CHUNK_ROWS = 65_536
#: Index fields whose values are indexes into a sorted vocabulary, and the vocabulary's
#: name in the page's meta.
VOCAB_FIELDS = {"source": "sources", "category": "categories", "reason": "reasons",
                "published_from": "published_from", "lang": "langs", "raw_file": "files"}
KINDS = [*SPLITS, "removed"]
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _dumps(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


class Rows:
    """The site's rows: Parquet ``files`` with their kind (split name or ``removed``),
    numbered across the files in order; only file footers are read here."""

    def __init__(self, files: Sequence[tuple[Path, str]]) -> None:
        self.files = list(files)
        metas = [pq.ParquetFile(f) for f, _ in self.files]
        self._meta = [pf.metadata for pf in metas]  # footers parsed once, not per column
        self.counts = [pf.metadata.num_rows for pf in metas]
        self.height = sum(self.counts)
        schemas = [pl.DataFrame(schema=pl.read_parquet_schema(f)) for f, _ in self.files]
        # the column types of the files' rows in one frame (polars' own supertype rule)
        self.schema = (pl.concat(schemas, how="diagonal_relaxed").schema if schemas
                       else pl.Schema())
        self._names = [set(pf.schema_arrow.names) for pf in metas]

    def frames(self, names: Sequence[str], *, kinds: Sequence[str] | None = None
               ) -> Iterator[tuple[str, pl.DataFrame]]:
        """``(kind, chunk)``: columns ``names`` over the files (only those of ``kinds``
        when given), at most :data:`CHUNK_ROWS` rows a chunk; nulls where a file lacks a
        column (typed like the column elsewhere, String when no file has it)."""
        types = {c: self.schema.get(c, pl.String) for c in names}
        for (f, kind), n, have, meta in zip(self.files, self.counts, self._names, self._meta,
                                            strict=True):
            if kinds is not None and kind not in kinds:
                continue
            read = [c for c in names if c in have]
            if not read:
                for a in range(0, n, CHUNK_ROWS):
                    k = min(CHUNK_ROWS, n - a)
                    yield kind, pl.DataFrame([pl.Series(c, [None] * k, dtype=t)
                                              for c, t in types.items()])
                continue
            for batch in pq.ParquetFile(f, metadata=meta).iter_batches(batch_size=CHUNK_ROWS,
                                                                       columns=read):
                df = pl.from_arrow(batch)
                yield kind, df.select(  # type: ignore[union-attr]
                    (pl.col(c) if c in read else pl.lit(None)).cast(t).alias(c)
                    for c, t in types.items())

    def column(self, name: str, *, kinds: Sequence[str] | None = None
               ) -> Iterator[tuple[str, pl.Series]]:
        """:meth:`frames` of one column, as Series."""
        for kind, df in self.frames([name], kinds=kinds):
            yield kind, df.to_series()

    def vocab(self, name: str) -> list[Any]:
        """Sorted distinct non-null values of column ``name``."""
        seen: set[Any] = set()
        for _, s in self.column(name):
            seen.update(s.drop_nulls().unique().to_list())
        return sorted(seen)

    def file_sha256(self, files: Sequence[str]) -> list[str | None]:
        """The ``raw_sha256`` of each raw file of ``files`` (the first row's that names it)."""
        shas: dict[str, str | None] = {}
        for _, df in self.frames(["raw_file", "raw_sha256"]):
            for name, value in df.unique("raw_file", keep="first",
                                         maintain_order=True).iter_rows():
                shas.setdefault(name, value)
        return [shas.get(f) for f in files]


def vocabs(rows: Rows) -> dict[str, list[Any]]:
    """The page meta's vocabularies (those :data:`VOCAB_FIELDS` point into)."""
    return {name: rows.vocab(key) for key, name in VOCAB_FIELDS.items()}


def _num(s: pl.Series) -> list[Any]:
    """A signal's values as the page shows them: floats as Python's ``round(v, 3)``.

    Why not ``round`` on each value: it was most of the index's cost. numpy's
    ``rint(v * 1000) / 1000`` is the same double whenever ``v * 1000`` is not within a
    few ulps of a half (IEEE division of an integer by 1000 is correctly rounded, like
    ``round``'s own result); those values, huge ones, NaN and infinities get Python's
    ``round``, and nulls None."""
    if not s.dtype.is_float():
        return s.to_list()
    x = s.cast(pl.Float64).to_numpy()
    with np.errstate(invalid="ignore", over="ignore"):
        y = x * 1000.0
        out = (np.rint(y) / 1000.0).tolist()
        exact = (np.abs(x) < 1e12) & (
            np.abs(y - np.floor(y) - 0.5) > 4 * np.spacing(np.abs(y)))
    null = s.is_null().to_numpy()
    for i in np.flatnonzero(~exact | null).tolist():
        out[i] = None if null[i] else round(float(x[i]), 3)
    return out


def _days(s: pl.Series) -> list[Any]:
    return [None if t is None else (t - _EPOCH).days for t in s.to_list()]


def _first_kept(rows: Rows) -> pl.DataFrame:
    """``id, at``: for each id that a removed row's ``duplicate_of`` names, the first kept
    row holding it (ids are not unique across kept and removed: an exact copy carries the
    id of the article it duplicates). Only referenced ids are kept in memory."""
    refs = pl.concat([s for _, s in rows.column("duplicate_of")]
                     or [pl.Series([], dtype=pl.String)]).drop_nulls().unique()
    refs = refs.filter(refs.cast(pl.String) != "")
    found, at = [], 0
    for kind, ids in rows.column("id"):
        if kind in SPLITS and refs.len():
            found.append(ids.to_frame("id").with_row_index("at", offset=at)
                         .filter(ids.is_in(refs.implode())))
        at += ids.len()
    if not found:
        return pl.DataFrame(schema={"id": refs.dtype, "at": pl.UInt32})
    return pl.concat(found).unique("id", keep="first", maintain_order=True).select("id", "at")


def _dup(rows: Rows) -> Iterator[list[int]]:
    """Each row's kept copy as a row number (-1: none), chunk by chunk."""
    first = _first_kept(rows)
    for _, d in rows.column("duplicate_of"):
        got = (d.to_frame("d")
               .join(first, left_on="d", right_on="id", how="left", maintain_order="left")
               .select(pl.when(pl.col("d").is_null() | (pl.col("d").cast(pl.String) == ""))
                       .then(-1).otherwise(pl.col("at").cast(pl.Int64).fill_null(-1))))
        yield got.to_series().to_list()


def _field(rows: Rows, key: str, vocabs: dict[str, list[Any]]) -> Iterator[list[Any]]:
    """The values of index field ``key``, chunk by chunk, as the page reads them."""
    if key == "kind":
        for (_, kind), n in zip(rows.files, rows.counts, strict=True):
            yield from ([KINDS.index(kind)] * min(CHUNK_ROWS, n - a)
                        for a in range(0, n, CHUNK_ROWS))
    elif key in VOCAB_FIELDS:
        at = {v: i for i, v in enumerate(vocabs[VOCAB_FIELDS[key]])}
        yield from ([at[v] if v is not None else -1 for v in s.to_list()]
                    for _, s in rows.column(key))
    elif key == "date":
        yield from (_days(s) for _, s in rows.column("published"))
    elif key == "dup":
        yield from _dup(rows)
    elif key in ("id", "title", "raw_record", "detail"):
        yield from (s.to_list() for _, s in rows.column(key))
    else:  # a quality signal
        yield from (_num(s) for _, s in rows.column(key))


def _write_list(out: TextIO, chunks: Iterator[list[Any]]) -> None:
    """``json.dumps`` of the concatenated chunks, written a chunk at a time."""
    out.write("[")
    first = True
    for values in chunks:
        if values:
            out.write(("" if first else ",") + _dumps(values)[1:-1])
            first = False
    out.write("]")


def fields(signals: Sequence[str]) -> list[str]:
    """The index's fields, in the order the page's ``index`` object lists them."""
    return ["id", "title", "kind", *VOCAB_FIELDS, "raw_record", "date", "detail",
            *signals, "dup"]


def write(path: Path, meta: dict[str, Any], rows: Rows, signals: Sequence[str]) -> None:
    """``AKHBAR.load({"meta":...,"index":{...}});`` for ``rows``: the bytes ``json.dumps``
    writes of the whole dict, one field (and one chunk of it) at a time. ``meta["vocabs"]``
    must be :func:`vocabs` of ``rows``."""
    with path.open("w", encoding="utf-8") as out:
        out.write(f'AKHBAR.load({{"meta":{_dumps(meta)},"index":{{')
        for i, key in enumerate(fields(signals)):
            out.write(f"{',' if i else ''}{_dumps(key)}:")
            _write_list(out, _field(rows, key, meta["vocabs"]))
        out.write("}});\n")
