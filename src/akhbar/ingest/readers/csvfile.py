"""CSV / TSV, mapped to RAW columns by :mod:`presets`.

The stdlib ``csv`` module rather than polars: it reports a broken row as one error and
goes on, which is what "good records of the same file are kept" needs.

The first row is a header only when it reads as one (:func:`_is_header`); a file whose
first row is data gets generated column names (``column_1``...) — which the user may map
in ``ingest.fields`` — and, without such a mapping, columns chosen by their content
(:func:`_infer_fields`). Its first row is then record 0, never eaten as the header.
"""

from __future__ import annotations

import csv
import io
import re
import statistics
import sys
from collections.abc import Iterator
from typing import Any

from akhbar.ingest.presets import COLUMNS, PRESETS, resolve
from akhbar.ingest.readers.base import Bad, Blob, Context, Good, too_large

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # news bodies exceed the 128 KiB default
_DELIMITERS = (",", "\t", ";", "|")
_SAMPLE_ROWS = 50
_URL = re.compile(r"\A\s*https?://\S+\s*\Z", re.I)
_DATE = re.compile(r"\A\s*\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\A\s*\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")
_NUMBER = re.compile(r"\A\s*[-+]?\d+(?:[.,]\d+)?\s*\Z")
#: a header cell is a short name; a cell with more words than this is text (data)
_MAX_HEADER_WORDS = 4
_KNOWN_NAMES = frozenset(
    key.lower() for preset in PRESETS.values() for keys in preset.fields.values()
    for key in keys) | frozenset(COLUMNS)


def _delimiter(header_line: str, tsv: bool) -> str:
    if tsv:
        return "\t"
    return max(_DELIMITERS, key=header_line.count)


def _rows(text: str, delimiter: str) -> list[list[str] | csv.Error]:
    """Non-empty rows in file order; a row the csv module cannot read is its error."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str] | csv.Error] = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return rows
        except csv.Error as exc:
            rows.append(exc)
            continue
        if row and any(cell.strip() for cell in row):
            rows.append(row)


def _data_like(cell: str) -> bool:
    """A cell no header would hold: a URL, a date, a number, or a sentence."""
    return bool(_URL.match(cell) or _DATE.match(cell) or _NUMBER.match(cell)
                or len(cell.split()) > _MAX_HEADER_WORDS)


def _is_header(first: list[str], user_keys: set[str]) -> bool:
    """Whether the first row names the columns: it holds a name we know (a preset's key
    or the user's ``fields``), or none of its cells reads as data."""
    names = {c.strip().lstrip("\ufeff").lower() for c in first}
    if names & (_KNOWN_NAMES | user_keys):
        return True
    return not any(_data_like(c) for c in first if c.strip())


def _infer_fields(names: list[str], sample: list[list[str]]) -> dict[str, str]:
    """Which generated column is which field, by content: URLs, dates, and of the text
    columns the longest is ``body`` and the next longest ``title``."""
    fields: dict[str, str] = {}
    text_cols: list[tuple[float, str]] = []
    for i, name in enumerate(names):
        values = [row[i] for row in sample if i < len(row) and row[i].strip()]
        if not values:
            continue
        if "url" not in fields and sum(bool(_URL.match(v)) for v in values) >= 0.8 * len(values):
            fields["url"] = name
        elif "published" not in fields and \
                sum(bool(_DATE.match(v)) for v in values) >= 0.8 * len(values):
            fields["published"] = name
        elif sum(bool(_NUMBER.match(v)) for v in values) < 0.5 * len(values):
            text_cols.append((statistics.fmean(len(v) for v in values), name))
    text_cols.sort(key=lambda t: (-t[0], t[1]))
    for field, (_, name) in zip(("body", "title"), text_cols, strict=False):
        fields[field] = name
    return fields


def read(blob: Blob, ctx: Context, tsv: bool = False) -> Iterator[Good | Bad]:
    """One record per data row; ``raw_record`` counts non-empty data rows from 0."""
    decoded = ctx.decode(blob)
    text, enc = decoded.text, decoded.encoding
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    rows = _rows(text, _delimiter(first_line, tsv))
    if not rows:
        yield Bad(0, "empty-file", "no rows", text[:ctx.excerpt_bytes], enc)
        return
    first = rows[0]
    if isinstance(first, csv.Error):
        yield Bad(0, "invalid-csv", f"first row: {first}", text[:ctx.excerpt_bytes], enc)
        return
    user_keys = {str(k).lower() for v in ctx.fields.values()
                 for k in ([v] if isinstance(v, str) else v or [])}
    if _is_header(first, user_keys):
        header = [h.strip().lstrip("\ufeff") for h in first]
        mapping = resolve(header, ctx.preset, ctx.fields)
        data = rows[1:]
        if not data:
            yield Bad(0, "empty-file", "a header and no rows", text[:ctx.excerpt_bytes], enc)
            return
    else:
        header = [f"column_{i + 1}" for i in range(len(first))]
        sample = [r for r in rows[:_SAMPLE_ROWS] if isinstance(r, list)]
        fields: dict[str, Any] = dict(ctx.fields) if user_keys & set(header) \
            else _infer_fields(header, sample)
        data = rows
        if "body" not in fields:
            for index in range(len(data)):
                yield Bad(index, "no-header", "no header row, and no column reads as "
                          "article text (map one in ingest.fields: body: column_N)",
                          _excerpt(data[index], ctx), enc)
            return
        ctx.repairs["csv-no-header"] += 1
        mapping = resolve(header, "none", fields)
    check = blob.size > ctx.max_record_bytes
    for index, row in enumerate(data):
        if isinstance(row, csv.Error):
            yield Bad(index, "invalid-csv", f"row {index}: {row}", "", enc)
        elif len(row) != len(header):
            yield Bad(index, "invalid-csv", f"row {index}: {len(row)} fields, header has "
                      f"{len(header)}", _excerpt(row, ctx), enc)
        elif check and (msg := too_large(sum(len(c.encode()) for c in row), ctx)) is not None:
            yield Bad(index, "too-large", msg, _excerpt(row, ctx), enc)
        elif blob.truncated is not None and index == len(data) - 1:
            yield Bad(index, "truncated", f"row {index}: {blob.truncated}",
                      _excerpt(row, ctx), enc)
        else:
            yield Good(index, enc, mapping.extract(dict(zip(header, row, strict=True))),
                       decoded.damaged)


def _excerpt(row: list[str] | csv.Error, ctx: Context) -> str:
    return "\t".join(row)[:ctx.excerpt_bytes] if isinstance(row, list) else str(row)
