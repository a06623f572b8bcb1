"""JSON arrays and objects, mapped to RAW columns by :mod:`presets`.

Fastest path: an array of string-valued records goes straight to Arrow columns
(:mod:`.jsoncolumns`, which declines whatever it cannot vouch for). Fast path: orjson
parses the whole file (memory bounded by one file). When that fails,
the array is cut into its elements on bytes (:mod:`.jsonsplit`) and every element is
decoded and parsed on its own, so each record is a row: a damaged, too deep or
differently encoded element is one rejected record with its position, the others are
kept, and a cut end rejects only what it cut.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson

from akhbar.ingest.encoding import (
    BinaryContent,
    EncodingFailure,
    decode,
    label,
    utf16_pattern,
)
from akhbar.ingest.presets import Mapping_, sample_mapping
from akhbar.ingest.readers.base import Bad, Batch, Blob, Context, Good, too_large
from akhbar.ingest.readers.jsoncolumns import read_columns
from akhbar.ingest.readers.jsonl import read_jsonl_text
from akhbar.ingest.readers.jsonsplit import elements

#: Keys under which dumps wrap their list of records ({"articles": [...]}).
_CONTAINERS = ("articles", "data", "items", "records", "results", "docs", "documents", "rows")
_WS = " \t\r\n"
_BOM_PREFIXES = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def _mapping(records: list[Any], ctx: Context) -> Mapping_:
    return sample_mapping(records, ctx.preset, ctx.fields)


def _records(value: Any) -> list[Any]:
    """The list of records of a parsed JSON document."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        for key in _CONTAINERS:
            inner = value.get(key)
            if isinstance(inner, list) and inner and all(isinstance(r, dict) for r in inner):
                return inner
    return [value]


def _emit(records: list[Any], mapping: Mapping_, encoding: str, damaged: bool,
          ctx: Context, check_size: bool, start: int = 0) -> Iterator[Good | Bad | Batch]:
    if not records:
        return
    if not damaged and not check_size and all(type(r) is dict for r in records):
        try:
            columns = mapping.columns(records)
        except (orjson.JSONEncodeError, RecursionError):
            pass  # a field nested too deep to write: found record by record below
        else:
            yield Batch(list(range(start, start + len(records))), encoding, columns)
            return
    for i, rec in enumerate(records, start):
        if not isinstance(rec, dict):
            yield Bad(i, "invalid-record", f"a {type(rec).__name__}, not an object",
                      _dump(rec)[:ctx.excerpt_bytes], encoding)
            continue
        if check_size:
            dumped = _dump(rec)
            if (msg := too_large(len(dumped), ctx)) is not None:
                yield Bad(i, "too-large", msg, dumped[:ctx.excerpt_bytes], encoding)
                continue
        try:
            fields = mapping.extract(rec)
        except (orjson.JSONEncodeError, RecursionError):
            yield Bad(i, "invalid-record", "a field nested too deep to write",
                      _dump(rec)[:ctx.excerpt_bytes], encoding)
            continue
        yield Good(i, encoding, fields, damaged)


def _dump(value: Any) -> bytes:
    """``value`` as JSON for an excerpt or a size; orjson refuses to write values nested
    deeper than it reads (255 levels), which must not cost the file its other records."""
    try:
        return orjson.dumps(value, default=str)
    except (orjson.JSONEncodeError, RecursionError):
        return f"<a {type(value).__name__} nested too deep to write>".encode()


def read_json(blob: Blob, ctx: Context) -> Iterator[Good | Bad | Batch]:
    """A JSON document: an array of records, ``{"articles": [...]}`` or one object.
    Falls back to JSON Lines when the text is one object per line."""
    check = blob.size > ctx.max_record_bytes
    assert blob.data is not None
    data = blob.data
    if not data.startswith(_BOM_PREFIXES) and blob.truncated is None:
        # Fastest path: an array of string-valued records straight to Arrow columns
        if not check and (frame := read_columns(data, ctx.preset, ctx.fields)) is not None:
            yield Batch(list(range(frame.height)), "utf-8", {}, frame=frame)
            return
        # Fast path: orjson validates UTF-8 strictly while parsing the bytes, which is
        # the same decision as `encoding.decode`'s strict UTF-8 step, at no extra cost.
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
        else:
            yield from _emit_value(value, "utf-8", ctx, check, data)
            return
    encoding: str | None = None  # None: decided per element
    if data.startswith(_WIDE_BOMS) or utf16_pattern(data):
        decoded = ctx.decode(blob)  # UTF-16/32: the byte scanner needs ASCII structure
        data, encoding = decoded.text.encode("utf-8"), decoded.encoding
    else:
        data = data.removeprefix(b"\xef\xbb\xbf")
        if data.endswith(b"\x00"):  # NUL padding of old Windows tools
            data = data.rstrip(b"\x00")
            ctx.repairs["trailing-nul"] += 1
    array = _array_start(data)
    if array is not None:
        yield from _split_array(data, array, encoding, blob, ctx, check)
        return
    decoded = ctx.decode(blob)
    text = decoded.text
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        stripped = text.lstrip(_WS)
        if stripped.startswith("{") and _looks_like_lines(stripped):
            for item in read_jsonl_text(text, decoded.encoding, decoded.damaged, ctx):
                item.raw_format = "jsonl"
                yield item
            return
        yield Bad(0, "invalid-json", str(exc), text[:ctx.excerpt_bytes], decoded.encoding)
        return
    yield from _emit_value(value, decoded.encoding, ctx, check, text, decoded.damaged)


_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff")
_CONTAINER = re.compile(rb'\A[ \t\r\n]*\{[ \t\r\n]*"(?:' + b"|".join(
    k.encode() for k in _CONTAINERS) + rb')"[ \t\r\n]*:[ \t\r\n]*\[')


def _array_start(data: bytes) -> int | None:
    """Where the array of records opens: a top-level ``[``, or the ``[`` of a container
    key (``{"articles": [``) — ``None`` for anything else."""
    stripped = data.lstrip(b" \t\r\n")
    if stripped.startswith(b"["):
        return len(data) - len(stripped)
    match = _CONTAINER.match(data)
    return match.end() - 1 if match else None


def _emit_value(value: Any, encoding: str, ctx: Context, check: bool, raw: bytes | str,
                damaged: bool = False) -> Iterator[Good | Bad | Batch]:
    records = _records(value)
    if not records:
        yield Bad(0, "empty-file", "JSON document without records", raw[:ctx.excerpt_bytes],
                  encoding)
        return
    yield from _emit(records, _mapping(records, ctx), encoding, damaged, ctx, check)


def _looks_like_lines(text: str) -> bool:
    first = text.split("\n", 1)[0].strip()
    try:
        return isinstance(orjson.loads(first), dict)
    except orjson.JSONDecodeError:
        return False


def _file_codec(data: bytes, ctx: Context) -> str:
    """The whole file's encoding when it is one legacy code page (a French latin-1
    dump): records without Arabic cannot be decided on their own. ``""``: none."""
    try:
        decoded = decode(data, None, ctx.encoding)
    except (EncodingFailure, BinaryContent):
        return ""
    if decoded.damaged or "+" in decoded.encoding or decoded.encoding.startswith("utf"):
        return ""
    return decoded.encoding


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _split_array(data: bytes, open_at: int, encoding: str | None, blob: Blob, ctx: Context,
                 check: bool) -> Iterator[Good | Bad | Batch]:
    """Every element of the array on its own: decoded (UTF-8, else a legacy Arabic code
    page that yields Arabic), parsed, and kept or rejected with its position."""
    parsed: list[tuple[int, Any, str]] = []  # (index, record, its encoding)
    fallback: str | None = None  # the whole file's encoding, for records of no Arabic
    bad: list[Bad] = []
    index = -1
    for index, span in enumerate(elements(data, open_at)):
        raw = data[span.start:span.end]
        where = f"element {index} at byte {span.start}"
        if span.error is not None:
            why = "truncated" if blob.truncated is not None else "invalid-json"
            bad.append(Bad(index, why, f"{where}: {blob.truncated or span.error}",
                           raw[:ctx.excerpt_bytes], encoding))
            continue
        if not raw:
            bad.append(Bad(index, "invalid-json", f"{where}: empty element", b"", encoding))
            continue
        enc = encoding or "utf-8"
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            try:
                decoded = ctx.decode_record(raw)
                raw, enc = decoded.text.encode("utf-8"), label(decoded.encoding)
            except (EncodingFailure, BinaryContent) as exc:
                if fallback is None:
                    fallback = _file_codec(data, ctx)
                text = _strict(raw, fallback) if fallback else None
                if text is None:
                    bad.append(Bad(index, "encoding", f"{where}: {exc}",
                                   raw[:ctx.excerpt_bytes]))
                    continue
                raw, enc = text.encode("utf-8"), label(fallback)
        try:
            parsed.append((index, orjson.loads(raw), enc))
        except orjson.JSONDecodeError as exc:
            bad.append(Bad(index, "invalid-json", f"{where}: {exc}", raw[:ctx.excerpt_bytes],
                           enc))
    if index < 0:
        yield Bad(0, "empty-file", "JSON array without records", data[:ctx.excerpt_bytes],
                  encoding)
        return
    mapping = _mapping([rec for _, rec, _ in parsed], ctx)
    goods = iter(parsed)
    bads = iter(bad)
    pending_good, pending_bad = next(goods, None), next(bads, None)
    while pending_good is not None or pending_bad is not None:  # file order
        if pending_bad is None or (pending_good is not None
                                   and pending_good[0] < pending_bad.raw_record):
            assert pending_good is not None
            i, rec, enc = pending_good
            yield from _emit([rec], mapping, enc, False, ctx, check, start=i)
            pending_good = next(goods, None)
        else:
            yield pending_bad
            pending_bad = next(bads, None)
