"""Readers that turn corpus files into Articles, one module per source format.

``walk_corpus`` lists what could be indexed (a stat, no read); ``load_source``
reads one file into its content hash and articles, and raises ``SkipFile`` with a
reason when the file cannot be used at all.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from operator import attrgetter
from pathlib import Path
from typing import Any, BinaryIO, overload

from ..documents import Article
from .location import valid_url
from .log import ReadLog
from .text import CannotOpen, SkipFile

__all__ = [
    "CannotOpen",
    "CorpusFile",
    "CorpusListing",
    "ReadLog",
    "SkipFile",
    "load_source",
    "walk_corpus",
    "SUFFIXES",
]

# The parsing libraries log their complaints about damaged input; with no handler
# configured, Python would print them on stderr, over our progress bar and messages.
# What matters reaches the user through SkipFile and ReadLog instead.
for _name in ("warcio", "trafilatura", "htmldate", "courlan", "charset_normalizer", "justext"):
    logging.getLogger(_name).addHandler(logging.NullHandler())

# Only these files are corpus files; everything else is ignored silently (images,
# PDFs, stylesheets of a mirror are not articles).
PAGE_SUFFIXES = (".txt", ".html", ".htm", ".xhtml")
STREAM_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz", ".wacz", ".jsonl")
SUFFIXES = PAGE_SUFFIXES + STREAM_SUFFIXES

# Receives (path, reason) for each file or folder that cannot be used.
ErrorSink = Callable[[Path, str], None]

# A single page larger than this is refused rather than read and indexed: real
# articles are far smaller, and it bounds the memory and time one file can take.
MAX_FILE_BYTES = 16 * 1024 * 1024


class CorpusFile:
    """A corpus file as listed: its id (the path relative to the corpus root, always
    with '/'), size and modification time. A large archive lists a million of them
    and keeps them for the whole run, so each is small: no dict, and its location
    is not kept beside its id when it is the corpus root followed by the id."""

    __slots__ = ("id", "size", "mtime_ns", "_root", "_location")

    def __init__(self, location: str, id: str, size: int, mtime_ns: int, root: str = "") -> None:
        self.id = id
        self.size = size
        self.mtime_ns = mtime_ns
        self._root = root if root and location == root + id else ""
        self._location = "" if self._root else location

    @property
    def location(self) -> str:
        """The file's path as listed (a Path is made only when it is read)."""
        return self._location or self._root + self.id

    @property
    def path(self) -> Path:
        return Path(self.location)

    def _key(self) -> tuple[str, str, int, int]:
        return (self.location, self.id, self.size, self.mtime_ns)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CorpusFile) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"CorpusFile(location={self.location!r}, id={self.id!r}, "
            f"size={self.size}, mtime_ns={self.mtime_ns})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (CorpusFile, self._key())

    @property
    def stamp(self) -> str:
        """What a stat can tell about the content: if it is unchanged, so is the file."""
        return f"{self.size}:{self.mtime_ns}"


class CorpusListing(Sequence[CorpusFile]):
    """A listing of corpus files kept compactly: ids as one UTF-8 buffer with offsets,
    sizes and times as arrays; each CorpusFile is made when asked for. A rebuild
    holds its listing to the end, and a million CorpusFile objects with their id
    strings were 290 MB of its peak; this is about 100 bytes a file."""

    def __init__(self, files: Iterable[CorpusFile]) -> None:
        self._ids = bytearray()
        self._ends = array("q")
        self._sizes = array("q")
        self._times = array("q")
        self._root = ""
        self._elsewhere: dict[int, str] = {}  # location, when not the root + the id
        for n, file in enumerate(files):
            if n == 0:
                self._root = file._root
            if file._root != self._root or not file._root:
                self._elsewhere[n] = file.location
            self._ids += file.id.encode("utf-8", "surrogatepass")
            self._ends.append(len(self._ids))
            self._sizes.append(file.size)
            self._times.append(file.mtime_ns)

    def __len__(self) -> int:
        return len(self._ends)

    def _file(self, n: int) -> CorpusFile:
        start = self._ends[n - 1] if n else 0
        ident = self._ids[start : self._ends[n]].decode("utf-8", "surrogatepass")
        location = self._elsewhere.get(n) or self._root + ident
        return CorpusFile(location, ident, self._sizes[n], self._times[n], self._root)

    @overload
    def __getitem__(self, index: int) -> CorpusFile: ...

    @overload
    def __getitem__(self, index: slice) -> list[CorpusFile]: ...

    def __getitem__(self, index: int | slice) -> CorpusFile | list[CorpusFile]:
        if isinstance(index, slice):
            return [self._file(n) for n in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("corpus listing index out of range")
        return self._file(index)

    def __iter__(self) -> Iterator[CorpusFile]:
        return map(self._file, range(len(self)))


def walk_corpus(root: Path, on_error: ErrorSink | None = None) -> Iterator[CorpusFile]:
    """Yield corpus files under ``root`` in a stable order, without reading them.

    Hidden files and folders are skipped; symlinked folders are not followed, so a
    link loop cannot trap the walk. A symlinked file is read only when its target is
    inside the corpus too: a link out (to a system file, another user's folder) is
    reported and skipped. One stat per file (a no-op reindex of a large archive is
    mostly this walk).
    """
    top = os.fspath(root)
    prefix = len(top.rstrip(os.sep)) + 1
    shared_root = top.rstrip(os.sep) + os.sep  # each file's location is this + its id
    inside = os.path.join(os.path.realpath(top), "")
    is_file = stat.S_ISREG
    by_name = attrgetter("name")
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as entries:
                listed = sorted(entries, key=by_name)
        except OSError as err:
            if on_error is not None:
                on_error(Path(folder), f"cannot list folder: {err.strerror or err}")
            continue
        subfolders = []
        for entry in listed:
            name = entry.name
            if name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    subfolders.append(entry.path)
                    continue
                if not name.lower().endswith(SUFFIXES):
                    continue
                path = entry.path
                if entry.is_symlink() and not os.path.realpath(path).startswith(inside):
                    if on_error is not None:
                        on_error(Path(path), "symlink to a file outside the corpus")
                    continue
                st = entry.stat()  # follows a symlink to a file; fails on a dangling one
            except OSError as err:
                if on_error is not None:
                    on_error(Path(entry.path), f"cannot stat: {err.strerror or err}")
                continue
            if not is_file(st.st_mode):
                continue
            rel = path[prefix:]
            if os.sep != "/":
                rel = rel.replace(os.sep, "/")
            ident = rel if rel.isascii() else _display_id(rel)
            yield CorpusFile(path, ident, st.st_size, st.st_mtime_ns, shared_root)
        stack.extend(reversed(subfolders))


def _display_id(rel: str) -> str:
    """A relative path as text that can be stored and printed: bytes that are not
    UTF-8 in a file name appear as ``\\xff`` rather than as unencodable surrogates."""
    if rel.isascii():
        return rel
    return os.fsencode(rel).decode("utf-8", "backslashreplace")


def load_source(file: CorpusFile, log: ReadLog) -> tuple[str, Iterable[Article]]:
    """The file's SHA-256 and its articles (read lazily for multi-article formats)."""
    sha, articles = _load(file, log)
    return sha, _checked_urls(articles, log)


def _load(file: CorpusFile, log: ReadLog) -> tuple[str, Iterable[Article]]:
    name = file.path.name.lower()
    captured = datetime.fromtimestamp(file.mtime_ns / 1e9, timezone.utc).isoformat(
        timespec="seconds"
    )
    if name.endswith(PAGE_SUFFIXES):
        data = _read_bytes(file)
        sha = hashlib.sha256(data).hexdigest()
        if name.endswith(".txt"):
            from . import focal_page

            return sha, [focal_page.parse(data, id=file.id, path=str(file.path), captured=captured)]
        from . import html_page

        return sha, [html_page.parse(data, id=file.id, path=str(file.path), captured=captured)]
    sha = _hash_file(file)
    if name.endswith(".jsonl"):
        return sha, _jsonl(file, log, captured)
    from . import warc

    if name.endswith(".wacz"):
        return sha, warc.read_wacz(file.path, file_id=file.id, log=log)
    return sha, warc.read_warc(file.path, file_id=file.id, log=log)


def _checked_urls(articles: Iterable[Article], log: ReadLog) -> Iterator[Article]:
    """The articles, each URL that cannot be taken apart (a port out of range, a broken
    IPv6 host: from a JSON field, a WARC header, a canonical link or a folder name)
    dropped; the article is kept and the file gets one warning, however many."""
    dropped = 0
    first = ""
    try:
        for article in articles:
            if article.url and valid_url(article.url) is None:
                dropped += 1
                first = first or article.url
                article = replace(article, url=None)
            yield article
    finally:
        if dropped:
            example = first if len(first) <= 80 else first[:79] + "…"
            log.warn(
                f"{dropped} invalid URL{'s' if dropped != 1 else ''} dropped "
                f"(such as {example!r}); the articles are kept"
            )


def _jsonl(file: CorpusFile, log: ReadLog, captured: str) -> Iterator[Article]:
    from . import records

    with _open(file) as stream:
        yield from records.read(
            stream, file_id=file.id, path=str(file.path), log=log, captured=captured
        )


def _read_bytes(file: CorpusFile) -> bytes:
    """A single-page file's bytes, or SkipFile with a reason a person understands."""
    if file.size > MAX_FILE_BYTES:
        raise SkipFile(
            f"too large ({file.size // (1024 * 1024)} MB; the limit is "
            f"{MAX_FILE_BYTES // (1024 * 1024)} MB)"
        )
    with _open(file) as fh:
        # Sized by the listing: read(limit) allocates the whole limit, 16 MB a file.
        data = fh.read(file.size + 1)
        if len(data) > file.size:  # it grew since it was listed
            data += fh.read(MAX_FILE_BYTES + 1 - len(data))
        return data


def _hash_file(file: CorpusFile) -> str:
    digest = hashlib.sha256()
    with _open(file) as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _open(file: CorpusFile) -> BinaryIO:
    try:
        return open(file.path, "rb")
    except FileNotFoundError:
        raise CannotOpen("vanished before it could be read") from None
    except OSError as err:
        raise CannotOpen(f"cannot read: {err.strerror or err}") from None
