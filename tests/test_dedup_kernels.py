"""The dedup kernels against plain-Python references: exact keys, word and shingle hashes,
LSH banding (packed keys, bands grouped several at a time) and the ordered thread map.
The stage's speed work must not change what they compute."""

from __future__ import annotations

import hashlib
import threading
import time
from itertools import combinations

import numpy as np
import polars as pl
import pytest
from rensa import RMinHash

from akhbar import dedup, shingles, streaming

TEXTS = ["وزارة الصحة تعلن افتتاح مستشفى جديد في المدينة", "خبر", "", None,
         "وزارة الصحة تعلن افتتاح مستشفى جديد", "a b c d e f", "كلمة  كلمة كلمة",
         " ", " مسافة في الطرفين ", "و", "كلمةطويلةجدابلامسافاتبينحروفهاأبدا"]


def _shingles_reference(text: str | None, size: int) -> list[int]:
    """Word ``size``-gram hashes of one text, word by word in Python."""
    words = [w for w in (text or "").split(" ") if w]
    if not words:
        return []
    hashes = RMinHash.hash_token_sets([words])[0]
    out = []
    mask = (1 << 64) - 1
    for start in range(max(len(words) - size + 1, 1)):
        acc = 0
        for j in range(size):
            h = hashes[start + j] if start + j < len(words) else 0
            acc = (acc * 0x9E3779B97F4A7C15 + h) & mask
        out.append(acc)
    return out


def test_exact_keys_are_blake2b_of_the_utf8_text_for_any_series_layout() -> None:
    whole = pl.Series(TEXTS)
    chunked = pl.concat([whole.slice(0, 3), whole.slice(3)], rechunk=False)
    for series in (whole, chunked, whole.slice(2, 4)):
        want = [hashlib.blake2b((t or "").encode(), digest_size=16).digest()
                for t in series.to_list()]
        assert dedup.exact_keys(series) == want
    assert dedup.exact_keys(pl.Series([], dtype=pl.String)) == []


def test_token_hashes_are_rensa_token_hashes_for_every_length_and_byte() -> None:
    """The numpy FxHasher against rensa's own, on byte strings of 0-80 bytes (every branch:
    0-3, 4-7, 8-16 bytes, one and several 16-byte blocks) drawn over all 256 byte values,
    laid out back to back in one buffer as the Arrow words are."""
    rng = np.random.default_rng(7)
    tokens = [rng.integers(0, 256, size=n, dtype=np.uint8).tobytes()
              for n in [*range(81), *rng.integers(0, 80, size=3000).tolist()]]
    tokens.append(bytes(range(256)))
    lengths = np.array([len(t) for t in tokens], dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    data = np.frombuffer(b"".join(tokens), dtype=np.uint8)
    got = shingles.token_hashes(data, starts, lengths)
    assert got.tolist() == RMinHash.hash_token_sets([tokens])[0]
    # the same words read out of order (as a gather would) hash alike
    order = rng.permutation(len(tokens))
    assert shingles.token_hashes(data, starts[order], lengths[order]).tolist() == \
        got[order].tolist()


def test_word_hashes_are_rensa_token_hashes_with_their_row() -> None:
    series = pl.Series(TEXTS)
    hashes, rows = dedup.word_hashes(series)
    want_h, want_r = [], []
    for r, text in enumerate(TEXTS):
        words = [w for w in (text or "").split(" ") if w]
        if words:
            want_h += RMinHash.hash_token_sets([words])[0]
            want_r += [r] * len(words)
    assert hashes.tolist() == want_h and rows.tolist() == want_r
    assert hashes.dtype == np.uint64 and rows.dtype == np.int64


@pytest.mark.parametrize("size", [1, 2, 5])
def test_shingle_hashes_match_the_word_by_word_reference(size: int) -> None:
    series = pl.concat([pl.Series(TEXTS), pl.Series(TEXTS[::-1])], rechunk=False)
    flat, offsets = dedup.shingle_hashes(series, size)
    assert offsets.dtype == np.uint64 and flat.dtype == np.uint64
    for r, text in enumerate(series.to_list()):
        got = flat[int(offsets[r]):int(offsets[r + 1])].tolist()
        assert got == _shingles_reference(text, size)


def _pairs_reference(sig: np.ndarray, bands: int) -> set[tuple[int, int]]:
    rows = sig.shape[1] // bands
    out = set()
    for a, b in combinations(range(len(sig)), 2):
        for band in range(bands):
            cols = slice(band * rows, (band + 1) * rows)
            if np.array_equal(sig[a, cols], sig[b, cols]):
                out.add((a, b))
                break
    return out


@pytest.mark.parametrize(("perm", "bands"), [(12, 4), (12, 6), (12, 12), (9, 3), (16, 2)])
def test_candidate_pairs_are_the_pairs_sharing_a_band(perm: int, bands: int,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Packed keys (odd and even rows per band, one row per band) and bands grouped a few
    at a time give exactly the pairs that share some band's values."""
    monkeypatch.setattr(dedup, "BANDS_AT_ONCE", 3)
    rng = np.random.default_rng(perm * 100 + bands)
    sig = rng.integers(0, 3, size=(40, perm), dtype=np.uint32)  # many collisions
    sig[:, 0] |= np.uint32(1 << 31)  # high bits survive the packing
    got = dedup.candidate_pairs(sig, bands)
    assert {tuple(p) for p in got.tolist()} == _pairs_reference(sig, bands)
    assert got.tolist() == sorted(got.tolist())
    nodes = rng.permutation(40)[:25]
    sub = dedup.candidate_pairs(sig, bands, nodes)
    assert {tuple(p) for p in sub.tolist()} == _pairs_reference(sig[nodes], bands)


def test_candidate_pairs_of_fewer_than_two_nodes_or_no_rows_are_empty() -> None:
    sig = np.zeros((5, 4), dtype=np.uint32)
    assert dedup.candidate_pairs(sig[:1], 2).shape == (0, 2)
    assert dedup.candidate_pairs(sig, 8).shape == (0, 2)  # 0 rows per band
    assert len(dedup.candidate_pairs(sig, 2)) == 10  # all equal: every pair


def test_ordered_map_keeps_input_order_and_reads_only_a_few_items_ahead() -> None:
    read = []
    lock = threading.Lock()

    def items():
        for i in range(30):
            with lock:
                read.append(i)
            yield i

    def slow(i: int) -> tuple[int, int]:
        time.sleep(0.002 * (i % 3))  # later items may finish first
        return i, i * i

    seen = []
    for i, sq in streaming.ordered_map(slow, items(), 3):
        assert sq == i * i
        with lock:
            assert len(read) <= i + 1 + 3  # at most workers items submitted ahead
        seen.append(i)
    assert seen == list(range(30))
    assert list(streaming.ordered_map(slow, iter(range(5)), 1)) == [(i, i * i) for i in range(5)]


@pytest.mark.parametrize("cap", [1, 3, 64])
def test_bucket_pairs_on_arrays_equal_the_frame_version(cap: int,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The stage's numpy buckets (all pairs, or star + chain past ``MAX_BUCKET_PAIRS``)
    and the polars one the cluster version uses give the same pairs."""
    monkeypatch.setattr(dedup, "MAX_BUCKET_PAIRS", cap)
    rng = np.random.default_rng(3)
    sizes = rng.integers(2, 9, size=40)
    members = np.concatenate([np.sort(rng.choice(500, size=s, replace=False)) for s in sizes])
    start = np.concatenate([[0], np.cumsum(sizes)])
    got = {tuple(p) for p in dedup._run_pairs(members, start).tolist()}
    frame = pl.DataFrame({"bucket": np.repeat(np.arange(len(sizes)), sizes),
                          "node": members, "size": np.repeat(sizes, sizes)})
    want = {tuple(p) for p in dedup._bucket_pairs(frame).select("a", "b").rows()}
    assert got == want and len(want) > len(sizes)


def test_sorted_unique_is_numpy_unique() -> None:
    rng = np.random.default_rng(11)
    for values in (rng.integers(0, 50, size=400).astype(np.uint64),
                   rng.integers(-(2**62), 2**62, size=1000), np.empty(0, dtype=np.int64),
                   np.array([2**64 - 1, 0, 2**64 - 1], dtype=np.uint64)):
        got = shingles.sorted_unique(values)
        assert got.dtype == values.dtype and np.array_equal(got, np.unique(values))
