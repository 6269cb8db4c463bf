"""What the browse window asks of the library, without any Textual: one object that
searches, counts facets, loads previews, finds similar articles and exports marks.

The window calls it from worker threads; a Whoosh searcher is not thread-safe, so
every call holds one lock. Filters are data (``FilterState``); which filter lists
exist is decided at run time from the index (``Dimension``), so a new facet such as
a page kind appears once the library knows how to count and filter it.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import explore
from ..highlight import Span
from ..render import export
from ..search import ArticleView, Filters, Hit, Searcher

PAGE = 50  # results listed per query (the total is always shown)
TOP_VALUES = 12  # values listed per filter (selected values are always listed)


@dataclass(frozen=True)
class Dimension:
    """A filter list: the facet that counts it, and how a selection is applied."""

    name: str  # facet name in explore.FACETS, and the FilterState key
    label: str
    filters_field: str  # the library Filters keyword that restricts by it, if Filters has it
    query_field: str | None = None  # else: a query clause on this field ("kind:listing")


# Every filter list browse knows about, shown when the index and the library have it:
# the index must hold the facet's column, and the selection must be expressible (as a
# Filters field, or as a clause of the query language).
DIMENSIONS = (
    Dimension("lang", "Language", "langs"),
    Dimension("author", "Authors", "authors"),
    Dimension("kind", "Kind", "kinds", query_field="kind"),  # article / listing pages
)
_FILTERS_FIELDS = frozenset(f.name for f in dataclasses.fields(Filters))


def available(dimensions: tuple[Dimension, ...], schema_fields: set[str]) -> list[Dimension]:
    """The dimensions this index and this version of the library can count and filter."""
    return [
        d
        for d in dimensions
        if explore.FACETS.get(d.name) in schema_fields
        and (
            d.filters_field in _FILTERS_FIELDS
            or (d.query_field is not None and d.query_field in schema_fields)
        )
    ]


@dataclass(frozen=True)
class FilterState:
    since: str | None = None  # "YYYY" or "YYYY-MM"
    until: str | None = None
    selected: dict[str, frozenset[str]] = field(default_factory=dict)  # dimension -> values

    def _chosen(self, dimensions: list[Dimension], skip: str | None) -> list[Dimension]:
        return [d for d in dimensions if d.name != skip and self.selected.get(d.name)]

    def filters(self, dimensions: list[Dimension], *, skip: str | None = None) -> Filters:
        """As library ``Filters``; ``skip`` leaves one dimension out (for its own counts)."""
        options: dict[str, Any] = {
            d.filters_field: tuple(sorted(self.selected[d.name]))
            for d in self._chosen(dimensions, skip)
            if d.filters_field in _FILTERS_FIELDS
        }
        if skip != "year":
            options.update(since=self.since, until=self.until)
        return Filters(**options)

    def query(self, text: str, dimensions: list[Dimension], *, skip: str | None = None) -> str:
        """``text`` with a clause for each selection that ``Filters`` cannot express."""
        clauses = [
            "(" + " OR ".join(f'{d.query_field}:"{v.replace(chr(34), "")}"' for v in values) + ")"
            for d in self._chosen(dimensions, skip)
            if d.filters_field not in _FILTERS_FIELDS and d.query_field is not None
            for values in [sorted(self.selected[d.name])]
        ]
        if not clauses:
            return text
        return " ".join(([f"({text})"] if text.strip() else []) + clauses)


@dataclass
class FacetList:
    dimension: str
    values: list[tuple[str, int]]  # value, articles; most frequent first


@dataclass
class Facets:
    lists: list[FacetList]  # one per dimension, in DIMENSIONS order
    years: list[tuple[str, int]]  # year, articles (ignoring the year range itself)


@dataclass
class Page:
    """One query's results as the window lists them."""

    query: str
    hits: list[Hit]
    total: int
    hit_counts: dict[str, int]  # article id -> matches in its text
    elapsed_ms: float
    title: str = ""  # what the list shows, e.g. "similar to …"
    did_you_mean: str | None = None


@dataclass
class Preview:
    view: ArticleView
    spans: dict[str, list[Span]]  # field (title, body, bio) -> matched words


class BrowseSession:
    def __init__(self, searcher: Searcher, corpus: Path | None = None) -> None:
        self.searcher = searcher
        self.corpus = corpus
        self._lock = threading.Lock()
        schema = set(searcher.index.whoosh.schema.names())
        self.dimensions = available(DIMENSIONS, schema)

    def search(self, query: str, state: FilterState) -> Page:
        """The first PAGE hits of ``query`` with the matches counted in each, and the
        facet counts of every dimension (each ignoring its own selection)."""
        started = time.monotonic()
        with self._lock:
            filters = state.filters(self.dimensions)
            if not query.strip():
                return Page(query, [], 0, {}, (time.monotonic() - started) * 1000)
            results = self.searcher.search(
                state.query(query, self.dimensions), limit=PAGE, filters=filters, snippets=False
            )
            hits = list(results.hits)
            marker = self.searcher.marker(query)
            counts = {}
            for hit in hits:
                article = self.searcher.load(hit.id)
                counts[hit.id] = sum(
                    len(marker.spans(article, name)) for name in ("title", "body", "bio")
                )
            return Page(
                query,
                hits,
                results.total,
                counts,
                (time.monotonic() - started) * 1000,
                did_you_mean=results.did_you_mean,
            )

    def facets(self, query: str, state: FilterState) -> Facets:
        """Counts for the filter lists: over the matches of ``query``, or over the
        whole archive for an empty query. (Separate from ``search`` so that the
        results show first.)"""
        with self._lock:
            return self._facets(query if query.strip() else None, state)

    def _facets(self, query: str | None, state: FilterState) -> Facets:
        found: dict[tuple[Filters, str], list[int]] = {}

        def narrowed(skip: str | None) -> tuple[Filters, str]:
            text = state.query(query or "", self.dimensions, skip=skip)
            return state.filters(self.dimensions, skip=skip), text

        def docs(skip: str | None) -> list[int]:
            filters, text = key = narrowed(skip)
            if key not in found:
                found[key] = (
                    self.searcher.matching_docs(text, filters=filters)
                    if text.strip()
                    else self.searcher.all_docs(filters)
                )
            return found[key]

        # Each list counts the matches as if nothing were selected in it, so that
        # choosing a second author or language stays possible. Lists whose filters
        # come out the same share one count (with nothing selected: a single one).
        groups: dict[tuple[Filters, str], list[str]] = {}
        for name in [d.name for d in self.dimensions] + ["year"]:
            groups.setdefault(narrowed(name), []).append(name)
        counted: dict[str, explore.Facet] = {}
        for names in groups.values():
            skip = names[0]
            top = [1000 if n == "year" else TOP_VALUES for n in names]
            for facet in explore.facets(self.searcher, docs(skip), names, max(top)):
                counted[facet.name] = facet
        lists = []
        for d in self.dimensions:
            values = list(counted[d.name].counts[:TOP_VALUES])
            shown = {v for v, _ in values}
            values += [(v, 0) for v in sorted(state.selected.get(d.name, ())) if v not in shown]
            lists.append(FacetList(d.name, values))
        return Facets(lists, sorted(counted["year"].counts))

    def preview(self, ref: str, query: str) -> Preview:
        """An article, with where ``query`` matched in it."""
        with self._lock:
            view = self.searcher.article(ref, corpus=self.corpus)
            spans: dict[str, list[Span]] = {}
            if query.strip():
                marker = self.searcher.marker(query)
                spans = {
                    name: marker.spans(view.article, name) for name in ("title", "body", "bio")
                }
            return Preview(view, spans)

    def similar(self, ref: str, state: FilterState) -> Page:
        started = time.monotonic()
        with self._lock:
            results = self.searcher.similar(ref, corpus=self.corpus, limit=PAGE, snippets=False)
            hits = list(results.hits)
            return Page(
                results.query,
                hits,
                results.total,
                {},
                (time.monotonic() - started) * 1000,
                title=results.query,
            )


def export_marks(hits: list[Hit], path: Path, fields: list[str] | None = None) -> int:
    """Write the marked articles, in the order they were marked, as ``--export`` does."""
    names = list(fields or export.DEFAULT_FIELDS)
    export.check(path, names)
    ranked = [dataclasses.replace(hit, rank=n) for n, hit in enumerate(hits, start=1)]
    return export.write(ranked, path, names)
