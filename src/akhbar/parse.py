"""Stage ``parse``: raw records (RAW_SCHEMA) → one row per article (ARTICLE_SCHEMA).

What it does, and only that: split structure. Dumps (json/csv/warc/...) get their body's
paragraphs trimmed and joined by ``\\n`` and their dates parsed, column-wise in polars.
Aggregator pages (``raw_format == "aggregator"``) are parsed page by page with
:func:`akhbar.aggregator.parse_page` (no columnar form of that layout exists); each article
found under "اقرأ أيضا" becomes its own row, linked to its host by ``host_id``. Letters are
not normalized here: that is the clean stage's job, and doing it twice would hide bugs.

``crawled`` is never used as ``published``: a crawl time is not a publication time, and a
wrong date is worse than a missing one for temporal splits. ``published`` comes from the
record's own date (an aggregator page's ``نشر`` footer, else the dump's date field), else a
dated wire dateline opening the body (:mod:`akhbar.datelines`; the line moves to
``dateline`` and out of ``text`` here, before the clean stage could strip it as a recurring
line), else a date in the URL (:mod:`akhbar.urldates`); ``published_from`` says which
(``field`` | ``dateline`` | ``url`` | null). A candidate outside ``published.min_year`` ..
``max_year`` or after ``crawled`` is dropped and counted, and the next source is tried.
``author`` keeps people only (:mod:`akhbar.authors`): place/outlet parts of the byline go to
``dateline`` when the body gave none. ``category`` is passed through from the raw record.

``report.stats``: ``aggregator_pages``, ``footers_cut``, ``read_also_articles``,
``related_lists``, ``tags_unsplit`` (glued tag runs / keyword runs left out, not guessed),
``published[<raw_format>] = {parsed, unparsed, missing}`` (the record's own date field),
``published_from = {field, dateline, url, none}`` (rows per date source),
``published_rejected = {"<source>:after-crawled" | "<source>:out-of-range": n}``,
``datelines_moved``, ``author_kept``, ``author_to_dateline``, ``author_nonnull_in``.
A "read also" article whose
host page has an empty body is still emitted (it is real text); its ``host_id`` then points
at a rejected row. The same "read also" article cut from several pages gets the same id
(a hash of its text); exact duplicates are the dedup stage's business.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from typing import Any

import polars as pl

from akhbar import config, streaming, titles
from akhbar.aggregator import parse_page
from akhbar.authors import split_author
from akhbar.datelines import DATELINE_LINE_PATTERN, DATELINE_PATTERN, split_dateline
from akhbar.dates import parse_date, parse_dates
from akhbar.ids import article_id, record_id
from akhbar.params import Params, RawParams, typed
from akhbar.schema import ARTICLE_SCHEMA, REJECTED_SCHEMA, polars_schema
from akhbar.stage import StageReport, rejected_frame
from akhbar.tags import normalize_tags, tags_expr
from akhbar.urldates import url_date

STAGE = "parse"
_EXCERPT_BYTES = 200  # the contract's "first 200 bytes of the raw record"
#: Where ``published`` came from, in the order tried (the ``published_from`` values).
DATE_SOURCES = ("field", "dateline", "url")
_ORDER = ["_pos", "_sub"]
_ARTICLE_PL = {**polars_schema(ARTICLE_SCHEMA), "_pos": pl.UInt32, "_sub": pl.Int32}
_REJECT_PL = {**_ARTICLE_PL, "detail": pl.String, "raw_excerpt": pl.String,
              "_reason": pl.String}


def _excerpt(body: str | None) -> str | None:
    if body is None:
        return None
    return body.encode("utf-8")[:_EXCERPT_BYTES].decode("utf-8", "ignore")


def _where(row: dict[str, Any]) -> str:
    return f"{row.get('raw_file')}#{row.get('raw_record')}"


class _Stats:
    """Counters for ``report.stats`` (counts only, so the report is deterministic)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.dates: dict[str, Counter[str]] = {}
        self.origins: Counter[str] = Counter()
        self.rejected_dates: Counter[str] = Counter()

    def date(self, fmt: str | None, raw: str | None, parsed: bool) -> None:
        self.dates.setdefault(fmt or "unknown", Counter())[
            "missing" if not raw else "parsed" if parsed else "unparsed"] += 1

    def dates_of(self, rows: pl.DataFrame) -> None:
        """:meth:`date` of every row of ``rows`` (``raw_format``, ``published_raw`` and the
        parsed ``published``), counted by one polars group-by instead of a call per row."""
        raw = pl.col("published_raw")
        counts = rows.group_by(
            pl.col("raw_format").replace("", None).fill_null("unknown").alias("fmt"),
            pl.when(raw.is_null() | (raw == "")).then(pl.lit("missing"))
            .when(pl.col("published").is_not_null()).then(pl.lit("parsed"))
            .otherwise(pl.lit("unparsed")).alias("kind")).len()
        for fmt, kind, n in counts.iter_rows():
            self.dates.setdefault(fmt, Counter())[kind] += n

    def as_dict(self) -> dict[str, Any]:
        return {**{k: self.counts[k] for k in sorted(self.counts)},
                "published_from": {k: self.origins[k] for k in (*DATE_SOURCES, "none")},
                "published_rejected": dict(sorted(self.rejected_dates.items())),
                "published": {f: {k: c[k] for k in ("parsed", "unparsed", "missing")}
                              for f, c in sorted(self.dates.items())}}


def _paragraph_text(body: pl.Expr) -> pl.Expr:
    """Paragraphs split on newlines (blank lines included), trimmed, joined by ``\\n``."""
    return (body.str.replace_all(r"\r\n?|\u2028|\u2029", "\n").str.split("\n")
            .list.eval(pl.element().str.strip_chars())
            .list.filter(pl.element() != "").list.join("\n"))


def _other(df: pl.DataFrame, stats: _Stats) -> pl.DataFrame:
    """Non-aggregator rows, column-wise. Returns article rows with ``_pos``/``_sub``."""
    out = df.with_columns(
        _paragraph_text(pl.col("body")).alias("text"),
        parse_dates(df.get_column("published_raw")).alias("published"),
        parse_dates(df.get_column("crawled_raw")).alias("crawled"),
        tags_expr(pl.col("tags")).alias("tags"),
        pl.lit(0, dtype=pl.Int32).alias("_sub"),
    ).with_columns(pl.coalesce(pl.col("text").str.extract(DATELINE_PATTERN, 1),
                               pl.col("text").str.extract(DATELINE_LINE_PATTERN, 1))
                   .str.strip_chars().alias("dateline"))
    # Hashing has no columnar form: one call per row; the text (large) is handed to Python
    # only for the rows whose id cannot come from a URL.
    urls = out.get_column("url").to_list()
    ids = _url_ids(out.get_column("url"))
    ids = [v if v is not None else article_id(u, None) if u and u.strip() else None
           for v, u in zip(ids, urls, strict=True)]  # a URL key
    need = [i for i, v in enumerate(ids) if v is None]
    if need:
        texts = out.get_column("text").gather(need).to_list()
        for i, text in zip(need, texts, strict=True):
            ids[i] = article_id(urls[i], text)
    out = out.with_columns(pl.Series("id", ids, dtype=pl.String))
    stats.dates_of(out)
    return _conform(out)


#: The plain http(s) URLs whose canonical form polars can write (a subset of the shapes of
#: ``akhbar.ids._SIMPLE``, the same result: ``tests/test_parse.py`` checks it): printable
#: ASCII host, a path without query, fragment, bracket, space or control character.
_PLAIN_URL = (r"^[hH][tT][tT][pP][sS]?://([!-~--[/?#\[\]]]+)"
              r"(/[^?#\[\]\s\x00-\x20\x7f]*)?$")


def _url_ids(urls: pl.Series) -> list[str | None]:
    """``akhbar.ids.article_id(url, None)`` of the plain URLs (None for the others):
    canonical form in polars, one ``hashlib`` call per row (0.31 → 0.09 CPU-s on the 31,030
    SaudiNewsNet URLs)."""
    host = urls.str.extract(_PLAIN_URL, 1).str.to_lowercase()
    path = urls.str.extract(_PLAIN_URL, 2).fill_null("").str.strip_chars_end("/")
    canon = (pl.lit("https://") + host.str.strip_prefix("www.")
             + pl.when(path == "").then(pl.lit("/")).otherwise(path))
    return [None if c is None else "u" + hashlib.sha256(c.encode()).hexdigest()[:31]
            for c in pl.select(canon).to_series().to_list()]


def _conform(df: pl.DataFrame) -> pl.DataFrame:
    """Exactly the article columns (+ order keys), typed; absent ones as nulls."""
    return df.select([pl.col(c).cast(t) if c in df.columns else pl.lit(None, dtype=t).alias(c)
                      for c, t in _ARTICLE_PL.items()])


def _aggregator_rows(row: dict[str, Any], params: config.Parse, stats: _Stats
                     ) -> list[dict[str, Any]]:
    """One aggregator page → its host article row and one row per "read also" article."""
    page = parse_page(row.get("body") or "", known_tags=params.known_tags,
                      max_tag_words=params.max_tag_words,
                      max_keyword_words=params.max_keyword_words)
    provenance = {k: row.get(k) for k in
                  ("raw_file", "raw_record", "raw_sha256", "raw_encoding", "raw_format")}
    published = page.published
    if published is None:  # no (parsable) footer date: the dump's own field, if any
        published = parse_date(row.get("published_raw"))
    crawled = parse_date(row.get("crawled_raw"))
    host_id = article_id(row.get("url"), page.body)
    rows = [{
        **provenance, "_pos": row["_pos"], "_sub": 0, "id": host_id, "url": row.get("url"),
        "source": page.source or row.get("source"), "title": row.get("title"),
        "text": page.body, "published": published, "crawled": crawled,
        "author": row.get("author"), "category": row.get("category"),
        "tags": normalize_tags([*(row.get("tags") or []), *page.tags]) or None,
        "related_titles": page.related_titles or None, "dateline": page.dateline,
    }]
    for k, article in enumerate(page.read_also, start=1):
        rows.append({
            **provenance, "_pos": row["_pos"], "_sub": k,
            "id": article_id(None, article.text), "title": article.title,
            "text": article.text, "published": article.published, "crawled": crawled,
            "dateline": article.dateline, "host_id": host_id,
        })
    # counted last, so that a page failing above is counted only as parse:error
    stats.date(row.get("raw_format"), page.published_raw or row.get("published_raw"),
               published is not None)
    stats.counts["aggregator_pages"] += 1
    stats.counts["footers_cut"] += int(page.footer_cut)
    stats.counts["related_lists"] += page.related_lists
    stats.counts["read_also_articles"] += len(page.read_also)
    stats.counts["tags_unsplit"] += len(page.unsplit_tags)
    return rows


_HOST_RE = r"^[a-z][a-z0-9+.-]*://(?:www\.)?([^/:?#@]+)"
#: A first line holding a 4-digit number (Western or Arabic-Indic): only those are read by
#: :func:`akhbar.datelines.split_dateline` (a polars filter, so most rows cost nothing).
_MAY_DATELINE = r"^[^\n]{0,120}?(?:\d{4}|[٠-٩]{4}|[۰-۹]{4})"
#: A URL holding a year-like run (the shapes :func:`akhbar.urldates.url_date` reads).
_MAY_URL_DATE = r"(?:19|20)\d{2}[/_-]?\d{1,2}"


def _mapped(values: list[Any], fn: Any) -> list[Any]:
    """``fn`` over the distinct values only (authors and URL prefixes repeat heavily)."""
    cache: dict[Any, Any] = {}
    return [cache[v] if v in cache else cache.setdefault(v, fn(v)) for v in values]


def _provenance(articles: pl.DataFrame, params: config.Parse, stats: _Stats) -> pl.DataFrame:
    """Dated datelines out of the body, people in ``author``, ``published`` + its source.

    * A dated wire dateline opening the text (:func:`akhbar.datelines.split_dateline`) moves
      to ``dateline`` and out of ``text``: here, before the clean stage, which would strip
      such a line as a recurring one and lose the date.
    * ``author`` keeps the people of the byline field; a place/outlet part goes to
      ``dateline`` when the body gave none (:func:`akhbar.authors.split_author`).
    * ``published`` is the first of: the record's own date (``field``, already parsed in
      ``published``), the dateline's date, the URL's date (:func:`akhbar.urldates.url_date`)
      that is in ``[min_year, max_year]`` and not after ``crawled``. A candidate after
      ``crawled`` is dropped and counted (``published_rejected``), and the next one is tried:
      a page cannot be published after it was fetched, so that date is wrong, not the others.
      The crawl time itself is never a candidate.
    """
    if articles.is_empty():
        return articles
    lo, hi = params.published.min_year, params.published.max_year
    n = articles.height
    # Python only for the rows a polars filter lets through (a 4-digit number on the first
    # line; a date-like run in the URL): most rows never leave Rust.
    maybe = articles.get_column("text").fill_null("").str.contains(_MAY_DATELINE)
    rows = maybe.arg_true()
    text = articles.get_column("text")
    dl_text: list[str | None] = [None] * n
    dl_date: list[Any] = [None] * n
    moved: dict[int, str] = {}
    for i, t in zip(rows.to_list(), text.gather(rows).to_list(), strict=True):
        if found := split_dateline(t):
            dl_text[i], dl_date[i], moved[i] = found.text, found.published, found.rest
    if moved:
        text = text.scatter(list(moved), list(moved.values()))
    stats.counts["datelines_moved"] += sum(d is not None for d in dl_text)
    authors = _mapped(articles.get_column("author").to_list(), split_author)
    people = [a[0] for a in authors]
    au_dateline = [a[1] for a in authors]
    had_author = articles.get_column("author").is_not_null().sum()
    stats.counts["author_kept"] += sum(p is not None for p in people)
    stats.counts["author_to_dateline"] += sum(p is None and d is not None
                                              for p, d in zip(people, au_dateline, strict=True))
    url = articles.get_column("url")
    url_rows = url.fill_null("").str.contains(_MAY_URL_DATE).arg_true()
    urls: list[Any] = [None] * n
    for i, u in zip(url_rows.to_list(), url.gather(url_rows).to_list(), strict=True):
        urls[i] = url_date(u, lo, hi)
    field = articles.get_column("published").to_list()
    crawled = articles.get_column("crawled").to_list()
    published: list[Any] = [None] * n
    origin: list[str | None] = [None] * n
    for i in range(n):
        for name, value in zip(DATE_SOURCES, (field[i], dl_date[i], urls[i]), strict=True):
            if value is None:
                continue
            if not lo <= value.year <= hi:
                stats.rejected_dates[f"{name}:out-of-range"] += 1
            elif crawled[i] is not None and value > crawled[i]:
                stats.rejected_dates[f"{name}:after-crawled"] += 1
            else:
                published[i], origin[i] = value, name
                break
        stats.origins[origin[i] or "none"] += 1
    stats.counts["author_nonnull_in"] += int(had_author)
    dtype = articles.schema["published"]
    return articles.with_columns(
        text.alias("text"),
        pl.Series("published", published, dtype=dtype),
        pl.Series("published_from", origin, dtype=pl.String),
        pl.Series("author", people, dtype=pl.String),
        pl.coalesce(pl.Series(dl_text, dtype=pl.String), pl.col("dateline"),
                    pl.Series(au_dateline, dtype=pl.String)).alias("dateline"),
    )


def _reject_rows(rows: list[dict[str, Any]]) -> pl.DataFrame:
    df = pl.DataFrame(rows, schema=_REJECT_PL)
    return rejected_frame(df, STAGE, pl.concat_list(pl.col("_reason")))


def _parse_batch(batch: pl.DataFrame, params: config.Parse, stats: _Stats
                 ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One raw batch → (article rows in input order, rejected rows)."""
    batch = batch.with_row_index("_pos")
    # first word: raw_format may carry the evidence, "aggregator (sniffed ... in .dat)"
    is_agg = pl.col("raw_format").fill_null("").str.split(" ").list.first() == "aggregator"
    frames: list[pl.DataFrame] = []
    errors: list[dict[str, Any]] = []
    others = batch.filter(~is_agg)
    if others.height:
        try:
            frames.append(_other(others, stats))
        except Exception:  # isolate the bad record: retry row by row
            for i in range(others.height):
                one = others.slice(i, 1)
                try:
                    frames.append(_other(one, stats))
                except Exception as exc:  # one record must not stop the run
                    errors.append(_error(one.row(0, named=True), exc))
    agg_rows: list[dict[str, Any]] = []
    for row in batch.filter(is_agg).iter_rows(named=True):
        try:
            agg_rows.extend(_aggregator_rows(row, params, stats))
        except Exception as exc:  # one record must not stop the run
            errors.append(_error(row, exc))
    if agg_rows:
        frames.append(pl.DataFrame(agg_rows, schema=_ARTICLE_PL))
    articles = (pl.concat([_conform(f) for f in frames], how="vertical")
                .sort(_ORDER) if frames else pl.DataFrame(schema=_ARTICLE_PL))
    # An article with no stated outlet is attributed to its URL's host, so that per-source
    # steps (boilerplate lines, card counts) never pool unrelated sites under one null.
    articles = articles.with_columns(pl.coalesce(
        pl.col("source"),
        pl.col("url").str.to_lowercase().str.extract(_HOST_RE, 1)).alias("source"))
    articles = _provenance(articles, params, stats)
    articles, empty = _split_empty(articles, batch, params.min_body_chars)
    rejects = [r for r in (empty, _reject_rows(errors) if errors else None) if r is not None]
    return articles.drop(_ORDER), (pl.concat(rejects, how="diagonal_relaxed") if rejects
                                   else pl.DataFrame(schema=polars_schema(REJECTED_SCHEMA)))


def _error(row: dict[str, Any], exc: Exception) -> dict[str, Any]:
    keep = {k: row.get(k) for k in ("raw_file", "raw_record", "raw_sha256", "raw_encoding",
                                    "raw_format", "url", "source", "title", "author")}
    return {**keep, "id": record_id(str(row.get("raw_file")), int(row.get("raw_record") or 0)),
            "raw_excerpt": _excerpt(row.get("body")), "_reason": f"{STAGE}:error",
            "detail": f"{_where(row)}: {type(exc).__name__}: {exc}"}


def _split_empty(articles: pl.DataFrame, batch: pl.DataFrame, min_chars: int
                 ) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """Articles whose text is shorter than ``min_chars`` go to rejected (parse:empty-body)."""
    short = pl.col("text").fill_null("").str.len_chars() < min_chars
    empty = articles.filter(short)
    if empty.is_empty():
        return articles, None
    bodies = batch.filter(pl.col("_pos").is_in(empty.get_column("_pos").implode()))
    excerpts = pl.DataFrame({  # rejected rows are few: per-row byte cut is fine
        "_pos": bodies.get_column("_pos"),
        "raw_excerpt": [_excerpt(b) for b in bodies.get_column("body").to_list()],
    }, schema={"_pos": pl.UInt32, "raw_excerpt": pl.String})
    ids = [record_id(f, r) if sub == 0 else None for f, r, sub in
           empty.select("raw_file", "raw_record", "_sub").iter_rows()]
    empty = empty.with_columns(pl.Series("id", ids, dtype=pl.String)).join(
        excerpts, on="_pos", how="left", maintain_order="left")
    detail = pl.format("{}#{}: text has {} characters (minimum {})", pl.col("raw_file"),
                       pl.col("raw_record"), pl.col("text").fill_null("").str.len_chars(),
                       pl.lit(min_chars))
    rejected = rejected_frame(empty, STAGE, f"{STAGE}:empty-body", detail=detail)
    return articles.filter(~short), rejected


def run(inp: Path, out: Path, rejected: Path, params: Params | RawParams, *,
        suffixes: dict[str, set[str]] | None = None) -> StageReport:
    """Parse every raw record of ``inp`` into ``out`` (parts) and ``rejected``.
    ``suffixes``: the site suffixes per folder decided elsewhere (a cluster's
    :func:`akhbar.titles.count` / ``combine`` / ``decide`` over every part); without
    them, :func:`akhbar.titles.scan` reads ``inp`` first."""
    section = typed(params).parse

    def prepare(inp: Path) -> tuple[dict[str, set[str]], _Stats]:
        # "<headline> - <Site>": the site suffixes repeating per folder (akhbar.titles)
        found = titles.scan(inp, section.site_suffix) if suffixes is None else suffixes
        return found, _Stats()

    def step(batch: pl.DataFrame, state: tuple[dict[str, set[str]], _Stats]
             ) -> tuple[pl.DataFrame, pl.DataFrame]:
        articles, rejects = _parse_batch(batch, section, state[1])
        return titles.apply(articles, state[0]), rejects

    passes = streaming.Passes(step, prepare, lambda state: state[1].as_dict())
    return streaming.run(STAGE, Path(inp), Path(out), Path(rejected), passes,
                         batch_size=section.batch_size,
                         rows_per_file=section.rows_per_file)
