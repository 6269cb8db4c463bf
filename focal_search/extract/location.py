"""What a file's place in the corpus says: original URL, date and language hints.

A mirror-like layout (``www.focal.ca/en/publications/.../433-april-2011-diego-ayo.txt``)
names the host in its first folder; only then is a URL recovered. Dates come only
from an explicit month-and-year (or year-month) in the file name, never guessed.
"""

from __future__ import annotations

import re
from urllib.parse import quote

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

_LANG_FOLDERS = {"en": "en", "fr": "fr", "es": "es", "sp": "es"}


def url_from_id(doc_id: str) -> str | None:
    """``host/path/name.txt`` -> ``http://host/path/name``; None when not a mirror."""
    host, sep, rest = doc_id.partition("/")
    if not sep or not _HOST.match(host):
        return None
    if rest.lower().endswith(".txt"):
        rest = rest[: -len(".txt")]
    return f"http://{host.lower()}/{quote(rest, safe='/%:@&=+$,;~!*()')}"


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


def _is_year(word: str) -> bool:
    return len(word) == 4 and word.isdigit() and 1900 <= int(word) <= 2099
