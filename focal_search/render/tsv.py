"""Tab-separated output: one line per hit, a header line first (unless --no-header).

Columns: rank, score, id, date, title, authors ("; "-joined), location (URL when
known, else path), snippet (the first passage). In a batch, a first ``query``
column says which query a row answers. Tabs, newlines, carriage returns and
backslashes inside fields are escaped as ``\\t``, ``\\n``, ``\\r`` and ``\\\\``.
"""

from __future__ import annotations

import sys

from ..errors import FocalSearchError
from ..search import SearchResults
from .safe import inert

COLUMNS = ["rank", "score", "id", "date", "title", "authors", "location", "snippet"]
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def escape(value: str) -> str:
    return inert(value.translate(_ESCAPES))


class TsvRenderer:
    def __init__(self, *, header: bool, batch: bool) -> None:
        self.header = header
        self.batch = batch

    def results(self, results: SearchResults) -> int:
        out = sys.stdout
        if self.header:
            out.write("\t".join((["query"] if self.batch else []) + COLUMNS) + "\n")
            self.header = False
        shown = 0
        for hit in results.hits:
            row = [
                str(hit.rank),
                "" if hit.score is None else f"{hit.score:.4f}",
                hit.id,
                hit.date or "",
                hit.title,
                "; ".join(hit.authors),
                hit.location,
                hit.snippets[0].text if hit.snippets else "",
            ]
            if self.batch:
                row.insert(0, results.query)
            out.write("\t".join(escape(v) for v in row) + "\n")
            shown += 1
        out.flush()
        return shown

    def error(self, query: str, err: FocalSearchError) -> None:
        """Errors go to stderr (from the CLI); the table stays a table."""
