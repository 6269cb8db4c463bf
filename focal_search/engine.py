"""The seam between the commands and the index that answers them.

An ``Engine`` syncs a corpus into an index and answers searches, counts, facets,
trends, similar-article lookups, single articles and statistics. Two implement it:
``LocalEngine`` (the Whoosh index folder, the default) and ``OpenSearchEngine``
(an index or alias on an OpenSearch cluster, chosen by an http(s) URL as the index
location). The CLI, renderers and explore results never know which one answered.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .explore import Facet, Trend
    from .index import FocalIndex, IndexStats, SyncReport
    from .search import ArticleView, Filters, Searcher, SearchResults


def is_url(location: str | Path) -> bool:
    """True when an index location names an OpenSearch index rather than a folder."""
    text = str(location).strip().lower()
    return text.startswith(("http://", "https://"))


class Engine(Protocol):
    """What every index implementation answers; see LocalEngine for the meaning."""

    def sync(
        self,
        corpus: Path,
        *,
        full: bool = False,
        part: tuple[int, int] | None = None,
        optimize: bool = False,
        lock_wait: float = 10.0,
        on_skip: Callable[[str, str], None] | None = None,
        on_warning: Callable[[str, str], None] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
        on_notice: Callable[[str], None] | None = None,
    ) -> SyncReport: ...

    def search(
        self,
        text: str,
        *,
        limit: int | None = 10,
        offset: int = 0,
        filters: Filters | None = None,
        sort: str = "relevance",
        any_words: bool = False,
        suggest: bool = True,
        snippets: bool = True,
        expand: bool = False,
    ) -> SearchResults: ...

    def count(
        self, text: str, *, filters: Filters | None = None, any_words: bool = False
    ) -> int: ...

    def facets(
        self,
        text: str,
        names: list[str],
        top: int = 10,
        *,
        filters: Filters | None = None,
        any_words: bool = False,
    ) -> list[Facet]: ...

    def trend(
        self,
        queries: list[str],
        *,
        by: str = "year",
        filters: Filters | None = None,
        any_words: bool = False,
    ) -> Trend: ...

    def similar(
        self,
        ref: str,
        *,
        corpus: Path | None = None,
        limit: int | None = 10,
        offset: int = 0,
        snippets: bool = True,
    ) -> SearchResults: ...

    def article(self, ref: str, corpus: Path | None = None) -> ArticleView: ...

    def stats(self) -> IndexStats: ...

    def close(self) -> None: ...

    def __enter__(self) -> Engine: ...

    def __exit__(self, *exc: object) -> None: ...


class LocalEngine:
    """The Whoosh index folder: a thin adapter over FocalIndex, Searcher and explore.

    The index is opened on first use (``sync`` needs none); pass an already open
    ``index`` to reuse it.
    """

    def __init__(self, folder: Path, index: FocalIndex | None = None) -> None:
        self.folder = folder
        self._index = index
        self._searcher: Searcher | None = None

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
        if self._index is not None:
            self._index.close()
            self._index = None

    @property
    def index(self) -> FocalIndex:
        if self._index is None:
            from .index import open_index

            self._index = open_index(self.folder)
        return self._index

    @property
    def searcher(self) -> Searcher:
        if self._searcher is None:
            from .search import Searcher

            self._searcher = Searcher(self.index)
        return self._searcher

    def sync(
        self,
        corpus: Path,
        *,
        full: bool = False,
        part: tuple[int, int] | None = None,
        optimize: bool = False,
        lock_wait: float = 10.0,
        on_skip: Callable[[str, str], None] | None = None,
        on_warning: Callable[[str, str], None] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
        on_notice: Callable[[str], None] | None = None,
    ) -> SyncReport:
        from .errors import FocalSearchError
        from .index import sync_index

        if part is not None:
            # A folder index has one writer; splitting only pays on a shared cluster.
            raise FocalSearchError(
                "--part only goes with an OpenSearch index",
                hint="set --index http://HOST:9200/NAME, or reindex without --part",
            )
        self.close()  # a rebuild switches generations under an open reader
        return sync_index(
            corpus,
            self.folder,
            full=full,
            optimize=optimize,
            lock_wait=lock_wait,
            on_skip=on_skip,
            on_warning=on_warning,
            on_progress=on_progress,
            on_notice=on_notice,
        )

    def search(self, text: str, **options: Any) -> SearchResults:
        return self.searcher.search(text, **options)

    def count(self, text: str, *, filters: Filters | None = None, any_words: bool = False) -> int:
        return self.searcher.count(text, filters=filters, any_words=any_words)

    def facets(
        self,
        text: str,
        names: list[str],
        top: int = 10,
        *,
        filters: Filters | None = None,
        any_words: bool = False,
    ) -> list[Facet]:
        from . import explore

        docs = self.searcher.matching_docs(text, filters=filters, any_words=any_words)
        return explore.facets(self.searcher, docs, names, top)

    def trend(
        self,
        queries: list[str],
        *,
        by: str = "year",
        filters: Filters | None = None,
        any_words: bool = False,
    ) -> Trend:
        from . import explore

        return explore.trend(self.searcher, queries, by=by, filters=filters, any_words=any_words)

    def similar(self, ref: str, **options: Any) -> SearchResults:
        return self.searcher.similar(ref, **options)

    def article(self, ref: str, corpus: Path | None = None) -> ArticleView:
        return self.searcher.article(ref, corpus=corpus)

    def stats(self) -> IndexStats:
        return self.index.stats()


def open_engine(location: str | Path, index: FocalIndex | None = None) -> Engine:
    """The engine for an index location: an http(s) URL (``http://host:9200/focal``,
    the last path part naming the index or alias) means OpenSearch; anything else is
    an index folder. Nothing is contacted or opened until first use."""
    if is_url(location):
        from .engines.opensearch import OpenSearchEngine

        return OpenSearchEngine(str(location))
    return LocalEngine(Path(location), index)
