"""WARC / WARC.gz via warcio, streamed record by record (never the whole file).

``raw_record`` is the index of the WARC record in the file. HTML responses go through
the HTML path with ``url`` = WARC-Target-URI and ``crawled_raw`` = WARC-Date. Other
responses are rejected (``ingest:not-html``, ``ingest:http-status``) so that they stay
visible; request / warcinfo / metadata / revisit records are not articles: they are
only counted (``stats.skipped``).
"""

from __future__ import annotations

from collections.abc import Iterator

from akhbar.ingest.encoding import BinaryContent, EncodingFailure, decode
from akhbar.ingest.readers.base import Bad, Blob, Context, Good, too_large
from akhbar.ingest.readers.html import declared_charset, extract

_HTML = ("text/html", "application/xhtml+xml")


def read(blob: Blob, ctx: Context) -> Iterator[Good | Bad]:
    """Records of one WARC file."""
    # imported here: warcio (with fsspec) costs every build a few tenths of a CPU second
    # at start, and most corpora hold no WARC file
    from warcio.archiveiterator import ArchiveIterator

    with blob.open() as stream:
        records = iter(ArchiveIterator(stream))
        index = 0
        while True:
            try:
                record = next(records)
            except StopIteration:
                break
            except Exception as exc:  # any warcio failure: the rest of the file is damaged
                yield Bad(index, "unreadable", f"WARC record {index}: "
                          f"{type(exc).__name__}: {exc}")
                return
            try:
                yield from _record(index, record, ctx)
            except Exception as exc:  # one bad record must not end the file
                yield Bad(index, "unreadable", f"WARC record {index}: "
                          f"{type(exc).__name__}: {exc}")
            index += 1
        if index == 0:  # warcio reads a truncated gzip member as "no records", silently
            yield Bad(0, "unreadable", "no WARC record could be read (truncated or not WARC)",
                      blob.head(ctx.excerpt_bytes))


def _record(index: int, record, ctx: Context) -> Iterator[Good | Bad]:  # type: ignore[no-untyped-def]
    if record.rec_type != "response":
        ctx.skipped[f"warc-{record.rec_type}"] += 1
        return
    url = record.rec_headers.get_header("WARC-Target-URI")
    crawled = record.rec_headers.get_header("WARC-Date")
    http = record.http_headers
    ctype = (http.get_header("Content-Type") if http else None) or ""
    status = http.get_statuscode() if http else "200"
    if not str(status).startswith("2"):
        yield Bad(index, "http-status", f"HTTP status {status} for {url}", url=url)
        return
    if ctype.lower().split(";")[0].strip() not in _HTML:
        yield Bad(index, "not-html", f"content type {ctype or 'missing'!r} for {url}", url=url)
        return
    body = record.content_stream().read(ctx.max_record_bytes + 1)
    if (msg := too_large(len(body), ctx, "response")) is not None:
        yield Bad(index, "too-large", msg, body[:ctx.excerpt_bytes], url=url)
        return
    if not body.strip():
        yield Bad(index, "empty-file", f"empty response for {url}", url=url)
        return
    charset = ctype.lower().split("charset=")[1].strip(" \"';") if "charset=" in \
        ctype.lower() else declared_charset(body)
    try:
        decoded = decode(body, charset, ctx.encoding)
    except BinaryContent as exc:
        yield Bad(index, "binary", str(exc), body[:ctx.excerpt_bytes], url=url)
        return
    except EncodingFailure as exc:
        yield Bad(index, "encoding", str(exc), body[:ctx.excerpt_bytes], url=url)
        return
    fields = extract(decoded.text, url)
    fields["url"] = url
    fields["crawled_raw"] = crawled
    yield Good(index, decoded.encoding, fields, decoded.damaged)
