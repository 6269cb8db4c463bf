"""Reader for JSON Lines exports: one article per line.

Each line needs ``id`` and ``text``; ``title``, ``authors`` (list or "A; B"),
``date``, ``lang`` and ``url`` are optional. A bad line is counted and skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

from ..documents import Article, normalize_date
from . import language, location
from .log import ReadLog
from .text import clean_text

MAX_LINE_BYTES = 16 * 1024 * 1024


def read(
    stream: IO[bytes], *, file_id: str, path: str, log: ReadLog, captured: str | None
) -> Iterator[Article]:
    seen: set[str] = set()
    for raw in _lines(stream, log):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except RecursionError:
            log.skip("JSON line nested too deeply")
            continue
        except ValueError:
            log.skip("line not valid JSON")
            continue
        if (
            not isinstance(record, dict)
            or not isinstance(record.get("text"), str)
            or record.get("id") in (None, "")
        ):
            log.skip("JSON record without id or text")
            continue
        try:
            key = _str_of(record["id"])
            if key in seen:
                log.skip("JSON record with a repeated id")
                continue
            article = _article(record, f"{file_id}#{key}", path, captured)
        except (ValueError, TypeError, RecursionError, UnicodeError):
            # A field of an unexpected shape (an id nested too deeply to print, text
            # with unencodable characters): this line only.
            log.skip("JSON record with unusable fields")
            continue
        seen.add(key)
        if article is None:
            log.skip("JSON record with empty text")
            continue
        yield article


def _lines(stream: IO[bytes], log: ReadLog) -> Iterator[bytes]:
    """The file's lines; one longer than MAX_LINE_BYTES is counted and passed over
    without being held in memory (a file with no line breaks is one such line)."""
    while True:
        line = stream.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while (rest := stream.readline(1 << 20)) and not rest.endswith(b"\n"):
                pass
            log.skip("JSON line too long")
            continue
        yield line


def _article(record: dict[str, Any], id: str, path: str, captured: str | None) -> Article | None:
    body = clean_text(record["text"]).strip()
    if not body:
        return None
    title = clean_text(_scalar(record.get("title"))).strip()
    url = record.get("url") if isinstance(record.get("url"), str) else None
    return Article(
        id=id,
        path=path,
        title=title,
        body=body,
        authors=_authors(record.get("authors", record.get("author"))),
        url=url or None,
        date=(date := _date(record.get("date"))),
        date_source="metadata" if date else None,
        lang=language.normalize(_str(record.get("lang"))) or language.detect(title + "\n" + body),
        captured=captured,
    )


def _str_of(value: Any) -> str:
    """A scalar field as text; a list or object where text belongs is refused (its
    printed form is no title or id, and printing a deep one recurses)."""
    if isinstance(value, (dict, list)):
        raise TypeError("not a scalar")
    return str(value)


def _scalar(value: Any) -> str:
    """An optional field as text; empty when missing or not a scalar."""
    return "" if value is None or isinstance(value, (dict, list)) else str(value)


def _authors(value: Any) -> list[str]:
    if isinstance(value, list):
        names = [_scalar(v) for v in value]
        return [clean_text(v).strip() for v in names if v.strip()]
    if isinstance(value, str):
        return [clean_text(v).strip() for v in value.split(";") if v.strip()]
    return []


def _date(value: Any) -> str | None:
    if not value or isinstance(value, (dict, list)):
        return None
    try:
        return normalize_date(str(value))
    except ValueError:
        return location.date_from_name(str(value))


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
