"""focal-search: full-text search for archived web articles.

The library does the work (``sync_index``, ``open_index``, ``Searcher``); the CLI in
cli.py is a thin layer over it. Names are imported lazily so that ``import
focal_search`` stays cheap for the command line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Article",
    "FocalIndex",
    "FocalSearchError",
    "Hit",
    "SearchResults",
    "Searcher",
    "Snippet",
    "SyncReport",
    "open_index",
    "sync_index",
]

_WHERE = {
    "Article": "documents",
    "FocalIndex": "index",
    "FocalSearchError": "errors",
    "Hit": "search",
    "SearchResults": "search",
    "Searcher": "search",
    "Snippet": "highlight",
    "SyncReport": "index",
    "open_index": "index",
    "sync_index": "index",
}

if TYPE_CHECKING:
    from .documents import Article
    from .errors import FocalSearchError
    from .highlight import Snippet
    from .index import FocalIndex, SyncReport, open_index, sync_index
    from .search import Hit, Searcher, SearchResults


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        from importlib import import_module

        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
