"""What the card's body shows: one context dict, every value read from the build.

Split from :mod:`akhbar.card` (which writes the files) so that each stays short. The
template (``akhbar/templates/datasheet.md``) holds prose only where the prose is true of
every build; anything about *this* corpus is a value from here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl
import yaml
from huggingface_hub import DatasetCardData

from akhbar import card_facts, citation, pipeline, plots
from akhbar.params import Params, RawParams, card_fields, typed
from akhbar.schema import SPLITS
from akhbar.shards import split_files

NOT_STATED = citation.NOT_STATED



def _composition(articles: pl.DataFrame) -> dict[str, list[dict[str, Any]]]:
    n = max(articles.height, 1)
    by_split = articles.group_by("split").len(name="articles")
    splits = {r["split"]: r["articles"] for r in by_split.iter_rows(named=True)}
    sources = (articles.with_columns(pl.col("source").fill_null("(unknown)"))
               .group_by("source").agg([(pl.col("split") == s).sum().alias(s) for s in SPLITS])
               .with_columns(pl.sum_horizontal(*SPLITS).alias("total"))
               .sort(["total", "source"], descending=[True, False]))
    years = (articles.with_columns(
        pl.col("published").dt.year().cast(pl.String).fill_null("(undated)").alias("year"))
        .group_by("year").len(name="articles").sort("year"))
    return {
        "split_counts": [{"name": s, "articles": splits.get(s, 0),
                          "share": f"{100 * splits.get(s, 0) / n:.1f}%"} for s in SPLITS],
        "sources": sources.to_dicts(),
        "years": years.to_dicts(),
    }


def _stage_params(stage: str, params: Params, raw_paths: Sequence[str]) -> str:
    known = pipeline.names()  # the sections a stage of the registry reads; else its name
    sections = pipeline.get(stage).sections if stage in known else (stage,)
    written = params.model_dump(by_alias=True)  # the YAML spellings, as the card shows them
    chosen = {s: written[s] for s in sections if s in written}
    if "raw" in chosen:  # the paths this build was given, not the file's default
        chosen["raw"] = {**chosen["raw"], "paths": list(raw_paths)}
    if not chosen:
        return ""
    return yaml.safe_dump(chosen, sort_keys=False, allow_unicode=True, width=100).rstrip()


def _removed(stats: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = [{"reason": r, "stage": r.split(":", 1)[0], "records": int(n)}
            for r, n in (stats.get("rejected") or {}).items()]
    return sorted(rows, key=lambda r: (-r["records"], r["reason"]))


def _split_rule(params: Params) -> str:
    split = params.split
    if split.mode == "temporal":
        period = split.temporal.period
        return (f"by publication {period}: test is the latest {period}, validation the one "
                f"before, train the rest and every undated article")
    return (f"by a salted hash (salt `{split.salt}`) of the article's near-duplicate "
            "cluster, so near-duplicates never straddle two splits and an article keeps its "
            "split when the corpus grows")


def _dedup_rule(params: Params) -> str:
    d = params.dedup
    order = ", ".join(f"`{c}`" for c in card_facts.DEDUP_KEEP_ORDER)
    return (f"Exact copies (same folded text) and near copies (estimated Jaccard ≥ "
            f"{d.threshold} on word {d.shingle_size}-grams, MinHash with "
            f"{d.num_perm} permutations) form one cluster; the copy kept is the first "
            f"by {order} (earliest publication first, undated last), the others go to "
            "`rejected` with `duplicate_of`. So the copy published first wins, whichever "
            "outlet it is from; the table shows from which sources copies were removed.")


def _stats(dataset_dir: Path) -> dict[str, Any]:
    path = Path(dataset_dir) / "stats.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _example_yaml(row: Mapping[str, Any] | None) -> str:
    if row is None:
        return ""
    return yaml.safe_dump(dict(row), sort_keys=False, allow_unicode=True, width=100).rstrip()


def context(dataset_dir: Path, params: Params | RawParams, validation: Mapping | None,
            plot_files: Mapping[str, Path], data: DatasetCardData,
            version: Mapping[str, Any], raw_paths: Sequence[str]) -> dict[str, Any]:
    """Everything the template shows, computed from the dataset folder."""
    dataset_dir = Path(dataset_dir)
    params = typed(params)
    card = card_fields(params)
    stats = _stats(dataset_dir)
    articles = card_facts.split_frame(
        dataset_dir, ["source", "published", "published_from", "category"])
    if articles.is_empty():
        articles = pl.DataFrame(schema={"split": pl.String, "source": pl.String,
                                        "published": pl.Datetime("us", "UTC")})
    comp = _composition(articles)
    sizes = {s["name"]: s for s in data.dataset_info[0]["splits"]}
    splits = [{**row, "download_size": sum(
        f.stat().st_size for f in split_files(dataset_dir, row["name"]))}
        for row in comp["split_counts"] if row["name"] in sizes]
    ran = stats.get("stages") or {}
    known = pipeline.names()  # the card lists the stages in pipeline order
    order = sorted(ran, key=lambda n: (known.index(n) if n in known else len(known), n))
    stages = [{"name": name, "rows_in": int(ran[name].get("rows_in", 0)),
               "rows_out": int(ran[name].get("rows_out", 0)),
               "rejected": sum(int(v) for v in (ran[name].get("rejected") or {}).values()),
               "params": _stage_params(name, params, raw_paths)}
              for name in order]
    link = citation.url(card)
    return {
        "pretty_name": card.get("pretty_name") or citation.title(card),
        "description": " ".join(str(card.get("description") or NOT_STATED).split()),
        "version": version["version"], "release": version["release"],
        "last_release": version["last_release"], "fingerprint": version["fingerprint"],
        "date": str(card["date"]) if card.get("date") and version["release"] else "",
        "license": card.get("license") or "unknown",
        "license_stated": bool(card.get("license")),
        "url": link or NOT_STATED, "repository": card.get("repository") or NOT_STATED,
        "creators": citation.author_names(card),
        "contact": card.get("contact") or NOT_STATED,
        "funding": card.get("funding") or NOT_STATED,
        "collection": " ".join(str(card.get("collection") or NOT_STATED).split()),
        "rights": " ".join(str(card.get("rights") or NOT_STATED).split()),
        "recommendations": " ".join(str(card.get("recommendations") or "").split()),
        "load_path": card.get("hub_repo") or "path/to/this/folder",
        "raw_paths": list(raw_paths),
        "total_articles": articles.height,
        "records_in": int(stats.get("records_in", 0)),
        "rejected_total": int(stats.get("rejected_total", sum(
            int(v) for v in (stats.get("rejected") or {}).values()))),
        "languages": ", ".join(f"`{x}`" for x in params.quality.languages),
        "split_rule": _split_rule(params),
        "dedup_rule": _dedup_rule(params),
        "dedup_effect": card_facts.dedup_effect(dataset_dir),
        "splits": splits,
        "sources": comp["sources"],
        "categories": card_facts.categories(articles),
        "years": comp["years"],
        "dates": card_facts.dates(articles),
        "stages": stages,
        "removed": _removed(stats),
        "residue": card_facts.residue(stats),
        "validation": dict(validation) if validation else None,
        "plots": [{"title": plots.PLOTS[name], "file": p.relative_to(dataset_dir).as_posix()}
                  for name, p in plot_files.items()],
        "fields": card_facts.data_fields(dataset_dir),
        "example": _example_yaml(card_facts.example_row(dataset_dir)),
        "bibtex": citation.bibtex(card, version["version"], version["fingerprint"],
                                  released=version["release"] is not None),
    }


def headline(ctx: Mapping[str, Any]) -> dict[str, Any]:
    """The few numbers ``dvc metrics show`` prints (``metrics.json``): articles per split,
    rejected per stage, date coverage, validation outcome. The detail stays in
    ``stats.json`` and ``reports/validation.json``."""
    by_stage: dict[str, int] = {}
    for r in ctx["removed"]:
        by_stage[r["stage"]] = by_stage.get(r["stage"], 0) + r["records"]
    dates = ctx["dates"]
    validation = ctx["validation"] or {}
    return {
        "articles": {**{s["name"]: s["articles"] for s in ctx["splits"]},
                     "total": ctx["total_articles"]},
        "records_in": ctx["records_in"],
        "rejected": {**dict(sorted(by_stage.items())), "total": ctx["rejected_total"]},
        "dated_share": round(dates["dated"] / dates["total"], 4) if dates["total"] else 0.0,
        "first_date": dates["first"] or "", "last_date": dates["last"] or "",
        "validation_failed": int(validation.get("failed", 0)),
        "validation_evaluated": int(validation.get("evaluated", 0)),
        "version": ctx["version"],
    }
