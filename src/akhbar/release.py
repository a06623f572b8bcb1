"""Releases: a version number, a changelog entry with what changed, a git tag.

A release of the dataset is the git tag ``vX.Y.Z`` of a commit whose DVC metadata
(``dvc.lock`` or ``dataset.dvc``) pins the exact bytes of the dataset folder. The
release is written in ONE place, the project's card file ``card.yaml`` → ``card.version``,
``card.date`` and ``card.fingerprint`` (the content fingerprint of the released bytes,
:func:`akhbar.versions.fingerprint`); the card, its BibTeX and ``CITATION.cff`` name the
release only while the published bytes have that fingerprint, and
``<release>+<fingerprint>`` for any other build. ``params.yaml`` (the library's defaults)
is never rewritten.

:func:`release` refuses to run unless the git working tree is clean, the DVC-tracked data
matches its metadata, and ``reports/validation.json`` says ``success``. It then:

1. writes ``card.version``/``card.date``/``card.fingerprint`` into ``card.yaml`` (a
   targeted line edit, so comments and the other keys stay as they are);
2. regenerates ``CITATION.cff`` and the dataset card (``dvc repro`` when the project has
   a ``dvc.yaml``, else ``akhbar.card.run`` + ``dvc add``);
3. prepends a ``CHANGELOG.md`` entry written by :mod:`akhbar.diff` (articles added,
   removed, moved between splits and changed, per split, source, category and reason),
   comparing the dataset folder at the previous release tag (fetched through
   :func:`akhbar.versions.fetch`) with the current one, or "First release" when there
   is no previous tag;
4. commits and tags ``vX.Y.Z``.

Errors are :class:`akhbar.errors.AkhbarError` subclasses, shown as one line: ``ReleaseRefused``
(exit 2, like any refusal) when a precondition does not hold and nothing was changed,
``ReleaseError`` (exit 1) when a git or dvc command of the release failed.

Publishing is then (or ``push=True`` for the DVC half)::

    git push --follow-tags    # the commit and the tag
    dvc push                  # the data the tag points to, to the default DVC remote

Both are needed: a tag whose data was never ``dvc push``-ed cannot be loaded by anyone
else (``akhbar.versions.load`` would fail to fetch it).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from akhbar import card, diff, versions
from akhbar import params as params_mod
from akhbar.errors import AkhbarError, UsageError

#: The project's card file (its ``card:`` section), merged over params.yaml by the DVC
#: card stage; the only file a release edits besides CHANGELOG.md and CITATION.cff.
CARD_FILE = "card.yaml"

CHANGELOG_HEADER = """# Changelog

All notable changes to the Akhbar dataset. Release entries are written by
`akhbar.release` from `akhbar diff` against the previous release: articles added, removed,
moved between splits and changed, per split, source, category and reason. Notes written
under `## Unreleased` are moved into the next release's entry.

## Unreleased

"""


class ReleaseError(AkhbarError):
    """A step of a release failed (a git or dvc command)."""


class ReleaseRefused(ReleaseError, UsageError):
    """A precondition of a release does not hold; nothing was changed (exit code 2, as for
    every refusal: :class:`akhbar.errors.UsageError`)."""


# --------------------------------------------------------------------------- commands


def _dvc() -> str:
    """The ``dvc`` of this environment (the venv's, next to the interpreter)."""
    local = Path(sys.executable).parent / "dvc"
    found = str(local) if local.exists() else shutil.which("dvc")
    if not found:
        raise ReleaseRefused("dvc executable not found")
    return found


def _run(args: Sequence[str], repo: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(list(args), cwd=repo, capture_output=True, text=True, check=False,
                          env={**os.environ, **(env or {})})
    if proc.returncode:
        raise ReleaseError(f"{' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo``; its stdout."""
    return _run(["git", *args], repo)


def dvc(repo: Path, *args: str) -> str:
    """Run the venv's dvc in ``repo``; its stdout. Analytics are off: a release must
    not phone home."""
    return _run([_dvc(), *args], repo, {"DVC_NO_ANALYTICS": "1"})


# --------------------------------------------------------------------------- versions


def _key(tag: str) -> tuple[int, int, int]:
    a, b, c = versions.tag(tag)[1:].split(".")
    return int(a), int(b), int(c)


def release_tags(repo: Path) -> list[str]:
    """The ``vX.Y.Z`` tags of ``repo``, oldest version first."""
    tags = [t for t in git(repo, "tag", "--list", "v*").split() if re.fullmatch(
        r"v\d+\.\d+\.\d+", t)]
    return sorted(tags, key=_key)


def set_card_keys(path: Path, values: dict[str, str]) -> None:
    """Set ``card.<key>: "<value>"`` lines in the project's card file (created when
    missing), leaving every other line, comment and section untouched (a YAML round trip
    would drop the comments)."""
    path = Path(path)
    lines = (path.read_text(encoding="utf-8").splitlines(keepends=True) if path.exists()
             else [])
    start = next((i for i, ln in enumerate(lines) if re.match(r"^card:\s*(#.*)?$", ln)), None)
    if start is None:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        lines.append("card:\n")
        start = len(lines) - 1
    end = next((i for i in range(start + 1, len(lines)) if re.match(r"^\S", lines[i])),
               len(lines))
    for key, value in values.items():
        pattern = re.compile(rf"^(  {re.escape(key)}:[ \t]*)([^#\n]*?)([ \t]*#.*)?(\n?)$")
        for i in range(start + 1, end):
            m = pattern.match(lines[i])
            if m:
                lines[i] = f'{m.group(1)}"{value}"{m.group(3) or ""}{m.group(4)}'
                break
        else:
            lines.insert(start + 1, f'  {key}: "{value}"\n')
            end += 1
    Path(path).write_text("".join(lines), encoding="utf-8")
    loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8"))["card"]
    for key, value in values.items():
        if str(loaded.get(key)) != value:
            raise ReleaseError(f"{path}: card.{key} did not take the value {value!r}")


# --------------------------------------------------------------------------- changelog


def changes_since(repo: Path, prev: str | None, dataset: str = "dataset") -> dict[str, Any]:
    """The :func:`akhbar.diff.compare` report of the dataset folder at tag ``prev`` (read
    through DVC into a throw-away folder) against the working tree's; against an empty
    folder for a first release (``prev`` None), so every article counts as added."""
    with tempfile.TemporaryDirectory(prefix="akhbar-release-") as tmp:
        before = (versions.fetch(prev, repo, dataset, cache_dir=Path(tmp)) if prev
                  else Path(tmp) / "empty")
        return diff.compare(before, repo / dataset)


def changelog_entry(tag: str, date: str, prev: str | None, report: dict[str, Any],
                    notes: str = "", fingerprint: str | None = None) -> str:
    """The Markdown entry of one release (named by its tag and content fingerprint): the
    :func:`akhbar.diff.changelog_section` of ``report`` (the changes since ``prev``)."""
    lines = [f"## {tag} — {date}", ""]
    if fingerprint:
        lines += [f"Content fingerprint: `{fingerprint}` (builds with other bytes are cited "
                  f"as `{tag[1:]}+<first 12 hex of their fingerprint>`).", ""]
    if prev:
        lines += [f"Changes since {prev}:", ""]
    else:
        lines += [f"First release: {report['totals']['b']:,} articles.", ""]
    lines.append(diff.changelog_section(report).rstrip("\n"))
    if notes.strip():
        lines += ["", "### Notes", "", notes.strip()]
    return "\n".join(lines).rstrip("\n") + "\n"


def add_changelog_entry(path: Path, entry_for: Any) -> None:
    """Insert a release entry under ``## Unreleased`` (created with the file when
    missing); notes written under ``## Unreleased`` move into the entry.
    ``entry_for(notes) -> str`` builds the entry."""
    text = path.read_text(encoding="utf-8") if path.exists() else CHANGELOG_HEADER
    m = re.search(r"^## Unreleased[ \t]*\n", text, flags=re.M)
    if m is None:
        first = re.search(r"^## ", text, flags=re.M)
        at = first.start() if first else len(text)
        text = f"{text[:at].rstrip()}\n\n## Unreleased\n\n{text[at:]}"
        m = re.search(r"^## Unreleased[ \t]*\n", text, flags=re.M)
        assert m is not None
    nxt = re.search(r"^## ", text[m.end():], flags=re.M)
    end = m.end() + nxt.start() if nxt else len(text)
    notes = text[m.end():end]
    entry = entry_for(notes)
    tail = text[end:]
    text = f"{text[:m.end()]}\n{entry}" + (f"\n{tail}" if tail else "")
    path.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- release


def _check_preconditions(repo: Path, report: Path) -> dict[str, Any]:
    """Cheap checks first (git, the report); ``dvc status`` is checked by the caller last,
    as it is the slow one."""
    status = git(repo, "status", "--porcelain", "--untracked-files=normal")
    if status.strip():
        changed = [line[3:] for line in status.splitlines() if line.strip()]
        raise ReleaseRefused(f"git working tree is not clean ({len(changed)} changed: "
                             f"{', '.join(changed[:5])}{', ...' if len(changed) > 5 else ''})")
    if not report.exists():
        raise ReleaseRefused(f"{report} missing: run the validate stage first")
    validation = json.loads(report.read_text(encoding="utf-8"))
    if validation.get("success") is not True:
        raise ReleaseRefused(f"{report} does not say success: {validation}")
    return validation


def _refresh(repo: Path, dataset: str, params: params_mod.Params,
             validation: dict[str, Any]) -> None:
    """Regenerate what shows the version (card, CITATION.cff), and record it in DVC."""
    if (repo / "dvc.yaml").exists():
        dvc(repo, "repro")
    else:
        card.run(repo / dataset, params, validation, citation_path=repo / "CITATION.cff")
        if (repo / f"{dataset}.dvc").exists():
            dvc(repo, "add", dataset)


def release(version: str, repo: Path | str = ".", *, date: str | None = None,
            dataset: str = "dataset", report: str = "reports/validation.json",
            push: bool = False) -> str:
    """Release the dataset in ``repo`` as ``version`` (``X.Y.Z``); returns the tag.

    ``date`` (``YYYY-MM-DD``) defaults to today (UTC). With ``push=True`` the data is
    also ``dvc push``-ed to the default remote; ``git push --follow-tags`` is left to
    the caller (see the module docstring).
    """
    repo = Path(repo).resolve()
    try:
        new_tag = versions.tag(version)
        if date is not None:
            dt.date.fromisoformat(date)  # a malformed date is refused before any change
    except ValueError as exc:
        raise ReleaseRefused(str(exc)) from exc
    number = new_tag[1:]
    validation = _check_preconditions(repo, repo / report)
    tags = release_tags(repo)
    if tags and _key(new_tag) <= _key(tags[-1]):
        raise ReleaseRefused(f"{new_tag} is not newer than the last release {tags[-1]}")
    prev = tags[-1] if tags else None
    dvc_status = json.loads(dvc(repo, "status", "--json") or "{}")
    if dvc_status:
        raise ReleaseRefused("DVC-tracked data differs from its metadata (run `dvc repro` "
                           f"or `dvc commit` first): {dvc_status}")
    date = date or dt.datetime.now(dt.UTC).date().isoformat()

    changes = changes_since(repo, prev, dataset)

    fp = versions.fingerprint(versions.file_hashes(repo / dataset))
    set_card_keys(repo / CARD_FILE, {"version": number, "date": date, "fingerprint": fp})
    params = params_mod.load(*[p for p in (repo / "params.yaml", repo / CARD_FILE)
                               if p.exists()])
    _refresh(repo, dataset, params, validation)
    add_changelog_entry(repo / "CHANGELOG.md",
                        lambda notes: changelog_entry(new_tag, date, prev, changes, notes, fp))

    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"Release {new_tag}")
    git(repo, "tag", "-a", new_tag, "-m", f"Akhbar dataset {new_tag}")
    if push:
        dvc(repo, "push")
    return new_tag
