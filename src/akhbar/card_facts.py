"""Facts the card states, each read from the build itself.

Why a module of its own: the card must not assert anything its build cannot show. Every
function here reads the published Parquet files, ``stats.json`` or the parameters the
build ran with, and returns plain rows for the template; nothing here is prose.
What a build cannot know (licence, curators, how the raw data was collected) comes from
the ``card`` section of the parameters and is rendered "not stated" when absent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq
from datasets import Features

from akhbar.schema import DESCRIPTIONS, SPLITS
from akhbar.shards import rejected_files, split_files, splits_files

#: Characters of a string shown in the example row, items of a list.
EXAMPLE_CHARS = 160
EXAMPLE_ITEMS = 3
#: Sample removed-residue lines shown in the card.
RESIDUE_SAMPLES = 12

#: How the dedup stage picks the copy to keep (akhbar.dedup.plan sorts by these).
DEDUP_KEEP_ORDER = ("published", "crawled", "id", "raw_file", "raw_record")


def split_frame(dataset_dir: Path, columns: Sequence[str]) -> pl.DataFrame:
    """``split`` plus the ``columns`` that exist, of every published article (only
    those columns are read, so a large corpus's texts stay on disk)."""
    frames = []
    for split in SPLITS:
        files = split_files(dataset_dir, split)
        if not files:
            continue
        names = pq.read_schema(files[0]).names
        frames.append(pl.scan_parquet(files).select(
            pl.lit(split).alias("split"), *[pl.col(c) for c in columns if c in names])
            .collect(engine="streaming"))
    return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()


def data_fields(dataset_dir: Path) -> list[dict[str, str]]:
    """Every column of the ``default`` and ``rejected`` configs: name, type (as
    ``datasets`` shows it), which config has it, and its description (from
    :data:`akhbar.schema.DESCRIPTIONS`, the one place)."""
    rows: dict[str, dict[str, str]] = {}
    default = [f for files in splits_files(dataset_dir).values() for f in files]
    for config, files in (("default", default), ("rejected", rejected_files(dataset_dir))):
        if not files:
            continue
        schema = pq.read_schema(files[0]).remove_metadata()
        for item in Features.from_arrow_schema(schema)._to_yaml_list():
            name = item["name"]
            dtype = item.get("dtype") or (
                f"list[{item['list'].get('dtype', '?')}]" if isinstance(item.get("list"), dict)
                else f"list[{item.get('list')}]" if "list" in item else "?")
            if name in rows:
                rows[name]["configs"] += f", {config}"
                continue
            rows[name] = {"name": name, "type": str(dtype), "configs": config,
                          "description": DESCRIPTIONS.get(name, "not stated")}
    return list(rows.values())


def _short(value: Any) -> Any:
    if isinstance(value, str):
        value = value.replace("\n", " ⏎ ")
        return value if len(value) <= EXAMPLE_CHARS else value[:EXAMPLE_CHARS] + " …"
    if isinstance(value, list):
        head = [_short(v) for v in value[:EXAMPLE_ITEMS]]
        return [*head, "…"] if len(value) > EXAMPLE_ITEMS else head
    if isinstance(value, float):
        return round(value, 3)
    return value


def example_row(dataset_dir: Path) -> dict[str, Any] | None:
    """The first row of the first published shard, strings and lists truncated."""
    for split in SPLITS:
        files = split_files(dataset_dir, split)
        if files:
            pf = pq.ParquetFile(files[0])
            if pf.metadata.num_rows:
                row = pf.read_row_group(0).slice(0, 1).to_pylist()[0]
                return {k: (str(v) if hasattr(v, "isoformat") else _short(v))
                        for k, v in row.items()}
    return None


def categories(articles: pl.DataFrame) -> list[dict[str, Any]]:
    """Articles per category and split, when the ``category`` column is filled."""
    if "category" not in articles.columns or articles.get_column("category").null_count() \
            == articles.height:
        return []
    return (articles.with_columns(pl.col("category").fill_null("(none)"))
            .group_by("category").agg([(pl.col("split") == s).sum().alias(s) for s in SPLITS])
            .with_columns(pl.sum_horizontal(*SPLITS).alias("total"))
            .sort(["total", "category"], descending=[True, False]).to_dicts())


def dates(articles: pl.DataFrame) -> dict[str, Any]:
    """Date coverage: share of dated articles, first and last date, and where the dates
    came from (``published_from``)."""
    n = articles.height
    if not n or "published" not in articles.columns:
        return {"dated": 0, "total": n, "share": "0.0%", "first": None, "last": None,
                "origins": []}
    dated = articles.drop_nulls("published")
    origin = (pl.col("published_from") if "published_from" in articles.columns
              else pl.lit(None, pl.String))
    origins = (articles.select(
        pl.when(pl.col("published").is_null()).then(pl.lit("(undated)"))
        .otherwise(origin.fill_null("(not recorded)")).alias("from"))
        .group_by("from").len(name="articles").sort(["articles", "from"],
                                                    descending=[True, False]))
    return {
        "dated": dated.height, "total": n, "share": f"{100 * dated.height / n:.1f}%",
        "first": str(dated.get_column("published").min().date()) if dated.height else None,
        "last": str(dated.get_column("published").max().date()) if dated.height else None,
        "origins": [{**r, "share": f"{100 * r['articles'] / n:.1f}%"}
                    for r in origins.to_dicts()],
    }


def dedup_effect(dataset_dir: Path) -> list[dict[str, Any]]:
    """Duplicates removed per source (``dedup:*`` rows of ``rejected``): what the keep
    rule did to the source mix."""
    files = rejected_files(dataset_dir)
    if not files:
        return []
    frame = (pl.scan_parquet(files).select("source", "reason")
             .filter(pl.col("reason").str.starts_with("dedup:"))
             .group_by(pl.col("source").fill_null("(unknown)"), "reason").len(name="n")
             .collect())
    if frame.is_empty():
        return []
    wide = frame.pivot(on="reason", index="source", values="n").fill_null(0)
    reasons = [c for c in wide.columns if c != "source"]
    return (wide.with_columns(pl.sum_horizontal(*reasons).alias("total"))
            .sort(["total", "source"], descending=[True, False])
            .select("source", "total", *sorted(reasons)).to_dicts())


def _residue_block(stats: Mapping[str, Any]) -> Any:
    """The ``residue`` block of a stage report (the cleaner's), found by its key rather
    than by the stage's name; in a top-level section of older builds."""
    stages = [b for b in (stats.get("stages") or {}).values() if isinstance(b, Mapping)]
    for holder in [*stages, *(b.get("stats") or {} for b in stages), *stats.values()]:
        if isinstance(holder, Mapping) and holder.get("residue"):
            return holder["residue"]
    return None


def residue(stats: Mapping[str, Any]) -> dict[str, Any] | None:
    """The clean stage's removed residue (``clean.residue``): per-source pattern counts
    and sample removed lines ``{source, pattern, line}``. None when the build has none
    (older builds, or a cleaner without the step)."""
    block = _residue_block(stats)
    if not isinstance(block, Mapping):
        return None
    counts: list[dict[str, Any]] = []
    per_source = block.get("counts") or block.get("per_source") or block.get("sources") or {}
    if isinstance(per_source, Mapping):
        for source, patterns in per_source.items():
            if isinstance(patterns, Mapping):
                for pattern, n in patterns.items():
                    if isinstance(n, int | float):
                        counts.append({"source": source or "(unknown)", "pattern": pattern,
                                       "lines": int(n)})
    counts.sort(key=lambda r: (-r["lines"], r["source"], str(r["pattern"])))
    samples = []
    for item in block.get("samples") or []:
        if isinstance(item, Mapping) and item.get("line"):
            samples.append({"source": item.get("source") or "(unknown)",
                            "pattern": item.get("pattern") or "",
                            "line": _short(str(item["line"]))})
    if not counts and not samples:
        return None
    return {"counts": counts, "samples": samples[:RESIDUE_SAMPLES],
            "total": sum(r["lines"] for r in counts)}


