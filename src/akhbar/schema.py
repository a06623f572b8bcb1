"""The one schema contract of the project, defined once in pyarrow.

Every Parquet file the pipeline writes goes through :func:`conform`, so a column can
never silently change type (polars likes ``large_string``/``string_view``; ``datasets``
and the Hub expect plain ``string``), appear out of order or disappear.

Three tables exist:

* ``RAW_SCHEMA`` – what ``ingest`` emits: one row per raw record, fields as found.
* ``ARTICLE_SCHEMA`` – one row per article, from ``parse`` to the published splits.
  Columns not yet computed by an earlier stage are null.
* ``REJECTED_SCHEMA`` – every record that did not make it, with why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

TS = pa.timestamp("us", tz="UTC")
STR_LIST = pa.list_(pa.string())

#: Provenance columns, shared by every table: where the row came from.
PROVENANCE_FIELDS: list[pa.Field] = [
    pa.field("raw_file", pa.string(), nullable=False),  # path relative to the raw root
    pa.field("raw_record", pa.int64(), nullable=False),  # index of the record in that file
    pa.field("raw_sha256", pa.string()),  # sha256 of the raw file's bytes
    pa.field("raw_encoding", pa.string()),  # decision of the charset detector
    pa.field("raw_format", pa.string()),  # aggregator | json | jsonl | csv | html | warc | trec
]

RAW_SCHEMA = pa.schema(
    [
        *PROVENANCE_FIELDS,
        pa.field("url", pa.string()),
        pa.field("source", pa.string()),
        pa.field("title", pa.string()),
        pa.field("author", pa.string()),
        pa.field("published_raw", pa.string()),  # date as written; parsed by `parse`
        pa.field("crawled_raw", pa.string()),
        pa.field("tags", STR_LIST),
        pa.field("category", pa.string()),  # section/category as given by the record or its path
        pa.field("body", pa.string()),  # whole page (aggregator) or article body
    ]
)

#: Quality signals computed by ``akhbar.quality`` (score first, decide in one place).
QUALITY_FIELDS: list[pa.Field] = [
    pa.field("n_chars", pa.int64()),
    pa.field("n_words", pa.int64()),
    pa.field("mean_word_length", pa.float64()),
    pa.field("arabic_ratio", pa.float64()),  # Arabic letters / all letters
    pa.field("non_arabic_script_ratio", pa.float64()),  # Latin/other letters / all letters
    pa.field("punct_line_ratio", pa.float64()),  # lines ending in . ! ? ؟ ، ؛ …
    pa.field("dup_line_frac", pa.float64()),
    pa.field("top_ngram_frac", pa.float64()),
    pa.field("damaged_ratio", pa.float64()),  # letters lost to "?"/U+FFFD (lossy conversion)
    pa.field("lang", pa.string()),
    pa.field("lang_score", pa.float64()),
]

ARTICLE_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("url", pa.string()),
        pa.field("source", pa.string()),
        pa.field("title", pa.string()),
        pa.field("text", pa.string()),
        pa.field("published", TS),
        pa.field("published_from", pa.string()),  # field | dateline | url | path | null
        pa.field("crawled", TS),
        pa.field("author", pa.string()),
        pa.field("tags", STR_LIST),
        pa.field("category", pa.string()),  # section/category (record field or path pattern)
        pa.field("related_titles", STR_LIST),
        pa.field("dateline", pa.string()),
        pa.field("host_id", pa.string()),  # set on a "read also" article cut from a host page
        *PROVENANCE_FIELDS,
        *QUALITY_FIELDS,
        pa.field("cluster_id", pa.string()),  # near-duplicate cluster key (kept article's id)
        pa.field("story_id", pa.string()),  # story cluster (lower similarity); one split each
    ]
)

REJECTED_SCHEMA = pa.schema(
    [
        *ARTICLE_SCHEMA,
        pa.field("stage", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),  # first reason, e.g. quality:too-short
        pa.field("reasons", STR_LIST),  # every reason that fired
        pa.field("detail", pa.string()),  # human-readable message naming what went wrong
        pa.field("duplicate_of", pa.string()),
        pa.field("raw_excerpt", pa.string()),  # first 200 bytes of the raw record
    ]
).with_metadata(None)
# ids in rejected may be missing for raw records that never became articles
REJECTED_SCHEMA = REJECTED_SCHEMA.set(
    REJECTED_SCHEMA.get_field_index("id"), pa.field("id", pa.string())
)

SPLITS = ("train", "validation", "test")

#: List columns of article tables (ARTICLE/REJECTED) where "none" is an empty list, never
#: null: a reader iterates a row's tags without a null check and ``datasets`` shows ``[]``.
#: RAW_SCHEMA keeps null (the raw record had no such field: recorded as found).
EMPTY_LIST_COLUMNS = frozenset({"tags", "related_titles", "reasons"})

#: What each published column holds: the card's Data Fields table is generated from this
#: one place (``tests/test_card.py`` checks that every column of the published schemas has
#: an entry). Say what a reader may rely on, including when the value is null.
DESCRIPTIONS: dict[str, str] = {
    "id": "Stable article id: hash of the canonical URL, or of the normalized text when "
          "there is no URL (null in `rejected` for records that never became articles).",
    "url": "Canonical URL of the article as given by the raw record; null when unknown.",
    "source": "Outlet or site the article came from (record field, aggregator page or "
              "preset); null when unknown.",
    "title": "Headline, cleaned like the text; null when the record had none.",
    "text": "Article body: cleaned, normalized Arabic text; paragraphs separated by "
            "newlines; boilerplate lines of its source removed.",
    "published": "Publication time (UTC). Never the crawl time; null when no date could be "
                 "recovered. See `published_from`.",
    "published_from": "Where `published` came from: `field` (the record's date field), "
                      "`dateline` (a dateline in the body), `url` (a date in the URL), "
                      "`path` (a date in the raw file path) or null (undated).",
    "crawled": "Time the raw page was fetched (UTC), as given by the raw record; null when "
               "unknown.",
    "author": "Person(s) credited as author; null when none was given.",
    "tags": "Keywords/tags given by the source (empty list when none).",
    "category": "Section or category of the article (from a record field or a path "
                "pattern); null when unknown.",
    "related_titles": "Titles of the \"read also\" articles linked from this one (empty "
                      "list when none).",
    "dateline": "Place/agency dateline cut from the start of the body (e.g. `الرياض - واس`);"
                " null when none.",
    "host_id": "For a \"read also\" article cut out of another page: the id of that host "
               "article; null otherwise.",
    "raw_file": "Raw file the record came from, relative to the raw path given to ingest.",
    "raw_record": "Index of the record inside `raw_file` (0-based).",
    "raw_sha256": "SHA-256 of the raw file's bytes (ties the row to its exact input).",
    "raw_encoding": "Character encoding detected for the raw file (e.g. utf-8, "
                    "windows-1256).",
    "raw_format": "Reader that parsed the record: aggregator, json, jsonl, csv, html, warc "
                  "or trec.",
    "n_chars": "Characters in `text`.",
    "n_words": "Words in `text` (whitespace tokens holding a letter or digit).",
    "mean_word_length": "Mean characters per word of `text`.",
    "arabic_ratio": "Arabic letters / all letters of `text`.",
    "non_arabic_script_ratio": "Letters of other scripts (Latin, ...) / all letters.",
    "punct_line_ratio": "Share of lines ending in sentence punctuation (. ! ? ، ؛ ؟ … »).",
    "dup_line_frac": "Share of lines that repeat an earlier line of the same text.",
    "top_ngram_frac": "Share of characters covered by the most repeated word 2-gram.",
    "damaged_ratio": "Share of letters lost to an earlier lossy conversion ('?' runs inside "
                     "words, U+FFFD), over letters plus damage.",
    "lang": "Language label of the text's start (py3langid; `ar`, `arz`, `ary`, ...).",
    "lang_score": "Probability of `lang` given by the language identifier.",
    "cluster_id": "Near-duplicate cluster: the id of the article kept for the cluster.",
    "story_id": "Story cluster (texts rewritten from one story, at a lower similarity than "
                "deduplication); a story lies in one split only. Null when not computed.",
    "stage": "(rejected) Stage that rejected the record.",
    "reason": "(rejected) First reason, `<stage>:<why>`, e.g. `quality:too-short`.",
    "reasons": "(rejected) Every reason that fired.",
    "detail": "(rejected) Human-readable message naming what went wrong.",
    "duplicate_of": "(rejected) For a duplicate: the id of the article kept instead.",
    "raw_excerpt": "(rejected) First bytes of the raw record, for records that never became "
                   "articles.",
}


def _plain(type_: pa.DataType) -> pa.DataType:
    """Map polars' wide/view string types to the plain ones of the contract."""
    if pa.types.is_large_string(type_) or pa.types.is_string_view(type_):
        return pa.string()
    if pa.types.is_large_list(type_) or pa.types.is_list_view(type_):
        return pa.list_(_plain(type_.value_type))
    return type_


# Why not ``schema.empty_table()`` / ``pa.scalar([])``: both make pyarrow import pandas
# (about a CPU second per process; no stage of the main process needs pandas).
def _empty(schema: pa.Schema) -> pa.Table:
    """A table of no rows with exactly ``schema``."""
    return pa.Table.from_arrays([pa.nulls(0, f.type) for f in schema], schema=schema)


def _empty_list(type_: pa.DataType) -> pa.Scalar:
    """The empty list of list type ``type_``: offsets 0, 0 over no values (16 bytes also
    fit 64-bit offsets)."""
    return pa.Array.from_buffers(type_, 1, [None, pa.py_buffer(bytes(16))],
                                 children=[pa.nulls(0, type_.value_type)])[0]


def conform(data: Any, schema: pa.Schema) -> pa.Table:
    """Return ``data`` as a ``pa.Table`` with exactly ``schema``'s columns, order and types.

    Accepts a polars DataFrame, a pyarrow Table/RecordBatch or a list of dicts. Missing
    nullable columns are filled with nulls; unknown columns are an error (a typo must not
    vanish silently); a null in a non-nullable column is an error.
    """
    if isinstance(data, pa.Table):
        table = data
    elif isinstance(data, pa.RecordBatch):
        table = pa.Table.from_batches([data])
    elif isinstance(data, list):
        table = pa.Table.from_pylist(data, schema=schema) if data else _empty(schema)
    else:  # polars
        table = data.to_arrow()
    extra = [n for n in table.column_names if n not in schema.names]
    if extra:
        raise ValueError(f"columns not in the schema contract: {extra}")
    columns = []
    for field in schema:
        if field.name in table.column_names:
            col = table.column(field.name)
            if col.type != field.type:
                col = col.cast(_plain(col.type)).cast(field.type)
            if not field.nullable and col.null_count:
                raise ValueError(f"column {field.name!r} has {col.null_count} null(s)")
        else:
            if not field.nullable:
                raise ValueError(f"required column {field.name!r} is missing")
            col = pa.nulls(table.num_rows, field.type)
        if field.name in EMPTY_LIST_COLUMNS and col.null_count and "text" in schema.names:
            col = pc.if_else(pc.is_null(col), _empty_list(field.type), col)
        columns.append(col)
    return pa.Table.from_arrays(columns, schema=schema)


def rows(schema: pa.Schema, records: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Build a conformed table from Python dicts (used by readers and tests)."""
    return conform(pa.Table.from_pylist(list(records), schema=schema), schema)


def polars_schema(schema: pa.Schema) -> dict[str, Any]:
    """The polars schema matching a contract schema, for empty frames.

    Field by field from empty arrays: ``schema.empty_table()`` would import pandas (about
    a CPU second per process) to read the schema's pandas metadata."""
    import polars as pl

    return {f.name: pl.from_arrow(pa.nulls(0, f.type)).dtype for f in schema}  # type: ignore[union-attr]
