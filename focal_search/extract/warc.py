"""Reader for web captures: WARC, WARC.gz and WACZ (a zip holding WARCs).

Every successful HTML response (or resource) record becomes an article whose URL
is the record's target URI and whose capture time is the record's date. Revisits,
redirects, errors, robots.txt and non-HTML records are counted and skipped.

Everything warcio parses is bounded here, whatever warcio does: gzip members are
inflated by this module (never by warcio), at most MAX_EXPANSION times the file's
size in all (a bomb is cut off with a warning, the articles before it kept), and no
line or header block may exceed MAX_LINE_BYTES / MAX_HEADER_BYTES (so a run of bytes
without a line break is refused in linear time, not gathered into one line).
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from bisect import bisect_right
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import IO, Any

from ..documents import Article
from . import html_page
from .failures import ReadRefused, describe
from .log import ReadLog
from .text import SkipFile

MAX_RECORD_BYTES = 32 * 1024 * 1024  # an HTML page larger than this is not an article
# Decompressed bytes allowed per compressed byte, with a floor for small files (a
# multiple of the record cap: a few large pages always fit).
MAX_EXPANSION = 100
MIN_BUDGET = 8 * MAX_RECORD_BYTES
# Header lines are short (a long URL is a few KB); a header block is a few dozen
# lines. Both bound what the header parser holds in memory.
MAX_LINE_BYTES = 256 * 1024
MAX_HEADER_BYTES = 1024 * 1024
CHUNK = 64 * 1024  # compressed bytes read at a time
# A WACZ holds a few WARCs and indexes; zipfile keeps about 0.5 KB per entry listed,
# so a zip of millions of empty entries would be a memory bomb of its own.
MAX_WACZ_ENTRIES = 100_000
HTML_TYPES = ("text/html", "application/xhtml+xml")


def read_warc(path: Path, *, file_id: str, log: ReadLog) -> Iterator[Article]:
    arc = path.name.lower().endswith((".arc", ".arc.gz"))
    with open(path, "rb") as raw:
        budget = _Budget(path.stat().st_size)
        yield from _records(raw, budget, file_id=file_id, path=str(path), log=log, arc=arc)


def read_wacz(path: Path, *, file_id: str, log: ReadLog) -> Iterator[Article]:
    entries = _zip_entries(path)
    if entries > MAX_WACZ_ENTRIES:
        raise SkipFile(f"WACZ with too many files ({entries:,}; the limit is {MAX_WACZ_ENTRIES:,})")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise SkipFile(f"not a readable WACZ/zip file ({describe(err)})") from None
    budget = _Budget(path.stat().st_size)  # shared: many members cannot multiply it
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
                        budget,
                        file_id=f"{file_id}!{info.filename}",
                        path=str(path),
                        log=log,
                        name=f"{info.filename}: ",
                    )
            except SkipFile as skip:
                log.warn(f"{info.filename}: {skip}")
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as err:
                log.warn(f"{info.filename}: unreadable ({describe(err)})")


def _zip_entries(path: Path) -> int:
    """How many entries a zip file says it lists, read from its end records without
    listing them (0 when they cannot be found: zipfile then says what is wrong)."""
    with open(path, "rb") as fh:
        size = fh.seek(0, 2)
        fh.seek(max(0, size - 66_000))  # the end record, and a comment of 64 KB at most
        tail = fh.read()
    end = tail.rfind(b"PK\x05\x06")
    if end < 0 or len(tail) < end + 22:
        return 0
    entries = int(struct.unpack_from("<H", tail, end + 10)[0])
    zip64 = tail.rfind(b"PK\x06\x06", 0, end)
    if entries == 0xFFFF and zip64 >= 0 and len(tail) >= zip64 + 56:
        entries = int(struct.unpack_from("<Q", tail, zip64 + 32)[0])
    return entries


class _Budget:
    """How many bytes one corpus file may expand to, across all its gzip members (and
    all the WARCs of a WACZ)."""

    def __init__(self, compressed_size: int) -> None:
        self.limit = max(MIN_BUDGET, compressed_size * MAX_EXPANSION)
        self.used = 0

    def spend(self, n: int) -> None:
        self.used += n
        if self.used > self.limit:
            raise ReadRefused(
                f"expands beyond {self.limit // (1024 * 1024)} MB (a decompression bomb?)"
            )


class _Inflated:
    """The bytes of a WARC or ARC file, gzip members inflated, for warcio to parse as an
    uncompressed file. Each read inflates at most what was asked for, and every byte
    is charged to the budget. ``origin`` maps an offset back to the file's own (the
    compressed member's), so record ids are those of the file as stored."""

    def __init__(self, raw: IO[bytes], budget: _Budget) -> None:
        self._raw = raw
        self._budget = budget
        self._pending = raw.read(CHUNK)
        self._consumed = len(self._pending)  # compressed bytes read from raw
        self._gzip = self._pending[:2] == b"\x1f\x8b"
        self._inflater: Any = None
        self._out = 0  # bytes handed out
        self._starts: list[int] = []  # of each gzip member, in inflated bytes
        self._origins: list[int] = []  # of each gzip member, in the file's bytes

    def tell(self) -> int:
        return self._out

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = CHUNK
        data = self._inflate(size) if self._gzip else self._plain(size)
        self._out += len(data)
        self._budget.spend(len(data))
        return data

    def origin(self, offset: int) -> str:
        if not self._gzip:
            return str(offset)
        i = max(0, bisect_right(self._starts, offset) - 1)
        start, origin = self._starts[i], self._origins[i]
        # A record inside a member (a WARC gzipped whole, not per record) has no
        # offset of its own in the file: it is named by its member and its place in it.
        return str(origin) if offset == start else f"{origin}+{offset - start}"

    def _plain(self, size: int) -> bytes:
        if self._pending:
            data, self._pending = self._pending[:size], self._pending[size:]
            return data
        return self._raw.read(size)

    def _inflate(self, size: int) -> bytes:
        while True:
            if self._inflater is None:
                if not self._pending and not self._more():
                    return b""  # the end, between members
                self._starts.append(self._out)
                self._origins.append(self._consumed - len(self._pending))
                self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            if not self._pending and not self._more():
                raise EOFError("the compressed data ends inside a member")
            data: bytes = self._inflater.decompress(self._pending, size)
            if self._inflater.eof:
                self._pending = self._inflater.unused_data
                self._inflater = None
            else:
                self._pending = self._inflater.unconsumed_tail
            if data:
                return data

    def _more(self) -> bool:
        self._pending = self._raw.read(CHUNK)
        self._consumed += len(self._pending)
        return bool(self._pending)


@cache
def _warcio_classes() -> tuple[Any, Any]:
    """warcio's iterator and line reader, adapted (imported on first use only)."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.bufferedreaders import BufferedReader

    class QuietIterator(ArchiveIterator):  # type: ignore[misc]
        # warcio writes this to sys.stderr itself (over our progress bar); we count
        # its occurrences instead and report them once.
        INC_RECORD = ""

    class BoundedLines(BufferedReader):  # type: ignore[misc]
        """warcio's reader with a line reading that is linear (warcio's own appends
        to a bytes object, quadratic in the line's length) and bounded: a line over
        MAX_LINE_BYTES, or lines over MAX_HEADER_BYTES with no blank line or read
        between them, stop the file. Payloads are read with read(), not lines."""

        run = 0  # bytes of lines read since the last blank line or read()

        def read(self, length: int | None = None) -> bytes:
            self.run = 0
            return bytes(super().read(length))

        def readline(self, length: int | None = None) -> bytes:
            if length == 0:
                return b""
            parts: list[bytes] = []
            got = 0
            while True:
                self._fillbuff()
                if self.empty():
                    break
                part = self.buff.readline(length - got if length else -1)
                parts.append(part)
                got += len(part)
                if part.endswith(b"\n") or (length and got >= length):
                    break
                if got > MAX_LINE_BYTES:
                    raise ReadRefused(
                        f"a line of over {MAX_LINE_BYTES // 1024} KB without a line break "
                        "(not WARC data)"
                    )
            line = b"".join(parts)
            self.run = 0 if not line.strip() else self.run + len(line)
            if self.run > MAX_HEADER_BYTES:
                raise ReadRefused(
                    f"a header block of over {MAX_HEADER_BYTES // (1024 * 1024)} MB (not WARC data)"
                )
            return line

    return QuietIterator, BoundedLines


def _records(
    stream: IO[bytes],
    budget: _Budget,
    *,
    file_id: str,
    path: str,
    log: ReadLog,
    arc: bool = False,
    name: str = "",
) -> Iterator[Article]:
    """The articles of one WARC (or ARC) stream; ``name`` prefixes its warnings."""
    iterator_class, reader_class = _warcio_classes()
    source = _Inflated(stream, budget)
    # ARC parsing is lenient enough to take any text for a record: only for .arc files.
    iterator = iterator_class(source, arc2warc=arc)
    # Before the first record is read: every line warcio reads goes through ours, and
    # it never decompresses (the bytes are inflated already; a gzip inside is junk).
    iterator.reader = reader_class(source, decomp_type=None)
    done = 0  # records read whole
    try:
        for record in iterator:
            if not arc and not str(record.format).startswith("warc"):
                # warcio falls back to ARC parsing, which takes any text for a record.
                if done == 0:
                    raise SkipFile("not a WARC file (no WARC header)")
                log.warn(f"{name}stopped after {done} records: the rest is not WARC")
                return
            article = _article(record, iterator, source, file_id=file_id, path=path, log=log)
            if article is not None:
                yield article
            done += 1
        if done == 0:
            raise SkipFile("not a WARC file (no records in it)")
        if iterator.err_count:
            log.warn(
                f"{name}{iterator.err_count} record(s) with a wrong length; "
                "read as well as possible"
            )
    except SkipFile:
        raise
    except ReadRefused as err:
        if done == 0:
            raise SkipFile(str(err)) from None
        log.warn(f"{name}stopped after {done} records: {err}")
    except EOFError:
        if done == 0:
            raise SkipFile("truncated capture (it ends inside its first record)") from None
        log.warn(f"{name}truncated after {done} records (the next record is cut short)")
    except Exception as err:  # noqa: BLE001 - warcio and zlib raise many kinds on damage
        if done == 0:
            raise SkipFile(f"not a readable WARC file: {describe(err)}") from None
        log.warn(f"{name}stopped after {done} records: {describe(err)}")


def _article(
    record: Any, iterator: Any, source: _Inflated, *, file_id: str, path: str, log: ReadLog
) -> Article | None:
    """The record's article, or None (counted in ``log`` when it is a page skipped)."""
    reason = _not_an_article(record)
    if reason == "":
        return None  # request, metadata, warcinfo: not pages at all
    if reason:
        log.skip(reason)
        return None
    if (record.length or 0) > MAX_RECORD_BYTES:
        log.skip("record too large")
        return None
    payload = record.content_stream().read(MAX_RECORD_BYTES + 1)
    if getattr(record.raw_stream, "limit", 0) > 0:
        raise EOFError("the file ends inside this record")
    url = record.rec_headers.get_header("WARC-Target-URI") or None
    # Where this record starts (what get_record_offset() gives, without its reading on
    # past the record: whatever follows may be a bomb, refused only after this page).
    offset = iterator.offset
    try:
        return html_page.parse(
            payload,
            id=f"{file_id}#{source.origin(offset)}",
            path=path,
            url=url,
            charset=_charset(record),
            captured=record.rec_headers.get_header("WARC-Date") or None,
        )
    except SkipFile:
        log.skip("HTML without article text")
    except Exception as err:  # noqa: BLE001 - one page the HTML parsers choke on
        log.skip(f"unreadable page ({describe(err)})")
    return None


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
