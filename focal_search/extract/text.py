"""Bytes to clean text: decoding, and removing what must never reach a terminal.

Archive text is untrusted. Escape sequences and control characters are removed
here, before indexing, so stored text, snippets and offsets are all clean.
"""

from __future__ import annotations

import re
import unicodedata


class SkipFile(Exception):
    """This file holds no usable article; ``str(exc)`` is the reason."""


# ANSI/VT escape sequences: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST),
# and other two-character ESC sequences. Their C1 single-byte forms too.
_ESCAPES = re.compile(
    r"""
    (?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]            # CSI ... final byte
  | (?:\x1b\]|\x9d).*?(?:\x07|\x1b\\|\x9c)       # OSC ... BEL / ST
  | (?:\x1b[PX^_]|[\x90\x98\x9e\x9f]).*?(?:\x1b\\|\x9c)  # DCS/SOS/PM/APC strings
  | \x1b[@-Z\\-_]                                # two-character sequences
    """,
    re.VERBOSE | re.DOTALL,
)
# Every other control character except tab and newline (CR handled below).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def clean_text(text: str) -> str:
    """Remove escape sequences and control characters; normalise newlines and NFC."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ESCAPES.sub("", text)
    text = _CONTROLS.sub("", text)
    return unicodedata.normalize("NFC", text)


def decode(data: bytes) -> str:
    """Decode a text file: UTF-8 (with or without BOM), else Windows-1252.

    cp1252 is what undeclared legacy archive files almost always are; bytes that are
    neither mean the file is not text we can trust, so it is skipped.
    """
    if not data.strip():
        raise SkipFile("empty file")
    if b"\x00" in data[:8192]:
        raise SkipFile("binary file (contains NUL bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise SkipFile("undecodable (neither UTF-8 nor Windows-1252 text)") from None
    sample = text[:8192]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > len(sample) * 0.05:
        raise SkipFile("binary file (mostly control characters)")
    return text
