"""The ``validate`` stage: Great Expectations suites that gate every build.

Why GX: the suites are declarative JSON that a reviewer can read and DVC can track, and
GX's expectations (regex, ranges, uniqueness, column pairs) already report unexpected
rows with their ids. GX 1.x has no polars engine, so rows are fed to its pandas engine
(:meth:`akhbar.gx_session.Gx.validate_many`: strings Arrow-backed, numbers numpy where
exact; each group of expectations on the columns it reads; BASIC results, SUMMARY with
example ids only for a group that failed), one part of ``validate.batch_size`` rows at a
time so that memory stays bounded whatever the corpus size. Cross-split checks (keys,
leakage) keep only small key columns in memory.

The stage is a map and a reduce: :func:`parts` cuts the published splits, each part is
validated on its own (:mod:`akhbar.validate_parts`: here, or as Dask tasks through
:mod:`akhbar.distributed.validate`), and :func:`finish` merges the parts' results in
order and runs the global suites once. Results of every part are folded into one outcome
per (suite, check): a check fails when it fails on any part, and keeps its first
:data:`MAX_EXAMPLES` example ids, so the report does not depend on the cut.
``reports_dir/validation.json`` holds counts and examples only (no timestamps), so that it
is a deterministic DVC metric; Data Docs HTML (optional, ``validate.data_docs``) goes to
``reports_dir/data_docs/``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from akhbar import expectations_report as er
from akhbar import validate_buckets
from akhbar import validate_parts as vp
from akhbar.expectations_report import MAX_EXAMPLES, Failure, Tally, ValidationResult
from akhbar.gx_session import Gx as _Gx
from akhbar.gx_session import gx as _gx
from akhbar.params import Params, RawParams, typed
from akhbar.schema import ARTICLE_SCHEMA, REJECTED_SCHEMA, SPLITS
from akhbar.shards import SHARD_NAME, data_files, rejected_files

__all__ = ["MAX_EXAMPLES", "Failure", "ValidationResult", "main", "run", "suite_parameters"]

_INDEX = vp.INDEX  # columns GX reports for an unexpected row (loc only when id is null)


def _regex_literal(text: str) -> str:
    """Escape a marker for a regex both Python ``re`` and RE2 read the same way
    (``re.escape`` escapes spaces, which RE2 rejects)."""
    return "".join("\\" + c if c in r".^$*+?{}[]\|()" else c for c in text)


def _boilerplate_regex(line_markers: list[str], anywhere: list[str]) -> str:
    """One regex: a line that starts with a line marker (``المصدر:`` heads an attribution
    line, while ``وقال المصدر:`` is prose), or an anywhere marker (a footer fragment such as
    ``تابعونا عبر`` glued onto a sentence). Matches nothing when no marker is configured."""
    parts = []
    if line_markers:
        parts.append("(?m:^[ \t]*(?:" + "|".join(_regex_literal(m) for m in line_markers)
                     + "))")
    parts.extend(_regex_literal(m) for m in anywhere)
    return "|".join(parts) or r"[^\s\S]"


def suite_parameters(params: Params | RawParams,
                     reason_stages: Sequence[str] | None = None) -> dict[str, Any]:
    """GX suite parameters from ``params.validate_`` and, for the filter's guarantees,
    ``params.quality`` (``quality_<key>``: the very values the filter applied)."""
    import pandas as pd

    params = typed(params)
    v, q = params.validate_, params.quality
    markers = [m for m in v.boilerplate_markers if m]

    def ts(value: Any) -> Any:
        stamp = pd.Timestamp(value)
        return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")

    from akhbar.expectations_suites import known_reason

    return {
        "known_reason": known_reason(reason_stages),  # the registry's stages that set rows aside
        "min_text_chars": v.min_text_chars,
        "max_text_chars": v.max_text_chars,
        "date_min": ts(v.date_min),
        "date_max": ts(v.date_max),
        # a class that matches nothing when no marker is configured
        "boilerplate_regex": _boilerplate_regex(
            v.boilerplate_line_markers, markers),
        **{f"quality_{k}": getattr(q, k) for k in (
            "min_words", "max_words", "min_mean_word_length", "max_mean_word_length",
            "min_arabic_ratio", "max_dup_line_frac", "max_top_ngram_frac",
            "min_punct_line_ratio", "min_lang_score", "languages")},
    }


def _check_schema(tally: Tally, gx: _Gx, suites: dict[str, Any], suite: str, check: str,
                  contract: pa.Schema, path: Path, seen: dict[Any, Any]) -> None:
    """Column order through GX (on an empty frame of the file's schema); Arrow types and
    nullability with pyarrow, since GX's type check sees pandas dtypes, not Arrow types.
    ``seen`` caches GX's outcome per column list: shards of one build share a schema."""
    schema = pq.read_schema(path)
    names = tuple(schema.names)
    if names not in seen:
        seen[names] = gx.validate(suites[suite], schema.empty_table(), {})
    tally.add_gx(suite, seen[names], where=path.name)
    bad = []
    for f in contract:
        if f.name in schema.names:
            got = schema.field(f.name)
            if got.type != f.type or got.nullable != f.nullable:
                bad.append(f"{path.name}:{f.name} is {got.type}"
                           f"{'' if got.nullable else ' not null'}")
    tally.add(suite, check, "pyarrow", None, not bad, len(bad), bad)


def _check_shard_names(tally: Tally, pairs: list[tuple[str, Path]]) -> None:
    """Every split present as a complete ``{split}-NNNNN-of-NNNNN`` series, nothing else."""
    bad: list[str] = []
    series: dict[str, list[tuple[int, int]]] = {s: [] for s in SPLITS}
    for _, path in pairs:
        m = SHARD_NAME.match(path.name)
        if not m or m["split"] not in series:
            bad.append(path.name)
        else:
            series[m["split"]].append((int(m["i"]), int(m["n"])))
    for split, shards in series.items():
        totals = {n for _, n in shards}
        if len(totals) != 1 or sorted(i for i, _ in shards) != list(range(totals.pop())):
            bad.append(f"{split}: shards {sorted(shards)}")
    tally.add("schema_splits", "shard_names", "pyarrow", None, not bad, len(bad), bad)


def _validate_splits(tally: Tally, gx: _Gx, suites: dict[str, Any], dataset_dir: Path,
                     parameters: dict[str, Any], observed: Counter[str],
                     results: Iterable[vp.PartResult]) -> None:
    """Schema suites per split file; the per-row suites' results of the parts
    (:mod:`akhbar.validate_parts`) folded in order; then the cross-split suites on the
    key columns and leakage pairs the parts gathered (the texts themselves are not kept)."""
    pairs = data_files(dataset_dir)
    _check_shard_names(tally, pairs)
    seen: dict[Any, Any] = {}
    for split, path in pairs:
        _check_schema(tally, gx, suites, "schema_splits", "split_arrow_types",
                      ARTICLE_SCHEMA, path, seen)
        observed[f"articles:{split}"] += pq.ParquetFile(path).metadata.num_rows
    rows, keys, leakage = vp.merge(results)
    tally.merge(rows)
    if isinstance(keys, Tally):  # checked bucket by bucket on a cluster
        tally.merge(keys)
    else:
        tally.add_gx("keys", gx.validate(suites["keys"], keys, parameters, _INDEX))
    if isinstance(leakage, Tally):  # checked bucket by bucket on a cluster
        tally.merge(leakage)
    else:
        tally.add_gx("leakage", gx.validate(suites["leakage"], leakage, parameters, _INDEX))


def _validate_rejected(tally: Tally, gx: _Gx, suites: dict[str, Any], dataset_dir: Path,
                       parameters: dict[str, Any], batch_rows: int, observed: Counter[str]
                       ) -> None:
    """Schema and known reasons of the rejected rows; counts them per reason."""
    rejected = [("rejected", p) for p in rejected_files(dataset_dir)]
    seen: dict[Any, Any] = {}
    for _, path in rejected:
        _check_schema(tally, gx, suites, "schema_rejected", "rejected_arrow_types",
                      REJECTED_SCHEMA, path, seen)
    for part in vp.plan(rejected, batch_rows):
        table = vp.read_part(part, ["id", "reason"])
        tally.add_gx("accounting_rejected", gx.validate(
            suites["accounting_rejected"], table.drop_columns(["split"]), parameters, _INDEX))
        if "reason" in table.column_names:
            counts = pc.value_counts(table.column("reason").combine_chunks())
            for item in counts.to_pylist():
                observed[f"rejected:{item['values']}"] += item["counts"]
                observed["rejected_total"] += item["counts"]


def parts(dataset_dir: Path | str, params: Params | RawParams) -> list[list[vp.Slice]]:
    """The map of the stage: the published splits cut into parts of at most
    ``validate.batch_size`` rows (:func:`akhbar.validate_parts.plan`)."""
    return vp.plan(data_files(Path(dataset_dir)), typed(params).validate_.batch_size)


def run(dataset_dir: Path, params: Params | RawParams, reports_dir: Path | None = None,
        reason_stages: Sequence[str] | None = None) -> ValidationResult:
    """Validate a built dataset folder; write ``validation.json`` (+ Data Docs).
    ``reason_stages``: the stages whose names may prefix a reason (default: the registry's).
    The parts are validated here, in order (:func:`akhbar.validate_parts.map_local`); past
    ``validate_buckets.BUCKET_ROWS`` rows the keys and leakage suites run bucket by bucket
    (:mod:`akhbar.validate_buckets`)."""
    parameters = suite_parameters(params, reason_stages)
    plan = parts(dataset_dir, params)
    buckets = validate_buckets.buckets_for(plan)
    results = (validate_buckets.map_bucketed(plan, parameters, Path(dataset_dir), buckets)
               if buckets else vp.map_local(plan, parameters))
    return finish(dataset_dir, params, results, reports_dir, reason_stages)


def finish(dataset_dir: Path | str, params: Params | RawParams,
           results: Iterable[vp.PartResult], reports_dir: Path | None = None,
           reason_stages: Sequence[str] | None = None) -> ValidationResult:
    """The reduce of the stage: the schema suites, the parts' results (``results``, in
    the order of :func:`parts`) merged, the global suites (keys, leakage, rejected rows,
    accounting) on the merged keys and counts; ``validation.json`` (+ Data Docs)."""
    from akhbar.expectations_suites import load_suites

    dataset_dir = Path(dataset_dir)
    params = typed(params)
    v = params.validate_
    gx, suites, tally = _gx(), load_suites(), Tally()
    parameters = suite_parameters(params, reason_stages)
    observed: Counter[str] = Counter({f"articles:{s}": 0 for s in SPLITS})
    observed["rejected_total"] = 0
    _validate_splits(tally, gx, suites, dataset_dir, parameters, observed, results)
    _validate_rejected(tally, gx, suites, dataset_dir, parameters, v.batch_size, observed)

    # accounting: observed counts against stats.json
    expected, problems = er.read_stats(dataset_dir / "stats.json")
    tally.add("accounting_counts", "stats_json_valid", "pyarrow", None, not problems,
              len(problems), problems)
    tally.add_gx("accounting_counts", gx.validate(
        suites["accounting_counts"], er.counts_frame(dict(observed), expected), parameters,
        ["key"]))

    report = tally.report()
    if reports_dir is not None:
        _write_reports(Path(reports_dir).resolve(), report, suites, v.data_docs,
                       parameters)
    failures = [Failure(suite, c["check"], c["column"], c["examples"])
                for suite, body in report["suites"].items()
                for c in body["expectations"] if not c["success"]]
    return ValidationResult(ok=report["success"], evaluated=report["evaluated"],
                            passed=report["passed"], failed=report["failed"],
                            failures=failures, report=report)


def _write_reports(reports_dir: Path, report: dict[str, Any], suites: dict[str, Any],
                   data_docs: bool, parameters: dict[str, Any]) -> None:
    reports_dir.mkdir(parents=True, exist_ok=True)
    (reports_dir / "validation.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
        encoding="utf-8")
    if data_docs:
        from akhbar.expectations_docs import build_data_docs

        build_data_docs(_gx().context, reports_dir / "data_docs", report, suites, parameters)


def main(dataset_dir: Path | str, params_path: Path | str | None = None,
         reports_dir: Path | str | None = None) -> int:
    """Validate, print the summary, return the exit code (0 ok, 1 failed)."""
    from akhbar import params as params_mod

    dataset_dir = Path(dataset_dir)
    result = run(dataset_dir, params_mod.load(params_path),
                 Path(reports_dir) if reports_dir else dataset_dir / "reports")
    print(result.summary())
    return 0 if result.ok else 1
