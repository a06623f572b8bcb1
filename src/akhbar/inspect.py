"""``akhbar inspect RAW...``: what a build would read, in seconds, before the build.

It runs the real ``ingest`` and ``parse`` stages (no second parser) on a sample — the
first ``sample`` files or archive members in build order — into a temporary folder, and
reports: files per (extension, detected format), records per format and encoding, the
field mapping chosen per format (which key or line became which column), the coverage of
each article column, the rejections, and three parsed examples. A wrong mapping (titles
in ``body``, a crawl date taken for a publication date, no category) shows at once.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import polars as pl

from akhbar import ingest, io, parse
from akhbar.ingest import presets
from akhbar.ingest.sniff import base_format
from akhbar.params import Params, RawParams

#: Columns whose coverage is reported (article columns a user maps).
COLUMNS = ("title", "url", "source", "author", "published", "crawled", "category", "tags",
           "dateline", "text")

#: Where each column comes from, for formats whose layout is fixed (dumps are resolved
#: per file from their keys: see :mod:`akhbar.ingest.presets`).
LAYOUTS: dict[str, dict[str, str]] = {
    "trec": {"title": "<HEADLINE>|<TITLE>|<HL>", "published": "<DATE_TIME>|<DATE>|<TIME>",
             "source": "<SOURCE>|<SRC>|doc id agency", "author": "<AUTHOR>|<BYLINE>",
             "category": "<CAT>|<CATEGORY>|<SECTION>", "url": "<URL>|http DOCNO",
             "text": "<DATELINE> + <ABSTRACT> + <TEXT>|<BODY>"},
    "plaintext": {"title": "first line, when it reads as a headline",
                  "source": "repeated ' - Site' ending the titles of a folder",
                  "published": "a date line at the top (not an HTTP date)",
                  "crawled": "an HTTP date line at the top (ingest.text.http_date)",
                  "text": "the lines after the header lines"},
    "aggregator": {"title": "first line, when it reads as a headline",
                   "source": "'المصدر:' line", "published": "'نشر <date>' footer",
                   "tags": "glued tags + 'كلمات دلالية:'",
                   "text": "the page without its furniture"},
    "html": {"title": "trafilatura title", "source": "og:site_name / host",
             "published": "article:published_time meta, else htmldate",
             "url": "canonical link", "author": "author meta", "text": "trafilatura main text"},
    "warc": {"url": "WARC-Target-URI", "crawled": "WARC-Date",
             "text": "HTML response through trafilatura"},
}


def _coverage(frame: pl.DataFrame) -> dict[str, float]:
    n = frame.height
    out = {}
    for column in COLUMNS:
        if column not in frame.columns or not n:
            continue
        col = frame.get_column(column)
        filled = col.is_not_null()
        if col.dtype == pl.String:
            filled = filled & (col.str.strip_chars() != "")
        out[column] = round(filled.sum() / n, 4)
    return out


def _example(row: dict[str, Any], chars: int) -> dict[str, Any]:
    keep = {k: row.get(k) for k in ("raw_file", "raw_format", "raw_encoding", *COLUMNS)}
    for key in ("published", "crawled"):
        keep[key] = keep[key].isoformat() if keep.get(key) is not None else None
    if keep.get("text"):
        keep["text"] = keep["text"][:chars].replace("\n", " ⏎ ")
    return keep


def _pick(articles: pl.DataFrame, n: int) -> list[dict[str, Any]]:
    """``n`` example rows, one per format first (a mixed folder shows each mapping)."""
    if not articles.height:
        return []
    rows = articles.with_row_index("_i")
    first = rows.unique("raw_format", keep="first", maintain_order=True).head(n)
    rest = rows.filter(~pl.col("_i").is_in(first.get_column("_i").implode())).head(
        n - first.height)
    return [r for r in pl.concat([first, rest]).drop("_i").iter_rows(named=True)]


def inspect(paths: list[Path], params: Params | RawParams, sample: int = 200,
            examples: int = 3, chars: int = 200) -> dict[str, Any]:
    """The inspection report of ``paths`` (a JSON-ready mapping)."""
    mappings: dict[str, Counter[str]] = {}

    def observe(keys: set[str], mapping: presets.Mapping_) -> None:
        for column, tried in mapping.pairs:
            used = next((k for k in tried if k in keys), None)
            if used is not None:
                mappings.setdefault(f"preset {mapping.preset}", Counter())[
                    f"{column} <- {used}"] += 1

    token = presets.OBSERVER.set(observe)
    try:
        with tempfile.TemporaryDirectory(prefix="akhbar-inspect-") as tmp:
            work = Path(tmp)
            report = ingest.run([Path(p) for p in paths], work / "ingested",
                                work / "rejected-ingest.parquet", params, max_files=sample)
            parsed = parse.run(work / "ingested", work / "parsed",
                               work / "rejected-parse.parquet", params) \
                if report.rows_out else None
            articles = io.read_frame(work / "parsed") if parsed and parsed.rows_out \
                else pl.DataFrame()
    finally:
        presets.OBSERVER.reset(token)
    stats = report.stats
    rejected = Counter(report.rejected)
    if parsed is not None:
        rejected.update(parsed.rejected)
    by_format: dict[str, dict[str, float]] = {}
    field_mapping: dict[str, dict[str, str]] = {}
    if articles.height:
        for fmt in sorted(set(articles.get_column("raw_format").drop_nulls())):
            by_format[fmt] = _coverage(articles.filter(pl.col("raw_format") == fmt))
            base = base_format(fmt) or fmt
            if base in LAYOUTS:
                field_mapping[base] = LAYOUTS[base]
    for name, pairs in sorted(mappings.items()):
        field_mapping[name] = {p.split(" <- ")[0]: f"key {p.split(' <- ')[1]!r} ({n} files)"
                               for p, n in sorted(pairs.items())}
    return {
        "sampled_files": sum(sum(c.values()) for c in stats["files_by_extension"].values()),
        "sample_limit": sample,
        "files_by_extension": stats["files_by_extension"],
        "records_by_format": stats["formats"],
        "records_by_encoding": stats["encodings"],
        "records_in": report.rows_in,
        "articles": articles.height,
        "rejected": dict(sorted(rejected.items())),
        "skipped": stats["skipped"],
        "field_mapping": field_mapping,
        "coverage": _coverage(articles),
        "coverage_by_format": by_format,
        "examples": [_example(r, chars) for r in _pick(articles, examples)],
    }


def render(result: dict[str, Any]) -> str:
    """The report as plain text for a terminal."""
    lines = [f"sampled {result['sampled_files']} files (limit {result['sample_limit']}): "
             f"{result['records_in']} records, {result['articles']} parsed articles"]
    lines.append("files per extension → detected format:")
    for ext, formats in result["files_by_extension"].items():
        lines.append(f"  {ext}: " + ", ".join(f"{f} {n}" for f, n in formats.items()))
    for title, key in (("records per format", "records_by_format"),
                       ("records per encoding", "records_by_encoding"),
                       ("rejected", "rejected"), ("skipped", "skipped")):
        if result[key]:
            lines.append(f"{title}: " + ", ".join(f"{k} {v}" for k, v in result[key].items()))
    lines.append("field mapping:")
    for fmt, mapping in result["field_mapping"].items():
        lines.append(f"  {fmt}:")
        lines.extend(f"    {column:<10} ← {src}" for column, src in mapping.items())
    lines.append("coverage (share of parsed articles with a value):")
    lines.append("  " + "  ".join(f"{c} {v:.0%}" for c, v in result["coverage"].items()))
    for fmt, cov in result["coverage_by_format"].items():
        lines.append(f"  {fmt}: " + "  ".join(f"{c} {v:.0%}" for c, v in cov.items()))
    lines.append("examples:")
    for ex in result["examples"]:
        lines.append(f"  - {ex['raw_file']} [{ex['raw_format']}, {ex['raw_encoding']}]")
        for column in COLUMNS:
            if ex.get(column) not in (None, [], ""):
                lines.append(f"      {column}: {ex[column]}")
    return "\n".join(lines)
