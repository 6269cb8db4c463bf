"""Writes a corpus of hostile files, to check that reindexing survives all of them.

Every entry says what it is; ``expected_skips`` lists the files that must be named as
skipped (with a reason), and ``good`` the articles that must still be indexed.
"""

from __future__ import annotations

import gzip
import io
import os
import random
import zipfile
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
    odd = os.fsencode(str(root)) + b"/odd\xffname\nwith-newline.txt"
    with open(odd, "wb") as fh:
        fh.write(focal_page("Odd name", "Cy Díaz", ["An article with an odd file name."]).encode())
    return expected
