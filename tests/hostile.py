"""Writes a corpus of hostile files, to check that reindexing survives all of them.

Every entry says what it is; ``expected_skips`` lists the files that must be named as
skipped (with a reason), and ``good`` the articles that must still be indexed.
"""

from __future__ import annotations

import gzip
import io
import os
import random
import struct
import zipfile
import zlib
from pathlib import Path

from .archive_fixtures import Warc, html_page
from .conftest import focal_page

GOOD = {
    "good/one.txt": focal_page(
        "Hostile corpus survivor", "Ann Lee", ["NORAD is still here after everything else."]
    ),
    "good/cp1252.txt": focal_page(
        "Québec et Haïti", "Luc Roy", ["Les élections à Montréal, déjà."]
    ).encode("cp1252"),
    "good/long-line.txt": focal_page("One long line", "Bo Ray", ["NORAD " + "longword " * 120_000]),
}


def write_hostile_corpus(root: Path, *, big_mb: int = 50, seed: int = 7) -> dict[str, str]:
    """Write the corpus; returns {file name: what the reason must mention}."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in GOOD.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)

    expected: dict[str, str] = {}

    def put(name: str, data: bytes, reason: str) -> None:
        (root / name).write_bytes(data)
        expected[name] = reason

    put("random.txt", bytes(rng.randrange(256) for _ in range(20_000)), "")
    put("zero.txt", b"", "empty")
    put("nul.txt", b"Title\n\nText with a NUL \x00 byte in it.\n" * 10, "binary")
    put("bad-utf8.txt", b"Title\n\nAuthor Name\n\nSome \xff\xfe\xfa text " * 50, "")
    put("deep.html", ("<div>" * 20_000 + "deep text" + "</div>" * 20_000).encode(), "")
    put("tags-only.html", b"<html><body><script>x()</script></body></html>", "no article")
    big = root / "big.txt"
    with big.open("wb") as fh:  # a 50 MB text file, written in chunks
        chunk = b"NORAD border security " * 50_000
        for _ in range(big_mb * 1024 * 1024 // len(chunk) + 1):
            fh.write(chunk)
    expected["big.txt"] = "too large"
    warc = (
        Warc()
        .response(
            "http://a.org/1",
            html_page(
                "First page",
                [
                    "A complete first page about trade and borders between Canada and Mexico, long "
                    "enough to be an article of its own in the archive."
                ],
            ),
        )
        .response("http://a.org/2", html_page("Second page", ["This one is cut off. " * 40]))
        .bytes()
    )
    (root / "truncated.warc.gz").write_bytes(warc[: len(warc) - 300])  # warns, keeps page 1
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open("archive/bomb.warc", "w") as member:
            for _ in range(30):
                member.write(b"\0" * (1024 * 1024))
    (root / "bomb.wacz").write_bytes(bomb.getvalue())  # warns
    put("gzip-bomb.warc.gz", gzip.compress(b"\0" * (30 * 1024 * 1024)), "")
    loop = root / "loop"
    loop.mkdir()
    os.symlink("..", loop / "back-up")  # a symlink loop: folders are not followed
    os.symlink("nowhere.txt", root / "dangling.txt")
    outside = root.parent / f"{root.name}-outside.txt"  # a link out of the corpus
    outside.write_text(focal_page("Not for the index", "Al Poe", ["A private note."]))
    os.symlink(outside, root / "escape.txt")
    expected["escape.txt"] = "outside the corpus"
    # An unusable URL and a line nested too deeply cost that URL and that line only.
    (root / "bad-url.jsonl").write_bytes(
        b'{"id": "1", "text": "NORAD at a bad port.", "url": "http://a.org:99999/"}\n'
        b'{"id": "2", "text": "Deep", "x": ' + b"[" * 50_000 + b"}\n"
    )
    odd = os.fsencode(str(root)) + b"/odd\xffname\nwith-newline.txt"
    with open(odd, "wb") as fh:
        fh.write(focal_page("Odd name", "Cy Díaz", ["An article with an odd file name."]).encode())
    return expected


def gzip_repeating(head: bytes, block: bytes, times: int) -> bytes:
    """A valid gzip file inflating to ``head + block * times``, written in about
    ``len(compress(block)) * times`` bytes without ever holding the inflated data:
    deflate blocks ended by a full flush do not refer to what came before, so one
    compressed block can be repeated. 1 MiB of one byte compresses to about 1 KiB,
    so a 1 MB file inflates to 1 GiB."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = deflate.compress(head) + deflate.flush(zlib.Z_FULL_FLUSH)
    again = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    last = deflate.flush(zlib.Z_FINISH)
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(block, crc)
    size = len(head) + len(block) * times
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = struct.pack("<II", crc, size & 0xFFFFFFFF)
    return header + first + again * times + last + trailer


def warc_headers(kind: str, url: str, length: int, content_type: str) -> bytes:
    """The header block of one WARC record announcing ``length`` bytes of content."""
    return (
        f"WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Target-URI: {url}\r\n"
        "WARC-Date: 2010-01-01T00:00:00Z\r\n"
        "WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000001>\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {length}\r\n\r\n"
    ).encode("ascii")
