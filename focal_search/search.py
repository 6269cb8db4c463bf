"""Parse a query, rank the matching articles, and return hits with snippet spans.

Nothing here formats output: a Hit carries data and character offsets, and the
renderers in render/ decide how it looks.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import qparser, sorting
from whoosh import query as wq

from .analysis import ANALYZED, analyzed_language, is_stop_term, name_analyzer, stop_words
from .columns import column_rows
from .documents import Article
from .errors import ArticleNotFound, QuerySyntaxError
from .highlight import FieldMatcher, Snippet, best_snippets, lead_snippet, match_spec
from .index import FocalIndex
from .schema import FIELD_BOOSTS, QUERY_FIELDS, TEXT_FIELDS, date_range, lang_field
from .scoring import ArticleBM25F

SNIPPETS_PER_HIT = 3
SORTS = ("relevance", "date", "-date")
# Bounds on what one query may cost.
MAX_QUERY_CHARS = 10_000
MAX_QUERY_TERMS = 4_000  # after expansion into fields (≈ 1,000 words)
MIN_PATTERN_PREFIX = 2  # letters before a wildcard: "a*" would expand to half the lexicon
MAX_FUZZY_EDITS = 2
FEW_HITS = 3  # below this many hits, a did-you-mean suggestion is looked for
FIELD_ALIASES = {"author": ["authors", "by"]}
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


def build_parser(schema: Any, lang: str = "en", *, any_words: bool = False) -> qparser.QueryParser:
    """The query language, for articles analysed as ``lang``: AND by default (OR with
    ``any_words``), OR, NOT / -word, (), "phrases" and "proximity"~N, prefix*,
    fuzzy~ and fuzzy~2, fields, ranges. ``title:`` means that language's title field."""
    group = qparser.OrGroup if any_words else qparser.AndGroup
    names = {name: lang_field(name, lang) for name in TEXT_FIELDS}
    fields = [names["title"], "author", names["body"], names["bio"]]
    boosts = {names.get(name, name): boost for name, boost in FIELD_BOOSTS.items()}
    parser = qparser.MultifieldParser(fields, schema, fieldboosts=boosts, group=group)
    # "-word" negates like NOT, but only at the start of a word: "Mexico-Canada" stays.
    parser.replace_plugin(
        qparser.OperatorsPlugin(Not=r"(^|(?<=(\s|[()])))(NOT(?=\s)|-(?=[\w\"(]))")
    )
    aliases = {**FIELD_ALIASES, **{indexed: [name] for name, indexed in names.items()}}
    parser.add_plugin(qparser.FieldAliasPlugin(aliases))
    parser.add_plugin(qparser.FuzzyTermPlugin())
    parser.add_plugin(qparser.GtLtPlugin())
    return parser


class QueryParser:
    """Parses a query once per language present in the index and ORs the variants, so a
    query finds articles in every language: each language's stems and stop words."""

    def __init__(self, schema: Any, langs: list[str], *, any_words: bool = False) -> None:
        self.parsers = {lang: build_parser(schema, lang, any_words=any_words) for lang in langs}

    def parse(self, text: str) -> wq.Query:
        variants = [parse_query(parser, text, lang) for lang, parser in self.parsers.items()]
        return variants[0] if len(variants) == 1 else wq.Or(variants)


def parse_query(parser: qparser.QueryParser, text: str, lang: str = "en") -> wq.Query:
    """Parse ``text`` for one language; QuerySyntaxError when it cannot mean a search."""
    if not text.strip():
        raise QuerySyntaxError(
            "the query is empty", hint='try e.g. focal-search query "smart border"'
        )
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(
            f"the query is too long ({len(text):,} characters; the limit is {MAX_QUERY_CHARS:,})"
        )
    try:
        q = parser.parse(text, normalize=False)  # see _weigh_repeats
    except Exception as err:  # Whoosh raises assorted types on malformed input
        raise QuerySyntaxError(f"cannot parse query {text!r}: {err}") from err
    _raise_on_errors(q, text)
    _check_cost(q)
    without_stops = _drop_stop_words(q, lang)
    # A query of nothing but stop words ("The Who") keeps them rather than match nothing.
    kept = q if without_stops.normalize() is wq.NullQuery else without_stops
    return _weigh_repeats(kept)


def _weigh_repeats(q: wq.Query) -> wq.Query:
    """Normalise, keeping query-term frequency: Whoosh's normalize() merges repeated
    terms into one, so a word asked for three times would count once (long questions
    repeat their key words). Each surviving term's boost is multiplied by its count."""
    counts = Counter(
        (leaf.fieldname, leaf.text) for leaf in q.leaves() if isinstance(leaf, wq.Term)
    )
    normalized = q.normalize()
    if all(n == 1 for n in counts.values()):
        return normalized

    def weigh(node: wq.Query) -> wq.Query:
        if isinstance(node, wq.Term):
            repeats = counts.get((node.fieldname, node.text), 1)
            if repeats > 1:
                node = node.copy()
                node.boost *= repeats
            return node
        if node.is_leaf() or isinstance(node, (wq.Phrase, wq.Not)):
            return node
        return node.apply(weigh)

    return weigh(normalized)


class Searcher:
    """An open searcher over one index; reuse it for a batch of queries."""

    def __init__(self, index: FocalIndex) -> None:
        self.index = index
        self._searcher = index.whoosh.searcher(weighting=ArticleBM25F())
        schema = index.whoosh.schema
        reader = self._searcher.reader()
        langs = [
            lang
            for lang in ANALYZED
            if any(reader.field_length(lang_field(name, lang)) for name in TEXT_FIELDS)
        ] or ["en"]
        self._parsers = {
            False: QueryParser(schema, langs),
            True: QueryParser(schema, langs, any_words=True),
        }
        # Only an archive with several captures of a page pays for collapsing them.
        self._dedupe = bool(index.meta.get("duplicates"))
        self._matchers = {
            lang: {
                name: FieldMatcher(schema[lang_field(name, lang)].analyzer, set(), [])
                for name in _HIGHLIGHTED
            }
            for lang in langs
        }

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
    ) -> SearchResults:
        """Rank the articles matching ``text``; ``limit=None`` returns every hit.

        With ``suggest``, a query that finds few or nothing also gets a did-you-mean
        and (for an AND query that finds nothing) the count of its OR form. Without
        ``snippets``, hits carry no passages (for lists, counts and evaluations).
        """
        started = time.monotonic()
        if sort not in SORTS:
            raise QuerySyntaxError(f"unknown sort {sort!r}", hint=f"use one of: {', '.join(SORTS)}")
        filters = filters or Filters()
        q = self._parsers[any_words].parse(text)
        runnable = prune(q, self._searcher.reader())
        wanted = None if limit is None else offset + limit
        results = self._run(runnable, filters, limit=wanted, sort=sort)
        found = SearchResults(
            query=text,
            parsed=str(q),
            total=self._total(results, filters.query()),
            offset=offset,
            hits=self._hits(q, results, offset, scored=sort == "relevance", snippets=snippets),
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
        q = prune(self._parsers[any_words].parse(text), self._searcher.reader())
        filters = filters or Filters()
        return self._total(self._run(q, filters, limit=1), filters.query())

    def _run(
        self, q: wq.Query, filters: Filters, *, limit: int | None, sort: str = "relevance"
    ) -> Any:
        options: dict[str, Any] = {
            # No block-quality skipping: every match is scored once and counted in the
            # same pass. With skipping, Whoosh re-runs the whole query to count
            # (measured: 2x slower overall).
            "optimize": False,
            "limit": limit,
            "filter": filters.query(),
            "sortedby": _sort_facet(sort),
        }
        if self._dedupe:
            options.update(
                collapse="canonical",
                collapse_limit=1,
                collapse_order=sorting.FieldFacet("capture_time", reverse=True),
            )
        return self._searcher.search(q, **options)

    def _total(self, results: Any, filter: Any) -> int:
        """Matching articles, a page captured several times counted once. (Whoosh's
        own counts are not exact once results are collapsed, and its results.docs()
        re-runs the query without the filter.)"""
        if not self._dedupe:
            return len(results)
        return len(self._all_docs(results.q, filter, None))

    def _all_docs(self, q: wq.Query, filter: Any, mask: Any) -> list[int]:
        """Every matching document, one per page when a page has several captures."""
        found = self._searcher.search(q, limit=None, filter=filter, mask=mask, scored=False)
        docs = sorted(found.docs())
        if not self._dedupe:
            return docs
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
        q = prune(self._parsers[any_words].parse(text), self._searcher.reader())
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
        options: dict[str, Any] = {"optimize": False, "limit": wanted, "mask": mask}
        if self._dedupe:
            options.update(
                collapse="canonical",
                collapse_limit=1,
                collapse_order=sorting.FieldFacet("capture_time", reverse=True),
            )
        results = self._searcher.search(q, **options)
        total = len(self._all_docs(q, None, mask)) if self._dedupe else len(results)
        return SearchResults(
            query=f"similar to {stored['id']}",
            parsed=str(q),
            total=total,
            offset=offset,
            hits=self._hits(q, results, offset, scored=True, snippets=snippets),
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
        self, q: wq.Query, results: Any, offset: int, *, scored: bool, snippets: bool
    ) -> Iterator[Hit]:
        spec = match_spec(
            q,
            self._searcher.reader(),
            [lang_field(n, lang) for lang in self._matchers for n in _HIGHLIGHTED],
        )
        matchers = {
            lang: {
                name: matcher.with_query(
                    spec.terms.get(lang_field(name, lang), set()),
                    spec.phrases.get(lang_field(name, lang), []),
                )
                for name, matcher in by_name.items()
            }
            for lang, by_name in self._matchers.items()
        }
        fallback = next(iter(matchers.values()))
        for rank, hit in enumerate(results[offset:], start=offset + 1):
            stored = hit.fields()
            by_field = matchers.get(analyzed_language(stored.get("lang")), fallback)
            captures = self._captures(stored) if self._dedupe else []
            yield Hit(
                rank=rank,
                score=float(hit.score or 0.0) if scored else None,
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
            )


def prune(q: wq.Query, reader: Any) -> wq.Query:
    """Drop the parts of a query that no document can match, before Whoosh builds a
    matcher for each: a word is looked up in every language's title, body and bio
    fields and the author field, and most of those lookups find nothing."""
    pruned = _prune(q, reader)
    return wq.NullQuery if pruned is None else pruned


def _prune(q: wq.Query, reader: Any) -> wq.Query | None:
    """The query without its unmatchable parts; None when it cannot match at all."""
    if isinstance(q, wq.Term):
        return q if reader.doc_frequency(q.fieldname, q.text) else None
    if isinstance(q, wq.Phrase):
        present = all(reader.doc_frequency(q.fieldname, w) for w in q.words)
        return q if present else None
    if isinstance(q, wq.Not):
        inner = _prune(q.query, reader)
        return wq.Every() if inner is None else wq.Not(inner, boost=q.boost)
    if isinstance(q, wq.And):
        kept = []
        for child in q.subqueries:
            pruned = _prune(child, reader)
            if pruned is None:
                return None  # one required part can never match
            if not isinstance(pruned, wq.Every):  # NOT <nothing>: no constraint
                kept.append(pruned)
        return wq.And(kept, boost=q.boost) if kept else wq.Every()
    if isinstance(q, wq.Or):
        kept = [p for p in (_prune(c, reader) for c in q.subqueries) if p is not None]
        if not kept:
            return None
        return kept[0] if len(kept) == 1 and q.boost == 1 else wq.Or(kept, boost=q.boost)
    return q  # prefixes, ranges, fuzzy terms...: Whoosh expands them against the index


def unknown_fields(text: str) -> list[str]:
    """A warning for each "name:" in the query that is not a field (it is searched as words)."""
    known = set(QUERY_FIELDS) | {a for aliases in FIELD_ALIASES.values() for a in aliases}
    unquoted = re.sub(r'"[^"]*"', " ", text)
    names = dict.fromkeys(re.findall(r"(?<![\w:])([A-Za-z_]\w*):(?=\S)", unquoted))
    return [
        f"{name}: is not a field, so it was searched as words (fields: {', '.join(QUERY_FIELDS)})"
        for name in names
        if name.lower() not in known
    ]


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


def _check_cost(q: wq.Query) -> None:
    """Refuse patterns that would expand to a large part of the vocabulary."""
    leaves = [q] if q.is_leaf() else list(q.leaves())
    if len(leaves) > MAX_QUERY_TERMS:
        raise QuerySyntaxError(f"the query has too many terms (the limit is {MAX_QUERY_TERMS})")
    for leaf in leaves:
        if isinstance(leaf, (wq.Prefix, wq.Wildcard)):
            literal = re.split(r"[*?\[]", str(leaf.text), maxsplit=1)[0]
            if len(literal) < MIN_PATTERN_PREFIX:
                raise QuerySyntaxError(
                    f"{leaf.text!r}: a wildcard needs at least {MIN_PATTERN_PREFIX} letters "
                    "before * or ?",
                    hint="e.g. migra*",
                )
        if isinstance(leaf, wq.FuzzyTerm) and leaf.maxdist > MAX_FUZZY_EDITS:
            raise QuerySyntaxError(
                f"{leaf.text!r}~{leaf.maxdist}: fuzzy terms allow at most {MAX_FUZZY_EDITS} edits"
            )


def _raise_on_errors(q: wq.Query, text: str) -> None:
    for node in [q, *q.leaves()] if not q.is_leaf() else [q]:
        error = getattr(node, "error", None)
        if error:
            raise QuerySyntaxError(f"invalid query {text!r}: {error}")


def _drop_stop_words(q: wq.Query, lang: str) -> wq.Query:
    """Remove stop-word terms, except inside phrases (they are whole Phrase nodes)."""
    if isinstance(q, wq.Term) and _is_stop(q.fieldname, q.text, lang):
        return wq.NullQuery
    if q.is_leaf() or isinstance(q, wq.Phrase):
        return q
    return q.apply(lambda child: _drop_stop_words(child, lang))


def _is_stop(fieldname: str, text: Any, lang: str) -> bool:
    stemmed = fieldname in {lang_field(name, lang) for name in TEXT_FIELDS}
    if not stemmed and fieldname != "author":
        return False  # ids, dates, numbers (whose terms are encoded bytes) are never stops
    word = text.decode("utf-8") if isinstance(text, bytes) else str(text)
    return is_stop_term(word, lang) if stemmed else word in stop_words(lang)
