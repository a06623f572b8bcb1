"""``akhbar explore`` without a browser: what the generated site holds and how compactly.

The site's data are scripts (``AKHBAR.load(...)``, ``AKHBAR.shard(n, ...)``); these tests
read the JSON payloads back and check them against the Parquet files of the build.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import urllib.request
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

from akhbar import card as card_mod
from akhbar import explore, folding
from akhbar import params as params_mod
from akhbar.build import build
from akhbar.cli import app
from akhbar.explore import search as search_mod
from akhbar.explore import site as site_mod
from akhbar.schema import SPLITS


def payload(path: Path) -> object:
    """The JSON argument of the one call a data script makes."""
    text = path.read_text(encoding="utf-8")
    m = re.fullmatch(r"AKHBAR\.\w+\((?:\d+,)?(.*)\);\n", text, re.S)
    assert m, f"{path.name} is not one AKHBAR call"
    return json.loads(m.group(1))


#: sha256 of every file of the explorer the build itself wrote (its card stage).
BUILT_SITE: dict[str, str] = {}


def digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, sample_dir: Path) -> Path:
    out = tmp_path_factory.mktemp("explore") / "ds"
    build([sample_dir], out, params_mod.load(), validate=False, card=True)
    BUILT_SITE.update(digest(out / "explorer"))
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
    plots = payload(site / "data" / "index.js")["meta"]["plots"]
    assert plots and all((site / p).is_file() for p in plots), "the card's plots, linked"
    assert not (site / "plots").exists(), "plots are linked where they are, not copied"


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


def _index_search(index: dict[str, list[int]], query: str) -> set[int]:
    """The page's rule on the decoded index: rows holding, for every folded query word,
    some indexed word that contains it."""
    found: set[int] | None = None
    for w in folding.fold(query).split():
        rows = {r for word, rs in index.items() if w in word for r in rs}
        found = rows if found is None else found & rows
    return found or set()


def test_search_index_answers_like_matches(built: Path, site: Path) -> None:
    rows = _rows(built)
    index = search_mod.read(site / "data")
    assert payload(site / "data" / "index.js")["meta"]["search"]["words"] == len(index)
    assert list(index) == sorted(index) and all(" " not in w and w for w in index)
    assert all(rs == sorted(set(rs)) for rs in index.values())
    titles, texts = rows.get_column("title").to_list(), rows.get_column("text").to_list()
    words = sorted({w for t in texts[:40] for w in (t or "").split() if len(w) >= 6})
    hamza = next(w for w in words if w[0] in "أإ")
    queries = [words[0], words[len(words) // 2][1:4],  # a whole word, an inner substring
               "ا" + hamza[1:],  # without its hamza: found through the fold
               f"{words[1]} {words[-1]}", "كلمةلاتوجدأبدا", "«" + words[2] + "»"]
    for q in queries:
        expected = {i for i, (t, x) in enumerate(zip(titles, texts, strict=True))
                    if explore.matches(q, t, x)}
        assert _index_search(index, q) == expected, q
    assert any(_index_search(index, q) for q in queries)


def test_search_index_encoding_round_trips() -> None:
    df = pl.DataFrame({"title": ["أخبار اليوم", None, "رياضة"],
                       "text": ["قال الوزير قال", "", "فاز الفريق " * 3]})
    payload_ = search_mod.encode(search_mod.postings(df))
    decoded = search_mod.decode(payload_)
    assert decoded["قال"] == [0] and decoded["الفريق"] == [2] and decoded["اخبار"] == [0]
    big = pl.DataFrame({"title": [None] * 300, "text": ["سطر"] * 299 + ["نادر"]})
    assert search_mod.decode(search_mod.encode(search_mod.postings(big)))["نادر"] == [299]
    assert search_mod.decode(search_mod.encode(search_mod.postings(big.clear()))) == {}
    assert search_mod.varints(np.array([0, 127, 128, 300, 2**35])) == bytes(
        [0, 127, 0x80, 1, 0xAC, 2, 0x80, 0x80, 0x80, 0x80, 0x80, 1])


def test_build_publishes_the_explorer_next_to_the_card(built: Path, tmp_path: Path) -> None:
    """The build's card stage wrote explorer/; the card links to it; the Hub loader still
    sees only the Parquet splits; the site does not depend on where it was written."""
    assert BUILT_SITE["index.html"] and "data/search.js" in BUILT_SITE
    card_text = (built / "README.md").read_text(encoding="utf-8")
    assert "(explorer/index.html)" in card_text
    from datasets import load_dataset

    dd = load_dataset(str(built), cache_dir=str(tmp_path / "hf"))
    assert list(dd) == list(SPLITS)
    for split in SPLITS:
        n = pl.read_parquet(built / "data" / f"{split}-*.parquet").height
        assert dd[split].num_rows == n
    rejected = load_dataset(str(built), "rejected", cache_dir=str(tmp_path / "hf"))
    assert rejected["rejected"].num_rows == pl.read_parquet(built / "rejected").height
    # byte-deterministic: regenerated elsewhere, under another folder name, same bytes
    copy = tmp_path / "elsewhere" / "other-name"
    shutil.copytree(built, copy, ignore=shutil.ignore_patterns("explorer"))
    explore.generate(copy)
    assert digest(copy / "explorer") == BUILT_SITE
    exported = card_mod.export(built, tmp_path / "export")
    assert (exported / "explorer" / "index.html").is_file()


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
