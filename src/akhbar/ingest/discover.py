"""Find raw files and decide their format.

Order is deterministic: arguments sorted, then a depth-first walk with entries sorted
by name. ``raw_file`` labels are relative: ``<folder name>/<path in folder>`` for a
folder argument, the file name for a file argument. Hidden entries (``.git``,
``.DS_Store``, ``.gitkeep``) and documentation (README, LICENSE, ``*.md``) found in a
folder are not raw data: they are only counted (``stats.skipped``). A file named on the
command line is always read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

from akhbar.ingest.labels import escape

#: suffix → format (longest suffix wins).
EXTENSIONS: dict[str, str] = {
    ".txt": "aggregator", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".jsonlines": "jsonl", ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".html": "html",
    ".htm": "html", ".xhtml": "html", ".shtml": "html", ".warc": "warc", ".warc.gz": "warc",
    ".arc": "warc", ".arc.gz": "warc", ".sgml": "trec", ".sgm": "trec", ".trec": "trec",
    ".xml": "trec", ".zip": "zip", ".tar": "tar", ".tar.gz": "tar", ".tgz": "tar",
    ".tar.bz2": "tar", ".tar.xz": "tar", ".gz": "gz",
}
_DOC_SUFFIXES = (".md", ".rst", ".cff")
_DOC_STEMS = frozenset({"readme", "license", "licence", "copying", "citation", "notice"})
ARCHIVE_KINDS = frozenset({"zip", "tar", "gz"})


@dataclass(frozen=True, slots=True)
class Found:
    """A path to read (``error`` set when it cannot even be listed or is not a file)."""

    label: str
    path: Path
    error: str | None = None


def walk(paths: list[Path], skipped: dict[str, int]) -> Iterator[Found]:
    """Every raw file under ``paths``, in deterministic order, each path once."""
    seen: set[Path] = set()
    labels: set[str] = set()
    for arg in sorted((Path(p) for p in paths), key=lambda p: p.as_posix()):
        if arg.is_dir():
            items: Iterator[Found] = _walk_dir(arg, arg.resolve().name or "root", skipped)
        else:
            items = iter([Found(arg.name, arg)])
        for found in items:
            key = found.path.absolute()
            if key in seen:
                continue
            seen.add(key)
            base = escape(found.label)  # undecodable bytes of a name → \\xNN
            label, n = base, 1
            while label in labels:  # two arguments with the same name
                n += 1
                label = f"{base}~{n}"
            labels.add(label)
            yield Found(label, found.path, found.error)


def _walk_dir(root: Path, prefix: str, skipped: dict[str, int]) -> Iterator[Found]:
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError as exc:
        yield Found(prefix, root, f"cannot list folder: {exc.strerror or exc}")
        return
    for entry in entries:
        if entry.name.startswith("."):
            skipped["hidden"] = skipped.get("hidden", 0) + 1
            continue
        if is_documentation(entry.name):
            skipped["documentation"] = skipped.get("documentation", 0) + 1
            continue
        label = f"{prefix}/{entry.name}"
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            is_dir = False
        if is_dir:
            yield from _walk_dir(path, label, skipped)
        else:
            yield Found(label, path)


def is_documentation(name: str) -> bool:
    """README / LICENSE / Markdown files that describe a raw folder: not raw data."""
    lower = name.lower()
    return lower.endswith(_DOC_SUFFIXES) or lower.split(".")[0] in _DOC_STEMS


def _suffix_format(name: str) -> str | None:
    lower = name.lower()
    best = None
    for suffix, fmt in EXTENSIONS.items():
        if lower.endswith(suffix) and (best is None or len(suffix) > len(best[0])):
            best = (suffix, fmt)
    return best[1] if best else None


def _sniff(head: bytes) -> str | None:
    """Format from content alone."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"\x1f\x8b"):
        return "gz"
    if len(head) > 262 and head[257:262] == b"ustar":
        return "tar"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    lower = text[:512].lower()
    if lower.startswith(b"warc/"):
        return "warc"
    if lower.startswith(b"<?xml"):
        lower = lower.split(b"?>", 1)[-1].lstrip()
    if lower.startswith(b"<doc") and lower[4:5] in (b" ", b">", b"\t", b"\r", b"\n"):
        return "trec"
    if lower.startswith((b"<!doctype html", b"<html")):
        return "html"
    if lower.startswith(b"["):
        return "json"
    if lower.startswith(b"{"):
        return "json"  # the JSON reader falls back to JSON Lines
    return None


def detect_format(label: str, head: bytes, overrides: Mapping[str, str] | None = None
                  ) -> str | None:
    """The format of a file: a params glob first, then archive magic bytes, the
    extension, and content sniffing for unknown extensions."""
    name = PurePosixPath(label).name
    for pattern, fmt in (overrides or {}).items():
        if fnmatchcase(label, pattern) or fnmatchcase(name, pattern):
            return fmt
    by_suffix = _suffix_format(name)
    sniffed = _sniff(head)
    if sniffed in ARCHIVE_KINDS and by_suffix not in ("warc", "tar"):
        return sniffed  # a zip named .json is a zip
    if by_suffix == "trec" and name.lower().endswith(".xml") and sniffed != "trec":
        return None  # an XML file that is not a <DOC> collection
    return by_suffix or sniffed
