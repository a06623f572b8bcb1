"""The ``split`` stage: deduplicated articles → ``train``/``validation``/``test`` shards.

``mode: hash`` (default) assigns a row from ``(salt, story_id)`` alone (``story_id`` is
set by the dedup stage, see :mod:`akhbar.stories`; rows without one fall back to
``cluster_id``, then ``id``): sha256 → a uniform number in [0, 1) → the ratio ranges
``[0, train)``, ``[train, train+validation)``, ``[.., 1)``. Being a pure function of the
story, a story (articles sharing ≥ ``split.story_threshold`` of their word 5-grams, copies
included) never straddles two splits. Adding articles moves an existing one only under
the stability rule of :mod:`akhbar.stories` (its story merged with another, or gained an
earlier first article). Changing the salt or the ratios reshuffles.

``mode: temporal`` holds out time instead: each row is dated by ``published``, else
``crawled``, and truncated to ``temporal.period`` (month by default); ``test`` = the latest
period present, ``validation`` = the latest period before it that has rows, ``train`` =
everything older **and every undated row**.

Within a split rows are sorted by ``id`` (then provenance), so the files are the same
bytes whatever the input order. The sort is a bucket sort through temporary files (see
:func:`run`), so memory holds one bucket of ``sort_chunk_rows`` texts, not the corpus.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import polars as pl
import pyarrow as pa

from akhbar import io
from akhbar.params import Params, RawParams, typed
from akhbar.schema import ARTICLE_SCHEMA, SPLITS
from akhbar.stage import StageReport

#: What the split decision and the order within a split read of each row.
PLAN_COLUMNS = ["id", "cluster_id", "story_id", "published", "crawled", "raw_file", "raw_record"]
#: The order of rows within a split (``row``: position in the input, the last tie-break).
ORDER = ["id", "raw_file", "raw_record", "row"]
_BATCH_ROWS = 5_000  # rows read at once while scattering into buckets
_PERIODS = {"day": "1d", "week": "1w", "month": "1mo", "year": "1y"}


def bucket(salt: str, key: str) -> float:
    """A uniform number in [0, 1) from sha256(salt, key): stable across versions."""
    digest = hashlib.sha256(f"{salt}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def hash_split(keys: pl.Series, salt: str, ratios: dict[str, float]) -> pl.Series:
    """Split name of each cluster key by its bucket and the (normalized) ratios."""
    total = sum(float(ratios[s]) for s in SPLITS)
    if total <= 0:
        raise ValueError("split ratios must sum to a positive number")
    cut_train = float(ratios["train"]) / total
    cut_val = cut_train + float(ratios["validation"]) / total
    u = pl.Series("u", [bucket(salt, k) for k in keys.to_list()], dtype=pl.Float64)
    return (pl.select(pl.when(u < cut_train).then(pl.lit("train"))
                      .when(u < cut_val).then(pl.lit("validation"))
                      .otherwise(pl.lit("test")).alias("split")).to_series())


def period_expr(period: str) -> pl.Expr:
    """Each row's period: ``published``, else ``crawled``, truncated to ``period``."""
    every = _PERIODS.get(period)
    if every is None:
        raise ValueError(f"split.temporal.period must be one of {sorted(_PERIODS)}")
    return pl.coalesce("published", "crawled").dt.truncate(every)


def latest_periods(periods: pl.Series) -> pl.Series:
    """The two latest distinct periods of ``periods`` (test, then validation): all that
    the temporal rule needs of the corpus, so it combines across ranges (the latest two of
    the ranges' latest two)."""
    return periods.drop_nulls().unique().sort(descending=True).head(2)


def temporal_split(dated: pl.DataFrame, period: str, held_out: pl.Series | None = None
                   ) -> pl.Series:
    """Split name of each row of ``dated`` (columns ``published``, ``crawled``);
    ``held_out``: the corpus's :func:`latest_periods` (default: those of ``dated``)."""
    periods = dated.select(period_expr(period).alias("p")).to_series()
    present = latest_periods(periods) if held_out is None else held_out
    test = present[0] if len(present) else None
    val = present[1] if len(present) > 1 else None
    return (pl.select(pl.when(periods.is_not_null() & (periods == test)).then(pl.lit("test"))
                      .when(periods.is_not_null() & (periods == val))
                      .then(pl.lit("validation"))
                      .otherwise(pl.lit("train")).alias("split")).to_series())


def assign(rows: pl.DataFrame, params: Params | RawParams,
           held_out: pl.Series | None = None) -> pl.Series:
    """Split name of each row of ``rows`` (the :data:`PLAN_COLUMNS`): in hash mode a pure
    function of the row; in temporal mode of the row and ``held_out`` (the corpus's
    :func:`latest_periods`; default: those of ``rows``)."""
    s = typed(params).split
    if s.mode == "hash":
        keys = rows.select(pl.coalesce("story_id", "cluster_id", "id")).to_series()
        return hash_split(keys, s.salt, s.ratios.model_dump())
    if s.mode == "temporal":
        return temporal_split(rows, s.temporal.period, held_out)
    raise ValueError(f"unknown split.mode {s.mode!r} (hash | temporal)")


def plan(inp: Path, params: Params | RawParams) -> pl.DataFrame:
    """Per input row (in input order): ``split`` and ``rank`` (position in its split)."""
    s = typed(params).split
    parts = list(io.read_batches(inp, batch_size=s.sort_chunk_rows, columns=PLAN_COLUMNS))
    if not parts:
        return pl.DataFrame(schema={"split": pl.String, "rank": pl.Int64})
    rows = pl.concat(parts).with_row_index("row")
    split = assign(rows, params)
    ordered = (rows.with_columns(split)
               .sort(["split", *ORDER], nulls_last=True)
               .with_columns(pl.int_range(pl.len()).over("split").cast(pl.Int64).alias("rank")))
    return ordered.sort("row").select("split", "rank")


class _Bucket:
    """One temporary sort bucket: an Arrow IPC file, uncompressed. Only this stage reads
    it back, at once, so Parquet's encoding and zstd (most of the stage's time when the
    buckets were Parquet) buy nothing here; the published files go through ParquetSink."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: pa.ipc.RecordBatchFileWriter | None = None
        self._schema: pa.Schema | None = None

    def write(self, part: pl.DataFrame) -> None:
        table = part.to_arrow()
        if self._writer is None:
            self._schema = table.schema
            self._writer = pa.ipc.new_file(self.path, table.schema)
        elif not table.schema.equals(self._schema):
            table = table.cast(self._schema)
        self._writer.write_table(table)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()

    def read(self) -> pl.DataFrame:
        with pa.OSFile(str(self.path)) as source:  # read into memory (the file goes)
            return pl.from_arrow(pa.ipc.open_file(source).read_all())  # type: ignore[return-value]


def run(inp: Path, dataset_dir: Path, params: Params | RawParams) -> StageReport:
    """Write ``dataset_dir/data/{split}-NNNNN-of-NNNNN.parquet`` from ``inp``.

    One pass over the input scatters each batch into temporary buckets of at most
    ``sort_chunk_rows`` rows, keyed by (split, rank // sort_chunk_rows); each bucket is then
    sorted alone and appended to its split. Memory holds one batch or one bucket, never
    the corpus, and the input is read once.
    """
    s = typed(params).split
    chunk = s.sort_chunk_rows
    report = StageReport("split")
    decided = plan(Path(inp), params)
    report.rows_in = decided.height
    sizes = {name: decided.filter(pl.col("split") == name).height for name in SPLITS}
    with tempfile.TemporaryDirectory(prefix="akhbar-split-") as tmp:
        buckets: dict[tuple[str, int], _Bucket] = {}
        offset = 0
        for batch in io.read_batches(Path(inp), batch_size=min(chunk, _BATCH_ROWS)):
            dec = decided.slice(offset, batch.height)
            offset += batch.height
            both = pl.concat([batch, dec], how="horizontal").with_columns(
                (pl.col("rank") // chunk).alias("_bucket"))
            for (name, b), part in both.partition_by(["split", "_bucket"],
                                                      as_dict=True).items():
                key = (str(name), int(b))
                if key not in buckets:
                    buckets[key] = _Bucket(Path(tmp) / f"{name}-{b:06d}.arrow")
                buckets[key].write(part.drop("split", "_bucket"))
        for bucket_ in buckets.values():
            bucket_.close()
        for name in SPLITS:
            with io.ParquetSink(Path(dataset_dir) / "data", ARTICLE_SCHEMA,
                                rows_per_file=s.rows_per_file, prefix=name,
                                of_total=True) as out:
                for key in sorted(k for k in buckets if k[0] == name):
                    out.write(buckets[key].read().sort("rank").drop("rank"))
    report.rows_out = sum(sizes.values())
    report.stats = dict(sizes)
    return report.finish()
