"""The search index's postings, built from integer (word, row) pairs and streamed.

Why integers: grouping strings into lists is what the index cost (SaudiNewsNet: ~12
CPU-s, most of it polars grouping tokens and then words, three times over). Here a
batch's tokens are numbered by sorting integer keys made of their 64-bit hashes
(:func:`_number`: exact, hashes never decide); only the distinct tokens are folded, and
every (row, token) pair becomes (word entry, row) pairs by numpy gathers. The pairs are
spilled by word range; a range's words are then numbered and sorted once, and its
postings are a sort of 64-bit ``rank << 32 | row`` keys. The bytes are those of
:func:`akhbar.explore.search.script`.

Memory: one batch of texts and its pairs, then one word range's pairs (8 bytes a pair,
spilled raw to a temporary folder, rewritten and sorted in place) and words, and one piece
of ``STEP`` pairs at a time (at 1M synthetic articles the first batch's guess put 24.6M of
343M pairs in one range: decoding it whole took ~1 GB).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.compute as pc

from akhbar import folding

_LOW = np.uint64(0xFFFFFFFF)
#: Values compared with their group's first at a time by :func:`_number`.
COMPARE = 1 << 18
#: Pairs of one piece of a word range (:meth:`Spill.ranges`): 32 MB of keys.
STEP = 1 << 22


def _hash(s: pl.Series) -> np.ndarray:
    """The strings' 64-bit hashes (a function of its own: tests replace it)."""
    return s.hash(seed=0).to_numpy()


def _number(values: pl.Series) -> tuple[pl.Series, np.ndarray]:
    """``(distinct, at)``: the distinct strings of ``values`` (in no useful order) and
    each value's position among them.

    Why not a hash table of strings (polars ``unique``, Arrow ``dictionary_encode``):
    sorting integers is several times cheaper. Each value's 64-bit hash keeps its high
    bits and takes the value's position as its low bits; one sort of these keys groups
    the values by hash prefix, and the first of each group stands for it. Hashes never
    decide: every value is compared with its group's first, and the few that differ
    (two strings sharing a prefix) are numbered exactly, by their strings, after the
    others (a string's every copy has its hash, so it is in the same group)."""
    n = values.len()
    if n == 0:
        return values, np.zeros(0, dtype=np.int64)
    values = values.rechunk()  # gathers from one chunk are several times faster
    bits = max(1, (n - 1).bit_length())
    low = np.uint64((1 << bits) - 1)
    keys = (_hash(values) & ~low) | np.arange(n, dtype=np.uint64)
    keys.sort()
    first = np.empty(n, dtype=bool)
    first[0] = True
    np.not_equal(keys[1:] & ~low, keys[:-1] & ~low, out=first[1:])
    pos = (keys & low).astype(np.int64)
    del keys
    at = np.empty(n, dtype=np.int64)
    at[pos] = np.cumsum(first) - 1
    distinct = values.gather(pos[first])
    del pos, first
    # each value against its group's first, a slice at a time (bounded memory)
    differ = np.concatenate([(distinct.gather(at[a:a + COMPARE]) != values.slice(a, COMPARE))
                             .to_numpy() for a in range(0, n, COMPARE)])
    if differ.any():  # hash prefixes shared by different strings: number those exactly
        odd = np.flatnonzero(differ)
        enc = pc.dictionary_encode(values.gather(odd).to_arrow())
        at[odd] = distinct.len() + enc.indices.to_numpy()
        distinct = pl.concat([distinct, pl.Series(values.name, enc.dictionary,
                                                  dtype=values.dtype)])
    return distinct, at


def _tokens(batch: pl.DataFrame, cols: list[str]) -> pl.DataFrame:
    """``row, t``: every space-separated token of the titles and texts (a row's
    repeated tokens included: pairs are made distinct by the range's sort)."""
    return pl.concat([batch.select(pl.col(c).fill_null("").str.split(" ").alias("t"))
                      .with_row_index("row").explode("t") for c in cols])


def batch_pairs(batch: pl.DataFrame) -> tuple[pl.Series, np.ndarray, np.ndarray]:
    """``(entries, entry, row)`` of one batch of titles and texts: the folded words of its
    distinct tokens (a word may be there more than once) and, for each token of each
    row, the entries of its words (rows numbered in the batch).

    Folded words of a text are the folded words of its space-separated tokens (see
    :func:`akhbar.explore.search.postings`), so only distinct tokens are folded."""
    cols = [c for c in ("title", "text") if c in batch.columns]
    none = np.zeros(0, dtype=np.int64)
    if not cols or batch.height == 0:
        return pl.Series("w", [], dtype=pl.String), none, none
    tok = _tokens(batch, cols)
    tokens, at = _number(tok.get_column("t"))
    row = tok.get_column("row").to_numpy().astype(np.int64)
    del tok
    split = (folding.fold_expr(tokens).str.split(" ").to_frame("w").with_row_index("tok")
             .explode("w").filter(pl.col("w") != ""))
    # token -> its entries: the exploded words come in token order
    per_tok = np.bincount(split.get_column("tok").to_numpy(), minlength=tokens.len())
    first = (np.cumsum(per_tok) - per_tok)[at]
    n = per_tok[at]
    # most tokens fold to one word: gather those; repeat only the others' pairs (the
    # pairs' order does not matter: each word range sorts its own)
    one, many = n == 1, n > 1
    n_many = n[many]
    k = np.arange(int(n_many.sum())) - np.repeat(np.cumsum(n_many) - n_many, n_many)
    entry = np.concatenate([first[one], np.repeat(first[many], n_many) + k])
    return split.get_column("w"), entry, np.concatenate([row[one],
                                                         np.repeat(row[many], n_many)])


def bounds(entries: pl.Series, entry: np.ndarray, buckets: int) -> pl.Series:
    """``buckets - 1`` words cutting the vocabulary into ranges holding about as many
    pairs each, guessed from the first batch (its ``entries`` and its pairs' ``entry``)."""
    if buckets <= 1 or entries.len() == 0:
        return pl.Series("w", [], dtype=pl.String)
    order = entries.arg_sort().to_numpy()
    weight = np.cumsum(np.bincount(entry, minlength=entries.len())[order])
    at = np.searchsorted(weight, weight[-1] * np.arange(1, buckets) / buckets)
    return entries.gather(order[np.minimum(at, len(order) - 1)]).unique(maintain_order=True)


class Spill:
    """Per word range ``k`` under ``folder``: each batch's entries of the range
    (``<k>-<batch>.parquet``) and its pairs appended raw to ``<k>.pairs`` as
    ``entry << 32 | row`` (entry: its position in that batch's file; row: across
    batches), with the number of pairs each batch added."""

    def __init__(self, folder: Path, cut: pl.Series) -> None:
        self.folder, self.cut, self.batches = folder, cut, 0
        self.added: dict[int, list[tuple[int, int]]] = {}  # k -> [(batch, pairs)]

    def add(self, entries: pl.Series, entry: np.ndarray, row: np.ndarray, offset: int
            ) -> None:
        """Spill one batch's pairs (rows shifted by ``offset``) to their ranges."""
        of_entry = (self.cut.search_sorted(entries, side="right").to_numpy()
                    if self.cut.len() else np.zeros(entries.len(), dtype=np.int64))
        # each entry's position among its range's entries of this batch
        local = np.empty(len(of_entry), dtype=np.uint64)
        by_range = np.argsort(of_entry, kind="stable")
        ks, starts = np.unique(of_entry[by_range], return_index=True)
        for k, mine in zip(ks, np.split(by_range, starts[1:]), strict=True):
            local[mine] = np.arange(len(mine), dtype=np.uint64)
            entries.gather(mine).to_frame("w").write_parquet(
                self.folder / f"{k}-{self.batches:06d}.parquet", compression="lz4",
                statistics=False)
        keys = (local[entry] << np.uint64(32)) | (row + offset).astype(np.uint64)
        of_pair = of_entry[entry]
        order = np.argsort(of_pair.astype(np.uint16) if len(self.cut) < 1 << 16 else of_pair,
                           kind="stable")
        ks, starts = np.unique(of_pair[order], return_index=True)
        for k, part in zip(ks, np.split(order, starts[1:]), strict=True):
            with open(self.folder / f"{k}.pairs", "ab") as f:
                keys[part].tofile(f)
            self.added.setdefault(int(k), []).append((self.batches, len(part)))
        self.batches += 1

    def ranges(self, step: int | None = None
               ) -> Iterator[tuple[pl.Series, np.ndarray, np.ndarray]]:
        """Per range, in word order: its words in code point order, and their postings
        (word rank, row), distinct, sorted by word then row; each range's files are
        removed once read. A range comes in pieces of whole words of about ``step``
        pairs (the pieces, one after the other, are the range): the range's pairs are
        rewritten and sorted in place, so memory is one range's keys plus one piece,
        however unevenly the first batch's guess cut the vocabulary."""
        for k in range(len(self.cut) + 1):
            if k not in self.added:
                continue
            parts = [self.folder / f"{k}-{b:06d}.parquet" for b, _ in self.added[k]]
            tables = [pl.read_parquet(p).get_column("w") for p in parts]
            words, at = _number(pl.concat(tables))
            order = words.arg_sort().to_numpy()
            rank = np.empty(len(order), dtype=np.uint64)
            rank[order] = np.arange(len(order), dtype=np.uint64)
            rank = rank[at]  # of each entry of every batch's table, one after the other
            keys = np.fromfile(self.folder / f"{k}.pairs", dtype=np.uint64)
            for p in [*parts, self.folder / f"{k}.pairs"]:
                p.unlink()
            # entry positions are per batch: shift each batch's by its table's offset
            start, offset = 0, 0
            for t, (_, n) in zip(tables, self.added[k], strict=True):
                seg = keys[start:start + n]
                seg[:] = (rank[(seg >> np.uint64(32)) + np.uint64(offset)] << np.uint64(32)
                          ) | (seg & _LOW)
                start, offset = start + n, offset + t.len()
            keys.sort()
            yield from _pieces(words.gather(order), keys, step or STEP)


def _pieces(words: pl.Series, keys: np.ndarray, step: int
            ) -> Iterator[tuple[pl.Series, np.ndarray, np.ndarray]]:
    """Sorted ``rank << 32 | row`` keys of one range cut into pieces of whole words:
    (the piece's words, its distinct (rank, row)); every word of ``words`` is in one
    piece, in order (a word without postings too)."""
    n, start, first = len(keys), 0, 0
    while start < n:
        stop = min(n, start + step)
        if stop < n:  # end the piece where a word ends (a word is never cut)
            after = (keys[stop - 1] >> np.uint64(32)) + np.uint64(1)
            stop = int(np.searchsorted(keys, after << np.uint64(32)))
        part = keys[start:stop]
        part = part[np.r_[True, part[1:] != part[:-1]]]
        last = len(words) if stop >= n else int(part[-1] >> np.uint64(32)) + 1
        yield (words.slice(first, last - first), (part >> np.uint64(32)).astype(np.int64),
               (part & _LOW).astype(np.int64))
        start, first = stop, last
    if n == 0 and len(words):
        yield words, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)


def flat(rank: np.ndarray, row: np.ndarray) -> np.ndarray:
    """The postings part's values of sorted (rank, row) pairs: per word, its number of
    rows, its first row and the gaps to the next ones."""
    if not len(rank):
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, rank[1:] != rank[:-1]])
    counts = np.diff(np.r_[starts, len(rank)])
    gaps = np.empty_like(row)
    gaps[0] = row[0]
    gaps[1:] = row[1:] - row[:-1]
    gaps[starts] = row[starts]
    return np.insert(gaps, starts, counts)


def range_count(total_rows: int, bucket_rows: int) -> int:
    """How many word ranges to cut ``total_rows`` rows' pairs into."""
    return max(1, math.ceil(total_rows / bucket_rows))


def spill_batches(batches: Iterable[pl.DataFrame], folder: Path, ranges: int
                  ) -> Spill | None:
    """Spill every batch's pairs (rows numbered across the batches); None: no words."""
    spill, offset = None, 0
    for batch in batches:
        entries, entry, row = batch_pairs(batch)
        if spill is None and entries.len():
            spill = Spill(folder, bounds(entries, entry, ranges))
        if spill is not None and entries.len():
            spill.add(entries, entry, row, offset)
        offset += batch.height
    return spill
