"""ingest property: for any mix of good and bad inputs, every raw record is a row of the
output or of rejected — never both, never neither (counted by (raw_file, raw_record))."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test_ingest_support import ingest, keys

ALPHABET = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي ،.0123456789abc\"'\\\n,;\t"
JUNK = b"\x00\x01\x02\x03" * 20 + bytes(range(256))
text = st.text(alphabet=ALPHABET, max_size=30)

jsonl_spec = st.tuples(st.just("jsonl"), st.lists(st.tuples(
    st.sampled_from(["good", "truncated", "scalar", "blank", "junk"]), text), max_size=6))
txt_spec = st.tuples(st.just("txt"), st.tuples(st.sampled_from(["good", "empty", "binary"]),
                                               text))
json_spec = st.tuples(st.just("json"), st.one_of(
    st.just("invalid"), st.lists(st.tuples(st.sampled_from(["good", "scalar"]), text),
                                 max_size=5)))
csv_spec = st.tuples(st.just("csv"), st.lists(st.tuples(
    st.sampled_from(["good", "ragged", "blank"]), text), max_size=5))
file_spec = st.one_of(jsonl_spec, txt_spec, json_spec, csv_spec)


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
    if kind == "jsonl":
        lines, records = [], []
        for number, (what, body) in enumerate(spec):
            line = {"good": orjson.dumps({"text": body}),
                    "truncated": orjson.dumps({"text": body})[:-2],
                    "scalar": orjson.dumps(len(body)), "blank": b"  ",
                    "junk": b"\x80\xfe" + body.replace("\n", " ").encode()}[what]
            lines.append(line)
            if what != "blank":
                records.append(number)
        return b"\n".join(lines), records or [0]
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
@given(st.lists(file_spec, min_size=1, max_size=6), st.integers(min_value=0, max_value=6),
       st.booleans())
def test_every_raw_record_is_kept_or_rejected_exactly_once(specs: list[Any], zipped: int,
                                                           stream: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        raw = root / "raw"
        raw.mkdir()
        expected: set[tuple[str, int]] = set()
        pack = zipfile.ZipFile(raw / "pack.zip", "w") if zipped else None
        for i, (kind, spec) in enumerate(specs):
            data, records = build(kind, spec)
            name = f"f{i}.{kind}"
            if pack is not None and i < zipped:
                pack.writestr(name, data)
                label = f"raw/pack.zip/{name}"
            else:
                (raw / name).write_bytes(data)
                label = f"raw/{name}"
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
