"""Each row of the explorer's text shards as JSON, put together by polars.

A shard row is ``[text,extras]``: the text and a dict of the row's :data:`EXTRA` fields
that hold something, byte for byte what ``json.dumps(..., ensure_ascii=False,
separators=(",", ":"))`` writes. Why polars and not ``json.dumps``: Python objects per row
(the dicts, their strings and datetimes) were most of the shards' cost; as column
expressions the texts and extras never become Python objects. A column of a type the
expressions do not cover (a float, a datetime in another time zone...) sends its batch
to the plain Python path (:func:`_extras` and ``json.dumps``), which is also what the
tests compare the expressions against.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterator
from typing import Any

import polars as pl

#: Per-row fields that only the article page shows: stored next to the text, not in the index.
EXTRA = ["url", "author", "tags", "dateline", "related_titles", "host_id", "raw_encoding",
         "raw_format", "cluster_id", "story_id", "stage", "reasons",
         "duplicate_of", "raw_excerpt", "published", "crawled"]

#: What ``json.dumps(..., ensure_ascii=False)`` escapes in a string: the backslash, the
#: quote and the C0 controls (short forms where JSON has them).
JSON_ESCAPES = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\f": "\\f",
                "\n": "\\n", "\r": "\\r", "\t": "\\t",
                **{chr(c): f"\\u{c:04x}" for c in range(0x20) if chr(c) not in "\b\f\n\r\t"}}

_INTS = (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64)


def _extras(df: pl.DataFrame) -> Iterator[dict[str, Any]]:
    """Each row's :data:`EXTRA` fields that hold something (the plain Python path)."""
    cols = [c for c in EXTRA if c in df.columns]
    if not cols:
        yield from ({} for _ in range(df.height))
        return
    for values in zip(*(df.get_column(c).to_list() for c in cols), strict=True):
        out = {}
        for k, v in zip(cols, values, strict=True):
            if v is None or v == []:
                continue
            out[k] = v.isoformat() if isinstance(v, dt.datetime) else v
        yield out


def string(e: pl.Expr) -> pl.Expr:
    """JSON of a string expression (null stays null)."""
    return pl.concat_str(pl.lit('"'), e.str.replace_many(JSON_ESCAPES), pl.lit('"'))


def _value(c: str, dtype: pl.DataType) -> pl.Expr | None:
    """JSON of column ``c``'s value, null where :func:`_extras` leaves the key out; None
    when the type is not covered."""
    col = pl.col(c)
    if dtype == pl.String:
        return string(col)
    if dtype in _INTS:
        return col.cast(pl.String)
    if dtype == pl.Boolean:
        return pl.when(col).then(pl.lit("true")).when(~col).then(pl.lit("false"))
    if (isinstance(dtype, pl.Datetime) and dtype.time_zone in ("UTC", None)
            and dtype.time_unit in ("us", "ms")):
        # datetime.isoformat: microseconds only when there are some, "+00:00" for UTC
        zone = "+00:00" if dtype.time_zone else ""
        return pl.concat_str(
            pl.lit('"'),
            pl.when(col.dt.microsecond() == 0).then(col.dt.strftime("%Y-%m-%dT%H:%M:%S"))
            .otherwise(col.dt.strftime("%Y-%m-%dT%H:%M:%S%.6f")),
            pl.lit(zone + '"'))
    if isinstance(dtype, pl.List) and dtype.inner == pl.String:
        items = col.list.eval(pl.when(pl.element().is_null()).then(pl.lit("null"))
                              .otherwise(string(pl.element())))
        return pl.when(col.list.len() > 0).then(
            pl.concat_str(pl.lit("["), items.list.join(","), pl.lit("]")))
    return None


@functools.lru_cache(maxsize=16)
def _extras_expr(columns: tuple[tuple[str, pl.DataType], ...]) -> pl.Expr | None:
    """The extras dict's JSON of each row of a frame with ``columns`` (name and type), or
    None when a column's type is not covered. Cached: every batch of a file has the same
    columns, and building the expression costs more than running it on a small batch."""
    schema = dict(columns)
    parts = []
    for c in [c for c in EXTRA if c in schema]:
        value = _value(c, schema[c])
        if value is None:
            return None
        parts.append(pl.concat_str(pl.lit(json.dumps(c) + ":"), value))
    if not parts:
        return pl.lit("{}")
    return pl.concat_str(pl.lit("{"), pl.concat_str(parts, separator=",", ignore_nulls=True),
                         pl.lit("}"))


def rows(df: pl.DataFrame) -> tuple[pl.Series, list[int]]:
    """Each row's JSON ``[text,extras]`` and its text's byte size."""
    text = (pl.col("text").cast(pl.String).fill_null("") if "text" in df.columns
            else pl.repeat("", df.height, dtype=pl.String))
    extras = _extras_expr(tuple((c, t) for c, t in df.schema.items() if c in EXTRA))
    if extras is None:
        df = df.with_columns(pl.Series(
            "_extras", [json.dumps(e, ensure_ascii=False, separators=(",", ":"))
                        for e in _extras(df)], dtype=pl.String))
        extras = pl.col("_extras")
    out = df.select(
        pl.concat_str(pl.lit("["), string(text), pl.lit(","), extras, pl.lit("]")).alias("row"),
        text.str.len_bytes().alias("size"))
    return out.get_column("row"), out.get_column("size").to_list()
