"""Share of kept rows that still hold source-revealing residue (issue 14, finding 2).

Usage: ``.venv/bin/python benchmarks/residue_share.py DATASET_DIR [--examples N]``.
Two independent measures: hand-written patterns per residue class (below), and the
per-source frequency method (a line whose URL/number/e-mail-masked, folded form recurs in
at least 5 articles and 0.5 % of its source's articles, and has at most 20 words).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import polars as pl

from akhbar.folding import fold_expr

#: Residue classes named by issue 14 (line-level regexes, on the normalized text).
PATTERNS = {
    "link-back": r"(?m)^.{0,60}رابط (?:الخبر|المقال|المادة)",
    "share-widget": (r"(?m)شارك.{0,20}(?:تويتر|فيسبوك|فيس بوك|جوجل بلس)|"
                     r"^\s*(?:أضف|اكتب) (?:تعليقك|رأيك)"),
    "other-articles": r"(?m)^.{0,20}(?:مقالات (?:أخرى|سابقة) ل|المزيد من مقالات|جميع مقالات)",
    "wire-marker": r"//\s*(?:انتهى|يتبع)\s*//",
    "sms-contact": (r"(?i)\bSMS\b.{0,40}(?:بالرمز|الرمز|إلى \d)|"
                    r"أرسل .{0,30}إلى (?:الرقم|رقم) \d"),
    "email": r"[\w.+-]+@[\w-]+\.[A-Za-z]{2,}",
    # a line that is only a link, or an image file name (a URL inside a sentence is content)
    "url": r"(?im)^\s*[\(\[]?\s*(?:https?://|www\.)\S*\s*[\)\]]?\s*$|\.(?:jpe?g|png|gif)\b",
    "tag-list": r"(?m)^\s*(?:كلمات دلالية|الكلمات الدلالية|الوسوم|وسوم|الكلمات المفتاحية)\s*[:：]",
    "photo-caption": r"(?m)^\s*[\(\[]?\s*(?:تصوير|عدسة|الصورة)\s*[:：]",
}
URL = r"(?i)(?:https?://|www\.)\S+"
EMAIL = r"[\w.+-]+@[\w-]+\.[\w.-]+"


def masked_lines(df: pl.DataFrame) -> pl.DataFrame:
    return (df.select(pl.int_range(pl.len()).alias("row"), pl.col("source").fill_null(""),
                      pl.col("text").fill_null("").str.split("\n").alias("line"))
            .explode("line").filter(pl.col("line").str.len_bytes() > 0)
            .with_columns(fold_expr(pl.col("line").str.replace_all(URL, " url ")
                                    .str.replace_all(EMAIL, " email "))
                          .str.replace_all(r"\d+", "0").alias("key"))
            .filter(pl.col("key").str.count_matches(" ") < 20, pl.col("key") != "")
            .unique(["row", "key"]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--examples", type=int, default=3)
    args = ap.parse_args()
    df = pl.concat([pl.read_parquet(f, columns=["id", "source", "text"])
                    for f in sorted((args.dataset / "data").glob("*.parquet"))])
    n = df.height
    out: dict = {"rows": n, "patterns": {}}
    any_hit = pl.lit(False)
    for name, pat in PATTERNS.items():
        hit = pl.col("text").str.contains(pat)
        any_hit = any_hit | hit
        rows = df.filter(hit)
        ex = [line for t in rows.head(args.examples)["text"].to_list()
              for line in t.split("\n") if pl.Series([line]).str.contains(pat)[0]][:args.examples]
        out["patterns"][name] = {"rows": rows.height, "share": round(rows.height / n, 5),
                                 "examples": [e[:160] for e in ex]}
    out["any_pattern"] = {"rows": int(df.select(any_hit.sum()).item()),
                          "share": round(df.select(any_hit.mean()).item(), 5)}
    lines = masked_lines(df)
    docs = lines.group_by("source", "key").agg(pl.len().alias("docs"))
    per_src = df.group_by(pl.col("source").fill_null("")).len("articles")
    frames = (docs.join(per_src, on="source")
              .filter(pl.col("docs") >= 5, pl.col("docs") >= 0.005 * pl.col("articles")))
    hit_rows = lines.join(frames.select("source", "key"), on=["source", "key"], how="semi")
    out["frequency_method"] = {
        "rows": hit_rows.get_column("row").n_unique(),
        "share": round(hit_rows.get_column("row").n_unique() / n, 5),
        "top": [{"source": s, "key": k[:120], "docs": d} for s, k, d in
                frames.sort("docs", descending=True).head(25)
                .select("source", "key", "docs").iter_rows()]}
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
