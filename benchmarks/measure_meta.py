"""Issue 14 figures for one SaudiNewsNet build: dates, the Hijri marker, author values.

Usage: ``python benchmarks/measure_meta.py BUILD_DIR [RAW_CORPUS_DIR]``, e.g.
``.venv/bin/python benchmarks/measure_meta.py /tmp/h5a-snn ../shared/corpora/saudinewsnet``.

* ``published``: share of kept rows with a date, by ``published_from``; rows dated after
  ``crawled`` (must be 0).
* ``هـ`` after a number: among kept articles whose *raw* body has one (``1436 هـ``,
  ``1436هـ``), the share whose published ``text`` still has it, and the share whose row
  (``text`` or ``dateline``: a parsed wire dateline moves there) has it.
* ``author``: the share of non-null values that are datelines or outlets, by patterns
  independent of :mod:`akhbar.authors`: framing characters (``-``, ``:``, parentheses,
  guillemets, tatweel as a dash), a wire/outlet word, or a single word.
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import polars as pl

HIJRI_MARK = r"[0-9٠-٩]\s*هـ"
FRAMING = r"[-–—:()«»\"]|\sـ|ـ\s|\sمن\s"
#: Whole words only (``\b`` is Unicode-aware in polars): "المواسي" is a name, not "واس".
OUTLET_WORDS = (r"\b(?:واس|رويترز|وكالات|الوكالات|متابعات|متابعة|أ\.?\s?ف\.?\s?ب|"
                r"د\.?\s?ب\.?\s?أ|الوئام|سبق|عكاظ|الاقتصادية|الشرق الأوسط|أونلاين|الإلكتروني|"
                r"مكتب|الرياضي)\b")


def raw_bodies(corpus: Path) -> pl.DataFrame:
    """(raw_file, raw_record, body) of every SaudiNewsNet record."""
    rows: list[tuple[str, int, str]] = []
    for zpath in sorted(corpus.glob("*.zip")):
        with zipfile.ZipFile(zpath) as zf:
            for name in zf.namelist():
                if name.endswith(".json"):
                    for i, rec in enumerate(json.loads(zf.read(name))):
                        rows.append((f"{corpus.name}/{zpath.name}/{name}", i,
                                     rec.get("content") or ""))
    return pl.DataFrame(rows, schema={"raw_file": pl.String, "raw_record": pl.Int64,
                                      "body": pl.String}, orient="row")


def main(build: Path, corpus: Path | None) -> None:
    kept = pl.read_parquet(build / "data" / "*.parquet")
    n = kept.height
    dated = kept.filter(pl.col("published").is_not_null())
    print(f"kept rows: {n}")
    print(f"published filled: {dated.height} ({dated.height / n:.1%})")
    print("published_from:", dict(kept.group_by("published_from").len().sort("published_from")
                                  .iter_rows()))
    after = kept.filter(pl.col("published") > pl.col("crawled")).height
    print(f"published after crawled: {after}")
    if corpus is not None and corpus.is_dir():
        raw = raw_bodies(corpus).filter(pl.col("body").str.contains(HIJRI_MARK))
        had = kept.join(raw.select("raw_file", "raw_record"), on=["raw_file", "raw_record"])
        in_text = had.filter(pl.col("text").str.contains(HIJRI_MARK)).height
        in_row = had.filter(pl.col("text").str.contains(HIJRI_MARK)
                            | pl.col("dateline").fill_null("").str.contains(HIJRI_MARK)).height
        print(f"kept articles whose raw body has a number + هـ: {had.height}; "
              f"still in text: {in_text} ({in_text / max(had.height, 1):.1%}); "
              f"in text or dateline: {in_row} ({in_row / max(had.height, 1):.1%})")
    authors = kept.filter(pl.col("author").is_not_null()
                          & (pl.col("author").str.strip_chars() != ""))
    bad = authors.filter(pl.col("author").str.contains(FRAMING)
                         | pl.col("author").str.contains(OUTLET_WORDS)
                         | (pl.col("author").str.strip_chars().str.count_matches(r"\S+") == 1))
    print(f"author non-null: {authors.height} ({authors.height / n:.1%} of kept); "
          f"datelines/outlets by pattern: {bad.height} "
          f"({bad.height / max(authors.height, 1):.1%})")
    print("dateline non-null:", kept.get_column("dateline").is_not_null().sum())
    print("category non-null:", kept.get_column("category").is_not_null().sum())


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
