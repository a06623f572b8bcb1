"""Short modules: no module of the library exceeds 400 lines (issue 13).

Why a test: a long module is where several concepts end up sharing one file; the limit makes
a split (by purpose) happen when a module grows, not in a later clean-up."""

from __future__ import annotations

from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
MAX_LINES = 400


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


@pytest.mark.parametrize("package", ["akhbar", "akhbar_dev"])
def test_no_module_exceeds_400_lines(package: str) -> None:
    modules = sorted((SRC / package).rglob("*.py"))
    assert modules, f"no modules under {SRC / package}"
    long = {p.relative_to(SRC).as_posix(): n for p in modules if (n := _lines(p)) > MAX_LINES}
    assert long == {}, f"split these modules by purpose (> {MAX_LINES} lines): {long}"

