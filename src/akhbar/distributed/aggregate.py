"""Corpus-level passes of parse and clean as cluster aggregations (map → combine → decide).

Why here: ``akhbar.parse.run`` and ``akhbar.clean.run`` compute their corpus-level pass
themselves, over their whole input, before their per-batch work. On the cluster the pass
is computed once over all shards (map per input range on the workers, a combine tree on
the workers, a decision the driver receives), and each shard then runs the stage through
its explicit entry point for a precomputed decision (:func:`parse_shard`:
``parse.run(..., suffixes=)``, :func:`clean_shard`: ``clean.run_part(..., corpus)``); the
clean report's entries that do not add up are merged by ``clean.merge_parts``
(:func:`clean_merge`). The stage registry names these functions
(:class:`akhbar.pipeline.Cluster`).

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

from pathlib import Path
from typing import Any

import polars as pl

from akhbar import boilerplate, titles
from akhbar.distributed.shards import read_range
from akhbar.distributed.shuffle import gather, mix_partition, scatter
from akhbar.params import Params
from akhbar.text import normalize_expr, yeh_evidence_from_counts, yeh_word_counts


def tree(client: Any, futures: list[Any], combine: Any) -> Any:
    """Combine ``futures`` pairwise on the workers until one future is left."""
    while len(futures) > 1:
        futures = [client.submit(combine, *futures[i:i + 2], pure=False) if i + 1 < len(futures)
                   else futures[i] for i in range(0, len(futures), 2)]
    return futures[0]


# ---------------------------------------------------------------- parse: title suffixes

def title_counts(file: str, offset: int, length: int, params: Params) -> titles.Counts:
    """Map: :func:`akhbar.titles.count` of one input range."""
    table = pl.from_arrow(read_range(file, offset, length, ["raw_file", "title"]))
    return titles.count(table, params.parse.site_suffix)


def title_decide(got: titles.Counts, params: Params) -> dict[str, set[str]]:
    """Decide: :func:`akhbar.titles.decide`."""
    return titles.decide(got, params.parse.site_suffix)


# ---------------------------------------------------------------- clean: line index, yeh

def clean_map(i: int, file: str, offset: int, length: int, root: str, parts: int,
              params: Params) -> pl.DataFrame:
    """Map: one input range's countable lines (source, h, body) shuffled by line hash,
    its bodies (source, body) shuffled by body hash; returns its yeh word counts (as
    ``clean``'s pass 1 computes them, on text normalized with the final yeh left
    undecided). The lines are those :func:`akhbar.boilerplate.count_lines` counts, kept
    per body so that a body in two ranges counts once."""
    bp, base = params.clean.boilerplate, Path(root)
    batch = pl.from_arrow(read_range(file, offset, length, ["source", "text"]))
    batch = batch.with_columns(normalize_expr(pl.col("text"), keep_final_yeh=True))
    fresh = boilerplate.body_keys(batch)
    lines = (boilerplate.lines_frame(fresh.select("source", "text"), "text", bp.max_line_words)
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


def yeh_decide(counts: pl.DataFrame, params: Params) -> dict[str, str]:
    return yeh_evidence_from_counts(counts, params.clean.persian_yeh_min_evidence)


def clean_reduce(p: int, root: str, params: Params) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Reduce: (source, h, docs) of the lines of partition ``p`` (every article of a line
    hash is in this partition) seen in at least ``min_docs`` distinct articles, and the
    distinct articles per source of this body partition."""
    base = Path(root)
    lines = gather(base / "clines", p, {"source": pl.String, "h": pl.UInt64,
                                        "body": pl.UInt64})
    docs = (lines.unique().group_by("source", "h").agg(pl.len().cast(pl.UInt32).alias("docs"))
            .filter(pl.col("docs") >= params.clean.boilerplate.min_docs))
    bodies = gather(base / "cbodies", p, dict(boilerplate.BODIES_SCHEMA))
    return docs, bodies.unique().group_by("source").agg(pl.len().alias("articles"))


def clean_prepare(client: Any, ranges: list[tuple[str, int, int]], root: Path, parts: int,
                  params: Params) -> Any:
    """The clean stage's first pass over every range, on the cluster: its
    ``clean.Corpus``, decided by :func:`akhbar.boilerplate.decide`."""
    import distributed

    from akhbar import clean

    words = [client.submit(clean_map, i, f, o, n, str(root), parts, params, pure=False)
             for i, (f, o, n) in enumerate(ranges)]
    evidence = client.submit(yeh_decide, tree(client, words, add_words), params, pure=False)
    distributed.wait(words)  # every map wrote its shuffle files before a reduce reads them
    got = client.gather([client.submit(clean_reduce, p, str(root), params, pure=False)
                         for p in range(parts)])
    # a line hash lives in one partition only: concatenating the reduces is the combine
    docs = boilerplate.combine([d for d, _ in got])
    articles = (pl.concat([a for _, a in got]).group_by("source").agg(pl.col("articles").sum())
                .select("source", pl.col("articles").cast(pl.UInt32)).sort("source"))
    return clean.Corpus(boilerplate.decide(docs, articles, params.clean.boilerplate),
                        articles, evidence.result())


# ---------------------------------------------------------------- the shards, with the decision

def parse_prepare(client: Any, ranges: list[tuple[str, int, int]], root: Path, parts: int,
                  params: Params) -> dict[str, set[str]]:
    """Parse's corpus-level decision: the site suffixes of each folder's titles."""
    maps = [client.submit(title_counts, f, o, n, params, pure=False) for f, o, n in ranges]
    return client.submit(title_decide, tree(client, maps, titles.combine), params,
                         pure=False).result() if maps else {}


def parse_shard(args: tuple[Any, ...], context: dict[str, set[str]]) -> tuple[Any, None]:
    """One parse shard with the cluster's site-suffix decision."""
    from akhbar import parse

    return parse.run(*args, suffixes=context), None


def clean_shard(args: tuple[Any, ...], context: Any) -> tuple[Any, Any]:
    """One clean shard with the cluster's per-source decision (``clean.Corpus``); returns
    its report and its ``clean.Part`` (what :func:`clean_merge` needs)."""
    from akhbar import clean

    return clean.run_part(*args, context)


def clean_merge(report: Any, extras: list[Any], context: Any, params: Params) -> None:
    """The parts of the summed clean report that do not add up (``clean.merge_parts``)."""
    from akhbar import clean

    clean.merge_parts(report.stats, extras, context, params)
