"""Renderers: the only code that formats search results for output.

Each results renderer takes ``SearchResults`` one query at a time (a batch is a
sequence of them) and returns how many hits it printed; ``error`` reports a query
that failed inside a batch. The CLI picks one renderer per run.
"""

from __future__ import annotations

from typing import Protocol

from ..errors import FocalSearchError
from ..search import SearchResults


class ResultsRenderer(Protocol):
    def results(self, results: SearchResults) -> int: ...

    def error(self, query: str, err: FocalSearchError) -> None: ...
