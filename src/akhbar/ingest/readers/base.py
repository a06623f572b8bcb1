"""What every reader shares: its input (a :class:`Blob`), its outputs (:class:`Good`
records and :class:`Bad` records) and the per-run settings (:class:`Context`).

Readers are generators, so a file's records flow to the writer as they are read and
memory stays bounded by one file (or one WARC record).
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

from akhbar.ingest.encoding import (
    Decoded,
    EncodingParams,
    decode,
    decode_record,
    default_params,
)


@dataclass(slots=True)
class Blob:
    """One raw file or archive member: its ``raw_file`` label and its bytes (in memory,
    or on disk for formats read as a stream)."""

    label: str
    sha256: str | None
    size: int
    data: bytes | None = None
    path: Path | None = None
    #: the content is the start of a cut stream (a truncated ``.gz``): what was lost
    truncated: str | None = None

    def open(self) -> IO[bytes]:
        """A binary stream over the content."""
        if self.data is not None:
            return io.BytesIO(self.data)
        assert self.path is not None
        return open(self.path, "rb")  # the caller closes it

    def head(self, n: int = 4096) -> bytes:
        """The first ``n`` bytes (for sniffing)."""
        if self.data is not None:
            return self.data[:n]
        with self.open() as fh:
            return fh.read(n)


@dataclass(slots=True)
class Good:
    """A record read successfully: RAW_SCHEMA columns besides provenance."""

    raw_record: int
    encoding: str | None
    fields: dict[str, Any]
    damaged: bool = False  # the file needed U+FFFD replacements when decoded
    raw_format: str | None = None  # set when it differs from the file's (json → jsonl)


@dataclass(slots=True)
class Batch:
    """Many good records of one file as columns (the fast path of record dumps: no
    per-record objects between the parser and the Arrow arrays)."""

    raw_records: list[int]
    encoding: str | None
    columns: dict[str, list[Any]]
    raw_format: str | None = None
    #: the same columns as one polars frame instead (``columns`` then empty): the
    #: columnar JSON path (:mod:`.jsoncolumns`), whose strings never become Python objects
    frame: pl.DataFrame | None = None

    @property
    def raw_record(self) -> int:
        """The last record of the batch (for error positions)."""
        return self.raw_records[-1]


@dataclass(slots=True)
class Bad:
    """A record that could not be read; ``reason`` without the ``ingest:`` prefix."""

    raw_record: int
    reason: str
    detail: str
    excerpt: bytes | str = b""
    encoding: str | None = None
    url: str | None = None
    raw_format: str | None = None


@dataclass
class Context:
    """The ``ingest`` parameters a reader needs, and counters it may add to."""

    preset: str = "auto"
    fields: dict[str, Any] = field(default_factory=dict)
    max_record_bytes: int = 64 * 1024 * 1024
    excerpt_bytes: int = 200
    encoding: EncodingParams = field(default_factory=default_params)
    skipped: Counter[str] = field(default_factory=Counter)
    #: repairs made while decoding (``trailing-nul``, ``crlf``, ...), one count per file
    #: or record repaired; reported as ``stats.repairs``.
    repairs: Counter[str] = field(default_factory=Counter)

    def decode(self, blob: Blob, declared: str | None = None) -> Decoded:
        """Decode a whole in-memory blob (raises ``BinaryContent``/``EncodingFailure``)."""
        assert blob.data is not None
        return self.count(decode(blob.data, declared, self.encoding))

    def decode_record(self, data: bytes) -> Decoded:
        """Decode one record cut from a container on bytes (see
        :func:`akhbar.ingest.encoding.decode_record`)."""
        return self.count(decode_record(data, self.encoding))

    def count(self, decoded: Decoded) -> Decoded:
        """Count the repairs of one decoding; returns it unchanged."""
        self.repairs.update(decoded.repairs)
        return decoded


def too_large(size: int, ctx: Context, what: str = "record") -> str | None:
    """A detail message when ``size`` exceeds ``max_record_bytes``."""
    if size > ctx.max_record_bytes:
        return f"{what} of {size} bytes exceeds max_record_bytes={ctx.max_record_bytes}"
    return None
