"""The Article record: what every reader produces and the indexer consumes.

Kept free of Whoosh so that extraction can be used and tested on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-\d{2})?$")


def normalize_date(text: str) -> str:
    """ "2010", "2010-06" or "2010-06-15" -> "2010" / "2010-06"; ValueError otherwise."""
    m = _DATE.match(text.strip())
    if not m or (m.group(2) and not 1 <= int(m.group(2)) <= 12):
        raise ValueError(f"{text!r} is not a date (use YYYY or YYYY-MM)")
    return f"{m.group(1)}-{m.group(2)}" if m.group(2) else m.group(1)


def month_key(date: str | None) -> int:
    """A date as a sortable number: "2010-06" -> 201006, "2010" -> 201000, None -> 0."""
    if not date:
        return 0
    return int(date[:4]) * 100 + (int(date[5:7]) if len(date) >= 7 else 0)


def key_period(key: int | str, by: str = "year") -> str | None:
    """The year ("2010") or month ("2010-06") of a month key; None when undated, or
    for a month when only the year is known."""
    year, month = divmod(int(key or 0), 100)
    if not year:
        return None
    if by == "year":
        return f"{year:04d}"
    return f"{year:04d}-{month:02d}" if month else None


@dataclass
class Article:
    """One archived article, with its searchable parts separated from boilerplate."""

    id: str  # path relative to the corpus root, '/'-separated: stable across machines
    path: str  # the file it came from, as given to the reader
    title: str
    body: str
    authors: list[str] = field(default_factory=list)
    bio: str = ""  # the author note: searchable, weighted below the body
    url: str | None = None  # original URL, when the corpus layout reveals it
    date: str | None = None  # "YYYY-MM" or "YYYY", only when the source states it
    lang: str = "und"  # ISO 639-1 code, "und" when it cannot be told
    captured: str | None = None  # when this copy was made (ISO 8601): WARC date or file time
    # Where ``date`` was read: "path" (the file or URL name), "text" (a date line by the
    # title or byline), "metadata" (the page's or record's own fields). None undated.
    # A capture time is never a publication date, so "capture" is not a source.
    date_source: str | None = None
    kind: str = "article"  # "article", or "listing" (contents, lists of papers, hubs)

    @property
    def year(self) -> int | None:
        return int(self.date[:4]) if self.date else None


def capture_epoch(stamp: str | None) -> int:
    """Seconds since 1970 of an ISO 8601 capture time (UTC when it names no zone); 0
    when there is none or it cannot be read."""
    if not stamp:
        return 0
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0, int(moment.timestamp()))
