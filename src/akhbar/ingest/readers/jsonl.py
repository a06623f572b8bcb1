"""JSON Lines: one record per line, ``raw_record`` = 0-based line number.

A bad line (truncated, invalid JSON, not an object, invalid UTF-8, too large) is one
rejected record and every other line is kept. Files above ``stream_bytes`` are streamed
from disk line by line (two passes: the first lines for the field mapping, then all).
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable, Iterator
from typing import Any

import orjson

from akhbar.ingest.encoding import BinaryContent, EncodingFailure
from akhbar.ingest.presets import SAMPLE_RECORDS, sample_mapping
from akhbar.ingest.readers.base import Bad, Batch, Blob, Context, Good, too_large

_SAMPLE_LINES = 10_000  # lines looked at for the sample (a file of invalid lines ends it)


def read_jsonl(blob: Blob, ctx: Context) -> Iterator[Good | Bad | Batch]:
    """JSON Lines: ``raw_record`` is the 0-based line number; blank lines are skipped,
    a bad line is one rejected record and the other lines are kept."""
    if blob.data is None:
        yield from _stream_jsonl(blob, ctx)
        return
    try:
        decoded = ctx.decode(blob)
    except EncodingFailure:
        decoded = None
    except BinaryContent:
        if b"\x00" in blob.data:
            raise  # real binary data: one rejected record for the file
        decoded = None  # e.g. a first line that happens to start with a UTF-16 BOM
    if decoded is not None and not decoded.damaged:
        lines: list[str | bytes] = list(decoded.text.split("\n"))
        encoding = decoded.encoding
    else:
        # A line is a record: decide line by line (UTF-8, or a legacy Arabic code page
        # that really yields Arabic), so a line with invalid bytes is one rejected record
        # and the other lines are kept. Lone CR ends a line too (JSON has no raw CR).
        data = blob.data[3:] if blob.data.startswith(b"\xef\xbb\xbf") else blob.data
        lines = [_line(raw, ctx) for raw in _EOL.split(data)]
        encoding = "utf-8"
    if blob.truncated is None:
        yield from _jsonl_lines(lines, lines, encoding, ctx)
        return
    # a cut stream: its last line is cut (or, cut at a line end, the lines after it are
    # lost); every line before it is whole
    for item in _jsonl_lines(lines[:-1], lines[:-1], encoding, ctx):
        # no whole line before the cut is not an empty file: the cut line is its record
        if not (isinstance(item, Bad) and item.reason == "empty-file"):
            yield item
    last = lines[-1]
    yield Bad(len(lines) - 1, "truncated", f"line {len(lines)}: {blob.truncated}",
              last[:ctx.excerpt_bytes], getattr(last, "encoding", encoding))


_EOL = re.compile(rb"\r\n|\r|\n")


class _Legacy(str):
    """A line decoded from a legacy code page, which it names (``encoding``)."""

    encoding: str


def _line(raw: bytes, ctx: Context) -> str | bytes:
    """A line as text (UTF-8, or a legacy Arabic code page that yields Arabic:
    :class:`_Legacy`); ``bytes`` when it is not text in any encoding we may decide."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        decoded = ctx.decode_record(raw)
    except (EncodingFailure, BinaryContent):
        return raw
    line = _Legacy(decoded.text)
    line.encoding = decoded.encoding
    return line


class _TooLong:
    """A line longer than ``max_record_bytes`` met while streaming (not kept in memory)."""

    def __init__(self, size: int, head: bytes) -> None:
        self.size, self.head = size, head

    def strip(self) -> _TooLong:  # so that it passes through `line.strip()` like a line
        return self


def _read_lines(blob: Blob, ctx: Context) -> Iterator[str | bytes | _TooLong]:
    """Lines of a file on disk, one at a time; a BOM-less or UTF-8-BOM UTF-8 stream
    (``units`` only streams such files)."""
    limit = ctx.max_record_bytes
    with blob.open() as fh:
        first = True
        while line := fh.readline(limit + 1):
            if first and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            first = False
            if len(line) > limit and not line.endswith(b"\n"):
                size, head = len(line), line[:ctx.excerpt_bytes]
                while (more := fh.readline(1 << 20)) and not more.endswith(b"\n"):
                    size += len(more)
                yield _TooLong(size + len(more.rstrip(b"\r\n")), head)
                continue
            line = line.removesuffix(b"\n").removesuffix(b"\r")
            # lone CR ends a line too (as in the in-memory path)
            yield from (_line(part, ctx) for part in line.split(b"\r"))


def _stream_jsonl(blob: Blob, ctx: Context) -> Iterator[Good | Bad | Batch]:
    """A JSON Lines file too large to read whole: two passes over the file (the first
    hundred lines for the mapping, then every line), memory bounded by one line."""
    yield from _jsonl_lines(_read_lines(blob, ctx), _read_lines(blob, ctx), "utf-8", ctx)


def read_jsonl_text(text: str, encoding: str, damaged: bool,
                    ctx: Context) -> Iterator[Good | Bad | Batch]:
    """JSON Lines from decoded text (``damaged``: U+FFFD replacements were made)."""
    lines = text.split("\n")
    for item in _jsonl_lines(lines, lines, encoding, ctx):
        if isinstance(item, Good):
            item.damaged = damaged
        yield item


def _jsonl_lines(lines: Iterable[str | bytes | _TooLong],
                 head: Iterable[str | bytes | _TooLong], encoding: str,
                 ctx: Context
                 ) -> Iterator[Good | Bad | Batch]:
    """Records of JSON Lines in line order (``bytes`` = a line that is not valid text);
    the mapping is resolved on the first valid records of ``head`` (parsed twice:
    cheap, and it keeps file order)."""
    sample: list[Any] = []
    for i, line in enumerate(head):
        if len(sample) >= SAMPLE_RECORDS or i >= _SAMPLE_LINES:
            break
        if isinstance(line, str) and line.strip() and len(line) <= ctx.max_record_bytes // 4:
            try:
                sample.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                continue
    if isinstance(head, Generator):
        head.close()  # a streamed file's first pass
    mapping = sample_mapping(sample, ctx.preset, ctx.fields)
    seen_any = False
    for number, line in enumerate(lines):
        line_encoding = getattr(line, "encoding", encoding)  # a _Legacy line names its own
        line = line.strip()
        if not line:
            continue
        seen_any = True
        if isinstance(line, _TooLong):
            yield Bad(number, "too-large", f"line of {line.size} bytes exceeds "
                      f"max_record_bytes={ctx.max_record_bytes}", line.head, encoding)
            continue
        if isinstance(line, bytes):
            # a line cut mid-character is first of all cut: report the JSON error if any
            try:
                orjson.loads(line.decode("utf-8", "replace"))
            except orjson.JSONDecodeError as exc:
                why, detail = "invalid-json", f"line {number + 1}: {exc}"
            else:
                why, detail = "encoding", f"line {number + 1}: invalid UTF-8"
            yield Bad(number, why, detail, line[:ctx.excerpt_bytes], encoding)
            continue
        if len(line) * 4 > ctx.max_record_bytes and \
                (msg := too_large(len(line.encode("utf-8")), ctx, "line")) is not None:
            yield Bad(number, "too-large", msg, line[:ctx.excerpt_bytes], encoding)
            continue
        try:
            value: Any = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield Bad(number, "invalid-json", f"line {number + 1}: {exc}",
                      line[:ctx.excerpt_bytes], encoding)
            continue
        if not isinstance(value, dict):
            yield Bad(number, "invalid-record", f"line {number + 1}: a "
                      f"{type(value).__name__}, not an object", line[:ctx.excerpt_bytes],
                      encoding)
            continue
        try:
            fields = mapping.extract(value)
        except (orjson.JSONEncodeError, RecursionError):  # orjson writes 255 levels at most
            yield Bad(number, "invalid-record", f"line {number + 1}: a field nested too deep "
                      "to write", line[:ctx.excerpt_bytes], encoding)
            continue
        yield Good(number, line_encoding, fields)
    if not seen_any:
        yield Bad(0, "empty-file", "no JSON lines", "", encoding)
