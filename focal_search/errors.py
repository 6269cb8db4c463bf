"""The errors focal-search reports to people.

Every failure a user can cause or fix is one of these; the CLI turns them into a
one-line message plus a hint and exit code 2, in one place (cli.py).
"""

from __future__ import annotations


class FocalSearchError(Exception):
    """Base class: ``message`` says what went wrong, ``hint`` what to do about it."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class CorpusMissing(FocalSearchError):
    """The corpus folder does not exist or is not a folder."""


class IndexMissing(FocalSearchError):
    """There is no index at the configured location."""


class IndexIncompatible(FocalSearchError):
    """The index was written by an incompatible version, or is unreadable."""


class IndexLocked(FocalSearchError):
    """Another process holds the index's write lock for too long."""


class IndexWriteError(FocalSearchError):
    """Writing the index failed (disk full, permissions); the previous state stands."""


class QuerySyntaxError(FocalSearchError):
    """The query string cannot be turned into a search."""


class ArticleNotFound(FocalSearchError):
    """An id, path or URL given by the user names no indexed article."""


class CorpusMismatch(FocalSearchError):
    """The index was built from another corpus folder than the one given."""


class ClusterUnreachable(FocalSearchError):
    """The OpenSearch cluster named by the index URL does not answer."""


class ClusterAuthFailed(FocalSearchError):
    """The OpenSearch cluster refused the credentials (or their absence)."""


class ClusterRejected(FocalSearchError):
    """The cluster refused a request or some documents of a reindex."""
