"""The one streaming loop: sinks, batching, counts and the report belong to the loop."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from akhbar import io, streaming
from akhbar.schema import ARTICLE_SCHEMA
from akhbar.stage import rejected_frame


def _write(folder: Path, texts: list[str]) -> None:
    rows = [{"id": f"a{i}", "text": t, "source": "s", "raw_file": "f.jsonl", "raw_record": i}
            for i, t in enumerate(texts)]
    with io.ParquetSink(folder, ARTICLE_SCHEMA, rows_per_file=4) as sink:
        sink.write(rows)


TEXTS = ["خبر قصير", "نص", "أعلنت الوزارة خطة جديدة اليوم", "ب", "قال المتحدث إن الاجتماع انتهى",
         "ج", "افتتحت البلدية حديقة عامة في المدينة"]


def _short(batch: pl.DataFrame, state: dict[str, int]) -> tuple[pl.DataFrame, pl.DataFrame]:
    state["batches"] += 1
    short = pl.col("text").str.len_chars() < state["min_chars"]
    return batch.filter(~short), rejected_frame(batch.filter(short), "toy", "toy:short")


def test_loop_routes_every_row_once_and_reports(tmp_path: Path) -> None:
    _write(tmp_path / "in", TEXTS)
    seen: list[Path] = []

    def prepare(inp: Path) -> dict[str, int]:
        seen.append(inp)  # the corpus-level pass sees the stage's input, once
        return {"batches": 0, "min_chars": 3}

    passes = streaming.Passes(_short, prepare, lambda state: {"batches": state["batches"]})
    report = streaming.run("toy", tmp_path / "in", tmp_path / "out", tmp_path / "rej.parquet",
                           passes, batch_size=2, rows_per_file=2)
    kept = io.read_frame(tmp_path / "out")
    rejected = io.read_frame(tmp_path / "rej.parquet")
    assert seen == [tmp_path / "in"]
    assert report.name == "toy" and report.rows_in == len(TEXTS)
    assert report.rows_out == kept.height == 4
    assert report.rejected == {"toy:short": 3} and rejected.height == 3
    assert sorted(kept["id"].to_list() + rejected["id"].to_list()) == sorted(
        f"a{i}" for i in range(len(TEXTS)))
    assert kept["id"].to_list() == ["a0", "a2", "a4", "a6"]  # input order
    assert report.stats == {"batches": 4}  # 7 rows in batches of 2 (per input file)
    assert len(list((tmp_path / "out").glob("part-*.parquet"))) == 2  # rows_per_file


def test_loop_without_prepare_on_empty_input_writes_empty_tables(tmp_path: Path) -> None:
    _write(tmp_path / "in", [])

    def never(batch: pl.DataFrame, state: None) -> tuple[pl.DataFrame, pl.DataFrame]:
        raise AssertionError("no batch expected")

    report = streaming.run("toy", tmp_path / "in", tmp_path / "out", tmp_path / "rej.parquet",
                           streaming.Passes(never), batch_size=5, rows_per_file=10)
    assert (report.rows_in, report.rows_out, dict(report.rejected), report.stats) == (0, 0, {}, {})
    assert io.read_frame(tmp_path / "out").height == 0
    assert io.read_frame(tmp_path / "rej.parquet").height == 0


def test_a_failed_write_in_the_writer_thread_fails_the_run(tmp_path: Path) -> None:
    """Batches are written in a writer thread; its error must not be lost."""
    _write(tmp_path / "in", TEXTS)
    calls: list[int] = []

    def bad(batch: pl.DataFrame, state: None) -> tuple[pl.DataFrame, pl.DataFrame]:
        calls.append(batch.height)
        return batch.drop("id"), rejected_frame(batch.head(0), "toy", "toy:x")  # no id

    with pytest.raises(Exception, match="id"):
        streaming.run("toy", tmp_path / "in", tmp_path / "out", tmp_path / "r.parquet",
                      streaming.Passes(bad), batch_size=2, rows_per_file=10)
    assert calls and len(calls) < 4  # it stopped at the failed batch, not at the end
