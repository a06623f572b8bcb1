"""CSV / TSV with a header row, mapped to RAW columns by :mod:`presets`.

The stdlib ``csv`` module rather than polars: it reports a broken row as one error and
goes on, which is what "good records of the same file are kept" needs.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator

from akhbar.ingest.presets import resolve
from akhbar.ingest.readers.base import Bad, Blob, Context, Good, too_large

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # news bodies exceed the 128 KiB default
_DELIMITERS = (",", "\t", ";", "|")


def _delimiter(header_line: str, tsv: bool) -> str:
    if tsv:
        return "\t"
    return max(_DELIMITERS, key=header_line.count)


def read(blob: Blob, ctx: Context, tsv: bool = False) -> Iterator[Good | Bad]:
    """One record per data row; ``raw_record`` counts non-empty data rows from 0."""
    decoded = ctx.decode(blob)
    text, enc = decoded.text, decoded.encoding
    first = text.lstrip("\r\n").split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first, tsv))
    header: list[str] | None = None
    mapping = None
    index = 0
    check = blob.size > ctx.max_record_bytes
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if header is None:
                yield Bad(0, "invalid-csv", f"header: {exc}", text[:ctx.excerpt_bytes], enc)
                return
            yield Bad(index, "invalid-csv", f"row {index}: {exc}", "", enc)
            index += 1
            continue
        if not row or all(not cell.strip() for cell in row):
            continue
        if header is None:
            header = [h.strip().lstrip("\ufeff") for h in row]
            mapping = resolve(header, ctx.preset, ctx.fields)
            continue
        raw = "\t".join(row)[:ctx.excerpt_bytes]
        if len(row) != len(header):
            yield Bad(index, "invalid-csv", f"row {index}: {len(row)} fields, header has "
                      f"{len(header)}", raw, enc)
        elif check and (msg := too_large(sum(len(c.encode()) for c in row), ctx)) is not None:
            yield Bad(index, "too-large", msg, raw, enc)
        else:
            assert mapping is not None
            yield Good(index, enc, mapping.extract(dict(zip(header, row, strict=True))),
                       decoded.damaged)
        index += 1
    if header is None:
        yield Bad(0, "empty-file", "no header row", text[:ctx.excerpt_bytes], enc)
    elif index == 0:
        yield Bad(0, "empty-file", "a header and no rows", text[:ctx.excerpt_bytes], enc)
