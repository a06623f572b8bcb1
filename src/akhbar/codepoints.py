"""Per-text counts of character classes (letters, Arabic letters, words and their
length) in one pass over the code points of a batch, for the quality stage's signals.

Why numpy and not regexes: five ``count_matches``/``replace_all`` passes over every
character (one per class, two for the words) cost several times one decode to UTF-32, a
table lookup per character and a few segment sums. The classes are asked of the regex
engine itself (:func:`_char_classes`), so each count equals its regex form
(``tests/test_quality_fast.py`` compares them).
"""

from __future__ import annotations

import threading

import numpy as np
import polars as pl
import pyarrow as pa

#: Class bits of :func:`_char_classes`: letter, Arabic letter, mark, white space, digit.
_LETTER, _ARABIC, _MARK, _SPACE, _NUMBER = 1, 2, 4, 8, 16


#: :func:`_char_classes`' table and how many planes of it are filled.
_TABLE = np.zeros(0x110000, dtype=np.uint8)
_PLANES = [0]
_TABLE_LOCK = threading.Lock()


def _char_classes(top: int = 0x10FFFF) -> np.ndarray:
    r"""uint8 class bits of every code point up to ``top`` (index = code point), asked of
    the regex engine itself, so ``\p{L}``, ``\p{Arabic}``, ``\p{M}``, ``\s`` and
    ``\p{N}`` mean exactly what they meant as patterns (same Unicode version; Python's
    :mod:`unicodedata` may differ). Filled a plane (65,536 code points) at a time, once
    per process, and only up to the plane of ``top``: news text rarely leaves the first
    plane, and all 17 cost ~0.7 CPU-s."""
    with _TABLE_LOCK:
        for plane in range(_PLANES[0], (top >> 16) + 1):
            start = plane << 16
            points = [c for c in range(start, start + 0x10000) if not 0xD800 <= c < 0xE000]
            chars = pl.Series([chr(c) for c in points], dtype=pl.String)  # no surrogates
            codes = np.asarray(points)
            for bit, cls in [(_LETTER, r"\p{L}"), (_ARABIC, r"[\p{Arabic}&&\p{L}]"),
                             (_MARK, r"\p{M}"), (_SPACE, r"\s"), (_NUMBER, r"\p{N}")]:
                hit = chars.str.contains(f"^{cls}$").to_numpy()
                _TABLE[codes[hit]] |= bit
            _PLANES[0] = plane + 1
    return _TABLE


#: Rows per code-point pass of :func:`prose_counts` (~2M characters of news, ~40 MB).
_COUNT_ROWS = 1000


def _weights(row: bool) -> np.ndarray:
    """int64 per class byte, two 32-bit lanes summed at once. Per text (``row``): letters
    + Arabic letters << 32. Per token: its non-mark characters + its letters or digits
    << 32 (white space weighs 0: the gap after a token adds nothing to it)."""
    c = np.arange(256)
    solid = (c & _SPACE) == 0
    if row:
        low, high = (c & _LETTER) != 0, (c & _ARABIC) != 0
    else:
        low, high = solid & ((c & _MARK) == 0), solid & ((c & (_LETTER | _NUMBER)) != 0)
    return low.astype(np.int64) + (high.astype(np.int64) << 32)


_ROW_WEIGHTS, _TOKEN_WEIGHTS = _weights(True), _weights(False)


def _utf32(texts: pl.Series) -> np.ndarray:
    """The code points of ``texts`` (no nulls), end to end: the Arrow UTF-8 buffer decoded
    once (no Python string per text)."""
    arr = texts.to_arrow()
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset:arr.offset + len(arr) + 1]
    if not len(arr) or offsets[-1] == offsets[0]:
        return np.zeros(0, dtype=np.uint32)
    data = memoryview(arr.buffers()[2])[int(offsets[0]):int(offsets[-1])]
    return np.frombuffer(str(data, "utf-8").encode("utf-32-le"), dtype=np.uint32)


def prose_counts(prose: pl.Series) -> pl.DataFrame:
    """letters, Arabic letters, words and word length (see :func:`_word_signals`) of each
    text, in ONE pass over its code points instead of five regex passes.

    The batch is decoded once to UTF-32; a table lookup gives each character its classes,
    a second one two counts packed in one int64 (:func:`_weights`). Per-text sums are
    segment sums (``np.add.reduceat``) from each text's start, per-token sums from each
    token's first character; a token's words and characters go to its text by
    ``np.bincount``. A word is a run of non-space characters holding a letter or a digit
    (:data:`WORD_TOKEN`); its length counts its non-mark characters. Same integers as the
    regex forms (tests compare them).
    """
    texts = prose.fill_null("")
    if len(texts) > _COUNT_ROWS:  # bounded transient memory: a few bytes per character
        return pl.concat([prose_counts(texts.slice(i, _COUNT_ROWS))
                          for i in range(0, len(texts), _COUNT_ROWS)], rechunk=True)
    n = len(texts)
    sizes = texts.str.len_chars().to_numpy().astype(np.int64)
    ends = np.cumsum(sizes)
    full = sizes > 0
    starts = (ends - sizes)[full]
    points = _utf32(texts)
    cls = _char_classes(int(points.max()) if len(points) else 0)[points]
    del points
    letters = np.zeros(n, dtype=np.int64)
    n_words = np.zeros(n, dtype=np.int64)
    word_chars = np.zeros(n, dtype=np.float64)
    if len(cls):
        letters[full] = np.add.reduceat(_ROW_WEIGHTS[cls], starts)
        solid = (cls & _SPACE) == 0
        begins = solid.copy()  # a token starts at a non-space char after a space or a text start
        begins[1:] &= ~solid[:-1]
        begins[starts] = solid[starts]
        first = np.flatnonzero(begins)
        if len(first):
            token = np.add.reduceat(_TOKEN_WEIGHTS[cls], first)
            # a word: 1 + its non-mark characters << 32; tokens are in text order, so a
            # text's words are the segment of tokens that start inside it
            word = np.where((token >> 32) > 0, 1 + ((token & 0xFFFFFFFF) << 32), 0)
            lo = np.searchsorted(first, ends - sizes)
            some = np.searchsorted(first, ends) > lo
            per_text = np.add.reduceat(word, lo[some])
            n_words[some] = per_text & 0xFFFFFFFF
            word_chars[some] = per_text >> 32
    return pl.DataFrame({
        "letters": (letters & 0xFFFFFFFF).astype(np.float64),
        "arabic": (letters >> 32).astype(np.float64),
        "n_words": n_words,
        "word_chars": word_chars.astype(np.float64),
    })
