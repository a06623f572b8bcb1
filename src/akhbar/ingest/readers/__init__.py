"""One reader per raw format; :data:`READERS` maps a format name to its reader."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from akhbar.ingest.readers import aggregator, csvfile, html, jsonfile, jsonl, trec, warc
from akhbar.ingest.readers.base import Bad, Batch, Blob, Context, Good

Reader = Callable[[Blob, Context], Iterator[Good | Bad | Batch]]

#: format name → (reader, raw_format written to RAW_SCHEMA)
READERS: dict[str, tuple[Reader, str]] = {
    "aggregator": (aggregator.read, "aggregator"),
    "json": (jsonfile.read_json, "json"),
    "jsonl": (jsonl.read_jsonl, "jsonl"),
    "csv": (csvfile.read, "csv"),
    "tsv": (partial(csvfile.read, tsv=True), "csv"),
    "html": (html.read, "html"),
    "warc": (warc.read, "warc"),
    "trec": (trec.read, "trec"),
}

__all__ = ["READERS", "Bad", "Batch", "Blob", "Context", "Good", "Reader"]
