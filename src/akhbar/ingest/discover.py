"""Find raw files and decide their format.

Order is deterministic: arguments sorted, then a depth-first walk with entries sorted
by name. ``raw_file`` labels are relative: ``<folder name>/<path in folder>`` for a
folder argument, the file name for a file argument. Hidden entries (``.git``,
``.DS_Store``, ``.gitkeep``) and documentation (README, LICENSE, ``*.md``) found in a
folder are not raw data: they are only counted (``stats.skipped``). A file named on the
command line is always read.

Symbolic links found inside a folder are followed only when their target lies inside one
of the raw roots (the arguments): a link to ``/etc/passwd`` or a home folder would
otherwise publish that file's content in ``rejected/``. Links leading outside are counted
in ``stats.skipped["symlink-outside-raw"]`` unless ``ingest.follow_symlinks: true``; a
broken link is a rejected row (it cannot be read). A linked folder is walked once (link
loops end).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

from akhbar.ingest.labels import escape
from akhbar.ingest.sniff import GENERIC_EXTENSIONS, describe, extension, sniff

#: suffix → format (longest suffix wins).
EXTENSIONS: dict[str, str] = {
    ".txt": "text", ".text": "text", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
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


@dataclass(slots=True)
class _Links:
    """How symbolic links inside folders are treated during one walk."""

    roots: tuple[Path, ...]
    follow: bool
    walked: set[Path]

    def target(self, path: Path, skipped: dict[str, int]) -> Path | None:
        """The resolved target of a link to read, or None (counted) to skip it. A broken
        link resolves to itself: reading it gives its rejected row."""
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):  # broken link or a loop of links
            return path
        if not self.follow and not any(target == r or target.is_relative_to(r)
                                       for r in self.roots):
            skipped["symlink-outside-raw"] = skipped.get("symlink-outside-raw", 0) + 1
            return None
        return target


def walk(paths: list[Path], skipped: dict[str, int], follow_symlinks: bool = False
         ) -> Iterator[Found]:
    """Every raw file under ``paths``, in deterministic order, each path once."""
    seen: set[Path] = set()
    labels: set[str] = set()
    args = sorted((Path(p) for p in paths), key=lambda p: p.as_posix())
    links = _Links(tuple(p.resolve() for p in args), follow_symlinks, set())
    for arg in args:
        if arg.is_dir():
            links.walked.add(arg.resolve())
            items: Iterator[Found] = _walk_dir(arg, arg.resolve().name or "root", skipped,
                                               links)
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


def _walk_dir(root: Path, prefix: str, skipped: dict[str, int], links: _Links
              ) -> Iterator[Found]:
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
            is_link = entry.is_symlink()
        except OSError:
            is_dir = is_link = False
        if is_link:
            target = links.target(path, skipped)
            if target is None:
                continue
            if target.is_dir():
                if target not in links.walked:
                    links.walked.add(target)
                    yield from _walk_dir(path, label, skipped, links)
                continue
        if is_dir:
            links.walked.add(path.resolve())
            yield from _walk_dir(path, label, skipped, links)
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


def detect_format(label: str, head: bytes, overrides: Mapping[str, str] | None = None
                  ) -> str | None:
    """The reader format of a file (see :func:`decide`)."""
    return decide(label, head, overrides)[0]


def decide(label: str, head: bytes, overrides: Mapping[str, str] | None = None
           ) -> tuple[str | None, str | None]:
    """The format of a file and its ``raw_format`` label with the evidence.

    A params glob first; then archive magic (always); then clear content for a generic
    extension (``.txt``, ``.dat``, none: :mod:`.sniff`); then the extension; then
    content for an unknown extension. Plain text with a generic extension is ``text``
    (its reader tells an aggregator page from a one-article file).
    """
    name = PurePosixPath(label).name
    for pattern, fmt in (overrides or {}).items():
        if fnmatchcase(label, pattern) or fnmatchcase(name, pattern):
            return fmt, f"{fmt} (override {pattern})"
    by_suffix = _suffix_format(name)
    ext = extension(name)
    found = sniff(head)
    if found and found.fmt in ARCHIVE_KINDS and by_suffix not in ("warc", "tar"):
        # a zip named .json is a zip
        return found.fmt, (found.fmt if by_suffix == found.fmt
                           else describe(found.fmt, found.evidence, ext))
    if by_suffix == "trec" and name.lower().endswith(".xml") and \
            (found is None or found.fmt != "trec"):
        return None, None  # an XML file that is not a <DOC> collection
    generic = ext in GENERIC_EXTENSIONS or by_suffix == "text"
    if found and (generic or by_suffix is None):
        return found.fmt, describe(found.fmt, found.evidence, ext)
    if by_suffix:
        return by_suffix, by_suffix
    if generic:
        return "text", "text"  # its reader names the kind (aggregator / plaintext)
    return None, None
