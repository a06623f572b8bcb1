"""What every stage shares: its report and how it sets rows aside.

A stage is a function ``run(..., params) -> StageReport``. It never drops a row
silently: a row leaves a stage either in its output or in its rejected table, with a
reason of the form ``<stage>:<why>`` (``ingest:invalid-json``, ``quality:too-short``).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from akhbar.schema import REJECTED_SCHEMA


@dataclass
class StageReport:
    """Counts a stage reports; merged into ``stats.json`` by the build."""

    name: str
    rows_in: int = 0
    rows_out: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)
    _t0: float = field(default_factory=time.perf_counter, repr=False)

    def finish(self) -> StageReport:
        self.seconds = round(time.perf_counter() - self._t0, 3)
        return self

    def to_dict(self) -> dict[str, Any]:
        """Counts only: timings stay out so that ``stats.json`` (and ``dvc.lock``) is
        byte-identical between two builds of the same inputs."""
        return {
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "rejected": dict(sorted(self.rejected.items())),
            **({"stats": self.stats} if self.stats else {}),
        }

    def write(self, path: Path) -> None:
        """Write the report as JSON (the per-stage metric DVC tracks)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({self.name: self.to_dict()}, ensure_ascii=False,
                                   indent=2, sort_keys=True) + "\n", encoding="utf-8")


def rejected_frame(df: pl.DataFrame, stage: str, reasons: pl.Expr | str,
                   detail: pl.Expr | str | None = None,
                   duplicate_of: pl.Expr | None = None) -> pl.DataFrame:
    """Turn rows of ``df`` into rejected rows.

    ``reasons`` is a list-of-strings expression (every reason that fired) or one reason
    string; ``reason`` is the first of them. Columns of ``df`` that the rejected schema
    does not know are dropped (they were stage-internal).
    """
    if isinstance(reasons, str):
        reasons = pl.lit([reasons], dtype=pl.List(pl.String))
    out = df.with_columns(
        pl.lit(stage).alias("stage"),
        reasons.alias("reasons"),
    ).with_columns(pl.col("reasons").list.first().alias("reason"))
    if detail is not None:
        out = out.with_columns(
            (pl.lit(detail) if isinstance(detail, str) else detail).alias("detail"))
    if duplicate_of is not None:
        out = out.with_columns(duplicate_of.alias("duplicate_of"))
    keep = [c for c in out.columns if c in REJECTED_SCHEMA.names]
    return out.select(keep)


def count_reasons(rejected: pl.DataFrame) -> Counter[str]:
    """Reason → number of rows, for a stage's report."""
    if rejected.is_empty():
        return Counter()
    vc = rejected.get_column("reason").value_counts()
    return Counter(dict(zip(vc.get_column("reason").to_list(),
                            vc.get_column("count").to_list(), strict=True)))
