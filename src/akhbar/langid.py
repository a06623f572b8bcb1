"""Language id with py3langid, its byte automaton walked for a whole batch at once.

Why a module of its own: py3langid walks a byte automaton (DFA) in pure Python, one
byte at a time, which made it the one per-row cost of the filter stage (31k texts: ~30
CPU-seconds, spread over worker processes). :func:`classify` walks the SAME automaton
for every text of a batch in lock-step with numpy (one array gather per byte position,
not per byte), then hands each text's feature counts, in the order py3langid's own walk
finds them, to py3langid's own scoring code. Results are therefore bit-identical to
``LanguageIdentifier.classify`` (``tests/test_langid.py`` compares both), at a small
fraction of the cost, in one process.

Why not a script prefilter (Arabic-only vs Persian/Urdu-only letters settling most rows
without the model)? The stage writes the model's probability (``lang_score``) for every
row; a row settled without the model cannot get the model's exact value, so output bytes
would change. The exact batched walk removes the cost instead.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import numpy as np

_LETTER = re.compile(r"[^\W\d_]")
#: Texts walked at once: bounds the (texts × bytes) state matrix to ~20 MB for 300-char
#: Arabic prefixes (~600 bytes each, int32 states).
CHUNK = 8192


@lru_cache(maxsize=1)
def _identifier() -> Any:
    """py3langid with normalized probabilities (the model ships inside the wheel), plus
    numpy views of its automaton for the batched walk."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    class Walked(LanguageIdentifier):  # type: ignore[misc]
        """py3langid, with the automaton walk looked up in :attr:`visits` (filled by
        :func:`_walk` for a batch) instead of redone byte by byte in Python."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.visits: dict[bytes, dict[int, int] | None] = {}

        def _raw_score(self, text: bytes) -> Any:
            # the body of LanguageIdentifier._raw_score, with the walk precomputed
            if text not in self.visits:
                return super()._raw_score(text)
            found = self.visits[text]
            if found:
                return self._sparse_score(found, self.nb_ptc)
            return np.full(len(self.nb_classes), 0.0, dtype=np.float32)

    ident = Walked.from_model_file(MODEL_FILE, norm_probs=True)
    ident.np_next = np.asarray(ident.tk_nextmove, dtype=np.int64)
    ident.np_row = np.asarray(ident.tk_row, dtype=np.int64) << 8
    ident.np_out = np.asarray(ident.tk_output, dtype=np.int64)
    return ident


def _walk(ident: Any, encoded: list[bytes]) -> dict[bytes, dict[int, int] | None]:
    """Feature counts of each byte string, as py3langid's ``visit_counts`` finds them:
    {feature: count} in order of first occurrence (the order fixes the float sum of the
    score, so it is kept), or None when the walk emits no feature.

    All texts advance one byte position per step; texts are sorted by length so the ones
    still walking are always a prefix of the state vector.
    """
    if not encoded:
        return {}
    lengths = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=len(encoded))
    order = np.argsort(-lengths, kind="stable")
    lengths = lengths[order]
    width = int(lengths[0])
    matrix = np.zeros((len(encoded), width), dtype=np.uint8)
    for i, k in enumerate(order.tolist()):
        matrix[i, :lengths[i]] = np.frombuffer(encoded[k], dtype=np.uint8)
    # n_active[j]: texts longer than j (lengths are sorted descending)
    n_active = np.searchsorted(-lengths, -np.arange(width), side="right")
    state = np.zeros(len(encoded), dtype=np.int64)
    feats = np.full((len(encoded), width), -1, dtype=np.int64)
    nxt, row, out = ident.np_next, ident.np_row, ident.np_out
    for j in range(width):
        n = int(n_active[j])
        s = nxt[row[state[:n]] + matrix[:n, j]]
        state[:n] = s
        feats[:n, j] = out[s]
    # (text, position) of every emitted feature, in walk order
    text_i, pos = np.nonzero(feats >= 0)
    f = feats[text_i, pos]
    n_feat = int(out.max()) + 1
    key = text_i * n_feat + f
    uniq, first, counts = np.unique(key, return_index=True, return_counts=True)
    # back into (text, first occurrence) order
    by_first = np.lexsort((first, uniq // n_feat))
    uniq, counts = uniq[by_first], counts[by_first]
    owner = uniq // n_feat
    cuts = np.searchsorted(owner, np.arange(len(encoded) + 1))
    feat_l, count_l = (uniq % n_feat).tolist(), counts.tolist()
    result: dict[bytes, dict[int, int] | None] = {}
    for i, k in enumerate(order.tolist()):
        lo, hi = int(cuts[i]), int(cuts[i + 1])
        found = dict(zip(feat_l[lo:hi], count_l[lo:hi], strict=True))
        result[encoded[k]] = found or None
    return result


def classify_one(text: str) -> tuple[str, float]:
    """py3langid's own per-text classification (the reference :func:`classify` matches);
    ``und``/0.0 for a text without letters (py3langid would answer a uniform guess)."""
    if not _LETTER.search(text):
        return ("und", 0.0)
    ident = _identifier()
    ident.visits = {}
    lang, score = ident.classify(text)
    return lang, float(score)


def classify(texts: list[str]) -> list[tuple[str, float]]:
    """(language, probability) per text, identical to :func:`classify_one` on each;
    ``und``/0.0 for a text without letters."""
    ident = _identifier()
    out: list[tuple[str, float]] = []
    for start in range(0, len(texts), CHUNK):
        chunk = texts[start:start + CHUNK]
        has_letter = [bool(_LETTER.search(t)) for t in chunk]
        encoded = [ident._encode(t) for t, ok in zip(chunk, has_letter, strict=True) if ok]
        ident.visits = _walk(ident, list(dict.fromkeys(encoded)))
        try:
            for text, ok in zip(chunk, has_letter, strict=True):
                if ok:
                    lang, score = ident.classify(text)
                    out.append((lang, float(score)))
                else:
                    out.append(("und", 0.0))
        finally:
            ident.visits = {}
    return out
