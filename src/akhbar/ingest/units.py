"""The producer side of ``ingest``: raw paths → a stream of :class:`Unit` (one file or
archive member with its bytes and sha256, or a rejection found before any reader runs).

All I/O, decompression and hashing happen here, so :func:`akhbar.ingest.run` can run
this generator in a prefetch thread while it parses.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import IO

from akhbar.config import Ingest
from akhbar.ingest.archives import Budget, Limits, members
from akhbar.ingest.discover import ARCHIVE_KINDS, detect_format, walk
from akhbar.ingest.readers.base import Blob

_HEAD = 4096
#: formats whose readers keep the whole records before the cut of a truncated stream
#: (and reject the cut one); a cut file of any other format is one rejected record.
RECORD_STREAMS = frozenset({"jsonl", "json", "csv", "tsv"})


@dataclass(frozen=True, slots=True)
class Unit:
    """A blob for a reader (``blob`` set) or a rejection (``reason`` set)."""

    label: str
    fmt: str | None
    blob: Blob | None = None
    sha256: str | None = None
    reason: str | None = None
    detail: str = ""
    excerpt: bytes = b""


class Producer:
    """Walks the inputs in deterministic order and yields units."""

    def __init__(self, cfg: Ingest) -> None:
        self.overrides: dict[str, str] = dict(cfg.formats)
        self.follow_symlinks = cfg.follow_symlinks
        self.limits: Limits = cfg.archive
        self.max_file_bytes = cfg.max_file_bytes
        self.stream_bytes = cfg.stream_bytes
        self.files: Counter[str] = Counter()
        self.bytes = 0
        self.skipped: dict[str, int] = {}

    def units(self, paths: list[Path]) -> Iterator[Unit]:
        for found in walk(paths, self.skipped, self.follow_symlinks):
            if found.error is not None:
                yield Unit(found.label, None, reason="unreadable", detail=found.error)
            else:
                yield from self._path(found.label, found.path)

    def _path(self, label: str, path: Path) -> Iterator[Unit]:
        try:
            st = os.stat(path)
            if not stat.S_ISREG(st.st_mode):
                yield Unit(label, None, reason="unreadable", detail="not a regular file")
                return
            with open(path, "rb") as fh:
                head = fh.read(_HEAD)
                fmt = detect_format(label, head, self.overrides)
                self.files[fmt or "unknown"] += 1
                if fmt not in ARCHIVE_KINDS:  # an archive counts its members' bytes
                    self.bytes += st.st_size
                if fmt in ARCHIVE_KINDS:
                    fh.seek(0)
                    yield from self._archive(fmt, label, fh, Budget(self.limits), 1)
                    return
                if fmt == "warc":  # streamed by its reader; hashed here in a first pass
                    fh.seek(0)
                    sha = hashlib.file_digest(fh, "sha256").hexdigest()
                    yield Unit(label, fmt, Blob(label, sha, st.st_size, path=path))
                    return
                if fmt == "jsonl" and st.st_size > self.stream_bytes \
                        and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
                    # big JSON Lines (UTF-8 by definition): streamed line by line
                    fh.seek(0)
                    sha = hashlib.file_digest(fh, "sha256").hexdigest()
                    yield Unit(label, fmt, Blob(label, sha, st.st_size, path=path))
                    return
                if st.st_size > self.max_file_bytes:
                    yield Unit(label, fmt, reason="too-large", excerpt=head,
                               detail=f"file of {st.st_size} bytes exceeds "
                                      f"max_file_bytes={self.max_file_bytes}")
                    return
                data = head + fh.read() if len(head) == _HEAD else head
        except OSError as exc:
            yield Unit(label, None, reason="unreadable",
                       detail=f"{type(exc).__name__}: {exc.strerror or exc}")
            return
        sha = hashlib.sha256(data).hexdigest()
        yield Unit(label, fmt, Blob(label, sha, len(data), data=data))

    def _archive(self, kind: str, label: str, stream: IO[bytes], budget: Budget,
                 depth: int) -> Iterator[Unit]:
        if depth > self.limits.max_depth:
            yield Unit(label, kind, reason="archive-bomb",
                       detail=f"archives nested deeper than max_depth={self.limits.max_depth}")
            return
        count = 0
        for member in members(kind, label, stream, budget):
            count += 1
            if member.error is not None:
                reason, detail = member.error
                if reason == "skipped":
                    self.skipped[detail] = self.skipped.get(detail, 0) + 1
                else:
                    yield Unit(member.label, None, reason=reason, detail=detail)
                continue
            data = member.data or b""
            fmt = detect_format(member.label, data[:_HEAD], self.overrides)
            self.files[fmt or "unknown"] += 1
            if fmt in ARCHIVE_KINDS and data:
                yield from self._archive(fmt, member.label, BytesIO(data), budget, depth + 1)
                continue
            self.bytes += len(data)
            sha = hashlib.sha256(data).hexdigest()
            if member.truncated is not None and fmt not in RECORD_STREAMS:
                # one record per file: its cut end cannot be told from a whole one
                yield Unit(member.label, fmt, sha256=sha, reason="truncated",
                           detail=member.truncated, excerpt=data[:_HEAD])
                continue
            yield Unit(member.label, fmt, Blob(member.label, sha, len(data), data=data,
                                               truncated=member.truncated))
        if count == 0:
            yield Unit(label, kind, reason="empty-file", detail="archive without members")
