"""The signature store of the distributed dedup: dense ids in key byte order, lookups by
id and by key across partitions, and the range partitioning that makes the ids dense."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from akhbar import dedup as local
from akhbar.distributed import sigstore
from akhbar.distributed.shuffle import key_partition, scatter

PERM = 8


def _keys(n: int) -> pl.Series:
    return pl.Series("key", [hashlib.blake2b(f"نص {i}".encode(), digest_size=16).digest()
                             for i in range(n)], dtype=pl.Binary)


@pytest.mark.parametrize("parts", [1, 2, 5, 8])
def test_key_partition_follows_byte_order(parts: int) -> None:
    keys = _keys(500).sort()
    dest = key_partition(keys, parts)
    assert np.all(np.diff(dest) >= 0)  # sorted keys: non-decreasing partitions
    assert dest.min() >= 0 and dest.max() < parts
    if parts > 1:
        assert len(np.unique(dest)) == parts  # 500 uniform digests reach every range


def _store(tmp_path: Path, n: int, parts: int) -> tuple[sigstore.Store, pl.DataFrame]:
    """Nodes sent by two 'ranges' (each key twice, as copies across ranges are)."""
    keys = _keys(n)
    rng = np.random.default_rng(0)
    sig = rng.integers(0, 2**32, size=(n, PERM), dtype=np.uint32)
    nodes = pl.DataFrame({"key": keys, "has": np.arange(n) % 7 != 0,
                          "sig": pl.Series(sig)})
    for src in (0, 1):
        scatter(nodes, key_partition(keys, parts), parts, tmp_path / "nodes", src)
    counts = [sigstore.write(tmp_path, p, PERM)[0] for p in range(parts)]
    return sigstore.Store(tmp_path, np.cumsum([0, *counts]).tolist()), nodes


def test_ids_are_ranks_in_byte_order_and_lookups_agree(tmp_path: Path) -> None:
    store, nodes = _store(tmp_path, 300, 4)
    assert store.offsets[-1] == 300  # each key once, though sent twice
    keys = nodes.get_column("key")
    ids = store.ids(keys, key_partition(keys, 4))
    rank = keys.rank("ordinal").to_numpy() - 1
    assert np.array_equal(ids, rank)
    got = store.rows("sigs", ids[::-1])  # any order, across partitions
    want = nodes.get_column("sig").to_numpy().reshape(-1, PERM)[::-1]
    assert np.array_equal(got, want)
    assert store.keys(ids[:50], "k").to_list() == keys[:50].to_list()
    assert np.array_equal(store.rows("has", ids), nodes.get_column("has").to_numpy())


def test_estimate_is_the_local_jaccard_in_any_chunking(tmp_path: Path) -> None:
    store, nodes = _store(tmp_path, 120, 3)
    sig = nodes.get_column("sig").to_numpy().reshape(-1, PERM).copy()
    sig[5] = sig[9]
    sig[7, :4] = sig[11, :4]
    keys = nodes.get_column("key")
    # rewrite the store with those signatures
    for f in (tmp_path / "nodes").rglob("*.parquet"):
        f.unlink()
    changed = nodes.with_columns(pl.Series("sig", sig))
    scatter(changed, key_partition(keys, 3), 3, tmp_path / "nodes", 0)
    for p in range(3):
        sigstore.write(tmp_path, p, PERM)
    ids = store.ids(keys, key_partition(keys, 3))
    a, b = ids[[5, 7, 1, 0]], ids[[9, 11, 2, 0]]
    want = local.jaccard(sig, np.array([5, 7, 1, 0]), np.array([9, 11, 2, 0]))
    assert want[0] == 1.0 and want[1] >= 0.5 and want[3] == 1.0
    for chunk in (1, 3, 1000):
        assert np.array_equal(store.estimate(a, b, chunk=chunk), want)


def test_a_key_missing_from_the_store_is_an_error(tmp_path: Path) -> None:
    store, _ = _store(tmp_path, 40, 2)
    stranger = pl.Series([b"\x01" * 16], dtype=pl.Binary)
    with pytest.raises(KeyError):
        store.ids(stranger, key_partition(stranger, 2))
