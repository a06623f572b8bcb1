"""The outcome of a validation run: checks folded over batches, and the result object.

Why a fold: ``akhbar.validate`` runs each GX suite on many batches; a check fails when it
fails on any batch and keeps its first :data:`MAX_EXAMPLES` example ids, so the report
has one line per check however large the corpus is. The report holds counts and ids only
(no timestamps), so ``validation.json`` is byte-stable and can be a DVC metric.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from akhbar.schema import SPLITS

MAX_EXAMPLES = 5


class Failure(NamedTuple):
    """One failed check: where, what, on which column, and up to 5 example ids."""

    suite: str
    expectation: str
    column: str | None
    examples: list[str]


@dataclass
class ValidationResult:
    """Outcome of :func:`run`; ``report`` is the content of ``validation.json``."""

    ok: bool
    evaluated: int
    passed: int
    failed: int
    failures: list[Failure]
    report: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """Readable outcome naming each failed check with its example ids."""
        head = (f"validation {'passed' if self.ok else 'FAILED'}: {self.evaluated} checks, "
                f"{self.passed} passed, {self.failed} failed")
        lines = [head]
        for suite, body in self.report.get("suites", {}).items():
            for check in body["expectations"]:
                if check["success"]:
                    continue
                on = f" on {check['column']}" if check["column"] else ""
                examples = ", ".join(check["examples"]) or "-"
                lines.append(f"  FAIL {suite}.{check['check']} ({check['type']}{on}): "
                             f"{check['unexpected_count']} unexpected; e.g. {examples}")
        return "\n".join(lines)


@dataclass
class Check:
    """The running outcome of one check over all the batches it saw."""

    type: str
    column: str | None
    success: bool = True
    element_count: int = 0
    unexpected_count: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, success: bool, unexpected: int, examples: list[str],
            elements: int = 0) -> None:
        self.success = self.success and success
        self.element_count += elements
        self.unexpected_count += unexpected
        for e in examples:
            if len(self.examples) < MAX_EXAMPLES and e not in self.examples:
                self.examples.append(e)


class Tally:
    """(suite, check) → :class:`Check`, in the order checks were first met."""

    def __init__(self) -> None:
        self.checks: dict[str, dict[str, Check]] = {}

    def add(self, suite: str, check: str, type_: str, column: str | None, success: bool,
            unexpected: int = 0, examples: list[str] | None = None, elements: int = 0
            ) -> None:
        entry = self.checks.setdefault(suite, {}).setdefault(check, Check(type_, column))
        entry.add(success, unexpected if not success else 0, examples or [], elements)

    def add_gx(self, suite: str, result: Any, where: str | None = None) -> None:
        """Fold one GX ``ExpectationSuiteValidationResult`` in; ``where`` names the batch
        for table-level expectations (which have no row ids)."""
        for r in result.results:
            cfg = r.expectation_config
            kwargs = cfg.kwargs
            column = kwargs.get("column") or (
                f"{kwargs['column_A']},{kwargs['column_B']}" if "column_A" in kwargs else None)
            error = _exception(r.exception_info)
            examples: list[str] = []
            if error:
                examples = [f"{where or 'batch'}: error: {error}"]
            elif not r.success:
                rows = r.result.get("partial_unexpected_index_list") or []
                examples = [_example(row) for row in rows] or ([where] if where else [])
            unexpected = r.result.get("unexpected_count") or (0 if r.success else 1)
            self.add(suite, cfg.meta.get("check", cfg.type), cfg.type, column,
                     bool(r.success) and not error, unexpected, examples,
                     int(r.result.get("element_count") or 0))

    def merge(self, other: Tally) -> None:
        """Fold in the tally of the next rows (a part validated elsewhere): the same
        outcome as if its batches had been added here, in order."""
        for suite, checks in other.checks.items():
            for name, c in checks.items():
                entry = self.checks.setdefault(suite, {}).setdefault(name,
                                                                     Check(c.type, c.column))
                entry.add(c.success, c.unexpected_count, c.examples, c.element_count)

    def report(self) -> dict[str, Any]:
        suites: dict[str, Any] = {}
        for suite, checks in sorted(self.checks.items()):
            items = [{"check": name, "type": c.type, "column": c.column, "success": c.success,
                      "element_count": c.element_count,
                      "unexpected_count": c.unexpected_count, "examples": c.examples}
                     for name, c in checks.items()]
            failed = sum(not i["success"] for i in items)
            suites[suite] = {"evaluated": len(items), "passed": len(items) - failed,
                             "failed": failed, "success": failed == 0, "expectations": items}
        evaluated = sum(s["evaluated"] for s in suites.values())
        failed = sum(s["failed"] for s in suites.values())
        return {"evaluated": evaluated, "passed": evaluated - failed, "failed": failed,
                "success": failed == 0, "suites": suites}


def _exception(info: Any) -> str | None:
    """The message of an expectation that raised (GX nests it per metric sometimes)."""
    if not info:
        return None
    if "raised_exception" in info:
        return str(info.get("exception_message")) if info["raised_exception"] else None
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message"))
    return None


def _example(row: Any) -> str:
    """An example id from a GX unexpected-index row (``loc`` stands in for a null id)."""
    import pandas as pd

    if not isinstance(row, dict):
        return str(row)
    for key in ("id", "loc", "key"):
        value = row.get(key)
        if value is not None and not pd.isna(value):
            return str(value)
    return "<null id>"


# --------------------------------------------------------------------------- accounting


def read_stats(path: Path) -> tuple[dict[str, int], list[str]]:
    """Expected counts from ``stats.json`` (key → n) and what is wrong with the file."""
    try:
        stats = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return {}, [f"stats.json: {exc.__class__.__name__}"]
    problems = []
    expected: dict[str, int] = {}
    articles = stats.get("articles") if isinstance(stats, dict) else None
    rejected = stats.get("rejected") if isinstance(stats, dict) else None
    if not isinstance(articles, dict) or not isinstance(rejected, dict):
        return {}, ["stats.json: no articles/rejected mapping"]
    for split in SPLITS:
        if not isinstance(articles.get(split), int):
            problems.append(f"stats.json: articles.{split} missing")
    for prefix, counts in (("articles", articles), ("rejected", rejected)):
        for name, n in counts.items():
            if isinstance(n, int) and not isinstance(n, bool):
                expected[f"{prefix}:{name}"] = n
            else:
                problems.append(f"stats.json: {prefix}.{name} is not a count")
    if isinstance(stats.get("rejected_total"), int):
        expected["rejected_total"] = stats["rejected_total"]
    else:
        problems.append("stats.json: rejected_total missing")
    return expected, problems


def counts_frame(observed: dict[str, int], expected: dict[str, int]) -> Any:
    """One row per count key: observed in the files vs expected from stats.json."""
    import pyarrow as pa

    keys = sorted(set(observed) | set(expected))
    return pa.table({
        "key": pa.array(keys, pa.string()),
        "observed": pa.array([observed.get(k, 0) for k in keys], pa.int64()),
        "expected": pa.array([expected.get(k, 0) for k in keys], pa.int64()),
    })
