"""``raw_file`` labels that are always valid UTF-8.

A file name is bytes on POSIX: a name written on a latin-1 system or a tar member from a
tool with another encoding reaches Python with the undecodable bytes as lone surrogates
(``surrogateescape``), which Arrow refuses to write (``UnicodeEncodeError: surrogates not
allowed``) and which would stop the whole build. Each such byte becomes the four
characters ``\\xNN`` (the stdlib's ``backslashreplace``): deterministic, readable, and
the original bytes can be read back off the label.
"""

from __future__ import annotations


def escape(name: str) -> str:
    """``name`` with each undecodable byte (a lone surrogate) written as ``\\xNN``."""
    if name.isascii():
        return name
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "".join(_char(c) for c in name)
    return name


def _char(c: str) -> str:
    code = ord(c)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte carried by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    if 0xD800 <= code <= 0xDFFF:  # any other lone surrogate
        return f"\\u{code:04x}"
    return c
