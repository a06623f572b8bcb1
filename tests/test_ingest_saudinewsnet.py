"""ingest on the real SaudiNewsNet dumps (zipped JSON arrays) with no mapping written:
the preset is detected from the keys and ``date_extracted`` (crawl time) goes to
``crawled_raw``, never to ``published_raw``."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from test_ingest_support import ingest

DAYS = ("2015-07-21", "2015-08-01")


@pytest.fixture(scope="module")
def zips(shared_dir: Path) -> list[Path]:
    paths = [shared_dir / "corpora" / "saudinewsnet" / f"{day}.zip" for day in DAYS]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        pytest.skip(f"SaudiNewsNet zips absent: {missing}")
    return paths


def _expected(path: Path) -> tuple[str, list[dict[str, str]], str]:
    with zipfile.ZipFile(path) as archive:
        (name,) = archive.namelist()
        data = archive.read(name)
    return f"{path.name}/{name}", json.loads(data), hashlib.sha256(data).hexdigest()


@pytest.mark.slow
def test_two_saudinewsnet_zips_load_with_no_mapping(tmp_path: Path, zips: list[Path]) -> None:
    report, good, bad = ingest(tmp_path, *zips)  # params as shipped: fields {}, preset auto
    assert bad.height == 0
    offset = 0
    for path in zips:
        label, records, sha = _expected(path)
        rows = good.slice(offset, len(records))
        offset += len(records)
        assert set(rows["raw_file"]) == {label} and set(rows["raw_sha256"]) == {sha}
        assert rows["raw_record"].to_list() == list(range(len(records)))
        assert rows["crawled_raw"].to_list() == [r["date_extracted"] for r in records]
        assert rows["published_raw"].null_count() == len(records)
        assert rows["url"].to_list() == [r["url"] or None for r in records]
        assert rows["source"].to_list() == [r["source"] or None for r in records]
        assert rows["title"].to_list() == [r["title"] or None for r in records]
        assert rows["author"].to_list() == [r["author"] or None for r in records]
        assert rows["body"].to_list() == [r["content"] or None for r in records]
    assert offset == good.height == report.rows_out == report.rows_in
    assert report.stats["formats"] == {"json": good.height}
    assert report.stats["encodings"] == {"utf-8": good.height}
