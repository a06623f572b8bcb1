"""``akhbar diff``: every category of change, on hand-made folders and on two real builds
of the sample (the second with an added file, an edited article and changed params)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from akhbar import diff
from akhbar import params as params_mod
from akhbar.build import build
from akhbar.cli import app
from akhbar.schema import ARTICLE_SCHEMA, REJECTED_SCHEMA, conform
from builders import news

EDITED_FILE, EDITED_RECORD = "saudinewsnet-like/2023-05-01.json", 6
ADDED = "sample/jsonl/added-2023-07.jsonl"


# --------------------------------------------------------------------------- hand-made


def _art(i: str, text: str, rec: int, source: str = "okaz", file: str = "f.json",
         **kw) -> dict:
    return {"id": i, "text": text, "title": f"عنوان {i}", "source": source,
            "raw_file": file, "raw_record": rec, **kw}


def _folder(root: Path, splits: dict[str, list[dict]], rejected: list[dict]) -> Path:
    (root / "data").mkdir(parents=True)
    (root / "rejected").mkdir()
    for split, rows in splits.items():
        pq.write_table(conform(rows, ARTICLE_SCHEMA),
                       root / "data" / f"{split}-00000-of-00001.parquet")
    rej = [{"stage": r["reason"].split(":")[0], **r} for r in rejected]
    pq.write_table(conform(rej, REJECTED_SCHEMA),
                   root / "rejected" / "rejected-00000-of-00001.parquet")
    return root


def test_each_category_on_hand_made_folders(tmp_path: Path) -> None:
    a = _folder(tmp_path / "a", {
        "train": [_art("same", "نص ثابت", 0), _art("mover", "نص ينتقل", 1),
                  _art("gone", "نص يختفي", 2, source="sabq"),
                  _art("urlid", "نص قبل التعديل", 3),
                  _art("textid-old", "نص بلا رابط", 4, category="رياضة"),
                  # two articles cut from one host record: never matched by provenance
                  _art("host-a", "مقال أول", 9), _art("host-b", "مقال ثان", 9)],
    }, [_art("back", "نص عاد", 5, reason="quality:too-short")])
    b = _folder(tmp_path / "b", {
        "train": [_art("same", "نص ثابت", 0), _art("urlid", "نص بعد التعديل", 3),
                  _art("textid-new", "نص بلا رابط معدل", 4, category="رياضة"),
                  _art("back", "نص عاد", 5), _art("fresh", "نص جديد", 7, file="new.json"),
                  _art("host-c", "مقال ثالث", 9)],
        "test": [_art("mover", "نص ينتقل", 1)],
    }, [_art("gone", "نص يختفي", 2, source="sabq", reason="dedup:near")])
    r = diff.compare(a, b)
    t = r["totals"]
    assert (t["a"], t["b"]) == (7, 7)
    assert [m["id"] for m in r["moved"]] == ["mover"]
    assert r["moved"][0]["from"] == "train" and r["moved"][0]["to"] == "test"
    assert sorted((c["id_a"], c["id_b"]) for c in r["changed"]) == [
        ("textid-old", "textid-new"), ("urlid", "urlid")]
    assert {x["id"]: x["reason"] for x in r["removed"]} == {
        "gone": "dedup:near", "host-a": "absent", "host-b": "absent"}
    assert {x["id"]: x["was"] for x in r["added"]} == {
        "back": "quality:too-short", "fresh": "new", "host-c": "new"}
    assert t["unchanged"] == 1
    assert r["by_source"]["sabq"] == {"added": 0, "removed": 1, "moved": 0, "changed": 0}
    assert r["by_category"]["رياضة"]["changed"] == 1
    assert r["rejected"]["quality:too-short"] == {"a": 1, "b": 0, "delta": -1}
    assert r["rejected"]["dedup:near"]["delta"] == 1
    test_split = next(s for s in r["splits"] if s["split"] == "test")
    assert test_split["moved_in"] == 1 and test_split["b"] == 1
    md = diff.changelog_section(r, "Changes since v0.1.0")
    assert md.startswith("### Changes since v0.1.0")
    assert "+3 added, -3 removed, 1 moved between splits, 2 with changed text" in md
    assert "| dedup:near | 1 |" in md


def test_not_a_dataset_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="neither a dataset folder"):
        diff.resolve(tmp_path / "nothing")
    result = CliRunner().invoke(app, ["diff", str(tmp_path / "nothing"), str(tmp_path)])
    assert result.exit_code == 1
    assert "neither a dataset folder" in result.output
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------- real builds


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory, sample_dir: Path):
    root = tmp_path_factory.mktemp("diff")
    raw_a, raw_b = root / "raw-a" / "sample", root / "raw-b" / "sample"
    shutil.copytree(sample_dir, raw_a)
    shutil.copytree(sample_dir, raw_b)
    a = root / "a"
    build([raw_a], a, params_mod.load(), validate=False, card=False)
    kept_a = pl.read_parquet(a / "data" / "*.parquet")
    # B: one more file of two new articles, one article's text edited (its id is its URL's),
    # min_words above A's fourth shortest kept article, other split ratios.
    (raw_b / ADDED.split("/", 1)[1]).write_text("".join(
        json.dumps({"url": f"https://added.example/2023/07/{i}", "title": f"خبر مضاف {i}",
                    "text": news(900 + i, sentences=24), "published": "2023-07-0{i}"},
                   ensure_ascii=False) + "\n" for i in (1, 2)), encoding="utf-8")
    path = raw_b / EDITED_FILE
    records = json.loads(path.read_text(encoding="utf-8"))
    records[EDITED_RECORD]["content"] += "\nوأضافت الصحيفة في تحديث لاحق أن الموعد تأجل أسبوعا."
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    min_words = int(kept_a.get_column("n_words").sort()[3]) + 1
    params_b = root / "params-b.yaml"
    params_b.write_text(yaml.safe_dump({
        "quality": {"min_words": min_words},
        "split": {"ratios": {"train": 0.4, "validation": 0.3, "test": 0.3}}}),
        encoding="utf-8")
    b = root / "b"
    build([raw_b], b, params_mod.load(params_b), validate=False, card=False)
    return a, b, kept_a, min_words


def test_each_category_on_two_builds(two_builds, tmp_path: Path) -> None:
    a, b, kept_a, min_words = two_builds
    result = CliRunner().invoke(app, ["diff", str(a), str(b), "--json", str(tmp_path / "d.json")])
    assert result.exit_code == 0, result.output
    r = json.loads((tmp_path / "d.json").read_text(encoding="utf-8"))
    kept_b = pl.read_parquet(b / "data" / "*.parquet")
    added_files = {row["raw_file"] for row in kept_b.filter(
        pl.col("id").is_in([x["id"] for x in r["added"]])).iter_rows(named=True)}
    assert ADDED in added_files
    assert sum(x["was"] == "new" for x in r["added"]) >= 2
    short = set(kept_a.filter(pl.col("n_words") < min_words).get_column("id"))
    assert short, "the raised min_words must remove some article"
    reasons = {x["id"]: x["reason"] for x in r["removed"]}
    assert short <= set(reasons)
    assert {reasons[i] for i in short} == {"quality:too-short"}
    assert r["moved"], "other split ratios must move some article"
    for m in r["moved"]:
        assert m["from"] != m["to"]
    changed = [c for c in r["changed"] if c["raw_file"] == f"sample/{EDITED_FILE}"
               and c["raw_record"] == EDITED_RECORD]
    assert len(changed) == 1
    t = r["totals"]
    assert t["a"] == kept_a.height and t["b"] == kept_b.height
    assert t["a"] - t["removed"] + t["added"] == t["b"]
    assert t["unchanged"] + t["moved"] + t["changed"] + t["removed"] == t["a"]
    assert r["rejected"]["quality:too-short"]["delta"] > 0
    assert sum(c["removed"] for c in r["by_source"].values()) == t["removed"]
    assert "quality:too-short" in result.output  # the printed changelog section
