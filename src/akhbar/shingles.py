"""Dedup's text kernels: exact keys, word hashes, shingle hashes and MinHash signatures of
folded texts, column-wise over the Arrow buffers (no Python object per word or shingle).

Why a module of its own: :mod:`akhbar.dedup` (the stage), :mod:`akhbar.stories` and the
cluster version (:mod:`akhbar.distributed`) all shingle texts, and must get the same
numbers; these are the hot loops of the stage (``benchmarks/dedup_stage.py``).

The word hash is rensa's token hash (``RMinHash.hash_token_sets``: rustc-hash's FxHasher
over the UTF-8 bytes), computed here in numpy straight from the byte buffer of the texts.
Why hand-written: rensa only hashes Python ``str`` objects, so the stage had to find each
batch's vocabulary first (Arrow ``dictionary_encode`` of every word, then a Python string
per distinct word), which cost more than everything else in shingling; no library hashes an
Arrow string column into these values. ``tests/test_dedup_kernels.py`` checks the two agree
on every word length and on every byte value, so the signatures (and the stage's output)
are those of rensa's own hashing.
"""

from __future__ import annotations

import hashlib

import numpy as np
import polars as pl
import pyarrow as pa
from rensa import RMinHash

#: FxHasher's constants (rustc-hash 2, as rensa 0.5 builds it; the test above pins them).
_SEED1, _SEED2 = np.uint64(0x243F6A8885A308D3), np.uint64(0x13198A2E03707344)
_ZERO_COLLAPSE = np.uint64(0xA4093822299F31D0)
_K = np.uint64(0xF1357AEA2E62A9C5)
_LOW32, _U32, _U8 = np.uint64(0xFFFFFFFF), np.uint64(32), np.uint64(8)
#: Per word length (capped at 8): the bytes of the first 8-byte read that count, and the
#: shift of the second read (the last 8 bytes: all for 8+, the last 4 for 4-7 bytes).
_FIRST_MASK = np.array([0, 0xFF, 0xFF, 0xFF, *[0xFFFFFFFF] * 4, 2**64 - 1], dtype=np.uint64)
_LAST_SHIFT = np.array([0, 0, 0, 0, 32, 32, 32, 32, 0], dtype=np.uint64)
#: Words hashed at once: the temporaries of a chunk stay in the CPU caches.
_CHUNK = 1 << 15
#: Multiplier of the shingle polynomial.
_MULT = np.uint64(0x9E3779B97F4A7C15)


def _large_strings(s: pl.Series) -> pa.LargeStringArray:
    """``s`` (nulls as "") as one contiguous Arrow ``large_string`` array, whose offsets and
    UTF-8 bytes the helpers below read without a Python string per row."""
    arr = s.fill_null("").rechunk().to_arrow()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr if arr.type == pa.large_string() else arr.cast(pa.large_string())


def _buffers(arr: pa.LargeStringArray) -> tuple[np.ndarray, np.ndarray]:
    """(row offsets from 0, UTF-8 bytes) of a ``large_string`` array, without copies."""
    n = len(arr)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64, count=n + 1, offset=arr.offset * 8)
    data = arr.buffers()[2]
    raw = np.frombuffer(data, dtype=np.uint8) if data is not None else np.empty(0, np.uint8)
    return offsets - offsets[0], raw[offsets[0]:offsets[-1]]


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` (sorted distinct values) by one sort and a neighbour mask:
    numpy 2.4's ``np.unique`` takes 5-20x longer on integer arrays (hash-based, then
    sorted), which made it the largest part of banding 100,000 articles."""
    ordered = np.sort(values)
    keep = np.empty(len(ordered), dtype=bool)
    keep[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def exact_keys(folded: pl.Series) -> list[bytes]:
    """128-bit BLAKE2b of each folded text: stable across library versions, unlike
    ``polars.hash``, so the same corpus always yields the same groups. The digests read
    slices of the Arrow byte buffer (no ``str`` object and ``encode`` copy per row)."""
    offsets, data = _buffers(_large_strings(folded))
    bounds = offsets.tolist()
    view = memoryview(data)
    blake = hashlib.blake2b
    return [blake(view[bounds[i]:bounds[i + 1]], digest_size=16).digest()
            for i in range(len(bounds) - 1)]


def _mulmix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """FxHasher's ``multiply_mix``: the low and high halves of the 128-bit product x·y,
    xored (numpy has no 128-bit product: four 32×32-bit ones)."""
    xl, xh, yl, yh = x & _LOW32, x >> _U32, y & _LOW32, y >> _U32
    ll, lh, hl = xl * yl, xl * yh, xh * yl
    hh = xh * yh
    mid = (ll >> _U32) + (lh & _LOW32) + (hl & _LOW32)
    hh += (lh >> _U32) + (hl >> _U32) + (mid >> _U32)
    return ((mid << _U32) | (ll & _LOW32)) ^ hh


def token_hashes(data: np.ndarray, start: np.ndarray, length: np.ndarray) -> np.ndarray:
    """rensa's token hash of each byte slice ``data[start:start + length]`` (uint64).

    A word of at most 16 bytes is two unaligned 8-byte reads (its first and its last 8
    bytes, masked or shifted for shorter words) and one mix; longer ones (rare) also fold
    16-byte blocks, looped over the words still that long."""
    pad = np.zeros(len(data) + 24, dtype=np.uint8)
    pad[8:8 + len(data)] = data  # 8 bytes each side: reads around any word stay inside
    u64 = np.ndarray((len(pad) - 7,), dtype="<u8", buffer=pad, strides=(1,))
    out = np.empty(len(start), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for lo in range(0, len(start), _CHUNK):
            st, ln = start[lo:lo + _CHUNK] + 8, length[lo:lo + _CHUNK]
            l8 = np.minimum(ln, 8)
            first, last = u64[st], u64[st + ln - 8]
            s0 = (first & _FIRST_MASK[l8]) ^ _SEED1
            s1 = last >> _LAST_SHIFT[l8]
            if len(tiny := np.flatnonzero(l8 < 4)):  # 0-3 bytes: first, middle, last byte
                lt = ln[tiny].astype(np.uint64)
                mid = (first[tiny] >> ((lt >> np.uint64(1)) * _U8)) & np.uint64(0xFF)
                s1[tiny] = np.where(lt > 0, ((last[tiny] >> np.uint64(56)) << _U8) | mid, 0)
            s1 ^= _SEED2
            if len(long := np.flatnonzero(ln > 16)):
                s0[long], s1[long] = _long_state(u64, st[long], ln[long])
            h = _mulmix(s0, s1) ^ ln.astype(np.uint64)
            h *= _K
            out[lo:lo + _CHUNK] = (h << np.uint64(26)) | (h >> np.uint64(38))
    return out


def _long_state(u64: np.ndarray, st: np.ndarray, ln: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """FxHasher's state after the 16-byte blocks and the last 16 bytes of words longer
    than 16 bytes (``st``: their starts in the padded buffer)."""
    s0, s1 = np.full(len(st), _SEED1), np.full(len(st), _SEED2)
    off = np.zeros(len(st), dtype=np.int64)
    todo = np.arange(len(st))
    with np.errstate(over="ignore"):
        while len(todo := todo[off[todo] < ln[todo] - 16]):
            at = st[todo] + off[todo]
            mixed = _mulmix(s0[todo] ^ u64[at], _ZERO_COLLAPSE ^ u64[at + 8])
            s0[todo], s1[todo] = s1[todo], mixed
            off[todo] += 16
        s0 ^= u64[st + ln - 16]
        s1 ^= u64[st + ln - 8]
    return s0, s1


def _word_bounds(folded: pl.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(UTF-8 bytes, word starts, word lengths, words per row) of texts split on single
    spaces, words never empty. Read off the positions of the spaces: a folded text has no
    space at either end and never two in a row (checked; any other text is first brought
    to that form, which leaves its non-empty words as they were)."""
    offsets, data = _buffers(_large_strings(folded))
    spaces = np.flatnonzero(data == 32)
    full = offsets[1:] > offsets[:-1]
    row_start, row_end = offsets[:-1][full], offsets[1:][full]
    if (np.diff(spaces) == 1).any() or (data[row_start] == 32).any() \
            or (data[row_end - 1] == 32).any():
        return _word_bounds(folded.str.replace_all(" {2,}", " ").str.strip_chars(" "))
    starts = np.insert(spaces + 1, np.searchsorted(spaces, row_start), row_start)
    ends = np.insert(spaces, np.searchsorted(spaces, row_end), row_end)
    return data, starts, ends - starts, np.diff(np.searchsorted(starts, offsets))


def word_hashes(folded: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """rensa's 64-bit token hashes of the words of each folded text (split on spaces,
    empty words dropped), flat, with each word's row."""
    data, starts, lengths, counts = _word_bounds(folded)
    return (token_hashes(data, starts, lengths),
            np.repeat(np.arange(len(counts), dtype=np.int64), counts))


def shingle_hashes(folded: pl.Series, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Hashed word ``size``-grams of each text: (flat uint64 hashes, row offsets).

    A shingle hash is a polynomial of its word hashes (numpy, wrapping uint64 arithmetic),
    computed for every shingle at once from the word position it starts at. A text shorter
    than ``size`` words is one shingle of all its words (the missing words count as 0); an
    empty text has none. Hand-written because no library turns a column of texts into
    shingle hashes without a Python string per shingle, which was the bottleneck (≈1,900
    texts/s against ≈10,000 now on SaudiNewsNet)."""
    data, starts, lengths, words = _word_bounds(folded)
    h = token_hashes(data, starts, lengths)
    first = np.cumsum(words) - words  # first word of each row
    shingles = np.where(words >= size, words - size + 1, (words > 0).astype(np.int64))
    offsets = np.concatenate([[0], np.cumsum(shingles)]).astype(np.int64)
    start = np.arange(offsets[-1], dtype=np.int64) + np.repeat(first - offsets[:-1], shingles)
    padded = np.concatenate([h, np.zeros(size, dtype=np.uint64)])
    # the polynomial at *every* word position over contiguous slices (no gather per step),
    # then one gather at the shingle starts: right for all the shingles of a text of ≥ size
    # words (none reads past its text's end); a short text's one shingle is redone below
    acc = h.copy()
    with np.errstate(over="ignore"):
        for j in range(1, size):
            acc *= _MULT
            acc += padded[j:j + len(h)]
    out = acc[start]
    if len(short := np.flatnonzero((words > 0) & (words < size))):
        at, length = first[short], words[short]
        part = padded[at]
        with np.errstate(over="ignore"):
            for j in range(1, size):
                nxt = padded[at + j]
                nxt[length <= j] = 0  # the missing words count as 0
                part = part * _MULT + nxt
        out[offsets[short]] = part
    return out, offsets.astype(np.uint64)


def signatures(folded: pl.Series, size: int, num_perm: int, seed: int
               ) -> tuple[np.ndarray, np.ndarray]:
    """MinHash signatures (rows × num_perm, uint32) of each text's shingles, by rensa
    in Rust, and whether each text had any shingle at all."""
    return sign(*shingle_hashes(folded, size), num_perm, seed)


def sign(flat: np.ndarray, offsets: np.ndarray, num_perm: int, seed: int
         ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`signatures` of texts already shingled (flat hashes, uint64 row offsets)."""
    if len(offsets) <= 1:
        return np.empty((0, num_perm), dtype=np.uint32), np.empty(0, dtype=bool)
    matrix = RMinHash.digest_matrix_from_flat_token_hashes(flat, offsets, num_perm=num_perm,
                                                           seed=seed)
    return np.asarray(matrix.to_rows(), dtype=np.uint32), np.diff(offsets) > 0
