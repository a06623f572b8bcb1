"""Site names glued to titles: ``<headline> - <Site>`` / ``<headline> | <Site>``.

Why per folder and only when it repeats: one title cannot tell a site name from the end
of a headline ("الهلال يفوز - الدوري يشتعل"), but a crawl of one site ends most of its
titles with the same `` - Site``. A trailing part after the *last* separator that ends
at least ``min_titles`` titles and ``min_share`` of the titles of one folder (the
``raw_file`` label's parent) is the site: it leaves the title and fills ``source`` when
the record has none. The parse stage reads the titles once before its batches
(:func:`scan`), then applies the result to every batch (:func:`apply`).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import polars as pl

from akhbar import io
from akhbar.config import SiteSuffix

_SEPARATOR = re.compile(r"\s+(?:[-|–—]|::)\s+")
_SPACE = re.compile(r"\s+")


#: ``parse.site_suffix`` in params.yaml (the typed model; defaults live there only).
SuffixParams = SiteSuffix


def split(title: str) -> tuple[str, str] | None:
    """``(headline, suffix)`` at the last separator, or None."""
    parts = list(_SEPARATOR.finditer(title))
    if not parts:
        return None
    last = parts[-1]
    head, tail = title[:last.start()].strip(), title[last.end():].strip()
    return (head, tail) if head and tail else None


def _folder(raw_file: str | None) -> str:
    return (raw_file or "").rsplit("/", 1)[0] if "/" in (raw_file or "") else ""


def _key(suffix: str) -> str:
    return _SPACE.sub(" ", suffix).strip().casefold()


Counts = tuple[Counter[str], Counter[tuple[str, str]]]


def count(rows: pl.DataFrame, params: SuffixParams) -> Counts:
    """Map: titles per folder and (folder, suffix) counts of ``rows`` (``raw_file``,
    ``title``). Counts of disjoint row sets add up (:func:`combine`)."""
    totals: Counter[str] = Counter()
    counts: Counter[tuple[str, str]] = Counter()
    for raw_file, title in rows.filter(pl.col("title").is_not_null()).iter_rows():
        folder = _folder(raw_file)
        totals[folder] += 1
        parts = split(title)
        if parts and len(parts[1].split()) <= params.max_words:
            counts[folder, _key(parts[1])] += 1
    return totals, counts


def combine(a: Counts, b: Counts) -> Counts:
    """Combine: counters add up."""
    return a[0] + b[0], a[1] + b[1]


def decide(got: Counts, params: SuffixParams) -> dict[str, set[str]]:
    """Decide: the suffixes ending at least ``min_titles`` and ``min_share`` of the titles
    of their folder."""
    totals, counts = got
    out: dict[str, set[str]] = {}
    for (folder, suffix), n in counts.items():
        if n >= params.min_titles and n / totals[folder] >= params.min_share:
            out.setdefault(folder, set()).add(suffix)
    return out


def scan(inp: Path, params: SuffixParams) -> dict[str, set[str]]:
    """The site suffixes of each folder of the raw rows under ``inp``."""
    got: Counts = (Counter(), Counter())
    for batch in io.read_batches(Path(inp), batch_size=100_000, columns=["raw_file", "title"]):
        got = combine(got, count(batch, params))
    return decide(got, params)


def apply(articles: pl.DataFrame, suffixes: dict[str, set[str]]) -> pl.DataFrame:
    """Titles without their folder's site suffix; ``source`` filled from it when null."""
    if not suffixes or articles.is_empty():
        return articles
    titles, sources = [], []
    for raw_file, title, source in articles.select("raw_file", "title", "source").iter_rows():
        known = suffixes.get(_folder(raw_file))
        parts = split(title) if known and title else None
        if parts and _key(parts[1]) in known:
            titles.append(parts[0])
            sources.append(source or parts[1])
        else:
            titles.append(title)
            sources.append(source)
    return articles.with_columns(pl.Series("title", titles, dtype=pl.String),
                                 pl.Series("source", sources, dtype=pl.String))

