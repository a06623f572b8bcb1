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
import shutil
import struct
import tempfile
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow.parquet as pq

from akhbar import folding
from akhbar.explore import streamindex

#: The index file, under the site's ``data/``.
FILE = "search.js"
#: Rows folded and split at a time (bounds the memory of the exploded words).
CHUNK_ROWS = 4096
#: Rows read from the Parquet files at a time by :func:`build` (its memory: one batch's
#: texts, ~15 MB for news articles, their ~1.2 M tokens and a few 8-byte arrays of
#: them: ~300 MB over the imports for SaudiNewsNet; 8192 rows: +140 MB, 3 % less CPU).
BATCH_ROWS = 4096
#: Rows per word range of :func:`build`: a range's (word, row) pairs are sorted in
#: memory at once (~280 tokens an article: ~3 M pairs, a few 8-byte arrays of them).
BUCKET_ROWS = 10_000


def postings(df: pl.DataFrame, chunk: int = CHUNK_ROWS, *, ordered: bool = True
             ) -> pl.DataFrame:
    """``word, rows``: each distinct folded word of the titles and texts of ``df`` (rows
    numbered in ``df``'s order) and the sorted rows holding it, in word order.

    Why tokens before folding: folding every text costs more than everything else here
    (SaudiNewsNet: 4 of 8 CPU-s). Every step of :func:`akhbar.folding.fold_expr` acts on
    one character at a time and a space is never dropped, so the folded words of a text
    are exactly the folded words of its space-separated tokens (a token may still fold to
    several words, e.g. ``"كلمة،أخرى"`` or one holding a newline). So each chunk of rows is
    split on spaces, made distinct per row and grouped by token; only the distinct tokens
    of the whole frame (SaudiNewsNet: 0.6 M, against 95 MB of text) are folded. Memory:
    one chunk's (token, row) pairs and the per-chunk groups, never the folded texts.
    ``ordered=False``: words in no particular order (:func:`build` sorts them later)."""
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
    if df.height > chunk:  # else each token is in one group already
        by_token = by_token.group_by("token").agg(pl.col("row").explode())
    words = (by_token.select(folding.fold_expr(pl.col("token")).str.split(" ").alias("word"),
                             "row")
             .explode("word").filter(pl.col("word") != ""))
    # several tokens fold to one word (``قال`` and ``قال،``): unite their rows
    out = words.group_by("word").agg(pl.col("row").explode().unique().sort().alias("rows"))
    return out.sort("word") if ordered else out


def varints(values: np.ndarray, chunk: int = 1 << 20) -> bytes:
    """Unsigned LEB128 of each value, vectorized (a Python loop over SaudiNewsNet's six
    million postings takes seconds), ``chunk`` values at a time (its temporary arrays
    are a few times the values' size)."""
    return b"".join(_varints(values[a:a + chunk]) for a in range(0, len(values), chunk))


def _varints(values: np.ndarray) -> bytes:
    v = values.astype(np.uint64)
    top = int(v.max(initial=0))
    n = np.ones(len(v), dtype=np.int64)
    for k in range(1, 10):
        if top < 1 << (7 * k):  # no value has this byte (row gaps rarely need three)
            break
        n += v >= np.uint64(1 << (7 * k))
    pos = np.cumsum(n) - n
    out = np.zeros(int(n.sum()), dtype=np.uint8)
    for k in range(int(n.max(initial=0))):
        m = n > k
        low = ((v[m] >> np.uint64(7 * k)) & np.uint64(0x7F)).astype(np.uint8)
        out[pos[m] + k] = low | np.where(n[m] > k + 1, 0x80, 0).astype(np.uint8)
    return out.tobytes()


def _words(index: pl.DataFrame) -> bytes:
    """The vocabulary part of ``index``'s words: each word followed by a newline."""
    return "".join(w + "\n" for w in index.get_column("word").to_list()).encode("utf-8")


def _lists(index: pl.DataFrame) -> bytes:
    """The postings part of ``index``: per word, its count, first row and gaps."""
    flat = index.select(pl.concat_list(
        pl.col("rows").list.len().cast(pl.Int64),
        pl.col("rows").list.first().cast(pl.Int64),
        pl.col("rows").list.diff().list.slice(1).cast(pl.List(pl.Int64)),
    ).alias("v")).explode("v").get_column("v")
    return varints(flat.to_numpy())


def encode(index: pl.DataFrame) -> bytes:
    """The uncompressed payload (see the module docstring) of a :func:`postings` frame."""
    vocab = b"\n" + _words(index)
    return struct.pack("<I", len(vocab)) + vocab + _lists(index)


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


def save(built: tuple[str | Path, int], data_dir: Path) -> dict[str, Any]:
    """Put a :func:`script` result (the text) or a :func:`build` result (the file, moved
    and its temporary folder removed) into ``data_dir``; the page's meta entry."""
    text, words = built
    if isinstance(text, Path):
        shutil.move(text, data_dir / FILE)
        shutil.rmtree(text.parent, ignore_errors=True)
    else:
        (data_dir / FILE).write_text(text, encoding="utf-8")
    return {"file": f"data/{FILE}", "words": words}


def _batches(files: Sequence[Path], rows: int) -> Iterator[pl.DataFrame]:
    """The titles and texts of ``files`` in order, ``rows`` at a time (Parquet batches:
    only one batch's texts are ever in memory)."""
    for f in files:
        pf = pq.ParquetFile(f)
        have = [c for c in ("title", "text") if c in pf.schema_arrow.names]
        if not have:  # no searchable column: the rows still count
            for g in range(pf.num_row_groups):
                n = pf.metadata.row_group(g).num_rows
                yield pl.DataFrame({"title": [None] * n}, schema={"title": pl.String})
            continue
        for batch in pf.iter_batches(batch_size=rows, columns=have):
            yield pl.from_arrow(batch)  # type: ignore[misc]


def build(files: Sequence[Path], out: Path, *, batch_rows: int = BATCH_ROWS,
          bucket_rows: int = BUCKET_ROWS) -> int:
    """Write the text of ``data/search.js`` for the rows of ``files`` (Parquet, read in
    order, rows numbered across them) to ``out``: byte for byte what :func:`script` of
    their concatenation writes; returns the number of words.

    Why not :func:`script`: it holds every title and text, their tokens and the whole
    index at once (8 GB at 300k articles), and groups strings (SaudiNewsNet: 12 CPU-s).
    Here (:mod:`akhbar.explore.streamindex`) each batch's (word, row) pairs are integers
    spilled by word range to a temporary folder; each range is then sorted alone and its
    words and postings appended to two files; the payload is streamed through zlib (same
    bytes as one-shot ``gzip.compress``, mtime 0) and base64 (cut at multiples of 3
    bytes) into ``out``. Memory is bounded by ``batch_rows`` and ``bucket_rows``."""
    total = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    ranges = streamindex.range_count(total, bucket_rows)
    with tempfile.TemporaryDirectory(prefix="akhbar-search-") as tmp:
        spill_dir = Path(tmp)
        spill = streamindex.spill_batches(_batches(files, batch_rows), spill_dir, ranges)
        words, vocab_len = 0, 1
        with open(spill_dir / "vocab", "wb") as vocab, \
                open(spill_dir / "lists", "wb") as lists:
            for sorted_words, rank, row in spill.ranges() if spill else ():
                chunk = (sorted_words.str.join("\n").item() + "\n").encode("utf-8")
                vocab.write(chunk)
                lists.write(varints(streamindex.flat(rank, row)))
                vocab_len, words = vocab_len + len(chunk), words + sorted_words.len()
        _stream(out, struct.pack("<I", vocab_len) + b"\n",
                [spill_dir / "vocab", spill_dir / "lists"])
    return words


def _stream(out: Path, head: bytes, parts: Sequence[Path], block: int = 3 << 20) -> None:
    """``AKHBAR.searchIndex("<base64 of gzip(head + parts)>");`` into ``out``, a block
    at a time."""
    deflate = zlib.compressobj(6, zlib.DEFLATED, 31)  # what gzip.compress(mtime=0) does
    pending = b""
    with open(out, "w", encoding="ascii") as dst:
        dst.write('AKHBAR.searchIndex("')

        def emit(data: bytes, last: bool = False) -> None:
            nonlocal pending
            pending += data
            cut = len(pending) if last else len(pending) - len(pending) % 3
            dst.write(base64.b64encode(pending[:cut]).decode("ascii"))
            pending = pending[cut:]

        emit(deflate.compress(head))
        for path in parts:
            with open(path, "rb") as src:
                while chunk := src.read(block):
                    emit(deflate.compress(chunk))
        emit(deflate.flush(), last=True)
        dst.write('");\n')


def build_site(files: Sequence[Path]) -> tuple[Path, int]:
    """:func:`build` into a file of a new temporary folder (:func:`save` moves it)."""
    out = Path(tempfile.mkdtemp(prefix="akhbar-search-js-")) / FILE
    try:
        return out, build(files, out)
    except BaseException:  # a failed build leaves no temporary folder behind
        shutil.rmtree(out.parent, ignore_errors=True)
        raise


def read(data_dir: Path) -> dict[str, list[int]]:
    """The index of a written site, decoded (for tests and checks)."""
    text = (data_dir / FILE).read_text(encoding="utf-8")
    b64 = text[len('AKHBAR.searchIndex("'):-len('");\n')]
    return decode(gzip.decompress(base64.b64decode(b64)))
