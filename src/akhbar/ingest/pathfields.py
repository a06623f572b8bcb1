"""Fields from paths: ``ingest.path_pattern``, a regex with named groups matched against
each file's ``raw_file`` label (``re.search``); each group fills the RAW column of its
name where the record itself has no value (a record's own field is more specific than
its folder: a ``<CAT>`` tag wins over the folder it sits in).

Example: ``"/(?P<category>[^/]+)/[A-Z]+[0-9]+\\.txt$"`` takes the category from the
folder of files named ``EG123.txt``.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

#: group name → RAW_SCHEMA column (the params names of presets, and the column names).
GROUPS: dict[str, str] = {
    "category": "category", "section": "category", "source": "source", "title": "title",
    "author": "author", "url": "url", "published": "published_raw",
    "published_raw": "published_raw", "date": "published_raw", "crawled": "crawled_raw",
    "crawled_raw": "crawled_raw",
}


class PathFields:
    """A compiled ``ingest.path_pattern`` (or none) and its match counts."""

    def __init__(self, pattern: str | None) -> None:
        self.regex = re.compile(pattern) if pattern else None
        self.counts: Counter[str] = Counter()
        if self.regex is not None:
            unknown = sorted(set(self.regex.groupindex) - set(GROUPS))
            if unknown:
                raise ValueError(
                    f"ingest.path_pattern: group(s) {unknown} name no column; known: "
                    f"{sorted(GROUPS)} (use an unnamed group (...) for the rest)")
            if not self.regex.groupindex:
                raise ValueError("ingest.path_pattern has no named group (?P<column>...)")

    def fields(self, label: str) -> dict[str, str]:
        """The columns ``label`` fills (empty when there is no pattern or no match)."""
        if self.regex is None:
            return {}
        match = self.regex.search(label)
        self.counts["matched" if match else "unmatched"] += 1
        if match is None:
            return {}
        return {GROUPS[k]: v.strip() for k, v in match.groupdict().items()
                if v and v.strip()}

    @staticmethod
    def fill(values: dict[str, Any], extra: dict[str, str]) -> dict[str, Any]:
        """``values`` (one record) with the empty columns filled from ``extra``."""
        if not extra:
            return values
        return {**values, **{k: v for k, v in extra.items() if not values.get(k)}}

    @staticmethod
    def fill_columns(columns: dict[str, list[Any]], n: int, extra: dict[str, str]
                     ) -> dict[str, list[Any]]:
        """The same for a batch of ``n`` records held as columns."""
        if not extra:
            return columns
        out = dict(columns)
        for column, value in extra.items():
            current = out.get(column) or [None] * n
            out[column] = [v if v else value for v in current]
        return out
