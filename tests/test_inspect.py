"""``akhbar inspect`` through the CLI on the real-shape fixtures: what it reports must be
what a build would read (formats, encodings, mapping, coverage, examples)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from akhbar.cli import app
from test_ingest_support import write
from test_real_shapes import CATEGORY_FILES, CRAWL_TITLES, LEAD, PATH_PATTERN, SITE, TREC, make_raw


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("inspect")
    make_raw(root / "raw")
    write(root / "raw" / "dump.json", json.dumps(
        [{"headline": "عنوان من ملف", "content": LEAD["crawl_1"], "section": "محليات",
          "link": "https://dump.example/1"}], ensure_ascii=False))
    (root / "params.yaml").write_text(yaml.safe_dump({"ingest": {"path_pattern": PATH_PATTERN}}),
                                      encoding="utf-8")
    return root


def test_inspect_json_reports_formats_mapping_and_coverage(raw: Path) -> None:
    result = CliRunner().invoke(app, ["inspect", str(raw / "raw"), "--json",
                                      "--params", str(raw / "params.yaml")])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    n_crawl = len(CRAWL_TITLES) + 1  # and the section page
    assert report["files_by_extension"] == {
        ".json": {"json": 1},
        ".txt": {"plaintext": len(CATEGORY_FILES) + n_crawl, "trec": len(TREC)}}
    assert report["records_by_encoding"] == {"utf-8": 1 + len(TREC) + len(CRAWL_TITLES),
                                             "windows-1256": len(CATEGORY_FILES)}
    assert report["rejected"] == {"ingest:landing-page": 1}
    # the dump's keys as resolved by the preset, named
    generic = report["field_mapping"]["preset generic"]
    assert generic["title"].startswith("key 'headline'")
    assert generic["category"].startswith("key 'section'")
    assert generic["body"].startswith("key 'content'")
    assert "<CAT>" in report["field_mapping"]["trec"]["category"]
    assert "HTTP date" in report["field_mapping"]["plaintext"]["crawled"]
    trec = report["coverage_by_format"]["trec (sniffed <DOC> in .txt)"]
    assert all(trec[c] == 1.0 for c in ("title", "url", "source", "author", "published",
                                         "category", "text"))
    plain = report["coverage_by_format"]["plaintext"]
    # 3 category files (all with a category, 2 with a headline) + 4 crawl pages (all titled)
    assert plain["category"] == round(3 / 7, 4) and plain["title"] == round(6 / 7, 4)
    assert plain["crawled"] == round(4 / 7, 4) and plain["source"] == round(4 / 7, 4)
    formats = [e["raw_format"] for e in report["examples"]]
    assert len(formats) == 3 and len(set(formats)) == 3  # one example per format first
    crawl = [e for e in report["examples"] if e["raw_file"].startswith("raw/crawl/")]
    for example in crawl:
        assert example["source"] == SITE and example["title"] in CRAWL_TITLES.values()


def test_inspect_text_output_and_sample_limit(raw: Path) -> None:
    result = CliRunner().invoke(app, ["inspect", str(raw / "raw" / "trec"), "--sample", "2"])
    assert result.exit_code == 0, result.output
    assert "sampled 2 files (limit 2)" in result.stdout
    assert ".txt: trec 2" in result.stdout
    assert "category   ← <CAT>|<CATEGORY>|<SECTION>" in result.stdout
    assert TREC["trec_1"][4] in result.stdout  # the first document's title, in an example


def test_inspect_missing_path_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["inspect", str(tmp_path / "nope")])
    assert result.exit_code == 1 and "no such file or folder" in result.output
