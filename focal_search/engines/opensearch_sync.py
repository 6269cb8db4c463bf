"""Reindexing into an OpenSearch index: extraction ours, writes in bounded bulk requests.

Incremental by the file fingerprints stored with each article (added, changed and
deleted files, as locally); a full rebuild fills a new physical index and moves the
alias to it in one request; ``part`` (K, N) takes a stable share of the files so that
several machines can split one reindex. A rejected document is reported, its file's
articles removed so that the next run reads it again, and the run fails.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ClusterRejected, FocalSearchError, IndexIncompatible
from ..extract.failures import guarded
from ..schema import SCHEMA_VERSION
from .opensearch_index import (
    REPLICAS_ENV,
    SHARDS_ENV,
    doc_id,
    document,
    env_int,
    index_body,
    pages_agg,
)

if TYPE_CHECKING:
    from ..index import SyncReport
    from .opensearch import OpenSearchEngine

BULK_DOCS = 500  # documents per bulk request...
BULK_BYTES = 8 * 1024 * 1024  # ...and at most this many bytes
BULK_RETRIES = 6  # for items the cluster answers 429 (busy): backoff 1, 2, 4 ... 30 s
BULK_TIMEOUT = 120  # seconds one bulk request may take on a busy cluster


def sync(
    engine: OpenSearchEngine,
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
    from ..index import SyncReport, require_corpus

    started = time.monotonic()
    require_corpus(corpus)
    if full and part is not None:
        raise FocalSearchError(
            "--full rebuilds the whole index, so it cannot take --part",
            hint="run the parts as incremental reindexes (the first creates the index)",
        )
    with engine.errors():
        current = engine.physical()
        if current and not full:
            found = engine.read_meta(current[0]).get("schema_version")
            if found != SCHEMA_VERSION:
                if part is not None:
                    raise IndexIncompatible(
                        f"the index {engine.name!r} has format {found}; this focal-search "
                        f"writes format {SCHEMA_VERSION}",
                        hint="rebuild it once with `focal-search reindex --full` (no --part)",
                    )
                if on_notice:
                    on_notice(
                        f"the index {engine.name!r} has format {found}, this focal-search "
                        f"writes format {SCHEMA_VERSION}; rebuilding it from scratch"
                    )
                full = True
        # A first run with --part creates the index (and its alias) and fills its share
        # incrementally, so the other parts can add theirs; without --part it is a build.
        creating = not current
        full = full or (creating and part is None)
        report = SyncReport(full=full)

        def skip(path: Path, reason: str) -> None:
            report.skipped.append((str(path), reason))
            if on_skip:
                on_skip(str(path), reason)

        files = [
            f for f in walk_corpus(corpus, on_error=skip) if part is None or part_of(f.id, part)
        ]
        if full:
            target = _create_physical(engine)
            indexed: dict[str, _Source] = {}
        elif creating:
            target = _create_physical(engine)
            _swap(engine, target, [])
            indexed = {}
        else:
            target = current[0]
            indexed = {
                s: src
                for s, src in _indexed_sources(engine, target).items()
                if part is None or part_of(s, part)
            }
        seen = {f.id for f in files}
        todo = [f for f in files if _stamp(indexed.get(f.id)) != f.stamp]
        changed = {f.id for f in todo}
        report.unchanged = sum(
            indexed[f.id].count for f in files if f.id in indexed and f.id not in changed
        )
        gone = [s for s in indexed if s not in seen]
        _load_ids(engine, target, indexed, [f.id for f in todo if f.id in indexed] + gone)
        try:
            rejected: list[tuple[str, str]] = []
            if full or todo or gone:  # a no-op reindex changes no setting
                rejected = _apply(
                    engine, target, todo, gone, indexed, report, skip, on_warning, on_progress
                )
                engine.client.indices.put_settings(
                    index=target, body={"index": {"refresh_interval": "1s"}}
                )
                engine.client.indices.refresh(index=target)
            if optimize:
                engine.client.indices.forcemerge(
                    index=target, max_num_segments=1, request_timeout=3600
                )
            report.articles, duplicates, langs = _counts(engine, target)
            _write_meta(engine, target, corpus, duplicates, langs, created=full)
            if full:
                _swap(engine, target, current)
        except BaseException:
            if full:
                engine.client.indices.delete(index=target, ignore_unavailable=True)
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
    engine: OpenSearchEngine,
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
                for article in guarded(articles):
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
            same = old is not None and _sha(old) == sha
            report.count_file(old.ids if old else set(), new_ids, same=same)
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
    engine.client.indices.put_settings(index=target, body={"index": {"refresh_interval": "-1"}})
    for ok, item in streaming_bulk(
        engine.client,
        actions(),
        chunk_size=BULK_DOCS,
        max_chunk_bytes=BULK_BYTES,
        raise_on_error=False,
        max_retries=BULK_RETRIES,
        initial_backoff=1,
        max_backoff=30,
        yield_ok=False,
        request_timeout=BULK_TIMEOUT,
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
        engine.client.delete_by_query(
            index=target,
            body={"query": {"terms": {"source": sorted(failed_sources)}}},
            refresh=True,
            conflicts="proceed",
        )
    return rejected


def _create_physical(engine: OpenSearchEngine) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
    target = f"{engine.name}-{stamp}-{uuid.uuid4().hex[:6]}"
    # No replicas while it is filled (each would index every article again); they
    # are copied from the finished shards before the alias moves (_swap).
    body = index_body(shards=env_int(SHARDS_ENV, 1), replicas=0)
    body["mappings"]["_meta"] = {"schema_version": SCHEMA_VERSION, "building": True}
    engine.client.indices.create(index=target, body=body)
    return target


def _swap(engine: OpenSearchEngine, target: str, previous: list[str]) -> None:
    """Point the alias at ``target`` in one request, then drop the old indexes.
    A concrete index of that name (not an alias) is removed in the same step."""
    replicas = env_int(REPLICAS_ENV, 1)
    if replicas:
        # Flushed first, the replicas copy finished segment files instead of indexing
        # every operation of the translog again.
        engine.client.indices.flush(index=target)
        engine.client.indices.put_settings(
            index=target, body={"index": {"number_of_replicas": replicas}}
        )
        # Bounded: on a cluster too small for the replicas, go on without them.
        engine.client.cluster.health(
            index=target,
            params={"wait_for_status": "green", "timeout": "120s"},
            request_timeout=130,
        )
    actions: list[dict[str, Any]] = []
    for old in previous:
        if old == engine.name:
            actions.append({"remove_index": {"index": old}})
        else:
            actions.append({"remove": {"index": old, "alias": engine.name}})
    actions.append({"add": {"index": target, "alias": engine.name}})
    engine.client.indices.update_aliases(body={"actions": actions})
    for old in previous:
        if old != engine.name:
            engine.client.indices.delete(index=old, ignore_unavailable=True)


def _indexed_sources(engine: OpenSearchEngine, target: str) -> dict[str, _Source]:
    """source -> fingerprint and article count, as the index holds them: a composite
    aggregation, so a no-op reindex reads no article (their ids are fetched only for
    the files that changed or went, by _load_ids)."""
    sources: dict[str, _Source] = {}
    after: dict[str, Any] | None = None
    while True:
        pairs: dict[str, Any] = {
            "size": 5000,
            "sources": [
                {"source": {"terms": {"field": "source"}}},
                {"fingerprint": {"terms": {"field": "fingerprint"}}},
            ],
        }
        if after is not None:
            pairs["after"] = after
        found = engine.client.search(
            index=target, body={"size": 0, "aggs": {"files": {"composite": pairs}}}
        )
        agg = found["aggregations"]["files"]
        for bucket in agg["buckets"]:
            source, fingerprint = bucket["key"]["source"], bucket["key"]["fingerprint"]
            entry = sources.get(source)
            if entry is None:
                sources[source] = _Source(fingerprint, int(bucket["doc_count"]))
            else:
                # A run that died between two bulk requests left this file half-updated:
                # no stamp matches, so the next run reads it again (and converges).
                entry.fingerprint = ":"
                entry.count += int(bucket["doc_count"])
        after = agg.get("after_key")
        if not agg["buckets"] or after is None:
            return sources


def _load_ids(
    engine: OpenSearchEngine, target: str, indexed: dict[str, _Source], sources: list[str]
) -> None:
    """Fill in the article ids of these sources (to replace or delete them)."""
    from opensearchpy.helpers import scan

    for start in range(0, len(sources), 1000):
        chunk = sources[start : start + 1000]
        for hit in scan(
            engine.client,
            index=target,
            query={"query": {"terms": {"source": chunk}}, "_source": ["id", "source"]},
            size=2000,
        ):
            doc = hit["_source"]
            indexed[doc["source"]].ids.add(doc["id"])


def _counts(engine: OpenSearchEngine, target: str) -> tuple[int, int, list[str]]:
    """Articles, extra captures of a page, and the analyzer languages present."""
    found = engine.client.search(
        index=target,
        body={
            "size": 0,
            "track_total_hits": True,
            "aggs": {**pages_agg(), "langs": {"terms": {"field": "alang"}}},
        },
    )
    total = int(found["hits"]["total"]["value"])
    langs = sorted(b["key"] for b in found["aggregations"]["langs"]["buckets"])
    return total, total - int(found["aggregations"]["pages"]["value"]), langs


def _write_meta(
    engine: OpenSearchEngine,
    target: str,
    corpus: Path,
    duplicates: int,
    langs: list[str],
    *,
    created: bool,
) -> None:
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    meta = {} if created else dict(engine.read_meta(target))
    meta.pop("building", None)
    meta.update(
        schema_version=SCHEMA_VERSION,
        corpus=str(corpus.resolve()),
        last_reindex=now,
        duplicates=duplicates,
        langs=langs,  # saves every search a request to find them
    )
    meta.setdefault("created", now)
    engine.client.indices.put_mapping(index=target, body={"_meta": meta})
    engine.forget()


def part_of(source: str, part: tuple[int, int]) -> bool:
    """Whether a corpus file belongs to share K of N (1-based): a stable hash of its
    path relative to the corpus, so every machine splits the corpus the same way."""
    k, n = part
    digest = hashlib.sha1(source.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") % n == k - 1


@dataclass
class _Source:
    """What the index holds of one corpus file."""

    fingerprint: str
    count: int = 0  # its articles
    ids: set[str] = field(default_factory=set)  # their ids, when needed (see _load_ids)


def _stamp(source: _Source | None) -> str | None:
    return source.fingerprint.rsplit(":", 1)[0] if source else None


def _sha(source: _Source) -> str:
    return source.fingerprint.rsplit(":", 1)[-1]


def _item_reason(result: dict[str, Any]) -> str:
    error = result.get("error")
    if isinstance(error, dict):
        return f"{error.get('type', 'error')}: {error.get('reason', '')}"[:300]
    return str(error or f"status {result.get('status')}")[:300]
