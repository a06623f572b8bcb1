"""Topic tags: one home for what a tag is as a key, and for splitting glued tags.

A tag is compared as a key (a tag seen twice is one tag), so it is tidied the same way
wherever it comes from: :func:`normalize_tag` / :func:`normalize_tags` for the tags of one
aggregator page, :func:`tags_expr` for a column of tag lists (the other formats). Letters
are otherwise not normalized here (the clean stage does that).

Glued tags ("أمريكاإسرائيلحركة حماس") carry no separator, so :func:`split_tags` splits them
only where the pieces are *known*: a ``known_tags`` list (params) and the page's own
``كلمات دلالية`` keywords, and only when the whole glued run is made of them (a partial match
such as "فن" inside "فندق" is not taken). A keyword line without separators ("حديقة الملك
بلدیة الرياض") is grouped by the phrases seen in the glued tags; a leftover run of at most
``max_keyword_words`` words is taken as one keyword. Pieces that cannot be identified are
not guessed: they are returned as unsplit (counted in the stage report) and left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import polars as pl

_MAX_SPAN_WORDS = 4  # longest keyword phrase considered when splitting a keyword line
_TAG_SEP_RE = re.compile(r"\s*(?:[،,;؛|/•·\n\t]|\s-\s|\s{2,})\s*")
_SPACE_RE = re.compile(r"\s+")


def normalize_tag(tag: str) -> str:
    """A tag as a key: trimmed, one space, Persian yeh (ی) → Arabic yeh (ي), no ``#``."""
    return _SPACE_RE.sub(" ", tag.replace("ی", "ي")).strip().strip("#").strip()


def normalize_tags(tags: Iterable[str | None]) -> list[str]:
    """Normalized, empty ones dropped, first occurrence kept."""
    out: dict[str, None] = {}
    for tag in tags:
        if tag and (norm := normalize_tag(tag)):
            out.setdefault(norm, None)
    return list(out)


def tags_expr(tags: pl.Expr) -> pl.Expr:
    """:func:`normalize_tags` column-wise, for a list-of-strings column (same rules; a test
    holds the two to the same results)."""
    return (tags.list.eval(pl.element().str.replace_all("ی", "ي").str.replace_all(r"\s+", " ")
                           .str.strip_chars().str.strip_chars("#").str.strip_chars())
            .list.filter(pl.element().is_not_null() & (pl.element() != ""))
            .list.unique(maintain_order=True))


def _segment(text: str, vocab: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split glued ``text`` into known pieces: dynamic programming that covers the most
    letters with the fewest pieces. Returns (pieces, uncovered chunks)."""
    n = len(text)
    # best[i] = (covered letters, -pieces, step) for text[i:]; step = piece length or 0
    best: list[tuple[int, int, int]] = [(0, 0, 0)] * (n + 1)
    for i in range(n - 1, -1, -1):
        nxt = best[i + 1]
        choice = (nxt[0], nxt[1], 0)
        for word in vocab:
            if text.startswith(word, i):
                after = best[i + len(word)]
                cand = (after[0] + len(word.replace(" ", "")), after[1] - 1, len(word))
                if cand[:2] > choice[:2]:
                    choice = cand
        best[i] = choice
    pieces: list[str] = []
    uncovered: list[str] = []
    gap = ""
    i = 0
    while i < n:
        step = best[i][2]
        if step:
            if gap.strip():
                uncovered.append(gap.strip())
            gap = ""
            pieces.append(text[i:i + step])
            i += step
        else:
            gap += text[i]
            i += 1
    if gap.strip():
        uncovered.append(gap.strip())
    return pieces, uncovered


def _spans(words: Sequence[str]) -> list[str]:
    return [" ".join(words[i:j]) for i in range(len(words))
            for j in range(i + 1, min(len(words), i + _MAX_SPAN_WORDS) + 1)]


def _split_keywords(words: list[str], phrases: set[str], max_words: int
                    ) -> tuple[list[str], list[str]]:
    """Split a keyword line that has no separators: greedy longest known phrase from the
    left; a run of unknown words between them is one keyword if it has at most
    ``max_words`` words, else it is several glued keywords we cannot tell apart and is
    returned as unsplit. Returns (keywords, unsplit runs)."""
    out: list[str] = []
    unsplit: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            (out if len(run) <= max_words else unsplit).append(" ".join(run))
            run.clear()

    i = 0
    while i < len(words):
        for j in range(min(len(words), i + _MAX_SPAN_WORDS), i, -1):
            if " ".join(words[i:j]) in phrases:
                flush()
                out.append(" ".join(words[i:j]))
                i = j
                break
        else:
            run.append(words[i])
            i += 1
    flush()
    return out, unsplit


def split_tags(blob: str, keywords: str | None, known: Sequence[str], max_keyword_words: int
               ) -> tuple[list[str], list[str]]:
    """Tags from a page's glued tag blob and its keyword line. Returns (tags, unsplit
    pieces)."""
    known_norm = [k for k in normalize_tags(known) if len(k) > 1]
    kw_chunks = [normalize_tag(c) for c in _TAG_SEP_RE.split(keywords or "") if c.strip()]
    kw_plain = len(kw_chunks) == 1 and " " in kw_chunks[0]  # words without separators
    vocab_kw = _spans(kw_chunks[0].split()) if kw_plain else kw_chunks
    vocab = sorted(set(known_norm) | {v for v in vocab_kw if len(v) > 1},
                   key=lambda w: (-len(w), w))
    blob_tags: list[str] = []
    unsplit: list[str] = []
    blob_norm = normalize_tag(blob)
    separated = [p for p in _TAG_SEP_RE.split(blob_norm) if p.strip()]
    for piece in separated:
        pieces, rest = _segment(piece, vocab)
        if not rest:  # every letter is in a known piece
            blob_tags.extend(pieces)
        elif len(separated) > 1:  # explicitly separated: the piece is one tag
            blob_tags.append(piece)
        else:  # a partial split could cut a known word out of an unknown one: no guess
            unsplit.append(piece)
    kw_tags = kw_chunks
    if kw_plain:
        phrases = set(known_norm) | set(blob_tags)
        kw_tags, kw_unsplit = _split_keywords(kw_chunks[0].split(), phrases, max_keyword_words)
        unsplit.extend(kw_unsplit)
    return normalize_tags([*blob_tags, *kw_tags]), unsplit
