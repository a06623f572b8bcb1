"""The generated dataset card: metadata checked against the Parquet files, loadable
offline by ``datasets``, byte-identical across runs, and exportable for the Hub."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import datasets
import huggingface_hub.constants
import polars as pl
import pyarrow.parquet as pq
import pytest
import yaml
from datasets import Features, List, Value

from akhbar import card, citation, plots, versions
from akhbar import params as params_mod
from akhbar.io import ParquetSink
from akhbar.schema import ARTICLE_SCHEMA, REJECTED_SCHEMA

ROOT = Path(__file__).resolve().parents[1]

# Our own tiny Arabic news fixtures: subjects × events, so each article is distinct.
_SUBJECTS = ["وزارة التعليم", "البنك المركزي", "المنتخب الوطني", "بلدية العاصمة",
             "هيئة الأرصاد", "جامعة الملك"]
_EVENTS = ["أعلنت عن خطة جديدة لتطوير الخدمات خلال العام المقبل",
           "عقدت اجتماعا موسعا لمناقشة نتائج الربع الأول",
           "حذرت من موجة حر تضرب المناطق الساحلية هذا الأسبوع",
           "افتتحت مركزا حديثا لخدمة المواطنين في الحي الشمالي"]
SOURCES = ["akhbar-alyawm.example", "alwatan.example", "sada.example"]


def article(key: str, i: int, split: str) -> dict:
    """One fixture article; ``key`` makes its id, ``i`` picks its words, source and date."""
    text = " ".join(f"{_SUBJECTS[(i + k) % len(_SUBJECTS)]} {_EVENTS[(i * 3 + k) % 4]}."
                    for k in range(1 + i % 4))
    return {
        "id": f"u{key}", "url": f"https://{SOURCES[i % 3]}/{split}/{key}",
        "source": SOURCES[i % 3], "title": _SUBJECTS[i % len(_SUBJECTS)], "text": text,
        "published": datetime(2021 + i % 2, 1 + (i * 5) % 12, 1 + i % 27, 8, tzinfo=UTC),
        "published_from": ["field", "dateline", "url"][i % 3],
        "category": ["محليات", "اقتصاد"][i % 2],
        "tags": ["محليات", "اقتصاد", "رياضة"][: i % 4], "raw_file": f"dump/{split}.jsonl",
        "raw_record": i, "n_words": len(text.split()), "n_chars": len(text),
    }


def build_dataset(root: Path, ids: dict[str, list[str]], rejected: int = 2,
                  rows_per_file: int = 4) -> dict[str, list[dict]]:
    """A dataset folder like the split stage writes: sharded splits, rejected rows and
    stats.json. ``ids`` maps split → article keys. Returns split → rows written."""
    written = {}
    for split, keys in ids.items():
        rows = [article(k, int(k.split("-")[-1]), split) for k in keys]
        with ParquetSink(root / "data", ARTICLE_SCHEMA, rows_per_file=rows_per_file,
                         prefix=split, of_total=True) as sink:
            sink.write(rows)
        written[split] = rows
    reasons = ["quality:too-short", "dedup:near-duplicate", "quality:too-short"]
    rej = [{"raw_file": "dump/x.jsonl", "raw_record": 100 + j, "stage": reasons[j % 3]
            .split(":")[0], "reason": reasons[j % 3], "reasons": [reasons[j % 3]],
            "text": "خبر قصير"} for j in range(rejected)]
    with ParquetSink(root / "rejected", REJECTED_SCHEMA, rows_per_file=1000,
                     prefix="rejected", of_total=True) as sink:
        sink.write(rej)
    by_reason: dict[str, int] = {}
    for r in rej:
        by_reason[r["reason"]] = by_reason.get(r["reason"], 0) + 1
    n = sum(len(v) for v in ids.values())
    stats = {
        "records_in": n + rejected,
        "articles": {s: len(v) for s, v in ids.items()},
        "rejected": by_reason, "rejected_total": rejected,
        "stages": {
            "ingest": {"rows_in": n + rejected, "rows_out": n + rejected, "rejected": {}},
            "quality": {"rows_in": n + rejected, "rows_out": n + 1, "rejected": {
                k: v for k, v in by_reason.items() if k.startswith("quality")}},
            "dedup": {"rows_in": n + 1, "rows_out": n, "rejected": {
                k: v for k, v in by_reason.items() if k.startswith("dedup")}},
            "split": {"rows_in": n, "rows_out": n, "rejected": {}},
        },
    }
    (root / "stats.json").write_text(json.dumps(stats, sort_keys=True), encoding="utf-8")
    return written


IDS = {"train": [f"tr-{i}" for i in range(9)], "validation": ["va-20", "va-21"],
       "test": ["te-30", "te-31", "te-32"]}
VALIDATION = {"evaluated": 12, "passed": 12, "failed": 0, "success": True,
              "suites": {"articles": {"evaluated": 9, "passed": 9, "failed": 0},
                         "rejected": {"evaluated": 3, "passed": 3, "failed": 0}}}


#: A residue block as the clean stage reports it (stats.json: stages.clean.residue).
RESIDUE = {"counts": {SOURCES[0]: {"link-back <URL>": 5, "share-widget": 2}},
           "samples": [{"source": SOURCES[0], "pattern": "link-back <URL>",
                        "line": "رابط الخبر في أخبار اليوم: https://example.org/1"}]}
CARD = {"pretty_name": "Test corpus", "license": "cc-by-4.0", "version": "1.2.3",
        "date": "2026-03-04", "authors": [{"name": "Test curators"}],
        "hub_repo": "org/test-corpus", "contact": "curators@example.org",
        "citation_key": "testcorpus"}


def card_params(tmp_path: Path, card_section: dict | None) -> params_mod.Params:
    """The library defaults with a user's card section, through params.load."""
    if card_section is None:
        return params_mod.load()
    user = tmp_path / "card.yaml"
    user.write_text(yaml.safe_dump({"card": card_section}), encoding="utf-8")
    return params_mod.load(user)


@pytest.fixture(scope="module")
def params(tmp_path_factory) -> dict:
    return card_params(tmp_path_factory.mktemp("p"), CARD)


@pytest.fixture(scope="module")
def carded(tmp_path_factory, params) -> Path:
    root = tmp_path_factory.mktemp("ds")
    build_dataset(root, IDS)
    stats = json.loads((root / "stats.json").read_text(encoding="utf-8"))
    stats["stages"]["clean"] = {"rows_in": 1, "rows_out": 1, "residue": RESIDUE}
    (root / "stats.json").write_text(json.dumps(stats), encoding="utf-8")
    card.run(root, params, VALIDATION, raw_paths=["my/raw dump.zip", "more/"])
    return root


def body_of(root: Path) -> str:
    return (root / "README.md").read_text(encoding="utf-8").split("\n---\n", 1)[1]



def test_front_matter_matches_parquet_files(carded: Path) -> None:
    meta = card.front_matter(carded / "README.md")
    assert meta["license"] == "cc-by-4.0"
    assert meta["pretty_name"] == "Test corpus"
    assert meta["language"] == ["ar"]
    assert meta["size_categories"] == ["n<1K"]
    configs = {c["config_name"]: c for c in meta["configs"]}
    assert configs["default"]["data_files"] == [
        {"split": s, "path": f"data/{s}-*"} for s in ("train", "validation", "test")]
    assert configs["rejected"]["data_files"] == [{"split": "rejected",
                                                  "path": "rejected/*.parquet"}]
    infos = {i["config_name"]: i for i in meta["dataset_info"]}
    assert Features._from_yaml_list(infos["default"]["features"]) == \
        Features.from_arrow_schema(ARTICLE_SCHEMA)
    assert Features._from_yaml_list(infos["rejected"]["features"]) == \
        Features.from_arrow_schema(REJECTED_SCHEMA)
    for info, folder, globs in ((infos["default"], "data", None),
                                (infos["rejected"], "rejected", {"rejected": "*.parquet"})):
        total_size = 0
        for split in info["splits"]:
            pattern = (globs or {}).get(split["name"], f"{split['name']}-*.parquet")
            files = sorted((carded / folder).glob(pattern))
            assert files, split
            assert split["num_examples"] == sum(pq.read_metadata(f).num_rows for f in files)
            assert split["num_bytes"] > 0
            total_size += sum(f.stat().st_size for f in files)
        assert info["download_size"] == total_size
    assert [s["num_examples"] for s in infos["default"]["splits"]] == [9, 2, 3]
    assert infos["rejected"]["splits"][0]["num_examples"] == 2


def test_load_dataset_offline_from_hub_export(carded: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    dest = card.export(carded, tmp_path / "hub")
    for rel in ("README.md", "stats.json", "version.json", "metrics.json",
                "plots/articles_per_source.png",
                *[p.relative_to(carded).as_posix() for p in carded.rglob("*.parquet")]):
        assert (dest / rel).read_bytes() == (carded / rel).read_bytes(), rel
    ds = datasets.load_dataset(str(dest), cache_dir=str(tmp_path / "hf"))
    assert {s: ds[s].num_rows for s in ds} == {"train": 9, "validation": 2, "test": 3}
    feats = ds["train"].features
    assert feats["published"] == Value("timestamp[us, tz=UTC]")
    assert feats["tags"] == List(Value("string"))
    assert sorted(ds["validation"]["id"]) == ["uva-20", "uva-21"]
    by_id = {row["id"]: row for row in ds["train"]}
    expected = article("tr-2", 2, "train")
    assert by_id["utr-2"]["published"] == expected["published"]
    assert by_id["utr-2"]["tags"] == expected["tags"] == ["محليات", "اقتصاد"]
    assert by_id["utr-2"]["text"] == expected["text"]
    rejected = datasets.load_dataset(str(dest), "rejected", cache_dir=str(tmp_path / "hf"))
    assert list(rejected) == ["rejected"]
    assert sorted(rejected["rejected"]["reason"]) == ["dedup:near-duplicate",
                                                      "quality:too-short"]


def test_body_reports_counts_params_and_citation(carded: Path, params: dict) -> None:
    body = body_of(carded)
    # per-source table: counts recomputed here from the fixture
    for source in SOURCES:
        per = [sum(1 for k in IDS[s] if int(k.split("-")[1]) % 3 == SOURCES.index(source))
               for s in ("train", "validation", "test")]
        assert f"| {source} | {per[0]} | {per[1]} | {per[2]} | {sum(per)} |" in body
    assert "| `quality:too-short` | quality | 1 |" in body
    assert "| `dedup:near-duplicate` | dedup | 1 |" in body
    assert "| **total** | | **2** |" in body
    # the exact parameter values of the stages that ran, and the raw paths as given
    assert f"threshold: {params.dedup.threshold}" in body
    assert f"min_words: {params.quality.min_words}" in body
    assert "- `my/raw dump.zip`\n- `more/`" in body
    assert "  - my/raw dump.zip\n  - more/" in body and "data/raw/sample" not in body
    assert "### 4. `dedup` — 15 → 14 rows, 1 removed" in body
    assert "12 expectations evaluated, 12 passed" in body
    assert "| articles | 9 | 9 | 0 |\n| rejected | 3 | 3 | 0 |" in body
    assert "| Curators | Test curators |" in body
    assert "| Contact | curators@example.org |" in body
    assert "| Funding | not stated |" in body
    years = {"2021": sum(1 for ks in IDS.values() for k in ks if int(k.split("-")[1]) % 2 == 0)}
    assert f"| 2021 | {years['2021']} |" in body
    for name in plots.PLOTS:
        assert f"(plots/{name}.png)" in body
        assert (carded / "plots" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_column_is_described_once(carded: Path) -> None:
    from akhbar.schema import DESCRIPTIONS

    body = body_of(carded)
    table = body.split("### Data Fields", 1)[1].split("###", 1)[0]
    rows = [ln for ln in table.splitlines() if ln.startswith("| `")]
    named = [ln.split("`")[1] for ln in rows]
    assert named == list(dict.fromkeys([*ARTICLE_SCHEMA.names, *REJECTED_SCHEMA.names]))
    for line, name in zip(rows, named, strict=True):
        assert DESCRIPTIONS[name] in line
    assert set(DESCRIPTIONS) == set(REJECTED_SCHEMA.names)


def test_example_row_categories_dates_and_residue(carded: Path) -> None:
    body = body_of(carded)
    example = body.split("### An example row", 1)[1].split("```yaml\n", 1)[1].split("```")[0]
    row = yaml.safe_load(example)
    first = article("tr-0", 0, "train")
    assert row["id"] == "utr-0" and row["source"] == first["source"]
    assert set(row) == set(ARTICLE_SCHEMA.names)
    # categories: counted here from the fixture
    n_local = sum(1 for ks in IDS.values() for k in ks if int(k.split("-")[1]) % 2 == 0)
    assert "### Categories" in body
    assert "| محليات | " in body and f" | {n_local} |" in body
    # every fixture article is dated; published_from spread over field/dateline/url
    n = sum(len(v) for v in IDS.values())
    assert f"{n} of {n} articles (100.0%) have a publication date" in body
    n_url = sum(1 for ks in IDS.values() for k in ks if int(k.split("-")[1]) % 3 == 2)
    assert f"| url | {n_url} |" in body
    # residue from stats.json
    assert f"| {SOURCES[0]} | `link-back <URL>` | 5 |" in body
    assert "رابط الخبر في أخبار اليوم: https://example.org/1" in body
    metrics = json.loads((carded / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["articles"] == {"train": 9, "validation": 2, "test": 3, "total": 14}
    assert metrics["rejected"] == {"dedup": 1, "quality": 1, "total": 2}
    assert metrics["dated_share"] == 1.0


def test_without_a_card_section_nothing_is_inherited(tmp_path: Path, caplog) -> None:
    root = tmp_path / "ds"
    build_dataset(root, IDS)  # no residue, no clean stage: tolerated
    with caplog.at_level(logging.WARNING):
        card.run(root, card_params(tmp_path, None), VALIDATION)
    assert "card.license" in caplog.text
    meta = card.front_matter(root / "README.md")
    assert meta["license"] == "unknown"
    assert "pretty_name" not in meta
    body = body_of(root)
    assert "Akhbar:" not in body and "cc-by" not in body
    assert "| Curators | not stated |" in body
    assert "**How the raw data was collected:** not stated" in body
    assert "no `clean.residue`" in body
    fp = versions.fingerprint(versions.file_hashes(root))
    assert f"| Version | `0.0.0+{fp[7:19]}` (no release yet) |" in body


def test_version_names_the_content(tmp_path: Path, params: dict) -> None:
    """Same bytes → same version; other bytes → another; the release only for the
    release's own bytes."""
    def build(name: str, ids: dict, card_section: dict) -> tuple[str, dict]:
        root = tmp_path / name
        build_dataset(root, ids)
        card.run(root, card_params(tmp_path, card_section), VALIDATION)
        return body_of(root), json.loads((root / "version.json").read_text("utf-8"))

    body_a, ver_a = build("a", IDS, CARD)
    body_b, ver_b = build("b", IDS, CARD)
    other = {**IDS, "test": [*IDS["test"], "te-33"]}
    body_c, ver_c = build("c", other, CARD)
    assert ver_a["fingerprint"] == ver_b["fingerprint"] != ver_c["fingerprint"]
    assert ver_a["version"] == f"1.2.3+{ver_a['fingerprint'][7:19]}"
    assert ver_c["version"] != ver_a["version"]
    bib = body_a.split("```bibtex\n", 1)[1].split("```")[0]
    assert bib == body_b.split("```bibtex\n", 1)[1].split("```")[0]
    assert f"version      = {{{ver_a['version']}}}" in bib
    assert "url          = {https://huggingface.co/datasets/org/test-corpus}" in bib
    assert "year" not in bib  # not a release: no release year claimed
    assert f"version      = {{{ver_c['version']}}}" in body_c
    released, ver_r = build("r", IDS, {**CARD, "fingerprint": ver_a["fingerprint"]})
    assert ver_r["version"] == "1.2.3" and ver_r["release"] == "1.2.3"
    assert "| Version | `1.2.3` (release of 2026-03-04) |" in released
    assert "@misc{testcorpus_1_2_3," in released and "year         = {2026}" in released


def test_identical_inputs_give_identical_bytes(tmp_path: Path, params: dict) -> None:
    outputs = []
    for name in ("a", "b"):
        root = tmp_path / name
        build_dataset(root, IDS)
        card.run(root, params, VALIDATION)
        outputs.append({p.relative_to(root).as_posix(): p.read_bytes()
                        for p in sorted(root.rglob("*")) if p.is_file()
                        and p.suffix in (".md", ".png", ".csv", ".json")})
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) == 10  # README + 3 PNG + 3 CSV + stats, version, metrics


def test_plot_data() -> None:
    rows = [article(f"x-{i}", i, "train") for i in (0, 1, 2, 3)]
    articles = pl.DataFrame({
        "split": ["train"] * 4, "source": [r["source"] for r in rows],
        "published": [r["published"] for r in rows],
        "n_chars": [len(r["text"]) for r in rows]})
    months = plots.per_month(articles)
    # first and last month present, gaps between them filled with zeros
    assert months.get_column("articles").sum() == 4
    assert months.height == 18  # 2021-01 … 2022-06
    assert months.get_column("articles").to_list().count(0) == months.height - 4
    hist = plots.length_histogram(articles, bins=5)
    assert hist.get_column("articles").sum() == 4
    assert hist.get_column("bin_start")[0] == min(len(r["text"]) for r in rows)
    assert (hist.get_column("bin_end")[:-1] == hist.get_column("bin_start")[1:]).all()
    src = plots.per_source(articles)
    assert dict(zip(src["source"], src["articles"], strict=True)) == {
        SOURCES[0]: 2, SOURCES[1]: 1, SOURCES[2]: 1}


def test_size_category() -> None:
    assert card.size_category(0) == "n<1K"
    assert card.size_category(999) == "n<1K"
    assert card.size_category(1000) == "1K<n<10K"
    assert card.size_category(250_000) == "100K<n<1M"
    assert card.size_category(10**13) == "n>1T"


def _cffconvert_validate(path: Path) -> subprocess.CompletedProcess:
    # `make test` installs cffconvert into the tools venv (.tools/): it pins jsonschema < 4,
    # which the project's environment cannot share.
    exe = next((p for p in (ROOT / ".tools" / "bin" / "cffconvert",
                            Path(sys.executable).parent / "cffconvert") if p.exists()), None)
    if exe is None:
        pytest.skip("cffconvert is not installed (make test installs it into .tools/)")
    return subprocess.run([str(exe), "--validate", "-i", str(path)], capture_output=True,
                          text=True, check=False, timeout=120)


@pytest.mark.parametrize(("card_section", "released"), [
    (CARD, True), (CARD, False), ({}, False),
    ({"authors": [{"given-names": "Salma", "family-names": "Haddad", "email": "s@example.org"}],
      "license": "unknown", "repository": "https://example.org/repo"}, False),
])
def test_citation_cff_validates_with_cffconvert(tmp_path: Path, card_section, released):
    c = params_mod.card_fields(params_mod.load(*([] if not card_section else [
        _write(tmp_path / "c.yaml", {"card": card_section})])))
    path = citation.write_citation(tmp_path / "CITATION.cff", c, "1.2.3+abcdef012345",
                                   released)
    proc = _cffconvert_validate(path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    cff = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert cff["preferred-citation"]["type"] == "data"
    assert cff["version"] == "1.2.3+abcdef012345"
    assert ("date-released" in cff) == (released and bool(c.get("date")))


def _write(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_committed_citation_cff_validates_and_names_the_built_version() -> None:
    proc = _cffconvert_validate(ROOT / "CITATION.cff")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    project_card = yaml.safe_load((ROOT / "card.yaml").read_text(encoding="utf-8"))["card"]
    assert cff["title"] == project_card["pretty_name"]
    assert cff["license"] == citation.spdx_license(project_card["license"])


def test_export_requires_a_card(tmp_path: Path) -> None:
    build_dataset(tmp_path / "ds", {"train": ["tr-1"]})
    with pytest.raises(FileNotFoundError):
        card.export(tmp_path / "ds", tmp_path / "out")


def test_empty_lists_are_stored_as_empty_lists(tmp_path: Path) -> None:
    """An article without tags or related titles has [] (not null) in every published
    table; a raw record keeps null (the field was absent)."""
    from akhbar.schema import RAW_SCHEMA, conform

    rows = [{"id": "a", "raw_file": "f", "raw_record": 0, "tags": None},
            {"id": "b", "raw_file": "f", "raw_record": 1, "tags": ["محليات"],
             "related_titles": ["عنوان"]}]
    for schema in (ARTICLE_SCHEMA, REJECTED_SCHEMA):
        t = conform([{**r, "stage": "x", "reason": "x:y"} if schema is REJECTED_SCHEMA else r
                     for r in rows], schema)
        assert t.column("tags").to_pylist() == [[], ["محليات"]]
        assert t.column("related_titles").to_pylist() == [[], ["عنوان"]]
        assert t.column("tags").null_count == 0
    raw = conform([{"raw_file": "f", "raw_record": 0, "tags": None}], RAW_SCHEMA)
    assert raw.column("tags").to_pylist() == [None]
    build_dataset(tmp_path / "ds", {"train": ["tr-0"]})  # i=0: no tags in the fixture
    table = pq.read_table(tmp_path / "ds" / "data" / "train-00000-of-00001.parquet")
    assert table.column("tags").to_pylist() == [[]]
    assert table.column("related_titles").to_pylist() == [[]]
