"""Reader for FOCAL archived-page text files (``*.txt``).

A page is: archive banner, title, author line, optional date line, optional
summary, body paragraphs, author bio, comment footer; sidebar and navigation lines
may be mixed in. Only the title, authors, body and bio are kept; everything else is
boilerplate. Many captured pages are not articles but listings (an issue's table of
contents, "in the media" lists, yearly lists of papers): those keep their entries as
body text and take no author from them (see ``layout.page_kind``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..documents import Article
from . import language, layout, location
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
_END_WORDS = "blue square"
_END_MARK = re.compile(rf"\s*{_END_WORDS}\s*$", re.IGNORECASE)
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
    lines = [" ".join(raw.split()) for raw in clean_text(decode(data)).split("\n")]
    blocks = _blocks(lines)
    if not blocks:
        raise SkipFile("no article text (only archive boilerplate)")
    parts = read_parts(blocks, markers=_count_markers(lines))
    if not parts.body:
        raise SkipFile("no article body after the title")
    path_date = location.date_from_name(id)
    date, date_source = (path_date, "path") if path_date else (parts.date, "text")
    hinted = parts.title_lang or location.lang_from_name(id) or location.lang_from_id(id)
    title = parts.title or layout.title_from_name(id)
    return Article(
        id=id,
        path=path,
        title=title,
        authors=parts.authors,
        body="\n".join(parts.body),
        bio="\n".join(parts.bio),
        url=location.url_from_id(id),
        date=date,
        date_source=date_source if date else None,
        lang=hinted or language.detect(title + "\n" + "\n".join(parts.body)),
        captured=captured,
        kind=parts.kind,
    )


@dataclass
class PageParts:
    """What the lines of a page were read as."""

    title: str = ""  # "" when the page shows none (never a body sentence)
    title_lang: str | None = None  # from a "| FR" marker on the title
    authors: list[str] = field(default_factory=list)
    date: str | None = None  # "YYYY-MM" from a date line next to the title or byline
    body: list[str] = field(default_factory=list)
    bio: list[str] = field(default_factory=list)
    kind: str = layout.ARTICLE


HEADER_LINES = 3  # lines after the title that may hold the byline, date and issue number


def read_parts(
    blocks: list[list[str]],
    *,
    title: str | None = None,
    authors: list[str] | None = None,
    markers: int = 0,
) -> PageParts:
    """Title, byline, date line, body and bio of a page's content blocks. ``title``
    (and ``authors``) when the page's metadata already gives them (HTML)."""
    parts = PageParts(authors=list(authors or []))
    lines = [line for block in blocks for line in block]
    ends = _block_ends(blocks)
    if title is None:
        lines, parts.title, parts.title_lang = _take_title(lines, ends)
    else:
        parts.title, parts.title_lang = split_title(title)
        parts.title = layout.clean_title(parts.title)
    lines, byline, parts.date = _take_header(lines, have_authors=bool(parts.authors))
    if parts.date is None and title is None and parts.title:
        # A date line joined to the title ("… No. 11 - March 2004") is beside it.
        tail = parts.title.rsplit(" - ", 1)[-1] if " - " in parts.title else ""
        parts.date = layout.find_date(tail) if layout.is_date_line(tail) else None
    parts.authors = parts.authors or byline
    signals = layout.page_signals(lines, _reads_as_byline)
    signals.markers += markers
    parts.kind = signals.kind(has_byline=bool(byline or authors))
    if parts.kind == layout.LISTING:
        # Names and dates in a list belong to its entries, not to the page.
        parts.authors = [] if title is None or not authors else parts.authors
        parts.date = None
        parts.body = lines
        return parts
    parts.body, parts.bio = split_bio(lines, parts.authors)
    return parts


def _block_ends(blocks: list[list[str]]) -> set[int]:
    """Indexes (in the flattened lines) of the last line of each block."""
    ends, at = set(), -1
    for block in blocks:
        at += len(block)
        ends.add(at)
    return ends


def _take_title(lines: list[str], ends: set[int]) -> tuple[list[str], str, str | None]:
    """The title at the head of ``lines`` (joined when broken over two lines of one
    block, "Notes, No. 11 -" + "March 2004"), and the lines left. No title when the
    first line is a body sentence."""
    if not lines or not layout.is_title(lines[0]):
        return lines, "", None
    title, used = lines[0], 1
    while used < len(lines) and (used - 1) not in ends:
        nxt = lines[used]
        if not layout.continues_title(title, nxt) or _byline(nxt)[0]:
            break
        title, used = f"{title} {nxt}", used + 1
    title, lang = split_title(title)
    return lines[used:], layout.clean_title(title), lang


def _take_header(
    lines: list[str], *, have_authors: bool
) -> tuple[list[str], list[str], str | None]:
    """The byline, date line and issue number that follow the title, taken out of
    ``lines``: (lines left, authors, "YYYY-MM" or None)."""
    authors: list[str] = []
    date = None
    used = 0
    for line in lines[:HEADER_LINES]:
        if layout.is_date_line(line):
            date = date or layout.find_date(line)
        elif layout.is_issue_line(line):
            pass  # "Vol. 9, No. 10": the issue, not content
        elif not authors and (names := _byline(line))[0]:
            # With authors from the page's metadata, a byline in the text repeats them.
            authors, stated = names
            date = date or stated
        else:
            break
        used += 1
    return lines[used:], [] if have_authors else authors, date


def _byline(line: str) -> tuple[list[str], str | None]:
    """A byline's names and the date written after them ("By M. Keller, April 2009")."""
    names_part, date = layout.split_trailing_date(line)
    names = parse_authors(names_part)
    return (names, date) if names else ([], None)


def _reads_as_byline(line: str) -> bool:
    return bool(_byline(line)[0])


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
    return _blocks([" ".join(raw.split()) for raw in lines])


def _blocks(lines: list[str]) -> list[list[str]]:
    """``_content_blocks`` of lines whose spaces are already collapsed."""
    blocks: list[list[str]] = [[]]
    in_edition_list = False
    for line in lines:
        if not line:
            blocks.append([])
            in_edition_list = False
            continue
        if _FOOTER_START.match(line):
            break
        if _BOILERPLATE.match(line) or layout.is_furniture(line):
            continue
        line = layout.unglue_image_name(line)
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


def _count_markers(lines: list[str]) -> int:
    """Lines (spaces collapsed) announcing lists of other pages ("Also in this
    edition", "Open as PDF"), counted before they are dropped: a page with several
    is a listing."""
    return sum(1 for line in lines if layout.count_marker(line))


def parse_authors(line: str) -> list[str]:
    """The names on an author line, or [] when the line does not read like one.

    Names may end in an initial or carry one ("Ana Torres E.", "M. Keller"), be
    joined by "and", "&" or commas, and follow "By". A name has at least two words
    (so a title such as "Mexico, Canada and Peru" is not three authors), unless the
    line starts with "By"."""
    line = " ".join(line.split())
    if len(line) > 160 or line.endswith((":", "?", "!", ";")):
        return []
    by = re.match(r"^(?:by|par|por)\s+", line, flags=re.IGNORECASE)
    if by:
        line = line[by.end() :]
    if line.endswith(".") and not _ENDS_WITH_ABBREVIATION.search(line):
        return []
    names = [n.strip() for n in _NAME_SPLIT.split(line) if n.strip()]
    names = _rejoin_suffixes(names)
    if not names or not all(_is_name(n, single_word=bool(by)) for n in names):
        return []
    return names


# A line may end in "." when its last name ends in an initial or a title suffix.
_ENDS_WITH_ABBREVIATION = re.compile(r"(?:(?<![^\W\d_])[A-ZÀ-ÖØ-Þ]\.|\b(?:Jr|Sr|Esq|Ph\.?D)\.)$")
_SUFFIXES = {"jr", "jr.", "sr", "sr.", "esq", "esq.", "phd", "ph.d.", "md", "m.d."}
# Capitalised words that start titles and place names, never a person's name.
_NOT_NAMES = {
    "america",
    "americas",
    "american",
    "canada",
    "canadian",
    "mexico",
    "latin",
    "caribbean",
    "north",
    "south",
    "central",
    "united",
    "states",
    "nations",
    "summit",
    "policy",
    "trade",
    "security",
    "democracy",
    "development",
    "report",
    "reports",
    "paper",
    "papers",
    "research",
    "relations",
    "forum",
    "focal",
    "focalpoint",
    "program",
    "programs",
    "edition",
    "issue",
    "vol",
    "vol.",
    "no",
    "no.",
    "news",
    "media",
    "the",
    "a",
    "an",
    "in",
    "on",
    "for",
    "of",
    "to",
    "with",
    "why",
    "how",
    "what",
    "who",
    "when",
    "new",
    "views",
    "point",
    "update",
    "commentary",
    "editorial",
}


def _rejoin_suffixes(names: list[str]) -> list[str]:
    """ "Andrea M. Ewart, Esq." split at its comma -> one name again."""
    out: list[str] = []
    for name in names:
        if out and name.lower() in _SUFFIXES:
            out[-1] = f"{out[-1]}, {name}"
        else:
            out.append(name)
    return out


def _is_name(name: str, *, single_word: bool = False) -> bool:
    base = re.sub(r",\s*(?:Jr|Sr|Esq|Ph\.?D|M\.?D)\.?$", "", name, flags=re.IGNORECASE)
    words = [w for w in base.split() if not (w.startswith("(") and w.endswith(")"))]
    if not (1 if single_word else 2) <= len(words) <= 6:
        return False
    capitalised = [w for w in words if w.lower() not in _PARTICLES]
    if not capitalised or any(w.lower().rstrip(",") in _NOT_NAMES for w in capitalised):
        return False
    return all(_is_name_word(w) for w in capitalised)


def _is_name_word(word: str) -> bool:
    """ "Torres", "E.", "W.E.", "O'Neil", "Jean-Paul", "McKay"; not "2009" or "U.S"."""
    if not word[0].isupper():
        return False
    if re.fullmatch(r"(?:[^\W\d_]\.){1,3}", word):
        return True  # initials
    return bool(re.fullmatch(r"[^\W\d_][^\W\d_'’.-]*(?:['’-][^\W\d_]+)*\.?", word)) and not (
        word.isupper() and len(word) > 3
    )


def split_bio(paragraphs: list[str], authors: list[str]) -> tuple[list[str], list[str]]:
    """Separate the trailing author bio from the body."""
    for i, para in enumerate(paragraphs):
        # The mark can only start where it would end the paragraph: searched from
        # there, not from every position of every paragraph.
        if _END_MARK.search(para, max(0, len(para.rstrip()) - len(_END_WORDS))):
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
