"""Exporting every match of a query to a CSV or JSON Lines file, streaming.

The file is written beside its destination and renamed into place when complete,
so an interrupted export never leaves a truncated file under the requested name;
it gets the permissions any new file gets (the umask), like a shell redirection.
Archive strings are made inert (see safe.py), and a CSV cell that a spreadsheet
would run as a formula (starting with = + - @, tab or CR) starts with a ' instead.
"""

from __future__ import annotations

import csv
import json
import math
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..errors import FocalSearchError
from ..search import Hit
from .safe import inert, inert_data

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
# Cells starting with these are formulas to a spreadsheet (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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
    if path.is_dir():
        raise FocalSearchError(
            f"cannot export to {path}: it is a folder", hint="give a file name, e.g. hits.csv"
        )


def write(
    hits: Iterable[Hit], path: Path, fields: list[str], on_row: Callable[[int], None] | None = None
) -> int:
    """Write every hit; returns how many rows were written."""
    try:
        return _write(hits, path, fields, on_row)
    except OSError as err:  # full disk, read-only folder, a folder in the way...
        raise FocalSearchError(
            f"cannot export to {path}: {err.strerror or err}",
            hint="nothing was written; free some space or choose another file",
        ) from None


def _write(
    hits: Iterable[Hit], path: Path, fields: list[str], on_row: Callable[[int], None] | None
) -> int:
    as_csv = path.suffix.lower() == ".csv"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    rows = 0
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes it private (0600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh) if as_csv else None
            if writer is not None:
                writer.writerow(fields)
            for hit in hits:
                record = _record(hit, fields)
                if writer is not None:
                    writer.writerow([csv_cell(v) for v in record.values()])
                else:
                    fh.write(json.dumps(inert_data(record), ensure_ascii=False) + "\n")
                rows += 1
                if on_row:
                    on_row(rows)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return rows


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell: lists joined with "; ", text made inert, and text a
    spreadsheet would run as a formula quoted with a leading '."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = "; ".join(value)
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    if not isinstance(value, str):
        return value  # rank, score, captures: numbers stay numbers
    cleaned = inert(value)  # tab and CR become spaces: check what they hid too
    if value.startswith(FORMULA_STARTS) or cleaned.lstrip().startswith(FORMULA_STARTS):
        return "'" + cleaned
    return cleaned


def _umask() -> int:
    mask = os.umask(0o022)  # the only way to read it is to set it
    os.umask(mask)
    return mask


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
