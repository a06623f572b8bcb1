"""Aggregator text pages: one article per ``.txt`` file, the whole page as ``body``.

The page is kept verbatim (the ``parse`` stage splits body, tags, "read also" blocks).
"""

from __future__ import annotations

from collections.abc import Iterator

from akhbar.ingest.readers.base import Bad, Blob, Context, Good, too_large


def read(blob: Blob, ctx: Context) -> Iterator[Good | Bad]:
    """One record: the decoded page."""
    if (msg := too_large(blob.size, ctx, "page")) is not None:
        yield Bad(0, "too-large", msg, blob.head(ctx.excerpt_bytes))
        return
    decoded = ctx.decode(blob)
    yield Good(0, decoded.encoding, {"body": decoded.text}, decoded.damaged)
