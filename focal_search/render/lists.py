"""Bare lists for shell pipelines: matching locations (-l) and counts (-c)."""

from __future__ import annotations

import sys

from ..errors import FocalSearchError
from ..search import SearchResults
from .safe import inert
from .tsv import escape


class FilesRenderer:
    """One location per line (URL when known, else path); NUL-terminated with -0.

    Control characters become spaces with -0 too: the list is meant for ``xargs -0``,
    whose commands (``echo``, ``ls``) would print them to the terminal. A name
    holding one then no longer names its file, and the command says so.
    """

    def __init__(self, *, null: bool) -> None:
        self.end = "\0" if null else "\n"

    def results(self, results: SearchResults) -> int:
        shown = 0
        for hit in results.hits:
            sys.stdout.write(inert(hit.location) + self.end)
            shown += 1
        sys.stdout.flush()
        return shown

    def error(self, query: str, err: FocalSearchError) -> None:
        """Reported on stderr by the CLI."""


class CountRenderer:
    """The number of matching articles; in a batch, ``query<TAB>count`` per query."""

    def __init__(self, *, batch: bool) -> None:
        self.batch = batch

    def results(self, results: SearchResults) -> int:
        prefix = escape(results.query) + "\t" if self.batch else ""
        sys.stdout.write(f"{prefix}{results.total}\n")
        sys.stdout.flush()
        return results.total

    def error(self, query: str, err: FocalSearchError) -> None:
        """Reported on stderr by the CLI."""
