"""Typed parameter models: one pydantic model per ``params.yaml`` section.

Why: a misspelt key (``min_wrods``) or section (``qualty``) used to be merged in and
ignored, and a wrong type (``"thirty"``) failed four stages later inside polars. Every
model forbids unknown keys and is strict about types (no ``"7"`` → ``7``), so
:func:`akhbar.params.load` refuses a bad file before any stage runs.

Defaults live in ONE place, the packaged ``params.yaml``: the threshold fields here have
no default, so a key missing from ``params.yaml`` is an error of the package itself
(``tests/test_params.py`` checks the file against these models). Only the ``card``
section has defaults, and they are ``None``/empty: "not stated" is the only honest
default for a licence or a curator.

To add a key: write it in ``params.yaml`` (with a comment saying why the value), then add
``name: type`` to the section's model below. A new section: a new model plus a field on
:class:`Params`. Free-form mappings (``ingest.formats``, ``ingest.fields``) are
``dict[str, Any]``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Section(BaseModel):
    """Base of every section: unknown keys are an error, types are checked strictly
    (an int is accepted for a float, nothing else is converted)."""

    model_config = ConfigDict(extra="forbid", strict=True)


# --------------------------------------------------------------------------- raw, ingest


class Raw(Section):
    paths: list[str]


class Encoding(Section):
    max_control_ratio: float
    utf8_max_invalid_ratio: float
    cp1256_max_utf8_lead_ratio: float
    cp1256_min_arabic_ratio: float
    max_glued_latin_ratio: float
    max_ta_za_ratio: float


class Archive(Section):
    max_ratio: float
    max_total_bytes: int
    max_member_bytes: int
    ratio_min_bytes: int
    max_depth: int


class Text(Section):
    """One-article-per-file text conventions (akhbar.ingest.readers.plaintext)."""

    max_title_words: int
    max_title_chars: int
    max_header_lines: int
    http_date: Literal["crawled", "published"]
    landing_min_lines: int
    landing_short_share: float


class Ingest(Section):
    batch_size: int
    batch_bytes: int
    rows_per_file: int
    formats: dict[str, Any]
    fields: dict[str, Any]
    path_pattern: str | None
    follow_symlinks: bool
    text: Text
    preset: str
    excerpt_bytes: int
    max_record_bytes: int
    max_file_bytes: int
    stream_bytes: int
    encoding: Encoding
    archive: Archive


# --------------------------------------------------------------------------- parse, clean


class SiteSuffix(Section):
    min_titles: int
    min_share: float
    max_words: int


class Published(Section):
    min_year: int
    max_year: int


class Parse(Section):
    min_body_chars: int
    batch_size: int
    rows_per_file: int
    max_tag_words: int
    max_keyword_words: int
    known_tags: list[str]
    site_suffix: SiteSuffix
    published: Published


class Boilerplate(Section):
    min_docs: int
    min_fraction: float
    max_line_words: int
    report_top: int


class Residue(Section):
    enabled: bool
    max_tag_words: int
    samples_per_pattern: int
    max_samples: int


class Clean(Section):
    boilerplate: Boilerplate
    residue: Residue
    persian_yeh_min_evidence: int
    min_text_chars: int
    batch_size: int
    rows_per_file: int


# --------------------------------------------------------------------------- quality, dedup


class Quality(Section):
    min_words: int
    max_words: int
    min_mean_word_length: float
    max_mean_word_length: float
    min_arabic_ratio: float
    max_dup_line_frac: float
    max_top_ngram_frac: float
    min_punct_line_ratio: float
    max_damaged_ratio: float
    languages: list[str]
    min_lang_score: float
    lang_prefix_chars: int
    batch_size: int
    rows_per_file: int


class Dedup(Section):
    shingle_size: int
    num_perm: int
    bands: int
    threshold: float
    seed: int
    batch_size: int
    rows_per_file: int


# --------------------------------------------------------------------------- split, validate


class Ratios(Section):
    train: float
    validation: float
    test: float


class Temporal(Section):
    period: Literal["month", "week", "day", "year"]


class Split(Section):
    mode: Literal["hash", "temporal"]
    story_threshold: float
    story_bands: int
    story_exact_margin: float
    salt: str
    ratios: Ratios
    temporal: Temporal
    rows_per_file: int
    sort_chunk_rows: int


class Build(Section):
    """No-silent-collapse floors (akhbar.floors)."""

    min_kept_share: float
    min_coverage: dict[Literal["url", "source", "title", "published", "author", "category"],
                       float]
    min_format_rows: int


class Executor(Section):
    """Where stages run (akhbar.distributed.executor); not tracked by DVC."""

    kind: Literal["local", "dask"]
    scheduler: str
    workers: int
    partitions: int
    shard_batches: int
    files_per_shard: int


class Validate(Section):
    min_text_chars: int
    max_text_chars: int
    date_min: str
    date_max: str
    batch_size: int
    data_docs: bool
    boilerplate_line_markers: list[str]
    boilerplate_markers: list[str]


# --------------------------------------------------------------------------- card


class Plots(Section):
    width: float
    height: float
    dpi: int
    bins: int
    top_sources: int


class Author(Section):
    """A CFF person or entity (``name`` for an entity, else given/family names)."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    name: str | None = None
    given_names: str | None = Field(None, alias="given-names")
    family_names: str | None = Field(None, alias="family-names")
    email: str | None = None
    affiliation: str | None = None
    orcid: str | None = None


class Card(Section):
    """What the build cannot know about the data. ``None`` prints as "not stated"."""

    pretty_name: str | None = None
    description: str | None = None
    license: str | None = None          # a Hub licence id, e.g. cc-by-4.0; None → unknown
    version: str | None = None          # the last release (written by akhbar.release)
    date: str | dt.date | None = None   # its date
    fingerprint: str | None = None      # the content fingerprint of that release
    authors: list[Author] = []          # curators
    contact: str | None = None
    funding: str | None = None
    collection: str | None = None       # how the raw articles were collected, by whom
    rights: str | None = None           # who holds the rights to the texts
    recommendations: str | None = None  # extra advice for users, added to the generated one
    homepage: str | None = None
    repository: str | None = None
    hub_repo: str | None = None         # org/name on the Hub (loading snippet, URL)
    citation_key: str | None = None
    keywords: list[str] = []
    language: list[str] = []            # Hub language codes; [] → the quality.languages family
    multilinguality: str | None = None
    source_datasets: list[str] = []
    annotations_creators: list[str] = []
    language_creators: list[str] = []
    task_categories: list[str] = []
    task_ids: list[str] = []
    tags: list[str] = []
    template: str | None = None         # a custom Jinja template for the card body
    plots: Plots


# --------------------------------------------------------------------------- all


class Params(Section):
    """The whole file. A section name not listed here is an error."""

    raw: Raw
    ingest: Ingest
    parse: Parse
    clean: Clean
    quality: Quality
    dedup: Dedup
    split: Split
    build: Build
    executor: Executor
    validate_: Validate = Field(alias="validate")
    card: Card

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

