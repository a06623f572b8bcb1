"""Content sniffing: what a file *is*, from its first bytes, with the evidence.

Why content before extension: real corpora name TREC ``<DOC>`` files, JSON dumps and
HTML pages ``*.txt`` or give them no extension at all; a generic extension (``.txt``,
``.dat``, none) says nothing, the first bytes do. A specific extension (``.json``,
``.csv``, ...) is still trusted, except that archive magic always wins (a zip named
``.json`` is a zip).

The decision and its evidence end up in ``raw_format``: the bare format name when the
extension decided (``trec``, ``aggregator``), ``<format> (sniffed <evidence> in <ext>)``
when the content overrode or replaced a generic extension, e.g. ``trec (sniffed <DOC> in
.txt)``. The first word is always the format (:func:`base_format`), so the column stays
groupable and the parse stage can dispatch on it.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

#: Extensions that say nothing about the content: sniffing decides.
GENERIC_EXTENSIONS = frozenset({".txt", ".text", ".dat", ".data", ""})

_UTF16 = ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_COMMENT = re.compile(r"\A\s*<!--.*?-->", re.S)
_XML_DECL = re.compile(r"\A\s*<\?xml[^>]*\?>", re.I)
_DOC = re.compile(r"\A\s*<doc[\s>]", re.I)
_HTML = re.compile(r"\A\s*<(?:!doctype\s+html|html|head|body)[\s>]", re.I)
# An HTML fragment without <html> (a saved <div> or <p> of a page): several known tags.
_HTML_TAG = re.compile(r"</?(?:p|div|span|br|a|h[1-6]|table|tr|td|ul|ol|li|img|meta|script|"
                       r"style|title|article|section|header|footer|nav|strong|em|b|i)"
                       r"(?:\s[^<>]*)?/?>", re.I)
_MIN_HTML_TAGS = 3
_JSON_ARRAY = re.compile(r'\A\s*\[\s*(?:[{\["\d-]|\]|true|false|null)')
_JSON_OBJECT = re.compile(r'\A\s*\{\s*(?:"|\})')


@dataclass(frozen=True, slots=True)
class Sniffed:
    """A format decided from content, and what showed it (``<DOC>``, ``zip magic``)."""

    fmt: str
    evidence: str


def _head_text(head: bytes) -> str:
    """The head as text for the markup/JSON tests: UTF-16 when it has a BOM or the
    byte pattern of ASCII markup in UTF-16, else UTF-8 with replacement (a windows-1256
    file still shows its ASCII tags)."""
    for bom, codec in _UTF16:
        if head.startswith(bom):
            return head[len(bom):len(head) - (len(head) - len(bom)) % 2].decode(codec, "replace")
    if len(head) >= 4 and head[1] == 0 and head[3] == 0 and head[0] and head[2]:
        return head[:len(head) - len(head) % 2].decode("utf-16-le", "replace")
    if len(head) >= 4 and head[0] == 0 and head[2] == 0 and head[1] and head[3]:
        return head[:len(head) - len(head) % 2].decode("utf-16-be", "replace")
    return head.decode("utf-8", "replace").lstrip("\ufeff")


def sniff(head: bytes) -> Sniffed | None:
    """The format the first bytes of a file show, or None when they show nothing clear."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return Sniffed("zip", "zip magic")
    if head.startswith(b"\x1f\x8b"):
        return Sniffed("gz", "gzip magic")
    if len(head) > 262 and head[257:262] == b"ustar":
        return Sniffed("tar", "tar magic")
    text = _head_text(head[:8192])
    if text.lstrip()[:5].upper() == "WARC/":
        return Sniffed("warc", "WARC/")
    rest, xml = text, False
    while True:  # leading comments and the XML declaration do not decide
        if match := _XML_DECL.match(rest):
            xml = True
        elif not (match := _COMMENT.match(rest)):
            break
        rest = rest[match.end():]
    if _DOC.match(rest):
        return Sniffed("trec", "<DOC>")
    if _HTML.match(rest):
        return Sniffed("html", "<html")
    if xml:
        return Sniffed("xml", "<?xml")
    if rest.lstrip().startswith("<") and len(_HTML_TAG.findall(rest)) >= _MIN_HTML_TAGS:
        return Sniffed("html", "HTML tags")  # XML that is neither <DOC> nor XHTML: no reader
    if _JSON_ARRAY.match(rest):
        return Sniffed("json", "JSON")
    if _JSON_OBJECT.match(rest):
        return Sniffed("json", "JSON")  # the JSON reader falls back to JSON Lines
    return None


def extension(name: str) -> str:
    """The lower-case last suffix of a file name (``""`` when there is none); ``.gz``
    keeps the suffix before it (``.jsonl.gz``)."""
    base = name.rsplit("/", 1)[-1].lower()
    if "." not in base.lstrip("."):
        return ""
    parts = base.lstrip(".").split(".")
    if parts[-1] in ("gz", "bz2", "xz") and len(parts) > 2:
        return f".{parts[-2]}.{parts[-1]}"
    return f".{parts[-1]}"


def describe(fmt: str, evidence: str, ext: str) -> str:
    """``raw_format`` for a format decided by content (see the module docstring)."""
    where = f"in {ext}" if ext else "without extension"
    return f"{fmt} (sniffed {evidence} {where})"


def base_format(raw_format: str | None) -> str | None:
    """The format name of a ``raw_format`` value (its first word)."""
    if raw_format is None:
        return None
    return raw_format.split(" ", 1)[0]
