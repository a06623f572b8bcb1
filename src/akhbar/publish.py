"""Atomic publication of a dataset folder: OUT always holds one complete dataset.

A build writes into a staging folder next to OUT and swaps it in at the very end, so a
build that fails or is killed leaves the previous dataset (card, data, rejected, stats,
reports together) in place and loadable. Next to OUT lives one hidden control folder,
``.<OUT name>.akhbar/``:

* ``lock`` — held (``filelock``) for the whole build, so a second build into the same OUT
  stops at once with exit 2 instead of interleaving its files with the first;
* ``stage-XXXX/`` — one build's ``work/`` (intermediate tables) and ``dataset/``; a sibling
  of OUT, hence on its filesystem, so the swap is a rename and never a copy;
* ``failed/`` — the last failed build, when it was not published (see :mod:`akhbar.build`).

Whatever a killed build left there is removed by the next build into OUT, under the lock
(so never while a build is using it).

The swap: on Linux one ``renameat2(RENAME_EXCHANGE)`` exchanges the two folders atomically
(no instant without OUT). The standard library has no such call and no maintained package
wraps it, hence the few lines of ``ctypes`` below. Elsewhere (or on a filesystem that does
not support it) two renames are used; if a kill lands between them, OUT is missing and the
next build first puts the old dataset back (:func:`recover`).
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from akhbar.errors import UsageError

#: Tests only: ``AKHBAR_TEST_KILL_AT=<point>`` makes the build SIGKILL itself at that point
#: (a stage name once it finished, ``staged`` just before the swap, ``swapped`` right
#: after it), a deterministic stand-in for a kill from outside at that instant.
KILL_ENV = "AKHBAR_TEST_KILL_AT"


def checkpoint(point: str) -> None:
    """Die here when a test asked for it (see :data:`KILL_ENV`); no effect otherwise."""
    if os.environ.get(KILL_ENV) == point:
        os.kill(os.getpid(), signal.SIGKILL)


def control_dir(out: Path) -> Path:
    """The hidden sibling of OUT holding its lock, staging and failed folders."""
    out = Path(out)
    return out.parent / f".{out.name}.akhbar"


@contextmanager
def locked(out: Path) -> Iterator[Path]:
    """Hold OUT's build lock; UsageError at once when another build holds it."""
    control = control_dir(out)
    control.mkdir(parents=True, exist_ok=True)
    lock = FileLock(control / "lock", timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise UsageError(f"--out {out}: another build is writing this folder (lock "
                         f"{control / 'lock'} is held); wait for it or choose another --out"
                         ) from None
    try:
        yield control
    finally:
        lock.release()


def recover(out: Path) -> bool:
    """Put the old dataset back when a two-rename swap was cut between its renames."""
    if Path(out).exists():
        return False
    for old in sorted(control_dir(out).glob("stage-*/old")):
        os.rename(old, out)
        return True
    return False


def clean_leftovers(out: Path) -> list[Path]:
    """Remove what killed or failed builds left in the control folder (call under the
    lock). Returns the removed paths."""
    recover(out)
    control = control_dir(out)
    removed = [p for p in [*sorted(control.glob("stage-*")), control / "failed"] if p.exists()]
    for path in removed:
        shutil.rmtree(path)
    return removed


@contextmanager
def temporary_files_in(folder: Path) -> Iterator[None]:
    """Route this process's ``tempfile`` folders (the split's sort buckets, ...) into
    ``folder``, so that a killed build leaves nothing in /tmp: its stage folder, cleaned by
    the next build, holds everything."""
    folder.mkdir(parents=True, exist_ok=True)
    saved, tempfile.tempdir = tempfile.tempdir, str(folder)
    try:
        yield
    finally:
        tempfile.tempdir = saved


def new_stage(out: Path) -> Path:
    """A fresh staging folder for one build, next to OUT (same filesystem)."""
    return Path(tempfile.mkdtemp(prefix="stage-", dir=control_dir(out)))


@functools.cache
def _renameat2() -> object | None:
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                   ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths atomically; False when the system cannot."""
    fn = _renameat2()
    if fn is None:
        return False
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:  # type: ignore[operator]
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def swap(staged: Path, out: Path) -> None:
    """Make the complete dataset ``staged`` the content of OUT, then drop the old one."""
    staged, out = Path(staged), Path(out)
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        os.rename(staged, out)
        checkpoint("swapped")
        return
    if exchange(staged, out):
        checkpoint("swapped")
        shutil.rmtree(staged)  # now the old dataset
        return
    old = staged.parent / "old"
    os.rename(out, old)
    checkpoint("half-swapped")
    os.rename(staged, out)
    checkpoint("swapped")
    shutil.rmtree(old)


def keep_failed(staged: Path, out: Path) -> Path:
    """Move a failed build that was not published to ``<control>/failed``."""
    target = control_dir(out) / "failed"
    if target.exists():
        shutil.rmtree(target)
    os.rename(staged, target)
    return target
