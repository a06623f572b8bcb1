"""TREC / SGML ``<DOC>`` files (Arabic Gigaword style), several documents per file.

Why regular expressions and not an XML/HTML parser: these files are SGML, not XML —
bare ``&``, unclosed ``<P>`` and sometimes a missing ``</DOC>`` are normal. lxml's
recovering parsers nest the next ``<DOC>`` inside an unclosed one or drop text after
a bare ``&``; TREC tools (Anserini's TrecCollection, ir_datasets) split on the tags too.

Mapping: ``<HEADLINE>``/``<TITLE>``/``<HL>`` → title; ``<DATE_TIME>``/``<DATE>``/
``<TIME>`` → published_raw as written; ``<DATELINE>`` → first paragraph of body (the
parse stage cuts datelines from bodies); ``<AUTHOR>``/``<BYLINE>`` → author;
``<SOURCE>``/``<SRC>`` or the agency prefix of the doc id (``AFP_ARB`` in
``AFP_ARB_20000101.0001``) → source; ``<CAT>``/``<CATEGORY>``/``<SECTION>`` → category;
``<URL>``, or the DOCNO/id only when it is an http(s) URL → url, else null.
``<ABSTRACT>``/``<SUMMARY>`` is the article's standfirst: it leads the body unless the
body already contains it (then it would only be said twice); alone, it is the body.
Tags are stripped from every field, also tags written escaped (``&lt;p&gt;``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from akhbar.ingest.readers.base import Bad, Blob, Context, Good, too_large

_DOC_START = re.compile(r"<DOC(?=[\s>])", re.I)
_DOC_END = re.compile(r"</DOC>\s*\Z", re.I)
_BLOCKS = ("DOCNO|DOCID|DOCTYPE|DATE_TIME|DATETIME|DATE|POSTDATE|HEADLINE|TITLE|HL|DATELINE"
           "|TEXT|BODY|AUTHOR|BYLINE|SOURCE|SRC|URL|KEYWORD|HEADER|TRAILER|SLUG|CAT"
           "|CATEGORY|SECTION|TIME|ABSTRACT|SUMMARY")
_ID_ATTR = re.compile(r"""\A<DOC\s[^>]*?\bid\s*=\s*["']?([^"'\s>]+)""", re.I)
_TAG = re.compile(r"<[^<>]*>")
_PARA = re.compile(r"<P(?:\s[^>]*)?>|</P>", re.I)
_BLANK = re.compile(r"\n\s*\n")
_SPACE = re.compile(r"\s+")
_AGENCY = re.compile(r"\A([A-Z]{2,}(?:_[A-Z]{2,})*)_\d{6,8}")
_URL = re.compile(r"\Ahttps?://\S+\Z", re.I)


def _field(doc: str, *tags: str) -> str | None:
    """Content of the first present tag; it ends at its closing tag, the next block tag
    or the end of the document (closing tags are optional in these files)."""
    for tag in tags:
        match = re.search(
            rf"<{tag}(?:\s[^>]*)?>(.*?)(?=</{tag}>|<(?:/?(?:{_BLOCKS}))(?:[\s>])|</DOC>|\Z)",
            doc, re.I | re.S)
        if match:
            return match.group(1)
    return None


def _inline(raw: str | None) -> str | None:
    if raw is None:
        return None
    text = _TAG.sub(" ", html.unescape(_TAG.sub(" ", raw)))  # escaped tags, too
    text = _SPACE.sub(" ", text).strip()
    return text or None


def _paragraphs(raw: str) -> list[str]:
    chunks = _PARA.split(raw) if _PARA.search(raw) else _BLANK.split(raw)
    return [p for p in (_inline(c) for c in chunks) if p]


def _doc_fields(doc: str) -> dict[str, object]:
    ident_match = _ID_ATTR.search(doc)
    ident = ident_match.group(1) if ident_match else _inline(_field(doc, "DOCNO", "DOCID"))
    url = _inline(_field(doc, "URL"))
    if url is None and ident and _URL.match(ident):
        url = ident
    source = _inline(_field(doc, "SOURCE", "SRC"))
    if source is None and ident and (agency := _AGENCY.match(ident)):
        source = agency.group(1)
    text = _field(doc, "TEXT", "BODY")
    paragraphs = _paragraphs(text) if text is not None else []
    abstract = _inline(_field(doc, "ABSTRACT", "SUMMARY"))
    if abstract and _SPACE.sub(" ", abstract) not in " ".join(paragraphs):
        paragraphs.insert(0, abstract)
    dateline = _inline(_field(doc, "DATELINE"))
    if dateline:
        paragraphs.insert(0, dateline)
    return {
        "url": url,
        "source": source,
        "title": _inline(_field(doc, "HEADLINE", "TITLE", "HL")),
        "author": _inline(_field(doc, "AUTHOR", "BYLINE")),
        "published_raw": _inline(_field(doc, "DATE_TIME", "DATETIME", "DATE", "POSTDATE",
                                        "TIME")),
        "category": _inline(_field(doc, "CAT", "CATEGORY", "SECTION")),
        "body": "\n\n".join(paragraphs) or None,
    }


def split_docs(text: str) -> list[str]:
    """The ``<DOC ...> ... </DOC>`` spans of a file (a missing ``</DOC>`` ends at the
    next ``<DOC``)."""
    starts = [m.start() for m in _DOC_START.finditer(text)]
    ends = [*starts[1:], len(text)]
    return [_DOC_END.sub("", text[s:e]) for s, e in zip(starts, ends, strict=True)]


def read(blob: Blob, ctx: Context) -> Iterator[Good | Bad]:
    """One record per ``<DOC>``, in file order."""
    decoded = ctx.decode(blob)
    docs = split_docs(decoded.text)
    if not docs:
        yield Bad(0, "invalid-sgml", "no <DOC> element", decoded.text[:ctx.excerpt_bytes],
                  decoded.encoding)
        return
    check = blob.size > ctx.max_record_bytes
    for i, doc in enumerate(docs):
        if check and (msg := too_large(len(doc.encode("utf-8")), ctx, "document")) is not None:
            yield Bad(i, "too-large", msg, doc[:ctx.excerpt_bytes], decoded.encoding)
            continue
        yield Good(i, decoded.encoding, _doc_fields(doc), decoded.damaged)
