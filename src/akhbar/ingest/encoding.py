"""Decide the character encoding of one raw file (or member) and decode it.

Why hand-ordered rules before a detector: statistical detectors confuse UTF-8 and
windows-1256 on short Arabic texts, so the cheap, certain tests run first (BOM, strict
UTF-8, the UTF-16 byte pattern, a declared charset) and ``charset-normalizer`` is asked
only when guessing is really needed. The decision is returned with the text and ends up
in ``raw_encoding``.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32"),  # before UTF-16 LE: same first 2 bytes
    (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16"),
)
_SAMPLE = 65536
# C0 controls that never occur in text (tab, LF, VT, FF, CR and ESC are allowed).
_CONTROL = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f]")
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_LETTER = re.compile(r"[^\W\d_]")
_NON_ASCII = re.compile("[^\x00-\x7f]")
_HIGH = re.compile(rb"[\x80-\xff]")


class EncodingFailure(Exception):
    """The bytes are not text in any encoding we can decide (reason ``encoding``)."""


class BinaryContent(Exception):
    """The bytes are binary (NUL or control bytes), not text (reason ``binary``)."""


@dataclass(frozen=True, slots=True)
class Decoded:
    """Decoded text, the encoding decision and whether undecodable bytes were replaced."""

    text: str
    encoding: str
    damaged: bool = False


@dataclass(frozen=True, slots=True)
class EncodingParams:
    """Thresholds of the decision (from ``ingest.encoding`` in params.yaml)."""

    max_control_ratio: float = 0.01
    utf8_max_invalid_ratio: float = 0.1
    cp1256_min_arabic_ratio: float = 0.5
    cp1256_max_utf8_lead_ratio: float = 0.3


def _is_binary(text: str, params: EncodingParams) -> bool:
    sample = text[:_SAMPLE]
    return bool(sample) and len(_CONTROL.findall(sample)) / len(sample) > params.max_control_ratio


def _utf16_pattern(data: bytes) -> str | None:
    """``utf-16-le``/``-be`` when one byte parity is mostly NUL or the Arabic block byte
    0x06 and the other is not (UTF-16 without a BOM)."""
    sample = data[: _SAMPLE - (_SAMPLE % 2)]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    high_odd = (odd.count(0) + odd.count(6)) / len(odd)
    high_even = (even.count(0) + even.count(6)) / len(even)
    if high_odd >= 0.5 and high_even < 0.1:
        return "utf-16-le"
    if high_even >= 0.5 and high_odd < 0.1:
        return "utf-16-be"
    return None


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _arabic_ratio(text: str) -> float:
    sample = text[:_SAMPLE]
    letters = len(_LETTER.findall(sample))
    return len(_ARABIC.findall(sample)) / letters if letters else 0.0


def decode(data: bytes, declared: str | None = None,
           params: EncodingParams | None = None) -> Decoded:
    """Decode ``data``: BOM → UTF-16 byte pattern → strict UTF-8 → declared charset →
    UTF-8 with a few damaged bytes → windows-1256 (when it yields Arabic) →
    charset-normalizer. Raises :class:`BinaryContent` or :class:`EncodingFailure`."""
    params = params or EncodingParams()
    for bom, name, codec in _BOMS:
        if data.startswith(bom):
            text = _strict(data, codec)
            if text is None:
                raise EncodingFailure(f"invalid {name} after its byte-order mark")
            if _is_binary(text, params):
                raise BinaryContent("control characters in text")
            return Decoded(text, name)
    # UTF-16 without a BOM first: Arabic UTF-16-LE (bytes xx 06) can be valid UTF-8 full
    # of control characters; the parity pattern never matches real UTF-8 or ASCII text.
    utf16 = _utf16_pattern(data)
    if utf16 and (text := _strict(data, utf16)) is not None and not _is_binary(text, params):
        return Decoded(text, utf16)
    text = _strict(data, "utf-8")
    if text is not None:
        if _is_binary(text, params):
            raise BinaryContent("NUL or control bytes")
        return Decoded(text, "utf-8")
    if declared:
        name = _normalize(declared)
        if name and name != "utf-8" and (text := _strict(data, name)) is not None \
                and not _is_binary(text, params):
            return Decoded(text, label(name))
    if b"\x00" in data[:_SAMPLE]:
        raise BinaryContent("NUL bytes")
    replaced = data.decode("utf-8", "replace")
    head = replaced[: _SAMPLE * 4]
    invalid = head.count("\ufffd")
    valid = len(_NON_ASCII.findall(head)) - invalid
    if valid > 0 and invalid <= params.utf8_max_invalid_ratio * valid:
        return Decoded(replaced, "utf-8", damaged=True)
    cp1256 = data.decode("cp1256")  # every byte is defined in windows-1256
    if _arabic_ratio(cp1256) >= params.cp1256_min_arabic_ratio:
        high = _HIGH.findall(data[:_SAMPLE * 4])
        if high and sum(b in (b"\xd8", b"\xd9") for b in high) / len(high) \
                > params.cp1256_max_utf8_lead_ratio:
            # UTF-8 Arabic (lead bytes D8/D9 = ط/ظ in cp1256) damaged beyond repair
            raise EncodingFailure("mostly UTF-8 Arabic with too many invalid bytes")
        if _is_binary(cp1256, params):
            raise BinaryContent("control bytes")
        return Decoded(cp1256, "windows-1256")
    return _guess(data, params)


def _normalize(name: str) -> str | None:
    try:
        return codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None


def label(codec: str) -> str:
    """The ``raw_encoding`` label of a Python codec name: WHATWG-style names
    (``windows-1256``, ``iso-8859-6``) so one encoding always gets one label."""
    name = _normalize(codec) or codec
    if name.startswith("cp12"):
        return f"windows-{name[2:]}"
    if name.startswith("iso8859-"):
        return f"iso-{name[3:]}"
    return name.replace("_", "-")


def _guess(data: bytes, params: EncodingParams) -> Decoded:
    """Ask charset-normalizer; its answer must decode strictly and read as text."""
    from charset_normalizer import from_bytes

    # UTF-16/32 were already ruled out (no BOM, no byte pattern): a guess of them on a
    # few odd bytes would change the file's line structure, so it is not taken.
    best = next((m for m in from_bytes(data[: _SAMPLE * 16])
                 if m.encoding and not m.encoding.startswith(("utf_16", "utf_32"))), None)
    if best is None:
        raise EncodingFailure("no encoding decodes these bytes")
    text = _strict(data, best.encoding)
    if text is None:
        raise EncodingFailure(f"guessed {best.encoding} but the bytes do not decode")
    if _is_binary(text, params):
        raise BinaryContent("control bytes")
    return Decoded(text, label(best.encoding))
