"""Reader for web captures: WARC, WARC.gz and WACZ (a zip holding WARCs).

Every successful HTML response (or resource) record becomes an article whose URL
is the record's target URI and whose capture time is the record's date. Revisits,
redirects, errors, robots.txt and non-HTML records are counted and skipped.
Decompression is bounded: a file that would expand far beyond its size is cut off
with a warning (the articles read before that point are kept), never read whole.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ..documents import Article
from . import html_page
from .log import ReadLog
from .text import SkipFile

MAX_RECORD_BYTES = 32 * 1024 * 1024  # an HTML page larger than this is not an article
# Decompressed bytes allowed per compressed byte, with a floor for small files.
MAX_EXPANSION = 100
MIN_BUDGET = 256 * 1024 * 1024
HTML_TYPES = ("text/html", "application/xhtml+xml")


def read_warc(path: Path, *, file_id: str, log: ReadLog) -> Iterator[Article]:
    arc = path.name.lower().endswith((".arc", ".arc.gz"))
    with open(path, "rb") as raw:
        size = path.stat().st_size
        yield from _records(raw, size, file_id=file_id, path=str(path), log=log, arc=arc)


def read_wacz(path: Path, *, file_id: str, log: ReadLog) -> Iterator[Article]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise SkipFile(f"not a readable WACZ/zip file ({err})") from None
    with archive:
        members = [
            i
            for i in archive.infolist()
            if i.filename.lower().endswith((".warc", ".warc.gz")) and not i.is_dir()
        ]
        if not members:
            raise SkipFile("WACZ holds no WARC files")
        for info in members:
            ratio = info.file_size / max(1, info.compress_size)
            if ratio > MAX_EXPANSION:
                log.warn(
                    f"{info.filename}: refused, it would expand {ratio:.0f}× "
                    "(a decompression bomb?)"
                )
                continue
            try:
                with archive.open(info) as member:
                    yield from _records(
                        member,
                        info.compress_size,
                        file_id=f"{file_id}!{info.filename}",
                        path=str(path),
                        log=log,
                    )
            except (zipfile.BadZipFile, OSError, EOFError) as err:
                log.warn(f"{info.filename}: unreadable ({err})")


def _records(
    stream: IO[bytes],
    compressed_size: int,
    *,
    file_id: str,
    path: str,
    log: ReadLog,
    arc: bool = False,
) -> Iterator[Article]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    class QuietIterator(ArchiveIterator):  # type: ignore[misc]
        # warcio writes this to sys.stderr itself (over our progress bar); we count
        # its occurrences instead and report them once.
        INC_RECORD = ""

    budget = max(MIN_BUDGET, compressed_size * MAX_EXPANSION)
    expanded = 0
    count = 0
    # ARC parsing is lenient enough to take any text for a record: only for .arc files.
    iterator = QuietIterator(stream, arc2warc=arc)
    try:
        for record in iterator:
            if not arc and not str(record.format).startswith("warc"):
                # warcio falls back to ARC parsing, which takes any text for a record.
                if count == 0:
                    raise SkipFile("not a WARC file (no WARC header)")
                log.warn(f"stopped after {count} records: the rest is not WARC")
                return
            count += 1
            expanded += int(record.length or 0)
            if expanded > budget:
                log.warn(
                    f"stopped after {count - 1} records: the file expands beyond "
                    f"{budget // (1024 * 1024)} MB (a decompression bomb?)"
                )
                return
            reason = _not_an_article(record)
            if reason == "":
                continue  # request, metadata, warcinfo: not pages at all
            if reason:
                log.skip(reason)
                continue
            if (record.length or 0) > MAX_RECORD_BYTES:
                log.skip("record too large")
                continue
            payload = record.content_stream().read(MAX_RECORD_BYTES + 1)
            if getattr(record.raw_stream, "limit", 0) > 0:
                # The file ended inside this record: its page is incomplete.
                log.warn(f"truncated after {count - 1} records (the next record is cut short)")
                return
            url = record.rec_headers.get_header("WARC-Target-URI") or None
            try:
                yield html_page.parse(
                    payload,
                    id=f"{file_id}#{iterator.get_record_offset()}",
                    path=path,
                    url=url,
                    charset=_charset(record),
                    captured=record.rec_headers.get_header("WARC-Date") or None,
                )
            except SkipFile:
                log.skip("HTML without article text")
        if count == 0:
            raise SkipFile("not a WARC file (no records in it)")
        if iterator.err_count:
            log.warn(
                f"{iterator.err_count} record(s) with a wrong length; read as well as possible"
            )
    except (ArchiveLoadFailed, EOFError, OSError, ValueError) as err:
        if count == 0:
            raise SkipFile(f"not a readable WARC file ({_short(err)})") from None
        log.warn(f"truncated or corrupt after {count - 1} records ({_short(err)})")
    except Exception as err:  # noqa: BLE001 - zlib and warcio raise many kinds on damage
        if type(err).__module__.startswith(("zlib", "gzip", "warcio", "brotli")):
            log.warn(f"truncated or corrupt after {count - 1} records ({_short(err)})")
        else:
            raise


def _not_an_article(record: Any) -> str | None:
    """None for an HTML page to index; a skip reason; or "" for records to ignore."""
    kind = record.rec_type
    if kind == "revisit":
        return "revisit"
    if kind not in ("response", "resource"):
        return ""
    url = (record.rec_headers.get_header("WARC-Target-URI") or "").lower()
    if url.split("?", 1)[0].endswith("/robots.txt"):
        return "robots.txt"
    content_type = record.rec_headers.get_header("Content-Type") or ""
    if kind == "response":
        if record.http_headers is None:
            return "non-HTTP response"
        status = record.http_headers.get_statuscode() or ""
        if status.startswith("3"):
            return "redirect"
        if not status.startswith("2"):
            return "HTTP error"
        content_type = record.http_headers.get_header("Content-Type") or ""
    if content_type.split(";", 1)[0].strip().lower() not in HTML_TYPES:
        return "non-HTML"
    return None


def _charset(record: Any) -> str | None:
    headers = record.http_headers or record.rec_headers
    content_type = headers.get_header("Content-Type") or ""
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


def _short(err: BaseException) -> str:
    text = str(err) or type(err).__name__
    return text if len(text) < 120 else text[:117] + "…"
