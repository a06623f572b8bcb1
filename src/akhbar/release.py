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
3. prepends a ``CHANGELOG.md`` entry with the articles added and removed per split and
   per source, comparing the article ids at the previous release tag (read through
   ``dvc.api.DVCFileSystem``) with the current ones;
4. commits and tags ``vX.Y.Z``.

``ReleaseError`` is an :class:`akhbar.errors.AkhbarError`: a refused release is reported
as one line, not as an unexpected error.

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
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq
import yaml

from akhbar import card, versions
from akhbar import params as params_mod
from akhbar.errors import AkhbarError
from akhbar.schema import SPLITS

#: The project's card file (its ``card:`` section), merged over params.yaml by the DVC
#: card stage; the only file a release edits besides CHANGELOG.md and CITATION.cff.
CARD_FILE = "card.yaml"

CHANGELOG_HEADER = """# Changelog

All notable changes to the Akhbar dataset. Release entries are written by
`akhbar.release`: their counts compare the article ids of the release with those of the
previous release, per split and per source. Notes written under `## Unreleased` are moved
into the next release's entry.

## Unreleased

"""


class ReleaseError(AkhbarError):
    """A precondition of a release does not hold (nothing was changed)."""


# --------------------------------------------------------------------------- commands


def _dvc() -> str:
    """The ``dvc`` of this environment (the venv's, next to the interpreter)."""
    local = Path(sys.executable).parent / "dvc"
    found = str(local) if local.exists() else shutil.which("dvc")
    if not found:
        raise ReleaseError("dvc executable not found")
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


# --------------------------------------------------------------------------- ids and diff


_ID_COLUMNS = ["id", "source"]


def _frame(tables: list[tuple[str, Any]]) -> pl.DataFrame:
    frames = [pl.from_arrow(t).with_columns(pl.lit(split).alias("split"))
              for split, t in tables]
    schema = {"id": pl.String, "source": pl.String, "split": pl.String}
    if not frames:
        return pl.DataFrame(schema=schema)
    return (pl.concat(frames, how="vertical_relaxed")  # type: ignore[arg-type]
            .with_columns(pl.col("source").fill_null("(unknown)"))
            .select(list(schema)).cast(schema))  # type: ignore[arg-type]


def current_ids(dataset_dir: Path) -> pl.DataFrame:
    """``id, source, split`` of the dataset folder in the working tree."""
    return _frame([(split, pq.read_table(f, columns=_ID_COLUMNS))
                   for split, files in card.split_files(dataset_dir).items() for f in files])


def ids_at(repo: Path, rev: str, dataset: str = "dataset") -> pl.DataFrame:
    """``id, source, split`` of the dataset folder at git revision ``rev`` (through DVC,
    so only the two needed columns of each shard are read)."""
    from dvc.api import DVCFileSystem

    fs = DVCFileSystem(str(repo), rev=rev)
    try:
        tables = []
        for path in sorted(fs.find(f"{dataset}/data")):
            split = Path(path).name.split("-", 1)[0]
            if path.endswith(".parquet") and split in SPLITS:
                with fs.open(path, "rb") as fh:
                    tables.append((split, pq.read_table(fh, columns=_ID_COLUMNS)))
    finally:
        fs.close()
    return _frame(tables)


def _counts(before: pl.DataFrame, after: pl.DataFrame, key: str) -> pl.DataFrame:
    b = before.select(key, "id").unique()
    a = after.select(key, "id").unique()
    parts = [
        b.group_by(key).len(name="before"),
        a.group_by(key).len(name="after"),
        a.join(b, on=[key, "id"], how="anti").group_by(key).len(name="added"),
        b.join(a, on=[key, "id"], how="anti").group_by(key).len(name="removed"),
    ]
    out = pl.concat([b.select(key), a.select(key)]).unique()
    for part in parts:
        out = out.join(part, on=key, how="left")
    out = out.with_columns(pl.exclude(key).fill_null(0).cast(pl.Int64))
    if key == "split":
        order = {s: i for i, s in enumerate(SPLITS)}
        return out.sort(pl.col("split").replace_strict(order, default=len(SPLITS)), "split")
    return out.sort(key)


def diff(before: pl.DataFrame, after: pl.DataFrame) -> dict[str, Any]:
    """Articles added and removed, overall, per split and per source.

    An article is identified by its stable id; one that moved between splits counts as
    removed from one split and added to the other, but not in the totals.
    """
    b_ids, a_ids = set(before.get_column("id")), set(after.get_column("id"))
    return {
        "before": len(b_ids), "after": len(a_ids),
        "added": len(a_ids - b_ids), "removed": len(b_ids - a_ids),
        "splits": _counts(before, after, "split").to_dicts(),
        "sources": _counts(before, after, "source").to_dicts(),
    }


# --------------------------------------------------------------------------- changelog


def _table(rows: list[dict[str, Any]], key: str, prev: str, new: str) -> list[str]:
    out = [f"| {key} | {prev} | {new} | added | removed |", "|---|---:|---:|---:|---:|"]
    out += [f"| {r[key]} | {r['before']:,} | {r['after']:,} | +{r['added']:,} | "
            f"-{r['removed']:,} |" for r in rows]
    return out


def changelog_entry(tag: str, date: str, prev: str | None, d: dict[str, Any],
                    notes: str = "", fingerprint: str | None = None) -> str:
    """The Markdown entry of one release (named by its tag and content fingerprint)."""
    lines = [f"## {tag} — {date}", ""]
    if fingerprint:
        lines += [f"Content fingerprint: `{fingerprint}` (builds with other bytes are cited "
                  f"as `{tag[1:]}+<first 12 hex of their fingerprint>`).", ""]
    if prev:
        lines.append(f"Articles: {d['before']:,} → {d['after']:,} (+{d['added']:,} added, "
                     f"-{d['removed']:,} removed) compared with {prev}.")
    else:
        lines.append(f"First release: {d['after']:,} articles.")
    before = prev or "before"
    lines += ["", "### Per split", "", *_table(d["splits"], "split", before, tag),
              "", "### Per source", "", *_table(d["sources"], "source", before, tag), ""]
    if notes.strip():
        lines += ["### Notes", "", notes.strip(), ""]
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
        raise ReleaseError(f"git working tree is not clean:\n{status}")
    if not report.exists():
        raise ReleaseError(f"{report} missing: run the validate stage first")
    validation = json.loads(report.read_text(encoding="utf-8"))
    if validation.get("success") is not True:
        raise ReleaseError(f"{report} does not say success: {validation}")
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
    new_tag = versions.tag(version)
    number = new_tag[1:]
    validation = _check_preconditions(repo, repo / report)
    tags = release_tags(repo)
    if tags and _key(new_tag) <= _key(tags[-1]):
        raise ReleaseError(f"{new_tag} is not newer than the last release {tags[-1]}")
    prev = tags[-1] if tags else None
    dvc_status = json.loads(dvc(repo, "status", "--json") or "{}")
    if dvc_status:
        raise ReleaseError("DVC-tracked data differs from its metadata (run `dvc repro` "
                           f"or `dvc commit` first): {dvc_status}")
    date = date or dt.datetime.now(dt.UTC).date().isoformat()
    dt.date.fromisoformat(date)  # an error for a malformed date, before any change

    before = ids_at(repo, prev, dataset) if prev else current_ids(repo / dataset).clear()
    changes = diff(before, current_ids(repo / dataset))

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
