"""Decide the character encoding of one raw file (or member, or record) and decode it.

Why hand-ordered rules before a detector: statistical detectors confuse UTF-8 and
windows-1256 on short Arabic texts, so the cheap, certain tests run first (BOM, strict
UTF-8, the UTF-16 byte pattern, a declared charset) and ``charset-normalizer`` is asked
only when guessing is really needed. The decision is returned with the text and ends up
in ``raw_encoding``.

Tolerant decoding (issue 12): what old Windows tools and concatenations leave in text
files is repaired, not a reason to drop the article, and every repair is named in
:attr:`Decoded.repairs` (the stage counts them in ``stats.repairs``): trailing NUL
padding (``trailing-nul``), a stray NUL (``nul``), a UTF-8 byte-order mark in the middle
(``bom``), CRLF (``crlf``) and lone CR (``cr``) line ends, a windows-1256 file with
UTF-8 lines (``mixed-encoding``, each line decoded on its own), UTF-8 Arabic that had
been decoded as windows-1256 before it reached us (``mojibake``). A file is binary only
when its NUL/control bytes are more than ``max_control_ratio`` of it.

No silent mojibake (issue 11): ISO-8859-6 is a candidate beside windows-1256, and a
legacy decoding that reads as mis-decoded Arabic (:mod:`.mojibake`) is re-decided or
refused (:class:`EncodingFailure`, reason ``ingest:encoding``).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from akhbar.config import Encoding
from akhbar.ingest import mojibake
from akhbar.params import defaults_for

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
_CONTROL_BYTES = re.compile(b"[\x00-\x08\x0e-\x1a\x1c-\x1f]")
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_LETTER = re.compile(r"[^\W\d_]")
_NON_ASCII = re.compile("[^\x00-\x7f]")
_NON_ASCII_BYTES = re.compile(b"[\x80-\xff]")
_HIGH = re.compile(rb"[\x80-\xff]")
_ASCII_RUNS = re.compile("[\x00-\x7f]+")
_MIN_RECORD_LETTERS = 3  # the shortest Arabic word worth keeping a record for
#: the legacy Arabic code pages, in the order preferred when both read equally well.
ARABIC_CODEPAGES = ("cp1256", "iso8859_6")


class EncodingFailure(Exception):
    """The bytes are not text in any encoding we can decide (reason ``encoding``)."""


class BinaryContent(Exception):
    """The bytes are binary (NUL or control bytes), not text (reason ``binary``)."""


@dataclass(frozen=True, slots=True)
class Decoded:
    """Decoded text, the encoding decision, whether undecodable bytes were replaced and
    the repairs made on the way (names listed in the module docstring)."""

    text: str
    encoding: str
    damaged: bool = False
    repairs: tuple[str, ...] = ()


#: Thresholds of the decision: ``ingest.encoding`` in params.yaml (the typed model).
EncodingParams = Encoding


def default_params() -> EncodingParams:
    """The packaged ``ingest.encoding`` thresholds (for a caller that gives none)."""
    return defaults_for(EncodingParams)


def _is_binary(text: str, params: EncodingParams) -> bool:
    sample = text[:_SAMPLE]
    return bool(sample) and len(_CONTROL.findall(sample)) / len(sample) > params.max_control_ratio


def utf16_pattern(data: bytes) -> str | None:
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


def _tidy_bytes(data: bytes, params: EncodingParams, repairs: list[str]) -> bytes:
    """Repairs on the bytes of an ASCII-compatible file: trailing NUL padding, a UTF-8
    BOM after the start, stray NULs. Raises :class:`BinaryContent` when NUL and control
    bytes are more than ``max_control_ratio`` of the file (after the padding)."""
    stripped = data.rstrip(b"\x00")
    if len(stripped) < len(data):
        if not stripped:
            raise BinaryContent("only NUL bytes")
        repairs.append("trailing-nul")
        data = stripped
    if data.find(codecs.BOM_UTF8, 1) > 0:
        data = data[:1] + data[1:].replace(codecs.BOM_UTF8, b"")
        repairs.append("bom")
    sample = data[:_SAMPLE * 4]
    controls = len(_CONTROL_BYTES.findall(sample))
    if controls and controls / len(sample) > params.max_control_ratio:
        raise BinaryContent(f"{controls} NUL/control bytes in {len(sample)} "
                            f"(over max_control_ratio={params.max_control_ratio:g})")
    if b"\x00" in data:
        data = data.replace(b"\x00", b"")
        repairs.append("nul")
    return data


def _tidy_text(text: str, repairs: list[str]) -> str:
    """Line ends to ``\\n`` (CRLF and lone CR) and byte-order marks inside the text."""
    if "\r" in text:
        if "\r\n" in text:
            repairs.append("crlf")
            text = text.replace("\r\n", "\n")
        if "\r" in text:
            repairs.append("cr")
            text = text.replace("\r", "\n")
    if "\ufeff" in text:
        text = text.replace("\ufeff", "")
        if "bom" not in repairs:
            repairs.append("bom")
    return text


def _done(text: str, name: str, repairs: list[str], damaged: bool = False) -> Decoded:
    return Decoded(_tidy_text(text, repairs), name, damaged, tuple(repairs))


def decode(data: bytes, declared: str | None = None,
           params: EncodingParams | None = None) -> Decoded:
    """Decode ``data``: BOM → UTF-16 byte pattern → (byte repairs) → strict UTF-8 →
    declared charset → windows-1256 file with UTF-8 lines → UTF-8 with a few damaged
    bytes → windows-1256 / ISO-8859-6 (when it yields Arabic) → charset-normalizer.
    Raises :class:`BinaryContent` or :class:`EncodingFailure`."""
    params = params or default_params()
    repairs: list[str] = []
    for bom, name, codec in _BOMS:
        if data.startswith(bom):
            if codec.startswith("utf-8"):
                data = data[:len(bom)] + _tidy_bytes(data[len(bom):], params, repairs)
            text = _strict(data, codec)
            if text is None:
                raise EncodingFailure(f"invalid {name} after its byte-order mark")
            if _is_binary(text, params):
                raise BinaryContent("control characters in text")
            return _done(text, name, repairs)
    # UTF-16 without a BOM first: Arabic UTF-16-LE (bytes xx 06) can be valid UTF-8 full
    # of control characters; the parity pattern never matches real UTF-8 or ASCII text.
    utf16 = utf16_pattern(data)
    if utf16 and (text := _strict(data, utf16)) is not None and not _is_binary(text, params):
        return _done(text, utf16, repairs)
    data = _tidy_bytes(data, params, repairs)
    text = _strict(data, "utf-8")
    if text is not None:
        return _utf8_text(text, params, repairs)
    if declared:
        name = _normalize(declared)
        if name and name != "utf-8" and (text := _strict(data, name)) is not None \
                and not _is_binary(text, params):
            return _done(text, label(name), repairs)
    mixed = _mixed_lines(data, params, repairs)
    if mixed is not None:
        return mixed
    replaced = data.decode("utf-8", "replace")
    if _mostly_utf8(replaced, params):
        return _done(replaced, "utf-8", repairs, damaged=True)
    legacy = _legacy(data, params)
    if legacy is not None:
        return _done(legacy[0], legacy[1], repairs)
    return _guess(data, params, repairs)


def decode_record(data: bytes, params: EncodingParams | None = None) -> Decoded:
    """One record cut from a container (a JSON array element, a JSON line): strict UTF-8
    or, failing that, a legacy Arabic code page that really yields Arabic — never a
    statistical guess, which on a few bytes would be mojibake."""
    params = params or default_params()
    text = _strict(data, "utf-8")
    if text is not None:
        return _utf8_text(text, params, [])
    # a record's ASCII (JSON keys, URLs) reads the same in every candidate: only its
    # other letters say whether it is Arabic in a legacy code page
    legacy = _legacy(data, params, ascii_neutral=True)
    if legacy is None:
        raise EncodingFailure("neither UTF-8 nor Arabic in a legacy code page")
    return Decoded(legacy[0], legacy[1])


def _utf8_text(text: str, params: EncodingParams, repairs: list[str]) -> Decoded:
    if _is_binary(text, params):
        raise BinaryContent("NUL or control bytes")
    if mojibake.utf8_via_cp1256_ratio(text) > params.max_ta_za_ratio:
        # windows-1256 defines all 256 bytes, so real mojibake of this kind always
        # round-trips; text that does not is unusual Arabic, kept as it is
        fixed = mojibake.undo_utf8_via_cp1256(text)
        if fixed is not None:
            repairs.append("mojibake")
            text = fixed
    return _done(text, "utf-8", repairs)


def _mostly_utf8(replaced: str, params: EncodingParams) -> bool:
    """UTF-8 with a few damaged bytes (U+FFFD few beside valid non-ASCII characters)."""
    head = replaced[: _SAMPLE * 4]
    invalid = head.count("\ufffd")
    valid = len(_NON_ASCII.findall(head)) - invalid
    return valid > 0 and invalid <= params.utf8_max_invalid_ratio * valid


def _mixed_lines(data: bytes, params: EncodingParams, repairs: list[str]) -> Decoded | None:
    """A legacy-encoded file with some UTF-8 lines (a paragraph pasted from elsewhere):
    each line decoded on its own. A line that fails UTF-8 only by a few bytes is damaged
    UTF-8, not legacy text, so it does not make the file mixed."""
    lines = data.split(b"\n")
    utf8, legacy = [], []
    for i, line in enumerate(lines):
        if not _NON_ASCII_BYTES.search(line):
            continue
        if _strict(line, "utf-8") is not None:
            utf8.append(i)
        elif not _mostly_utf8(line.decode("utf-8", "replace"), params):
            legacy.append(i)
    if not utf8 or not legacy:
        return None
    decided = _legacy(b"\n".join(lines[i] for i in legacy), params)
    if decided is None:
        return None
    codec = _normalize(decided[1]) or "cp1256"
    as_utf8 = set(utf8)
    text = "\n".join(line.decode("utf-8") if i in as_utf8 else line.decode(codec, "replace")
                     for i, line in enumerate(lines))
    repairs.append("mixed-encoding")
    return _done(text, f"{decided[1]}+utf-8", repairs,
                 damaged="\ufffd" in text)


def _legacy(data: bytes, params: EncodingParams, ascii_neutral: bool = False
            ) -> tuple[str, str] | None:
    """(text, label) in windows-1256 or ISO-8859-6 when the bytes read as Arabic there;
    ``None`` when they are not Arabic in either. Raises :class:`EncodingFailure` for
    damaged UTF-8 Arabic and for text that reads as mis-decoded Arabic in every
    candidate."""
    cp1256 = data.decode("cp1256")  # every byte is defined in windows-1256
    letters = _ASCII_RUNS.sub(" ", cp1256) if ascii_neutral else cp1256
    if ascii_neutral and len(_ARABIC.findall(letters[:_SAMPLE])) < _MIN_RECORD_LETTERS:
        return None  # a stray byte or two is noise, not an Arabic word
    if _arabic_ratio(letters) < params.cp1256_min_arabic_ratio:
        return None
    high = _HIGH.findall(data[:_SAMPLE * 4])
    if high and sum(b in (b"\xd8", b"\xd9") for b in high) / len(high) \
            > params.cp1256_max_utf8_lead_ratio:
        # UTF-8 Arabic (lead bytes D8/D9 = ط/ظ in cp1256) damaged beyond repair
        raise EncodingFailure("mostly UTF-8 Arabic with too many invalid bytes")
    if _is_binary(cp1256, params):
        raise BinaryContent("control bytes")
    if mojibake.glued_latin_ratio(cp1256) <= params.max_glued_latin_ratio:
        return cp1256, "windows-1256"
    # Latin-1 letters inside Arabic words: not windows-1256 (ISO-8859-6 bytes, most
    # often); charset-normalizer decides among the Arabic code pages.
    best = mojibake.best_arabic_codepage(data, ARABIC_CODEPAGES)
    text = _strict(data, best) if best else None
    if text is None or mojibake.glued_latin_ratio(text) > params.max_glued_latin_ratio \
            or _arabic_ratio(text) < params.cp1256_min_arabic_ratio:
        raise EncodingFailure("reads as mis-decoded Arabic in every Arabic code page "
                              "(Latin-1 letters inside Arabic words)")
    return text, label(best or "cp1256")


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


def _guess(data: bytes, params: EncodingParams, repairs: list[str]) -> Decoded:
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
    if mojibake.glued_latin_ratio(text) > params.max_glued_latin_ratio:
        raise EncodingFailure(f"guessed {best.encoding} but it reads as mis-decoded Arabic")
    return _done(text, label(best.encoding), repairs)
