"""Exporting every match of a query to a CSV or JSON Lines file, streaming.

The file is written beside its destination and renamed into place when complete,
so an interrupted export never leaves a truncated file under the requested name.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..errors import FocalSearchError
from ..search import Hit

FIELDS = (
    "rank",
    "score",
    "id",
    "title",
    "authors",
    "date",
    "lang",
    "url",
    "path",
    "location",
    "captures",
    "snippet",
)
DEFAULT_FIELDS = ("rank", "score", "id", "title", "authors", "date", "lang", "location")
FORMATS = (".csv", ".jsonl")


def check(path: Path, fields: list[str]) -> None:
    """Refuse an unknown format or field before anything is searched."""
    if path.suffix.lower() not in FORMATS:
        raise FocalSearchError(f"cannot export to {path}: use a .csv or .jsonl file name")
    unknown = [f for f in fields if f not in FIELDS]
    if unknown:
        raise FocalSearchError(
            f"unknown export field {unknown[0]!r}", hint=f"fields: {', '.join(FIELDS)}"
        )
    if not path.parent.exists():
        raise FocalSearchError(f"cannot export to {path}: folder {path.parent} does not exist")


def write(
    hits: Iterable[Hit], path: Path, fields: list[str], on_row: Callable[[int], None] | None = None
) -> int:
    """Write every hit; returns how many rows were written."""
    as_csv = path.suffix.lower() == ".csv"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    rows = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh) if as_csv else None
            if writer is not None:
                writer.writerow(fields)
            for hit in hits:
                record = _record(hit, fields)
                if writer is not None:
                    writer.writerow(
                        [
                            "; ".join(v) if isinstance(v, list) else "" if v is None else v
                            for v in record.values()
                        ]
                    )
                else:
                    fh.write(json.dumps(record, ensure_ascii=False) + "\n")
                rows += 1
                if on_row:
                    on_row(rows)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return rows


def _record(hit: Hit, fields: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "rank": hit.rank,
        "score": None if hit.score is None else round(hit.score, 4),
        "id": hit.id,
        "title": hit.title,
        "authors": hit.authors,
        "date": hit.date,
        "lang": hit.lang,
        "url": hit.url,
        "path": hit.path,
        "location": hit.location,
        "captures": hit.captures,
        "snippet": hit.snippets[0].text if hit.snippets else "",
    }
    return {name: values[name] for name in fields}
