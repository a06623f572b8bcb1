"""ingest property: for any mix of good and bad inputs, every raw record is a row of the
output or of rejected — never both, never neither (counted by (raw_file, raw_record)).

Generators cover odd file names (undecodable bytes, Arabic, spaces), CR and CRLF line
ends, deep nesting, cut streams (JSON arrays, gzipped JSON Lines), arrays mixing UTF-8 and
windows-1256 records, and header-less CSV."""

from __future__ import annotations

import gzip
import os
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from akhbar.ingest.labels import escape
from test_ingest_support import ingest, keys

ALPHABET = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي ،.0123456789abc\"'\\\n,;\t"
JUNK = b"\x00\x01\x02\x03" * 20 + bytes(range(256))
text = st.text(alphabet=ALPHABET, max_size=30)

jsonl_spec = st.tuples(st.just("jsonl"), st.tuples(st.lists(st.tuples(
    st.sampled_from(["good", "truncated", "scalar", "blank", "junk"]), text), max_size=6),
    st.sampled_from(["\n", "\r\n", "\r"])))
deep_spec = st.tuples(st.just("deep"), st.lists(st.tuples(
    st.sampled_from(["good", "deep"]), st.integers(min_value=1, max_value=3000)),
    min_size=1, max_size=4))
cut_spec = st.tuples(st.just("cut"), st.tuples(st.lists(text, min_size=1, max_size=5),
                                               st.floats(min_value=0, max_value=0.999)))
mixed_spec = st.tuples(st.just("mixed"), st.lists(st.tuples(
    st.sampled_from(["utf-8", "cp1256"]), text), min_size=1, max_size=5))
words = st.text(alphabet="ابتثجحخدذرزسشصضطظعغفقكلمنهوي 0123456789", max_size=20)
nohead_spec = st.tuples(st.just("nohead"), st.lists(st.tuples(
    st.sampled_from(["good", "ragged", "blank"]), words), max_size=4))
gz_spec = st.tuples(st.just("gz"), st.tuples(st.lists(text, min_size=1, max_size=8),
                                             st.floats(min_value=0, max_value=0.999)))
txt_spec = st.tuples(st.just("txt"), st.tuples(st.sampled_from(["good", "empty", "binary"]),
                                               text))
json_spec = st.tuples(st.just("json"), st.one_of(
    st.just("invalid"), st.lists(st.tuples(st.sampled_from(["good", "scalar"]), text),
                                 max_size=5)))
csv_spec = st.tuples(st.just("csv"), st.lists(st.tuples(
    st.sampled_from(["good", "ragged", "blank"]), text), max_size=5))
file_spec = st.one_of(jsonl_spec, txt_spec, json_spec, csv_spec, deep_spec, cut_spec,
                      mixed_spec, nohead_spec, gz_spec)
#: name prefixes: plain, Arabic, spaces, and an undecodable (latin-1) byte
names = st.sampled_from(["", "خبر ", "a b ", os.fsdecode(b"caf\xe9 "), "\\x "])
_LONG = "خبر طويل من عدة كلمات هنا "  # > 4 words: the first row reads as data


def _cut_json(bodies: list[str], at: float) -> tuple[bytes, list[int]]:
    """An array of objects cut at a fraction of its length: the whole elements before
    the cut are records, and so is the cut one (or the lost rest after a whole one)."""
    parts = [orjson.dumps({"text": b}) for b in bodies]
    data = b"[" + b",".join(parts) + b"]"
    cut = int(len(data) * at)
    if cut == 0:
        return b"", [0]
    whole, end = 0, 1
    for part in parts:
        end += len(part)
        if end > cut:
            break
        whole += 1
        end += 1  # the comma
    return data[:cut], list(range(whole + 1))


def _cut_gz(bodies: list[str], at: float) -> tuple[bytes, list[int] | None]:
    """Gzipped JSON Lines cut at a fraction of the compressed size; ``None`` when nothing
    decompresses (the archive itself is one unreadable record). An empty file is an
    empty member (record 0)."""
    lines = b"".join(orjson.dumps({"text": b}) + b"\n" for b in bodies)
    packed = gzip.compress(lines)
    cut = packed[: int(len(packed) * at)]
    if not cut:
        return cut, [0]
    prefix = zlib.decompressobj(wbits=31).decompress(cut)
    if not prefix:
        return cut, None
    return cut, list(range(prefix.count(b"\n") + 1))


def build(kind: str, spec: Any) -> tuple[bytes, list[int]]:
    """The file's bytes and the raw_record indexes it holds (our own model of them).
    Junk lines start with invalid UTF-8 that is not a byte-order mark: a file starting
    with FF FE *is* valid UTF-16 with other line breaks, so its records are ambiguous."""
    if kind == "txt":
        what, body = spec
        data = {"good": ("خبر " + body).encode(), "empty": b"", "binary": JUNK}[what]
        return data, [0]
    if kind == "json":
        if spec == "invalid":
            return b'[{"text": "', [0]
        elems = [{"text": body, "title": body[:5]} if what == "good" else len(body)
                 for what, body in spec]
        return orjson.dumps(elems), list(range(len(elems))) or [0]
    if kind == "deep":
        elems = [orjson.dumps({"text": "خبر"}) if what == "good" else b"[" * n + b"]" * n
                 for what, n in spec]
        return b"[" + b",".join(elems) + b"]", list(range(len(elems)))
    if kind == "cut":
        return _cut_json(*spec)
    if kind == "mixed":
        elems = [orjson.dumps({"text": body}).decode().encode(codec) for codec, body in spec]
        return b"[\n" + b",\n".join(elems) + b"\n]", list(range(len(elems)))
    if kind == "nohead":
        rows, records = [f"عنوان,{_LONG}"], [0]
        for what, body in spec:
            if what == "blank":
                rows.append("")
                continue
            records.append(len(records))
            rows.append(f"عنوان,{_LONG}{body}" if what == "good" else f"{body},x,y")
        return "\n".join(rows).encode() + b"\n", records
    if kind == "jsonl":
        spec, eol = spec
        lines, records = [], []
        for number, (what, body) in enumerate(spec):
            line = {"good": orjson.dumps({"text": body}),
                    "truncated": orjson.dumps({"text": body})[:-2],
                    "scalar": orjson.dumps(len(body)), "blank": b"  ",
                    "junk": b"\x80\xfe" + body.replace("\n", " ").encode()}[what]
            lines.append(line)
            if what != "blank":
                records.append(number)
        return eol.encode().join(lines), records or [0]
    rows, records = ["title,text"], []
    for what, body in spec:
        cell = '"' + body.replace('"', '""') + '"'
        if what == "blank":
            rows.append("")
            continue
        records.append(len(records))
        rows.append(f"عنوان,{cell}" if what == "good" else f"{cell},x,y")
    return "\n".join(rows).encode() + b"\n", records or [0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(file_spec, names), min_size=1, max_size=6),
       st.integers(min_value=0, max_value=6), st.booleans())
def test_every_raw_record_is_kept_or_rejected_exactly_once(specs: list[Any], zipped: int,
                                                           stream: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        raw = root / "raw"
        raw.mkdir()
        expected: set[tuple[str, int]] = set()
        pack = zipfile.ZipFile(raw / "pack.zip", "w") if zipped else None
        for i, ((kind, spec), prefix) in enumerate(specs):
            if kind == "gz":
                data, lines = _cut_gz(*spec)
                name = f"{prefix}f{i}.jsonl.gz"
                with open(os.path.join(os.fsencode(raw), os.fsencode(name)), "wb") as fh:
                    fh.write(data)
                label = escape(f"raw/{name}")
                if lines is None:
                    expected.add((label, 0))
                else:
                    expected.update((f"{label}/{escape(name)[:-3]}", r) for r in lines)
                continue
            data, records = build(kind, spec)
            suffix = {"deep": "json", "cut": "json", "mixed": "json", "nohead": "csv"}
            name = f"{prefix}f{i}.{suffix.get(kind, kind)}"
            if pack is not None and i < zipped:
                # zip names are text, and a backslash is a Windows folder separator there
                name = name.replace(os.fsdecode(b"\xe9"), "e").replace("\\", "_")
                pack.writestr(name, data)
                label = f"raw/pack.zip/{name}"
            else:
                with open(os.path.join(os.fsencode(raw), os.fsencode(name)), "wb") as fh:
                    fh.write(data)
                label = escape(f"raw/{name}")
            expected.update((label, r) for r in records)
        if pack is not None:
            pack.close()
            if not pack.namelist():
                expected.add(("raw/pack.zip", 0))  # an archive without members
        # stream=True: JSON Lines on disk are streamed line by line instead of read whole
        report, good, bad = ingest(root, raw, batch_size=3, stream_bytes=0 if stream else 1 << 30)
        good_keys, bad_keys = keys(good), keys(bad)
        assert len(set(good_keys)) == len(good_keys)  # never twice in the output
        assert len(set(bad_keys)) == len(bad_keys)  # never twice in rejected
        assert not set(good_keys) & set(bad_keys)  # never both
        assert set(good_keys) | set(bad_keys) == expected  # never neither
        assert report.rows_in == len(expected)
        assert report.rows_out == good.height and sum(report.rejected.values()) == bad.height
