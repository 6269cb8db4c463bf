"""The index on an OpenSearch cluster: the same commands, answers and JSON contract.

An index location ``http(s)://[user:password@]host:port/NAME`` names an alias NAME
on the cluster (credentials may also come from FOCAL_SEARCH_OPENSEARCH_USER /
_PASSWORD, a CA bundle from FOCAL_SEARCH_OPENSEARCH_CA). Extraction is ours (the
same readers and language detection); analysis is mirrored by an index template of
per-language analyzers (opensearch_index.py); queries are our parsed tree translated
by dsl.py; reindexing is opensearch_sync.py. Only these modules import the client
(the ``[opensearch]`` extra), and only when a command uses a cluster.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..analysis import ANALYZED, analyzed_language
from ..errors import (
    ArticleNotFound,
    ClusterAuthFailed,
    ClusterRejected,
    ClusterUnreachable,
    FocalSearchError,
    IndexIncompatible,
    IndexMissing,
    QuerySyntaxError,
)
from ..schema import SCHEMA_VERSION, TEXT_FIELDS, lang_field
from .dsl import Dsl, translate
from .opensearch_index import EXACT_COUNTS, pages_agg
from .opensearch_location import PASSWORD_ENV, USER_ENV, parse_location

if TYPE_CHECKING:
    from ..explore import Facet, Trend
    from ..highlight import Snippet
    from ..index import IndexStats, SyncReport
    from ..search import ArticleView, Filters, Hit, SearchResults


BULK_DOCS = 500  # documents per bulk request...
BULK_BYTES = 8 * 1024 * 1024  # ...and at most this many bytes
BULK_RETRIES = 6  # for items the cluster answers 429 (busy): backoff 1, 2, 4 ... 30 s
BULK_TIMEOUT = 120  # seconds one bulk request may take on a busy cluster
PAGE = 500  # hits fetched per request when every hit is asked for
CAPTURES_SHOWN = 100  # captures of one page fetched for a hit
# Markers around highlighted words in the whole-field highlights we ask for: from a
# private-use block, and checked against the stored text, so text can't forge one.
PRE, POST = "\ue000", "\ue001"


# -- the engine --------------------------------------------------------------


class OpenSearchEngine:
    """An index (alias) on an OpenSearch cluster; nothing is contacted until first use."""

    def __init__(self, url: str) -> None:
        self.location = parse_location(url)
        self.name = self.location.name
        self._client: Any = None
        self._langs: list[str] | None = None
        self._meta: dict[str, Any] | None = None
        self._parsers: dict[bool, Any] = {}

    def __enter__(self) -> OpenSearchEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def forget(self) -> None:
        """Drop what was learnt of the index (after a reindex changed it)."""
        self._meta = None
        self._langs = None
        self._parsers = {}

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- connection and errors --

    @property
    def client(self) -> Any:
        if self._client is None:
            try:
                from opensearchpy import OpenSearch
            except ImportError:
                raise FocalSearchError(
                    "an OpenSearch index needs the opensearch-py client",
                    hint="pip install 'focal-search[opensearch]'",
                ) from None

            loc = self.location
            self._client = OpenSearch(
                hosts=[{"host": loc.host, "port": loc.port, "scheme": loc.scheme}],
                http_auth=(loc.user, loc.password or "") if loc.user else None,
                use_ssl=loc.scheme == "https",
                verify_certs=loc.scheme == "https",
                ca_certs=loc.ca_certs,
                timeout=30,
                max_retries=2,
                retry_on_timeout=True,
            )
        return self._client

    @contextmanager
    def errors(self) -> Iterator[None]:
        """The client's exceptions as one-line errors that name the cluster, never a
        credential."""
        from opensearchpy import exceptions as ex

        where = self.location.display
        try:
            yield
        except ex.AuthenticationException:
            raise ClusterAuthFailed(
                f"OpenSearch at {where} refused the credentials",
                hint=f"check the user and password (in the URL or {USER_ENV}/{PASSWORD_ENV})",
            ) from None
        except ex.AuthorizationException as err:
            raise ClusterAuthFailed(
                f"OpenSearch at {where} does not allow this ({_reason(err)})",
                hint="ask for read (and, to reindex, write) rights on the index",
            ) from None
        except ex.NotFoundError as err:
            if "index_not_found" in str(getattr(err, "error", "")):
                raise IndexMissing(
                    f"no index {self.name!r} on OpenSearch at {where}",
                    hint="run `focal-search reindex` to build it",
                ) from None
            raise ClusterRejected(f"OpenSearch at {where}: {_reason(err)}") from None
        except ex.ConnectionError as err:
            raise ClusterUnreachable(
                f"cannot reach OpenSearch at {where} ({_connection_reason(err)})",
                hint="is the cluster running? (for tests: scripts/opensearch-cluster start)",
            ) from None
        except ex.TransportError as err:
            raise ClusterRejected(
                f"OpenSearch at {where} refused the request ({_reason(err)})"
            ) from None

    # -- reindex --

    def sync(self, corpus: Path, **options: Any) -> SyncReport:
        """Bring the index up to date with ``corpus`` (see opensearch_sync.sync)."""
        from .opensearch_sync import sync

        return sync(self, corpus, **options)

    def physical(self) -> list[str]:
        """The physical index(es) behind the name: an alias's, or the index itself."""
        from opensearchpy import exceptions as ex

        try:
            found = self.client.indices.get_alias(name=self.name)
            return sorted(found)
        except ex.NotFoundError:
            pass
        if self.client.indices.exists(index=self.name):
            return [self.name]
        return []

    def read_meta(self, target: str | None = None) -> dict[str, Any]:
        found = self.client.indices.get_mapping(index=target or self.name)
        for mapping in found.values():
            return dict(mapping.get("mappings", {}).get("_meta") or {})
        return {}

    # -- searching --

    @property
    def meta(self) -> dict[str, Any]:
        if self._meta is None:
            with self.errors():
                self._meta = self.read_meta()
            if self._meta.get("schema_version") != SCHEMA_VERSION:
                raise IndexIncompatible(
                    f"the index {self.name!r} on {self.location.display} has format "
                    f"{self._meta.get('schema_version', 'unknown')}; this focal-search needs "
                    f"format {SCHEMA_VERSION}",
                    hint="run `focal-search reindex --full` to rebuild it",
                )
        return self._meta

    @property
    def dedupe(self) -> bool:
        return bool(self.meta.get("duplicates"))

    def _search(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.errors():
            return dict(self.client.search(index=self.name, body=body))

    def _parser(self, any_words: bool) -> Any:
        if any_words not in self._parsers:
            from ..query import QueryParser
            from ..schema import build_schema

            self._schema = build_schema()
            self._parsers[any_words] = QueryParser(self._schema, self.langs(), any_words=any_words)
        return self._parsers[any_words]

    def langs(self) -> list[str]:
        """Analyzer languages present in the index (as the local Searcher finds them)."""
        if self._langs is None:
            present = self.meta.get("langs")
            if not isinstance(present, list):  # written by a reindex before they were kept
                found = self._search({"size": 0, "aggs": {"l": {"terms": {"field": "alang"}}}})
                present = [b["key"] for b in found["aggregations"]["l"]["buckets"]]
            self._langs = [lang for lang in ANALYZED if lang in present] or ["en"]
        return self._langs

    def _query(self, text: str, filters: Filters | None, any_words: bool) -> tuple[Any, Dsl]:
        """Our parsed tree for ``text`` and the DSL of it with the filters."""
        q = self._parser(any_words).parse(text)
        return q, self._with_filters(translate(q, self._schema), filters)

    def _with_filters(self, dsl: Dsl, filters: Filters | None) -> Dsl:
        narrowed = filters.query() if filters else None
        if narrowed is None:
            return dsl
        self._parser(False)  # the schema
        return {"bool": {"must": [dsl], "filter": [translate(narrowed, self._schema)]}}

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
        expand: bool = False,  # feedback re-ranking is the local engine's (expand.py)
    ) -> SearchResults:
        from ..query import unknown_fields
        from ..search import FEW_HITS, SORTS, Filters, SearchResults

        started = time.monotonic()
        if sort not in SORTS:
            raise QuerySyntaxError(f"unknown sort {sort!r}", hint=f"use one of: {', '.join(SORTS)}")
        filters = filters or Filters()
        q, dsl = self._query(text, filters, any_words)
        total, hits = self._run(
            dsl, limit=limit, offset=offset, sort=sort, snippets=snippets, highlight=q
        )
        found = SearchResults(
            query=text,
            parsed=str(q),
            total=total,
            offset=offset,
            hits=hits,
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
        _, dsl = self._query(text, filters, any_words)
        return self._total(dsl)

    def _total(self, dsl: Dsl) -> int:
        body: dict[str, Any] = {"size": 0, "query": dsl, "track_total_hits": True}
        if self.dedupe:
            body["aggs"] = pages_agg()
        found = self._search(body)
        if self.dedupe:
            return int(found["aggregations"]["pages"]["value"])
        return int(found["hits"]["total"]["value"])

    def _run(
        self,
        dsl: Dsl,
        *,
        limit: int | None,
        offset: int,
        sort: str = "relevance",
        snippets: bool = True,
        highlight: Any = None,
    ) -> tuple[int, Iterator[Hit]]:
        """The total and the hits (fetched page by page as they are consumed)."""
        body: dict[str, Any] = {"query": dsl, "track_total_hits": True}
        if sort != "relevance":
            order = "desc" if sort == "-date" else "asc"
            # Undated articles last in both directions, then by date; id breaks ties.
            body["sort"] = [{"undated": "asc"}, {"sort_date": order}, {"id": "asc"}]
        else:
            body["sort"] = [{"_score": "desc"}, {"id": "asc"}]
        highlighting = snippets and highlight is not None
        if self.dedupe:
            # One hit per page (which capture is shown is settled in _hits: inner hits
            # would cost one more search per hit).
            body["collapse"] = {"field": "canonical"}
            body["aggs"] = pages_agg()
        if highlighting:
            body["highlight"] = _highlight()
        first = min(limit, PAGE) if limit is not None else PAGE
        found = self._search({**body, "from": offset, "size": first})
        total = (
            int(found["aggregations"]["pages"]["value"])
            if self.dedupe
            else int(found["hits"]["total"]["value"])
        )
        wanted = max(0, total - offset) if limit is None else min(limit, max(0, total - offset))
        return total, self._hits(
            body, found, offset, wanted, scored=sort == "relevance", snippets=snippets
        )

    def _hits(
        self,
        body: dict[str, Any],
        found: dict[str, Any],
        offset: int,
        wanted: int,
        *,
        scored: bool,
        snippets: bool,
    ) -> Iterator[Hit]:
        given = 0
        page = found["hits"]["hits"]
        while given < wanted and page:
            batch = page[: wanted - given]
            captures, newest_ids = (
                self._captures_of(batch, body["query"]) if self.dedupe else ({}, {})
            )
            newest = self._newest(body, batch, newest_ids) if newest_ids else {}
            for raw in batch:
                given += 1
                shown = newest.get(raw["_id"], raw)
                yield self._hit(
                    raw, shown, offset + given, captures, scored=scored, snippets=snippets
                )
            if given >= wanted:
                return
            size = min(PAGE, wanted - given)
            page = self._search({**body, "from": offset + given, "size": size})["hits"]["hits"]

    def _newest(
        self, body: dict[str, Any], batch: list[dict[str, Any]], newest_ids: dict[str, str]
    ) -> dict[str, Any]:
        """For hits that are not their page's newest matching capture: that capture
        (with its highlights), by the hit's _id. Usually none; then no request."""
        wanted: dict[str, str] = {}
        for raw in batch:
            newest = newest_ids.get(raw["_source"]["canonical"])
            if newest is not None and newest != raw["_id"]:
                wanted[newest] = raw["_id"]
        if not wanted:
            return {}
        request: dict[str, Any] = {
            "query": {
                "bool": {"must": [body["query"]], "filter": [{"ids": {"values": list(wanted)}}]}
            },
            "size": len(wanted),
        }
        if "highlight" in body:
            request["highlight"] = body["highlight"]
        found = self._search(request)
        return {wanted[doc["_id"]]: doc for doc in found["hits"]["hits"]}

    def _hit(
        self,
        raw: dict[str, Any],
        shown: dict[str, Any],
        rank: int,
        captures: dict[str, list[Any]],
        *,
        scored: bool,
        snippets: bool,
    ) -> Hit:
        from ..highlight import lead_snippet
        from ..search import Hit

        stored = shown["_source"]
        marks = _spans(stored, shown.get("highlight") or {}) if snippets else {}
        passages = (
            _snippets(stored, marks) or lead_snippet("body", stored.get("body") or "")
            if snippets
            else []
        )
        mine = captures.get(stored["canonical"], [])
        return Hit(
            rank=rank,
            score=float(raw.get("_score") or 0.0) if scored else None,
            id=stored["id"],
            title=stored.get("title", ""),
            authors=list(stored.get("authors") or []),
            date=stored.get("date"),
            url=stored.get("url"),
            path=stored.get("path", stored["id"]),
            lang=stored.get("lang", "und"),
            kind=stored.get("kind", "article"),
            snippets=passages,
            title_highlights=marks.get("title", []),
            captures=max(1, len(mine)),
            capture_urls=list(dict.fromkeys(c.url for c in mine if c.url)),
        )

    def _captures_of(
        self, batch: list[dict[str, Any]], dsl: Dsl | None = None
    ) -> tuple[dict[str, list[Any]], dict[str, str]]:
        """Every capture of the pages of these hits, newest first; and, by page, the
        _id of its newest capture that matches ``dsl`` (the one a hit shows)."""
        from ..search import Capture

        keys = sorted({raw["_source"]["canonical"] for raw in batch})
        query: Dsl = {"terms": {"canonical": keys}}
        if dsl is not None:
            # A named clause that does not filter: matched_queries says which match.
            named = {"bool": {"filter": [dsl], "_name": "match"}}
            query = {"bool": {"filter": [query], "should": [named]}}
        found = self._search(
            {
                "size": CAPTURES_SHOWN * len(keys),
                "query": query,
                "_source": ["id", "url", "captured", "canonical"],
                "sort": [{"capture_time": "desc"}, {"id": "asc"}],
            }
        )
        out: dict[str, list[Any]] = {}
        newest: dict[str, str] = {}
        for hit in found["hits"]["hits"]:
            doc = hit["_source"]
            out.setdefault(doc["canonical"], []).append(
                Capture(doc["id"], doc.get("url"), doc.get("captured"))
            )
            if "match" in hit.get("matched_queries", ()):
                newest.setdefault(doc["canonical"], hit["_id"])
        for caps in out.values():
            caps.sort(key=lambda c: c.captured or "", reverse=True)
        return out, newest

    def _suggest(self, found: SearchResults) -> None:
        corrected = self._did_you_mean(found.query)
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

    def _did_you_mean(self, text: str) -> str | None:
        """Each word unknown to the archive replaced by its nearest known word (a term
        suggester over every word of titles and bodies, folded, not stemmed)."""
        from ..spelling import _OPERATORS, _QUERY_WORD, _same_case

        words = [
            m
            for m in _QUERY_WORD.finditer(text)
            if m.group(1) not in _OPERATORS and not any(ch.isdigit() for ch in m.group(1))
        ]
        if not words:
            return None
        suggest = {
            f"w{n}": {
                "text": m.group(1),
                "term": {
                    "field": "spell",
                    "suggest_mode": "missing",
                    "string_distance": "damerau_levenshtein",
                    "max_edits": 1 if len(m.group(1)) <= 4 else 2,
                    "prefix_length": 1,
                    "size": 1,
                    "sort": "score",
                },
            }
            for n, m in enumerate(words)
        }
        found = self._search({"size": 0, "suggest": suggest})
        out: list[str] = []
        last = 0
        for n, m in enumerate(words):
            entries = found.get("suggest", {}).get(f"w{n}", [])
            options = entries[0]["options"] if entries else []
            if not options:
                continue
            out.append(text[last : m.start(1)])
            out.append(_same_case(m.group(1), options[0]["text"]))
            last = m.end(1)
        if not out:
            return None
        out.append(text[last:])
        return "".join(out)

    # -- looking across the archive --

    def facets(
        self,
        text: str,
        names: list[str],
        top: int = 10,
        *,
        filters: Filters | None = None,
        any_words: bool = False,
    ) -> list[Facet]:
        from ..explore import FACETS, Facet

        unknown = [n for n in names if n not in FACETS]
        if unknown:
            raise ValueError(f"unknown facet {unknown[0]!r} (facets: {', '.join(FACETS)})")
        _, dsl = self._query(text, filters, any_words)
        fields = {"year": "year", "author": "author_names", "lang": "lang", "kind": "kind"}
        aggs: dict[str, Any] = {}
        for name in names:
            terms: dict[str, Any] = {"field": fields[name], "size": top, "shard_size": top * 20}
            if name == "lang":
                terms["missing"] = "und"
            aggs[name] = {"terms": terms, **({"aggs": pages_agg()} if self.dedupe else {})}
            aggs[f"{name}-missing"] = {
                "missing": {"field": fields[name]},
                **({"aggs": pages_agg()} if self.dedupe else {}),
            }
        found = self._search({"size": 0, "query": dsl, "aggs": aggs})["aggregations"]
        result = []
        for name in names:
            agg = found[name]
            counts = [
                (
                    f"{b['key']:04d}" if name == "year" else str(b["key"]),
                    _bucket_count(b, self.dedupe),
                )
                for b in agg["buckets"]
            ]
            missing = _bucket_count(found[f"{name}-missing"], self.dedupe)
            result.append(Facet(name, counts, int(agg.get("sum_other_doc_count", 0)), missing))
        return result

    def trend(
        self,
        queries: list[str],
        *,
        by: str = "year",
        filters: Filters | None = None,
        any_words: bool = False,
    ) -> Trend:
        from ..explore import PERIODS, Series, Trend, _span

        if by not in PERIODS:
            raise ValueError(f"unknown period {by!r} (use year or month)")
        date_field, fmt = ("pub_year", "yyyy") if by == "year" else ("pub_month", "yyyy-MM")
        histogram: dict[str, Any] = {
            "date_histogram": {
                "field": date_field,
                "calendar_interval": by,
                "format": fmt,
                "min_doc_count": 1,
            },
            **({"aggs": pages_agg()} if self.dedupe else {}),
        }
        aggs: dict[str, Any] = {
            "totals": histogram,
            "undated": {
                "missing": {"field": date_field},
                **({"aggs": pages_agg()} if self.dedupe else {}),
            },
        }
        for n, text in enumerate(queries):
            _, dsl = self._query(text, None, any_words)
            aggs[f"q{n}"] = {"filter": dsl, "aggs": {"periods": histogram}}
        everything = self._with_filters({"match_all": {}}, filters)
        found = self._search({"size": 0, "query": everything, "aggs": aggs})["aggregations"]

        def counts(agg: dict[str, Any]) -> dict[str, int]:
            return {b["key_as_string"]: _bucket_count(b, self.dedupe) for b in agg["buckets"]}

        totals = counts(found["totals"])
        series = [Series(q, counts(found[f"q{n}"]["periods"])) for n, q in enumerate(queries)]
        undated = _bucket_count(found["undated"], self.dedupe)
        periods, left_out = _span(sorted(totals), by)
        return Trend(by, periods, totals, series, undated, left_out)

    # -- single articles --

    def _stored(self, ref: str, corpus: Path | None) -> dict[str, Any]:
        from ..search import _lookup_keys

        for fieldname, value in _lookup_keys(ref, corpus):
            found = self._search(
                {"size": 1, "query": {"term": {fieldname: value}}, "sort": [{"id": "asc"}]}
            )
            hits = found["hits"]["hits"]
            if hits:
                return {**hits[0]["_source"], "_index": hits[0]["_index"], "_id": hits[0]["_id"]}
        raise ArticleNotFound(
            f"no article {ref!r} in the index",
            hint="use an id, path or URL printed by `focal-search query`",
        )

    def article(self, ref: str, corpus: Path | None = None) -> ArticleView:
        from ..search import ArticleView, Capture, Related, _article

        stored = self._stored(ref, corpus)
        captures = [Capture(stored["id"], stored.get("url"), stored.get("captured"))]
        if self.dedupe:
            captures = self._captures_of([{"_source": stored}])[0].get(
                stored["canonical"], captures
            )
        related: list[Related] = []
        if stored.get("pair_key"):
            seen = {stored["canonical"]}
            found = self._search(
                {
                    "size": 100,
                    "query": {"term": {"pair_key": stored["pair_key"]}},
                    "sort": [{"id": "asc"}],
                }
            )
            for hit in found["hits"]["hits"]:
                doc = hit["_source"]
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
        return ArticleView(article=_article(stored), captures=captures, translations=related)

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
        """Articles most like the one named by ``ref`` (a more-like-this query on its
        language's title and body), without itself, its captures and translations."""
        from ..search import SearchResults

        started = time.monotonic()
        stored = self._stored(ref, corpus)
        lang = analyzed_language(stored.get("lang"))
        like = {
            "more_like_this": {
                "fields": [lang_field("title", lang), lang_field("body", lang)],
                "like": [{"_index": stored["_index"], "_id": stored["_id"]}],
                "min_term_freq": 1,
                "min_doc_freq": 1,
                "max_query_terms": key_terms,
                # Any shared key term makes an article similar (the local engine ORs them).
                "minimum_should_match": "1",
            }
        }
        exclude: list[Dsl] = [{"term": {"canonical": stored["canonical"]}}]
        if stored.get("pair_key"):
            exclude.append({"term": {"pair_key": stored["pair_key"]}})
        dsl = {"bool": {"must": [like], "must_not": exclude}}
        total, hits = self._run(dsl, limit=limit, offset=offset, snippets=snippets, highlight=like)
        return SearchResults(
            query=f"similar to {stored['id']}",
            parsed=f"more_like_this({lang_field('body', lang)}, {stored['id']})",
            total=total,
            offset=offset,
            hits=hits,
            started=started,
        )

    def stats(self) -> IndexStats:
        from ..index import IndexStats

        meta = self.meta
        found = self._search(
            {
                "size": 0,
                "track_total_hits": True,
                "aggs": {
                    "years": {"terms": {"field": "year", "size": 10_000, "missing": 0}},
                    "langs": {"terms": {"field": "lang", "size": 1000, "missing": "und"}},
                    "authors": {
                        "cardinality": {
                            "field": "author_names",
                            "precision_threshold": EXACT_COUNTS,
                        }
                    },
                },
            }
        )
        aggs = found["aggregations"]
        years = {
            (f"{b['key']:04d}" if b["key"] else "undated"): int(b["doc_count"])
            for b in aggs["years"]["buckets"]
        }
        with self.errors():
            numbers = self.client.indices.stats(index=self.name, metric="store,segments")
        primaries = numbers["_all"]["primaries"]
        return IndexStats(
            articles=int(found["hits"]["total"]["value"]),
            by_year=dict(sorted(years.items())),
            by_lang={b["key"]: int(b["doc_count"]) for b in aggs["langs"]["buckets"]},
            authors=int(aggs["authors"]["value"]),
            size_bytes=int(primaries["store"]["size_in_bytes"]),
            segments=int(primaries["segments"]["count"]),
            created=meta.get("created"),
            last_reindex=meta.get("last_reindex"),
            corpus=meta.get("corpus"),
            index=self.location.display,
            schema_version=SCHEMA_VERSION,
        )


# -- helpers -----------------------------------------------------------------


def _bucket_count(bucket: dict[str, Any], dedupe: bool) -> int:
    if dedupe and "pages" in bucket:
        return int(bucket["pages"]["value"])
    return int(bucket["doc_count"])


def _highlight() -> dict[str, Any]:
    """Whole-field highlights (no fragments) with markers we strip into offsets."""
    fields: dict[str, Any] = {
        lang_field(name, lang): {} for lang in ANALYZED for name in TEXT_FIELDS
    }
    return {
        "type": "unified",
        "number_of_fragments": 0,
        "pre_tags": [PRE],
        "post_tags": [POST],
        "require_field_match": True,
        "fields": fields,
    }


def _spans(stored: dict[str, Any], highlight: dict[str, list[str]]) -> dict[str, list[Any]]:
    """Highlight markers turned into (start, end) spans of the stored texts."""
    out: dict[str, list[Any]] = {}
    for key, fragments in highlight.items():
        name = key.rsplit("_", 1)[0]
        if name not in TEXT_FIELDS or not fragments:
            continue
        spans = _unmark(fragments[0], stored.get(name) or "")
        if spans:
            out[name] = spans
    return out


def _unmark(marked: str, text: str) -> list[tuple[int, int]] | None:
    """Spans of the marked words, or None when the marked text is not ``text``."""
    spans: list[tuple[int, int]] = []
    plain: list[str] = []
    pos = 0
    start = None
    for ch in marked:
        if ch == PRE:
            start = pos
        elif ch == POST and start is not None:
            spans.append((start, pos))
            start = None
        else:
            plain.append(ch)
            pos += 1
    if "".join(plain) != text:
        return None
    return spans


def _snippets(stored: dict[str, Any], marks: dict[str, list[Any]]) -> list[Snippet]:
    from ..highlight import best_snippets
    from ..search import SNIPPETS_PER_HIT

    found: list[Snippet] = []
    for name in ("body", "bio"):
        text = stored.get(name) or ""
        if text and marks.get(name) and len(found) < SNIPPETS_PER_HIT:
            found.extend(best_snippets(name, text, marks[name], SNIPPETS_PER_HIT - len(found)))
    return found


def _reason(err: Any) -> str:
    info = getattr(err, "info", None)
    if isinstance(info, dict):
        error = info.get("error")
        if isinstance(error, dict):
            return f"{error.get('type', 'error')}: {error.get('reason', '')}"[:300]
    return str(getattr(err, "error", err))[:300]


def _connection_reason(err: Any) -> str:
    text = str(getattr(err, "info", "") or err)
    for known in ("Connection refused", "timed out", "Name or service not known", "SSL"):
        if known.lower() in text.lower():
            return known.lower()
    return "no answer"
