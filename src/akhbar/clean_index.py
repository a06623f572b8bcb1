"""Pass 1 of the ``clean`` stage (:mod:`akhbar.clean`): the corpus-level statistics and
the spill of normalized batches that pass 2 reads back.

Why a module of its own: pass 1 is the stage's corpus-level half (the per-source line
index, the yeh evidence) and the one place that decides what pass 2 need not compute
again (the normalization steps 1-4, the folded line hashes); :mod:`akhbar.clean` is
pass 2 and the report.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from akhbar import io, streaming
from akhbar.boilerplate import BoilerplateParams, LineIndex, batch_lines, row_hashes
from akhbar.chars import PERSIAN_MAPPED
from akhbar.persian import persian_series
from akhbar.text import (
    Steps,
    normalize_expr,
    normalize_frame,
    yeh_evidence_from_counts,
    yeh_word_counts,
)

TEXT_COLUMNS = ("title", "text", "author", "dateline")
LIST_COLUMNS = ("tags", "related_titles")
COLUMNS = (*TEXT_COLUMNS, *LIST_COLUMNS)

Counts = dict[str, dict[str, int]]


class Spill:
    """Pass 1's output for pass 2, in a temporary folder: per input batch ``i``, the batch
    after the normalization steps 1-4 with the hashes of its folded lines (``__h``), as an
    uncompressed Arrow IPC file (read back with no decoding), and ``rows/part-i.parquet``,
    a one-column file of as many null rows: the streaming loop's input, which needs the
    rows' count and order, not their values (pass 2 reads the spill on its threads)."""

    def __init__(self, root: Path) -> None:
        self.root, self.rows = root, root / "rows"
        self.rows.mkdir(parents=True)

    def write(self, i: int, frame: pl.DataFrame) -> None:
        frame.write_ipc(self.root / f"spill-{i:06d}.arrow", compression="uncompressed")
        pq.write_table(pa.table({"row": pa.nulls(frame.height)}),
                       self.rows / f"part-{i:06d}.parquet", compression="none")

    def frame(self, i: int) -> pl.DataFrame:
        return pl.read_ipc(self.root / f"spill-{i:06d}.arrow")

    def read(self) -> Iterator[pl.DataFrame]:
        for path in sorted(self.root.glob("spill-*.arrow")):
            yield pl.read_ipc(path)


def index_pass(inp: Path, bp: BoilerplateParams, batch_size: int, min_evidence: int,
                spill: Spill | None = None) -> tuple[LineIndex, dict[str, str], Counts]:
    """Pass 1: the line index and the yeh evidence of the whole input, and (with ``spill``)
    the counts of normalization steps 1-4. The index sees the text with its frames
    (akhbar.residue runs in pass 2 only, halving its cost): a frame line it counts is gone
    before pass 2 looks it up, and a line an inline cut changes (the sentence after a
    share widget) is content, never a repeated line.

    The costly per-batch work (normalize, split and fold the lines, yeh words) is
    independent from batch to batch and runs in worker threads (polars releases the GIL);
    the index takes the results in input order, so which copy of a body counts first is
    the same as in one thread."""
    index = LineIndex(bp)
    word_counts: list[pl.DataFrame] = []
    counts: Counts = {c: Counter() for c in COLUMNS}
    # The evidence decides words ending in a Farsi yeh: with none in the corpus it is
    # empty, whatever the other counts. With a spill, a batch's words are counted only
    # once a batch with a Persian letter was seen (the later ones may hold the twins of its
    # words); the batches passed before are counted from the spill at the end, if needed.
    farsi = threading.Event()
    if spill is None:
        farsi.set()
    skipped: list[int] = []

    def work(item: tuple[int, pl.DataFrame]
             ) -> tuple[int, pl.DataFrame, pl.DataFrame, pl.DataFrame | None, Counts]:
        i, batch = item
        if spill is None:
            base, got = batch.with_columns(normalize_expr(pl.col("text"), steps="base")), {}
        else:
            base, got = normalize_columns(batch, None, "base")
        text = base.get_column("text")
        persian = text.str.contains(PERSIAN_MAPPED).fill_null(False)
        undecided = persian_series(text, None, True, persian)  # word-final ی left as it is
        bodies, lines, all_lines = batch_lines(base.select("source", undecided), bp)
        if spill is not None:  # rows with a Persian letter: folded again in pass 2
            hashes = row_hashes(all_lines, base.height)
            spill.write(i, base.with_columns(
                pl.when(persian).then(None).otherwise(hashes).alias("__h")))
        if persian.any():
            farsi.set()
        words = yeh_word_counts(undecided, normalized=True) if farsi.is_set() else None
        return i, bodies, lines, words, got

    def add(words: pl.DataFrame) -> None:
        nonlocal word_counts
        word_counts.append(words)
        if len(word_counts) > 8:  # keep the partial counts compact
            word_counts = [pl.concat(word_counts).group_by("word").agg(pl.col("n").sum())]

    batches = io.read_batches(inp, batch_size,
                              columns=None if spill is not None else ["source", "text"])
    for i, bodies, lines, words, got in streaming.ordered_map(work, enumerate(batches), 2):
        index.add_lines(bodies, lines)
        if words is None:
            skipped.append(i)
        else:
            add(words)
        for column, c in got.items():
            counts[column].update(c)
    if farsi.is_set() and spill is not None:
        for i in skipped:
            text = spill.frame(i).get_column("text")
            add(yeh_word_counts(persian_series(text, None, True), normalized=True))
    words = (pl.concat(word_counts).group_by("word").agg(pl.col("n").sum()) if word_counts
             else pl.DataFrame(schema={"word": pl.String, "n": pl.Int64}))
    return index, yeh_evidence_from_counts(words, min_evidence), counts


def _normalize_lists(df: pl.DataFrame, column: str, evidence: dict[str, str] | None,
                     steps: Steps) -> tuple[pl.DataFrame, dict[str, int]]:
    """Normalize every element of a list column; counts from the flattened elements."""
    flat = df.select(pl.col(column).explode().drop_nulls().alias("e"))
    _, counts = normalize_frame(flat, "e", evidence, steps=steps)
    out = df.with_columns(pl.col(column).list.eval(
        normalize_expr(pl.element(), evidence, steps=steps)))
    return out, counts


def normalize_columns(batch: pl.DataFrame, evidence: dict[str, str] | None, steps: Steps
               ) -> tuple[pl.DataFrame, Counts]:
    """``steps`` of the normalization on every text column and list element, counted."""
    counts: Counts = {}
    for column in TEXT_COLUMNS:
        batch, counts[column] = normalize_frame(batch, column, evidence, steps=steps)
    for column in LIST_COLUMNS:
        batch, counts[column] = _normalize_lists(batch, column, evidence, steps)
    return batch, counts
