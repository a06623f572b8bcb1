"""Language id with py3langid, its byte automaton walked for a whole batch at once.

Why a module of its own: py3langid walks a byte automaton (DFA) in pure Python, one
byte at a time, which made it the one per-row cost of the filter stage (31k texts: ~30
CPU-seconds, spread over worker processes). :func:`classify` walks the SAME automaton
for every text of a batch in lock-step with numpy (one array gather per byte position,
not per byte), then scores each text's feature counts, in the order py3langid's own walk
finds them, with py3langid's own product and the same float32 operations on the whole
chunk's (texts × classes) matrix (:func:`_scores`). Results are therefore bit-identical to
``LanguageIdentifier.classify`` (``tests/test_langid.py`` compares both), at a small
fraction of the cost, in one process.

Why not a script prefilter (Arabic-only vs Persian/Urdu-only letters settling most rows
without the model)? The stage writes the model's probability (``lang_score``) for every
row; a row settled without the model cannot get the model's exact value, so output bytes
would change. The exact batched walk removes the cost instead.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

_LETTER = re.compile(r"[^\W\d_]")
#: The identifier holds a scratch buffer for the gathered weights: one caller at
#: a time (the quality stage runs the language id in a thread beside polars).
_LOCK = threading.Lock()
#: Texts walked at once: bounds the (texts × bytes) feature matrix to ~5 MB (the packed
#: sort of :func:`_first_occurrences` to ~30 MB) for 300-char Arabic prefixes (~600
#: bytes each, int32).
CHUNK = 2048


@lru_cache(maxsize=1)
def _reference() -> Any:
    """py3langid's own identifier with normalized probabilities (the model ships inside
    the wheel): :func:`classify_one`, and the source of :func:`_tables`."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


class Tables:
    """py3langid's model as numpy arrays: the automaton for the batched walk (``np_next``,
    ``np_row`` pre-shifted by 8, ``np_out``), the weights as float32 (``ptc32``: float16
    → float32 is exact, the values py3langid's matmul casts to on every call), the class
    prior ``nb_pc``, the labels and py3langid's aliased label columns."""

    ARRAYS = ("ptc32", "nb_pc", "np_next", "np_row", "np_out", "alias")

    def __init__(self, arrays: dict[str, np.ndarray], classes: list[str]) -> None:
        self.ptc32, self.nb_pc = arrays["ptc32"], arrays["nb_pc"]
        self.np_next, self.np_row, self.np_out = (arrays["np_next"], arrays["np_row"],
                                                  arrays["np_out"])
        self.alias_pairs = [(int(i), int(j)) for i, j in arrays["alias"]]
        self.nb_classes = classes
        self.rows_buf = np.empty((0, self.ptc32.shape[1]), dtype=np.float32)

    @classmethod
    def from_reference(cls, ref: Any) -> Tables:
        return cls({"ptc32": np.asarray(ref.nb_ptc, dtype=np.float32),
                    "nb_pc": np.asarray(ref.nb_pc, dtype=np.float32),
                    "np_next": np.asarray(ref.tk_nextmove, dtype=np.int32),
                    "np_row": np.asarray(ref.tk_row, dtype=np.int32) << 8,
                    "np_out": np.asarray(ref.tk_output, dtype=np.int32),
                    "alias": np.asarray(ref._alias_pairs, dtype=np.int64).reshape(-1, 2)},
                   list(ref.nb_classes))


def _cache_dir() -> Path | None:
    """Where the unpacked model is kept between processes: one folder per model file
    (its size and mtime), under ``$XDG_CACHE_HOME/akhbar`` (``~/.cache/akhbar``)."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    try:
        st = (MODEL_DIR / MODEL_FILE).stat()
    except OSError:
        return None
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "akhbar" / f"py3langid-{st.st_size}-{st.st_mtime_ns}-v2"


@lru_cache(maxsize=1)
def _tables() -> Tables:
    """The model's :class:`Tables`, memory-mapped from the cache folder when an earlier
    process unpacked it. Why a cache: py3langid's model is an LZMA-compressed npz whose
    unpacking costs ~1 CPU-s in every process that scores text; the mapped arrays cost
    nothing to open and only the pages of the features met are read. Same arrays either
    way (a cache that cannot be written or read is skipped, never an error)."""
    folder = _cache_dir()
    if folder is not None and (folder / "classes.json").is_file():
        try:
            if _digests(folder) == json.loads(
                    (folder / "digests.json").read_text(encoding="utf-8")):
                arrays = {k: np.asarray(np.load(folder / f"{k}.npy", mmap_mode="r"))
                          for k in Tables.ARRAYS}
                classes = json.loads((folder / "classes.json").read_text(encoding="utf-8"))
                return Tables(arrays, classes)
        except (OSError, ValueError):
            pass
    tables = Tables.from_reference(_reference())
    if folder is not None:
        _save(tables, folder)
    return tables


def _digests(folder: Path) -> dict[str, str]:
    """sha256 of each cached file: a cache damaged or altered after it was written is
    not used (it would change decisions silently); hashing ~100 MB costs ~0.1 CPU-s,
    a tenth of unpacking the model."""
    import hashlib

    out = {}
    for path in [*sorted(folder.glob("*.npy")), folder / "classes.json"]:
        with path.open("rb") as f:
            out[path.name] = hashlib.file_digest(f, "sha256").hexdigest()
    return out


def _save(tables: Tables, folder: Path) -> None:
    """Write ``tables`` to ``folder`` atomically (a finished folder is renamed into place,
    so a reader never sees half of one); any failure leaves no cache."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder.parent) as tmp:
            arrays = {"ptc32": tables.ptc32, "nb_pc": tables.nb_pc, "np_next": tables.np_next,
                      "np_row": tables.np_row, "np_out": tables.np_out,
                      "alias": np.asarray(tables.alias_pairs, dtype=np.int64).reshape(-1, 2)}
            for key, value in arrays.items():
                np.save(Path(tmp) / f"{key}.npy", value, allow_pickle=False)
            (Path(tmp) / "classes.json").write_text(json.dumps(tables.nb_classes),
                                                    encoding="utf-8")
            (Path(tmp) / "digests.json").write_text(json.dumps(_digests(Path(tmp))),
                                                    encoding="utf-8")
            os.rename(tmp, folder)
            os.mkdir(tmp)  # for TemporaryDirectory's own clean-up
    except OSError:
        return


#: A text's features as py3langid's ``visit_counts`` finds them: feature indexes (intp) in
#: order of first occurrence and their counts (float32), or None when there are none.
Visits = tuple[np.ndarray, np.ndarray] | None


def _walk(ident: Tables, encoded: list[bytes]) -> dict[bytes, Visits]:
    """:data:`Visits` of each byte string. The order of first occurrence is kept because
    it fixes the order of the float sum of the score.

    All texts advance one byte position per step (one numpy gather for all of them);
    texts are sorted by length so the ones still walking are a prefix of the states.
    """
    if not encoded:
        return {}
    lengths = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=len(encoded))
    order = np.argsort(-lengths, kind="stable")
    lengths = lengths[order]
    flat = np.frombuffer(b"".join(encoded[k] for k in order.tolist()), dtype=np.uint8)
    width = int(lengths[0])
    # n_active[j]: texts longer than j (lengths are sorted descending)
    n_active = np.searchsorted(-lengths, -np.arange(width), side="left")
    # byte position × text, so that each step reads and writes one contiguous row
    by_text = np.zeros((len(encoded), width), dtype=np.uint8)
    by_text[np.arange(width) < lengths[:, None]] = flat
    at = np.ascontiguousarray(by_text.T)
    del by_text
    state = np.zeros(len(encoded), dtype=np.int32)
    found = np.full((width, len(encoded)), -1, dtype=np.int32)
    nxt, row, out = ident.np_next, ident.np_row, ident.np_out
    for j in range(width):
        n = int(n_active[j])
        s = nxt[row[state[:n]] + at[j, :n]]
        state[:n] = s
        found[j, :n] = out[s]
    feats = np.ascontiguousarray(found.T)
    del found
    return _first_occurrences(feats, [encoded[k] for k in order.tolist()])


def _first_occurrences(feats: np.ndarray, keys: list[bytes]) -> dict[bytes, Visits]:
    """Per row of ``feats`` (-1 = no feature): its distinct features in order of first
    occurrence with their counts, for all rows at once instead of one ``np.unique`` per
    text (which cost more than the walk itself).

    One sort of packed integers (row, feature, entry index) groups equal features of a
    row with their first occurrence in front; ``np.sort`` of plain integers is ~10x faster
    than a stable ``argsort``, which is kept only for chunks too large to pack. The three
    fields are bit fields (shifts and masks, not the 64-bit divisions of a mixed radix).
    """
    valid = feats >= 0
    f = feats[valid]  # row-major: by row, then byte position
    m = f.size
    if not m:
        return dict.fromkeys(keys)
    rows = np.repeat(np.arange(len(feats), dtype=np.int64), valid.sum(axis=1))
    del valid
    f_bits = int(f.max()).bit_length()
    e_bits = max(int(m - 1).bit_length(), 1)
    if (len(feats) - 1).bit_length() + f_bits + e_bits <= 63:
        packed = ((rows << f_bits) | f) << e_bits
        packed |= np.arange(m, dtype=np.int64)
        packed.sort()
        entry = packed & ((1 << e_bits) - 1)
        sgroup = packed >> e_bits
        del packed
    else:  # pragma: no cover - only for chunks far beyond CHUNK x 300-char prefixes
        group = (rows << f_bits) | f
        entry = np.argsort(group, kind="stable")
        sgroup = group[entry]
    new = np.empty(m, dtype=bool)
    new[:1] = True
    np.not_equal(sgroup[1:], sgroup[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    count_at = np.zeros(m, dtype=np.float32)
    count_at[entry[starts]] = np.diff(np.append(starts, m))  # at each first occurrence
    is_first = count_at > 0
    feat = f[is_first].astype(np.intp)  # row-major: each row's first occurrences in order
    counts = count_at[is_first]
    bounds = np.searchsorted(rows[is_first], np.arange(len(keys) + 1))
    result: dict[bytes, Visits] = {}
    for i, key in enumerate(keys):
        lo, hi = int(bounds[i]), int(bounds[i + 1])
        result[key] = (feat[lo:hi], counts[lo:hi]) if hi > lo else None
    return result


def classify_one(text: str) -> tuple[str, float]:
    """py3langid's own per-text classification (the reference :func:`classify` matches);
    ``und``/0.0 for a text without letters (py3langid would answer a uniform guess)."""
    if not _LETTER.search(text):
        return ("und", 0.0)
    lang, score = _reference().classify(text)
    return lang, float(score)


def _scores(ident: Tables, keys: list[bytes], walked: dict[bytes, Visits]
            ) -> tuple[np.ndarray, np.ndarray]:
    """(class index, probability) per encoded text: py3langid's ``_decide`` and
    ``classify`` (norm_probs, no minimum confidence) for a whole chunk at once.

    Only the naive-Bayes product stays per text (``log1p(counts) @ rows`` is one BLAS
    call whose summation order a batched product would change); the rest is done on the
    (texts × classes) matrix with the same float32 element-wise operations, and the same
    per-row reductions (max, pairwise sum, argmax), as py3langid's per-text code, so the
    values are bit-identical (``tests/test_langid.py`` compares them) without the ~100 µs
    of Python calls per text.
    """
    table = ident.ptc32
    scores = np.zeros((len(keys), table.shape[1]), dtype=np.float32)
    seen = np.zeros(len(keys), dtype=bool)
    with _LOCK:  # the gather buffer is shared
        for u, key in enumerate(keys):
            found = walked[key]
            if found is None:
                continue  # no feature: py3langid's 0.0 row, without the class prior
            idx, counts = found
            # the gathered rows go to a reused buffer: a fresh ~200 KB array per text
            # cost an mmap and its page faults (same values, same matmul)
            if ident.rows_buf.shape[0] < idx.size:
                ident.rows_buf = np.empty((2 * idx.size, table.shape[1]), dtype=np.float32)
            rows = ident.rows_buf[:idx.size]
            np.take(table, idx, axis=0, out=rows, mode="clip")
            np.matmul(np.log1p(counts), rows, out=scores[u])
            seen[u] = True
    scores[seen] += ident.nb_pc
    # T = sqrt(bytes): py3langid multiplies by the Python float 1/sqrt(n), i.e. by its
    # float32 rounding (NEP 50), as here
    inv = np.array([1.0 / math.sqrt(len(k) or 1) for k in keys], dtype=np.float64)
    scores *= inv.astype(np.float32)[:, None]
    scores -= scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=1, keepdims=True)
    for i, j in ident.alias_pairs:  # aliased labels: the duplicate folded into the first
        scores[:, i] += scores[:, j]
        scores[:, j] = 0.0
    best = scores.argmax(axis=1)
    return best, scores[np.arange(len(keys)), best]


def classify(texts: list[str]) -> list[tuple[str, float]]:
    """(language, probability) per text, identical to :func:`classify_one` on each;
    ``und``/0.0 for a text without letters."""
    from py3langid.langid import LanguageIdentifier

    encode = LanguageIdentifier._encode  # a static method: no model needed
    ident = _tables()
    classes = ident.nb_classes
    out: list[tuple[str, float]] = []
    for start in range(0, len(texts), CHUNK):
        chunk = texts[start:start + CHUNK]
        encoded = [encode(t) if _LETTER.search(t) else None for t in chunk]
        keys = list(dict.fromkeys(e for e in encoded if e is not None))
        best, conf = _scores(ident, keys, _walk(ident, keys))
        found = {k: (classes[b], c) for k, b, c in
                 zip(keys, best.tolist(), conf.tolist(), strict=True)}
        out.extend(("und", 0.0) if e is None else found[e] for e in encoded)
    return out
