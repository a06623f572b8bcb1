"""Refuse an output folder that a build would destroy or that would eat its own inputs.

A build replaces its output folder wholesale (see :mod:`akhbar.publish`), so before any
stage runs the folder is checked against what it must never touch: the raw inputs (OUT
equal to one, inside one, or holding one), the current and home folders, and a folder
Akhbar did not write (no :data:`MARKER`) unless ``--force``. Every refusal is a
:class:`~akhbar.errors.UsageError` (exit 2) raised before anything is written.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from akhbar.errors import UsageError

#: Written by Akhbar into every dataset folder it publishes: what it wrote there (so a
#: rebuild may replace exactly that) and whether the build passed.
MARKER = ".akhbar-dataset"


def absolute(path: Path | str) -> Path:
    """``path`` made absolute and normalized, symlinks kept (the CLI boundary: every later
    step, Data Docs included, gets an absolute path; ``raw_file`` labels keep the names the
    user gave)."""
    return Path(os.path.abspath(os.path.expanduser(os.fspath(path))))


def _within(inner: Path, outer: Path) -> bool:
    return inner == outer or outer in inner.parents


def _protected() -> list[tuple[str, Path]]:
    """Folders a build must never replace (those that can be found)."""
    out = []
    for name, find in (("the current folder", Path.cwd), ("your home folder", Path.home)):
        try:
            out.append((name, find().resolve()))
        except (OSError, RuntimeError):  # deleted cwd, no home
            continue
    return out


def check_paths(inputs: Sequence[Path], out: Path, work: Path | None = None) -> None:
    """Refuse OUT (and ``--work``) when it equals, holds or sits inside an input, or holds
    the current or home folder. Compared after resolving symlinks."""
    out_r = Path(out).resolve()
    roles = [("--out", out_r)] + ([("--work", Path(work).resolve())] if work else [])
    for flag, target in roles:
        for raw in inputs:
            raw_r = Path(raw).resolve()
            if target == raw_r:
                raise UsageError(f"{flag} {target} is the input {raw}: choose another folder")
            if _within(raw_r, target):
                raise UsageError(f"{flag} {target} contains the input {raw}: choose a folder "
                                 "outside the raw inputs")
            if _within(target, raw_r):
                raise UsageError(f"{flag} {target} is inside the input {raw}: the next build "
                                 "would read its own outputs; choose a folder outside it")
        for name, here in _protected():
            if _within(here, target):
                raise UsageError(f"{flag} {target} contains {name}: a build replaces this "
                                 "folder wholesale; choose a new folder")
    if work and (_within(roles[1][1], out_r) or _within(out_r, roles[1][1])):
        raise UsageError(f"--work {work} and --out {out} overlap: choose separate folders")


def read_marker(folder: Path) -> dict[str, Any] | None:
    """The marker of an Akhbar dataset folder, or None when ``folder`` is not one."""
    try:
        data = json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_marker(folder: Path, status: str, reasons: Sequence[str] = ()) -> None:
    """Record what the build wrote into ``folder`` (every entry but the marker itself)."""
    from akhbar import __version__

    entries = sorted(p.name for p in Path(folder).iterdir() if p.name != MARKER)
    body = {"akhbar": __version__, "status": status, "reasons": list(reasons),
            "entries": entries}
    (Path(folder) / MARKER).write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n",
                                       encoding="utf-8")


def check_existing(out: Path, force: bool) -> str | None:
    """May OUT be replaced? Returns the status of the dataset it holds (``"ok"``,
    ``"failed"``) or None when it holds none; raises UsageError when OUT holds something
    that Akhbar did not write there, unless ``force``."""
    out = Path(out)
    if not out.exists() and not out.is_symlink():
        return None
    if not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a folder: choose a folder")
    entries = sorted(p.name for p in out.iterdir())
    if not entries:
        return None
    marker = read_marker(out)
    if marker is None:
        if force:
            return None
        shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
        raise UsageError(f"--out {out} is not an Akhbar dataset (no {MARKER}; holds {shown}) "
                         "and a build would replace it: choose a new folder, or --force")
    written = set(marker.get("entries") or []) | {MARKER}
    foreign = [e for e in entries if e not in written]
    if foreign and not force:
        shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise UsageError(f"--out {out} holds files Akhbar did not write ({shown}); a rebuild "
                         "would delete them: move them away, or --force")
    return str(marker.get("status") or "ok")
