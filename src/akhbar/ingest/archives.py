"""Archives (.zip, .tar[.gz|.bz2|.xz], .gz) read as streams, never extracted to disk.

Nothing is written to disk, so a member named ``../../x`` cannot escape; its
``raw_file`` label is sanitised to ``archive.zip/x`` (``..``/``.`` dropped, duplicates
suffixed ``~2``). Every member is read in chunks against three limits from params
(``ingest.archive``): bytes per member, bytes per archive (nested archives share the
budget) and the uncompressed/compressed ratio (checked once a member or stream is past
``ratio_min_bytes``, so small very compressible files are not flagged). Crossing a limit
yields an ``archive-bomb`` error for that member and the build goes on.
"""

from __future__ import annotations

import io
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO, Any

from akhbar.config import Archive
from akhbar.ingest.discover import is_documentation
from akhbar.ingest.labels import escape

_CHUNK = 1 << 20
_PIECE = 1 << 16
_ERRORS = (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError, OSError,
           RuntimeError, NotImplementedError, ValueError)


#: Decompression-bomb limits: ``ingest.archive`` in params.yaml (the typed model).
Limits = Archive


class Budget:
    """Uncompressed bytes left for one top-level archive and its nested archives."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.left = limits.max_total_bytes


@dataclass(frozen=True, slots=True)
class Member:
    """A member's label and bytes, or the (reason, detail) that stopped it
    (reason ``skipped``: not raw data, only counted)."""

    label: str
    data: bytes | None = None
    error: tuple[str, str] | None = None
    truncated: str | None = None  # the stream was cut: what is known of the loss


class Bomb(Exception):
    """A limit was crossed while decompressing."""


class _Counting(io.RawIOBase):
    """Counts the compressed bytes consumed from the underlying stream."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        return len(data)


class _Names:
    """Sanitised, unique member labels, and which members are not raw data."""

    def __init__(self, archive: str) -> None:
        self.archive = archive
        self.used: set[str] = set()

    def skip(self, name: str) -> str | None:
        """Why a member is not raw data (hidden, macOS metadata, documentation)."""
        parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".", "..")]
        if any(p.startswith(".") or p == "__MACOSX" for p in parts):
            return "hidden"
        if parts and is_documentation(parts[-1]):
            return "documentation"
        return None

    def label(self, name: str) -> str:
        parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".", "..")]
        label = f"{self.archive}/{escape('/'.join(parts)) or '_'}"
        candidate, n = label, 1
        while candidate in self.used:
            n += 1
            candidate = f"{label}~{n}"
        self.used.add(candidate)
        return candidate


def _read(fp: IO[bytes], budget: Budget, ratio_cap: int | None = None,
          stream: _Counting | None = None, stream_out: int = 0) -> bytes:
    """Read ``fp`` whole, raising :class:`Bomb` when a limit is crossed."""
    limits = budget.limits
    cap = min(limits.max_member_bytes, budget.left)
    chunks: list[bytes] = []
    size = 0
    while chunk := fp.read(_CHUNK):
        chunks.append(chunk)
        size += len(chunk)
        if size > limits.max_member_bytes:
            raise Bomb(f"member over max_member_bytes={limits.max_member_bytes}")
        if size > cap:
            raise Bomb(f"archive over max_total_bytes={limits.max_total_bytes}")
        if ratio_cap is not None and size > ratio_cap:
            raise Bomb(f"compression ratio over max_ratio={limits.max_ratio:g}")
        if stream is not None:
            out = stream_out + size
            if out > max(limits.ratio_min_bytes, limits.max_ratio * stream.count):
                raise Bomb(f"compression ratio {out / max(stream.count, 1):.0f} over "
                           f"max_ratio={limits.max_ratio:g}")
    budget.left -= size
    return b"".join(chunks)


def members(kind: str, label: str, stream: IO[bytes], budget: Budget
            ) -> Iterator[Member]:
    """The members of one archive (``kind`` = zip | tar | gz), in archive order."""
    try:
        if kind == "zip":
            yield from _zip(label, stream, budget)
        elif kind == "tar":
            yield from _tar(label, stream, budget)
        else:
            yield from _gz(label, stream, budget)
    except _ERRORS as exc:
        yield Member(label, error=("unreadable", f"damaged {kind} archive: "
                                   f"{type(exc).__name__}: {exc}"))


def _zip(label: str, stream: IO[bytes], budget: Budget) -> Iterator[Member]:
    names = _Names(label)
    limits = budget.limits
    with zipfile.ZipFile(stream) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            if (why := names.skip(info.filename)) is not None:
                yield Member(info.filename, error=("skipped", why))
                continue
            name = names.label(info.filename)
            if stat.S_ISLNK(info.external_attr >> 16):  # content = the link target
                yield Member(name, error=("archive-link", "symbolic link, not followed"))
                continue
            if budget.left <= 0:  # e.g. many entries sharing one compressed stream
                yield Member(name, error=("archive-bomb", "archive over "
                                          f"max_total_bytes={limits.max_total_bytes}"))
                continue
            if info.file_size > limits.max_member_bytes:
                yield Member(name, error=("archive-bomb", f"declares {info.file_size} bytes, "
                                          f"over max_member_bytes={limits.max_member_bytes}"))
                continue
            ratio_cap = int(max(limits.ratio_min_bytes, limits.max_ratio * info.compress_size))
            try:
                with archive.open(info) as fp:
                    yield Member(name, _read(fp, budget, ratio_cap))
            except Bomb as exc:
                yield Member(name, error=("archive-bomb", str(exc)))
            except _ERRORS as exc:
                yield Member(name, error=("unreadable", f"{type(exc).__name__}: {exc}"))


def _tar(label: str, stream: IO[bytes], budget: Budget) -> Iterator[Member]:
    names = _Names(label)
    counting = _Counting(stream)
    out = 0
    with tarfile.open(fileobj=counting, mode="r|*") as archive:  # type: ignore[call-overload]
        for info in archive:
            if info.isdir():
                continue
            if (why := names.skip(info.name)) is not None:
                yield Member(info.name, error=("skipped", why))
                continue
            name = names.label(info.name)
            if not info.isfile():  # links and devices hold no record, but are one
                yield Member(name, error=_special(info))
                continue
            fp = archive.extractfile(info)
            if fp is None:
                continue
            try:
                data = _read(fp, budget, stream=counting, stream_out=out)
            except Bomb as exc:
                yield Member(name, error=("archive-bomb", str(exc)))
                yield Member(label, error=("archive-bomb", "rest of the archive not read "
                                           f"after a decompression bomb at {name}"))
                return
            out += len(data)
            yield Member(name, data)


def _special(info: tarfile.TarInfo) -> tuple[str, str]:
    """The rejection of a tar member that is not a regular file: never followed (a link
    may point anywhere on disk or at another member), never read."""
    if info.issym() or info.islnk():
        kind = "symbolic link" if info.issym() else "hard link"
        return "archive-link", f"{kind} to {escape(info.linkname)!r}, not followed"
    kind = ("character device" if info.ischr() else "block device" if info.isblk()
            else "FIFO" if info.isfifo() else f"tar member of type {info.type!r}")
    return "archive-special", f"{kind}, not a regular file"


def _gz(label: str, stream: IO[bytes], budget: Budget) -> Iterator[Member]:
    inner = PurePosixPath(label).name
    for suffix in (".gz", ".gzip"):
        if inner.lower().endswith(suffix) and len(inner) > len(suffix):
            inner = inner[: -len(suffix)]
            break
    name = f"{label}/{inner}"
    counting = _Counting(stream)
    fp = _Gunzip(counting)
    try:
        data = _read(fp, budget, stream=counting)
    except Bomb as exc:
        yield Member(name, error=("archive-bomb", str(exc)))
        return
    if fp.truncated and not data:
        raise EOFError("gzip stream ends before any data")
    truncated = (f"gzip stream cut or damaged after {len(data)} bytes of content: the "
                 "rest of this file is lost") if fp.truncated else None
    yield Member(name, data, truncated=truncated)


class _Gunzip(io.RawIOBase):
    """A gzip stream (members concatenated, as ``gzip`` writes them) that ends quietly
    where its bytes end. Why not :class:`gzip.GzipFile`: it raises ``EOFError`` on a cut
    stream and the bytes decompressed before the cut are lost with it; here they are
    returned and :attr:`truncated` says the end is missing."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.inflater = zlib.decompressobj(wbits=31)
        self.in_member = False  # a member has begun and its trailer is not read yet
        self.pending = b""
        self.done = False
        self.truncated = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.pending and not self.done:
            self._step()
        n = min(len(buffer), len(self.pending))
        buffer[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n

    def _step(self) -> None:
        # small input pieces: a damaged byte loses at most one piece's output
        data = self.inflater.unconsumed_tail or self.raw.read(_PIECE)
        if not data:
            self.done, self.truncated = True, self.in_member
            return
        while data:
            self.in_member = True
            try:
                self.pending += self.inflater.decompress(data, _CHUNK)
            except zlib.error:  # damaged from here on: what came before is kept
                self.done = self.truncated = True
                return
            if not self.inflater.eof:  # more input needed, or output capped (tail)
                return
            data = self.inflater.unused_data  # the next member, or NUL padding
            self.inflater = zlib.decompressobj(wbits=31)
            self.in_member = False
            if not data.strip(b"\x00"):
                self.done = bool(data)
                return
