"""The ``clean`` stage: normalize the Arabic text and cut per-source boilerplate lines.

Two streamed passes over the parsed parts (memory holds only the indexes):

1. run the normalization steps that need no corpus evidence (:mod:`akhbar.text` steps 1-4)
   on ``title``, ``text``, ``author``, ``dateline`` and the elements of ``tags`` and
   ``related_titles``; feed the per-source line index (:class:`akhbar.boilerplate.LineIndex`)
   and the yeh-evidence word counts from ``text`` with word-final Farsi yeh left undecided;
   spill each batch, normalized, with the hashes of its folded lines, to a temporary folder;
2. read the spill back: the Persian step (5) with that evidence, the template frames
   (:mod:`akhbar.residue`), the boilerplate lines of ``text`` (only the rows whose line
   hashes hit the index are split and folded again), reject rows whose text is left empty
   (``clean:empty-after-clean``) and write the rest in input order. ``id`` is not touched
   (it hashes the URL, or ``akhbar.ids.id_text`` of the body).

So each text is normalized once and each line folded once (pass 2 folds again only the
rows its frames or Persian letters changed, and the rows that lose a line). Given pass 1's
decision (:class:`Corpus`, from a cluster), pass 2 reads the parsed parts and normalizes
them whole itself.

Both passes run their per-batch work on 2 threads (:func:`akhbar.streaming.ordered_map`:
polars releases the GIL) and take the results in input order, so the output and the report
do not depend on the threads; pass 1's line counts spill to disk past a fixed size (bounded memory).

``report.stats`` holds, sorted and JSON-ready: the change counts per column and kind
(:data:`akhbar.text.COUNT_KINDS`), the boilerplate lines per source (top
``boilerplate.report_top``, with how many articles carry them and how many were cut) and the
yeh-evidence size.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from akhbar import io, streaming
from akhbar import params as params_mod
from akhbar.boilerplate import BoilerplateParams, remove_lines
from akhbar.chars import ALEF_MAQSURA
from akhbar.clean_index import (
    COLUMNS,
    Spill,
    index_pass,
    normalize_columns,
)
from akhbar.residue import ResidueParams, ResidueReport, strip_frames
from akhbar.stage import StageReport, rejected_frame
from akhbar.text import COUNT_KINDS

STAGE = "clean"
REASON_EMPTY = "clean:empty-after-clean"


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
    """Pass 1 over the whole of ``inp`` (see :func:`akhbar.clean_index.index_pass`)."""
    section = params_mod.typed(params).clean
    index, evidence, _ = index_pass(Path(inp), section.boilerplate, section.batch_size,
                                    section.persian_yeh_min_evidence)
    return Corpus(index.boilerplate(), index.articles(), evidence)


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
                 min_chars: int, whole: bool = True, spill: Spill | None = None) -> None:
        self.corpus, self.evidence, self.table = corpus, corpus.evidence, corpus.boilerplate
        self.spill = spill  # pass 1's normalized batches, or None: normalize here
        # whole=False: one part of the input; the corpus-level parts of the report are
        # left empty for :func:`merge_parts`
        self.whole = whole
        self.bp, self.rp, self.min_chars = bp, rp, min_chars
        self.counts: dict[str, Counter[str]] = {c: Counter() for c in COLUMNS}
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
        batches = io.read_batches(inp, batch_size) if self.spill is None else self.spill.read()
        self._ahead = streaming.ordered_map(self.compute, batches, 2)

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
        """Normalize (the Persian step only, on a spilled batch), strip frames and
        boilerplate lines; reject what is left empty. Reads only pass 1's decision (safe on
        a worker thread)."""
        rows, hashes = batch.height, None
        if self.spill is None:
            batch, counts = normalize_columns(batch, self.evidence, "all")
        else:
            hashes = batch.get_column("__h")
            batch, counts = normalize_columns(batch.drop("__h"), self.evidence, "persian")
        framed, frames = batch, None
        if self.rp.enabled:
            ftext, ftags, frames = strip_frames(batch, self.rp)
            framed = batch.with_columns(ftext, ftags)
        if hashes is not None:  # a row its frames changed is folded again
            same = framed.get_column("text").eq_missing(batch.get_column("text"))
            hashes = pl.select(pl.when(pl.lit(same)).then(pl.lit(hashes))).to_series()
        texts, removed = remove_lines(framed, self.table, max_words=self.bp.max_line_words,
                                      hashes=hashes)
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
    with tempfile.TemporaryDirectory(prefix="akhbar-clean-") as tmp:
        spill = Spill(Path(tmp)) if corpus is None else None

        def prepare(_: Path) -> _Cleaner:
            if spill is None:
                assert corpus is not None
                made.append(_Cleaner(corpus, bp, rp, min_chars, whole))
            else:
                index, evidence, counts = index_pass(
                    Path(inp), bp, section.batch_size, section.persian_yeh_min_evidence, spill)
                made.append(_Cleaner(Corpus(index.boilerplate(), index.articles(), evidence),
                                     bp, rp, min_chars, whole, spill))
                for column, c in counts.items():
                    made[0].counts[column].update(c)
            made[0].start(Path(inp), section.batch_size)
            return made[0]

        passes = streaming.Passes(lambda batch, cleaner: cleaner.step(batch), prepare,
                                  _Cleaner.stats)
        # the loop reads the spill's row counts (written by prepare), or the input itself
        report = streaming.run(STAGE, spill.rows if spill is not None else Path(inp),
                               Path(out), Path(rejected), passes,
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
