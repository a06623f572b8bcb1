"""The explorer's search index, prebuilt: folded words and, for each, the rows holding it.

Why prebuilt: searching the texts themselves meant loading and folding every text shard
in the browser on the first search (18–26 s for SaudiNewsNet's 31k rows). The index holds
each distinct folded word once (:func:`akhbar.folding.fold_expr`, the fold the page applies to
the query) and its posting list, so the first search loads one file (~10 MB for
SaudiNewsNet, gzip) and later searches touch only the posting lists of matching words.

Semantics are those of :func:`akhbar.explore.site.matches`: a row matches when every folded
query word occurs *inside* its folded title or text. A query word holds no space, so it
occurs in the folded text exactly when it occurs inside one of its words: the page finds
every vocabulary word containing it (one ``indexOf`` scan of the newline-joined
vocabulary) and unites their postings. Substring, not whole-word, matching matters in
Arabic, where ``ال``, ``و``, ``ب`` and pronoun suffixes are written attached.

Format of ``data/search.js``: ``AKHBAR.searchIndex("<base64>")``, the base64 of a gzip
member (mtime 0: identical bytes for identical rows) of::

    uint32 little-endian  byte length of the vocabulary
    vocabulary            UTF-8, "\\n" + words in code point order joined by "\\n" + "\\n"
    postings              per word, in vocabulary order: LEB128 varints, the number of
                          rows, then the first row number and the gaps to the next ones

Base64 in a script, not a binary file: ``fetch()`` of a sibling file is blocked on
``file://``, a ``<script src>`` is not. The browser inflates it with the standard
``DecompressionStream`` (no library).
"""

from __future__ import annotations

import base64
import gzip
import struct
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from akhbar import folding

#: The index file, under the site's ``data/``.
FILE = "search.js"
#: Rows folded and split at a time (bounds the memory of the exploded words).
CHUNK_ROWS = 4096


def postings(df: pl.DataFrame, chunk: int = CHUNK_ROWS) -> pl.DataFrame:
    """``word, rows``: each distinct folded word of the titles and texts of ``df`` (rows
    numbered in ``df``'s order) and the sorted rows holding it, in word order.

    Why tokens before folding: folding every text costs more than everything else here
    (SaudiNewsNet: 4 of 8 CPU-s). Every step of :func:`akhbar.folding.fold_expr` acts on
    one character at a time and a space is never dropped, so the folded words of a text
    are exactly the folded words of its space-separated tokens (a token may still fold to
    several words, e.g. ``"كلمة،أخرى"`` or one holding a newline). So each chunk of rows is
    split on spaces, made distinct per row and grouped by token; only the distinct tokens
    of the whole frame (SaudiNewsNet: 0.6 M, against 95 MB of text) are folded. Memory:
    one chunk's (token, row) pairs and the per-chunk groups, never the folded texts."""
    cols = [c for c in ("title", "text") if c in df.columns]
    if not cols or df.height == 0:
        return pl.DataFrame(schema={"word": pl.String, "rows": pl.List(pl.UInt32)})
    tokens = pl.concat_list([pl.col(c).fill_null("").str.split(" ") for c in cols]
                            ).list.unique()
    # rows ascend inside each chunk's lists and the chunks are concatenated in order, so
    # a token's merged list ascends too (group_by keeps each group's order)
    by_token = pl.concat([
        df.slice(start, chunk).with_row_index("row", offset=start)
        .select("row", tokens.alias("token")).explode("token")
        .group_by("token").agg("row")
        for start in range(0, df.height, chunk)])
    by_token = by_token.group_by("token").agg(pl.col("row").explode())
    words = (by_token.select(folding.fold_expr(pl.col("token")).str.split(" ").alias("word"),
                             "row")
             .explode("word").filter(pl.col("word") != ""))
    # several tokens fold to one word (``قال`` and ``قال،``): unite their rows
    return (words.group_by("word").agg(pl.col("row").explode().unique().sort().alias("rows"))
            .sort("word"))


def varints(values: np.ndarray) -> bytes:
    """Unsigned LEB128 of each value, vectorized (a Python loop over SaudiNewsNet's six
    million postings takes seconds)."""
    v = values.astype(np.uint64)
    n = np.ones(len(v), dtype=np.int64)
    for k in range(1, 10):
        n += v >= np.uint64(1 << (7 * k))
    pos = np.cumsum(n) - n
    out = np.zeros(int(n.sum()), dtype=np.uint8)
    for k in range(int(n.max(initial=0))):
        m = n > k
        low = ((v[m] >> np.uint64(7 * k)) & np.uint64(0x7F)).astype(np.uint8)
        out[pos[m] + k] = low | np.where(n[m] > k + 1, 0x80, 0).astype(np.uint8)
    return out.tobytes()


def encode(index: pl.DataFrame) -> bytes:
    """The uncompressed payload (see the module docstring) of a :func:`postings` frame."""
    vocab = ("\n" + "".join(w + "\n" for w in index.get_column("word").to_list())
             ).encode("utf-8")
    flat = index.select(pl.concat_list(
        pl.col("rows").list.len().cast(pl.Int64),
        pl.col("rows").list.first().cast(pl.Int64),
        pl.col("rows").list.diff().list.slice(1).cast(pl.List(pl.Int64)),
    ).alias("v")).explode("v").get_column("v")
    return struct.pack("<I", len(vocab)) + vocab + varints(flat.to_numpy())


def decode(payload: bytes) -> dict[str, list[int]]:
    """word → rows, read back from :func:`encode`'s bytes (what the page does; for tests)."""
    (size,) = struct.unpack_from("<I", payload)
    words = payload[4:4 + size].decode("utf-8").split("\n")[1:-1]
    data, at, out = payload[4 + size:], 0, {}

    def read() -> int:
        nonlocal at
        value = shift = 0
        while True:
            byte = data[at]
            at += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    for word in words:
        rows, row = [], 0
        for i in range(read()):
            row = read() if i == 0 else row + read()
            rows.append(row)
        out[word] = rows
    return out


def script(df: pl.DataFrame) -> tuple[str, int]:
    """The text of ``data/search.js`` for the rows of ``df`` and its number of words.

    Polars and zlib release the GIL for almost all of this, so the site builds it in a
    background thread (:func:`akhbar.explore.site.start_search`) while the main thread
    writes the text shards and the card draws its plots."""
    index = postings(df)
    packed = gzip.compress(encode(index), compresslevel=6, mtime=0)
    b64 = base64.b64encode(packed).decode("ascii")
    return f'AKHBAR.searchIndex("{b64}");\n', index.height


def write(df: pl.DataFrame, data_dir: Path) -> dict[str, Any]:
    """Write ``data_dir/search.js`` for the rows of ``df``; returns what the page's meta
    needs (the file, the number of words)."""
    return save(script(df), data_dir)


def save(built: tuple[str, int], data_dir: Path) -> dict[str, Any]:
    """Write a :func:`script` result into ``data_dir``; the page's meta entry."""
    text, words = built
    (data_dir / FILE).write_text(text, encoding="utf-8")
    return {"file": f"data/{FILE}", "words": words}


def read(data_dir: Path) -> dict[str, list[int]]:
    """The index of a written site, decoded (for tests and checks)."""
    text = (data_dir / FILE).read_text(encoding="utf-8")
    b64 = text[len('AKHBAR.searchIndex("'):-len('");\n')]
    return decode(gzip.decompress(base64.b64decode(b64)))
