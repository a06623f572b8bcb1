"""Story pairs across splits, checked independently of the pipeline's MinHash.

Usage: ``.venv/bin/python benchmarks/story_leaks.py DATASET_DIR [--threshold 0.5]``.
Exact Jaccard of word 5-gram sets (folded text, shingles hashed by polars, not rensa):
candidate pairs come from an inverted index of shingles held by 2..``--max-df`` articles,
and every candidate's Jaccard is then computed exactly on the full shingle sets. Prints
the pairs at or above the threshold, how many straddle two splits, and examples.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import polars as pl

from akhbar.folding import fold_expr
from akhbar.schema import SPLITS


def shingle_frame(df: pl.DataFrame, k: int = 5) -> pl.DataFrame:
    words = (df.select("doc", fold_expr(pl.col("text").fill_null("")).str.split(" ").alias("w"))
             .explode("w").filter(pl.col("w").str.len_chars() > 0)
             .with_columns(pl.int_range(pl.len()).over("doc").alias("pos")))
    grams = pl.concat_str([pl.col("w").shift(-j).over("doc") for j in range(k)], separator=" ")
    return (words.with_columns(grams.alias("g")).drop_nulls("g")
            .select("doc", pl.col("g").hash(seed=7).alias("h")).unique())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--max-df", type=int, default=200)
    args = ap.parse_args()
    df = pl.concat([pl.read_parquet(f, columns=["id", "text", "story_id"])
                    .with_columns(pl.lit(s).alias("split"))
                    for s in SPLITS
                    for f in sorted((args.dataset / "data").glob(f"{s}-*.parquet"))]
                   ).with_row_index("doc")
    sh = shingle_frame(df)
    size = sh.group_by("doc").len("n")
    df_h = sh.group_by("h").len("df").filter((pl.col("df") > 1) & (pl.col("df") <= args.max_df))
    post = sh.join(df_h.select("h"), on="h", how="semi")
    pairs = (post.join(post, on="h", suffix="_b").filter(pl.col("doc") < pl.col("doc_b"))
             .group_by("doc", "doc_b").len("shared_rare"))
    pairs = (pairs.join(size, on="doc").join(size.rename({"doc": "doc_b", "n": "n_b"}),
                                             on="doc_b")
             # J >= t needs shared >= t/(1+t) * (n + n_b); rare shingles are a lower bound
             # only when frequent ones are few, so keep a wide net and check exactly
             .filter(pl.col("shared_rare") >= 0.2 * pl.min_horizontal("n", "n_b")))
    sets = sh.group_by("doc").agg("h")
    exact = (pairs.join(sets, on="doc").join(sets.rename({"doc": "doc_b", "h": "h_b"}),
                                             on="doc_b")
             .with_columns(pl.col("h").list.set_intersection("h_b").list.len().alias("i"))
             .with_columns((pl.col("i") / (pl.col("n") + pl.col("n_b") - pl.col("i")))
                           .alias("jaccard"))
             .filter(pl.col("jaccard") >= args.threshold)
             .select("doc", "doc_b", "jaccard"))
    meta = df.select("doc", "id", "split", "story_id")
    exact = (exact.join(meta, on="doc")
             .join(meta.rename({c: f"{c}_b" for c in meta.columns}), on="doc_b"))
    cross = exact.filter(pl.col("split") != pl.col("split_b"))
    out = {"rows": df.height, "pairs_at_or_above": exact.height, "cross_split": cross.height,
           "cross_split_different_story": int(cross.filter(
               pl.col("story_id") != pl.col("story_id_b")).height),
           "examples": cross.sort("jaccard", descending=True).head(5)
           .select("id", "id_b", "jaccard", "split", "split_b").to_dicts()}
    print(json.dumps(out, ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main()
