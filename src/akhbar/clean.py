"""The ``clean`` stage: normalize the Arabic text and cut per-source boilerplate lines.

Two streamed passes over the parsed parts (memory holds only the indexes):

1. normalize ``text`` (word-final Farsi yeh left undecided) and feed the per-source line
   index (:class:`akhbar.boilerplate.LineIndex`) and the yeh-evidence word counts;
2. normalize ``title``, ``text``, ``author``, ``dateline`` and the elements of ``tags`` and
   ``related_titles`` with that evidence, drop the boilerplate lines from ``text``, reject
   rows whose text is left empty (``clean:empty-after-clean``) and write the rest in input
   order. ``id`` is not touched (it hashes the URL, or ``akhbar.ids.id_text`` of the body).

``report.stats`` holds, sorted and JSON-ready: the change counts per column and kind
(:data:`akhbar.text.COUNT_KINDS`), the boilerplate lines per source (top
``boilerplate.report_top``, with how many articles carry them and how many were cut) and the
yeh-evidence size.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import polars as pl

from akhbar import io, streaming
from akhbar import params as params_mod
from akhbar.boilerplate import BoilerplateParams, LineIndex, remove_lines
from akhbar.chars import ALEF_MAQSURA
from akhbar.residue import ResidueParams, strip_frames
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


def _first_pass(inp: Path, bp: BoilerplateParams, batch_size: int,
                min_evidence: int) -> tuple[LineIndex, dict[str, str]]:
    """Pass 1: the line index and the yeh evidence of the whole input. The index sees the
    text with its frames (akhbar.residue runs in pass 2 only, halving its cost): a frame
    line it counts is gone before pass 2 looks it up, and a line an inline cut changes
    (the sentence after a share widget) is content, never a repeated line."""
    index = LineIndex(bp)
    word_counts: list[pl.DataFrame] = []
    for batch in io.read_batches(inp, batch_size, columns=["source", "text"]):
        batch = batch.with_columns(normalize_expr(pl.col("text"), keep_final_yeh=True))
        index.add(batch)
        word_counts.append(yeh_word_counts(batch.get_column("text"), normalized=True))
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


class ResidueReport:
    """Removals per source and pattern (frames of :mod:`akhbar.residue` and the per-source
    ``repeated-line`` boilerplate), with a bounded sample: the first
    ``samples_per_pattern`` removed lines of each (source, pattern) in input order, at
    most ``max_samples`` in all (deterministic: input order only)."""

    def __init__(self, p: ResidueParams) -> None:
        self.p = p
        self.counts: Counter[tuple[str, str]] = Counter()
        self.samples: dict[tuple[str, str], list[str]] = {}

    def add(self, removed: pl.DataFrame) -> None:
        if removed.is_empty():
            return
        for src, pat, n in removed.group_by("source", "pattern").len().iter_rows():
            self.counts[(src, pat)] += int(n)
        heads = (removed.group_by("source", "pattern", maintain_order=True)
                 .head(self.p.samples_per_pattern))
        for src, pat, line in heads.select("source", "pattern", "line").iter_rows():
            got = self.samples.setdefault((src, pat), [])
            if len(got) < self.p.samples_per_pattern:
                got.append(line)

    def to_dict(self) -> dict[str, Any]:
        per_source: dict[str, dict[str, int]] = {}
        for (src, pat), n in sorted(self.counts.items()):
            per_source.setdefault(src, {})[pat] = n
        # round robin: every (source, pattern)'s first line before any second one
        ranked = sorted((k, (s, p), line) for (s, p), lines in self.samples.items()
                        for k, line in enumerate(lines))
        samples = [{"source": s, "pattern": p, "line": line[:300]}
                   for _, (s, p), line in ranked[:self.p.max_samples]]
        samples.sort(key=lambda d: (d["source"], d["pattern"]))
        return {"per_source": per_source, "samples": samples}


class _Cleaner:
    """Pass 2's state: the evidence of pass 1 and the counts the report is made of."""

    def __init__(self, index: LineIndex, evidence: dict[str, str], bp: BoilerplateParams,
                 rp: ResidueParams, min_chars: int) -> None:
        self.index, self.evidence, self.table = index, evidence, index.boilerplate()
        self.bp, self.rp, self.min_chars = bp, rp, min_chars
        self.counts: dict[str, Counter[str]] = {c: Counter()
                                                for c in (*TEXT_COLUMNS, *LIST_COLUMNS)}
        self.positions: Counter[str] = Counter()
        self.removed_parts: list[pl.DataFrame] = []
        self.residue = ResidueReport(rp)
        self.articles_changed = self.footers_cut = 0

    def step(self, batch: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Normalize, strip frames and boilerplate lines; reject what is left empty."""
        for column in TEXT_COLUMNS:
            batch, c = normalize_frame(batch, column, self.evidence)
            self.counts[column].update(c)
        for column in LIST_COLUMNS:
            batch, c = _normalize_lists(batch, column, self.evidence)
            self.counts[column].update(c)
        framed = batch
        if self.rp.enabled:
            ftext, ftags, frames = strip_frames(batch, self.rp)
            framed = batch.with_columns(ftext, ftags)
            self.residue.add(frames)
        texts, removed = remove_lines(framed, self.table, max_words=self.bp.max_line_words)
        self.residue.add(removed.select("__row", "source", pl.lit("repeated-line")
                                        .alias("pattern"), "line"))
        self.positions.update(dict(removed.group_by("position").len().iter_rows()))
        self.articles_changed += removed.get_column("__row").n_unique()
        self.footers_cut += (removed.filter(pl.col("position") == "footer")
                             .get_column("__row").n_unique())
        self.removed_parts.append(io.compact(removed.group_by("source", "h", "line")
                                             .agg(pl.len().alias("n"))))
        if len(self.removed_parts) > 8:
            self.removed_parts = [_merge_forms(self.removed_parts)]
        empty = (texts.is_null() | (texts.str.len_chars() < self.min_chars)).alias("__empty")
        rejects = rejected_frame(
            batch.filter(empty), STAGE, REASON_EMPTY,
            detail=f"text has fewer than {self.min_chars} character(s) after normalization "
                   "and boilerplate removal (text shown before the line removal)")
        return framed.with_columns(texts).filter(~empty), rejects

    def stats(self) -> dict[str, Any]:
        removed_all = _merge_forms(self.removed_parts)
        evidence, positions = self.evidence, self.positions
        return {
            "normalize": {col: {k: int(c.get(k, 0)) for k in COUNT_KINDS}
                          for col, c in sorted(self.counts.items())},
            "boilerplate": {
                "lines_removed": int(sum(positions.values())),
                "lines_removed_by_position": {k: int(positions.get(k, 0))
                                              for k in ("footer", "header", "middle", "whole")},
                "articles_changed": int(self.articles_changed),
                "articles_with_footer_cut": int(self.footers_cut),
                "sources": _report_lines(removed_all, self.table, self.index.articles(),
                                         self.bp.report_top),
            },
            "residue": self.residue.to_dict(),
            "yeh_evidence": {
                "words": len(evidence),
                "to_alef_maqsura": sum(v.endswith(ALEF_MAQSURA) for v in evidence.values()),
                "to_yeh": sum(not v.endswith(ALEF_MAQSURA) for v in evidence.values()),
            },
        }


def run(inp: Path, out: Path, rejected: Path,
        params: params_mod.Params | params_mod.RawParams) -> StageReport:
    """Clean the ARTICLE_SCHEMA parts of ``inp`` into ``out``; see the module docstring."""
    section = params_mod.typed(params).clean
    bp, rp = section.boilerplate, section.residue
    batch_size, min_chars = section.batch_size, section.min_text_chars
    min_evidence = section.persian_yeh_min_evidence

    def prepare(inp: Path) -> _Cleaner:
        return _Cleaner(*_first_pass(inp, bp, batch_size, min_evidence), bp, rp, min_chars)

    passes = streaming.Passes(lambda batch, cleaner: cleaner.step(batch), prepare,
                              _Cleaner.stats)
    return streaming.run(STAGE, Path(inp), Path(out), Path(rejected), passes,
                         batch_size=batch_size,
                         rows_per_file=section.rows_per_file)
