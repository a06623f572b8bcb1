"""Stable article ids (dolma-style): the same article gets the same id in every version.

An id is a hash of the canonical URL when there is one (so an edited article keeps its
id), else of the normalized text. 32 hex characters (128 bits) keep collisions out of
reach for any news corpus while staying readable in reports.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING = ("utm_", "fbclid", "gclid", "ref", "mc_cid", "mc_eid", "at_medium", "at_campaign")


#: An http(s) URL with a printable-ASCII host and no query, fragment, bracket, space or
#: control character (the path may be Arabic): the shape of nearly every news URL, whose
#: canonical form needs no ``urllib`` round trip (about ten times faster;
#: ``tests/test_startup.py`` checks it against the general path).
_SIMPLE = re.compile(r"(?i:https?)://((?:(?![/?#\[\]])[!-~])+)"
                     r"(/[^?#\[\]\s\x00-\x20\x7f]*)?\Z")


def canonical_url(url: str | None) -> str | None:
    """Lower-case scheme and host, drop fragment, tracking parameters, ``www.`` and a
    trailing slash, so that the same page crawled twice maps to one key."""
    if url and (m := _SIMPLE.match(url)):
        host = m.group(1).lower()
        return f"https://{host[4:] if host.startswith('www.') else host}" \
               f"{(m.group(2) or '').rstrip('/') or '/'}"
    return _canonical_url(url)


def _canonical_url(url: str | None) -> str | None:
    """:func:`canonical_url` through ``urllib`` (any URL)."""
    if not url or not url.strip():
        return None
    parts = urlsplit(url.strip())
    if not parts.netloc:
        return url.strip()
    host = parts.netloc.lower()
    if host.startswith("www."):
        host = host[4:]
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not k.lower().startswith(_TRACKING)]
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(("https" if parts.scheme in ("http", "https") else parts.scheme,
                       host, path, urlencode(sorted(query)), ""))


def digest(value: str) -> str:
    """128-bit hex digest of a string."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]


_INVISIBLE = re.compile("[\u0640\u00ad\u200b-\u200f\u202a-\u202e\u2066-\u2069\u061c\ufeff]")
_SPACE = re.compile(r"\s+")


def id_text(text: str | None) -> str:
    """The text form hashed into an id: NFKC (presentation forms → letters), no tatweel or
    invisible controls, whitespace collapsed. Deliberately independent of the cleaner's
    finer rules, so that improving the cleaner does not renumber the corpus."""
    text = unicodedata.normalize("NFKC", text or "")
    return _SPACE.sub(" ", _INVISIBLE.sub("", text)).strip()


def article_id(url: str | None, text: str | None) -> str:
    """The stable id of an article: ``u`` + hash of the canonical URL when there is one,
    else ``t`` + hash of :func:`id_text` of its body."""
    canon = canonical_url(url)
    if canon:
        return "u" + digest(canon)[:31]
    return "t" + digest(id_text(text))[:31]


def record_id(raw_file: str, raw_record: int) -> str:
    """Id of a raw record that never became an article (rejected at ingest or parse)."""
    return "r" + digest(f"{raw_file}#{raw_record}")[:31]
