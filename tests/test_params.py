"""Parameters: one YAML file, merged over the packaged defaults, read into dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from akhbar import params
from conftest import ROOT


@dataclass(frozen=True)
class Limits:
    ratio: float = 1.5
    count: int = 3
    name: str = "x"


def test_section_coerces_ignores_unknown_keys_and_keeps_defaults() -> None:
    got = params.section(Limits, {"ratio": 2, "count": "7", "unknown": True})
    assert got == Limits(ratio=2.0, count=7, name="x")
    assert isinstance(got.ratio, float)
    assert params.section(Limits, None) == Limits()


def test_user_file_overrides_only_its_keys(tmp_path: Path) -> None:
    user = tmp_path / "p.yaml"
    user.write_text(yaml.safe_dump({"quality": {"min_words": 3}}), encoding="utf-8")
    merged, defaults = params.load(user), params.load()
    assert merged["quality"]["min_words"] == 3
    assert merged["quality"]["min_arabic_ratio"] == defaults["quality"]["min_arabic_ratio"]
    assert merged["dedup"] == defaults["dedup"]


def test_a_non_mapping_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(ValueError, match="mapping"):
        params.load(bad)


def test_packaged_defaults_are_the_projects_params_yaml() -> None:
    on_disk = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    assert params.defaults() == on_disk
