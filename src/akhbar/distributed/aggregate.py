"""Corpus-level passes of parse and clean as cluster aggregations (map → combine → decide).

Why adapters: ``akhbar.parse.run`` and ``akhbar.clean.run`` compute their corpus-level
pass themselves, over their whole input, before their per-batch work. On the cluster the
pass is computed once over all shards (map per input range on the workers, a combine
tree on the workers, a decision the driver receives), and each shard then runs the *same*
stage ``run`` with that decision in place of its own first pass (:func:`decided`). Only
this module knows the stages' internals (``akhbar.titles.scan``, ``clean._first_pass``,
``clean._report_lines``, ``clean.ResidueReport``); when the stages expose map / combine /
decide functions, only this module changes.

* parse: per-folder counts of title suffixes (:mod:`akhbar.titles`): map = counters per
  range, combine = sum, decide = the ``min_titles`` / ``min_share`` rule;
* clean: the per-source line index (:class:`akhbar.boilerplate.LineIndex`) and the
  yeh-evidence word counts: map = (source, line hash, body hash) rows shuffled by line so
  that a body crawled twice counts once, (source, body) rows for the article counts and
  word counts; reduce per line partition keeps lines seen in ≥ ``min_docs`` articles;
  decide = the ``min_fraction`` rule with the global article counts.

Driver memory: the decided suffixes, boilerplate table and yeh evidence (each bounded by
what the stage keeps in memory locally), never a line or word count table.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from akhbar import params as params_mod
from akhbar import titles
from akhbar.boilerplate import BoilerplateParams, lines_frame
from akhbar.distributed.shards import read_range
from akhbar.distributed.shuffle import gather, mix_partition, scatter
from akhbar.text import normalize_expr, yeh_evidence_from_counts, yeh_word_counts

#: stage ``run`` functions read module attributes this module swaps: one shard at a time
#: per worker process (a worker with several threads serializes its parse/clean shards)
_SWAP = threading.Lock()


def tree(client: Any, futures: list[Any], combine: Any) -> Any:
    """Combine ``futures`` pairwise on the workers until one future is left."""
    while len(futures) > 1:
        futures = [client.submit(combine, *futures[i:i + 2], pure=False) if i + 1 < len(futures)
                   else futures[i] for i in range(0, len(futures), 2)]
    return futures[0]


# ---------------------------------------------------------------- parse: title suffixes

def _suffix_params(params: dict[str, Any]) -> titles.SuffixParams:
    return titles.section_params((params.get("parse") or {}).get("site_suffix"))


def title_counts(file: str, offset: int, length: int, params: dict[str, Any]
                 ) -> tuple[Counter, Counter]:
    """Map: titles per folder and (folder, suffix) counts of one input range (the loop
    of :func:`akhbar.titles.scan`, which reads a whole folder)."""
    sp = _suffix_params(params)
    totals: Counter[str] = Counter()
    counts: Counter[tuple[str, str]] = Counter()
    table = pl.from_arrow(read_range(file, offset, length, ["raw_file", "title"]))
    for raw_file, title in table.filter(pl.col("title").is_not_null()).iter_rows():
        folder = titles._folder(raw_file)
        totals[folder] += 1
        parts = titles.split(title)
        if parts and len(parts[1].split()) <= sp.max_words:
            counts[folder, titles._key(parts[1])] += 1
    return totals, counts


def add_counters(a: tuple[Counter, ...], b: tuple[Counter, ...]) -> tuple[Counter, ...]:
    """Combine: counters add up."""
    return tuple(x + y for x, y in zip(a, b, strict=True))


def title_decide(got: tuple[Counter, Counter], params: dict[str, Any]) -> dict[str, set[str]]:
    """Decide: the site suffixes of each folder, by :func:`akhbar.titles.scan`'s rule."""
    sp = _suffix_params(params)
    totals, counts = got
    out: dict[str, set[str]] = {}
    for (folder, suffix), n in counts.items():
        if n >= sp.min_titles and n / totals[folder] >= sp.min_share:
            out.setdefault(folder, set()).add(suffix)
    return out


# ---------------------------------------------------------------- clean: line index, yeh

def _bp(params: dict[str, Any]) -> BoilerplateParams:
    return params_mod.section(BoilerplateParams, (params.get("clean") or {}).get("boilerplate"))


def clean_map(i: int, file: str, offset: int, length: int, root: str, parts: int,
              params: dict[str, Any]) -> pl.DataFrame:
    """Map: one input range's countable lines (source, h, body) shuffled by line hash,
    its bodies (source, body) shuffled by body hash; returns its yeh word counts (as
    :func:`akhbar.clean._first_pass` computes them, on text normalized with the final yeh
    left undecided)."""
    bp, base = _bp(params), Path(root)
    batch = pl.from_arrow(read_range(file, offset, length, ["source", "text"]))
    batch = batch.with_columns(normalize_expr(pl.col("text"), keep_final_yeh=True))
    bodies = batch.select(pl.col("source").fill_null("").cast(pl.String),
                          pl.col("text").hash().alias("body"), pl.col("text")
                          ).filter(pl.col("text").str.len_bytes() > 0)
    fresh = bodies.unique(["source", "body"], keep="first", maintain_order=True)
    lines = (lines_frame(fresh.select("source", "text"), "text", bp.max_line_words)
             .filter((pl.col("words") >= 1) & (pl.col("words") <= bp.max_line_words))
             .unique(["__row", "h"]))
    rows = lines.select("source", "h", fresh.get_column("body").gather(lines.get_column("__row")))
    scatter(rows, mix_partition([rows.get_column("h").to_numpy()], parts), parts,
            base / "clines", i)
    keys = fresh.select("source", "body")
    scatter(keys, mix_partition([keys.get_column("body").to_numpy()], parts), parts,
            base / "cbodies", i)
    return yeh_word_counts(batch.get_column("text"), normalized=True)


def add_words(a: pl.DataFrame, b: pl.DataFrame) -> pl.DataFrame:
    """Combine: word counts add up."""
    return pl.concat([a, b]).group_by("word").agg(pl.col("n").sum())


def yeh_decide(counts: pl.DataFrame, params: dict[str, Any]) -> dict[str, str]:
    return yeh_evidence_from_counts(
        counts, int((params.get("clean") or {}).get("persian_yeh_min_evidence", 1)))


def clean_reduce(p: int, root: str, params: dict[str, Any]
                 ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Reduce: lines of partition ``p`` seen in at least ``min_docs`` distinct articles
    (every article of a line hash is in this partition), and the distinct articles per
    source of this body partition."""
    base = Path(root)
    lines = gather(base / "clines", p, {"source": pl.String, "h": pl.UInt64,
                                        "body": pl.UInt64})
    docs = (lines.unique().group_by("source", "h").agg(pl.len().alias("docs"))
            .filter(pl.col("docs") >= _bp(params).min_docs))
    bodies = gather(base / "cbodies", p, {"source": pl.String, "body": pl.UInt64})
    return docs, bodies.unique().group_by("source").agg(pl.len().alias("articles"))


class DecidedIndex:
    """What ``clean.run`` asks of its :class:`akhbar.boilerplate.LineIndex`, decided on
    the cluster."""

    def __init__(self, docs: pl.DataFrame, articles: pl.DataFrame, p: BoilerplateParams
                 ) -> None:
        self._articles = (articles.group_by("source").agg(pl.col("articles").sum())
                          .select("source", pl.col("articles").cast(pl.UInt32))
                          .sort("source"))
        self._table = (docs.join(self._articles, on="source")
                       .filter((pl.col("docs") >= p.min_docs)
                               & (pl.col("docs") >= pl.col("articles") * p.min_fraction))
                       .select("source", "h", pl.col("docs").cast(pl.UInt32),
                               pl.col("articles").cast(pl.UInt32))
                       .sort("source", "h"))

    def boilerplate(self) -> pl.DataFrame:
        return self._table

    def articles(self) -> pl.DataFrame:
        return self._articles


def clean_prepare(client: Any, ranges: list[tuple[str, int, int]], root: Path, parts: int,
                  params: dict[str, Any]) -> tuple[DecidedIndex, dict[str, str]]:
    """The clean stage's first pass over every range, on the cluster."""
    import distributed

    words = [client.submit(clean_map, i, f, o, n, str(root), parts, params, pure=False)
             for i, (f, o, n) in enumerate(ranges)]
    evidence = client.submit(yeh_decide, tree(client, words, add_words), params, pure=False)
    distributed.wait(words)  # every map wrote its shuffle files before a reduce reads them
    got = client.gather([client.submit(clean_reduce, p, str(root), params, pure=False)
                         for p in range(parts)])
    docs = pl.concat([d for d, _ in got])
    articles = pl.concat([a for _, a in got])
    return DecidedIndex(docs, articles, _bp(params)), evidence.result()


# ---------------------------------------------------------------- the shards, with the decision

@contextlib.contextmanager
def _swapped(owner: Any, name: str, value: Any) -> Iterator[None]:
    old = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, old)


def prepare(stage: str, client: Any, ranges: list[tuple[str, int, int]], root: Path,
            parts: int, params: dict[str, Any]) -> Any:
    """The corpus-level decision ``stage`` needs before its shards (``None``: none)."""
    if stage == "parse":
        maps = [client.submit(title_counts, f, o, n, params, pure=False) for f, o, n in ranges]
        return client.submit(title_decide, tree(client, maps, add_counters), params,
                             pure=False).result() if maps else {}
    if stage == "clean":
        return clean_prepare(client, ranges, root, parts, params) if ranges else None
    return None


def decided(stage: str, run: Any, args: tuple[Any, ...], context: Any) -> tuple[Any, Any]:
    """``run(*args)`` (the stage's own ``run``) with ``context`` in place of its
    corpus-level pass; returns its report and what the merge needs (clean: the removed
    line forms and the residue counts and samples behind its report)."""
    if stage == "parse":
        from akhbar import parse

        with _SWAP, _swapped(parse.titles, "scan", lambda *a, **k: context):
            return run(*args), None
    if stage == "clean":
        from akhbar import clean

        index, evidence = context
        seen: dict[str, Any] = {}

        def report_lines(removed: pl.DataFrame, *a: Any) -> dict[str, Any]:
            seen["removed"] = removed
            return {}

        class Residue(clean.ResidueReport):
            def to_dict(self) -> dict[str, Any]:
                seen["residue"] = (Counter(self.counts), dict(self.samples))
                return {}

        with _SWAP, _swapped(clean, "_first_pass", lambda *a, **k: (index, evidence)), \
                _swapped(clean, "_report_lines", report_lines), \
                _swapped(clean, "ResidueReport", Residue):
            return run(*args), seen
    return run(*args), None


def merge_clean(report: Any, extras: list[dict[str, Any]], context: Any,
                params: dict[str, Any]) -> None:
    """Replace the parts of the summed clean report that do not add up: the per-source
    boilerplate lines and the residue samples (recomputed from the shards' raw parts, in
    shard order, as one pass sees them) and the yeh-evidence size (one decision)."""
    from akhbar import clean
    from akhbar.residue import ResidueParams

    index, evidence = context
    section = params.get("clean") or {}
    removed = clean._merge_forms([e["removed"] for e in extras])
    report.stats["boilerplate"]["sources"] = clean._report_lines(
        removed, index.boilerplate(), index.articles(), _bp(params).report_top)
    residue = clean.ResidueReport(params_mod.section(ResidueParams, section.get("residue")))
    for e in extras:
        counts, samples = e["residue"]
        residue.counts.update(counts)
        for key, lines in samples.items():
            got = residue.samples.setdefault(key, [])
            got.extend(lines[:max(0, residue.p.samples_per_pattern - len(got))])
    report.stats["residue"] = residue.to_dict()
    report.stats["yeh_evidence"] = {
        "words": len(evidence),
        "to_alef_maqsura": sum(v.endswith(clean.ALEF_MAQSURA) for v in evidence.values()),
        "to_yeh": sum(not v.endswith(clean.ALEF_MAQSURA) for v in evidence.values()),
    }

