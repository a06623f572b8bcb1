"""The ``clean`` stage: normalize the Arabic text and cut per-source boilerplate lines.

Two streamed passes over the parsed parts (memory holds only the indexes):

1. normalize ``text`` (word-final Farsi yeh left undecided) and feed the per-source line
   index (:class:`akhbar.boilerplate.LineIndex`) and the yeh-evidence word counts;
2. normalize ``title``, ``text``, ``author``, ``dateline`` and the elements of ``tags`` and
   ``related_titles`` with that evidence, drop the boilerplate lines from ``text``, reject
   rows whose text is left empty (``clean:empty-after-clean``) and write the rest in input
   order. ``id`` is not touched (it hashes the URL, or ``akhbar.ids.id_text`` of the body).

Both passes run their per-batch work on 2 threads (:func:`akhbar.streaming.ordered_map`:
polars releases the GIL) and take the results in input order, so the output and the report
do not depend on the threads; pass 1's line counts spill to disk past a fixed size (bounded memory).

``report.stats`` holds, sorted and JSON-ready: the change counts per column and kind
(:data:`akhbar.text.COUNT_KINDS`), the boilerplate lines per source (top
``boilerplate.report_top``, with how many articles carry them and how many were cut) and the
yeh-evidence size.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from akhbar import io, streaming
from akhbar import params as params_mod
from akhbar.boilerplate import (
    BoilerplateParams,
    LineIndex,
    body_keys,
    body_lines,
    remove_lines,
)
from akhbar.chars import ALEF_MAQSURA
from akhbar.residue import ResidueParams, ResidueReport, strip_frames
from akhbar.stage import StageReport, rejected_frame
from akhbar.text import (
    COUNT_KINDS,
    normalize_expr,
    normalize_frame,
    yeh_evidence_from_counts,
    yeh_word_counts,
)

STAGE = "clean"
REASON_EMPTY = "clean:empty-after-clean"
TEXT_COLUMNS = ("title", "text", "author", "dateline")
LIST_COLUMNS = ("tags", "related_titles")


@dataclass(frozen=True)
class Corpus:
    """Pass 1's corpus-level decision, all pass 2 needs: the boilerplate lines
    (source, h, docs, articles), the distinct articles per source (source, articles) and
    the yeh evidence. :func:`first_pass` computes it locally; a cluster computes it with
    :mod:`akhbar.boilerplate`'s map / combine / decide and hands it to :func:`run`."""

    boilerplate: pl.DataFrame
    articles: pl.DataFrame
    evidence: dict[str, str]


def first_pass(inp: Path, params: params_mod.Params | params_mod.RawParams) -> Corpus:
    """Pass 1 over the whole of ``inp`` (see :func:`_first_pass`)."""
    section = params_mod.typed(params).clean
    index, evidence = _first_pass(Path(inp), section.boilerplate, section.batch_size,
                                  section.persian_yeh_min_evidence)
    return Corpus(index.boilerplate(), index.articles(), evidence)


def _first_pass(inp: Path, bp: BoilerplateParams, batch_size: int,
                min_evidence: int) -> tuple[LineIndex, dict[str, str]]:
    """Pass 1: the line index and the yeh evidence of the whole input. The index sees the
    text with its frames (akhbar.residue runs in pass 2 only, halving its cost): a frame
    line it counts is gone before pass 2 looks it up, and a line an inline cut changes
    (the sentence after a share widget) is content, never a repeated line.

    The costly per-batch work (normalize, split and fold the lines, yeh words) is
    independent from batch to batch and runs in worker threads (polars releases the GIL);
    the index takes the results in input order, so which copy of a body counts first is
    the same as in one thread."""
    index = LineIndex(bp)
    word_counts: list[pl.DataFrame] = []

    def work(batch: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        batch = batch.with_columns(normalize_expr(pl.col("text"), keep_final_yeh=True))
        bodies = body_keys(batch)
        return (bodies.select("source", "body"), body_lines(bodies, bp),
                yeh_word_counts(batch.get_column("text"), normalized=True))

    batches = io.read_batches(inp, batch_size, columns=["source", "text"])
    for bodies, lines, words in streaming.ordered_map(work, batches, 2):
        index.add_lines(bodies, lines)
        word_counts.append(words)
        if len(word_counts) > 8:  # keep the partial counts compact
            word_counts = [pl.concat(word_counts).group_by("word").agg(pl.col("n").sum())]
    counts = (pl.concat(word_counts).group_by("word").agg(pl.col("n").sum()) if word_counts
              else pl.DataFrame(schema={"word": pl.String, "n": pl.Int64}))
    return index, yeh_evidence_from_counts(counts, min_evidence)


def _normalize_lists(df: pl.DataFrame, column: str, evidence: dict[str, str]
                     ) -> tuple[pl.DataFrame, dict[str, int]]:
    """Normalize every element of a list column; counts from the flattened elements."""
    flat = df.select(pl.col(column).explode().drop_nulls().alias("e"))
    _, counts = normalize_frame(flat, "e", evidence)
    out = df.with_columns(pl.col(column).list.eval(normalize_expr(pl.element(), evidence)))
    return out, counts


def _merge_forms(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """Sum partial (source, h, line, n) counts of removed lines."""
    if not parts:
        return pl.DataFrame(schema={"source": pl.String, "h": pl.UInt64, "line": pl.String,
                                    "n": pl.UInt32})
    return (pl.concat(parts).group_by("source", "h", "line")
            .agg(pl.col("n").sum().cast(pl.UInt32)))


def _report_lines(removed: pl.DataFrame, table: pl.DataFrame, articles: pl.DataFrame,
                  top: int) -> dict[str, Any]:
    """Per source: articles counted, boilerplate lines found, lines cut, top lines."""
    # representative text of a folded line: its most frequent surface form (ties: min)
    forms = removed.sort("source", "h", "n", "line", descending=[False, False, True, False])
    per_line = forms.group_by("source", "h", maintain_order=True).agg(
        pl.col("n").sum().cast(pl.UInt32).alias("removed"), pl.col("line").first())
    lines = (table.join(per_line, on=["source", "h"], how="left")
             .with_columns(pl.col("removed").fill_null(0))
             .sort(["source", "docs", "removed", "line", "h"],
                   descending=[False, True, True, False, False], nulls_last=True))
    sources: dict[str, Any] = {}
    for src, n_articles in articles.iter_rows():
        mine = lines.filter(pl.col("source") == src)
        sources[src] = {
            "articles": int(n_articles),
            "boilerplate_lines": mine.height,
            "lines_removed": int(mine.get_column("removed").sum() or 0),
            "top": [{"line": r["line"], "docs": int(r["docs"]), "removed": int(r["removed"])}
                    for r in mine.head(top).iter_rows(named=True)],
        }
    return sources


@dataclass(frozen=True)
class _Done:
    """One batch of pass 2, computed: its output rows and what the report counts of it."""

    rows: int
    counts: dict[str, dict[str, int]]
    frames: pl.DataFrame | None
    repeated: pl.DataFrame
    positions: dict[str, int]
    changed: int
    footers: int
    removed: pl.DataFrame
    kept: pl.DataFrame
    rejects: pl.DataFrame


class _Cleaner:
    """Pass 2's state: the evidence of pass 1 and the counts the report is made of."""

    def __init__(self, corpus: Corpus, bp: BoilerplateParams, rp: ResidueParams,
                 min_chars: int, whole: bool = True) -> None:
        self.corpus, self.evidence, self.table = corpus, corpus.evidence, corpus.boilerplate
        # whole=False: one part of the input; the corpus-level parts of the report are
        # left empty for :func:`merge_parts`
        self.whole = whole
        self.bp, self.rp, self.min_chars = bp, rp, min_chars
        self.counts: dict[str, Counter[str]] = {c: Counter()
                                                for c in (*TEXT_COLUMNS, *LIST_COLUMNS)}
        self.positions: Counter[str] = Counter()
        self.removed_parts: list[pl.DataFrame] = []
        self.residue = ResidueReport(rp)
        self.articles_changed = self.footers_cut = 0
        self._ahead: Iterator[_Done] | None = None

    def close(self) -> None:
        """Stop the threads of :meth:`start` (they have nothing left to read)."""
        if self._ahead is not None:
            self._ahead.close()  # type: ignore[attr-defined]
            self._ahead = None

    def start(self, inp: Path, batch_size: int) -> None:
        """Pass 2's per-batch work (:meth:`compute`) on 2 threads ahead of the streaming
        loop, over the same batches the loop reads (same file, same batch size): the loop
        then only takes each result in input order (:meth:`step`)."""
        self._ahead = streaming.ordered_map(self.compute, io.read_batches(inp, batch_size), 2)

    def step(self, batch: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The kept and rejected rows of ``batch``; the report's counts, in input order."""
        done = self.compute(batch) if self._ahead is None else next(self._ahead)
        if done.rows != batch.height:  # pragma: no cover - the same reader twice
            raise RuntimeError("clean: the prefetched batch is not the loop's batch")
        for column, c in done.counts.items():
            self.counts[column].update(c)
        if done.frames is not None:
            self.residue.add(done.frames)
        self.residue.add(done.repeated)
        self.positions.update(done.positions)
        self.articles_changed += done.changed
        self.footers_cut += done.footers
        self.removed_parts.append(done.removed)
        if len(self.removed_parts) > 8:
            self.removed_parts = [_merge_forms(self.removed_parts)]
        return done.kept, done.rejects

    def compute(self, batch: pl.DataFrame) -> _Done:
        """Normalize, strip frames and boilerplate lines; reject what is left empty. Reads
        only pass 1's decision (safe on a worker thread)."""
        counts: dict[str, dict[str, int]] = {}
        rows = batch.height
        for column in TEXT_COLUMNS:
            batch, counts[column] = normalize_frame(batch, column, self.evidence)
        for column in LIST_COLUMNS:
            batch, counts[column] = _normalize_lists(batch, column, self.evidence)
        framed, frames = batch, None
        if self.rp.enabled:
            ftext, ftags, frames = strip_frames(batch, self.rp)
            framed = batch.with_columns(ftext, ftags)
        texts, removed = remove_lines(framed, self.table, max_words=self.bp.max_line_words)
        empty = (texts.is_null() | (texts.str.len_chars() < self.min_chars)).alias("__empty")
        rejects = rejected_frame(
            batch.filter(empty), STAGE, REASON_EMPTY,
            detail=f"text has fewer than {self.min_chars} character(s) after normalization "
                   "and boilerplate removal (text shown before the line removal)")
        return _Done(
            rows=rows, counts=counts, frames=frames,
            repeated=removed.select("__row", "source", pl.lit("repeated-line")
                                    .alias("pattern"), "line"),
            positions=dict(removed.group_by("position").len().iter_rows()),
            changed=removed.get_column("__row").n_unique(),
            footers=(removed.filter(pl.col("position") == "footer")
                     .get_column("__row").n_unique()),
            removed=io.compact(removed.group_by("source", "h", "line").agg(pl.len().alias("n"))),
            kept=framed.with_columns(texts).filter(~empty), rejects=rejects)

    def removed(self) -> pl.DataFrame:
        """The removed boilerplate lines so far: (source, h, line, n)."""
        self.removed_parts = [_merge_forms(self.removed_parts)]
        return self.removed_parts[0]

    def stats(self) -> dict[str, Any]:
        self.close()
        positions = self.positions
        if self.whole:
            sources = _report_lines(self.removed(), self.table, self.corpus.articles,
                                    self.bp.report_top)
            residue, yeh = self.residue.to_dict(), _yeh_stats(self.evidence)
        else:
            sources, residue, yeh = {}, {}, {}
        return {
            "normalize": {col: {k: int(c.get(k, 0)) for k in COUNT_KINDS}
                          for col, c in sorted(self.counts.items())},
            "boilerplate": {
                "lines_removed": int(sum(positions.values())),
                "lines_removed_by_position": {k: int(positions.get(k, 0))
                                              for k in ("footer", "header", "middle", "whole")},
                "articles_changed": int(self.articles_changed),
                "articles_with_footer_cut": int(self.footers_cut),
                "sources": sources,
            },
            "residue": residue,
            "yeh_evidence": yeh,
        }


def _yeh_stats(evidence: dict[str, str]) -> dict[str, int]:
    return {
        "words": len(evidence),
        "to_alef_maqsura": sum(v.endswith(ALEF_MAQSURA) for v in evidence.values()),
        "to_yeh": sum(not v.endswith(ALEF_MAQSURA) for v in evidence.values()),
    }


def _run(inp: Path, out: Path, rejected: Path,
         params: params_mod.Params | params_mod.RawParams, corpus: Corpus | None,
         whole: bool) -> tuple[StageReport, _Cleaner | None]:
    section = params_mod.typed(params).clean
    bp, rp, min_chars = section.boilerplate, section.residue, section.min_text_chars
    made: list[_Cleaner] = []

    def prepare(inp: Path) -> _Cleaner:
        made.append(_Cleaner(corpus if corpus is not None else first_pass(inp, params),
                             bp, rp, min_chars, whole))
        made[0].start(inp, section.batch_size)
        return made[0]

    passes = streaming.Passes(lambda batch, cleaner: cleaner.step(batch), prepare,
                              _Cleaner.stats)
    report = streaming.run(STAGE, Path(inp), Path(out), Path(rejected), passes,
                           batch_size=section.batch_size,
                           rows_per_file=section.rows_per_file)
    return report, (made[0] if made else None)


def run(inp: Path, out: Path, rejected: Path,
        params: params_mod.Params | params_mod.RawParams, *,
        corpus: Corpus | None = None) -> StageReport:
    """Clean the ARTICLE_SCHEMA parts of ``inp`` into ``out``; see the module docstring.
    ``corpus``: pass 1's decision computed elsewhere (a cluster's aggregation over every
    part); without it, pass 1 runs over ``inp``."""
    return _run(inp, out, rejected, params, corpus, whole=True)[0]


@dataclass(frozen=True)
class Part:
    """What one part's run leaves for :func:`merge_parts`: its removed boilerplate lines
    (source, h, line, n) and its residue counts and samples."""

    removed: pl.DataFrame
    residue: ResidueReport


def run_part(inp: Path, out: Path, rejected: Path,
             params: params_mod.Params | params_mod.RawParams, corpus: Corpus
             ) -> tuple[StageReport, Part]:
    """:func:`run` on one part of a corpus with the corpus's ``corpus`` decision. Its
    report's per-source lines, residue and yeh-evidence entries are empty: they do not
    add up across parts, :func:`merge_parts` computes them from every :class:`Part`."""
    report, cleaner = _run(inp, out, rejected, params, corpus, whole=False)
    if cleaner is None:  # pragma: no cover - streaming.run always prepares
        raise RuntimeError("clean: the streaming loop did not prepare")
    return report, Part(cleaner.removed(), cleaner.residue)


def merge_parts(stats: dict[str, Any], parts: list[Part], corpus: Corpus,
                params: params_mod.Params | params_mod.RawParams) -> None:
    """Fill the summed stats of :func:`run_part` reports (``parts`` in input order) with
    the entries that do not add up, as one :func:`run` over the whole input has them."""
    section = params_mod.typed(params).clean
    residue = ResidueReport(section.residue)
    for part in parts:
        residue.merge(part.residue)
    stats["boilerplate"]["sources"] = _report_lines(
        _merge_forms([p.removed for p in parts]), corpus.boilerplate, corpus.articles,
        section.boilerplate.report_top)
    stats["residue"] = residue.to_dict()
    stats["yeh_evidence"] = _yeh_stats(corpus.evidence)
