"""HTML pages through trafilatura: main text plus metadata (canonical URL, site name,
publish date, author, tags). No network: trafilatura only parses the given bytes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from akhbar.ingest.readers.base import Bad, Blob, Context, Good, too_large

logging.getLogger("trafilatura").setLevel(logging.ERROR)
logging.getLogger("htmldate").setLevel(logging.ERROR)

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_PUBLISHED_XPATH = (
    "//head/meta[@property='article:published_time' or @name='article:published_time'"
    " or @property='og:published_time' or @itemprop='datePublished'"
    " or @name='pubdate' or @name='publishdate' or @name='publish-date'"
    " or @name='DC.date.issued' or @name='dcterms.created']/@content")
_DATE_PARAMS = {"extensive_search": False, "original_date": True,
                "outputformat": "%Y-%m-%dT%H:%M:%S%z"}


def declared_charset(head: bytes) -> str | None:
    """The charset a page declares in a ``<meta>`` tag, if any."""
    match = _META_CHARSET.search(head[:4096])
    return match.group(1).decode("ascii") if match else None


def _published_as_written(tree: Any) -> str | None:
    """The publish date exactly as the page's metadata writes it (htmldate normalises
    and sometimes drops the time of day; the ``parse`` stage parses dates)."""
    for value in tree.xpath(_PUBLISHED_XPATH):
        if value and value.strip():
            return str(value).strip()
    return None


def extract(html: str, url: str | None = None) -> dict[str, Any]:
    """RAW columns of one HTML page (body ``None`` when trafilatura finds no text)."""
    import trafilatura
    from trafilatura.utils import load_html

    tree = load_html(html)  # parsed once: metadata read here, then trafilatura's pass
    if tree is None:
        return {"url": url}
    published = _published_as_written(tree)
    doc = trafilatura.bare_extraction(
        tree, url=url, with_metadata=True, favor_precision=True, include_comments=False,
        include_tables=False, include_images=False, deduplicate=False,
        date_extraction_params=_DATE_PARAMS)
    if doc is None:
        return {"url": url, "published_raw": published}
    meta = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    tags: list[str] = []
    for value in (meta.get("tags") or []) + (meta.get("categories") or []):
        tags.extend(t.strip() for t in re.split(r"[,،;]", value) if t.strip())
    return {
        "url": meta.get("url") or url,
        "source": meta.get("sitename") or meta.get("hostname"),
        "title": meta.get("title"),
        "author": meta.get("author"),
        "published_raw": published or meta.get("date"),
        "tags": list(dict.fromkeys(tags)) or None,
        "body": meta.get("text"),
    }


def read(blob: Blob, ctx: Context) -> Iterator[Good | Bad]:
    """One record per page."""
    if (msg := too_large(blob.size, ctx, "page")) is not None:
        yield Bad(0, "too-large", msg, blob.head(ctx.excerpt_bytes))
        return
    decoded = ctx.decode(blob, declared_charset(blob.head()))
    yield Good(0, decoded.encoding, extract(decoded.text), decoded.damaged)
