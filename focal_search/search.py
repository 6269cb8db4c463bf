"""Parse a query, rank the matching articles, and return hits with snippet spans.

Nothing here formats output: a Hit carries data and character offsets, and the
renderers in render/ decide how it looks.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from whoosh import qparser
from whoosh import query as wq
from whoosh.scoring import BM25F

from .analysis import STOP_WORDS, is_stop_term
from .errors import QuerySyntaxError
from .highlight import FieldMatcher, Snippet, best_snippets, lead_snippet, match_spec
from .index import FocalIndex
from .schema import DEFAULT_FIELDS, FIELD_BOOSTS

SNIPPETS_PER_HIT = 3
# Fields whose text is stemmed: their stop-word test uses the stemmed forms.
_STEMMED_FIELDS = {"title", "body", "bio"}


@dataclass
class Hit:
    rank: int
    score: float
    id: str
    title: str
    authors: list[str]
    date: str | None
    url: str | None
    path: str
    lang: str
    snippets: list[Snippet] = field(default_factory=list)
    title_highlights: list[tuple[int, int]] = field(default_factory=list)

    @property
    def location(self) -> str:
        """Where a reader finds the original: the URL when known, else the file."""
        return self.url or self.path


@dataclass
class SearchResults:
    query: str
    parsed: str  # the query as the engine understood it (for --json and debugging)
    total: int  # all matching articles, not only those returned
    offset: int
    hits: Iterator[Hit]  # lazy: snippets are computed as hits are consumed
    started: float = field(default_factory=time.monotonic)

    def elapsed_ms(self) -> float:
        return (time.monotonic() - self.started) * 1000


def build_parser(schema: Any) -> qparser.QueryParser:
    """The query language: implicit AND, OR, NOT / -word, (), "phrases", prefix*, fields."""
    parser = qparser.MultifieldParser(list(DEFAULT_FIELDS), schema, fieldboosts=FIELD_BOOSTS)
    # "-word" negates like NOT, but only at the start of a word: "Mexico-Canada" stays.
    parser.replace_plugin(
        qparser.OperatorsPlugin(Not=r"(^|(?<=(\s|[()])))(NOT(?=\s)|-(?=[\w\"(]))")
    )
    parser.add_plugin(qparser.FieldAliasPlugin({"author": ["authors", "by"]}))
    return parser


def parse_query(parser: qparser.QueryParser, text: str) -> wq.Query:
    """Parse ``text``; QuerySyntaxError when it cannot mean a search."""
    if not text.strip():
        raise QuerySyntaxError("the query is empty", hint='try e.g. focal-search query "smart border"')
    try:
        q = parser.parse(text)
    except Exception as err:  # Whoosh raises assorted types on malformed input
        raise QuerySyntaxError(f"cannot parse query {text!r}: {err}") from err
    _raise_on_errors(q, text)
    without_stops = _drop_stop_words(q).normalize()
    # A query of nothing but stop words ("The Who") keeps them rather than match nothing.
    return q if without_stops is wq.NullQuery else without_stops


class Searcher:
    """An open searcher over one index; reuse it for a batch of queries."""

    def __init__(self, index: FocalIndex) -> None:
        self.index = index
        self._searcher = index.whoosh.searcher(weighting=BM25F())
        self._parser = build_parser(index.whoosh.schema)

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._searcher.close()

    def search(self, text: str, *, limit: int | None = 10, offset: int = 0) -> SearchResults:
        """Rank the articles matching ``text``; ``limit=None`` returns every hit."""
        started = time.monotonic()
        q = parse_query(self._parser, text)
        wanted = None if limit is None else offset + limit
        results = self._searcher.search(q, limit=wanted)
        total = len(results)
        return SearchResults(
            query=text,
            parsed=str(q),
            total=total,
            offset=offset,
            hits=self._hits(q, results, offset),
            started=started,
        )

    def _hits(self, q: wq.Query, results: Any, offset: int) -> Iterator[Hit]:
        spec = match_spec(q, self._searcher.reader())
        schema = self.index.whoosh.schema
        matchers = {
            name: FieldMatcher(
                schema[name].analyzer, spec.terms.get(name, set()), spec.phrases.get(name, [])
            )
            for name in ("title", "body", "bio")
        }
        for rank, hit in enumerate(results[offset:], start=offset + 1):
            stored = hit.fields()
            yield Hit(
                rank=rank,
                score=float(hit.score or 0.0),
                id=stored["id"],
                title=stored.get("title", ""),
                authors=list(stored.get("authors") or []),
                date=stored.get("date"),
                url=stored.get("url"),
                path=stored.get("path", stored["id"]),
                lang=stored.get("lang", "und"),
                snippets=_snippets(stored, matchers),
                title_highlights=matchers["title"].spans(stored.get("title", ""))
                if matchers["title"]
                else [],
            )


def _snippets(stored: dict[str, Any], matchers: dict[str, FieldMatcher]) -> list[Snippet]:
    """Passages from the body, then the bio; the body's opening when neither matched."""
    found: list[Snippet] = []
    for name in ("body", "bio"):
        text = stored.get(name) or ""
        if text and matchers[name] and len(found) < SNIPPETS_PER_HIT:
            spans = matchers[name].spans(text)
            found.extend(best_snippets(name, text, spans, SNIPPETS_PER_HIT - len(found)))
    return found or lead_snippet("body", stored.get("body") or "")


def _raise_on_errors(q: wq.Query, text: str) -> None:
    for node in [q, *q.leaves()] if not q.is_leaf() else [q]:
        error = getattr(node, "error", None)
        if error:
            raise QuerySyntaxError(f"invalid query {text!r}: {error}")


def _drop_stop_words(q: wq.Query) -> wq.Query:
    """Remove stop-word terms, except inside phrases (they are whole Phrase nodes)."""
    if isinstance(q, wq.Term) and _is_stop(q.fieldname, q.text):
        return wq.NullQuery
    if q.is_leaf() or isinstance(q, wq.Phrase):
        return q
    return q.apply(_drop_stop_words)


def _is_stop(fieldname: str, text: Any) -> bool:
    word = text.decode("utf-8") if isinstance(text, bytes) else str(text)
    if fieldname in _STEMMED_FIELDS:
        return is_stop_term(word)
    return fieldname == "author" and word in STOP_WORDS
