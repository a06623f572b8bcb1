"""Cut a JSON array into its elements on bytes, before any element is parsed or decoded.

Why a hand-written scanner: neither orjson (no incremental API) nor the stdlib decoder
can say where an element ends without parsing it, and parsing is exactly what fails on
the files this is for — an element nested 100,000 deep (the stdlib raises
``RecursionError`` and takes the whole file with it), an array whose records are in
different encodings (one invalid UTF-8 byte fails the whole file), a damaged element in
the middle, a cut end. The scanner only tracks strings (with their escapes) and bracket
depth, iteratively, with one regular expression that jumps over string contents, so
every element is found whatever is inside it. The structural bytes ``[]{},"\\`` are
ASCII, and no byte of UTF-8 or of a legacy single-byte code page can be mistaken for
them, so the cut is right for all of these before knowing the encoding (UTF-16/32 are
turned into UTF-8 by the caller first).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# a string (its closing quote captured: absent = the string is cut) or a structural byte
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*(")?|[\[\]{},]', re.S)
_WS = b" \t\r\n"
_OPEN, _CLOSE = frozenset(b"[{"), frozenset(b"]}")


@dataclass(frozen=True, slots=True)
class Span:
    """One element: ``data[start:end]`` (whitespace trimmed); ``error`` when the array
    ends inside it (cut stream, unclosed brackets)."""

    start: int
    end: int
    error: str | None = None


def elements(data: bytes, open_at: int) -> Iterator[Span]:
    """The elements of the array whose ``[`` is at ``data[open_at]``, in order. A missing
    ``]`` yields a last span with ``error`` set (it may be empty: cut after a comma)."""
    depth = 0
    start = open_at + 1
    for match in _TOKEN.finditer(data, open_at + 1):
        at = match.start()
        byte = data[at]
        if byte == 0x22:  # '"'
            if match.group(1) is None:
                break  # a string cut by the end of the data
            continue
        if byte in _OPEN:
            depth += 1
        elif byte in _CLOSE:
            if depth > 0:
                depth -= 1
            elif byte == 0x5D:  # ']' closing the array
                span = _trim(data, start, at)
                if span is not None:
                    yield span
                return
            # a stray '}' at the top level stays inside the element, which fails to parse
        elif depth == 0:  # ',' between elements
            yield _trim(data, start, at) or Span(start, start)
            start = at + 1
    lo, hi = _bounds(data, start, len(data))
    if depth == 0 and hi > lo and data[hi - 1] in _CLOSE:
        # the last element is whole (cut right after it): kept, and the cut is reported
        yield Span(lo, hi)
        start = lo = hi
    yield Span(lo, hi, error=(
        f"array not closed: cut or unbalanced from byte {start} to the end "
        f"({len(data) - start} bytes)"))


def _bounds(data: bytes, start: int, end: int) -> tuple[int, int]:
    while start < end and data[start] in _WS:
        start += 1
    while end > start and data[end - 1] in _WS:
        end -= 1
    return start, end


def _trim(data: bytes, start: int, end: int) -> Span | None:
    """The element between two separators (``None``: nothing, as in ``[]``)."""
    lo, hi = _bounds(data, start, end)
    return Span(lo, hi) if hi > lo else None
