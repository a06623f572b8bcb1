"""No silent collapse: a build that keeps too little fails instead of publishing.

A corpus read with the wrong reader or decoder does not crash: it "succeeds" with every
record in ``rejected`` or with titles null in every row, and validation of what is left
passes. These floors (``build`` in ``params.yaml``) turn that into a failed build (exit 1)
with one line naming the raw format and the column. They read only ``stats.json``
(:func:`akhbar.collect.format_counts`), after the split.

Rows removed as duplicates are not counted as lost: a syndicated corpus may lose most of
its rows to dedup, and that is the dedup doing its job, not a collapse.
"""

from __future__ import annotations

from typing import Any

from akhbar.collect import COVERAGE_COLUMNS
from akhbar.errors import UsageError
from akhbar.params import Params, RawParams, typed


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%" if x >= 0.01 or x == 0 else f"{100 * x:.2f}%"


def check_params(params: Params | RawParams) -> None:
    """Refuse (before any stage runs) a coverage floor on a column that is not counted."""
    for column in typed(params).build.min_coverage:
        if column not in COVERAGE_COLUMNS:
            raise UsageError(f"params build.min_coverage.{column}: coverage is counted only "
                             f"for {', '.join(COVERAGE_COLUMNS)}")


def check(stats: dict[str, Any], params: Params | RawParams) -> list[str]:
    """Every floor the build falls below, one line each, the worst first (empty when the
    build keeps enough)."""
    b = typed(params).build
    min_share, min_rows = b.min_kept_share, b.min_format_rows
    coverage: dict[str, float] = dict(b.min_coverage)
    formats: dict[str, dict[str, Any]] = stats.get("formats", {})
    kept = int(stats.get("articles_total", 0))
    rejected = stats.get("rejected", {})
    duplicates = sum(n for r, n in rejected.items() if r.startswith("dedup:"))
    counted = kept + int(stats.get("rejected_total", 0)) - duplicates
    top = max(((n, r) for r, n in rejected.items() if not r.startswith("dedup:")),
              default=None)
    most = f"; most rejected: {top[1]} ({top[0]})" if top else ""
    if counted == 0 and kept == 0:
        return ["no record was read from the inputs (no file of a known format?)"]
    problems = []
    if kept == 0:
        problems.append(f"kept no article of {counted} records{most}")
    elif kept / counted < min_share:
        problems.append(f"kept {kept} of {counted} records ({_pct(kept / counted)}; floor "
                        f"build.min_kept_share {_pct(min_share)}){most}")
    for fmt, f in formats.items():
        n = f["rows"] - f["duplicates"]
        if kept and n >= min_rows and f["kept"] / n < min_share:
            why = f"; most rejected: {f['top_rejected']}" if f.get("top_rejected") else ""
            problems.append(f"format {fmt}: kept {f['kept']} of {n} records "
                            f"({_pct(f['kept'] / n)}; floor build.min_kept_share "
                            f"{_pct(min_share)}){why}")
        if f["own"] < min_rows:
            continue
        for column, floor in coverage.items():
            filled = int(f["filled"].get(column, 0))
            # a format that never yields the column does not carry it: nothing to check
            if 0 < filled < floor * f["own"]:
                problems.append(
                    f"format {fmt}: column {column} filled in {filled} of {f['own']} kept "
                    f"rows ({_pct(filled / f['own'])}; floor build.min_coverage.{column} "
                    f"{_pct(floor)})")
    return problems


def message(problems: list[str]) -> str:
    """One line: the first problem, and how many more there are."""
    more = f" (and {len(problems) - 1} more floor(s) failed)" if len(problems) > 1 else ""
    return problems[0] + more
