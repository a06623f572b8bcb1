"""Aggregator text pages: kept for imports; the text reader (:mod:`.plaintext`) reads
them now, with the header-line conventions of one-article files."""

from __future__ import annotations

from collections.abc import Iterator

from akhbar.ingest.readers.base import Bad, Blob, Context, Good
from akhbar.ingest.readers.plaintext import read as _read


def read(blob: Blob, ctx: Context) -> Iterator[Good | Bad]:
    """One record: the decoded page (header lines, if any, as columns)."""
    return _read(blob, ctx, kind="aggregator")
