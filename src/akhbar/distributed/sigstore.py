"""A signature store addressed by dense node ids, on the work folder every worker sees.

Why: candidate pairs used to travel with a 512-byte MinHash signature (story candidates:
~95 % of dedup's shuffle, and the largest task). Here each distinct text's signature is
written once, and a pair travels as two 8-byte ids; a verify task fetches the rows it
needs from memory-mapped ``.npy`` files (only the pages of those rows are read).

Layout: dedup partitions keys by *range* of their first 8 bytes
(:func:`akhbar.distributed.shuffle.key_partition`), so partition order is key byte order.
Partition ``p`` writes its distinct keys sorted (``keys-p.npy``: n_p × 16 uint8), their
signatures (``sigs-p.npy``: n_p × num_perm uint32) and whether each text had a shingle
(``has-p.npy``). With ``offsets`` = cumulative partition sizes (P + 1 ints, held by the
driver), the id of the key at row ``r`` of partition ``p`` is ``offsets[p] + r``: the
rank of the key among all distinct keys in byte order, the node order of the local stage.

Memory: a lookup of ``m`` ids holds ``m × (num_perm × 4)`` bytes (callers pass chunks);
the mapped files are page cache shared by the workers of a machine, unmapped after each
lookup.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import numpy as np
import polars as pl

from akhbar import dedup as local
from akhbar.distributed.shuffle import gather

KEY_BYTES = 16  # BLAKE2b digest size of akhbar.dedup.exact_keys
FOLDER = "store"
#: pairs per signature lookup: 2 × 16,384 × 128 × 4 B = 16 MB of signatures at a time
CHUNK = 16_384


def _save(array: np.ndarray, path: Path) -> int:
    """``np.save`` through a temporary name (a rerun after a worker died rewrites the same
    bytes; a half-written file is never mapped)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as fh:
        np.save(fh, array, allow_pickle=False)
    os.replace(tmp, path)
    return path.stat().st_size


def _path(base: Path, kind: str, p: int) -> Path:
    return base / FOLDER / f"{kind}-{p:05d}.npy"


def key_matrix(keys: pl.Series) -> np.ndarray:
    """Binary 16-byte keys as an n × 16 uint8 matrix."""
    raw = b"".join(keys.to_list())
    if len(raw) != KEY_BYTES * len(keys):
        raise ValueError("dedup keys must be 16 bytes each")
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, KEY_BYTES)


def key_series(matrix: np.ndarray, name: str) -> pl.Series:
    """The inverse of :func:`key_matrix`."""
    flat = np.ascontiguousarray(matrix, dtype=np.uint8).tobytes()
    return pl.Series(name, [flat[i:i + KEY_BYTES] for i in range(0, len(flat), KEY_BYTES)],
                     dtype=pl.Binary)


def write(base: Path, p: int, num_perm: int) -> tuple[int, int]:
    """Store partition ``p`` of the ``nodes`` wave (several ranges may have sent the same
    text: its signature is the same); returns its number of distinct keys and the bytes
    written."""
    nodes = gather(base / "nodes", p).unique("key", keep="first").sort("key")
    sig = (nodes.get_column("sig").to_numpy().reshape(-1, num_perm).astype(np.uint32)
           if nodes.height else np.empty((0, num_perm), dtype=np.uint32))
    written = _save(sig, _path(base, "sigs", p))
    written += _save(key_matrix(nodes.get_column("key")) if nodes.height
                     else np.empty((0, KEY_BYTES), dtype=np.uint8), _path(base, "keys", p))
    written += _save(nodes.get_column("has").to_numpy().astype(bool) if nodes.height
                     else np.empty(0, dtype=bool), _path(base, "has", p))
    return nodes.height, written


class Store:
    """Read access to the store of a dedup run (``offsets``: P + 1 cumulative sizes)."""

    def __init__(self, base: Path, offsets: list[int]) -> None:
        self.base = base
        self.offsets = np.asarray(offsets, dtype=np.int64)

    def partition_of(self, ids: np.ndarray) -> np.ndarray:
        """The partition holding each id."""
        return np.searchsorted(self.offsets, np.asarray(ids, dtype=np.int64),
                               side="right") - 1

    def local(self, kind: str, p: int) -> np.ndarray:
        """Partition ``p``'s whole array (``sigs``, ``keys`` or ``has``), in memory."""
        return np.load(_path(self.base, kind, p))

    def rows(self, kind: str, ids: np.ndarray) -> np.ndarray:
        """Rows of ``kind`` for ``ids`` (any order, any partitions), read through memory
        maps opened and closed per call, one partition at a time, each file forwards."""
        ids = np.asarray(ids, dtype=np.int64)
        part = self.partition_of(ids)
        first = np.load(_path(self.base, kind, 0), mmap_mode="r")
        out = np.empty((len(ids), *first.shape[1:]), dtype=first.dtype)
        del first
        order = np.lexsort((ids, part))
        bounds = np.searchsorted(part[order], np.arange(len(self.offsets)))
        for q in np.unique(part).tolist():
            sel = order[bounds[q]:bounds[q + 1]]
            mapped = np.load(_path(self.base, kind, q), mmap_mode="r")
            out[sel] = mapped[ids[sel] - self.offsets[q]]
            del mapped
        return out

    def estimate(self, a: np.ndarray, b: np.ndarray, chunk: int = CHUNK) -> np.ndarray:
        """Estimated Jaccard of id pairs by :func:`akhbar.dedup.jaccard` (the local
        stage's arithmetic), ``chunk`` pairs at a time: at most ``chunk × 2 × num_perm × 4``
        bytes of signatures in memory."""
        out = np.empty(len(a), dtype=np.float64)
        for i in range(0, len(a), chunk):
            sa, sb = self.rows("sigs", a[i:i + chunk]), self.rows("sigs", b[i:i + chunk])
            m = len(sa)
            out[i:i + m] = local.jaccard(np.vstack([sa, sb]), np.arange(m), np.arange(m) + m)
        return out

    def keys(self, ids: np.ndarray, name: str) -> pl.Series:
        """The 16-byte keys of ``ids``."""
        return key_series(self.rows("keys", ids), name)

    def ids(self, keys: pl.Series, parts: np.ndarray) -> np.ndarray:
        """The ids of ``keys`` (each in the store; ``parts``: their partitions), by binary
        search in each partition's sorted keys (``S16`` compares bytewise, as polars
        sorts Binary)."""
        out = np.empty(len(keys), dtype=np.int64)
        if not len(keys):
            return out
        needles_all = key_matrix(keys).view("S16").ravel()
        for q in np.unique(parts).tolist():
            sel = np.flatnonzero(parts == q)
            hay = np.load(_path(self.base, "keys", q)).view("S16").ravel()
            needles = needles_all[sel]
            pos = np.searchsorted(hay, needles)
            if pos.max() >= len(hay) or np.any(hay[pos] != needles):
                raise KeyError(f"dedup keys missing from store partition {q}")
            out[sel] = self.offsets[q] + pos
        return out
