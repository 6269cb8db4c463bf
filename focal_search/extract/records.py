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
    for raw in stream:
        if not raw.strip():
            continue
        if len(raw) > MAX_LINE_BYTES:
            log.skip("JSON line too long")
            continue
        try:
            record = json.loads(raw)
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
        key = str(record["id"])
        if key in seen:
            log.skip("JSON record with a repeated id")
            continue
        seen.add(key)
        body = clean_text(record["text"]).strip()
        if not body:
            log.skip("JSON record with empty text")
            continue
        title = clean_text(str(record.get("title") or "")).strip()
        url = record.get("url") if isinstance(record.get("url"), str) else None
        yield Article(
            id=f"{file_id}#{key}",
            path=path,
            title=title,
            body=body,
            authors=_authors(record.get("authors", record.get("author"))),
            url=url or None,
            date=(date := _date(record.get("date"))),
            date_source="metadata" if date else None,
            lang=language.normalize(_str(record.get("lang")))
            or language.detect(title + "\n" + body),
            captured=captured,
        )


def _authors(value: Any) -> list[str]:
    if isinstance(value, list):
        return [clean_text(str(v)).strip() for v in value if str(v).strip()]
    if isinstance(value, str):
        return [clean_text(v).strip() for v in value.split(";") if v.strip()]
    return []


def _date(value: Any) -> str | None:
    try:
        return normalize_date(str(value)) if value else None
    except ValueError:
        return location.date_from_name(str(value))


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
