"""Creating, opening and synchronising the index with the corpus.

Layout of an index folder::

    CURRENT          name of the live generation (replaced atomically)
    LOCK             held (flock) by the one process that writes; holds its pid
    gen-<stamp>/     a Whoosh index plus focal-search.json (schema version, times)

A full rebuild writes a new generation beside the live one and switches CURRENT to
it, so readers never see a half-built index. An incremental sync updates the live
generation in place through Whoosh's own atomic commits (its new articles written by
the bulk writer, bulk.py).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shlex
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .codec import use_focal_codec
from .columns import column_rows
from .documents import Article, key_period
from .errors import (
    CorpusMismatch,
    CorpusMissing,
    FocalSearchError,
    IndexIncompatible,
    IndexLocked,
    IndexMissing,
    IndexWriteError,
)
from .schema import SCHEMA_VERSION, article_fields
from .storage import read_in_place

if TYPE_CHECKING:
    from .extract import CorpusFile

read_in_place()  # segments are read in place, never copied into memory on open
use_focal_codec()  # new segments keep their postings as arrays (codec.py)

CURRENT = "CURRENT"
LOCK = "LOCK"
META = "focal-search.json"
MANIFEST = "sources.json"  # source file -> fingerprint and article ids, per commit
SKIPPED = "skipped.json"  # source file -> stamp and reason, for files that gave no article
GEN_PREFIX = "gen-"
DEFAULT_LOCK_WAIT = 10.0  # seconds a second writer waits before giving up
WRITER_MB = 128  # Whoosh's in-memory pool before it spills sorted runs to disk
RETIRE_GRACE = 60.0  # seconds a replaced generation is kept for readers still using it
# Full rebuilds of a large corpus index in two processes (one segment each); small
# builds and incremental updates are not worth the processes' start-up.
PARALLEL = (os.cpu_count() or 1) > 1
PARALLEL_MIN_FILES = 1000
PARALLEL_MIN_BYTES = 50 * 1024 * 1024
BULK = True  # rebuilds and updates through the bulk writer (bulk.py) rather than Whoosh's

# (done, total) after each corpus file is processed.
ProgressFn = Callable[[int, int], None]
# (path, reason) for every corpus file that was skipped.
SkipFn = Callable[[str, str], None]


@dataclass
class SyncReport:
    """What one reindex did."""

    full: bool
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # files: (path, reason)
    records_skipped: Counter[str] = field(default_factory=Counter)  # inside captures
    warnings: list[tuple[str, str]] = field(default_factory=list)  # files read in part
    articles: int = 0  # in the index afterwards
    retry: int = 0  # files that could not be opened: read again by the next reindex
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def count_file(self, before: set[str], after: set[str], *, same: bool) -> None:
        """Count one corpus file read again: the ids it had in the index and has now;
        ``same`` when its bytes did not change (touched: only the stamp moved)."""
        if same:
            self.unchanged += len(after)
        else:
            self.updated += len(after & before)
            self.added += len(after - before)
        self.removed += len(before - after)


def require_corpus(corpus: Path) -> None:
    """CorpusMissing unless ``corpus`` is a folder (checked before any index work)."""
    if not corpus.is_dir():
        raise CorpusMissing(
            f"corpus folder {corpus} does not exist"
            if not corpus.exists()
            else f"corpus {corpus} is not a folder",
            hint="pass --corpus DIR or set FOCAL_SEARCH_CORPUS",
        )


class FocalIndex:
    """An open, compatible index generation. Use as a context manager."""

    def __init__(self, folder: Path, generation: Path, meta: dict[str, Any]) -> None:
        from whoosh import index as whoosh_index

        self.folder = folder
        self.generation = generation
        self.meta = meta
        try:
            self.whoosh = whoosh_index.open_dir(str(generation))
        except PermissionError as err:  # not damaged: rebuilding is not the answer
            raise _unreadable(folder, err) from err
        except Exception as err:  # any unreadable index means the same thing to a user
            raise IndexIncompatible(
                f"the index at {folder} cannot be read ({type(err).__name__}: {err})",
                hint="run `focal-search reindex --full` to rebuild it",
            ) from err

    def __enter__(self) -> FocalIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.whoosh.close()

    def doc_count(self) -> int:
        return int(self.whoosh.doc_count())

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.generation.iterdir() if p.is_file())

    def stats(self) -> IndexStats:
        """Counts by year, language and author, read from columns (no stored text)."""
        years: Counter[str] = Counter()
        langs: Counter[str] = Counter()
        authors: set[str] = set()
        articles = 0
        with self.whoosh.reader() as reader:
            for month, lang, names in column_rows(reader, ("sort_date", "lang", "author_names")):
                articles += 1
                years[key_period(month) or "undated"] += 1
                langs[lang or "und"] += 1
                authors.update(a for a in names.split("\n") if a)
            segments = len(reader.leaf_readers()) if articles else 0
        return IndexStats(
            articles=articles,
            by_year=dict(sorted(years.items())),
            by_lang=dict(langs.most_common()),
            authors=len(authors),
            size_bytes=self.size_bytes(),
            segments=segments,
            created=self.meta.get("created"),
            last_reindex=self.meta.get("last_reindex"),
            corpus=self.meta.get("corpus"),
            index=str(self.folder.resolve()),
            schema_version=SCHEMA_VERSION,
        )


@dataclass
class IndexStats:
    articles: int
    by_year: dict[str, int]  # "YYYY" -> articles; "undated" for those without a date
    by_lang: dict[str, int]
    authors: int  # distinct author names
    size_bytes: int
    segments: int
    created: str | None
    last_reindex: str | None
    corpus: str | None
    index: str
    schema_version: int


def open_index(folder: Path) -> FocalIndex:
    """Open the live generation, or raise IndexMissing / IndexIncompatible."""
    for attempt in range(3):
        generation = _current_generation(folder)
        if generation is None:
            raise IndexMissing(
                f"no index at {folder}",
                hint="run `focal-search reindex` to build it (or pass --index DIR)",
            )
        try:
            meta = _read_meta(generation)
            return FocalIndex(folder, generation, meta)
        except (FileNotFoundError, IndexIncompatible):
            # A full rebuild may have swapped generations between our two reads.
            if attempt == 2 or _current_generation(folder) == generation:
                raise
    raise AssertionError("unreachable")


def sync_index(
    corpus: Path,
    folder: Path,
    *,
    full: bool = False,
    optimize: bool = False,
    lock_wait: float = DEFAULT_LOCK_WAIT,
    on_skip: SkipFn | None = None,
    on_warning: SkipFn | None = None,
    on_progress: ProgressFn | None = None,
    on_notice: Callable[[str], None] | None = None,
) -> SyncReport:
    """Bring the index at ``folder`` up to date with ``corpus``.

    Incremental unless ``full`` is set or there is no usable index yet; ``optimize``
    then merges the index into one segment (fastest to open and search). One bad
    file is reported through ``on_skip`` and never stops the run; ``on_warning``
    hears of files read only in part (truncated captures, decompression bombs).
    """
    started = time.monotonic()
    require_corpus(corpus)
    try:
        _ensure_folder(folder)
    except OSError as err:
        raise _unwritable(folder, err) from None
    with _write_lock(folder, lock_wait):
        generation = _current_generation(folder)
        # Holding the lock, any other generation was replaced by a rebuild, or is a
        # rebuild killed before it was switched in: reclaim its space (after a grace).
        _remove_stale_generations(folder, keep=generation)
        if not full and generation is not None:
            try:
                check_corpus(_read_meta(generation), corpus, folder)
            except IndexIncompatible as err:
                if on_notice:
                    on_notice(f"{err.message}; rebuilding it from scratch")
                full = True
        callbacks = _Callbacks(on_skip, on_warning, on_progress)
        try:
            if full or generation is None:
                report = _rebuild(corpus, folder, callbacks)
            else:
                report = _update(corpus, folder, generation, callbacks)
            if optimize:
                _optimize(folder)
        except OSError as err:
            # Reading errors are handled per file; what reaches here failed to write.
            raise IndexWriteError(
                f"could not write the index at {folder}: {err.strerror or err}",
                hint="free some disk space (or fix permissions) and run reindex again; "
                "the index is as it was before this run",
            ) from err
    report.seconds = time.monotonic() - started
    return report


# -- writing -----------------------------------------------------------------


def _optimize(folder: Path) -> None:
    """Merge every segment into one (an atomic commit, like any other)."""
    from whoosh import index as whoosh_index

    generation = _current_generation(folder)
    if generation is None:
        return
    ix = whoosh_index.open_dir(str(generation))
    try:
        ix.optimize()
    finally:
        ix.close()


def _rebuild(corpus: Path, folder: Path, callbacks: _Callbacks) -> SyncReport:
    import tempfile

    from whoosh import index as whoosh_index

    from .extract import CorpusListing, walk_corpus
    from .schema import build_schema

    report = SyncReport(full=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    new_gen = Path(tempfile.mkdtemp(prefix=f"{GEN_PREFIX}{stamp}-", dir=folder))
    try:
        new_gen.chmod(0o777 & ~_umask())  # mkdtemp makes it private: others could not read it
        ix = whoosh_index.create_in(str(new_gen), build_schema())
        files = CorpusListing(walk_corpus(corpus, on_error=_skip_sink(report, callbacks.on_skip)))
        indexed = _SpooledManifest(new_gen / f"{MANIFEST}.part")
        skips: dict[str, _Skip] = {}
        if BULK:
            from .bulk import write_all

            write_all(ix, files, indexed, report, callbacks, skips)
        else:
            _apply(ix, files, indexed, report, callbacks, skips=skips)
        report.articles, duplicates = _counts(ix)
        _save_manifest(new_gen, ix, indexed)
        _save_skips(new_gen, skips)
        listing = _Listing.after(files, ix.latest_generation(), indexed.total(), skips, report)
        ix.close()
        _write_meta(new_gen, corpus, created=True, duplicates=duplicates, listing=listing)
        _switch_to(folder, new_gen)
    except BaseException:
        shutil.rmtree(new_gen, ignore_errors=True)
        raise
    return report


def _update(corpus: Path, folder: Path, generation: Path, callbacks: _Callbacks) -> SyncReport:
    from .extract import walk_corpus

    report = SyncReport(full=False)
    files = list(walk_corpus(corpus, on_error=_skip_sink(report, callbacks.on_skip)))
    meta = _read_meta(generation)
    if _Listing.unchanged(meta, files, generation, report, callbacks):
        duplicates = int(meta.get("duplicates", 0))
        _write_meta(
            generation, corpus, created=False, duplicates=duplicates, listing=meta["listing"]
        )
        return report

    from whoosh import index as whoosh_index

    ix = whoosh_index.open_dir(str(generation))
    try:
        recorded = _load_manifest(generation, ix)
        indexed = recorded if recorded is not None else _Manifest.of(_indexed_sources(ix))
        commit = ix.latest_generation()
        seen = {f.id for f in files}
        skips = _load_skips(generation)
        known = dict(skips)
        to_read = _without_known_skips(files, indexed, skips, _skip_sink(report, callbacks.on_skip))
        again = _small_segment_sources(ix) if BULK else set()
        todo = [f for f in to_read if indexed.stamp(f.id) != f.stamp or f.id in again]
        changed = {f.id for f in todo}
        report.unchanged = sum(
            indexed.articles(f.id) for f in to_read if f.id in indexed and f.id not in changed
        )
        gone = [source for source in indexed if source not in seen]
        if BULK and (todo or gone):
            from .bulk import write_changes

            write_changes(ix, todo, indexed, report, callbacks, skips, gone)
        else:
            _apply(ix, todo, indexed, report, callbacks, gone=gone, skips=skips)
        for source in [s for s in skips if s not in seen]:
            del skips[source]
        if skips != known:
            _save_skips(generation, skips)
        if recorded is not None and ix.latest_generation() == commit:
            # Nothing was committed: the counts are those of the last run.
            report.articles = indexed.total()
            duplicates = int(meta.get("duplicates", 0))
        else:
            report.articles, duplicates = _counts(ix)
            _save_manifest(generation, ix, indexed)
        listing = _Listing.after(files, ix.latest_generation(), indexed.total(), skips, report)
    finally:
        ix.close()
    _write_meta(generation, corpus, created=False, duplicates=duplicates, listing=listing)
    return report


MAX_SEGMENTS = 8  # beyond this many, an update folds the small segments into its own
SMALL_SEGMENT = 1 / 8  # "small": holding less than this share of the live articles


def _small_segment_sources(ix: Any) -> set[str]:
    """The sources to read again so that the update's new segment takes in the small
    segments' articles, when updates have left more than MAX_SEGMENTS: each update
    adds a segment, Whoosh's merge policy never merges one of a few hundred articles
    beside a large one, and each segment costs every query a lookup per term. Their
    files are unchanged, so reading them again (in the workers, as any change) gives
    the same articles, and the emptied segments are dropped at the commit."""
    segments = ix._segments()
    if len(segments) <= MAX_SEGMENTS:
        return set()
    live = sum(segment.doc_count() for segment in segments)
    small = {s.segment_id() for s in segments if s.doc_count() < live * SMALL_SEGMENT}
    if len(small) < 2:
        return set()
    sources: set[str] = set()
    with ix.reader() as reader:
        for leaf, _ in reader.leaf_readers():
            if leaf.segment().segment_id() in small:
                sources.update(source for (source,) in column_rows(leaf, ("source",)))
    return sources


class _Listing:
    """The corpus listing (ids, sizes, modification times) a reindex left the index
    in step with, as a digest in the index's metadata: when the next walk gives the
    same listing and nothing was committed since, that reindex has nothing to read or
    remove, and neither the manifest nor the index need be opened (at 100k pages,
    comparing them entry by entry was a third of a no-op reindex)."""

    @staticmethod
    def digest(files: Sequence[CorpusFile]) -> str:
        import hashlib
        from array import array

        # Ids joined by NUL (which no file name holds), then the numbers as fixed-width
        # arrays, led by the lengths: unambiguous, and no per-file formatting.
        ids = "\0".join([f.id for f in files]).encode("utf-8", "surrogateescape")
        digest = hashlib.blake2b(f"{len(files)}:{len(ids)}:".encode(), digest_size=16)
        digest.update(ids)
        digest.update(array("q", [f.size for f in files]).tobytes())
        digest.update(array("q", [f.mtime_ns for f in files]).tobytes())
        return digest.hexdigest()

    @staticmethod
    def after(
        files: Sequence[CorpusFile],
        commit: int,
        articles: int,
        skips: dict[str, _Skip],
        report: SyncReport,
    ) -> dict[str, Any] | None:
        """The record a finished reindex leaves; None when a file is to be read again
        next time (it could not be opened), which a same listing would not show."""
        if report.retry:
            return None
        return {
            "digest": _Listing.digest(files),
            "commit": commit,
            "articles": articles,
            "skipped": len(skips),
        }

    @staticmethod
    def unchanged(
        meta: dict[str, Any],
        files: list[CorpusFile],
        generation: Path,
        report: SyncReport,
        callbacks: _Callbacks,
    ) -> bool:
        """Whether ``files`` is the listing the last reindex left, with nothing
        committed since; then ``report`` is filled as the full comparison would."""
        record = meta.get("listing")
        if not isinstance(record, dict) or record.get("commit") != _latest_commit(generation):
            return False
        articles = record.get("articles")
        if not isinstance(articles, int) or record.get("digest") != _Listing.digest(files):
            return False
        skips = _load_skips(generation)
        if len(skips) != record.get("skipped"):
            return False  # the skip record was lost or damaged: compare in full
        # Files skipped before and unchanged are reported again, as in a full comparison.
        _without_known_skips(files, {}, skips, _skip_sink(report, callbacks.on_skip))
        report.articles = report.unchanged = articles
        return True


def _latest_commit(generation: Path) -> int:
    """The number of the index's last commit, as Whoosh finds it (its highest table
    of contents, _MAIN_<n>.toc) without importing Whoosh; -1 when there is none."""
    numbers = [-1]
    try:
        names = os.listdir(generation)
    except OSError:
        return -1
    for name in names:
        if name.startswith("_MAIN_") and name.endswith(".toc") and name[6:-4].isdigit():
            numbers.append(int(name[6:-4]))
    return max(numbers)


@dataclass
class _Callbacks:
    on_skip: SkipFn | None = None
    on_warning: SkipFn | None = None
    on_progress: ProgressFn | None = None


@dataclass
class _Source:
    """What the index holds of one corpus file."""

    fingerprint: str
    ids: set[str]


class _Manifest(MutableMapping[str, _Source]):
    """What the index holds of each source, kept as it is written down and decoded
    entry by entry when asked for: a no-op sync of a large archive compares stamps
    only, and a build of a million files keeps a string per file, not a record and
    a set. An entry is the fingerprint alone when the file's one article has the
    file's id, else [fingerprint, ids]."""

    def __init__(self, entries: Mapping[str, str | list[Any]]) -> None:
        self._entries = dict(entries)

    @classmethod
    def of(cls, sources: Mapping[str, _Source]) -> _Manifest:
        return cls({source: _recorded(source, found) for source, found in sources.items()})

    def __getitem__(self, source: str) -> _Source:
        entry = self._entries[source]
        if isinstance(entry, str):
            return _Source(entry, {source})
        return _Source(entry[0], set(entry[1]))

    def __setitem__(self, source: str, value: _Source) -> None:
        self._entries[source] = _recorded(source, value)

    def __delitem__(self, source: str) -> None:
        del self._entries[source]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, source: object) -> bool:
        return source in self._entries

    def stamp(self, source: str) -> str | None:
        """The file's stat stamp when it was indexed (None: not indexed)."""
        entry = self._entries.get(source)
        if entry is None:
            return None
        fingerprint = entry if isinstance(entry, str) else entry[0]
        return fingerprint.rsplit(":", 1)[0]

    def articles(self, source: str) -> int:
        entry = self._entries[source]
        return 1 if isinstance(entry, str) else len(entry[1])

    def total(self) -> int:
        """Articles of every source."""
        return sum(map(self.articles, self._entries))

    def recorded(self) -> dict[str, str | list[Any]]:
        return self._entries


class _SpooledManifest(MutableMapping[str, _Source]):
    """A rebuild's manifest, written to a file entry by entry as sources are read: a
    rebuild records each source once and reads none back, and a million entries kept
    in memory were 180 MB of the build's peak. Reading an entry finds nothing."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._file = path.open("w", encoding="utf-8")
        self._count = 0
        self._articles = 0

    def __setitem__(self, source: str, value: _Source) -> None:
        entry = json.dumps(_recorded(source, value), ensure_ascii=False)
        separator = ", " if self._count else ""
        self._file.write(f"{separator}{json.dumps(source, ensure_ascii=False)}: {entry}")
        self._count += 1
        self._articles += len(value.ids)

    def __getitem__(self, source: str) -> _Source:
        raise KeyError(source)  # written out: see the class's note

    def __delitem__(self, source: str) -> None:
        raise KeyError(source)

    def __iter__(self) -> Iterator[str]:
        raise TypeError("a spooled manifest is written, not read")

    def __len__(self) -> int:
        return self._count

    def total(self) -> int:
        """Articles of every source recorded so far."""
        return self._articles

    def save(self, path: Path, commit: int) -> None:
        """Write the manifest file (as ``_save_manifest`` does) from the spool."""
        self._file.close()
        tmp = path.with_name(f"{path.name}.tmp")
        with tmp.open("w", encoding="utf-8") as out, self._path.open(encoding="utf-8") as spool:
            out.write(f'{{"commit": {commit}, "sources": {{')
            shutil.copyfileobj(spool, out)
            out.write("}}")
        os.replace(tmp, path)
        self._path.unlink()


def _recorded(source: str, entry: _Source) -> str | list[Any]:
    if entry.ids == {source}:
        return entry.fingerprint
    return [entry.fingerprint, sorted(entry.ids)]


def _valid_entry(entry: Any) -> bool:
    return isinstance(entry, str) or (
        isinstance(entry, list)
        and len(entry) == 2
        and isinstance(entry[0], str)
        and isinstance(entry[1], list)
    )


@dataclass(frozen=True)
class _Skip:
    """A corpus file that gave no article, remembered so that a later reindex does not
    read it again (a bad file can be costly to read) until its stamp changes."""

    stamp: str
    reason: str  # why it was skipped; "" when it was read and simply held no article


def _apply(
    ix: Any,
    files: Sequence[CorpusFile],
    indexed: MutableMapping[str, _Source],
    report: SyncReport,
    callbacks: _Callbacks,
    gone: list[str] = (),  # type: ignore[assignment]
    skips: dict[str, _Skip] | None = None,
) -> None:
    """Read each file and replace its articles; remove sources that are gone. One
    commit for the whole run (many small commits leave many slow segments).
    ``indexed`` is updated to describe the index after the commit, ``skips`` to
    name the files read that gave no article."""
    # The readers are imported here, not at the top: searching never needs them.
    from . import extract
    from .extract import CannotOpen, ReadLog, SkipFile, language
    from .extract.failures import guarded

    writer = None
    parallel = (
        PARALLEL
        and not indexed
        and (len(files) >= PARALLEL_MIN_FILES or sum(f.size for f in files) >= PARALLEL_MIN_BYTES)
    )

    def open_writer() -> Any:
        nonlocal writer
        if writer is None:
            if parallel:
                from .parallel import parallel_writer

                writer = parallel_writer(ix)
            else:
                from .parallel import CompressedSegmentWriter

                writer = CompressedSegmentWriter(ix, limitmb=WRITER_MB)
        return writer

    # Undetermined articles take the archive's main language (see MainLanguage).
    main_language = language.MainLanguage(lambda: _lang_counts(ix, files))
    try:
        for done, file in enumerate(files, 1):
            old = indexed.get(file.id)
            log = ReadLog()
            new_ids: set[str] = set()
            sha = None
            skipped = ""  # the reason, when the file is skipped
            retry = False
            try:
                sha, articles = extract.load_source(file, log)
                for article in guarded(articles):
                    if article.id in new_ids:
                        log.skip("repeated record")
                        continue
                    if not new_ids and old is not None:
                        open_writer().delete_by_term("source", file.id)
                    new_ids.add(article.id)
                    article.lang = main_language.resolve(article.lang)
                    open_writer().add_document(**_document(article, file, sha))
            except SkipFile as skip:
                skipped = str(skip)
                _skip_sink(report, callbacks.on_skip)(file.path, skipped)
                retry = isinstance(skip, CannotOpen)  # not the content's fault
            if old is not None and not new_ids:
                open_writer().delete_by_term("source", file.id)
            same = old is not None and _sha(old.fingerprint) == sha
            report.count_file(old.ids if old else set(), new_ids, same=same)
            _record_file(
                file,
                new_ids,
                sha,
                _Outcome(skipped, retry, log.skipped, log.warnings),
                indexed=indexed,
                skips=skips,
                report=report,
                callbacks=callbacks,
                progress=(done, len(files)),
            )
        for source in gone:
            open_writer().delete_by_term("source", source)
            report.removed += len(indexed.pop(source).ids)
        if writer is not None:
            writer.commit()
    except BaseException:
        if writer is not None:
            writer.cancel()
        raise


@dataclass
class _Outcome:
    """How reading one file went, beyond its articles."""

    skipped: str  # why the file was skipped ("" when it was read)
    retry: bool  # the file could not be opened: try it again next time
    records_skipped: Counter[str]
    warnings: list[str]


def _record_file(
    file: CorpusFile,
    new_ids: set[str],
    sha: str | None,
    outcome: _Outcome,
    *,
    indexed: MutableMapping[str, _Source],
    skips: dict[str, _Skip] | None,
    report: SyncReport,
    callbacks: _Callbacks,
    progress: tuple[int, int],
) -> None:
    """What one file read leaves behind, for every writer: its manifest entry, its skip
    record, the report's skipped records and warnings, and the progress callback."""
    if new_ids and sha is not None:
        indexed[file.id] = _Source(f"{file.stamp}:{sha}", new_ids)
    else:
        indexed.pop(file.id, None)
    report.retry += outcome.retry
    if skips is not None:
        if new_ids or outcome.retry:
            skips.pop(file.id, None)
        else:
            skips[file.id] = _Skip(file.stamp, outcome.skipped)
    report.records_skipped.update(outcome.records_skipped)
    for warning in outcome.warnings:
        report.warnings.append((str(file.path), warning))
        if callbacks.on_warning:
            callbacks.on_warning(str(file.path), warning)
    if callbacks.on_progress:
        callbacks.on_progress(*progress)


def _lang_counts(ix: Any, files: Sequence[CorpusFile]) -> Counter[str]:
    """Articles per language already in the index (read from the column), plus the
    files of this run whose path names a language (``/fr/``): known before reading."""
    from .extract.location import lang_from_id, lang_from_name

    with ix.reader() as reader:
        counts = Counter(lang for (lang,) in column_rows(reader, ("lang",)) if lang)
    counts.update(filter(None, (lang_from_id(f.id) or lang_from_name(f.id) for f in files)))
    return counts


def _document(article: Article, file: CorpusFile, sha: str) -> dict[str, Any]:
    article = _encodable(article)
    doc = article_fields(article, file.id, f"{file.stamp}:{sha}")
    if article.authors:
        doc["author_names"] = "\n".join(article.authors)  # one per line: the column's value
    return doc


def _encodable(article: Article) -> Article:
    """The article with text Whoosh can encode: lone surrogates (from a JSON record's
    escapes, or a file name's undecodable bytes) become U+FFFD."""

    def fix(text: str) -> str:
        if text.isascii() or not _has_surrogate(text):
            return text
        return text.encode("utf-8", "replace").decode("utf-8")

    return replace(
        article,
        id=fix(article.id),
        path=fix(article.path),
        title=fix(article.title),
        body=fix(article.body),
        bio=fix(article.bio),
        authors=[fix(a) for a in article.authors],
        url=fix(article.url) if article.url else article.url,
    )


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _load_manifest(generation: Path, ix: Any) -> _Manifest | None:
    """What each source contributed, as recorded at the last commit; None when the
    record is missing, damaged or describes another commit (then the columns are read)."""
    try:
        data = json.loads((generation / MANIFEST).read_text(encoding="utf-8"))
        if data.get("commit") != ix.latest_generation():
            return None
        entries = data["sources"]
        if not isinstance(entries, dict) or not all(map(_valid_entry, entries.values())):
            return None
        return _Manifest(entries)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _save_manifest(generation: Path, ix: Any, indexed: Mapping[str, _Source]) -> None:
    """Record the sources after a commit: a no-op reindex of a large archive then
    costs a walk of the corpus and this file, not a scan of the index's columns."""
    if isinstance(indexed, _SpooledManifest):
        indexed.save(generation / MANIFEST, ix.latest_generation())
        return
    sources = (
        indexed.recorded()
        if isinstance(indexed, _Manifest)
        else {s: _recorded(s, src) for s, src in indexed.items()}
    )
    data = {"commit": ix.latest_generation(), "sources": sources}
    tmp = generation / f"{MANIFEST}.tmp"
    with tmp.open("w", encoding="utf-8") as out:
        json.dump(data, out, ensure_ascii=False)  # in pieces: a million entries are 180 MB
    os.replace(tmp, generation / MANIFEST)


def _without_known_skips(
    files: list[CorpusFile],
    indexed: Mapping[str, _Source],
    skips: dict[str, _Skip],
    on_skip: Callable[[Path, str], None],
) -> list[CorpusFile]:
    """The files to consider reading: those skipped before and unchanged since are
    reported again (from memory) and left out."""
    kept = []
    for file in files:
        skip = skips.get(file.id)
        if skip is None or skip.stamp != file.stamp or file.id in indexed:
            kept.append(file)
        elif skip.reason:
            on_skip(file.path, f"{skip.reason} (unchanged, skipped before)")
    return kept


def _load_skips(generation: Path) -> dict[str, _Skip]:
    """The files skipped before, as recorded by the last run (empty when unreadable:
    then they are read again, which is only slower)."""
    try:
        data = json.loads((generation / SKIPPED).read_text(encoding="utf-8"))
        return {source: _Skip(str(stamp), str(why)) for source, (stamp, why) in data.items()}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def _save_skips(generation: Path, skips: dict[str, _Skip]) -> None:
    data = {source: [skip.stamp, skip.reason] for source, skip in sorted(skips.items())}
    tmp = generation / f"{SKIPPED}.tmp"
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, generation / SKIPPED)


def _indexed_sources(ix: Any) -> dict[str, _Source]:
    """source -> fingerprint and article ids, read from columns (no stored text)."""
    sources: dict[str, _Source] = {}
    with ix.reader() as reader:
        for doc_id, source, fingerprint in column_rows(reader, ("id", "source", "fingerprint")):
            entry = sources.get(source)
            if entry is None:
                entry = sources[source] = _Source(fingerprint, set())
            entry.ids.add(doc_id)
    return sources


def _counts(ix: Any) -> tuple[int, int]:
    """Live articles, and how many of them are extra captures of another's page."""
    with ix.reader() as reader:
        keys = [key for (key,) in column_rows(reader, ("canonical",))]
    return len(keys), len(keys) - len(set(keys))


def _sha(fingerprint: str) -> str:
    return fingerprint.rsplit(":", 1)[-1]


def _skip_sink(report: SyncReport, on_skip: SkipFn | None) -> Callable[[Path, str], None]:
    """Record a skipped file in the report and pass it on."""

    def sink(path: Path, reason: str) -> None:
        report.skipped.append((str(path), reason))
        if on_skip:
            on_skip(str(path), reason)

    return sink


# -- layout, metadata and locking --------------------------------------------


def check_corpus(meta: dict[str, Any], corpus: Path, folder: Path) -> None:
    """Refuse to use an index built from another corpus folder: an update would
    remove every article the other folder held, and a search would answer from it."""
    recorded = meta.get("corpus")
    if not recorded or Path(recorded) == corpus.resolve():
        return
    raise CorpusMismatch(
        f"the index at {folder} was built from {recorded}, not from {corpus.resolve()}",
        hint=f"pass --corpus {shlex.quote(recorded)}, or rebuild the index from the new "
        f"folder: focal-search reindex --full --corpus {shlex.quote(str(corpus))}",
    )


def _unwritable(folder: Path, err: OSError) -> IndexWriteError:
    where = f" ({err.filename})" if err.filename and Path(err.filename) != folder else ""
    return IndexWriteError(
        f"cannot write the index at {folder}: {err.strerror or err}{where}",
        hint="check that folder's permissions, or pass --index DIR to use another one",
    )


def _umask() -> int:
    mask = os.umask(0o022)  # the only way to read it is to set it
    os.umask(mask)
    return mask


def _ensure_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise IndexIncompatible(
            f"index location {folder} is a file, not a folder",
            hint="pass --index DIR naming a folder",
        )
    folder.mkdir(parents=True, exist_ok=True)


def _current_generation(folder: Path) -> Path | None:
    try:
        name = (folder / CURRENT).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as err:
        raise IndexIncompatible(f"cannot read {folder / CURRENT}: {err.strerror}") from err
    if not name.startswith(GEN_PREFIX) or "/" in name or not (folder / name).is_dir():
        return None
    return folder / name


def _switch_to(folder: Path, generation: Path) -> None:
    previous = _current_generation(folder)
    tmp = folder / f"{CURRENT}.tmp-{os.getpid()}"
    tmp.write_text(generation.name + "\n", encoding="utf-8")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, folder / CURRENT)
    if previous is not None:
        os.utime(previous)  # retired now: readers that opened it get RETIRE_GRACE to finish


def _remove_stale_generations(folder: Path, keep: Path | None) -> None:
    """Delete generations other than ``keep`` once they have been retired (or, for a
    rebuild that was killed, untouched) for RETIRE_GRACE: a query that opened one just
    before a switch must be able to finish reading it."""
    cutoff = time.time() - RETIRE_GRACE
    for child in folder.iterdir():
        if not (child.is_dir() and child.name.startswith(GEN_PREFIX) and child != keep):
            continue
        try:
            if child.stat().st_mtime < cutoff:
                shutil.rmtree(child, ignore_errors=True)
        except FileNotFoundError:
            pass


def _unreadable(folder: Path, err: PermissionError) -> FocalSearchError:
    return FocalSearchError(
        f"the index at {folder} cannot be read: permission denied ({err.filename})",
        hint="its owner can make it readable (chmod -R a+rX), or pass --index DIR",
    )


def _read_meta(generation: Path) -> dict[str, Any]:
    try:
        meta = json.loads((generation / META).read_text(encoding="utf-8"))
    except FileNotFoundError:
        meta = {}
    except PermissionError as err:
        raise _unreadable(generation.parent, err) from err
    except (OSError, ValueError) as err:
        raise IndexIncompatible(
            f"the index at {generation.parent} has unreadable metadata ({err})",
            hint="run `focal-search reindex --full` to rebuild it",
        ) from err
    if not isinstance(meta, dict) or meta.get("schema_version") != SCHEMA_VERSION:
        found = meta.get("schema_version", "unknown") if isinstance(meta, dict) else "unknown"
        raise IndexIncompatible(
            f"the index at {generation.parent} has format {found}; "
            f"this focal-search needs format {SCHEMA_VERSION}",
            hint="run `focal-search reindex --full` to rebuild it",
        )
    return meta


def _write_meta(
    generation: Path,
    corpus: Path,
    *,
    created: bool,
    duplicates: int,
    listing: dict[str, Any] | None,
) -> None:
    """Write the index's metadata; ``listing`` is the record a no-op reindex checks
    (see _Listing; None: the next reindex compares in full)."""
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    path = generation / META
    meta: dict[str, Any] = {}
    if not created:
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
    meta.update(
        schema_version=SCHEMA_VERSION,
        corpus=str(corpus.resolve()),
        last_reindex=now,
        duplicates=duplicates,
        listing=listing,
    )
    meta.setdefault("created", now)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


@contextmanager
def _write_lock(folder: Path, wait: float) -> Iterator[None]:
    """Exclusive writer lock. The OS drops it when the holder dies, so it is never stale."""
    try:
        fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:  # a read-only folder or lock file
        raise _unwritable(folder, err) from None
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as err:
                if err.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
                    raise IndexLocked(
                        "the index is being updated by another process"
                        + (f" (pid {holder})" if holder.isdigit() else ""),
                        hint="wait for it to finish, then try again",
                    ) from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        yield
    finally:
        os.close(fd)
