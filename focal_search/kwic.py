"""Keyword in context: every occurrence of a query's matches, with the text around it.

Matches are the engine's own (``Searcher.marker``): stemmed and accent-folded, a
phrase as one match. Lines come from the body and the author note of every matching
article; in rank or date order they stream (and stop at the limit), while sorting by
the context or the match reads every matching article first, as concordancers do.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from .analysis import WORD
from .documents import Article
from .errors import QuerySyntaxError
from .highlight import fold
from .search import Filters, Searcher

SORTS = ("relevance", "date", "left", "right", "match")
FIELDS = ("body", "bio")  # where lines come from; the title is shown beside each line
DEFAULT_WIDTH = 40
MAX_WIDTH = 500
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Occurrence:
    """One match of the query in one article, with its context."""

    id: str
    title: str
    date: str | None
    lang: str
    url: str | None
    location: str
    field: str  # "body" or "bio"
    start: int  # offsets of the match in that field's text (code points, end exclusive)
    end: int
    left: str  # at most `width` characters before the match, whitespace collapsed
    match: str
    right: str  # at most `width` characters after it


@dataclass
class Concordance:
    query: str
    parsed: str
    articles: int  # all matching articles
    lines: Iterator[Occurrence]  # lazy: read from the articles as they are consumed
    filters: Filters
    sort: str
    width: int
    limit: int | None
    any_words: bool = False
    warnings: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    # Every occurrence in the matching articles, once known: always after a sort by
    # context or match, and after the lines have run to their end otherwise.
    occurrences: int | None = None

    def elapsed_ms(self) -> float:
        return (time.monotonic() - self.started) * 1000


def concordance(
    searcher: Searcher,
    text: str,
    *,
    width: int = DEFAULT_WIDTH,
    sort: str = "relevance",
    limit: int | None = None,
    filters: Filters | None = None,
    any_words: bool = False,
) -> Concordance:
    """The occurrences of ``text`` in the matching articles, ``limit`` at most."""
    started = time.monotonic()
    if sort not in SORTS:
        raise QuerySyntaxError(f"unknown sort {sort!r}", hint=f"use one of: {', '.join(SORTS)}")
    if not 1 <= width <= MAX_WIDTH:
        raise QuerySyntaxError(f"context width {width} is out of range (1 to {MAX_WIDTH})")
    filters = filters or Filters()
    streaming = sort in ("relevance", "date")
    results = searcher.search(
        text,
        # Sorted by context, the lines come from matching_docs below: rank nothing.
        limit=None if streaming else 1,
        filters=filters,
        sort="date" if sort == "date" else "relevance",
        any_words=any_words,
        suggest=False,
        snippets=False,
    )
    marker = searcher.marker(text, any_words=any_words)
    found = Concordance(
        query=text,
        parsed=results.parsed,
        articles=results.total,
        lines=iter(()),
        filters=filters,
        sort=sort,
        width=width,
        limit=limit,
        any_words=any_words,
        warnings=results.warnings,
        started=started,
    )

    def ranked() -> Iterator[Article]:
        for hit in results.hits:
            yield searcher.load(hit.id)

    def matches(articles: Iterator[Article]) -> Iterator[Match]:
        for article in articles:
            for name in FIELDS:
                for start, end in marker.occurrences(article, name):
                    yield article, name, start, end

    def streamed() -> Iterator[Occurrence]:
        count = 0
        for match in matches(ranked()):
            if limit is not None and count >= limit:
                return  # more lines exist: the total stays unknown
            count += 1
            yield _occurrence(match, width)
        found.occurrences = count

    if streaming:
        found.lines = streamed()
    else:
        # Every match is read and sorted anyway: take the articles in index order,
        # without ranking them, and build the context of the lines shown only.
        docs = searcher.matching_docs(text, filters=filters, any_words=any_words)
        found.articles = len(docs)
        every = sorted(matches(searcher.load_docs(docs)), key=_sort_key(sort, width))
        found.occurrences = len(every)
        shown = every[:limit] if limit is not None else every
        found.lines = (_occurrence(match, width) for match in shown)
    return found


# A match: the article, the field, and where in that field's text.
Match = tuple[Article, str, int, int]


def _occurrence(match: Match, width: int) -> Occurrence:
    article, name, start, end = match
    text = getattr(article, name)
    return Occurrence(
        id=article.id,
        title=article.title,
        date=article.date,
        lang=article.lang,
        url=article.url,
        location=article.url or article.path,
        field=name,
        start=start,
        end=end,
        left=_left(text, start, width),
        match=_clean(text[start:end]),
        right=_right(text, end, width),
    )


def _clean(text: str) -> str:
    """On one line: each run of whitespace (newlines, tabs) becomes one space.
    (Renderers make the rest of the text inert before printing it.)"""
    return _SPACES.sub(" ", text)


def _left(text: str, start: int, width: int) -> str:
    # Read a little more than needed: collapsing whitespace shortens the text.
    return _clean(text[max(0, start - 3 * width) : start])[-width:]


def _right(text: str, end: int, width: int) -> str:
    return _clean(text[end : end + 3 * width])[:width]


def _words(text: str) -> list[str]:
    return WORD.findall(fold(text))


SortKey = tuple[list[str], list[str], list[str], str, int]


def _sort_key(sort: str, width: int) -> Callable[[Match], SortKey]:
    """Concordance order: by the words nearest the match, outward (those within
    ``width`` characters, as shown); ties in a fixed order (match, article,
    position) so that the output is reproducible."""

    def key(match: Match) -> SortKey:
        article, name, start, end = match
        text = getattr(article, name)
        left = _words(text[max(0, start - width) : start])[::-1]
        right = _words(text[end : end + width])
        matched = _words(text[start:end])
        if sort == "left":
            return left, matched, right, article.id, start
        if sort == "right":
            return right, matched, left, article.id, start
        return matched, right, left, article.id, start

    return key
