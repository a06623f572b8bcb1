"""One reader per raw format; :data:`READERS` maps a format name to its reader."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from akhbar.config import Ingest
from akhbar.ingest.readers import csvfile, html, jsonfile, jsonl, plaintext, trec, warc
from akhbar.ingest.readers.base import Bad, Batch, Blob, Context, Good

Reader = Callable[[Blob, Context], Iterator[Good | Bad | Batch]]

#: format name → (reader, raw_format written to RAW_SCHEMA). ``text`` decides per file
#: between ``aggregator`` and ``plaintext`` (each can also be forced by ``ingest.formats``).
READERS: dict[str, tuple[Reader, str]] = {
    "text": (plaintext.read, "plaintext"),
    "aggregator": (partial(plaintext.read, kind="aggregator"), "aggregator"),
    "plaintext": (partial(plaintext.read, kind="plaintext"), "plaintext"),
    "json": (jsonfile.read_json, "json"),
    "jsonl": (jsonl.read_jsonl, "jsonl"),
    "csv": (csvfile.read, "csv"),
    "tsv": (partial(csvfile.read, tsv=True), "csv"),
    "html": (html.read, "html"),
    "warc": (warc.read, "warc"),
    "trec": (trec.read, "trec"),
}


def readers_for(cfg: Ingest) -> dict[str, tuple[Reader, str]]:
    """:data:`READERS` with the run's ``ingest.text`` conventions bound to the text
    readers."""
    text = cfg.text
    out = dict(READERS)
    for name in ("text", "aggregator", "plaintext"):
        kind = None if name == "text" else name
        out[name] = (partial(plaintext.read, params=text, kind=kind), READERS[name][1])
    return out


__all__ = ["READERS", "Bad", "Batch", "Blob", "Context", "Good", "Reader", "readers_for"]
