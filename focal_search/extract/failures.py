"""Why a corpus file (or part of one) could not be read, in words for people.

Readers and the parsers under them raise all kinds of exceptions on damaged input
(``AttributeError`` inside warcio for a cut-off capture, ``zlib.error`` for damaged
compression...). They are turned into short reasons here, in one place, so that no
internal error text reaches a skip reason or a warning.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterable, Iterator
from typing import TypeVar

from .text import SkipFile

T = TypeVar("T")


class ReadRefused(Exception):
    """Reading stopped on purpose because the input exceeds a bound (a line, a header
    block, the bytes a file may expand to); ``str(exc)`` is the reason."""


def describe(err: BaseException) -> str:
    """A short reason for a reader's failure (with the exception itself appended when
    FOCAL_SEARCH_DEBUG is set, for bug reports)."""
    reason = _reason(err)
    if os.environ.get("FOCAL_SEARCH_DEBUG") and not isinstance(err, (SkipFile, ReadRefused)):
        reason += f" [{type(err).__name__}: {err}]"
    return reason


def _reason(err: BaseException) -> str:
    if isinstance(err, (SkipFile, ReadRefused)):
        return str(err)
    if isinstance(err, RecursionError):
        return "nested too deeply to read"
    if isinstance(err, MemoryError):
        return "too large to read"
    if isinstance(err, EOFError):
        return "truncated (the file ends inside a record)"
    # By name: zipfile and gzip are imported only by the readers that need them.
    if isinstance(err, zlib.error) or type(err).__name__ in ("BadZipFile", "BadGzipFile"):
        return "damaged compressed data"
    if isinstance(err, UnicodeError):
        return "undecodable text"
    if isinstance(err, OSError):
        return f"cannot read: {err.strerror or 'input/output error'}"
    name = type(err).__name__
    if name == "ArchiveLoadFailed":
        return "a record of unknown format (not WARC data)"
    if name in ("StatusAndHeadersParserException", "ChunkedDataException"):
        return "malformed record headers"
    # AttributeError, TypeError, IndexError, ValueError... from a parser that met
    # input it did not expect: usually a capture cut short or a damaged record.
    return "damaged or truncated content"


def guarded(items: Iterable[T]) -> Iterator[T]:
    """A reader's articles; any failure of the *reader* (a parser choking on hostile
    input) becomes a SkipFile with a reason in words, so the rest of that file is
    skipped instead of the whole run aborted. What the caller does with each article
    (writing the index, sending it to a cluster) is outside and fails as it fails."""
    iterator = iter(items)
    while True:
        try:
            item = next(iterator)
        except StopIteration:
            return
        except SkipFile:
            raise
        except Exception as err:  # noqa: BLE001 - third-party parsers raise anything
            raise SkipFile(describe(err)) from None
        yield item
