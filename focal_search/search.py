"""Parse a query, rank the matching articles, and return hits with snippet spans.

Nothing here formats output: a Hit carries data and character offsets, and the
renderers in render/ decide how it looks.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import query as wq
from whoosh import sorting

from .analysis import ANALYZED, analyzed_language, name_analyzer
from .columns import column_rows
from .documents import Article
from .errors import ArticleNotFound, QuerySyntaxError
from .highlight import FieldMatcher, Snippet, best_snippets, lead_snippet, match_spec
from .index import FocalIndex
from .query import QueryParser, prune, unknown_fields
from .schema import FIELD_BOOSTS, TEXT_FIELDS, date_range, lang_field
from .scoring import ArticleBM25F

SNIPPETS_PER_HIT = 3
SORTS = ("relevance", "date", "-date")
FEW_HITS = 3  # below this many hits, a did-you-mean suggestion is looked for
# From this many documents on, queries are matched with whole posting lists as arrays
# (evaluate.py); below it, numpy's import (60-150 ms) costs more than it saves, and
# Whoosh's own matchers (with score-bound pruning switched off) are as exact. Measured
# at 10k pages: 27 vs 74 ms a query, 99 vs 437 ms with the feedback pass; at 1k: 72 vs
# 99 ms with feedback, 16 ms either way without.
ARRAY_MIN_DOCS = 5_000
# Stored texts in which matches are marked.
_HIGHLIGHTED = TEXT_FIELDS


@dataclass
class Hit:
    rank: int
    score: float | None  # BM25F; None when results are sorted by something else
    id: str
    title: str
    authors: list[str]
    date: str | None
    url: str | None
    path: str
    lang: str
    snippets: list[Snippet] = field(default_factory=list)
    title_highlights: list[tuple[int, int]] = field(default_factory=list)
    # This page was captured this many times, at these URLs (newest capture shown).
    captures: int = 1
    capture_urls: list[str] = field(default_factory=list)
    kind: str = "article"  # or "listing"

    @property
    def location(self) -> str:
        """Where a reader finds the original: the URL when known, else the file."""
        return self.url or self.path


@dataclass(frozen=True)
class Capture:
    id: str
    url: str | None
    captured: str | None


@dataclass(frozen=True)
class Related:
    """Another article related to one being shown (a translation)."""

    id: str
    lang: str
    title: str
    location: str


@dataclass
class ArticleView:
    """An article as `show` presents it."""

    article: Article
    captures: list[Capture]
    translations: list[Related]


@dataclass(frozen=True)
class Filters:
    """Restrictions that narrow the matches without changing their scores."""

    authors: tuple[str, ...] = ()  # any of these names (each word of a name must match)
    since: str | None = None  # "YYYY" or "YYYY-MM", inclusive
    until: str | None = None  # inclusive: --until 2009 includes December 2009
    langs: tuple[str, ...] = ()

    def describe(self) -> dict[str, Any]:
        """The filters that are set, for the JSON ``begin`` line."""
        out: dict[str, Any] = {}
        if self.authors:
            out["author"] = list(self.authors)
        if self.since:
            out["since"] = self.since
        if self.until:
            out["until"] = self.until
        if self.langs:
            out["lang"] = list(self.langs)
        return out

    def query(self) -> wq.Query | None:
        parts: list[wq.Query] = []
        if self.authors:
            analyzer = name_analyzer()
            names = [[t.text for t in analyzer(name)] for name in self.authors]
            parts.append(wq.Or([_words_query("author", words) for words in names if words]))
        if self.since or self.until:
            try:
                parts.append(date_range("date", self.since, self.until))
            except ValueError as err:
                raise QuerySyntaxError(f"--since/--until: {err}") from None
        if self.langs:
            parts.append(wq.Or([wq.Term("lang", lang.strip().lower()) for lang in self.langs]))
        return wq.And(parts) if parts else None


@dataclass
class SearchResults:
    query: str
    parsed: str  # the query as the engine understood it (for --json and debugging)
    total: int  # all matching articles, not only those returned
    offset: int
    hits: Iterator[Hit]  # lazy: snippets are computed as hits are consumed
    started: float = field(default_factory=time.monotonic)
    filters: Filters = field(default_factory=Filters)
    sort: str = "relevance"
    any_words: bool = False
    # Offered, never applied: a corrected query and how many it finds...
    did_you_mean: str | None = None
    did_you_mean_total: int | None = None
    # ...and, when an AND query finds nothing, how many articles have *some* words.
    any_total: int | None = None
    warnings: list[str] = field(default_factory=list)
    facets: list[Any] = field(default_factory=list)  # explore.Facet, when asked for

    def elapsed_ms(self) -> float:
        return (time.monotonic() - self.started) * 1000


class Searcher:
    """An open searcher over one index; reuse it for a batch of queries."""

    def __init__(self, index: FocalIndex, *, arrays: bool | None = None) -> None:
        """``arrays`` forces (True) or forbids (False) array-based matching; by default
        it is used for indexes of ``ARRAY_MIN_DOCS`` documents or more."""
        self.index = index
        self._searcher = index.whoosh.searcher(weighting=ArticleBM25F())
        schema = index.whoosh.schema
        reader = self._searcher.reader()
        langs = [
            lang
            for lang in ANALYZED
            if any(reader.field_length(lang_field(name, lang)) for name in TEXT_FIELDS)
        ] or ["en"]
        self._schema, self._langs = schema, langs
        self._parsers: dict[bool, QueryParser] = {}  # AND, OR (--any): built when first used
        # Only an archive with several captures of a page pays for collapsing them.
        self._dedupe = bool(index.meta.get("duplicates"))
        if arrays is None:
            arrays = reader.doc_count_all() >= ARRAY_MIN_DOCS
        self._arrays: Any = None
        if arrays:
            from .evaluate import ArraySearch

            self._arrays = ArraySearch(self._searcher, dedupe=self._dedupe)
        self._matchers = {
            lang: {
                name: FieldMatcher(schema[lang_field(name, lang)].analyzer, set(), [])
                for name in _HIGHLIGHTED
            }
            for lang in langs
        }

    def _parser(self, any_words: bool) -> QueryParser:
        parser = self._parsers.get(any_words)
        if parser is None:
            parser = QueryParser(self._schema, self._langs, any_words=any_words)
            self._parsers[any_words] = parser
        return parser

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._searcher.close()

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
    ) -> SearchResults:
        """Rank the articles matching ``text``; ``limit=None`` returns every hit.

        With ``suggest``, a query that finds few or nothing also gets a did-you-mean
        and (for an AND query that finds nothing) the count of its OR form. Without
        ``snippets``, hits carry no passages (for lists, counts and evaluations).
        With ``expand``, a relevance ranking is redone with the words of its best
        matches added (pseudo-relevance feedback, see expand.py): the same matches,
        re-ranked.
        """
        started = time.monotonic()
        if sort not in SORTS:
            raise QuerySyntaxError(f"unknown sort {sort!r}", hint=f"use one of: {', '.join(SORTS)}")
        filters = filters or Filters()
        q = self._parser(any_words).parse(text)
        runnable = prune(q, self._searcher.reader())
        wanted = None if limit is None else offset + limit
        narrowed = filters.query()
        if expand and sort == "relevance":
            from .expand import FEEDBACK_DOCS, expand_query

            top = self._run(runnable, limit=FEEDBACK_DOCS, filter=narrowed)
            runnable = expand_query(self._searcher, runnable, [doc for doc, _ in top.rows])
        ranked = self._run(runnable, limit=wanted, filter=narrowed, sort=sort)
        found = SearchResults(
            query=text,
            parsed=str(q),
            total=ranked.total,
            offset=offset,
            hits=self._hits(q, ranked, offset, scored=sort == "relevance", snippets=snippets),
            started=started,
            filters=filters,
            sort=sort,
            any_words=any_words,
            warnings=unknown_fields(text),
        )
        if suggest and found.total < FEW_HITS:
            self._suggest(found)
        return found

    def count(self, text: str, *, filters: Filters | None = None, any_words: bool = False) -> int:
        """How many articles match, without ranking or snippets."""
        q = prune(self._parser(any_words).parse(text), self._searcher.reader())
        return len(self._all_docs(q, (filters or Filters()).query(), None))

    def _run(
        self,
        q: wq.Query,
        *,
        limit: int | None,
        filter: Any = None,
        mask: Any = None,
        sort: str = "relevance",
    ) -> _Ranked:
        """Every match of ``q`` scored and counted; the best ``limit`` (or all) in
        rank order, one per page. Nothing is skipped on score bounds: Whoosh's
        pruning (block quality, matcher replacement) assumes score bounds that
        BM25F with per-term IDF can exceed, and then loses matches."""
        if self._arrays is not None and sort == "relevance":
            from .evaluate import rank_order

            ids, scores = self._arrays.matches(q, filter=filter, mask=mask)
            order = rank_order(ids, scores, limit)
            rows = list(zip(ids[order].tolist(), scores[order].tolist(), strict=True))
            return _Ranked(int(ids.size), rows)
        options: dict[str, Any] = {
            "optimize": False,  # no block-quality skipping
            # Captures are collapsed below: Whoosh's own collapsing kept several
            # captures of a page when every match was asked for.
            "limit": None if self._dedupe else limit,
            "filter": filter,
            "mask": mask,
            "sortedby": _sort_facet(sort),
        }
        collector = self._searcher.collector(**options)
        _no_replacement(collector)
        self._searcher.search_with_collector(q, collector)
        rows = [(hit.docnum, hit.score) for hit in collector.results()]
        if not self._dedupe:
            return _Ranked(len(collector.results()), rows)
        kept = set(self._newest(d for d, _ in rows))
        rows = [row for row in rows if row[0] in kept]
        return _Ranked(len(rows), rows if limit is None else rows[:limit])

    def _all_docs(self, q: wq.Query, filter: Any, mask: Any) -> list[int]:
        """Every matching document, one per page when a page has several captures."""
        if self._arrays is not None:
            ids, _scores = self._arrays.matches(q, filter=filter, mask=mask)
            return [int(d) for d in ids.tolist()]
        found = self._searcher.search(q, limit=None, filter=filter, mask=mask, scored=False)
        docs = sorted(found.docs())
        return self._newest(docs) if self._dedupe else docs

    def _newest(self, docs: Iterable[int]) -> list[int]:
        """Of these documents, the newest capture of each page (the first on a tie)."""
        docs = sorted(docs)
        newest: dict[str, tuple[int, int]] = {}
        reader = self._searcher.reader()
        for docnum, (key, when) in zip(
            docs, column_rows(reader, ("canonical", "capture_time"), docs), strict=True
        ):
            if key not in newest or int(when or 0) > newest[key][1]:
                newest[key] = (docnum, int(when or 0))
        return sorted(d for d, _ in newest.values())

    def all_docs(self, filters: Filters | None = None) -> list[int]:
        """Document numbers of every article the filters allow (one per page)."""
        return self._all_docs(wq.Every(), (filters or Filters()).query(), None)

    def matching_docs(
        self, text: str, *, filters: Filters | None = None, any_words: bool = False
    ) -> list[int]:
        """Document numbers of every article matching ``text`` (for facets, trends)."""
        q = prune(self._parser(any_words).parse(text), self._searcher.reader())
        return self._all_docs(q, (filters or Filters()).query(), None)

    def similar(
        self,
        ref: str,
        *,
        corpus: Path | None = None,
        limit: int | None = 10,
        offset: int = 0,
        snippets: bool = True,
        key_terms: int = 12,
    ) -> SearchResults:
        """Articles most like the one named by ``ref``: its key terms (frequent in it,
        rare in the archive), excluding itself, its other captures and translations."""
        started = time.monotonic()
        stored = self._stored(ref, corpus)
        lang = analyzed_language(stored.get("lang"))
        text = "\n".join((stored.get("title", ""), stored.get("body", "")))
        terms = self._searcher.key_terms_from_text(
            lang_field("body", lang), text, numterms=key_terms
        )
        q: wq.Query = (
            wq.Or(
                [
                    wq.Term(lang_field(name, lang), term, boost=weight * FIELD_BOOSTS[name])
                    for term, weight in terms
                    for name in ("title", "body")
                ]
            )
            if terms
            else wq.NullQuery
        )
        exclude = [wq.Term("canonical", stored["canonical"])]
        if stored.get("pair_key"):
            exclude.append(wq.Term("pair_key", stored["pair_key"]))
        mask = wq.Or(exclude)
        wanted = None if limit is None else offset + limit
        ranked = self._run(q, limit=wanted, mask=mask)
        return SearchResults(
            query=f"similar to {stored['id']}",
            parsed=str(q),
            total=ranked.total,
            offset=offset,
            hits=self._hits(q, ranked, offset, scored=True, snippets=snippets),
            started=started,
        )

    def _stored(self, ref: str, corpus: Path | None) -> dict[str, Any]:
        for fieldname, value in _lookup_keys(ref, corpus):
            stored = self._searcher.document(**{fieldname: value})
            if stored:
                return dict(stored)
        raise ArticleNotFound(
            f"no article {ref!r} in the index",
            hint="use an id, path or URL printed by `focal-search query`",
        )

    def article(self, ref: str, corpus: Path | None = None) -> ArticleView:
        """The article named by its id, its file path, or its original URL, with its
        other captures and its versions in other languages."""
        stored = self._stored(ref, corpus)
        return ArticleView(
            article=_article(stored),
            captures=self._captures(stored),
            translations=self._translations(stored),
        )

    def load(self, ref: str, corpus: Path | None = None) -> Article:
        """The article alone, without its captures and translations (cheaper than
        ``article`` when many are read, as for a concordance)."""
        return _article(self._stored(ref, corpus))

    def load_docs(self, docs: list[int]) -> Iterator[Article]:
        """The articles with these document numbers (from ``matching_docs``)."""
        for docnum in docs:
            yield _article(self._searcher.stored_fields(docnum))

    @property
    def reader(self) -> Any:
        """The searcher's own index reader (opening another costs ~30-200 ms, and
        each one holds files open until it is closed)."""
        return self._searcher.reader()

    def marker(self, text: str, *, any_words: bool = False) -> Marker:
        """Finds where ``text`` matches inside whole articles (for concordances and
        previews): the engine's own matches, stemmed and accent-folded."""
        return Marker(self._field_matchers(self._parser(any_words).parse(text)))

    def _field_matchers(self, q: wq.Query) -> dict[str, dict[str, FieldMatcher]]:
        """Per language and text field, a matcher of the words ``q`` highlights (prefix
        and fuzzy terms expanded against the whole lexicon)."""
        spec = match_spec(
            q,
            self._searcher.reader(),
            [lang_field(n, lang) for lang in self._matchers for n in _HIGHLIGHTED],
        )
        return {
            lang: {
                name: matcher.with_query(
                    spec.terms.get(lang_field(name, lang), set()),
                    spec.phrases.get(lang_field(name, lang), []),
                )
                for name, matcher in by_name.items()
            }
            for lang, by_name in self._matchers.items()
        }

    def _suggest(self, found: SearchResults) -> None:
        from .spelling import suggest

        corrected = suggest(
            self._searcher, found.query, [lang_field("body", lang) for lang in self._matchers]
        )
        if corrected and corrected != found.query:
            try:
                total = self.count(corrected, filters=found.filters, any_words=found.any_words)
            except QuerySyntaxError:
                total = 0
            if total > found.total:
                found.did_you_mean, found.did_you_mean_total = corrected, total
        if found.total == 0 and not found.any_words:
            loose = self.count(found.query, filters=found.filters, any_words=True)
            if loose:
                found.any_total = loose

    def _captures(self, stored: dict[str, Any]) -> list[Capture]:
        """Every capture of this article's page, newest first."""
        docs = self._searcher.documents(canonical=stored["canonical"]) if self._dedupe else [stored]
        found = [Capture(d["id"], d.get("url"), d.get("captured")) for d in docs]
        return sorted(found, key=lambda c: c.captured or "", reverse=True)

    def _translations(self, stored: dict[str, Any]) -> list[Related]:
        if not stored.get("pair_key"):
            return []
        seen = {stored["canonical"]}
        related = []
        for doc in self._searcher.documents(pair_key=stored["pair_key"]):
            if doc.get("lang") != stored.get("lang") and doc["canonical"] not in seen:
                seen.add(doc["canonical"])
                related.append(
                    Related(
                        doc["id"],
                        doc.get("lang", "und"),
                        doc.get("title", ""),
                        doc.get("url") or doc.get("path", doc["id"]),
                    )
                )
        return related

    def _hits(
        self, q: wq.Query, ranked: _Ranked, offset: int, *, scored: bool, snippets: bool
    ) -> Iterator[Hit]:
        # Expanding the words to highlight is only worth it when passages are shown.
        matchers = self._field_matchers(q if snippets else wq.NullQuery)
        fallback = next(iter(matchers.values()))
        for rank, (docnum, score) in enumerate(ranked.rows[offset:], start=offset + 1):
            stored = self._searcher.stored_fields(docnum)
            by_field = matchers.get(analyzed_language(stored.get("lang")), fallback)
            captures = self._captures(stored) if self._dedupe else []
            yield Hit(
                rank=rank,
                score=float(score or 0.0) if scored else None,
                id=stored["id"],
                title=stored.get("title", ""),
                authors=list(stored.get("authors") or []),
                date=stored.get("date"),
                url=stored.get("url"),
                path=stored.get("path", stored["id"]),
                lang=stored.get("lang", "und"),
                snippets=_snippets(stored, by_field) if snippets else [],
                title_highlights=by_field["title"].spans(stored.get("title", ""))
                if snippets and by_field["title"]
                else [],
                captures=max(1, len(captures)),
                capture_urls=list(dict.fromkeys(c.url for c in captures if c.url)),
                kind=stored.get("kind", "article"),
            )


@dataclass
class _Ranked:
    """The outcome of matching: how many match, and the wanted ones in rank order."""

    total: int
    rows: list[tuple[int, float | None]]  # (document number, score)


def _no_replacement(collector: Any) -> None:
    """Switch off Whoosh's periodic matcher replacement, which drops sub-queries whose
    score bound falls below the current top-N minimum: the bounds are not safe for
    our scorer, so it silently lost matches (and miscounted) under a limit."""
    while collector is not None:
        if hasattr(collector, "replace"):
            collector.replace = 0
        collector = getattr(collector, "child", None)


def _sort_facet(sort: str) -> Any:
    if sort == "relevance":
        return None
    # Undated articles last in both directions; then by date.
    return sorting.MultiFacet(
        [sorting.FieldFacet("undated"), sorting.FieldFacet("sort_date", reverse=sort == "-date")]
    )


def _words_query(fieldname: str, words: list[str]) -> wq.Query:
    return wq.Term(fieldname, words[0]) if len(words) == 1 else wq.Phrase(fieldname, words)


def _lookup_keys(ref: str, corpus: Path | None) -> Iterator[tuple[str, str]]:
    yield "id", ref
    if "://" in ref:
        yield "url", ref
        yield "url", ref.rstrip("/")
    if corpus is not None:
        try:
            yield "id", Path(ref).resolve().relative_to(corpus.resolve()).as_posix()
        except (ValueError, OSError):
            pass


def _article(stored: dict[str, Any]) -> Article:
    return Article(
        id=stored["id"],
        path=stored.get("path", stored["id"]),
        title=stored.get("title", ""),
        body=stored.get("body", ""),
        authors=list(stored.get("authors") or []),
        bio=stored.get("bio", ""),
        url=stored.get("url"),
        date=stored.get("date"),
        lang=stored.get("lang", "und"),
        date_source=stored.get("date_source"),
        kind=stored.get("kind", "article"),
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


class Marker:
    """The matches of one query in any article, by text field (title, body, bio), as
    (start, end) character spans."""

    def __init__(self, matchers: dict[str, dict[str, FieldMatcher]]) -> None:
        self._matchers = matchers
        self._fallback = next(iter(matchers.values()))

    def _matcher(self, article: Article, name: str) -> FieldMatcher:
        return self._matchers.get(analyzed_language(article.lang), self._fallback)[name]

    def spans(self, article: Article, name: str) -> list[tuple[int, int]]:
        """Every matched word of field ``name`` (each word of a phrase on its own)."""
        matcher = self._matcher(article, name)
        return matcher.spans(getattr(article, name)) if matcher else []

    def occurrences(self, article: Article, name: str) -> list[tuple[int, int]]:
        """Every match of field ``name``, a phrase as one span from its first word to
        its last, in text order."""
        matcher = self._matcher(article, name)
        return matcher.occurrences(getattr(article, name)) if matcher else []
