"""JSON arrays and objects, mapped to RAW columns by :mod:`presets`.

Fast path: orjson parses the whole file (memory bounded by one file). When that fails,
the stdlib decoder's ``raw_decode`` walks the array element by element, so a truncated
or partly invalid array keeps every record before the damage (orjson has no
incremental API; the stdlib scanner is the well-kept tool for that).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import orjson

from akhbar.ingest.presets import Mapping_, sample_mapping
from akhbar.ingest.readers.base import Bad, Batch, Blob, Context, Good, too_large
from akhbar.ingest.readers.jsonl import read_jsonl_text

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
        yield Batch(list(range(start, start + len(records))), encoding,
                    mapping.columns(records))
        return
    for i, rec in enumerate(records, start):
        if not isinstance(rec, dict):
            yield Bad(i, "invalid-record", f"a {type(rec).__name__}, not an object",
                      orjson.dumps(rec, default=str)[:ctx.excerpt_bytes], encoding)
            continue
        if check_size:
            size = len(orjson.dumps(rec, default=str))
            if (msg := too_large(size, ctx)) is not None:
                yield Bad(i, "too-large", msg, orjson.dumps(rec, default=str)[:ctx.excerpt_bytes],
                          encoding)
                continue
        yield Good(i, encoding, mapping.extract(rec), damaged)


def read_json(blob: Blob, ctx: Context) -> Iterator[Good | Bad | Batch]:
    """A JSON document: an array of records, ``{"articles": [...]}`` or one object.
    Falls back to JSON Lines when the text is one object per line."""
    check = blob.size > ctx.max_record_bytes
    assert blob.data is not None
    if not blob.data.startswith(_BOM_PREFIXES):
        # Fast path: orjson validates UTF-8 strictly while parsing the bytes, which is
        # the same decision as `encoding.decode`'s strict UTF-8 step, at no extra cost.
        try:
            value = orjson.loads(blob.data)
        except orjson.JSONDecodeError:
            pass
        else:
            yield from _emit_value(value, "utf-8", ctx, check, blob.data)
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
        if stripped.startswith("["):
            yield from _salvage_array(text, decoded.encoding, decoded.damaged, ctx, check)
            return
        yield Bad(0, "invalid-json", str(exc), text[:ctx.excerpt_bytes], decoded.encoding)
        return
    yield from _emit_value(value, decoded.encoding, ctx, check, text, decoded.damaged)


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


def _salvage_array(text: str, encoding: str, damaged: bool, ctx: Context,
                   check: bool) -> Iterator[Good | Bad | Batch]:
    """Walk a damaged array element by element; the first bad element is rejected and
    ends the file (after a syntax error there is no reliable way to resynchronise)."""
    decoder = json.JSONDecoder()
    pos = len(text) - len(text.lstrip(_WS)) + 1  # after "["
    parsed: list[Any] = []
    error: tuple[str, int] | None = None
    while True:
        while pos < len(text) and text[pos] in _WS:
            pos += 1
        if pos < len(text) and text[pos] == "]":
            break
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            error = (exc.msg, pos)
            break
        parsed.append(value)
        pos = end
        while pos < len(text) and text[pos] in _WS:
            pos += 1
        if pos < len(text) and text[pos] == ",":
            pos += 1
        elif pos < len(text) and text[pos] == "]":
            break
        else:
            error = ("expected ',' or ']' after an element", pos)
            break
    mapping = _mapping(parsed, ctx)
    yield from _emit(parsed, mapping, encoding, damaged, ctx, check)
    index = len(parsed)
    if error is not None:
        msg, at = error
        yield Bad(index, "invalid-json", f"element {index} at char {at}: {msg}",
                  text[at:at + ctx.excerpt_bytes], encoding)
