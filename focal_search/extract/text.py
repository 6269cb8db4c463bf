"""Bytes to clean text: decoding, and removing what must never reach a terminal.

Archive text is untrusted. Escape sequences and control characters are removed
here, before indexing, so stored text, snippets and offsets are all clean.
"""

from __future__ import annotations

import re
import unicodedata


class SkipFile(Exception):
    """This file holds no usable article; ``str(exc)`` is the reason."""


class CannotOpen(SkipFile):
    """This file could not be opened or read (permissions, gone, I/O): not a fault of
    its content, so it is tried again on the next reindex even if unchanged."""


# ANSI/VT escape sequences: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST),
# and other two-character ESC sequences. Their C1 single-byte forms too. A string's
# body cannot hold ESC, BEL or C1 codes: each attempt stops at the next one, so the
# pass is linear (with ".*?" a page of unterminated "ESC ]" took quadratic time:
# 16 s for 20,000). An unterminated string loses its codes to _CONTROLS instead.
_ESCAPES = re.compile(
    r"""
    (?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]                        # CSI ... final byte
  | (?:\x1b\]|\x9d)[^\x07\x1b\x90-\x9f]*(?:\x07|\x1b\\|\x9c)     # OSC ... BEL / ST
  | (?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x07\x1b\x90-\x9f]*(?:\x1b\\|\x9c)  # DCS/SOS/PM/APC
  | \x1b[@-Z\\-_]                                            # two-character sequences
    """,
    re.VERBOSE,
)
# Every other control character except tab and newline (CR handled below).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def clean_text(text: str) -> str:
    """Remove escape sequences and control characters; normalise newlines and NFC."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Every escape sequence starts with a character _CONTROLS matches: most pages
    # hold none, and one scan for it is cheaper than the two substitutions.
    if _CONTROLS.search(text):
        text = _ESCAPES.sub("", text)
        text = _CONTROLS.sub("", text)
    return unicodedata.normalize("NFC", text)


_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE
)
CP1252_MARGIN = 0.2  # how much messier cp1252 may read than the detected encoding
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def decode(data: bytes, declared: str | None = None, *, html: bool = False) -> str:
    """Decode archive bytes: BOM, then the declared charset (HTTP header), then a
    ``<meta charset>`` (HTML), then UTF-8, then detection (legacy pages that
    declare nothing are usually Windows-1252, which detection recognises).
    """
    if not data.strip():
        raise SkipFile("empty file")
    bom = next((enc for mark, enc in _BOMS if data.startswith(mark)), None)
    if bom is None and b"\x00" in data[:8192]:
        raise SkipFile("binary file (contains NUL bytes)")
    candidates = [bom, declared]
    if html:
        meta = _META_CHARSET.search(data[:4096])
        candidates.append(meta.group(1).decode("ascii") if meta else None)
    for encoding in filter(None, candidates):
        try:
            return _check_text(data.decode(_codec(encoding)))
        except (LookupError, UnicodeDecodeError):
            continue  # a wrong or unknown declaration: fall through to UTF-8 / detection
    try:
        return _check_text(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    return _check_text(_detect(data))


def _codec(name: str) -> str:
    name = name.strip().lower()
    # Browsers read latin-1 / ascii labels as windows-1252; so do we (the WHATWG rule).
    return "cp1252" if name in ("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii") else name


def _detect(data: bytes) -> str:
    """Undeclared, not UTF-8. Detection alone often calls Western text cp1250 or
    cp1257 (measured: French cp1252 read as cp1257), so Windows-1252 wins unless it
    reads clearly worse than the detected encoding (as Cyrillic or Polish text does).
    """
    from charset_normalizer import from_bytes
    from charset_normalizer.md import mess_ratio

    sample = data[:200_000]
    try:
        western = sample.decode("cp1252")
    except UnicodeDecodeError:
        western = None
    best = from_bytes(sample).best()
    if best is not None and best.encoding != "cp1252":
        detected = str(best)
        if western is None or mess_ratio(western) > mess_ratio(detected) + CP1252_MARGIN:
            try:
                return data.decode(best.encoding)
            except (LookupError, UnicodeDecodeError):
                pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise SkipFile("undecodable (unknown text encoding)") from None


_BINARY_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")


def _check_text(text: str) -> str:
    sample = text[:8192]
    if len(_BINARY_CONTROLS.findall(sample)) > len(sample) * 0.05:
        raise SkipFile("binary file (mostly control characters)")
    return text
