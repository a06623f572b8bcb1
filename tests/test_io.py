"""The schema contract and the Parquet writer every stage uses."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from akhbar import io
from akhbar.schema import ARTICLE_SCHEMA, REJECTED_SCHEMA, conform


def articles(n: int) -> pl.DataFrame:
    return pl.DataFrame({
        "id": [f"t{i:031d}" for i in range(n)],
        "text": [f"خبر رقم {i} عن افتتاح مكتبة عامة في الحي." for i in range(n)],
        "tags": [["ثقافة", "مكتبات"]] * n,
        "raw_file": ["sample/a.json"] * n,
        "raw_record": list(range(n)),
    })


def test_conform_gives_the_exact_contract_from_polars() -> None:
    table = conform(articles(3), ARTICLE_SCHEMA)
    assert table.schema.equals(ARTICLE_SCHEMA)
    assert table.schema.field("text").type == pa.string()  # never large_string/string_view
    assert table.schema.field("tags").type == pa.list_(pa.string())
    assert table.column("published").null_count == 3  # not yet computed → null


def test_conform_refuses_unknown_columns_and_missing_required_values() -> None:
    with pytest.raises(ValueError, match="not in the schema"):
        conform(articles(2).with_columns(pl.lit(1).alias("typo_column")), ARTICLE_SCHEMA)
    with pytest.raises(ValueError, match="raw_file"):
        conform(articles(2).with_columns(pl.lit(None, pl.String).alias("raw_file")),
                ARTICLE_SCHEMA)
    with pytest.raises(ValueError, match="reason"):
        conform(articles(1).with_columns(pl.lit("x").alias("stage")), REJECTED_SCHEMA)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("batch", [999, 7_777, 25_000])
def test_sink_bytes_do_not_depend_on_write_batching(tmp_path: Path, batch: int) -> None:
    rows = articles(25_000)
    whole = io.write_table(tmp_path / "whole.parquet", rows, ARTICLE_SCHEMA)
    with io.ParquetSink(tmp_path / "pieces.parquet", ARTICLE_SCHEMA) as sink:
        for start in range(0, rows.height, batch):
            sink.write(rows.slice(start, batch))
    assert _digest(whole) == _digest(tmp_path / "pieces.parquet")
    groups = pq.ParquetFile(whole).metadata
    assert [groups.row_group(i).num_rows for i in range(groups.num_row_groups)] == [
        io.ROW_GROUP_SIZE, io.ROW_GROUP_SIZE, 25_000 - 2 * io.ROW_GROUP_SIZE]


def test_sharded_sink_names_files_of_total_and_keeps_every_row(tmp_path: Path) -> None:
    with io.ParquetSink(tmp_path / "data", ARTICLE_SCHEMA, rows_per_file=400,
                        prefix="train", of_total=True) as sink:
        for start in range(0, 1000, 300):
            sink.write(articles(1000).slice(start, 300))
    names = sorted(p.name for p in (tmp_path / "data").glob("*.parquet"))
    assert names == [f"train-0000{i}-of-00003.parquet" for i in range(3)]
    back = io.read_frame(tmp_path / "data")
    assert back.get_column("raw_record").to_list() == list(range(1000))


def test_empty_sink_still_writes_the_schema(tmp_path: Path) -> None:
    with io.ParquetSink(tmp_path / "e", ARTICLE_SCHEMA, rows_per_file=10, prefix="test",
                        of_total=True):
        pass
    (only,) = (tmp_path / "e").glob("*.parquet")
    assert only.name == "test-00000-of-00001.parquet"
    assert pq.read_schema(only).equals(ARTICLE_SCHEMA)
