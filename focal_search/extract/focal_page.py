"""Reader for FOCAL archived-page text files (``*.txt``).

A page is: archive banner, title, author line, optional summary, body paragraphs,
author bio, comment footer; sidebar and navigation lines may be mixed in. Only the
title, authors, body and bio are kept; everything else is boilerplate.
"""

from __future__ import annotations

import re

from ..documents import Article
from . import language, location
from .text import SkipFile, clean_text, decode

# Lines that are never content. Matched against the whole line, whitespace-collapsed.
_BOILERPLATE = re.compile(
    r"""^(?:
        welcome\ to\ the\ focal\ archive\.?
      | the\ canadian\ foundation\ for\ the\ americas\ \(focal\)\ is\ no\ longer\ in\ operation\b.*
      | a\ view\ of\ the\ hemisphere\.?
      | explore\ the\ link\ between\ governance\ and\ development\.?
      | open\ as\ pdf\.?
      | open\ pdf\b.*
      | related\ programs?\s*:.*
      | comments\ policy
      | comments\ displayed\ in\ the\ disqus\ forum\b.*
      | click\ ["“”]?flag["“”]?\ to\ report\ abuse\b.*
      | \S*\ ?privacy\ policy
      | addthis\b.*
      | disqus_logo\b.*
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_FOOTER_START = re.compile(r"^blog comments powered by disqus\b", re.IGNORECASE)
_EDITION = re.compile(r"^also in this (?:edition|issue)\s*:?\s*(.*)$", re.IGNORECASE)
# The archive renders the article's closing glyph as its alt text, glued to the last
# body sentence ("...programs.blue square"): the body ends there and the bio follows.
_END_MARK = re.compile(r"\s*blue square\s*$", re.IGNORECASE)
_TITLE_LANG = re.compile(r"(?:\s*\|\s*|\s+[-–]\s+)(EN|FR|SP|ES)\s*$")
_NAME_SPLIT = re.compile(r"\s*(?:,\s*(?:and\s+)?|\s+and\s+|\s+&\s+|\s+et\s+|\s+y\s+)\s*")
_PARTICLES = {
    "de",
    "del",
    "de la",
    "la",
    "le",
    "du",
    "da",
    "das",
    "do",
    "dos",
    "van",
    "von",
    "der",
    "den",
    "y",
    "e",
    "di",
    "bin",
    "al",
}
# How a bio sentence continues after the author's name, in English, French and Spanish.
_BIO_VERB = re.compile(
    r"^(?:is|was|are|were|has|holds|serves|teaches|works|est|était|sont|a été|travaille"
    r"|es|fue|son|ha sido|trabaja|,)(?:\b|\s)"
)


def parse(data: bytes, *, id: str, path: str, captured: str | None = None) -> Article:
    """Parse one FOCAL page; SkipFile when no title and body can be found."""
    text = clean_text(decode(data))
    paragraphs = [p for block in _content_blocks(text.split("\n")) for p in block]
    if not paragraphs:
        raise SkipFile("no article text (only archive boilerplate)")
    title, title_lang = split_title(paragraphs[0])
    rest = paragraphs[1:]
    authors = parse_authors(rest[0]) if rest else []
    if authors:
        rest = rest[1:]
    body, bio = split_bio(rest, authors)
    if not body:
        raise SkipFile("no article body after the title")
    hinted = title_lang or location.lang_from_name(id) or location.lang_from_id(id)
    return Article(
        id=id,
        path=path,
        title=title,
        authors=authors,
        body="\n".join(body),
        bio="\n".join(bio),
        url=location.url_from_id(id),
        date=location.date_from_name(id),
        lang=hinted or language.detect(title + "\n" + "\n".join(body)),
        captured=captured,
    )


def split_title(title: str) -> tuple[str, str | None]:
    """A title without its "| FR" language marker, and the language it names."""
    m = _TITLE_LANG.search(title)
    if not m:
        return title.strip(), None
    return title[: m.start()].strip(), language.normalize(m.group(1))


def strip_boilerplate(lines: list[str]) -> list[str]:
    """Archive banner, sidebar, navigation and comment footer removed from lines."""
    return [p for block in _content_blocks(lines) for p in block]


def _content_blocks(lines: list[str]) -> list[list[str]]:
    """Blank-line separated blocks of non-boilerplate lines, footer cut off."""
    blocks: list[list[str]] = [[]]
    in_edition_list = False
    for raw in lines:
        line = " ".join(raw.split())
        if not line:
            blocks.append([])
            in_edition_list = False
            continue
        if _FOOTER_START.match(line):
            break
        if _BOILERPLATE.match(line):
            continue
        edition = _EDITION.match(line)
        if edition:
            # The list of sibling articles that follows is navigation, up to the end
            # of its block or the first line that reads like prose.
            in_edition_list = not edition.group(1)
            continue
        if in_edition_list and len(line) <= 200 and not line.endswith("."):
            continue
        in_edition_list = False
        blocks[-1].append(line)
    return [b for b in blocks if b]


def parse_authors(line: str) -> list[str]:
    """The names on an author line, or [] when the line does not read like one."""
    if len(line) > 160 or (line.endswith((".", ":", "?", "!")) and not line.endswith(" Jr.")):
        return []
    line = re.sub(r"^(?:by|par|por)\s+", "", line, flags=re.IGNORECASE)
    names = [n.strip() for n in _NAME_SPLIT.split(line) if n.strip()]
    if not names or not all(_is_name(n) for n in names):
        return []
    return names


def _is_name(name: str) -> bool:
    words = name.split()
    if not 1 <= len(words) <= 6:
        return False
    capitalised = [w for w in words if w.lower() not in _PARTICLES]
    return bool(capitalised) and all(w[0].isupper() and not w.isdigit() for w in capitalised)


def split_bio(paragraphs: list[str], authors: list[str]) -> tuple[list[str], list[str]]:
    """Separate the trailing author bio from the body."""
    for i, para in enumerate(paragraphs):
        if _END_MARK.search(para):
            body = paragraphs[:i] + [_END_MARK.sub("", para)]
            return [p for p in body if p], paragraphs[i + 1 :]
    # No end mark: the bio is the trailing run of paragraphs introducing an author.
    start = len(paragraphs)
    while start > 1 and _introduces_author(paragraphs[start - 1], authors):
        start -= 1
    return paragraphs[:start], paragraphs[start:]


def _introduces_author(paragraph: str, authors: list[str]) -> bool:
    lowered = paragraph.lower()
    if lowered.startswith(("the author", "the authors")):
        return True
    for name in authors:
        for form in (name, name.split()[-1]):
            if paragraph.startswith(form) and _BIO_VERB.match(paragraph[len(form) :].lstrip()):
                return True
    return False
