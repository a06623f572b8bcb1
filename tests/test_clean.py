"""akhbar.boilerplate and the clean stage (akhbar.clean.run)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq
import pytest

from akhbar import clean, io
from akhbar.boilerplate import BoilerplateParams, LineIndex, lines_frame, remove_lines
from akhbar.folding import fold
from akhbar.params import defaults as params_defaults
from akhbar.params import defaults_for
from akhbar.params import load as load_params
from akhbar.schema import ARTICLE_SCHEMA, REJECTED_SCHEMA, rows
from akhbar.stage import StageReport
from akhbar.text import normalize_expr

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SAUDINEWSNET = SHARED / "corpora" / "saudinewsnet"

FOOTER = "// انتهى //"
FA_YEH = "\u06cc"

# ----------------------------------------------------------------- tiny fixtures
# Sentences made up for these tests (not taken from any corpus).
SENTENCES = [
    "افتتح المحافظ اليوم المكتبة العامة الجديدة في وسط المدينة بحضور عدد من الأهالي",
    "أعلنت الجامعة عن بدء التسجيل للفصل الدراسي المقبل عبر موقعها الإلكتروني",
    "شهدت الأسواق المحلية ارتفاعا طفيفا في أسعار الخضروات خلال الأسبوع الماضي",
    "فاز الفريق المحلي على ضيفه بهدفين نظيفين في المباراة التي أقيمت مساء أمس",
    "قررت البلدية إغلاق الطريق الساحلي مؤقتا لإجراء أعمال الصيانة الدورية",
    "نظمت الجمعية الخيرية حملة لتوزيع السلال الغذائية على الأسر المحتاجة",
    "أكد المتحدث الرسمي أن المشروع سيكتمل قبل نهاية العام الجاري",
    "استقبل المستشفى الجديد أول مرضاه بعد تجهيزه بأحدث المعدات الطبية",
]
SUBSCRIBE = "للتواصل مع الكاتب أرسل رسالة قصيرة إلى الرقم 12345"
LONG_SHARED = ("وأوضح التقرير السنوي الصادر عن الهيئة أن نسبة النمو في القطاع الزراعي بلغت "
               "ثلاثة في المائة مقارنة بالعام السابق وأن الصادرات ارتفعت بشكل ملحوظ في "
               "معظم المناطق الريفية الشمالية")  # 31 words: a sentence, never boilerplate


def article(i: int, source: str, text: str | None, **extra: Any) -> dict[str, Any]:
    """One ARTICLE_SCHEMA row with the required provenance filled."""
    return {"id": f"t{i:031d}", "url": f"https://example.org/{source}/{i}", "source": source,
            "title": extra.pop("title", f"خبر رقم {i}"), "text": text,
            "raw_file": "fixture.json", "raw_record": i, **extra}


def wire_corpus() -> list[dict[str, Any]]:
    """Source "wire" ends 6 of 8 stories with the footer (in spelling variants) and a
    subscription line; source "paper" uses the footer once; both share a long sentence."""
    out = []
    footers = [FOOTER, "//انتهى//", "// انتهـــى //", FOOTER, "//  انتهى //", FOOTER]
    for i, s in enumerate(SENTENCES):
        body = f"{s}\n{LONG_SHARED}" if i < 6 else s
        if i < 6:
            body += f"\n{SUBSCRIBE}\n{footers[i]}"
        out.append(article(i, "wire", body))
    for i, s in enumerate(SENTENCES[:4]):
        body = f"{s}.\n{LONG_SHARED}" + (f"\n{FOOTER}" if i == 0 else "")
        out.append(article(100 + i, "paper", body))
    return out


def write_parts(folder: Path, records: list[dict[str, Any]], per_file: int = 5) -> Path:
    """Write ``records`` as several ARTICLE_SCHEMA parts (to exercise batching)."""
    with io.ParquetSink(folder, ARTICLE_SCHEMA, rows_per_file=per_file) as sink:
        sink.write(rows(ARTICLE_SCHEMA, records))
    return folder


def params(residue: bool = True, **boilerplate: Any) -> dict[str, Any]:
    p = params_defaults()
    p["clean"]["boilerplate"].update(boilerplate)
    p["clean"]["residue"]["enabled"] = residue
    p["clean"]["batch_size"] = 4  # several batches even on tiny fixtures
    return p


def run_clean(tmp_path: Path, records: list[dict[str, Any]], residue: bool = True,
              **boilerplate: Any) -> tuple[StageReport, pl.DataFrame, pl.DataFrame]:
    inp = write_parts(tmp_path / "in", records)
    out, rej = tmp_path / "out", tmp_path / "rejected" / "clean.parquet"
    report = clean.run(inp, out, rej, params(residue, **boilerplate))
    return report, io.read_frame(out), pl.read_parquet(rej)


# ----------------------------------------------------------------- boilerplate module
def test_line_index_counts_distinct_articles_per_source() -> None:
    df = pl.DataFrame({"source": ["a", "a", "a", "b", None],
                       "text": ["x\nfoot", "y\nfoot\nfoot", "y\nfoot\nfoot", "foot", "foot"]})
    index = LineIndex(defaults_for(BoilerplateParams, min_docs=2, min_fraction=0.5,
                                   max_line_words=5))
    index.add(df.slice(0, 2))
    index.add(df.slice(2))  # the third row repeats the second body: counted once
    assert index.articles().rows() == [("", 1), ("a", 2), ("b", 1)]
    table = index.boilerplate()
    key_foot = lines_frame(pl.DataFrame({"source": ["a"], "text": ["foot"]}))["h"][0]
    assert table.select("source", "h", "docs").rows() == [("a", key_foot, 2)]


def test_boilerplate_thresholds() -> None:
    texts = [f"{s}\n{FOOTER}" for s in SENTENCES[:5]]
    df = pl.DataFrame({"source": ["w"] * 5, "text": texts})

    def found(**kw: Any) -> int:
        index = LineIndex(defaults_for(BoilerplateParams, **kw))
        index.add(df)
        return index.boilerplate().height

    assert found(min_docs=5, min_fraction=0.5, max_line_words=10) == 1
    assert found(min_docs=6, min_fraction=0.5, max_line_words=10) == 0  # too few docs
    assert found(min_docs=5, min_fraction=1.01, max_line_words=10) == 0  # too rare
    assert found(min_docs=5, min_fraction=0.5, max_line_words=0) == 0  # too long


def test_remove_lines_positions_and_emptied_text() -> None:
    df = pl.DataFrame({"source": ["w", "w", "w"],
                       "text": [f"رأس\nمتن أول\n{FOOTER}", f"{FOOTER}\nرأس", None]})
    index = LineIndex(defaults_for(BoilerplateParams, min_docs=2, min_fraction=0.5,
                                   max_line_words=5))
    index.add(df.with_columns(pl.col("text").str.replace("متن أول", "متن ثان")))
    texts, removed = remove_lines(df, index.boilerplate())
    assert texts.to_list() == ["متن أول", "", None]
    assert sorted(removed.select("__row", "line", "position").rows()) == [
        (0, FOOTER, "footer"), (0, "رأس", "header"), (1, FOOTER, "whole"), (1, "رأس", "whole")]


# ----------------------------------------------------------------- the stage
def test_clean_removes_per_source_boilerplate(tmp_path: Path) -> None:
    records = wire_corpus()
    # the frequency method alone (the residue patterns would take the footers first)
    report, out, rej = run_clean(tmp_path, records, residue=False, min_docs=5,
                                 min_fraction=0.5)
    assert report.name == "clean"
    assert report.rows_in == report.rows_out == len(records) and rej.height == 0
    assert out["id"].to_list() == [r["id"] for r in records]  # order and ids unchanged
    wire = out.filter(pl.col("source") == "wire")["text"].to_list()
    assert all("انتهى" not in t and SUBSCRIBE not in t for t in wire)
    assert wire[0] == f"{SENTENCES[0]}\n{LONG_SHARED}"  # the long shared sentence stays
    paper = out.filter(pl.col("source") == "paper")["text"].to_list()
    assert paper[0].endswith(FOOTER)  # boilerplate of "wire", not of "paper"
    bp = report.stats["boilerplate"]
    assert bp["lines_removed"] == 12 and bp["articles_with_footer_cut"] == 6
    assert bp["lines_removed_by_position"] == {"footer": 12, "header": 0, "middle": 0,
                                               "whole": 0}
    top = bp["sources"]["wire"]["top"]
    assert [t["line"] for t in top] == [FOOTER, SUBSCRIBE]  # most frequent spelling shown
    assert [t["docs"] for t in top] == [6, 6] and [t["removed"] for t in top] == [6, 6]
    assert bp["sources"]["paper"] == {"articles": 4, "boilerplate_lines": 0,
                                      "lines_removed": 0, "top": []}


def test_clean_normalizes_all_text_columns(tmp_path: Path) -> None:
    records = [article(1, "s", f"ﻻ  تـأخير\u200f\n\n\nفي عل{FA_YEH}", title="&quot;عنوان&quot;",
                       tags=["ﺍﻟﺮﻳﺎﺽ", None], related_titles=[f"الخارج{FA_YEH}ة"])]
    report, out, _ = run_clean(tmp_path, records)
    row = out.row(0, named=True)
    assert row["text"] == "لا تأخير\nفي على"
    assert row["title"] == '"عنوان"'
    assert row["tags"] == ["الرياض", None]
    assert row["related_titles"] == ["الخارجية"]
    assert row["id"] == records[0]["id"]
    norm = report.stats["normalize"]
    assert norm["text"]["presentation_forms_folded"] == 1
    assert norm["text"]["tatweel_removed"] == 1 and norm["text"]["invisible_removed"] == 1
    assert norm["text"]["persian_letters_mapped"] == 1
    assert norm["title"]["entities_unescaped"] == 2
    assert norm["tags"]["presentation_forms_folded"] == 6
    assert norm["related_titles"]["persian_letters_mapped"] == 1


def test_clean_uses_corpus_yeh_evidence(tmp_path: Path) -> None:
    # "المرمي" is the corpus spelling; the built-in list alone would say "المرمى"
    records = [article(i, "s", "سقطت الكرة قرب المرمي الأيمن") for i in range(3)]
    records.append(article(9, "s", f"سدد اللاعب نحو المرم{FA_YEH} بقوة"))
    report, out, _ = run_clean(tmp_path, records)
    assert out["text"][3] == "سدد اللاعب نحو المرمي بقوة"
    assert report.stats["yeh_evidence"] == {"words": 1, "to_alef_maqsura": 0, "to_yeh": 1}


def test_clean_rejects_text_emptied(tmp_path: Path) -> None:
    records = [article(i, "w", f"{s}\n{FOOTER}") for i, s in enumerate(SENTENCES[:5])]
    records += [article(7, "w", FOOTER), article(8, "w", "\u200f\u0640 \u00a0"),
                article(9, "w", None)]
    report, out, rej = run_clean(tmp_path, records, min_docs=5, min_fraction=0.5)
    assert report.rows_in == 8 and report.rows_out == 5
    assert out["id"].to_list() == [r["id"] for r in records[:5]]
    assert out["text"].to_list() == SENTENCES[:5]
    assert dict(report.rejected) == {"clean:empty-after-clean": 3}
    assert rej["id"].to_list() == [records[5]["id"], records[6]["id"], records[7]["id"]]
    assert set(rej["reason"]) == {"clean:empty-after-clean"} and set(rej["stage"]) == {"clean"}
    assert rej["text"][0] == FOOTER  # shown as it was before the line removal
    assert pq.read_schema(tmp_path / "rejected" / "clean.parquet").equals(REJECTED_SCHEMA)
    assert report.rows_out + len(rej) == report.rows_in


def test_clean_is_deterministic_and_json_ready(tmp_path: Path) -> None:
    records = wire_corpus()
    r1, _, _ = run_clean(tmp_path / "a", records, min_docs=5, min_fraction=0.5)
    r2, _, _ = run_clean(tmp_path / "b", records, min_docs=5, min_fraction=0.5)
    assert json.dumps(r1.to_dict(), sort_keys=True) == json.dumps(r2.to_dict(), sort_keys=True)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.parquet")
                   if "in" not in p.parts)
    assert [f.as_posix() for f in files] == ["out/part-00000.parquet", "rejected/clean.parquet"]
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_clean_empty_input(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    report = clean.run(tmp_path / "in", tmp_path / "out", tmp_path / "rej.parquet", params())
    assert report.rows_in == report.rows_out == 0
    assert io.read_frame(tmp_path / "out").height == 0
    assert pl.read_parquet(tmp_path / "rej.parquet").height == 0


# ----------------------------------------------------------------- real corpus
@pytest.mark.slow
def test_saudinewsnet_footers_found_sentences_kept() -> None:
    zips = sorted(SAUDINEWSNET.glob("*.zip"))[-4:]  # WAS (the news agency) is in the last two
    if not zips:
        pytest.skip(f"{SAUDINEWSNET} is absent (SaudiNewsNet is needed for this test)")
    records: list[dict[str, Any]] = []
    for path in zips:
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                records.extend(json.loads(zf.read(name)))
    df = (pl.DataFrame(records).select("source", pl.col("content").alias("text"))
          .with_columns(normalize_expr(pl.col("text"))))
    bp = load_params().clean.boilerplate  # the defaults
    index = LineIndex(bp)
    for batch in df.iter_slices(5000):
        index.add(batch)
    table = index.boilerplate()
    footer_key = lines_frame(pl.DataFrame({"source": ["was"], "text": [FOOTER]}))["h"][0]
    assert table.filter((pl.col("source") == "was") & (pl.col("h") == footer_key)).height == 1

    texts, removed = remove_lines(df, table)
    # subscription lines ("send an SMS to ...") are caught in at least one outlet
    assert removed.filter(pl.col("line").str.contains("(?i)sms")).height > 0
    # nothing long is ever removed, and every removed line recurs in >= min_docs articles
    folded = [fold(line) for line in removed["line"].unique().to_list()]
    assert max(len(f.split()) for f in folded) <= bp.max_line_words
    assert table["docs"].min() >= bp.min_docs
    # ordinary sentences stay: lines of 12+ words that occur in a single article
    lines = lines_frame(df)
    singles = (lines.filter(pl.col("words") >= 12)
               .group_by("source", "h").agg(pl.len().alias("n"), pl.col("line").first())
               .filter(pl.col("n") == 1))
    assert singles.height > 1000
    kept = lines_frame(df.with_columns(texts))
    assert singles.join(kept, on=["source", "h"], how="anti").height == 0
    # the WAS footer is gone from WAS bodies
    was = df.with_columns(texts).filter(pl.col("source") == "was")["text"]
    assert not was.str.contains("// انتهى //", literal=True).any()


@pytest.mark.parametrize("residue", [True, False])
def test_parts_with_the_corpus_decision_merge_to_the_whole_run(tmp_path: Path,
                                                               residue: bool) -> None:
    """clean.run_part on pieces of the input, with the corpus's pass-1 decision, then the
    summed reports and clean.merge_parts: the report and the rows of one clean.run."""
    from akhbar.distributed.shards import _merge_reports

    records = wire_corpus()
    p = params(residue, min_docs=5, min_fraction=0.5)
    p["clean"]["residue"]["samples_per_pattern"] = 1  # the merge must keep the first one
    whole = clean.run(write_parts(tmp_path / "in", records), tmp_path / "out",
                      tmp_path / "rej.parquet", p)
    corpus = clean.first_pass(tmp_path / "in", p)
    assert clean.run(tmp_path / "in", tmp_path / "out2", tmp_path / "rej2.parquet", p,
                     corpus=corpus).to_dict()["stats"] == whole.to_dict()["stats"]
    reports, parts, outs = [], [], []
    for k, (lo, hi) in enumerate([(0, 1), (1, 9), (9, len(records))]):
        inp = write_parts(tmp_path / f"p{k}" / "in", records[lo:hi])
        report, part = clean.run_part(inp, tmp_path / f"p{k}" / "out",
                                      tmp_path / f"p{k}" / "rej.parquet", p, corpus)
        assert report.stats["residue"] == {} and report.stats["yeh_evidence"] == {}
        reports.append(report)
        parts.append(part)
        outs.append(io.read_frame(tmp_path / f"p{k}" / "out"))
    merged = _merge_reports("clean", reports)
    clean.merge_parts(merged.stats, parts, corpus, p)
    assert merged.stats["boilerplate"]["sources"]["wire"]["articles"] == 8
    assert merged.stats["residue"]["samples"]  # frames or repeated lines were cut
    if not residue:  # the frequency method alone cuts the footers
        assert merged.stats["boilerplate"]["sources"]["wire"]["lines_removed"] == 12
    assert json.dumps(merged.stats, sort_keys=True) == json.dumps(whole.stats, sort_keys=True)
    assert (merged.rows_in, merged.rows_out) == (whole.rows_in, whole.rows_out)
    assert pl.concat(outs).equals(io.read_frame(tmp_path / "out"))


def test_spilled_second_pass_equals_normalizing_in_place(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """clean.run spills pass 1's normalized batches with their line hashes and reads them
    back; given pass 1's decision (corpus=...), pass 2 reads the parsed parts and
    normalizes them whole. Same files, byte for byte, and the same report, on rows with
    Persian letters, frames, tatweel at a line start, blank lines and boilerplate; the
    temporary folder is gone afterwards."""
    import tempfile

    records = wire_corpus()
    records += [
        article(200, "wire", f"{SENTENCES[0]}\n\n{SENTENCES[1]}\n{FOOTER}"),
        article(201, "wire", f"عل{FA_YEH} قال\nـــ بداية السطر\n{SUBSCRIBE}",
                title=f"خبر عن عل{FA_YEH}", tags=[f"مستشف{FA_YEH}"]),
        article(202, "paper", "شارك عبر تويتر فيسبوك " + SENTENCES[2] + "\nرابط الخبر "
                "بصحيفة المدينة: عنوان\nكتـــاب جديد"),
        article(203, "paper", None),
    ]
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    p = params(True, min_docs=5, min_fraction=0.5)
    inp = write_parts(tmp_path / "in", records)
    spilled = clean.run(inp, tmp_path / "a" / "out", tmp_path / "a" / "rej.parquet", p)
    assert list(temp.iterdir()) == []
    corpus = clean.first_pass(inp, p)
    direct = clean.run(inp, tmp_path / "b" / "out", tmp_path / "b" / "rej.parquet", p,
                       corpus=corpus)
    assert json.dumps(spilled.to_dict()["stats"], sort_keys=True) == \
        json.dumps(direct.to_dict()["stats"], sort_keys=True)
    assert (spilled.rows_in, spilled.rows_out) == (direct.rows_in, direct.rows_out)
    for name in ("out/part-00000.parquet", "rej.parquet"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    out = io.read_frame(tmp_path / "a" / "out")
    got = dict(zip(out["id"].to_list(), out["text"].to_list(), strict=True))
    assert got[records[-4]["id"]] == f"{SENTENCES[0]}\n{SENTENCES[1]}"  # footer, blank gone
    assert got[records[-3]["id"]].startswith("على قال\n- بداية السطر")
    assert got[records[-2]["id"]] == f"{SENTENCES[2]}\nكتاب جديد"
    assert spilled.stats["normalize"]["text"]["persian_letters_mapped"] >= 1


def test_yeh_evidence_counts_batches_read_before_the_first_farsi_yeh(tmp_path: Path) -> None:
    """Pass 1 counts words only from the first batch holding a Persian letter on; the
    batches before it are counted from the spill at the end: the twin spelling seen
    only in the first batches still decides the word of the last one."""
    records = [article(i, "s", "سقطت الكرة قرب المرمي الأيمن") for i in range(12)]
    records.append(article(99, "s", f"سدد اللاعب نحو المرم{FA_YEH} بقوة"))
    report, out, _ = run_clean(tmp_path / "a", records)  # batches of 4: the last holds ی
    assert out["text"][12] == "سدد اللاعب نحو المرمي بقوة"  # the built-in list says ى
    assert report.stats["yeh_evidence"] == {"words": 1, "to_alef_maqsura": 0, "to_yeh": 1}
    report, _, _ = run_clean(tmp_path / "b", records[:12])  # no Persian letter at all
    assert report.stats["yeh_evidence"] == {"words": 0, "to_alef_maqsura": 0, "to_yeh": 0}
