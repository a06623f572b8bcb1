"""The explorer in a real browser: headless Debian ``chromium`` driven by playwright.

The site is opened from ``file://`` (how a researcher opens it), so these tests also prove
it needs no server. No browser is downloaded: playwright's driver ships in its wheel and
launches the system chromium (``.ci/run`` installs it). Every test checks that the page
logged no error and that no request left the machine. Screenshots are saved under the
``reports/screenshots/`` (path printed) as artifacts; paint and search times are printed
as figures, never asserted (a shared CI machine is no stopwatch).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections import Counter
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from akhbar import diff, explore
from akhbar import params as params_mod
from akhbar import text as text_mod
from akhbar.build import build
from akhbar.schema import SPLITS

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ADDED = 2
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

sync_api = pytest.importorskip("playwright.sync_api",
                               reason="playwright is not installed (dev dependency group)")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is absent (apt-get install chromium; .ci/run does it)",
                allow_module_level=True)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, sample_dir: Path) -> Path:
    out = tmp_path_factory.mktemp("browser") / "ds"
    build([sample_dir], out, params_mod.load(), validate=False, card=True)
    explore.generate(out, compare=diff.compare(_older(out), out))
    return out


def _older(out: Path) -> Path:
    """A copy of the build without its first ADDED train articles: compared with it, the
    build has exactly those articles added."""
    old = out.parent / "older"
    shutil.copytree(out, old)
    train = sorted((old / "data").glob("train-*.parquet"))[0]
    table = pq.read_table(train)
    pq.write_table(table.slice(ADDED), train)
    return old


@pytest.fixture(scope="module")
def shots() -> Path:
    """``$AKHBAR_SCREENSHOTS`` or ``reports/screenshots/`` (git-ignored): kept after the
    run as the test's artifacts."""
    path = Path(os.environ.get("AKHBAR_SCREENSHOTS", ROOT / "reports" / "screenshots"))
    path.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {path}")
    return path


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, built: Path):
    """A fresh page that records console errors, page errors and every request URL."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ar")
    pg = ctx.new_page()
    pg.errors, pg.requests = [], []
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("request", lambda r: pg.requests.append(r.url))
    pg.base = (built / "explorer" / "index.html").as_uri()
    yield pg
    assert pg.errors == [], pg.errors
    off = [u for u in pg.requests if not u.startswith("file://")]
    assert off == [], f"requests left the machine: {off}"
    ctx.close()


def _kept(built: Path) -> pl.DataFrame:
    return pl.concat([pl.read_parquet(f) for s in SPLITS
                      for f in sorted((built / "data").glob(f"{s}-*.parquet"))],
                     how="diagonal_relaxed")


def _query_word(kept: pl.DataFrame) -> str:
    """A word written with a hamza form in some kept text and found in some but not all
    articles: the test then searches for it spelled without the hamza, with a diacritic
    and a tatweel, so only an Arabic-aware search finds the same articles."""
    words: Counter[str] = Counter()
    for text in kept.get_column("text").to_list():
        words.update({w for w in (text or "").split() if len(w) >= 5 and w[0] in "أإآ"
                      and w.isalpha()})
    n = kept.height
    word = next(w for w, c in words.most_common() if 1 < c < n)
    return "ا" + word[1] + "\u064e" + "\u0640" + word[2:]


def test_overview_paints_with_funnel_and_plots(page, built: Path, shots: Path) -> None:
    page.goto(page.base)
    page.wait_for_selector("text=Funnel")
    page.wait_for_function("AKHBAR.timings.firstPaintMs > 0")
    paint = page.evaluate("AKHBAR.timings.firstPaintMs")
    stats = (built / "stats.json").read_text(encoding="utf-8")
    assert '"records_in": ' in stats
    body = page.inner_text("main")
    for reason in ("dedup:near", "dedup:exact", "quality:too-short", "ingest:invalid-json"):
        assert reason in body
    assert page.locator(".plots img").count() == len(list((built / "plots").glob("*.png")))
    assert page.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    print(f"\noverview painted {paint:.0f} ms after navigation start (index loaded, "
          "first frame after the render)")
    page.screenshot(path=str(shots / "overview.png"))


def test_fold_is_the_python_one(page) -> None:
    page.goto(page.base)
    page.wait_for_selector("text=Funnel")
    samples = ["أَحْمَدُ", "مـــدرسة", "إسلام آمال", "مستشفى", "«قال»: نعم؟!", "٣٤٥ ۶",
               "ABC Def", "ف\u200cي\u200bه", "کتاب", "سؤال رئيس", "  مسافات \n\t كثيرة ",
               "İstanbul ΣΟΦΙΑ", "رائع 👍🏽!", "سطر\u0085سطر", "", "...", "ﻻ"]
    got = page.evaluate("(xs) => xs.map(AKHBAR.fold)", samples)
    assert got == [text_mod.fold(s) for s in samples]


def test_search_counts_what_the_data_says(page, built: Path, shots: Path) -> None:
    kept = _kept(built)
    query = _query_word(kept)
    expected = sum(explore.matches(query, t, x) for t, x in
                   kept.select("title", "text").iter_rows())
    assert 0 < expected < kept.height
    page.goto(page.base + "#articles")
    page.fill("input[name=q]", query)
    page.wait_for_function(
        "(q) => document.getElementById('status').textContent.includes('results')"
        " && AKHBAR.keys && document.querySelector('input[name=q]').value === q", arg=query)
    page.wait_for_timeout(300)  # the debounced search of the last keystroke
    count = int(page.inner_text("#count").replace(",", ""))
    assert count == expected
    # the same query through the page's search function, timed in the page
    ms = page.evaluate("(q) => { AKHBAR.search(q, {split: 'kept'});"
                       " return AKHBAR.timings.searchMs; }", query)
    load = page.evaluate("AKHBAR.timings.loadAllMs")
    print(f"\nsearch {query!r}: {count} results; search {ms:.2f} ms, texts loaded+folded in "
          f"{load:.0f} ms")
    page.screenshot(path=str(shots / "search.png"))
    # a filter narrows the same search: only the test split
    page.select_option("select[name=split]", "test")
    page.wait_for_timeout(400)
    n_test = sum(explore.matches(query, t, x) for t, x, s in
                 _with_split(built).select("title", "text", "split").iter_rows() if s == "test")
    assert int(page.inner_text("#count").replace(",", "")) == n_test
    # and a date range (published, UTC days), over every kept split
    page.select_option("select[name=split]", "kept")
    page.fill("input[name=from]", "2023-05-01")
    page.fill("input[name=to]", "2023-05-31")
    page.wait_for_timeout(400)
    lo, hi = dt.date(2023, 5, 1), dt.date(2023, 5, 31)
    n_may = sum(explore.matches(query, t, x) and p is not None and lo <= p.date() <= hi
                for t, x, p in kept.select("title", "text", "published").iter_rows())
    assert 0 < n_may < expected, "the sample's dates span more than May 2023"
    assert int(page.inner_text("#count").replace(",", "")) == n_may


def _with_split(built: Path) -> pl.DataFrame:
    return pl.concat([pl.read_parquet(f).with_columns(pl.lit(s).alias("split")) for s in SPLITS
                      for f in sorted((built / "data").glob(f"{s}-*.parquet"))],
                     how="diagonal_relaxed")


def test_removed_near_duplicate_beside_its_kept_copy(page, built: Path, shots: Path) -> None:
    rejected = pl.read_parquet(built / "rejected" / "*.parquet")
    near = rejected.filter(pl.col("reason") == "dedup:near")
    assert near.height >= 1, "the sample plants near-duplicates"
    page.goto(page.base + "#removed/dedup%3Anear")
    page.wait_for_selector("#count")
    assert int(page.inner_text("#count")) == near.height
    page.locator(".results li a").first.click()
    page.wait_for_selector("#side-by-side")
    # rows are numbered kept first (split order), then removed in file order
    row_no = int(page.url.rsplit("#row/", 1)[1]) - _kept(built).height
    row = rejected.row(row_no, named=True)
    assert row["reason"] == "dedup:near"
    kept_text = _kept(built).filter(pl.col("id") == row["duplicate_of"]).get_column("text")[0]
    squash = lambda s: " ".join(s.split())  # noqa: E731
    assert squash(page.inner_text(".removed-text")) == squash(row["text"])
    assert squash(page.inner_text(".kept-text")) == squash(kept_text)
    marked = page.locator(".removed-text del, .kept-text ins").count()
    assert (marked > 0) == (squash(row["text"]) != squash(kept_text))
    assert row["raw_file"] in page.inner_text("main")
    page.screenshot(path=str(shots / "near-duplicate.png"), full_page=True)


def test_quality_rejection_shows_signal_against_threshold(page, built: Path) -> None:
    page.goto(page.base + "#removed/quality%3Atoo-short")
    page.wait_for_selector("#count")
    page.locator(".results li a").first.click()
    page.wait_for_selector("text=Quality signals against the thresholds")
    row = page.locator("tr", has=page.locator("td", has_text="n_words")).first
    cells = row.locator("td").all_inner_texts()
    assert cells[2] == f"≥ {params_mod.defaults()['quality']['min_words']} and ≤ " \
        f"{params_mod.defaults()['quality']['max_words']}"
    assert cells[3] == "fails"


def test_signals_and_changes_pages(page, built: Path, shots: Path) -> None:
    page.goto(page.base + "#signals")
    page.wait_for_selector("svg.hist")
    assert page.locator("svg.hist[data-signal=n_words] line.threshold").count() == 2
    assert page.locator("svg.hist[data-signal=arabic_ratio] line.threshold").count() == 1
    page.screenshot(path=str(shots / "signals.png"))
    page.goto(page.base + "#changes")
    page.wait_for_selector("#change-totals")
    assert f"+{ADDED} added" in page.inner_text("#change-totals")
    first = pq.read_table(sorted((built / "data").glob("train-*.parquet"))[0],
                          columns=["title"]).slice(0, ADDED).column("title").to_pylist()
    added = page.locator("h2:has-text('Added') + ul.results li a")
    assert added.count() == ADDED
    assert added.all_inner_texts() == [t or "(بلا عنوان · no title)" for t in first]
    page.screenshot(path=str(shots / "changes.png"))
