"""Buffered, bounded writing of good rows (RAW_SCHEMA parts) and rejected rows.

Good rows are kept as column lists and turned into one table per batch (much faster
than a list of row dicts), or arrive as polars frames already (the columnar JSON path,
:mod:`.readers.jsoncolumns`), queued in order with the lists; Parquet encoding and
compression of a batch run in a single background thread while the next batch is read
(pyarrow releases the GIL). One writer thread and waiting for the previous batch keep
order and memory bounded.

Why polars builds the batch from the Python lists, not ``pa.Table.from_pydict``: pyarrow's
conversion of Python sequences asks whether they are pandas objects, which imports pandas
(about a CPU second, paid by every build although no stage of the main process needs
it), and polars' Rust conversion is also faster; ``schema.conform`` then casts to the
contract's types, so the Parquet bytes are the same.
"""

from __future__ import annotations

import codecs
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import polars as pl

from akhbar import io
from akhbar.config import Ingest
from akhbar.ids import record_id
from akhbar.ingest.labels import escape
from akhbar.ingest.readers.base import Bad, Batch, Blob, Context, Good
from akhbar.schema import RAW_SCHEMA, REJECTED_SCHEMA, polars_schema

STAGE = "ingest"
TEXT_FIELDS = ("url", "source", "title", "author", "published_raw", "crawled_raw", "category",
               "body")
FIELD_COLUMNS = (*TEXT_FIELDS, "tags")
_RAW_POLARS = polars_schema(RAW_SCHEMA)
_REJECTED_POLARS = polars_schema(REJECTED_SCHEMA)


def excerpt_text(data: bytes | str, n: int, encoding: str | None) -> str:
    """The first ``n`` bytes of a raw record, decoded with ``errors="replace"``."""
    if isinstance(data, str):
        data, encoding = data.encode("utf-8"), "utf-8"
    try:
        codecs.lookup(encoding or "utf-8")
    except LookupError:
        encoding = "utf-8"
    return data[:n].decode(encoding or "utf-8", "replace")


class Writer:
    """Collects rows and writes them in batches of ``batch_size`` rows (or
    ``batch_bytes`` of body text)."""

    def __init__(self, out: Path, rejected: Path, cfg: Ingest, ctx: Context) -> None:
        self.sink = io.ParquetSink(out, RAW_SCHEMA, rows_per_file=cfg.rows_per_file)
        self.rejected_sink = io.ParquetSink(rejected, REJECTED_SCHEMA)
        self.batch_size = cfg.batch_size
        self.batch_bytes = cfg.batch_bytes
        self.ctx = ctx
        self.columns: dict[str, list[Any]] = {name: [] for name in RAW_SCHEMA.names}
        self.n_rows = 0  # rows held in ``columns``
        self.frames: list[pl.DataFrame] = []  # rows held as frames, before those lists
        self.frame_rows = 0
        self.pending_bytes = 0
        self.bad_rows: list[dict[str, Any]] = []
        self.rows_out = 0
        self.rows_bad = 0
        self.formats: Counter[str] = Counter()
        self.encodings: Counter[str] = Counter()
        self.reasons: Counter[str] = Counter()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-writer")
        self._pending: Future[None] | None = None

    def good(self, blob: Blob, raw_format: str, item: Good) -> None:
        fields = item.fields
        if item.damaged and any("\ufffd" in (fields.get(k) or "") for k in TEXT_FIELDS):
            text = fields.get("body") or fields.get("title") or ""
            self.bad(blob.label, blob.sha256, raw_format, Bad(
                item.raw_record, "encoding", "undecodable bytes (replaced by U+FFFD) in "
                "this record", text, item.encoding, fields.get("url")))
            return
        self._append(blob, raw_format, item.encoding, [item.raw_record],
                     {name: [fields.get(name)] for name in FIELD_COLUMNS})

    def batch(self, blob: Blob, raw_format: str, batch: Batch) -> None:
        if batch.frame is not None:
            self._append_frame(blob, raw_format, batch.encoding, batch.raw_records,
                               batch.frame)
            return
        self._append(blob, raw_format, batch.encoding, batch.raw_records, batch.columns)

    def _append_frame(self, blob: Blob, raw_format: str, encoding: str | None,
                      records: list[int], frame: pl.DataFrame) -> None:
        """A batch held as a polars frame: queued after the rows gathered so far, in
        order; the bytes written depend only on the rows (``io.ParquetSink``)."""
        n = frame.height
        self._lists_to_frame()
        given = {
            "raw_file": pl.lit(blob.label), "raw_sha256": pl.lit(blob.sha256),
            "raw_record": pl.Series(records), "raw_encoding": pl.lit(encoding),
            "raw_format": pl.lit(raw_format), **{c: pl.col(c) for c in frame.columns}}
        self.frames.append(frame.select(  # the contract's order and types
            (given[name] if name in given else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in _RAW_POLARS.items()))
        self.frame_rows += n
        self.rows_out += n
        body = frame.get_column("body") if "body" in frame.columns else None
        self.pending_bytes += int(body.str.len_chars().sum() or 0) if body is not None else 0
        self.formats[raw_format] += n
        self.encodings[encoding or "unknown"] += n
        if self.frame_rows >= self.batch_size or self.pending_bytes >= self.batch_bytes:
            self.flush()

    def _lists_to_frame(self) -> None:
        """The rows gathered as lists so far, as one frame queued in ``frames``."""
        if self.n_rows:
            self.frames.append(pl.DataFrame(self.columns, schema=_RAW_POLARS))
            self.frame_rows += self.n_rows
            self.columns = {name: [] for name in RAW_SCHEMA.names}
            self.n_rows = 0

    def _append(self, blob: Blob, raw_format: str, encoding: str | None, records: list[int],
                columns: dict[str, list[Any]]) -> None:
        n = len(records)
        cols = self.columns
        cols["raw_file"].extend([blob.label] * n)
        cols["raw_record"].extend(records)
        cols["raw_sha256"].extend([blob.sha256] * n)
        cols["raw_encoding"].extend([encoding] * n)
        cols["raw_format"].extend([raw_format] * n)
        for name in FIELD_COLUMNS:
            cols[name].extend(columns[name] if name in columns else [None] * n)
        self.n_rows += n
        self.rows_out += n
        self.pending_bytes += sum(len(b) for b in columns["body"] if b)
        self.formats[raw_format] += n
        self.encodings[encoding or "unknown"] += n
        if self.n_rows + self.frame_rows >= self.batch_size \
                or self.pending_bytes >= self.batch_bytes:
            self.flush()

    def bad(self, label: str, sha: str | None, raw_format: str | None, item: Bad) -> None:
        # labels are escaped where they are made; the detail may quote an OS error that
        # names the path with its undecodable bytes, which Arrow cannot write
        label = escape(label)
        reason = f"{STAGE}:{item.reason}"
        self.bad_rows.append({
            "id": record_id(label, item.raw_record), "url": item.url,
            "raw_file": label, "raw_record": item.raw_record, "raw_sha256": sha,
            "raw_encoding": item.encoding, "raw_format": item.raw_format or raw_format,
            "stage": STAGE, "reason": reason, "reasons": [reason],
            "detail": escape(f"{label}#{item.raw_record}: {reason}: {item.detail}"),
            "raw_excerpt": excerpt_text(item.excerpt, self.ctx.excerpt_bytes, item.encoding),
        })
        self.rows_bad += 1
        self.reasons[reason] += 1
        if len(self.bad_rows) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        self._lists_to_frame()
        if self.frames:
            table = pl.concat(self.frames, how="vertical", rechunk=False)
            self.frames, self.frame_rows, self.pending_bytes = [], 0, 0
            self._wait()
            self._pending = self._pool.submit(self.sink.write, table)
        if self.bad_rows:
            self._wait()
            self.rejected_sink.write(pl.DataFrame(self.bad_rows, schema=_REJECTED_POLARS))
            self.bad_rows = []

    def _wait(self) -> None:
        if self._pending is not None:
            self._pending.result()
            self._pending = None

    def close(self) -> None:
        try:
            self.flush()
            self._wait()
        finally:
            self._pool.shutdown(wait=True)
            self.sink.close()
            self.rejected_sink.close()
