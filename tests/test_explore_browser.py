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

from akhbar import diff, explore, folding
from akhbar import params as params_mod
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
    assert got == [folding.fold(s) for s in samples]


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
        " && AKHBAR.searchReady && document.querySelector('input[name=q]').value === q",
        arg=query)
    page.wait_for_timeout(300)  # the debounced search of the last keystroke
    count = int(page.inner_text("#count").replace(",", ""))
    assert count == expected
    # the same query through the page's search function, timed in the page
    ms = page.evaluate("(q) => { AKHBAR.search(q, {split: 'kept'});"
                       " return AKHBAR.timings.searchMs; }", query)
    load = page.evaluate("AKHBAR.timings.loadSearchMs")
    print(f"\nsearch {query!r}: {count} results; search {ms:.2f} ms, search index loaded in "
          f"{load:.0f} ms")
    assert not [u for u in page.requests if "/data/text-" in u], "search reads no text shard"
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
    # the README's picture (docs/explorer.png is a copy of this file)
    page.set_viewport_size({"width": 1100, "height": 640})
    page.evaluate("[...document.querySelectorAll('h2')]"
                  ".find((h) => h.textContent.includes('Why removed')).scrollIntoView()")
    page.screenshot(path=str(shots / "readme-explorer.png"))


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


# --------------------------------------------------------------------------- SaudiNewsNet

SNN_RAW = ROOT.parent / "shared" / "corpora" / "saudinewsnet"
#: Queries of several shapes: a word, two words, a folded spelling (no hamza, ه for ة),
#: frequent ones and a single letter (the worst case: almost every word contains it).
SNN_QUERIES = ["الرياض", "وزير الصحة", "مستشفى", "اسلام", "السعوديه", "كره القدم", "قال",
               "ا"]


@pytest.fixture(scope="module")
def snn(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SaudiNewsNet build and its explorer: ``$AKHBAR_SNN_BUILD`` (a built folder, copied
    and its explorer regenerated) or built here (about two CPU-minutes)."""
    out = tmp_path_factory.mktemp("snn") / "ds"
    given = os.environ.get("AKHBAR_SNN_BUILD")
    if given:
        shutil.copytree(given, out, ignore=shutil.ignore_patterns("explorer", "reports"))
        explore.generate(out)
    elif SNN_RAW.is_dir():
        build([SNN_RAW], out, params_mod.load(), validate=False, card=True)
    else:
        pytest.skip(f"{SNN_RAW} is absent (the shared corpora are optional)")
    return out


def _count(kept: pl.DataFrame, query: str) -> int:
    """explore.matches over every kept article, vectorized (the same fold, in polars)."""
    key = (folding.fold_expr(pl.col("title").fill_null("")) + " | "
           + folding.fold_expr(pl.col("text").fill_null("")))
    words = folding.fold(query).split()
    return kept.filter(pl.all_horizontal([key.str.contains(w, literal=True)
                                          for w in words])).height


@pytest.mark.slow
def test_saudinewsnet_size_paint_and_search(browser, snn: Path, shots: Path) -> None:
    kept = _kept(snn)
    text_bytes = int(kept.get_column("text").str.len_bytes().sum())
    site_bytes = sum(p.stat().st_size for p in (snn / "explorer").rglob("*") if p.is_file())
    ratio = site_bytes / text_bytes
    print(f"\nSaudiNewsNet: {kept.height:,} kept articles, kept text {text_bytes / 1e6:.1f} MB,"
          f" explorer {site_bytes / 1e6:.1f} MB: {ratio:.2f}× the kept text")
    assert ratio <= 1.5
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ar")
    pg = ctx.new_page()
    errors: list[str] = []
    requests: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("request", lambda r: requests.append(r.url))
    base = (snn / "explorer" / "index.html").as_uri()
    pg.goto(base)
    pg.wait_for_function("AKHBAR.timings.firstPaintMs > 0", timeout=60_000)
    paint = pg.evaluate("AKHBAR.timings.firstPaintMs")
    pg.screenshot(path=str(shots / "saudinewsnet-overview.png"))
    pg.goto(base + "#articles")
    pg.wait_for_selector("input[name=q]")
    first = SNN_QUERIES[0]
    t0 = pg.evaluate("performance.now()")
    pg.fill("input[name=q]", first)
    pg.wait_for_function("(q) => AKHBAR.searchReady && document.querySelector('#count')"
                         " && document.querySelector('input[name=q]').value === q",
                         arg=first, timeout=60_000)
    first_ms = pg.evaluate("performance.now()") - t0
    load = pg.evaluate("AKHBAR.timings.loadSearchMs")
    pg.wait_for_timeout(300)  # the debounced search of the last keystroke
    assert int(pg.inner_text("#count").replace(",", "")) == _count(kept, first)
    pg.screenshot(path=str(shots / "saudinewsnet-search.png"))
    times, counts = [], {}
    for q in SNN_QUERIES * 3:
        n, ms = pg.evaluate("(q) => [AKHBAR.search(q, {split: 'kept'}).length,"
                            " AKHBAR.timings.searchMs]", q)
        times.append(ms)
        counts[q] = n
    for q in SNN_QUERIES[1:3]:
        assert counts[q] == _count(kept, q), q
    times.sort()
    print(f"overview painted in {paint:.0f} ms; first search {first_ms:.0f} ms from the first "
          f"keystroke (search index loaded in {load:.0f} ms); {len(times)} searches: median "
          f"{times[len(times) // 2]:.1f} ms, max {times[-1]:.1f} ms")
    assert not [u for u in requests if "/data/text-" in u], "search reads no text shard"
    assert errors == [], errors
    assert [u for u in requests if not u.startswith("file://")] == []
    ctx.close()
