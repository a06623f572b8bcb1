"""Field mappings for JSON / JSONL / CSV dumps: which key of a record is which column.

A preset is a named mapping plus the key set that identifies it, so common dumps load
with no mapping written by the user (``ingest.preset: auto``). ``ingest.fields`` in
params.yaml overrides single fields on top of the chosen preset.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from itertools import islice
from typing import Any

import orjson

_PLAIN = frozenset({str, type(None)})
#: Called with each file's keys and resolved mapping (``akhbar inspect`` shows them).
OBSERVER: ContextVar[Callable[[set[str], Mapping_], None] | None] = ContextVar(
    "akhbar_preset_observer", default=None)
SAMPLE_RECORDS = 100  # records whose keys decide a file's mapping

#: params key → RAW_SCHEMA column.
COLUMNS: dict[str, str] = {
    "body": "body", "title": "title", "url": "url", "published": "published_raw",
    "crawled": "crawled_raw", "source": "source", "author": "author", "tags": "tags",
    "category": "category",
}

_GENERIC: dict[str, tuple[str, ...]] = {
    "body": ("text", "content", "body", "article", "article_body", "articleBody", "maintext",
             "story", "full_text"),
    "title": ("title", "headline", "name"),
    "url": ("url", "link", "canonical_url", "canonical", "href", "uri"),
    "published": ("published", "date_published", "datePublished", "publish_date",
                  "published_at", "pubDate", "date_publish", "pub_date", "date", "time"),
    "crawled": ("crawled", "crawled_at", "date_crawled", "crawl_date", "date_download",
                "fetched_at", "scraped_at", "date_extracted", "retrieved"),
    "source": ("source", "site", "site_name", "sitename", "source_domain", "domain",
               "publisher", "outlet"),
    "author": ("author", "authors", "byline", "writer"),
    "tags": ("tags", "keywords", "categories", "topics"),
    # the section a site filed the article under (one value; a list of them is tags)
    "category": ("category", "section", "section_name", "sectionName", "cat", "topic"),
}


@dataclass(frozen=True)
class Preset:
    """A named mapping and the keys whose presence identifies it."""

    name: str
    signature: frozenset[str]
    fields: Mapping[str, tuple[str, ...]]


PRESETS: dict[str, Preset] = {
    # SaudiNewsNet: `date_extracted` is the crawl time, never the publish date.
    "saudinewsnet": Preset("saudinewsnet", frozenset(
        {"source", "url", "date_extracted", "title", "author", "content"}), {
        "body": ("content",), "title": ("title",), "url": ("url",), "published": (),
        "crawled": ("date_extracted",), "source": ("source",), "author": ("author",),
        "tags": ()}),
    # news-please / CC-NEWS extractions.
    "news-please": Preset("news-please", frozenset({"maintext", "date_download"}), {
        "body": ("maintext", "text"), "title": ("title",), "url": ("url",),
        "published": ("date_publish",), "crawled": ("date_download",),
        "source": ("source_domain",), "author": ("authors",), "tags": ()}),
    # Anything with familiar key names (text/content/body, title/headline, url/link, ...).
    "generic": Preset("generic", frozenset(), _GENERIC),
}


@dataclass(frozen=True)
class Mapping_:
    """The resolved mapping of one file: column → keys tried in order."""

    preset: str
    pairs: tuple[tuple[str, tuple[str, ...]], ...]

    def extract(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The RAW columns of one record (first non-empty key wins)."""
        return {column: _coerce(column, _first(record, keys)) for column, keys in self.pairs}


    def columns(self, records: list[dict[str, Any]]) -> dict[str, list[Any]]:
        """The RAW columns of many records at once (same result as :meth:`extract`
        per record, one list comprehension per column instead of a call per record)."""
        out: dict[str, list[Any]] = {}
        n = len(records)
        for column, keys in self.pairs:
            if not keys:
                out[column] = [None] * n
                continue
            if len(keys) == 1:
                key = keys[0]
                values = [r.get(key) for r in records]
            else:
                values = [_first(r, keys) for r in records]
            if column != "tags" and set(map(type, values)) <= _PLAIN:  # C-level scans
                out[column] = [v or None for v in values] if "" in values else values
            else:
                out[column] = [_coerce(column, None if v == "" else v) for v in values]
        return out


def _first(record: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = record.get(key)
        if value is not None and value != "":
            return value
    return None


def sample_mapping(records: list[Any], preset: str = "auto",
                   fields: Mapping[str, Any] | None = None) -> Mapping_:
    """The mapping of a file, resolved on the keys of its first ``SAMPLE_RECORDS``
    object records."""
    keys: set[str] = set()
    for record in islice((r for r in records if isinstance(r, dict)), SAMPLE_RECORDS):
        keys.update(record)
    return resolve(keys, preset, fields)


def resolve(keys: Iterable[str], preset: str = "auto",
            fields: Mapping[str, Any] | None = None) -> Mapping_:
    """Pick the preset for a file whose records have ``keys``; the user's ``fields``
    keys are tried before the preset's. Key names match case-insensitively."""
    keyset = set(keys)
    lower = {k.lower(): k for k in sorted(keyset, reverse=True)}
    if preset == "none":
        chosen = Preset("none", frozenset(), {})
    elif preset != "auto":
        if preset not in PRESETS:
            raise ValueError(f"unknown ingest preset {preset!r}; known: {sorted(PRESETS)}")
        chosen = PRESETS[preset]
    else:
        chosen = next((p for p in PRESETS.values()
                       if p.signature and p.signature <= keyset), PRESETS["generic"])
    pairs = []
    for name, column in COLUMNS.items():
        override = (fields or {}).get(name) or ()
        # the user's keys first, then the preset's (a folder may mix dumps)
        wanted = ((override,) if isinstance(override, str) else tuple(override)) \
            + tuple(chosen.fields.get(name, ()))
        actual = tuple(dict.fromkeys(k if k in keyset else lower.get(k.lower(), k)
                                     for k in wanted))
        pairs.append((column, actual))
    mapping = Mapping_(chosen.name, tuple(pairs))
    if (observe := OBSERVER.get()) is not None:
        observe(keyset, mapping)
    return mapping


def _coerce(column: str, value: Any) -> Any:
    """Strings for text columns, a list of strings for ``tags``."""
    if value is None:
        return None
    if column == "tags":
        if isinstance(value, str):
            parts = value.replace("،", ",").replace(";", ",").split(",")
            tags = [p.strip() for p in parts if p.strip()]
        elif isinstance(value, list | tuple):
            tags = [_text(v) for v in value if v is not None and _text(v).strip()]
        else:
            tags = [_text(value)]
        return tags or None
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value if v is not None) or None
    return _text(value)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    return str(value)
