"""``akhbar diff A B``: what changed between two builds of the dataset.

An article is matched first by its stable id. An article whose id changed because its text
changed (the id hashes the normalized text when there is no URL) is matched by its
provenance instead: the same ``(raw_file, raw_record)`` on both sides, when that key names
exactly one unmatched article on each side (a host page cut into several "read also"
articles may share a key; those are never guessed).

Every kept article of A or B lands in exactly one category:

* ``unchanged`` – same id, same text, same split;
* ``moved`` – same id, same text, another split;
* ``changed`` – text changed: same id (an id hashes the URL when there is one) with another
  text, or another id with the same provenance (an id hashes the text when there is no URL);
* ``removed`` – kept in A only; ``reason`` says why B rejected it (or ``absent`` when B
  never saw its raw record);
* ``added`` – kept in B only; ``was`` says why A had rejected it (or ``new``).

The report is plain JSON (``--json``); :func:`changelog_section` renders it as Markdown
for a release's changelog; the explorer's "Changes" page reads the same report.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import polars as pl

from akhbar.errors import AkhbarError
from akhbar.schema import SPLITS
from akhbar.shards import rejected_files, split_files

_KEPT_COLUMNS = ["id", "source", "category", "title", "raw_file", "raw_record"]
_KEY = ["raw_file", "raw_record"]
KINDS = ("added", "removed", "moved", "changed")


def resolve(ref: str | Path, repo: Path | str = ".") -> Path:
    """A build folder, or a release tag (``v0.1.0``) fetched through :mod:`akhbar.versions`."""
    path = Path(ref)
    if (path / "data").is_dir():
        return path
    from akhbar import versions

    try:
        versions.tag(str(ref))
    except ValueError:
        raise AkhbarError(f"{ref}: neither a dataset folder (no data/ inside) nor a "
                          "release tag vX.Y.Z") from None
    return versions.fetch(str(ref), repo)


def kept(dataset_dir: Path) -> pl.DataFrame:
    """``id, split, source, category, title, raw_file, raw_record, text_hash`` of every kept
    article (the hash only ever compared within one process)."""
    frames = []
    for split in SPLITS:
        for f in split_files(dataset_dir, split):
            frames.append(pl.read_parquet(f, columns=[*_KEPT_COLUMNS, "text"])
                          .with_columns(pl.lit(split).alias("split"),
                                        pl.col("text").hash(seed=0).alias("text_hash"))
                          .drop("text"))
    schema = ({c: pl.String for c in _KEPT_COLUMNS}
              | {"raw_record": pl.Int64, "split": pl.String, "text_hash": pl.UInt64})
    if not frames:
        return pl.DataFrame(schema=schema)
    return pl.concat(frames, how="vertical_relaxed").cast(schema)  # type: ignore[arg-type]


def rejected(dataset_dir: Path) -> pl.DataFrame:
    """``id, reason, source, category, title, raw_file, raw_record`` of every removed row."""
    files = rejected_files(dataset_dir)
    cols = [*_KEPT_COLUMNS, "reason"]
    if not files:
        return pl.DataFrame(schema={c: pl.Int64 if c == "raw_record" else pl.String
                                    for c in cols})
    return pl.concat([pl.read_parquet(f, columns=cols) for f in files], how="vertical_relaxed")


def _unique_key(df: pl.DataFrame) -> pl.DataFrame:
    """Rows whose provenance key occurs once in ``df``."""
    return df.filter(pl.len().over(_KEY) == 1)


def _fate(rows: pl.DataFrame, other_rejected: pl.DataFrame, default: str) -> list[str]:
    """For each row, the reason ``other_rejected`` gives it (by id, else by a unique
    provenance key), else ``default``."""
    by_id = dict(zip(other_rejected["id"].to_list(), other_rejected["reason"].to_list(),
                     strict=True))
    uniq = _unique_key(other_rejected)
    by_key = dict(zip(zip(uniq["raw_file"].to_list(), uniq["raw_record"].to_list(),
                          strict=True), uniq["reason"].to_list(), strict=True))
    return [by_id.get(i) or by_key.get((f, r)) or default
            for i, f, r in rows.select("id", *_KEY).iter_rows()]


def _records(df: pl.DataFrame, cols: list[str]) -> list[dict[str, Any]]:
    return df.select(cols).to_dicts()


def compare(a: Path, b: Path) -> dict[str, Any]:
    """The diff report of build folder ``a`` (before) against ``b`` (after)."""
    ka, kb = kept(a), kept(b)
    both = ka.join(kb, on="id", how="inner", suffix="_b")
    same_text = pl.col("text_hash") == pl.col("text_hash_b")
    moved = both.filter(same_text & (pl.col("split") != pl.col("split_b")))
    edited = both.filter(~same_text).with_columns(pl.col("id").alias("id_b"))
    a_only = ka.join(kb, on="id", how="anti")
    b_only = kb.join(ka, on="id", how="anti")
    renamed = _unique_key(a_only).join(_unique_key(b_only), on=_KEY, suffix="_b")
    changed = pl.concat([edited.select(renamed.columns), renamed], how="vertical_relaxed")
    removed = a_only.join(renamed.select("id"), on="id", how="anti")
    added = b_only.join(renamed.select(pl.col("id_b").alias("id")), on="id", how="anti")
    ra, rb = rejected(a), rejected(b)
    removed = removed.with_columns(pl.Series("reason", _fate(removed, rb, "absent"),
                                             dtype=pl.String))
    added = added.with_columns(pl.Series("was", _fate(added, ra, "new"), dtype=pl.String))

    base = ["id", "split", "source", "category", "title"]
    report: dict[str, Any] = {
        "a": str(a), "b": str(b),
        "totals": {"a": ka.height, "b": kb.height, "added": added.height,
                   "removed": removed.height, "moved": moved.height,
                   "changed": changed.height,
                   "unchanged": both.height - moved.height - edited.height},
        "added": _records(added, [*base, "was"]),
        "removed": _records(removed, [*base, "reason"]),
        "moved": [{"id": r["id"], "from": r["split"], "to": r["split_b"],
                   "source": r["source"], "category": r["category"], "title": r["title"]}
                  for r in moved.to_dicts()],
        "changed": [{"id_a": r["id"], "id_b": r["id_b"], "split_a": r["split"],
                     "split_b": r["split_b"], "source": r["source_b"],
                     "category": r["category_b"], "title": r["title_b"],
                     "raw_file": r["raw_file"], "raw_record": r["raw_record"]}
                    for r in changed.to_dicts()],
    }
    report["splits"] = _split_counts(ka, kb, report)
    report["by_source"] = _grouped(report, "source")
    report["by_category"] = _grouped(report, "category")
    rc_a, rc_b = Counter(ra["reason"].to_list()), Counter(rb["reason"].to_list())
    report["rejected"] = {r: {"a": rc_a[r], "b": rc_b[r], "delta": rc_b[r] - rc_a[r]}
                          for r in sorted(set(rc_a) | set(rc_b))}
    report["removed_by_reason"] = dict(sorted(Counter(removed["reason"].to_list()).items()))
    report["added_from"] = dict(sorted(Counter(added["was"].to_list()).items()))
    return report


def _split_counts(ka: pl.DataFrame, kb: pl.DataFrame,
                  report: dict[str, Any]) -> list[dict[str, Any]]:
    ca, cb = Counter(ka["split"].to_list()), Counter(kb["split"].to_list())
    out = []
    for s in SPLITS:
        out.append({
            "split": s, "a": ca[s], "b": cb[s],
            "added": sum(r["split"] == s for r in report["added"]),
            "removed": sum(r["split"] == s for r in report["removed"]),
            "moved_in": sum(r["to"] == s for r in report["moved"]),
            "moved_out": sum(r["from"] == s for r in report["moved"]),
            "changed": sum(r["split_b"] == s for r in report["changed"]),
        })
    return out


def _grouped(report: dict[str, Any], key: str) -> dict[str, dict[str, int]]:
    """``{value: {added, removed, moved, changed}}`` (null shown as ``(none)``)."""
    out: dict[str, dict[str, int]] = {}
    for kind in KINDS:
        for r in report[kind]:
            name = r.get(key) or "(none)"
            out.setdefault(name, dict.fromkeys(KINDS, 0))[kind] += 1
    return dict(sorted(out.items()))


def write_json(report: dict[str, Any], path: Path) -> Path:
    """Write the report as UTF-8 JSON (Arabic kept readable)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def _table(head: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|---" + "|---:" * (len(head) - 1) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return out


def changelog_section(report: dict[str, Any], title: str | None = None) -> str:
    """A Markdown changelog section from a :func:`compare` report (what ``akhbar release``
    writes under a version's heading)."""
    t = report["totals"]
    lines = [f"### {title}", ""] if title else []
    lines.append(f"Articles: {t['a']:,} → {t['b']:,}: +{t['added']:,} added, "
                 f"-{t['removed']:,} removed, {t['moved']:,} moved between splits, "
                 f"{t['changed']:,} with changed text.")
    lines += ["", "Per split:", "", *_table(
        ["split", "before", "after", "added", "removed", "moved in", "moved out", "changed"],
        [[r["split"], r["a"], r["b"], r["added"], r["removed"], r["moved_in"],
          r["moved_out"], r["changed"]] for r in report["splits"]])]
    for key, label in (("by_source", "source"), ("by_category", "category")):
        if report[key]:
            lines += ["", f"Per {label}:", "", *_table(
                [label, *KINDS], [[name, *(c[k] for k in KINDS)]
                                  for name, c in report[key].items()])]
    if report["removed_by_reason"]:
        lines += ["", "Why removed articles were removed:", "", *_table(
            ["reason", "articles"], [[r, n] for r, n in report["removed_by_reason"].items()])]
    changed_reasons = {r: c for r, c in report["rejected"].items() if c["delta"]}
    if changed_reasons:
        lines += ["", "Rejected records per reason:", "", *_table(
            ["reason", "before", "after", "change"],
            [[r, c["a"], c["b"], f"{c['delta']:+d}"] for r, c in changed_reasons.items()])]
    return "\n".join(lines) + "\n"
