"""Dates, the Hijri marker and author values on one day of the real SaudiNewsNet corpus.

Reads ``../shared/corpora/saudinewsnet`` (skipped when absent); asserts shares only, no text
of the corpus is copied here."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

from akhbar.authors import is_outlet, split_author
from akhbar.datelines import split_dateline
from akhbar.text import normalize
from akhbar.urldates import url_date

ROOT = Path(__file__).resolve().parents[1]
CANDIDATES = [ROOT.parent / "shared", ROOT.parents[1] / "shared"]


@pytest.fixture(scope="module")
def records() -> list[dict[str, str]]:
    for shared in CANDIDATES:
        zips = sorted((shared / "corpora" / "saudinewsnet").glob("*.zip"))
        if zips:
            with zipfile.ZipFile(zips[len(zips) // 2]) as zf:
                return [r for n in zf.namelist() if n.endswith(".json")
                        for r in json.loads(zf.read(n))]
    pytest.skip("../shared/corpora/saudinewsnet is absent (the shared corpora are optional)")


@pytest.mark.slow
def test_dates_recovered(records: list[dict[str, str]]) -> None:
    dated = 0
    for r in records:
        crawled = r["date_extracted"]
        found = split_dateline(r["content"])
        day = found.published if found else url_date(r["url"])
        if day is not None:
            assert day.strftime("%Y-%m-%d") <= crawled[:10]  # never after the crawl
            dated += 1
    assert dated / len(records) >= 0.30
    wire = [r for r in records if r["source"] == "was"]
    if wire:  # the agency's own stories open with a dated dateline
        assert sum(split_dateline(r["content"]) is not None for r in wire) / len(wire) >= 0.9


@pytest.mark.slow
def test_hijri_marker_kept(records: list[dict[str, str]]) -> None:
    mark = re.compile(r"[0-9٠-٩]\s*هـ")
    had = [r["content"] for r in records if mark.search(r["content"])]
    assert had
    kept = sum(bool(mark.search(normalize(body))) for body in had)
    assert kept / len(had) >= 0.95


@pytest.mark.slow
def test_author_values_are_people(records: list[dict[str, str]]) -> None:
    framing = re.compile(r"[-–—:()«»]|\sـ|ـ\s")
    people = [p for r in records if (p := split_author(r["author"])[0])]
    assert people
    bad = [p for p in people if framing.search(p) or any(is_outlet(w) for w in p.split("، "))]
    assert len(bad) / len(people) <= 0.05
