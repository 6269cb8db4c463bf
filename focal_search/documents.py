"""The Article record: what every reader produces and the indexer consumes.

Kept free of Whoosh so that extraction can be used and tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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

    @property
    def year(self) -> int | None:
        return int(self.date[:4]) if self.date else None
