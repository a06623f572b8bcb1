"""Raw paths and ``--out`` anywhere fsspec reaches (``s3://``, ``gs://``, ``memory://`` …).

Why staging and not stage code on fsspec files: every stage reads and writes through
:mod:`akhbar.io` and the ingest walker on local paths (archives, encodings, sniffing), and
their bytes are the contract. So a URL input is copied to a local folder first (keeping its
last path part, the ``raw_file`` label's root) and a URL output is built locally and
uploaded at the end; the published bytes are those of a local build. A cluster whose
workers run on other machines needs the build's work folder on a shared volume (see
``docs/scaling.md``); the object store holds the inputs and the release.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from akhbar.errors import AkhbarError


def is_url(path: str | Path) -> bool:
    """``True`` for ``protocol://...`` (a ``Path`` has folded ``//`` into ``/``, so
    ``s3:/bucket`` counts too), never for a Windows drive letter."""
    text = str(path)
    head, sep, _ = text.partition(":/")
    return bool(sep) and len(head) > 1 and head.replace("-", "").isalnum()


def url(path: str | Path) -> str:
    """The URL text of ``path`` (restores the ``//`` a ``Path`` dropped)."""
    text = str(path)
    head, _, rest = text.partition(":/")
    return f"{head}://{rest.lstrip('/')}"


def download(src: str, dest: Path) -> Path:
    """Copy ``src`` (a file or a folder) under ``dest``, keeping its last path part."""
    import fsspec  # only a URL build pays its import (~0.2 s at every `akhbar build`)

    fs, path = fsspec.core.url_to_fs(src)
    path = path.rstrip("/")
    target = dest / path.rsplit("/", 1)[-1]
    if fs.isdir(path):
        for remote in sorted(fs.find(path)):
            local = target / remote[len(path):].lstrip("/")
            local.parent.mkdir(parents=True, exist_ok=True)
            fs.get_file(remote, str(local))
    elif fs.isfile(path):
        target.parent.mkdir(parents=True, exist_ok=True)
        fs.get_file(path, str(target))
    else:
        raise AkhbarError(f"{src}: raw path does not exist")
    return target


def upload(local: Path, dest: str) -> None:
    """Copy the files of the local folder ``local`` to ``dest`` (a URL folder), replacing
    what an earlier build left under ``data/`` and ``rejected/``."""
    import fsspec  # see download

    fs, root = fsspec.core.url_to_fs(dest)
    root = root.rstrip("/")
    for sub in ("data", "rejected"):
        if fs.exists(f"{root}/{sub}"):
            fs.rm(f"{root}/{sub}", recursive=True)
    for f in sorted(p for p in local.rglob("*") if p.is_file()):
        remote = f"{root}/{f.relative_to(local).as_posix()}"
        fs.makedirs(remote.rsplit("/", 1)[0], exist_ok=True)
        fs.put_file(str(f), remote)


@contextlib.contextmanager
def staged(raw_paths: Sequence[str | Path], out: str | Path
           ) -> Iterator[tuple[list[Path], Path]]:
    """Local raw paths and a local output folder for a build; URL inputs are downloaded
    first, a URL output is uploaded when the block ends without an error."""
    if not any(is_url(p) for p in [*raw_paths, out]):
        yield [Path(p) for p in raw_paths], Path(out)
        return
    with tempfile.TemporaryDirectory(prefix="akhbar-stage-") as tmp:
        paths = []
        for i, p in enumerate(raw_paths):
            paths.append(download(url(p), Path(tmp) / "raw" / f"{i:03d}") if is_url(p)
                         else Path(p))
        local_out = Path(tmp) / "out" if is_url(out) else Path(out)
        yield paths, local_out
        if is_url(out):
            upload(local_out, url(out))
