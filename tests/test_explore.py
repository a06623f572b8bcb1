"""``akhbar explore`` without a browser: what the generated site holds and how compactly.

The site's data are scripts (``AKHBAR.load(...)``, ``AKHBAR.shard(n, ...)``); these tests
read the JSON payloads back and check them against the Parquet files of the build.
"""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

from akhbar import explore
from akhbar import params as params_mod
from akhbar.build import build
from akhbar.cli import app
from akhbar.explore import site as site_mod
from akhbar.schema import SPLITS


def payload(path: Path) -> object:
    """The JSON argument of the one call a data script makes."""
    text = path.read_text(encoding="utf-8")
    m = re.fullmatch(r"AKHBAR\.\w+\((?:\d+,)?(.*)\);\n", text, re.S)
    assert m, f"{path.name} is not one AKHBAR call"
    return json.loads(m.group(1))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, sample_dir: Path) -> Path:
    out = tmp_path_factory.mktemp("explore") / "ds"
    build([sample_dir], out, params_mod.load(), validate=False, card=True)
    return out


@pytest.fixture(scope="module")
def site(built: Path) -> Path:
    result = CliRunner().invoke(app, ["explore", str(built)])
    assert result.exit_code == 0, result.output
    return built / "explorer"


def _rows(built: Path) -> pl.DataFrame:
    kept = pl.concat([pl.read_parquet(f).with_columns(pl.lit(s).alias("kind"))
                      for s in SPLITS for f in sorted((built / "data").glob(f"{s}-*.parquet"))],
                     how="diagonal_relaxed")
    rej = pl.read_parquet(built / "rejected" / "*.parquet").with_columns(
        pl.lit("removed").alias("kind"))
    return pl.concat([kept, rej], how="diagonal_relaxed")


def test_index_and_shards_hold_every_row_once(built: Path, site: Path) -> None:
    data = payload(site / "data" / "index.js")
    meta, index = data["meta"], data["index"]
    rows = _rows(built)
    assert meta["rows"] == rows.height
    assert all(len(col) == rows.height for col in index.values())
    assert index["id"] == rows.get_column("id").to_list()
    kinds = [*SPLITS, "removed"]
    assert [kinds[k] for k in index["kind"]] == rows.get_column("kind").to_list()
    shards = sorted((site / "data").glob("text-*.js"))
    assert len(shards) == len(meta["shards"])
    texts = [r[0] for s in shards for r in payload(s)]
    assert texts == [t or "" for t in rows.get_column("text").to_list()]
    # provenance of every row is reachable
    files = meta["vocabs"]["files"]
    assert [files[i] for i in index["raw_file"]] == rows.get_column("raw_file").to_list()
    assert index["raw_record"] == rows.get_column("raw_record").to_list()


def test_removed_duplicates_point_at_their_kept_copy(built: Path, site: Path) -> None:
    index = payload(site / "data" / "index.js")["index"]
    reasons = payload(site / "data" / "index.js")["meta"]["vocabs"]["reasons"]
    dups = [row for row, r in enumerate(index["reason"])
            if r >= 0 and reasons[r].startswith("dedup:")]
    assert len(dups) >= 2, "the sample plants exact and near duplicates"
    rows = _rows(built)
    for row in dups:
        kept = index["dup"][row]
        assert kept >= 0 and index["kind"][kept] < len(SPLITS)
        assert index["id"][kept] == rows.get_column("duplicate_of")[row]


def test_thresholds_are_the_builds_own(built: Path, tmp_path: Path) -> None:
    from_card = site_mod.thresholds(built)
    assert "card" in from_card["from"]
    assert from_card["quality"]["min_words"] == params_mod.defaults()["quality"]["min_words"]
    mine = tmp_path / "p.yaml"
    mine.write_text(yaml.safe_dump({"quality": {"min_words": 77}}), encoding="utf-8")
    assert site_mod.thresholds(built, mine)["quality"]["min_words"] == 77
    nocard = tmp_path / "nocard"
    (nocard / "data").mkdir(parents=True)
    assert site_mod.thresholds(nocard)["from"] == "params.yaml defaults"


def test_site_is_self_contained(site: Path) -> None:
    """No CDN, font or script from elsewhere: nothing in the static files names a URL
    scheme or a protocol-relative address."""
    for name in ("index.html", "assets/store.js", "assets/views.js", "assets/style.css"):
        text = (site / name).read_text(encoding="utf-8")
        assert not re.search(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}/|@import|url\(", text), name
        assert "fetch(" not in text, f"{name}: fetch() is blocked on file://"
    html = (site / "index.html").read_text(encoding="utf-8")
    assert '<html lang="ar" dir="rtl">' in html
    for src in re.findall(r'(?:src|href)="([^"#]+)"', html):
        assert (site / src).exists(), src
    assert list((site / "plots").glob("*.png")), "the card's plots are copied"


def test_text_is_stored_once(built: Path, site: Path) -> None:
    """The size budget: the data scripts cost the text once plus a bounded overhead."""
    rows = _rows(built)
    text_bytes = sum(len((t or "").encode()) for t in rows.get_column("text").to_list())
    data_bytes = sum(p.stat().st_size for p in (site / "data").glob("*.js"))
    overhead = data_bytes - text_bytes
    print(f"\nsample: text {text_bytes:,} B, data {data_bytes:,} B, "
          f"{overhead / rows.height:.0f} B per row besides the text")
    assert text_bytes < data_bytes < 2 * text_bytes
    assert overhead / rows.height < 1500


@pytest.mark.parametrize(("query", "title", "text", "expected"), [
    ("الامير", "", "قال الأمير إن", True),           # hamza form
    ("مَدْرَسَةُ", "", "مدرسه", True),                 # diacritics, teh marbuta
    ("مــدرسة", "", "المدرسة", True),                  # tatweel, substring
    ("مستشفي", "", "مستشفى الملك", True),             # alef maksura
    ("الأمير وصل", "", "وصل الوفد", False),          # every word must occur
    ("عنوان نص", "عنوان", "نص", True),                # title and text both searched
    ("عنوان نص", "", "عنوان. نص", True),
    ("", "عنوان", "نص", True),                        # no query: every article
])
def test_matches(query: str, title: str, text: str, expected: bool) -> None:
    assert explore.matches(query, title, text) is expected


def test_compare_adds_a_changes_page(built: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["explore", str(built), "--compare", str(built)])
    assert result.exit_code == 0, result.output
    changes = payload(built / "explorer" / "data" / "changes.js")
    assert changes["totals"]["unchanged"] == changes["totals"]["a"] > 0
    assert payload(built / "explorer" / "data" / "index.js")["meta"]["compare"] is True


def test_serve_answers_on_localhost(site: Path) -> None:
    server, url = explore.serve(site)
    try:
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url, timeout=10) as resp:
            assert b"AKHBAR.start()" in resp.read()
    finally:
        server.shutdown()
