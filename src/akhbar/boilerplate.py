"""Per-source line boilerplate: lines a news source repeats across many of its articles.

Like the C4/FineWeb line filters, but decided per ``source`` and on Arabic-folded lines
(:func:`akhbar.folding.fold_expr`) whose URLs, e-mail addresses and numbers are masked
(:func:`akhbar.residue.mask_expr`), so ``// انتهى //``, ``//انتهى//`` and ``انتهى`` are one
line, and so are two SMS notices that differ only in their code number. A line is
boilerplate of a source when it occurs in at least ``min_docs`` distinct
articles of that source AND in at least ``min_fraction`` of them, and has at most
``max_line_words`` words (a long line is a sentence, even when a story is syndicated).

Two passes over streamed batches, all columnar (split → explode → group_by):

1. :class:`LineIndex` ``.add(batch)`` counts, per source, in how many distinct articles each
   short line occurs. Articles are counted by body hash, so exact duplicate bodies (one
   story crawled twice) count once and cannot promote their own lines to boilerplate.
   Memory holds the (source, body hash) keys and at most ``SPILL_ROWS`` partial
   (source, 64-bit hash of the folded line, count) rows; beyond that they go to hash
   buckets on disk, summed and decided one bucket at a time (exact).
2. :func:`remove_lines` drops the indexed boilerplate lines from each batch and returns what
   it removed (with the position: header, footer or middle of the article).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
import pyarrow as pa

from akhbar.config import Boilerplate
from akhbar.folding import fold_expr
from akhbar.residue import has_month, mask_expr

#: Partial line counts held in memory before they are spilled to disk (about 30 MB; the
#: 31k SaudiNewsNet articles make ~90k, so a corpus that size never spills).
SPILL_ROWS = 1_000_000
#: The spilled counts go to 2**BUCKET_BITS buckets by line hash, decided one at a time.
BUCKET_BITS = 6


#: The ``clean.boilerplate`` section of params.yaml (the typed model; defaults live there).
BoilerplateParams = Boilerplate


def lines_frame(df: pl.DataFrame, text: str = "text", max_words: int | None = None
                ) -> pl.DataFrame:
    """One row per non-empty line of ``df[text]``: ``__row`` (position in ``df``),
    ``source`` (null → ""), ``line_no``, ``line``, its folded ``key``, ``words`` of the key
    and ``h``, a 64-bit hash of (key) used as the index key.

    With ``max_words``, a line of more than twice that many space-separated tokens is a
    sentence and is not folded (null ``key``/``h``): folding is the costly step and such
    lines carry most of a corpus's text. Folding only drops punctuation tokens, so such a
    line could fold to ``max_words`` words only if most of its tokens were punctuation.
    """
    split = pl.col(text).fill_null("").str.split("\n")
    lines = (
        df.select(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias("__row"),
            pl.col("source").fill_null("").cast(pl.String),
            split.alias("line"),
            pl.int_ranges(0, split.list.len(), dtype=pl.UInt32).alias("line_no"),
        )
        .explode("line", "line_no")
        .filter(pl.col("line").str.len_bytes() > 0)
    )
    # eager polars does no common-subexpression elimination: each count is a column once
    lines = lines.with_columns(pl.col("line").str.count_matches(" ", literal=True)
                               .alias("__spaces"))
    spaces = pl.col("__spaces")
    short = pl.lit(True) if max_words is None else spaces < 2 * max_words
    lines = lines.with_columns(short.alias("__short"))
    # only the short lines are folded (a when/then would fold every line, then mask it)
    key = _keys(lines.filter(pl.col("__short")).get_column("line"))
    if key.len() != lines.height:
        key = (pl.repeat(None, lines.height, dtype=pl.String, eager=True).alias("key")
               .scatter(lines.get_column("__short").arg_true(), key))
    return (
        lines.with_columns(key)
        .with_columns(
            pl.when(~pl.col("__short")).then(spaces + 1)
            .when(pl.col("key") == "").then(0)
            .otherwise(pl.col("key").str.count_matches(" ", literal=True) + 1).alias("words"),
            pl.when(pl.col("__short")).then(pl.col("key").hash()).alias("h"),
        )
        .drop("__short", "__spaces")
    )


def _keys(lines: pl.Series) -> pl.Series:
    """The folded key of each line: template-aware, a frame's slots (URL, e-mail, number)
    are masked, so "للتواصل أرسل sms إلى 88 ... بالرمز 12" and "... بالرمز 45" are one line;
    a line naming a month keeps its numbers (a dateline is data, not a frame). The fold is
    computed once, as a column (an eager ``select`` shares no subexpression), and the
    month names are looked for in the lines whose key holds a number only."""
    folded = lines.to_frame("line").select(fold_expr(mask_expr(pl.col("line")))).to_series()
    digits = folded.str.contains(r"\d").fill_null(False)
    if not digits.any():
        return folded.alias("key")
    some = pl.DataFrame({"line": lines.filter(digits), "f": folded.filter(digits)})
    masked = some.select(pl.when(has_month(pl.col("line"))).then(pl.col("f"))
                         .otherwise(pl.col("f").str.replace_all(r"\d+", "0"))).to_series()
    return folded.scatter(digits.arg_true(), masked).alias("key")


COUNTS_SCHEMA = {"source": pl.String, "h": pl.UInt64, "docs": pl.UInt32}
BODIES_SCHEMA = {"source": pl.String, "body": pl.UInt64}


def body_keys(df: pl.DataFrame, text: str = "text") -> pl.DataFrame:
    """Map, step 1: (source, body, text) of the distinct non-empty bodies of one batch,
    ``body`` being a 64-bit hash of the (normalized) text. An article is counted by its
    body: exact duplicate bodies (one story crawled twice) count once."""
    return (df.select(pl.col("source").fill_null("").cast(pl.String),
                      pl.col(text).hash().alias("body"), pl.col(text))
            .filter(pl.col(text).str.len_bytes() > 0)
            .unique(["source", "body"], keep="first", maintain_order=True))


def count_lines(bodies: pl.DataFrame, p: BoilerplateParams, text: str = "text"
                ) -> pl.DataFrame:
    """Map, step 2: (source, h, docs) of a set of distinct bodies (:func:`body_keys`, minus
    bodies counted before): in how many of them each short line of a source occurs.
    Partial counts of DISJOINT body sets add up (:func:`combine`), in any order."""
    lines = lines_frame(bodies.select("source", text), text, p.max_line_words)
    return (lines.filter((pl.col("words") >= 1) & (pl.col("words") <= p.max_line_words))
            .unique(["__row", "h"])
            .group_by("source", "h").agg(pl.len().cast(pl.UInt32).alias("docs")))


def body_lines(bodies: pl.DataFrame, p: BoilerplateParams, text: str = "text"
               ) -> pl.DataFrame:
    """(source, body, h): the countable short lines of each of ``bodies``
    (:func:`body_keys`), once per body; what :func:`count_lines` counts, kept per body so
    that the bodies counted before can be left out afterwards (:meth:`LineIndex.add_lines`)."""
    lines = (lines_frame(bodies.select("source", text), text, p.max_line_words)
             .filter((pl.col("words") >= 1) & (pl.col("words") <= p.max_line_words))
             .unique(["__row", "h"], maintain_order=True))
    return lines.select("source", bodies.get_column("body").gather(lines.get_column("__row")),
                        "h")


def batch_lines(df: pl.DataFrame, p: BoilerplateParams, text: str = "text"
                ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """:func:`body_keys` (source, body) and :func:`body_lines` of one batch, and the
    :func:`lines_frame` of all its rows (for :func:`row_hashes`), each line folded once."""
    lines = lines_frame(df.select("source", text), text, p.max_line_words)
    bodies = (df.select(pl.col("source").fill_null("").cast(pl.String),
                        pl.col(text).hash().alias("body"),
                        pl.int_range(pl.len(), dtype=pl.UInt32).alias("__row"),
                        pl.col(text).str.len_bytes().alias("__n"))
              .filter(pl.col("__n") > 0)
              .unique(["source", "body"], keep="first", maintain_order=True))
    counted = (lines.filter((pl.col("words") >= 1) & (pl.col("words") <= p.max_line_words))
               .join(bodies.select("__row", "body"), on="__row", how="inner",
                     maintain_order="left")
               .unique(["__row", "h"], maintain_order=True))
    return bodies.select("source", "body"), counted.select("source", "body", "h"), lines


def combine(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """Combine: the sum of partial :func:`count_lines` counts (associative, commutative)."""
    if not parts:
        return pl.DataFrame(schema=COUNTS_SCHEMA)
    return (pl.concat(parts).group_by("source", "h")
            .agg(pl.col("docs").sum().cast(pl.UInt32)))


def decide(counts: pl.DataFrame, articles: pl.DataFrame, p: BoilerplateParams
           ) -> pl.DataFrame:
    """Decide: the boilerplate lines, (source, h, docs, articles) sorted, from the combined
    counts and the distinct articles per source (source, articles): a line is boilerplate
    when ``docs >= min_docs`` and ``docs >= articles * min_fraction``."""
    return (
        counts.join(articles, on="source")
        .filter((pl.col("docs") >= p.min_docs)
                & (pl.col("docs") >= pl.col("articles") * p.min_fraction))
        .select("source", "h", pl.col("docs").cast(pl.UInt32),
                pl.col("articles").cast(pl.UInt32))
        .sort("source", "h")
    )


class LineIndex:
    """Pass 1, local driver of :func:`body_keys` → :func:`count_lines` → :func:`combine`
    → :func:`decide`: it keeps the (source, body) keys already counted so that every
    batch's counts cover a body set disjoint from the others'.

    Bounded at scale: the partial (source, h, docs) counts grow with the distinct short
    lines of the corpus, so once they exceed ``spill_rows`` rows they are summed and
    written to hash buckets on disk (``2**BUCKET_BITS`` Arrow streams by the top bits of
    ``h``); :meth:`boilerplate` sums and decides one bucket at a time. A line hash lives in
    one bucket, so the result is exact and equal to the in-memory one (same rows, same
    order after the final sort). What stays in memory grows with the articles only (their
    body hashes, 8 bytes each) and the decided lines."""

    def __init__(self, params: BoilerplateParams, spill_rows: int = SPILL_ROWS) -> None:
        self.params = params
        self._counts: list[pl.DataFrame] = []  # (source, h, docs) partials in memory
        self._bodies: list[pl.DataFrame] = []  # (source, body) hashes already counted
        self._pending = 0
        self._spill_rows = spill_rows
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._writers: dict[int, pa.ipc.RecordBatchStreamWriter] = {}
        self._decided: pl.DataFrame | None = None

    def add(self, df: pl.DataFrame, text: str = "text") -> None:
        """Count the lines of one batch (``df`` has ``source`` and normalized ``text``)."""
        self.add_lines(body_keys(df, text), None, text)

    def add_lines(self, bodies: pl.DataFrame, lines: pl.DataFrame | None,
                  text: str = "text") -> None:
        """:meth:`add` with its parts computed elsewhere (e.g. in a worker thread):
        ``bodies`` = :func:`body_keys` of a batch, ``lines`` = :func:`body_lines` of those
        bodies (None: computed here, for the bodies not counted before only)."""
        fresh = bodies
        seen = self._merged_bodies()
        if seen is not None:
            fresh = fresh.join(seen, on=["source", "body"], how="anti", maintain_order="left")
        if fresh.is_empty():
            return
        self._bodies.append(fresh.select("source", "body"))
        if lines is None:
            counts = count_lines(fresh, self.params, text)
        else:  # the lines of the bodies not counted before
            lines = lines.join(fresh.select("source", "body"), on=["source", "body"],
                               how="semi")
            counts = lines.group_by("source", "h").agg(pl.len().cast(pl.UInt32).alias("docs"))
        self._counts.append(counts)
        self._pending += counts.height
        if self._pending > self._spill_rows:
            self._spill()

    def _merged_bodies(self) -> pl.DataFrame | None:
        if not self._bodies:
            return None
        if len(self._bodies) > 1:  # chunks are linked, not copied
            self._bodies = [pl.concat(self._bodies, rechunk=False)]
        return self._bodies[0]

    def _spill(self) -> None:
        """Sum the in-memory partials and append them to their hash buckets on disk."""
        if not self._counts:
            return
        merged = combine(self._counts)
        self._counts, self._pending = [], 0
        if self._dir is None:
            self._dir = tempfile.TemporaryDirectory(prefix="akhbar-lines-")
        bucket = (pl.col("h") // pl.lit(1 << (64 - BUCKET_BITS), pl.UInt64)).cast(pl.Int64)
        bucket = bucket.alias("__b")
        for (b,), part in merged.with_columns(bucket).partition_by(
                "__b", as_dict=True, include_key=False).items():
            table = part.to_arrow()
            writer = self._writers.get(int(b))  # type: ignore[call-overload]
            if writer is None:
                path = Path(self._dir.name) / f"bucket-{b:04d}.arrows"
                writer = self._writers[int(b)] = pa.ipc.new_stream(  # type: ignore[call-overload]
                    str(path), table.schema)
            writer.write_table(table)

    def articles(self) -> pl.DataFrame:
        """Distinct non-empty articles per source: (source, articles)."""
        bodies = self._merged_bodies()
        if bodies is None:
            return pl.DataFrame(schema={"source": pl.String, "articles": pl.UInt32})
        return bodies.group_by("source").agg(pl.len().alias("articles")).sort("source")

    def boilerplate(self) -> pl.DataFrame:
        """The boilerplate lines: (source, h, docs, articles), sorted."""
        if self._decided is not None:
            return self._decided
        if self._dir is None:  # everything fits in memory
            if not self._counts:
                return pl.DataFrame(schema={**COUNTS_SCHEMA, "articles": pl.UInt32})
            self._counts = [combine(self._counts)]
            return decide(self._counts[0], self.articles(), self.params)
        self._spill()
        articles, parts = self.articles(), []
        for b in sorted(self._writers):
            self._writers[b].close()
            path = Path(self._dir.name) / f"bucket-{b:04d}.arrows"
            with pa.ipc.open_stream(str(path)) as reader:
                got = pl.from_arrow(reader.read_all())
            parts.append(decide(combine([got]), articles, self.params))  # type: ignore[list-item]
        self._dir.cleanup()
        self._decided = pl.concat(parts).sort("source", "h")
        return self._decided


def row_hashes(lines: pl.DataFrame, rows: int) -> pl.Series:
    """Per row of the ``rows``-row frame that :func:`lines_frame` read: the hashes of its
    folded lines (List[UInt64], empty when it has none). Enough for :func:`remove_lines`
    to know, without folding the row again, that it holds no boilerplate line."""
    got = (lines.filter(pl.col("h").is_not_null())
           .group_by("__row", maintain_order=True).agg("h"))
    return (pl.DataFrame({"__row": pl.int_range(rows, dtype=pl.UInt32, eager=True)})
            .join(got, on="__row", how="left", maintain_order="left")
            .select(pl.col("h").fill_null(pl.lit([], pl.List(pl.UInt64))))
            .get_column("h"))


def remove_lines(df: pl.DataFrame, table: pl.DataFrame, text: str = "text",
                 max_words: int | None = None, hashes: pl.Series | None = None
                 ) -> tuple[pl.Series, pl.DataFrame]:
    """Pass 2: ``df[text]`` without the boilerplate lines of ``table`` (same order and
    length as ``df``; blank lines dropped; a text whose every line is removed becomes ""),
    and the removed lines: (__row, source, h, line, position), position being header |
    footer | middle | whole (every line of the article was boilerplate).

    ``hashes``: per row, :func:`row_hashes` of ``df[text]`` as it is, or null where not
    known. A known row none of whose hashes is a boilerplate line of its source only
    loses its blank lines: the lines of the other rows alone are split, folded and
    looked up (a few percent of the rows of a news corpus)."""
    if hashes is None:
        return _remove_lines(df, table, text, max_words)
    known = hashes.is_not_null()
    listed = (pl.DataFrame({"__row": pl.int_range(df.height, dtype=pl.UInt32, eager=True),
                            "source": df.get_column("source").fill_null("").cast(pl.String),
                            "h": hashes})
              .filter(known).explode("h").drop_nulls("h"))
    hit = listed.join(table.select("source", "h"), on=["source", "h"], how="semi")
    todo = (~known).scatter(hit.get_column("__row").unique(), True)
    rows = todo.arg_true()
    texts, removed = _remove_lines(df.filter(todo), table, text, max_words)
    removed = removed.with_columns(rows.gather(removed.get_column("__row")).alias("__row"))
    s = df.get_column(text).clone()  # scattered into below
    blank = (s.str.contains("\n\n", literal=True) | s.str.starts_with("\n")
             | s.str.ends_with("\n")).fill_null(False) & ~todo
    if blank.any():  # = split, drop the empty lines, join: what _remove_lines does
        s = s.scatter(blank.arg_true(), s.filter(blank).str.replace_all("\n{2,}", "\n")
                      .str.strip_chars("\n"))
    return s.scatter(rows, texts).alias(text), removed


def _remove_lines(df: pl.DataFrame, table: pl.DataFrame, text: str,
                  max_words: int | None) -> tuple[pl.Series, pl.DataFrame]:
    """:func:`remove_lines` folding every line of ``df``."""
    lines = lines_frame(df, text, max_words).join(
        table.select("source", "h", pl.lit(True).alias("bp")), on=["source", "h"],
        how="left", maintain_order="left",
    ).with_columns(pl.col("bp").fill_null(False))
    kept = lines.filter(~pl.col("bp"))
    joined = (kept.group_by("__row", maintain_order=True)
              .agg(pl.col("line").str.join("\n").alias("__new")))
    texts = (
        df.select(pl.col(text), pl.int_range(pl.len(), dtype=pl.UInt32).alias("__row"))
        .join(joined, on="__row", how="left", maintain_order="left")
        # a null text stays null (it never was text); an emptied one becomes ""
        .select(pl.when(pl.col(text).is_null()).then(None)
                .otherwise(pl.col("__new").fill_null("")).alias(text))
        .get_column(text)
    )
    bounds = kept.group_by("__row").agg(pl.col("line_no").min().alias("lo"),
                                        pl.col("line_no").max().alias("hi"))
    removed = (
        lines.filter(pl.col("bp")).join(bounds, on="__row", how="left", maintain_order="left")
        .select(
            "__row", "source", "h", "line",
            pl.when(pl.col("hi").is_null()).then(pl.lit("whole"))
            .when(pl.col("line_no") > pl.col("hi")).then(pl.lit("footer"))
            .when(pl.col("line_no") < pl.col("lo")).then(pl.lit("header"))
            .otherwise(pl.lit("middle")).alias("position"),
        )
    )
    return texts, removed
