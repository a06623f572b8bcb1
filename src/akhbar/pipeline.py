"""The pipeline as one table: stage name → input folder → output folder.

Both ``dvc repro`` (through ``scripts/<stage>.py``) and ``akhbar build`` run stages through
:func:`run_stage`, so the two paths cannot drift apart. Folders are past participles of
the stage verbs, under one root (``data/`` for DVC, a work folder for the CLI).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from akhbar.params import Params
from akhbar.stage import StageReport

#: (stage, module, output folder) in pipeline order, up to the split.
STAGES: list[tuple[str, str, str]] = [
    ("ingest", "akhbar.ingest", "ingested"),
    ("parse", "akhbar.parse", "parsed"),
    ("clean", "akhbar.clean", "cleaned"),
    ("filter", "akhbar.quality", "filtered"),
    ("dedup", "akhbar.dedup", "deduplicated"),
]


@dataclass(frozen=True)
class Layout:
    """Where a build keeps its intermediate tables."""

    root: Path

    def output(self, stage: str) -> Path:
        return self.root / dict((s, o) for s, _, o in STAGES)[stage]

    def input(self, stage: str) -> Path:
        names = [s for s, _, _ in STAGES]
        if stage == "split":
            return self.output("dedup")
        return self.output(names[names.index(stage) - 1])

    def rejected(self, stage: str) -> Path:
        return self.root / "rejected" / f"{stage}.parquet"

    def report(self, stage: str) -> Path:
        return self.root / "stats" / f"{stage}.json"

    def rejected_files(self) -> list[Path]:
        return [self.rejected(s) for s, _, _ in STAGES]

    def report_files(self) -> list[Path]:
        return [self.report(s) for s in [*(s for s, _, _ in STAGES), "split"]]


def run_stage(stage: str, layout: Layout, params: Params,
              raw_paths: Sequence[Path] | None = None,
              dataset_dir: Path | None = None) -> StageReport:
    """Run one stage from ``layout`` and write its report next to its output."""
    if stage == "split":
        if dataset_dir is None:
            raise ValueError("the split stage needs a dataset folder")
        from akhbar import split

        report = split.run(layout.input("split"), dataset_dir, params)
    else:
        module = importlib.import_module(dict((s, m) for s, m, _ in STAGES)[stage])
        first = list(raw_paths or []) if stage == "ingest" else layout.input(stage)
        report = module.run(first, layout.output(stage), layout.rejected(stage), params)
    if not report.seconds:
        report.finish()
    report.write(layout.report(stage))
    return report


def load_reports(layout: Layout) -> dict[str, dict]:
    """The stage reports written so far, in pipeline order."""
    out: dict[str, dict] = {}
    for path in layout.report_files():
        if path.exists():
            out.update(json.loads(path.read_text(encoding="utf-8")))
    return out
