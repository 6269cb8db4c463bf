"""The index on an OpenSearch cluster: the same commands, answers and JSON contract.

An index location ``http(s)://[user:password@]host:port/NAME`` names an alias NAME
on the cluster (credentials may also come from FOCAL_SEARCH_OPENSEARCH_USER /
_PASSWORD, a CA bundle from FOCAL_SEARCH_OPENSEARCH_CA). Extraction is ours (the
same readers and language detection); analysis is mirrored by an index template of
per-language analyzers; queries are our parsed tree translated by dsl.py. A full
rebuild fills a new physical index and moves the alias to it in one request.
This is the only module that imports the client (the ``[opensearch]`` extra).
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from ..analysis import ANALYZED, WORD_PATTERN, analyzed_language
from ..documents import Article, month_key
from ..errors import (
    ArticleNotFound,
    ClusterAuthFailed,
    ClusterRejected,
    ClusterUnreachable,
    CorpusMissing,
    FocalSearchError,
    IndexIncompatible,
    IndexMissing,
    QuerySyntaxError,
)
from ..schema import SCHEMA_VERSION, TEXT_FIELDS, lang_field
from .dsl import Dsl, translate

if TYPE_CHECKING:
    from ..explore import Facet, Trend
    from ..highlight import Snippet
    from ..index import IndexStats, SyncReport
    from ..search import ArticleView, Filters, Hit, SearchResults

USER_ENV = "FOCAL_SEARCH_OPENSEARCH_USER"
PASSWORD_ENV = "FOCAL_SEARCH_OPENSEARCH_PASSWORD"
CA_ENV = "FOCAL_SEARCH_OPENSEARCH_CA"
SHARDS_ENV = "FOCAL_SEARCH_OPENSEARCH_SHARDS"  # primaries of a new index (default 1)
REPLICAS_ENV = "FOCAL_SEARCH_OPENSEARCH_REPLICAS"  # copies of each shard (default 1)

BULK_DOCS = 500  # documents per bulk request...
BULK_BYTES = 8 * 1024 * 1024  # ...and at most this many bytes
BULK_RETRIES = 6  # for items the cluster answers 429 (busy): backoff 1, 2, 4 ... 30 s
PAGE = 500  # hits fetched per request when every hit is asked for
MAX_ID_BYTES = 512  # OpenSearch's limit on a document _id
KEYWORD_LIMIT = 8191  # longer keyword values (a giant URL) are kept but not indexed
EXACT_COUNTS = 40_000  # cardinality counts pages exactly up to this many
CAPTURES_SHOWN = 100  # captures of one page fetched for a hit
# Markers around highlighted words in the whole-field highlights we ask for: from a
# private-use block, and checked against the stored text, so text can't forge one.
PRE, POST = "\ue000", "\ue001"
STEMMERS = {"en": "English", "fr": "French", "es": "Spanish"}


# -- where the index is ------------------------------------------------------


@dataclass(frozen=True)
class ClusterLocation:
    """An index URL taken apart; ``display`` never holds a credential."""

    scheme: str
    host: str
    port: int
    name: str
    user: str | None
    password: str | None
    ca_certs: str | None

    @property
    def display(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}/{self.name}"


def parse_location(url: str) -> ClusterLocation:
    """``http(s)://[user:password@]host[:port]/NAME`` -> its parts (env vars fill in
    the credentials and CA bundle); FocalSearchError naming what is wrong."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as err:
        raise FocalSearchError(
            f"invalid OpenSearch URL {_mask(url)!r}: {err}",
            hint="spell it http://HOST:9200/INDEX",
        ) from None
    scheme = parts.scheme.lower()
    name = parts.path.strip("/")
    if scheme not in ("http", "https") or not parts.hostname:
        raise FocalSearchError(
            f"invalid OpenSearch URL {_mask(url)!r}", hint="spell it http://HOST:9200/INDEX"
        )
    if not name:
        raise FocalSearchError(
            f"the OpenSearch URL {_mask(url)!r} names no index",
            hint="add the index name: http://HOST:9200/focal",
        )
    bad = set('\\/*?"<>| ,#:') & set(name)
    if bad or name != name.lower() or name.startswith(("-", "_", "+")) or name in (".", ".."):
        raise FocalSearchError(
            f"{name!r} is not a valid OpenSearch index name",
            hint="use lowercase letters, digits, - and _ (e.g. focal)",
        )
    user = unquote(parts.username) if parts.username else os.environ.get(USER_ENV) or None
    password = unquote(parts.password) if parts.password else os.environ.get(PASSWORD_ENV) or None
    return ClusterLocation(
        scheme=scheme,
        host=parts.hostname,
        port=port or 9200,
        name=name,
        user=user,
        password=password,
        ca_certs=os.environ.get(CA_ENV) or None,
    )


def _mask(url: str) -> str:
    """The URL with any password replaced, for messages."""
    head, sep, rest = url.partition("://")
    if not sep or "@" not in rest.split("/", 1)[0]:
        return url
    userinfo, _, host = rest.partition("@")
    user = userinfo.split(":", 1)[0]
    return f"{head}://{user}:***@{host}"


def part_of(source: str, part: tuple[int, int]) -> bool:
    """Whether a corpus file belongs to share K of N (1-based): a stable hash of its
    path relative to the corpus, so every machine splits the corpus the same way."""
    k, n = part
    digest = hashlib.sha1(source.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") % n == k - 1


# -- the index ---------------------------------------------------------------


def index_body(shards: int = 1, replicas: int = 1) -> dict[str, Any]:
    """Settings and mappings of a focal-search index: our analyzers, our fields."""
    fold = ["lowercase", "focal_possessive"]
    analyzers: dict[str, Any] = {
        f"focal_{lang}": {
            "type": "custom",
            "char_filter": ["focal_fold"],
            "tokenizer": "focal_words",
            "filter": fold + ([f"focal_stem_{lang}"] if lang in STEMMERS else []),
        }
        for lang in ANALYZED
    }
    analyzers["focal_names"] = {
        "type": "custom",
        "char_filter": ["focal_fold"],
        "tokenizer": "focal_words",
        "filter": fold,
    }
    keyword = {"type": "keyword", "ignore_above": KEYWORD_LIMIT}
    stored_only = {"type": "keyword", "index": False, "doc_values": False}
    properties: dict[str, Any] = {
        "id": {"type": "keyword"},
        "source": {"type": "keyword"},
        "fingerprint": {"type": "keyword"},
        "path": stored_only,
        "title": {"type": "text", "index": False},
        "body": {"type": "text", "index": False},
        "bio": {"type": "text", "index": False},
        "author": {"type": "text", "analyzer": "focal_names", "index_options": "offsets"},
        "authors": stored_only,
        "author_names": keyword,
        "url": keyword,
        "canonical": {"type": "keyword"},
        "captured": keyword,
        "capture_time": {"type": "long"},
        "pair_key": keyword,
        "date": {"type": "keyword"},
        "year": {"type": "integer"},
        "sort_date": {"type": "integer"},
        "undated": {"type": "byte"},
        "lang": {"type": "keyword"},
        "alang": {"type": "keyword"},  # the analyzer language: which fields hold the text
        # Dates as dates, for the trend's histograms: a year alone counts for that year
        # but not for any month.
        "pub_year": {"type": "date", "format": "yyyy"},
        "pub_month": {"type": "date", "format": "yyyy-MM"},
        # Every word of titles and bodies, folded but not stemmed: did-you-mean offers
        # real words from here.
        "spell": {"type": "text", "analyzer": "focal_names"},
    }
    for lang in ANALYZED:
        for name in TEXT_FIELDS:
            properties[lang_field(name, lang)] = {
                "type": "text",
                "analyzer": f"focal_{lang}",
                # Offsets in the postings: exact, fast highlighting of long bodies.
                "index_options": "offsets",
                **({"copy_to": "spell"} if name != "bio" else {}),
            }
    return {
        "settings": {
            "number_of_shards": shards,
            "number_of_replicas": replicas,
            "index.max_result_window": 1_000_000,
            "index.highlight.max_analyzed_offset": 16 * 1024 * 1024,
            # BM25 with our k1 and b (scoring.py); field weights ride on the query.
            "similarity": {"default": {"type": "BM25", "k1": 1.6, "b": 0.75}},
            "analysis": {
                # Our accent folding, character for character (Lucene's asciifolding
                # differs: ß -> ss, æ -> ae); folding before or after splitting words gives
                # the same words, as no word character folds to a non-word one.
                "char_filter": {"focal_fold": {"type": "mapping", "mappings": _fold_rules()}},
                "tokenizer": {
                    "focal_words": {"type": "pattern", "pattern": _java_pattern(), "group": 0}
                },
                "filter": {
                    "focal_possessive": {
                        "type": "pattern_replace",
                        "pattern": "^(.+)['’]s$",
                        "replacement": "$1",
                    },
                    **{
                        f"focal_stem_{lang}": {"type": "snowball", "language": language}
                        for lang, language in STEMMERS.items()
                    },
                },
                "analyzer": analyzers,
            },
        },
        "mappings": {"dynamic": "strict", "properties": properties},
    }


# What Python's \w matches in str (letters, digits of every kind, "_"), spelled for Java,
# whose \w and \b differ (ASCII-only, or marks included, depending on flags and version).
_JAVA_WORD = r"[\p{L}\p{N}_]"


def _java_pattern() -> str:
    """analysis.WORD_PATTERN with the same meaning in Java's regex dialect."""
    pattern = WORD_PATTERN.replace(r"\b", f"(?!{_JAVA_WORD})")
    return pattern.replace(r"\w", _JAVA_WORD)


def _fold_rules() -> list[str]:
    """Whoosh's accent_map (ours) as mapping rules, for word characters only (the
    others never reach our folding: they are not part of any word)."""
    from whoosh.support.charset import accent_map

    rules = []
    for code, folded in sorted(accent_map.items()):
        char = chr(code)
        if (char.isalnum() or char == "_") and folded and folded != char:
            rules.append(f"{_escape(char)} => {_escape(folded)}")
    return rules


def _escape(text: str) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in text)


def document(article: Article, source: str, fingerprint: str) -> dict[str, Any]:
    """One article as an OpenSearch document (the fields of schema.py, plus dates)."""
    from ..extract.location import canonical_url, pair_key

    lang = analyzed_language(article.lang)
    canonical = canonical_url(article.url) if article.url else article.id
    if len(canonical.encode("utf-8", "replace")) > KEYWORD_LIMIT // 4:
        canonical = "sha1:" + hashlib.sha1(canonical.encode("utf-8", "replace")).hexdigest()
    doc: dict[str, Any] = {
        "id": article.id,
        "source": source,
        "fingerprint": fingerprint,
        "path": article.path,
        "title": article.title,
        "body": article.body,
        "bio": article.bio,
        lang_field("title", lang): article.title,
        lang_field("body", lang): article.body,
        lang_field("bio", lang): article.bio,
        "author": "\n".join(article.authors),
        "authors": list(article.authors),
        "author_names": list(article.authors),
        "lang": article.lang,
        "alang": lang,
        "canonical": canonical,
        "undated": 0 if article.date else 1,
        "sort_date": month_key(article.date),
        "capture_time": _epoch(article.captured),
    }
    pair = pair_key(article.url or article.id)
    if pair:
        doc["pair_key"] = pair
    if article.captured:
        doc["captured"] = article.captured
    if article.url:
        doc["url"] = article.url
    if article.date:
        doc["date"] = article.date
        doc["year"] = article.year
        doc["pub_year"] = article.date[:4]
        if len(article.date) >= 7:
            doc["pub_month"] = article.date[:7]
    return doc


def doc_id(article_id: str) -> str:
    """The document _id: the article id, or its hash when too long for one."""
    raw = article_id.encode("utf-8", "replace")
    return article_id if len(raw) <= MAX_ID_BYTES else "sha1:" + hashlib.sha1(raw).hexdigest()


def _epoch(stamp: str | None) -> int:
    if not stamp:
        return 0
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0, int(moment.timestamp()))


# -- the engine --------------------------------------------------------------


@dataclass
class _Source:
    fingerprint: str
    ids: set[str] = field(default_factory=set)


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
    def _errors(self) -> Iterator[None]:
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
        """Bring the index up to date with ``corpus``: incremental by file
        fingerprints, or (``full``, or no index yet) a new physical index swapped in
        behind the alias. ``part`` (K, N) handles only share K of N of the files."""
        from ..extract import walk_corpus
        from ..index import SyncReport

        started = time.monotonic()
        if not corpus.is_dir():
            raise CorpusMissing(
                f"corpus folder {corpus} does not exist"
                if not corpus.exists()
                else f"corpus {corpus} is not a folder",
                hint="pass --corpus DIR or set FOCAL_SEARCH_CORPUS",
            )
        if full and part is not None:
            raise FocalSearchError(
                "--full rebuilds the whole index, so it cannot take --part",
                hint="run the parts as incremental reindexes (the first creates the index)",
            )
        with self._errors():
            current = self._physical()
            if current and not full:
                found = self._read_meta(current[0]).get("schema_version")
                if found != SCHEMA_VERSION:
                    if part is not None:
                        raise IndexIncompatible(
                            f"the index {self.name!r} has format {found}; this focal-search "
                            f"writes format {SCHEMA_VERSION}",
                            hint="rebuild it once with `focal-search reindex --full` (no --part)",
                        )
                    if on_notice:
                        on_notice(
                            f"the index {self.name!r} has format {found}, this focal-search "
                            f"writes format {SCHEMA_VERSION}; rebuilding it from scratch"
                        )
                    full = True
            full = full or not current
            report = SyncReport(full=full)

            def skip(path: Path, reason: str) -> None:
                report.skipped.append((str(path), reason))
                if on_skip:
                    on_skip(str(path), reason)

            files = [
                f for f in walk_corpus(corpus, on_error=skip) if part is None or part_of(f.id, part)
            ]
            if full:
                target = self._create_physical()
                indexed: dict[str, _Source] = {}
            else:
                target = current[0]
                indexed = {
                    s: src
                    for s, src in self._indexed_sources(target).items()
                    if part is None or part_of(s, part)
                }
            seen = {f.id for f in files}
            todo = [f for f in files if _stamp(indexed.get(f.id)) != f.stamp]
            changed = {f.id for f in todo}
            report.unchanged = sum(
                len(indexed[f.id].ids) for f in files if f.id in indexed and f.id not in changed
            )
            gone = [s for s in indexed if s not in seen]
            try:
                rejected = self._apply(
                    target, todo, gone, indexed, report, skip, on_warning, on_progress
                )
                self.client.indices.put_settings(
                    index=target, body={"index": {"refresh_interval": "1s"}}
                )
                self.client.indices.refresh(index=target)
                if optimize:
                    self.client.indices.forcemerge(
                        index=target, max_num_segments=1, request_timeout=3600
                    )
                report.articles, duplicates = self._counts(target)
                self._write_meta(target, corpus, duplicates, created=full)
                if full:
                    self._swap(target, current)
            except BaseException:
                if full:
                    self.client.indices.delete(index=target, ignore_unavailable=True)
                raise
        report.seconds = time.monotonic() - started
        if rejected:
            first_id, first_reason = rejected[0]
            raise ClusterRejected(
                f"the cluster rejected {len(rejected)} document"
                f"{'s' if len(rejected) != 1 else ''} (first: {first_id!r}: {first_reason}); "
                "their files will be read again by the next reindex",
                hint="fix the cause above, then run `focal-search reindex` again",
            )
        return report

    def _apply(
        self,
        target: str,
        todo: list[Any],
        gone: list[str],
        indexed: dict[str, _Source],
        report: SyncReport,
        skip: Callable[[Path, str], None],
        on_warning: Callable[[str, str], None] | None,
        on_progress: Callable[[int, int], None] | None,
    ) -> list[tuple[str, str]]:
        """Send every change in bounded bulk requests; the rejected (id, reason)s."""
        from opensearchpy.helpers import streaming_bulk

        owner: dict[str, str] = {}  # _id -> source file, to name a rejected document

        def actions() -> Iterator[dict[str, Any]]:
            from ..extract import ReadLog, SkipFile, load_source

            for done, file in enumerate(todo, 1):
                old = indexed.get(file.id)
                log = ReadLog()
                new_ids: set[str] = set()
                sha = None
                try:
                    sha, articles = load_source(file, log)
                    for article in _guarded(articles):
                        if article.id in new_ids:
                            log.skip("repeated record")
                            continue
                        new_ids.add(article.id)
                        _id = doc_id(article.id)
                        owner[_id] = file.id
                        yield {
                            "_op_type": "index",
                            "_index": target,
                            "_id": _id,
                            "_source": document(article, file.id, f"{file.stamp}:{sha}"),
                        }
                except SkipFile as why:
                    skip(file.path, str(why))
                for stale in (old.ids if old else set()) - new_ids:
                    yield {"_op_type": "delete", "_index": target, "_id": doc_id(stale)}
                _count(report, old, new_ids, same=old is not None and _sha(old) == sha)
                report.records_skipped.update(log.skipped)
                for warning in log.warnings:
                    report.warnings.append((str(file.path), warning))
                    if on_warning:
                        on_warning(str(file.path), warning)
                if on_progress:
                    on_progress(done, len(todo))
            for source in gone:
                for stale in indexed[source].ids:
                    yield {"_op_type": "delete", "_index": target, "_id": doc_id(stale)}
                report.removed += len(indexed[source].ids)

        rejected: list[tuple[str, str]] = []
        failed_sources: set[str] = set()
        self.client.indices.put_settings(index=target, body={"index": {"refresh_interval": "-1"}})
        for ok, item in streaming_bulk(
            self.client,
            actions(),
            chunk_size=BULK_DOCS,
            max_chunk_bytes=BULK_BYTES,
            raise_on_error=False,
            max_retries=BULK_RETRIES,
            initial_backoff=1,
            max_backoff=30,
            yield_ok=False,
        ):
            op, result = next(iter(item.items()))
            if ok or (op == "delete" and result.get("status") == 404):
                continue
            reason = _item_reason(result)
            source = owner.get(result.get("_id", ""), "")
            rejected.append((result.get("_id", "?"), reason))
            if source:
                failed_sources.add(source)
                skip(Path(source), f"rejected by the cluster: {reason}")
        if failed_sources:
            # Drop what was written of those files, so the next reindex reads them again.
            self.client.delete_by_query(
                index=target,
                body={"query": {"terms": {"source": sorted(failed_sources)}}},
                refresh=True,
                conflicts="proceed",
            )
        return rejected

    def _physical(self) -> list[str]:
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

    def _create_physical(self) -> str:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
        target = f"{self.name}-{stamp}-{uuid.uuid4().hex[:6]}"
        body = index_body(shards=_env_int(SHARDS_ENV, 1), replicas=_env_int(REPLICAS_ENV, 1))
        body["mappings"]["_meta"] = {"schema_version": SCHEMA_VERSION, "building": True}
        self.client.indices.create(index=target, body=body)
        return target

    def _swap(self, target: str, previous: list[str]) -> None:
        """Point the alias at ``target`` in one request, then drop the old indexes.
        A concrete index of that name (not an alias) is removed in the same step."""
        actions: list[dict[str, Any]] = []
        for old in previous:
            if old == self.name:
                actions.append({"remove_index": {"index": old}})
            else:
                actions.append({"remove": {"index": old, "alias": self.name}})
        actions.append({"add": {"index": target, "alias": self.name}})
        self.client.indices.update_aliases(body={"actions": actions})
        for old in previous:
            if old != self.name:
                self.client.indices.delete(index=old, ignore_unavailable=True)

    def _indexed_sources(self, target: str) -> dict[str, _Source]:
        """source -> fingerprint and article ids, as the index holds them."""
        from opensearchpy.helpers import scan

        sources: dict[str, _Source] = {}
        for hit in scan(
            self.client,
            index=target,
            query={"query": {"match_all": {}}, "_source": ["id", "source", "fingerprint"]},
            size=2000,
        ):
            doc = hit["_source"]
            entry = sources.setdefault(doc["source"], _Source(doc["fingerprint"]))
            entry.ids.add(doc["id"])
        return sources

    def _counts(self, target: str) -> tuple[int, int]:
        found = self.client.search(
            index=target,
            body={
                "size": 0,
                "track_total_hits": True,
                "aggs": _pages_agg(),
            },
        )
        total = int(found["hits"]["total"]["value"])
        return total, total - int(found["aggregations"]["pages"]["value"])

    def _write_meta(self, target: str, corpus: Path, duplicates: int, *, created: bool) -> None:
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        meta = {} if created else dict(self._read_meta(target))
        meta.pop("building", None)
        meta.update(
            schema_version=SCHEMA_VERSION,
            corpus=str(corpus.resolve()),
            last_reindex=now,
            duplicates=duplicates,
        )
        meta.setdefault("created", now)
        self.client.indices.put_mapping(index=target, body={"_meta": meta})
        self._meta = None

    def _read_meta(self, target: str | None = None) -> dict[str, Any]:
        found = self.client.indices.get_mapping(index=target or self.name)
        for mapping in found.values():
            return dict(mapping.get("mappings", {}).get("_meta") or {})
        return {}

    # -- searching --

    @property
    def meta(self) -> dict[str, Any]:
        if self._meta is None:
            with self._errors():
                self._meta = self._read_meta()
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
        with self._errors():
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
            found = self._search({"size": 0, "aggs": {"l": {"terms": {"field": "alang"}}}})
            present = {b["key"] for b in found["aggregations"]["l"]["buckets"]}
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
            body["aggs"] = _pages_agg()
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
            # One hit per page, showing its newest matching capture.
            newest: dict[str, Any] = {
                "name": "newest",
                "size": 1,
                "sort": [{"capture_time": "desc"}],
            }
            if highlighting:
                newest["highlight"] = _highlight()
            body["collapse"] = {"field": "canonical", "inner_hits": newest}
            body["aggs"] = _pages_agg()
        elif highlighting:
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
            captures = self._captures_of(batch) if self.dedupe else {}
            for raw in batch:
                given += 1
                yield self._hit(raw, offset + given, captures, scored=scored, snippets=snippets)
            if given >= wanted:
                return
            size = min(PAGE, wanted - given)
            page = self._search({**body, "from": offset + given, "size": size})["hits"]["hits"]

    def _hit(
        self,
        raw: dict[str, Any],
        rank: int,
        captures: dict[str, list[Any]],
        *,
        scored: bool,
        snippets: bool,
    ) -> Hit:
        from ..highlight import lead_snippet
        from ..search import Hit

        shown = raw
        inner = raw.get("inner_hits", {}).get("newest", {}).get("hits", {}).get("hits")
        if inner:
            shown = inner[0]
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
            snippets=passages,
            title_highlights=marks.get("title", []),
            captures=max(1, len(mine)),
            capture_urls=list(dict.fromkeys(c.url for c in mine if c.url)),
        )

    def _captures_of(self, batch: list[dict[str, Any]]) -> dict[str, list[Any]]:
        """Every capture of the pages of these hits, newest first."""
        from ..search import Capture

        keys = sorted({raw["_source"]["canonical"] for raw in batch})
        found = self._search(
            {
                "size": CAPTURES_SHOWN * len(keys),
                "query": {"terms": {"canonical": keys}},
                "_source": ["id", "url", "captured", "canonical"],
                "sort": [{"capture_time": "desc"}, {"id": "asc"}],
            }
        )
        out: dict[str, list[Any]] = {}
        for hit in found["hits"]["hits"]:
            doc = hit["_source"]
            out.setdefault(doc["canonical"], []).append(
                Capture(doc["id"], doc.get("url"), doc.get("captured"))
            )
        for caps in out.values():
            caps.sort(key=lambda c: c.captured or "", reverse=True)
        return out

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
        fields = {"year": "year", "author": "author_names", "lang": "lang"}
        aggs: dict[str, Any] = {}
        for name in names:
            terms: dict[str, Any] = {"field": fields[name], "size": top, "shard_size": top * 20}
            if name == "lang":
                terms["missing"] = "und"
            aggs[name] = {"terms": terms, **({"aggs": _pages_agg()} if self.dedupe else {})}
            aggs[f"{name}-missing"] = {
                "missing": {"field": fields[name]},
                **({"aggs": _pages_agg()} if self.dedupe else {}),
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
            **({"aggs": _pages_agg()} if self.dedupe else {}),
        }
        aggs: dict[str, Any] = {
            "totals": histogram,
            "undated": {
                "missing": {"field": date_field},
                **({"aggs": _pages_agg()} if self.dedupe else {}),
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
        return Trend(by, _span(sorted(totals), by), totals, series, undated)

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
            captures = self._captures_of([{"_source": stored}]).get(stored["canonical"], captures)
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
        with self._errors():
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


def _pages_agg() -> dict[str, Any]:
    """Distinct pages (a page captured several times counts once)."""
    return {"pages": {"cardinality": {"field": "canonical", "precision_threshold": EXACT_COUNTS}}}


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


def _guarded(articles: Iterable[Article]) -> Iterator[Article]:
    """A reader's articles; a reader choking on hostile input skips the rest of the
    file (as the local index does), the bulk sender's own failures still abort."""
    from ..extract import SkipFile

    iterator = iter(articles)
    while True:
        try:
            article = next(iterator)
        except StopIteration:
            return
        except SkipFile:
            raise
        except RecursionError:
            raise SkipFile("nested too deeply to read") from None
        except Exception as err:  # noqa: BLE001 - third-party parsers raise anything
            raise SkipFile(f"could not be read ({type(err).__name__}: {err})") from None
        yield article


def _count(report: SyncReport, old: _Source | None, new_ids: set[str], *, same: bool) -> None:
    before = old.ids if old else set()
    if same:
        report.unchanged += len(new_ids)
    else:
        report.updated += len(new_ids & before)
        report.added += len(new_ids - before)
    report.removed += len(before - new_ids)


def _stamp(source: _Source | None) -> str | None:
    return source.fingerprint.rsplit(":", 1)[0] if source else None


def _sha(source: _Source) -> str:
    return source.fingerprint.rsplit(":", 1)[-1]


def _env_int(name: str, default: int) -> int:
    try:
        return max(0, int(os.environ.get(name, "")))
    except ValueError:
        return default


def _reason(err: Any) -> str:
    info = getattr(err, "info", None)
    if isinstance(info, dict):
        error = info.get("error")
        if isinstance(error, dict):
            return f"{error.get('type', 'error')}: {error.get('reason', '')}"[:300]
    return str(getattr(err, "error", err))[:300]


def _item_reason(result: dict[str, Any]) -> str:
    error = result.get("error")
    if isinstance(error, dict):
        return f"{error.get('type', 'error')}: {error.get('reason', '')}"[:300]
    return str(error or f"status {result.get('status')}")[:300]


def _connection_reason(err: Any) -> str:
    text = str(getattr(err, "info", "") or err)
    for known in ("Connection refused", "timed out", "Name or service not known", "SSL"):
        if known.lower() in text.lower():
            return known.lower()
    return "no answer"
