"""Readers that turn corpus files into Articles, one module per source format.

``walk_corpus`` lists what could be indexed (a stat, no read); ``read_article``
reads one file and raises ``SkipFile`` with a reason when it cannot be used.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..documents import Article
from .text import SkipFile

__all__ = ["CorpusFile", "SkipFile", "read_article", "walk_corpus", "SUFFIXES"]

# Suffix -> reader name. Only these files are corpus files; everything else is ignored
# silently (images, PDFs, READMEs of a mirror are not articles).
SUFFIXES = (".txt",)

# Receives (path, reason) for each file or folder that cannot be used.
ErrorSink = Callable[[Path, str], None]

# Files larger than this are refused rather than read into memory.
MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class CorpusFile:
    path: Path
    id: str  # relative to the corpus root, always with '/'
    size: int
    mtime_ns: int

    @property
    def stamp(self) -> str:
        """What a stat can tell about the content: if it is unchanged, so is the file."""
        return f"{self.size}:{self.mtime_ns}"


def walk_corpus(root: Path, on_error: ErrorSink | None = None) -> Iterator[CorpusFile]:
    """Yield corpus files under ``root`` in a stable order, without reading them.

    Hidden files and folders are skipped; symlinked folders are not followed, so a
    link loop cannot trap the walk.
    """

    def report(err: OSError) -> None:
        if on_error is not None:
            on_error(Path(err.filename or root), f"cannot list folder: {err.strerror or err}")

    for dirpath, dirnames, filenames in os.walk(root, onerror=report):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or not name.lower().endswith(SUFFIXES):
                continue
            path = Path(dirpath, name)
            try:
                st = path.stat()
            except OSError as err:
                if on_error is not None:
                    on_error(path, f"cannot stat: {err.strerror or err}")
                continue
            if not os.path.isfile(path):
                continue
            rel = path.relative_to(root).as_posix()
            yield CorpusFile(path=path, id=rel, size=st.st_size, mtime_ns=st.st_mtime_ns)


def read_bytes(file: CorpusFile) -> bytes:
    """The file's bytes, or SkipFile with a reason a person understands."""
    if file.size > MAX_FILE_BYTES:
        raise SkipFile(
            f"too large ({file.size // (1024 * 1024)} MB; the limit is "
            f"{MAX_FILE_BYTES // (1024 * 1024)} MB)"
        )
    try:
        with open(file.path, "rb") as fh:
            return fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise SkipFile("vanished before it could be read") from None
    except OSError as err:
        raise SkipFile(f"cannot read: {err.strerror or err}") from None


def read_article(file: CorpusFile, data: bytes) -> Article:
    """Turn one corpus file's bytes into an Article (SkipFile when it holds none)."""
    from . import focal_page

    return focal_page.parse(data, id=file.id, path=str(file.path))
