"""The validate stage: a good dataset passes; each kind of corruption fails its check.

A small dataset folder is built from inline Arabic fixtures (written for this test) with
the project's own writers; each fault copies the good rows, breaks exactly one thing and
checks that the run fails with that check (and only the checks that fault implies) named
in the summary together with an example id.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from akhbar import params as params_mod
from akhbar import quality, validate
from akhbar.expectations_suites import SUITES_DIR, dumps, suite_dicts
from akhbar.ids import article_id
from akhbar.io import ParquetSink, write_table
from akhbar.schema import ARTICLE_SCHEMA, REJECTED_SCHEMA, SPLITS

UTC = dt.UTC
SUBJECTS = ["الحكومة", "وزارة الصحة", "البلدية", "الجامعة", "الشركة الوطنية",
            "المجلس البلدي", "هيئة النقل", "غرفة التجارة"]
VERBS = ["أعلنت", "افتتحت", "ناقشت", "أطلقت", "درست", "قررت", "نظمت", "استقبلت"]
OBJECTS = ["مشروعا جديدا للمياه", "خطة لتطوير الطرق", "برنامجا لدعم الطلاب", "معرضا للكتاب",
           "حملة للتوعية الصحية", "مبادرة لزراعة الأشجار", "مؤتمرا عن الطاقة", "مسابقة للشباب"]
CITIES = ["الرياض", "جدة", "الدمام", "مكة", "المدينة", "أبها", "تبوك", "حائل"]
SIZES = {"train": 4, "validation": 2, "test": 2}  # train spans two shards of 3 rows
ROWS_PER_FILE = 3


@functools.cache
def _signals(text: str) -> tuple[tuple[str, Any], ...]:
    """The filter's real signals of a text (so a good row passes the filter's checks)."""
    row = quality.signals(pl.DataFrame({"text": [text]})).row(0, named=True)
    return tuple((k, v) for k, v in row.items() if k != "text")


def article(i: int, split: str) -> dict[str, Any]:
    """One well-formed article; every text differs (own sentences, built from parts)."""
    title = f"{SUBJECTS[i]} {VERBS[i]} {OBJECTS[i]} في {CITIES[i]}"
    text = (f"{SUBJECTS[i]} {VERBS[i]} {OBJECTS[i]} في مدينة {CITIES[i]} يوم الأحد.\n"
            f"وقال مسؤول إن العمل سيبدأ خلال الأشهر المقبلة بمشاركة {i + 2} جهات.")
    url = f"https://news.example.sa/{split}/{i}"
    uid = article_id(url, text)
    return {
        "id": uid, "url": url, "source": "example", "title": title, "text": text,
        "published": dt.datetime(2015, 7, 20, i, tzinfo=UTC),
        "crawled": dt.datetime(2015, 7, 21, tzinfo=UTC),
        "raw_file": "feed.json", "raw_record": i, **dict(_signals(text)),
        "cluster_id": uid,
    }


def good_articles() -> dict[str, list[dict[str, Any]]]:
    out, i = {}, 0
    for split, n in SIZES.items():
        out[split] = [article(i + k, split) for k in range(n)]
        i += n
    return out


def good_rejected() -> list[dict[str, Any]]:
    short = "خبر قصير جدا"
    return [
        {"id": None, "raw_file": "feed.json", "raw_record": 90, "stage": "ingest",
         "reason": "ingest:invalid-json", "reasons": ["ingest:invalid-json"],
         "raw_excerpt": '{"title": '},
        {"id": article_id(None, short), "text": short, "raw_file": "feed.json",
         "raw_record": 91, "stage": "quality", "reason": "quality:too-short",
         "reasons": ["quality:too-short"], "detail": "3 words < 50"},
        {"id": article_id("https://news.example.sa/x/1", "نص مكرر"), "raw_file": "feed.json",
         "raw_record": 92, "stage": "dedup", "reason": "dedup:near-duplicate",
         "reasons": ["dedup:near-duplicate"], "duplicate_of": "u0"},
    ]


def stats_for(articles: dict[str, list[dict]], rejected: list[dict]) -> dict[str, Any]:
    reasons = Counter(r["reason"] for r in rejected)
    n = sum(len(v) for v in articles.values())
    return {"records_in": n + len(rejected),
            "articles": {s: len(articles[s]) for s in SPLITS},
            "rejected": dict(sorted(reasons.items())), "rejected_total": len(rejected),
            "stages": {"ingest": {"rows_in": n + len(rejected), "rows_out": n + 2,
                                  "rejected": {"ingest:invalid-json": 1}}}}


@dataclass
class Fixture:
    """Rows of a dataset folder before writing; faults edit it."""

    articles: dict[str, list[dict[str, Any]]] = field(default_factory=good_articles)
    rejected: list[dict[str, Any]] = field(default_factory=good_rejected)
    stats_edit: Callable[[dict[str, Any]], None] | None = None
    post: Callable[[Path], None] | None = None


def write_dataset(root: Path, fx: Fixture) -> Path:
    for split in SPLITS:
        with ParquetSink(root / "data", ARTICLE_SCHEMA, rows_per_file=ROWS_PER_FILE,
                         prefix=split, of_total=True) as sink:
            sink.write(fx.articles[split])
    write_table(root / "rejected" / "rejected-00000-of-00001.parquet", fx.rejected,
                REJECTED_SCHEMA)
    stats = stats_for(fx.articles, fx.rejected)
    if fx.stats_edit:
        fx.stats_edit(stats)
    (root / "stats.json").write_text(json.dumps(stats, ensure_ascii=False), encoding="utf-8")
    if fx.post:
        fx.post(root)
    return root


def rewrite(path: Path, edit: Callable[[pa.Table], pa.Table]) -> None:
    """Rewrite a Parquet file bypassing the schema contract (faults the sink refuses)."""
    pq.write_table(edit(pq.read_table(path)), path)


@pytest.fixture(scope="module")
def params() -> dict[str, Any]:
    p = params_mod.defaults()
    p["validate"]["data_docs"] = False
    return p


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory, params) -> tuple[Path, Any]:
    root = write_dataset(tmp_path_factory.mktemp("good"), Fixture())
    p = copy.deepcopy(params)
    p["validate"]["data_docs"] = True
    return root, validate.run(root, p, reports_dir=root / "reports")


def test_good_dataset_passes(good) -> None:
    root, result = good
    assert result.ok, result.summary()
    assert result.failed == 0 and result.failures == []
    suites = suite_dicts().values()
    assert result.evaluated == result.passed == sum(
        len(s["expectations"]) + len(s["meta"]["pyarrow_checks"]) for s in suites)
    report = json.loads((root / "reports" / "validation.json").read_text(encoding="utf-8"))
    assert report["success"] is True and report["evaluated"] == result.evaluated
    assert set(report["suites"]) == set(suite_dicts())
    assert "validation passed" in result.summary()


def test_report_is_deterministic(good, params, tmp_path: Path) -> None:
    root, _ = good
    validate.run(root, params, reports_dir=tmp_path)
    assert (tmp_path / "validation.json").read_bytes() == (
        root / "reports" / "validation.json").read_bytes()


def test_data_docs_rendered(good, params) -> None:
    root, _ = good
    site = root / "reports" / "data_docs"
    index = site / "index.html"
    assert index.is_file()
    pages = list((site / "validations").rglob("*.html"))
    assert {p.relative_to(site / "validations").parts[0]
            for p in pages} == set(suite_dicts())
    assert {p.stem for p in (site / "expectations").glob("*.html")} == set(suite_dicts())
    broken = []
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "$PARAMETER" not in html, page
        for href in re.findall(r'(?:href|src)="([^"#]+)(?:#[^"]*)?"', html):
            if not href.startswith(("http:", "https:", "mailto:", "javascript:")) and \
                    not (page.parent / href).exists():
                broken.append(f"{page.relative_to(site)} → {href}")
    assert broken == []
    # thresholds show as the values used (the filter's own), notes as written
    text_quality = (site / "expectations" / "text_quality.html").read_text(encoding="utf-8")
    assert f"greater than or equal to {params['quality']['min_arabic_ratio']}" in \
        re.sub(r"<[^>]+>|\s+", " ", text_quality).replace("  ", " ")
    assert "the filter rejects a null signal" in text_quality


def test_data_docs_show_a_failure(tmp_path: Path, params, caplog) -> None:
    fx = Fixture()
    uid = _sub("train", 1, "text", "مدينة", "مديـنة")(fx)
    root = write_dataset(tmp_path / "ds", fx)
    p = copy.deepcopy(params)
    p["validate"]["data_docs"] = True
    with caplog.at_level("ERROR"):
        result = validate.run(root, p, reports_dir=tmp_path / "reports")
    assert not result.ok
    assert not [r for r in caplog.records if r.levelname == "ERROR"], caplog.text
    pages = list((tmp_path / "reports" / "data_docs" / "validations" / "text_quality")
                 .rglob("*.html"))
    assert len(pages) == 1 and uid in pages[0].read_text(encoding="utf-8")


def test_committed_suites_equal_definitions() -> None:
    generated = suite_dicts()
    committed = {p.stem: p.read_text(encoding="utf-8") for p in SUITES_DIR.glob("*.json")}
    assert set(committed) == set(generated)
    for name, suite in generated.items():
        assert committed[name] == dumps(suite), f"regenerate {name}.json: " \
            "python -m akhbar.expectations_suites"


def test_main_exit_code(good, tmp_path: Path, capsys) -> None:
    root, _ = good
    params_file = tmp_path / "p.yaml"
    # the suites read the filter's own thresholds: a stricter filter fails this output
    params_file.write_text("validate:\n  data_docs: false\nquality:\n  min_words: 22\n",
                           encoding="utf-8")
    assert validate.main(root, params_file, tmp_path / "r") == 1
    out = capsys.readouterr().out
    assert "text_quality.filter_min_max_words" in out and "validation FAILED" in out
    params_file.write_text("validate:\n  data_docs: false\n", encoding="utf-8")
    assert validate.main(root, params_file, tmp_path / "r") == 0


def test_empty_folder_fails_without_crashing(tmp_path: Path, params) -> None:
    result = validate.run(tmp_path, params)
    assert not result.ok
    assert {"shard_names", "stats_json_valid"} <= {f.expectation for f in result.failures}
    assert "train: shards []" in result.summary()


# --- faults: each returns the id it corrupted (or a name that must appear) -------------

def _set(split: str, i: int, **values: Any) -> Callable[[Fixture], str]:
    def edit(fx: Fixture) -> str:
        fx.articles[split][i].update(values)
        return fx.articles[split][i]["id"]
    return edit


def _sub(split: str, i: int, column: str, old: str, new: str) -> Callable[[Fixture], str]:
    def edit(fx: Fixture) -> str:
        row = fx.articles[split][i]
        assert old in row[column]
        row[column] = row[column].replace(old, new, 1)
        return row["id"]
    return edit


def _copy_key(column: str) -> Callable[[Fixture], str]:
    """Give test[0] the ``column`` value of train[0]."""
    def edit(fx: Fixture) -> str:
        fx.articles["test"][0][column] = fx.articles["train"][0][column]
        return fx.articles["train"][0]["id"]
    return edit


def _dup_id_within(fx: Fixture) -> str:
    fx.articles["train"][1]["id"] = fx.articles["train"][0]["id"]
    fx.articles["train"][1]["cluster_id"] = fx.articles["train"][0]["id"]
    return fx.articles["train"][0]["id"]


def _dup_id_across(fx: Fixture) -> str:
    uid = fx.articles["train"][0]["id"]
    fx.articles["validation"][0].update(id=uid)
    return uid


def _same_story(fx: Fixture) -> str:
    """One story cluster in train and test (each row its own story otherwise)."""
    for rows in fx.articles.values():
        for row in rows:
            row["story_id"] = row["id"]
    fx.articles["test"][0]["story_id"] = fx.articles["train"][0]["id"]
    return fx.articles["train"][0]["id"]


def _unknown_reason(fx: Fixture) -> str:
    fx.rejected[1].update(reason="shrug", reasons=["shrug"])
    return fx.rejected[1]["id"]


def _stats(edit: Callable[[dict], None], name: str) -> Callable[[Fixture], str]:
    def set_edit(fx: Fixture) -> str:
        fx.stats_edit = edit
        return name
    return set_edit


def _post(edit: Callable[[Path], str | None]) -> Callable[[Fixture], str]:
    def set_post(fx: Fixture) -> str:
        fx.post = edit  # type: ignore[assignment]
        return ""
    return set_post


def _swap_columns(root: Path) -> None:
    def edit(t: pa.Table) -> pa.Table:
        names = t.column_names
        names[1], names[2] = names[2], names[1]
        return t.select(names)
    rewrite(root / "data" / "train-00000-of-00002.parquet", edit)


def _retype(rel: str, column: str, type_: pa.DataType) -> Callable[[Path], None]:
    """Cast ``column`` of the file ``rel`` to another Arrow type."""
    def fault(root: Path) -> None:
        rewrite(root / rel, lambda t: t.set_column(t.schema.get_field_index(column), column,
                                                   t.column(column).cast(type_)))
    return fault


def _null_one(rel: str, column: str, row: int) -> Callable[[Path], None]:
    """Set ``column`` of one row of the file ``rel`` to null (a nullable field: the
    schema itself is then wrong too)."""
    def fault(root: Path) -> None:
        def edit(t: pa.Table) -> pa.Table:
            values = t.column(column).to_pylist()
            values[row] = None
            return t.set_column(t.schema.get_field_index(column), pa.field(column, pa.string()),
                                pa.array(values, pa.string()))
        rewrite(root / rel, edit)
    return fault


def _drop_rejected_column(root: Path) -> None:
    rewrite(root / "rejected" / "rejected-00000-of-00001.parquet",
            lambda t: t.drop_columns(["raw_excerpt"]))


def _rename_shard(root: Path) -> None:
    (root / "data" / "validation-00000-of-00001.parquet").rename(
        root / "data" / "validation-00000-of-00002.parquet")


def _bump(path: str, by: int) -> Callable[[dict], None]:
    def edit(stats: dict) -> None:
        *parents, last = path.split(".")
        d = stats
        for p in parents:
            d = d[p]
        d[last] += by
    return edit


def _drop_total(stats: dict) -> None:
    del stats["rejected_total"]


BIG = "ب" * 1_000_001
FAULTS: dict[str, tuple[Callable[[Fixture], str], set[str]]] = {
    "columns-reordered": (_post(_swap_columns), {"split_columns_ordered"}),
    "arrow-type": (_post(_retype("data/test-00000-of-00001.parquet", "n_words", pa.int32())),
                   {"split_arrow_types"}),
    "null-id": (_post(_null_one("data/train-00001-of-00002.parquet", "id", 0)),
                {"id_not_null", "split_arrow_types"}),
    "rejected-column-missing": (_post(_drop_rejected_column), {"rejected_columns_ordered"}),
    "rejected-arrow-type": (_post(_retype("rejected/rejected-00000-of-00001.parquet",
                                          "detail", pa.large_string())),
                            {"rejected_arrow_types"}),
    "reason-null": (_post(_null_one("rejected/rejected-00000-of-00001.parquet", "reason", -1)),
                    {"reason_not_null", "rejected_arrow_types", "counts_match_stats"}),
    "shard-names": (_post(_rename_shard), {"shard_names"}),
    "id-duplicate-in-split": (_dup_id_within, {"id_unique"}),
    "id-in-two-splits": (_dup_id_across, {"id_unique", "no_id_in_two_splits"}),
    "url-duplicate": (_copy_key("url"), {"url_unique"}),
    "text-null": (_set("train", 2, text=None), {"text_not_null"}),
    "text-blank": (_set("test", 1, text=" \n "), {"text_not_blank"}),
    "text-too-long": (_set("validation", 1, text=BIG), {"text_length"}),
    "arabic-ratio-low": (_set("train", 0, arabic_ratio=0.2), {"filter_arabic_ratio"}),
    "arabic-ratio-null": (_set("train", 3, arabic_ratio=None), {"arabic_ratio_not_null"}),
    "text-persian-yeh": (_sub("train", 1, "text", "يوم", "یوم"), {"text_no_persian_letters"}),
    "text-keheh": (_sub("test", 0, "text", "مسؤول", "مسؤولک"), {"text_no_persian_letters"}),
    "text-tatweel": (_sub("validation", 0, "text", "مدينة", "مديـنة"), {"text_no_tatweel"}),
    "text-zwnj": (_sub("train", 2, "text", "العمل", "الع\u200cمل"),
                  {"text_no_invisible_controls"}),
    "text-bidi": (_sub("train", 3, "text", "قال", "قال\u202b"), {"text_no_invisible_controls"}),
    "text-presentation": (_sub("test", 1, "text", "يوم", "\ufef3\ufeee\ufee1"),
                          {"text_no_presentation_forms"}),
    "title-persian-yeh": (_sub("train", 0, "title", "في", "فی"), {"title_no_persian_letters"}),
    "title-tatweel": (_sub("validation", 1, "title", "في", "فـي"), {"title_no_tatweel"}),
    "title-alm": (_sub("test", 0, "title", "في", "في\u061c"), {"title_no_invisible_controls"}),
    "title-presentation": (_sub("train", 1, "title", "في", "\ufed3\ufef4"),
                           {"title_no_presentation_forms"}),
    "boilerplate": (_sub("train", 2, "text", "الأحد.", "الأحد.تابعونا عبرالشبكات"),
                    {"text_no_boilerplate"}),
    "boilerplate_line": (_sub("train", 2, "text", "الأحد.", "الأحد.\nالمصدر: وكالة تجريبية"),
                         {"text_no_boilerplate"}),
    "text-html-tag": (_sub("test", 1, "text", "الأحد.", "الأحد.<br/>"), {"text_no_html"}),
    "title-html-entity": (_sub("validation", 0, "title", "في", "&quot;في"), {"title_no_html"}),
    "published-too-early": (_set("train", 1, published=dt.datetime(1985, 1, 1, tzinfo=UTC)),
                            {"published_in_range"}),
    "crawled-too-late": (_set("test", 0, crawled=dt.datetime(2101, 1, 1, tzinfo=UTC)),
                         {"crawled_in_range"}),
    "published-after-crawled": (_set("validation", 1,
                                     published=dt.datetime(2015, 7, 22, tzinfo=UTC)),
                                {"published_not_after_crawled"}),
    "text-in-two-splits": (_copy_key("text"), {"no_text_in_two_splits"}),
    "cluster-in-two-splits": (_copy_key("cluster_id"), {"no_cluster_in_two_splits"}),
    "story-in-two-splits": (_same_story, {"no_story_in_two_splits"}),
    "unknown-reason": (_unknown_reason, {"known_reason"}),
    "split-count-off": (_stats(_bump("articles.train", 1), "articles:train"),
                        {"counts_match_stats"}),
    "reason-count-off": (_stats(_bump("rejected.dedup:near-duplicate", -1),
                                "rejected:dedup:near-duplicate"), {"counts_match_stats"}),
    "stats-incomplete": (_stats(_drop_total, "rejected_total"),
                         {"stats_json_valid", "counts_match_stats"}),
}


def _q(key: str) -> Any:
    return params_mod.defaults()["quality"][key]


#: Each threshold the filter applies, violated on one kept row: the suites must catch it.
#: (fault, column, value, check, parameter overrides that make the threshold bite).
FILTER_FAULTS = [
    ("too-few-words", "n_words", _q("min_words") - 1, "filter_min_max_words", {}),
    ("too-many-words", "n_words", _q("max_words") + 1, "filter_min_max_words", {}),
    ("word-length-low", "mean_word_length", _q("min_mean_word_length") - 0.5,
     "filter_mean_word_length", {}),
    ("word-length-high", "mean_word_length", _q("max_mean_word_length") + 0.5,
     "filter_mean_word_length", {}),
    ("arabic-ratio-below-filter", "arabic_ratio", _q("min_arabic_ratio") - 0.01,
     "filter_arabic_ratio", {}),
    ("repeated-lines", "dup_line_frac", _q("max_dup_line_frac") + 0.01,
     "filter_dup_line_frac", {}),
    ("repeated-ngrams", "top_ngram_frac", _q("max_top_ngram_frac") + 0.01,
     "filter_top_ngram_frac", {}),
    ("line-punctuation", "punct_line_ratio", 0.2, "filter_punct_line_ratio",
     {"min_punct_line_ratio": 0.5}),
    ("not-a-kept-language", "lang", "en", "filter_language", {}),
    ("lang-score-low", "lang_score", _q("min_lang_score") - 0.01, "filter_lang_score", {}),
    ("signal-null", "n_words", None, "n_words_not_null", {}),
    ("lang-null", "lang_score", None, "lang_score_not_null", {}),
]


@pytest.mark.parametrize(("fault", "column", "value", "check", "override"), FILTER_FAULTS,
                         ids=[f[0] for f in FILTER_FAULTS])
def test_filter_threshold_violation_is_caught(fault, column, value, check, override,
                                              tmp_path: Path, params) -> None:
    p = copy.deepcopy(params)
    p["quality"].update(override)
    good = validate.run(write_dataset(tmp_path / "good", Fixture()), p)
    assert good.ok, good.summary()  # the threshold itself does not reject the good rows
    fx = Fixture()
    example = _set("validation", 1, **{column: value})(fx)
    result = validate.run(write_dataset(tmp_path / "ds", fx), p)
    assert {f.expectation for f in result.failures} == {check}, result.summary()
    assert example in result.summary()


def test_a_build_that_kept_nothing_fails(tmp_path: Path, params) -> None:
    fx = Fixture(articles={s: [] for s in SPLITS})
    result = validate.run(write_dataset(tmp_path / "ds", fx), params)
    assert not result.ok
    assert "dataset_not_empty" in {f.expectation for f in result.failures}, result.summary()


def test_every_expectation_says_what_it_protects() -> None:
    for name, suite in suite_dicts().items():
        for e in suite["expectations"]:
            assert len(e.get("notes") or "") > 20, (name, e["meta"]["check"])


@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_is_caught(fault: str, tmp_path: Path, params) -> None:
    edit, expected = FAULTS[fault]
    fx = Fixture()
    example = edit(fx)
    root = write_dataset(tmp_path / "ds", fx)
    result = validate.run(root, params, reports_dir=tmp_path / "reports")
    summary = result.summary()
    assert not result.ok, summary
    assert {f.expectation for f in result.failures} == expected, summary
    assert result.failed == len(expected) == len(result.failures)
    assert result.passed == result.evaluated - result.failed
    for failure in result.failures:
        assert f"{failure.suite}.{failure.expectation}" in summary
        assert 1 <= len(failure.examples) <= validate.MAX_EXAMPLES
    if example:
        assert any(example in f.examples for f in result.failures), summary
        assert example in summary
    report = json.loads((tmp_path / "reports" / "validation.json").read_text("utf-8"))
    assert report["success"] is False and report["failed"] == len(expected)


def test_attribution_inside_prose_is_not_boilerplate(tmp_path: Path, params) -> None:
    """"وقال المصدر:" is news prose; only a line that starts with the marker is furniture."""
    fx = Fixture()
    _sub("train", 2, "text", "الأحد.", "الأحد. وقال المصدر: إن العمل مستمر")(fx)
    result = validate.run(write_dataset(tmp_path / "ds", fx), params)
    assert result.ok, result.summary()
