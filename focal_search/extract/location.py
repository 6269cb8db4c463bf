"""What a file's place in the corpus says: original URL, date and language hints.

A mirror-like layout (``www.focal.ca/en/publications/.../433-april-2011-diego-ayo.txt``)
names the host in its first folder; only then is a URL recovered. Dates come only
from an explicit month-and-year (or year-month) in the file name, never guessed.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

_HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}(?::\d{1,5})?$", re.I)

_MONTHS: dict[str, int] = {}
for _num, _names in enumerate(
    [
        "january jan janvier janv enero ene",
        "february feb fevrier février fevr févr febrero",
        "march mar mars marzo",
        "april apr avril abril abr",
        "may mai mayo",
        "june jun juin junio",
        "july jul juillet juil julio",
        "august aug aout août agosto ago",
        "september sep sept septembre septiembre setiembre",
        "october oct octobre octubre",
        "november nov novembre noviembre",
        "december dec decembre décembre diciembre dic",
    ],
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _num

MONTHS = _MONTHS  # month names and abbreviations (en, fr, es) -> 1..12

_LANG_FOLDERS = {"en": "en", "fr": "fr", "es": "es", "sp": "es"}
_LANG_SUFFIX = re.compile(r"[-_](en|fr|es|sp)$")
_INDEX_PAGE = re.compile(r"/(?:index|default)\.(?:html?|php|aspx?)$", re.IGNORECASE)


def url_from_id(doc_id: str) -> str | None:
    """``host/path/name.txt`` -> ``http://host/path/name``; None when not a mirror.
    A mirror of a replay (``web.archive.org/web/2011.../https://host/...``) gives the
    original URL it records, scheme and host as recorded."""
    host, sep, rest = doc_id.partition("/")
    if not sep or not _HOST.match(host):
        return None
    if rest.lower().endswith(".txt"):
        rest = rest[: -len(".txt")]
    return original_url(f"http://{host.lower()}/{quote(rest, safe='/%:@&=+$,;~!*()')}")


# A replay URL of a web archive (Wayback, Archive-It, pywb): the original URL follows
# the 14-digit capture stamp (and an optional "id_"/"im_" modifier), its "//" often
# collapsed to "/" by a mirror's file path.
_REPLAY = re.compile(r"/\d{14}(?:[a-z]{2}_)?/(https?):/{1,2}(?=[^/])(.+)$", re.IGNORECASE)


def original_url(url: str) -> str:
    """The URL the capture records for the page: a replay URL's embedded original
    (with its own scheme and host), else ``url`` unchanged."""
    m = _REPLAY.search(url)
    if not m:
        return url
    return f"{m.group(1).lower()}://{m.group(2)}"


def date_from_name(doc_id: str) -> str | None:
    """ "YYYY-MM" from a slug like ``433-april-2011-diego-ayo`` or ``2009-03-report``."""
    stem = doc_id.rsplit("/", 1)[-1].rsplit(".", 1)[0].lower()
    words = [w for w in re.split(r"[-_\s.]+", stem) if w]
    for first, second in zip(words, words[1:], strict=False):
        if first in _MONTHS and _is_year(second):
            return f"{second}-{_MONTHS[first]:02d}"
        if _is_year(first) and second.isdigit() and len(second) == 2 and 1 <= int(second) <= 12:
            return f"{first}-{second}"
    return None


def lang_from_id(doc_id: str) -> str | None:
    """A language folder in the path (``/en/``, ``/fr/``, ``/sp/``), if any."""
    for part in doc_id.lower().split("/")[:-1]:
        if part in _LANG_FOLDERS:
            return _LANG_FOLDERS[part]
    return None


def valid_url(url: str | None) -> str | None:
    """``url`` when it can be taken apart (host, port); None for text that only looks
    like a URL (``http://h:99999/``, ``http://[::1/``), which urllib refuses with a
    ValueError. Archive URLs are untrusted: every one goes through here first."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        _ = parts.hostname, parts.port
    except ValueError:
        return None
    return url


def canonical_url(url: str) -> str:
    """The key under which captures of one page are the same article: scheme, "www.",
    default port, fragment, trailing slash and index pages do not matter. Total: a URL
    that cannot be taken apart is its own key."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip().lower()
    host = (parts.hostname or "").lower().removeprefix("www.")
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    path = _INDEX_PAGE.sub("/", parts.path or "/").rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{path}{query}"


def lang_from_name(doc_id: str) -> str | None:
    """A language suffix on the file or page name: ``report-fr``, ``note_sp.html``."""
    stem = doc_id.rstrip("/").rsplit("/", 1)[-1].split(".", 1)[0].lower()
    m = _LANG_SUFFIX.search(stem)
    return _LANG_FOLDERS[m.group(1)] if m else None


def pair_key(where: str) -> str | None:
    """What the versions of one article in several languages share, when the archive
    makes it evident: the same slug with -en / -fr / -es, or the same leading number
    in the same section (``433-april-2011-x`` and ``433-avril-2011-x``)."""
    path = canonical_url(where) if "://" in where else where.rsplit(".", 1)[0]
    folders, _, slug = path.rpartition("/")
    folders = "/".join(p for p in folders.split("/") if p.lower() not in _LANG_FOLDERS)
    m = _LANG_SUFFIX.search(slug.lower())
    if m:
        return f"{folders}/{slug[: m.start()]}"
    number = re.match(r"^(\d+)-", slug)
    return f"{folders}/#{number.group(1)}" if number else None


def _is_year(word: str) -> bool:
    return len(word) == 4 and word.isdigit() and 1900 <= int(word) <= 2099
