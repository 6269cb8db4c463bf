"""Creating, opening and synchronising the index with the corpus.

Layout of an index folder::

    CURRENT          name of the live generation (replaced atomically)
    LOCK             held (flock) by the one process that writes; holds its pid
    gen-<stamp>/     a Whoosh index plus focal-search.json (schema version, times)

A full rebuild writes a new generation beside the live one and switches CURRENT to
it, so readers never see a half-built index. An incremental sync updates the live
generation in place through Whoosh's own atomic commits.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .documents import Article
from .errors import CorpusMissing, IndexIncompatible, IndexLocked, IndexMissing
from .extract import CorpusFile, SkipFile, read_article, read_bytes, walk_corpus
from .schema import SCHEMA_VERSION

CURRENT = "CURRENT"
LOCK = "LOCK"
META = "focal-search.json"
GEN_PREFIX = "gen-"
DEFAULT_LOCK_WAIT = 10.0  # seconds a second writer waits before giving up

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
    skipped: list[tuple[str, str]] = field(default_factory=list)
    articles: int = 0  # in the index afterwards
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


class FocalIndex:
    """An open, compatible index generation. Use as a context manager."""

    def __init__(self, folder: Path, generation: Path, meta: dict[str, Any]) -> None:
        from whoosh import index as whoosh_index

        self.folder = folder
        self.generation = generation
        self.meta = meta
        try:
            self.whoosh = whoosh_index.open_dir(str(generation))
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
        with self.whoosh.reader() as reader:
            live = list(reader.all_doc_ids())
            if live:
                dates = reader.column_reader("date")
                lang_col = reader.column_reader("lang")
                names = reader.column_reader("author_names")
                for n in live:
                    date = _text(dates[n])
                    years[date[:4] if date else "undated"] += 1
                    langs[_text(lang_col[n]) or "und"] += 1
                    authors.update(a for a in _text(names[n]).split("\n") if a)
            segments = len(reader.leaf_readers()) if live else 0
        return IndexStats(
            articles=len(live),
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
    lock_wait: float = DEFAULT_LOCK_WAIT,
    on_skip: SkipFn | None = None,
    on_progress: ProgressFn | None = None,
    on_notice: Callable[[str], None] | None = None,
) -> SyncReport:
    """Bring the index at ``folder`` up to date with ``corpus``.

    Incremental unless ``full`` is set or there is no usable index yet. One bad
    file is reported through ``on_skip`` and never stops the run.
    """
    started = time.monotonic()
    if not corpus.is_dir():
        raise CorpusMissing(
            f"corpus folder {corpus} does not exist"
            if not corpus.exists()
            else f"corpus {corpus} is not a folder",
            hint="pass --corpus DIR or set FOCAL_SEARCH_CORPUS",
        )
    _ensure_folder(folder)
    with _write_lock(folder, lock_wait):
        generation = _current_generation(folder)
        if not full and generation is not None:
            try:
                _read_meta(generation)
            except IndexIncompatible as err:
                if on_notice:
                    on_notice(f"{err.message}; rebuilding it from scratch")
                full = True
        if full or generation is None:
            report = _rebuild(corpus, folder, on_skip, on_progress)
        else:
            report = _update(corpus, folder, generation, on_skip, on_progress)
    report.seconds = time.monotonic() - started
    return report


# -- writing -----------------------------------------------------------------


def _rebuild(
    corpus: Path, folder: Path, on_skip: SkipFn | None, on_progress: ProgressFn | None
) -> SyncReport:
    from whoosh import index as whoosh_index

    from .schema import build_schema

    report = SyncReport(full=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    new_gen = Path(tempfile.mkdtemp(prefix=f"{GEN_PREFIX}{stamp}-", dir=folder))
    try:
        ix = whoosh_index.create_in(str(new_gen), build_schema())
        files = list(walk_corpus(corpus, on_error=_skip_sink(report, on_skip)))
        writer = ix.writer(limitmb=128)
        try:
            for done, file in enumerate(files, 1):
                doc = _load(file, report, on_skip)
                if doc is not None:
                    writer.add_document(**doc)
                    report.added += 1
                if on_progress:
                    on_progress(done, len(files))
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        report.articles = report.added
        ix.close()
        _write_meta(new_gen, corpus, created=True)
        _switch_to(folder, new_gen)
    except BaseException:
        shutil.rmtree(new_gen, ignore_errors=True)
        raise
    _remove_stale_generations(folder, keep=new_gen)
    return report


def _update(
    corpus: Path,
    folder: Path,
    generation: Path,
    on_skip: SkipFn | None,
    on_progress: ProgressFn | None,
) -> SyncReport:
    from whoosh import index as whoosh_index

    report = SyncReport(full=False)
    ix = whoosh_index.open_dir(str(generation))
    try:
        indexed = _indexed_fingerprints(ix)
        files = list(walk_corpus(corpus, on_error=_skip_sink(report, on_skip)))
        seen = {f.id for f in files}
        todo = [f for f in files if _stamp(indexed.get(f.id)) != f.stamp]
        report.unchanged = len(files) - len(todo)
        gone = [doc_id for doc_id in indexed if doc_id not in seen]

        writer = None

        def open_writer() -> Any:
            nonlocal writer
            if writer is None:
                writer = ix.writer(limitmb=128)
            return writer

        try:
            for done, file in enumerate(todo, 1):
                old = indexed.get(file.id)
                doc = _load(file, report, on_skip)
                if doc is None:
                    if old is not None:  # it was an article; now it is not
                        open_writer().delete_by_term("id", file.id)
                        report.removed += 1
                elif old is None:
                    open_writer().add_document(**doc)
                    report.added += 1
                else:
                    open_writer().update_document(**doc)
                    if _sha(old) == _sha(doc["fingerprint"]):
                        report.unchanged += 1  # touched, same bytes: only the stamp moved
                    else:
                        report.updated += 1
                if on_progress:
                    on_progress(done, len(todo))
            for doc_id in gone:
                open_writer().delete_by_term("id", doc_id)
                report.removed += 1
            if writer is not None:
                writer.commit()
        except BaseException:
            if writer is not None:
                writer.cancel()
            raise
        report.articles = int(ix.doc_count())
    finally:
        ix.close()
    _write_meta(generation, corpus, created=False)
    return report


def _load(
    file: CorpusFile,
    report: SyncReport,
    on_skip: SkipFn | None,
) -> dict[str, Any] | None:
    """The Whoosh document for one file, or None (and a skip report) when unusable."""
    try:
        data = read_bytes(file)
        sha = hashlib.sha256(data).hexdigest()
        article = read_article(file, data)
    except SkipFile as skip:
        report.skipped.append((str(file.path), str(skip)))
        if on_skip:
            on_skip(str(file.path), str(skip))
        return None
    return _document(article, f"{file.stamp}:{sha}")


def _document(article: Article, fingerprint: str) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": article.id,
        "fingerprint": fingerprint,
        "path": article.path,
        "title": article.title,
        "body": article.body,
        "bio": article.bio,
        "author": "\n".join(article.authors),
        "authors": list(article.authors),
        "words": "\n".join((article.title, *article.authors, article.body, article.bio)),
        "lang": article.lang,
        "undated": 0 if article.date else 1,
    }
    if article.authors:
        doc["author_names"] = "\n".join(article.authors)
    if article.url:
        doc["url"] = article.url
    if article.date:
        doc["date"] = article.date
        doc["year"] = article.year
    return doc


def _indexed_fingerprints(ix: Any) -> dict[str, str]:
    """id -> fingerprint for every live document, read from columns (no stored text)."""
    with ix.reader() as reader:
        if reader.doc_count() == 0:
            return {}
        ids = reader.column_reader("id")
        prints = reader.column_reader("fingerprint")
        return {_text(ids[n]): _text(prints[n]) for n in reader.all_doc_ids()}


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _stamp(fingerprint: str | None) -> str | None:
    return fingerprint.rsplit(":", 1)[0] if fingerprint else None


def _sha(fingerprint: str) -> str:
    return fingerprint.rsplit(":", 1)[-1]


def _skip_sink(report: SyncReport, on_skip: SkipFn | None) -> Callable[[Path, str], None]:
    def sink(path: Path, reason: str) -> None:
        report.skipped.append((str(path), reason))
        if on_skip:
            on_skip(str(path), reason)

    return sink


# -- layout, metadata and locking --------------------------------------------


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
    tmp = folder / f"{CURRENT}.tmp-{os.getpid()}"
    tmp.write_text(generation.name + "\n", encoding="utf-8")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, folder / CURRENT)


def _remove_stale_generations(folder: Path, keep: Path) -> None:
    for child in folder.iterdir():
        if child.is_dir() and child.name.startswith(GEN_PREFIX) and child != keep:
            shutil.rmtree(child, ignore_errors=True)


def _read_meta(generation: Path) -> dict[str, Any]:
    try:
        meta = json.loads((generation / META).read_text(encoding="utf-8"))
    except FileNotFoundError:
        meta = {}
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


def _write_meta(generation: Path, corpus: Path, *, created: bool) -> None:
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    path = generation / META
    meta: dict[str, Any] = {}
    if not created:
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
    meta.update(schema_version=SCHEMA_VERSION, corpus=str(corpus.resolve()), last_reindex=now)
    meta.setdefault("created", now)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


@contextmanager
def _write_lock(folder: Path, wait: float) -> Iterator[None]:
    """Exclusive writer lock. The OS drops it when the holder dies, so it is never stale."""
    fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
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
