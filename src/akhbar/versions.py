"""Pinned loading: the exact rows of a released version, whatever the working tree holds.

A release is a git tag ``vX.Y.Z`` (made by ``akhbar.release``) whose dataset folder is
tracked by DVC. :func:`load` reads that folder *as it was at the tag* through
``dvc.api.DVCFileSystem`` (which fetches from the DVC cache, or from the remote when the
cache lacks it), copies it into a local cache keyed by the tag's commit, and opens it
with ``datasets.load_dataset`` (the card's configs give the splits and feature types).

Why copy instead of streaming from the filesystem object: ``datasets`` resolves
``data_files`` patterns on a local folder, and a local copy keyed by commit makes a second
load of the same version free and offline.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from akhbar.shards import PUBLISHED

if TYPE_CHECKING:  # heavy imports stay out of the card stage's path
    from datasets import DatasetDict
    from dvc.api import DVCFileSystem

_TAG = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)$")
_COMPLETE = ".akhbar-complete"
#: Where the fingerprint is written, beside ``stats.json``.
VERSION_FILE = "version.json"
UNRELEASED = "0.0.0"


def file_hashes(dataset_dir: Path) -> dict[str, str]:
    """``relative path → sha256`` of every published Parquet file, sorted by path."""
    dataset_dir = Path(dataset_dir)
    out = {}
    for pattern in PUBLISHED:  # both configs
        for path in sorted(dataset_dir.glob(pattern)):
            digest = hashlib.sha256()
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
            out[path.relative_to(dataset_dir).as_posix()] = digest.hexdigest()
    return dict(sorted(out.items()))


def fingerprint(hashes: Mapping[str, str]) -> str:
    """``sha256:<hex>`` over the published files: their names and bytes, nothing else
    (no time, no path of the folder), so the same rows give the same fingerprint and any
    changed, added, removed or renamed shard gives another."""
    digest = hashlib.sha256()
    for name, value in sorted(hashes.items()):
        digest.update(f"{name}\0{value}\n".encode())
    return "sha256:" + digest.hexdigest()


def content_version(card: Mapping[str, Any], fp: str) -> str:
    """The version a build is cited by: the release number when these bytes are the
    release's (``card.fingerprint`` equals ``fp``), else ``<last release>+<12 hex of the
    fingerprint>`` (``0.0.0+…`` before any release), a PEP 440 local version."""
    last = card.get("version")
    if last and card.get("fingerprint") == fp:
        return str(last)
    return f"{last or UNRELEASED}+{fp.split(':', 1)[-1][:12]}"


def is_release(card: Mapping[str, Any], fp: str) -> bool:
    """True when ``fp`` is the fingerprint recorded for the release ``card.version``."""
    return bool(card.get("version")) and card.get("fingerprint") == fp


def tag(version: str) -> str:
    """``0.2.0`` or ``v0.2.0`` → ``v0.2.0`` (an error for anything else)."""
    m = _TAG.match(version.strip())
    if not m:
        raise ValueError(f"not a version X.Y.Z: {version!r}")
    return "v" + ".".join(m.groups())


def default_cache() -> Path:
    """``$AKHBAR_CACHE`` or ``~/.cache/akhbar``."""
    return Path(os.environ.get("AKHBAR_CACHE", Path.home() / ".cache" / "akhbar"))


def _commit(fs: DVCFileSystem, rev: str) -> str:
    """The commit a tag points to (so a moved tag never reads a stale copy)."""
    return fs.repo.scm.resolve_rev(rev)


def fetch(version: str, repo: str | Path = ".", dataset: str = "dataset",
          cache_dir: Path | None = None) -> Path:
    """Copy the dataset folder of release ``version`` into the cache; return its path.

    The copy is made in a temporary folder and renamed into place, so an interrupted
    fetch never leaves a half-filled version behind.
    """
    from dvc.api import DVCFileSystem

    rev = tag(version)
    fs = DVCFileSystem(str(repo), rev=rev)
    try:
        commit = _commit(fs, rev)
        target = Path(cache_dir or default_cache()) / "versions" / f"{rev}-{commit[:12]}"
        if (target / _COMPLETE).exists():
            return target
        if not fs.isdir(dataset):
            raise FileNotFoundError(f"{dataset!r} is not a folder at {rev} of {repo}")
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{rev}-", dir=target.parent))
        try:
            fs.get(dataset.rstrip("/") + "/", str(staging) + "/", recursive=True)
            (staging / _COMPLETE).write_text(commit + "\n", encoding="utf-8")
            if target.exists():
                shutil.rmtree(target)
            staging.replace(target)
        finally:
            if staging.exists():
                shutil.rmtree(staging)
    finally:
        fs.close()
    return target


def load(version: str = "v0.1.0", repo: str | Path = ".", dataset: str = "dataset",
         cache_dir: Path | None = None, config: str = "default") -> DatasetDict:
    """The ``DatasetDict`` of release ``version`` of the dataset in ``repo``.

    ``repo`` is a local path or a git URL (anything ``DVCFileSystem`` accepts).
    ``config="rejected"`` gives the removed records of that release instead.
    """
    from datasets import load_dataset

    local = fetch(version, repo, dataset, cache_dir)
    hf_cache = local.parent / f"{local.name}.hf"
    return load_dataset(str(local), config, cache_dir=str(hf_cache))
