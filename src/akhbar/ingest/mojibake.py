"""Does a decoded text read as Arabic, or as Arabic decoded with the wrong code page?

Why hand-written signals before charset-normalizer: they are cheap, deterministic and
specific to the two confusions that silently passed validation before (issue 11):

* ISO-8859-6 bytes decoded as windows-1256 give Arabic letters *glued* to Latin-1
  letters (``ف`` = 0xE1 in ISO-8859-6 is ``á`` in windows-1256, ``و`` = 0xE8 is ``è``...).
  In real Arabic text a Latin-1 letter never sits inside an Arabic word, so a handful of
  such pairs is already a strong signal. The signal only *triggers* a re-decision; which
  code page wins is asked of charset-normalizer (its mess detector sees the same thing,
  but running it on every file would be slow).
* UTF-8 Arabic decoded as windows-1256 (text that was double-encoded before it reached
  us) is made of ``ط``/``ظ`` (the UTF-8 lead bytes D8/D9) every other letter; in real
  Arabic these two letters are about 1-2 % of letters.
"""

from __future__ import annotations

import re

_ARABIC_LETTER = re.compile("[\u0621-\u064a\u0671-\u06d3]")
# Latin-1 supplement letters (× U+00D7 and ÷ U+00F7 are symbols, not letters).
_LATIN1 = "\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff"
_GLUED = re.compile(f"[\u0621-\u064a][{_LATIN1}]|[{_LATIN1}][\u0621-\u064a]")
_TA_ZA = re.compile("[\u0637\u0638]")
_SAMPLE = 65536
#: below this many Arabic letters the signals say nothing (a name, a one-word title).
MIN_LETTERS = 20


def arabic_letters(text: str) -> int:
    """Arabic letters in the first 64 Ki characters."""
    return len(_ARABIC_LETTER.findall(text[:_SAMPLE]))


def glued_latin_ratio(text: str) -> float:
    """Latin-1 letters glued to an Arabic letter, per Arabic letter (0 for real text)."""
    sample = text[:_SAMPLE]
    letters = len(_ARABIC_LETTER.findall(sample))
    if letters < MIN_LETTERS:
        return 0.0
    return len(_GLUED.findall(sample)) / letters


def utf8_via_cp1256_ratio(text: str) -> float:
    """Share of Arabic letters that are ``ط``/``ظ`` (0.5-0.9 for UTF-8 Arabic shown
    through windows-1256, about 0.02 for real text)."""
    sample = text[:_SAMPLE]
    letters = len(_ARABIC_LETTER.findall(sample))
    if letters < MIN_LETTERS:
        return 0.0
    return len(_TA_ZA.findall(sample)) / letters


def undo_utf8_via_cp1256(text: str) -> str | None:
    """The text behind UTF-8 bytes that were decoded as windows-1256 and re-encoded, when
    the round trip is exact; else ``None``."""
    try:
        return text.encode("cp1256").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None


def best_arabic_codepage(data: bytes, candidates: tuple[str, ...]) -> str | None:
    """The code page among ``candidates`` that charset-normalizer finds least messy for
    ``data`` (``None`` when none decodes it)."""
    from charset_normalizer import from_bytes

    best = from_bytes(data[: _SAMPLE * 4], cp_isolation=list(candidates)).best()
    return best.encoding if best is not None else None
