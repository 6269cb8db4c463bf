"""What the lines of an archived page are: furniture, title, byline, date line, list entry.

Shared by the FOCAL text reader and the HTML reader. Real archive pages are often
hubs and tables of contents rather than articles; ``page_kind`` tells them apart
so that a list item is never read as a byline. Every rule here looks at one line
(or the first few), never at the site's markup.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .location import MONTHS

ARTICLE = "article"
LISTING = "listing"
KINDS = (ARTICLE, LISTING)

# -- furniture: lines that are never content ---------------------------------------

# Image file names and alt texts that are file names: "Garcia_small",
# "Smith_image_small", "Brown_edit", "icon-pdf", "map.jpg". One token, and either
# an image extension, an underscore, or a dash joined to a word images are named with.
_IMAGE_WORDS = (
    "small|large|medium|thumb|thumbnail|edit|edited|image|img|icon|logo|photo|pic|"
    "banner|web|crop|cropped|final|flag|portrait|headshot|pdf|doc|print|email|rss"
)
_IMAGE_NAME = re.compile(
    rf"""^(?:
        [\w.-]+\.(?:jpe?g|png|gif|bmp|tiff?|webp|svg)
      | [A-Za-z0-9]+(?:[_-][A-Za-z0-9]+)*_[A-Za-z0-9]+
      | (?:{_IMAGE_WORDS})-[A-Za-z0-9-]+
      | [A-Za-z0-9-]+-(?:{_IMAGE_WORDS})
    )$""",
    re.VERBOSE | re.IGNORECASE,
)
# An image name glued to the text after it ("mexican_flagSince 2004, the…"): a
# lowercase-ended token with an underscore, straight before a capital letter.
_GLUED_IMAGE = re.compile(
    r"^[A-Za-z][A-Za-z0-9]*(?:[_-][A-Za-z0-9]*[a-z0-9])*_[a-z0-9]+(?=[A-ZÀ-ÖØ-Þ¿¡\"“])"
)
_FURNITURE = re.compile(
    r"""^(?:
        (?:EN|FR|SP|ES|PT)(?:\s*[|/]\s*(?:EN|FR|SP|ES|PT))+      # EN | FR | SP
      | go\ to\ (?:this|last|next)\ (?:month|week)['’]s\ editorial\ cartoon\.?
      | (?:view|see)\ (?:the\ )?editorial\ cartoon\.?
      | (?:print|e-?mail|share)(?:\s*[|/]\s*(?:print|e-?mail|share|pdf))*
      | (?:back\ to\ top|top\ of\ page|read\ more|more\.\.\.)\.?
    )$""",
    re.VERBOSE | re.IGNORECASE,
)
# A photo credit: kept when what follows the label is a sentence ("Photo: Farmers
# harvest potatoes near Cusco in 2009."), dropped when it only names a source.
_CREDIT = re.compile(
    r"^(?:photo(?:graph)?s?(?:\s+(?:credit|courtesy(?:\s+of)?|by|source))?|"
    r"cr[ée]dit(?:\s+photo)?|foto|image|courtesy(?:\s+of)?)\s*[:/–-]?\s+(.*)$",
    re.IGNORECASE,
)


def is_furniture(line: str) -> bool:
    """True for an image name, language switcher, cartoon link or bare photo credit."""
    if _IMAGE_NAME.match(line) or _FURNITURE.match(line):
        return True
    credit = _CREDIT.match(line)
    return credit is not None and not is_sentence(credit.group(1), min_words=4)


def unglue_image_name(line: str) -> str:
    """``mexican_flagSince 2004, the…`` -> ``Since 2004, the…``."""
    return _GLUED_IMAGE.sub("", line, count=1)


def is_sentence(text: str, *, min_words: int = 6) -> bool:
    """Reads like running text: enough words, ending as a sentence ends."""
    text = text.strip().rstrip('"”’)»')
    return len(text.split()) >= min_words and text.endswith((".", "!", "?", "…"))


# -- titles -------------------------------------------------------------------------

_TRAILING_SEPARATORS = re.compile(r"[\s|:;,/–—-]+$")
_ENDS_OPEN = re.compile(r"(?:[|:;,/–—-]|\b(?:and|of|the|for|in|on|et|de|du|des|y|del|en))$", re.I)
MAX_TITLE_WORDS = 25


def clean_title(title: str) -> str:
    """No glued image name, no trailing separator ("… 2010 |", "… No. 11 -")."""
    return _TRAILING_SEPARATORS.sub("", unglue_image_name(" ".join(title.split())))


def continues_title(title: str, line: str) -> bool:
    """Whether ``line`` is the second half of a title broken over two lines: the
    first half ends open (a separator, "and", "of"), or the line starts in lowercase."""
    if not line or is_sentence(line) or len((title + " " + line).split()) > MAX_TITLE_WORDS:
        return False
    return bool(_ENDS_OPEN.search(title.rstrip())) or line[0].islower()


def is_title(line: str) -> bool:
    """A title is never a body sentence: long running text ending with a full stop."""
    words = len(line.split())
    if not line or words > MAX_TITLE_WORDS:
        return False
    return not (line.rstrip().endswith(".") and words >= 10)


def title_from_name(doc_id: str) -> str:
    """A title from the page's name when the page has none: ``378-focal-in-the-media``
    -> ``Focal in the media``."""
    stem = doc_id.split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    words = [w for w in re.split(r"[-_\s]+", stem) if w]
    while words and words[0].isdigit() and len(words) > 1:
        words.pop(0)
    text = " ".join(words)
    return text[:1].upper() + text[1:]


# -- dates written on the page ------------------------------------------------------

_MONTH = "|".join(sorted((re.escape(m) for m in MONTHS), key=len, reverse=True))
_YEAR = r"(?:19|20)\d{2}"
_DATE_FORMS = [
    # April 14, 2009 / Apr. 14, 2009
    re.compile(
        rf"\b(?P<month>{_MONTH})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>{_YEAR})\b",
        re.I,
    ),
    # 14 April 2009 / 14 avril 2009 / 14 de abril de 2009 / 1er juin 2011
    re.compile(
        rf"\b(?P<day>\d{{1,2}})(?:er|st|nd|rd|th)?\s+(?:de\s+)?(?P<month>{_MONTH})\.?\s+(?:de\s+)?(?P<year>{_YEAR})\b",
        re.I,
    ),
    # June 2011 / juin 2011 / junio de 2011
    re.compile(rf"\b(?P<month>{_MONTH})\.?,?\s+(?:de\s+)?(?P<year>{_YEAR})\b", re.I),
]
# A line that is nothing but a date (and perhaps an issue number around it).
_DATE_LINE = re.compile(
    rf"^[\s(\[]*(?:(?:vol\.?\s*\d+,?\s*)?(?:no\.?\s*\d+)?\s*[,|–—-]?\s*)?"
    rf"(?:[A-Za-zéû]+\.?\s+)?(?:\d{{1,2}}(?:er|st|nd|rd|th)?\s+)?(?:de\s+)?"
    rf"(?:{_MONTH})\.?(?:\s*/\s*(?:{_MONTH}))?\.?\s*(?:\d{{1,2}},?\s*)?(?:de\s+)?{_YEAR}[\s)\].]*$",
    re.IGNORECASE,
)


def find_date(text: str) -> str | None:
    """ "YYYY-MM" from a date written in ``text`` (English, French, Spanish), else None."""
    for form in _DATE_FORMS:
        m = form.search(text)
        if m:
            month = MONTHS.get(m.group("month").lower().rstrip("."))
            if month:
                return f"{m.group('year')}-{month:02d}"
    return None


def is_date_line(line: str) -> bool:
    """ "June 2011", "April 14, 2009", "Vol. 9, No. 10 - November 2010", "[May 2006]"."""
    return len(line) <= 60 and bool(_DATE_LINE.match(line)) and find_date(line) is not None


_TRAILING_DATE = re.compile(
    rf"\s*[,|–—-]?\s*\(?((?:\d{{1,2}}\s+)?(?:{_MONTH})\.?\s+(?:\d{{1,2}},?\s+)?{_YEAR})\)?\s*$",
    re.IGNORECASE,
)


def split_trailing_date(line: str) -> tuple[str, str | None]:
    """ "By M. Keller, April 14, 2009" -> ("By M. Keller", "2009-04")."""
    m = _TRAILING_DATE.search(line)
    if not m or m.start() == 0:
        return line, None
    return line[: m.start()].rstrip(" ,|–—-"), find_date(m.group(1))


# -- kind of page -------------------------------------------------------------------

_ISSUE_LINE = re.compile(r"^(?:vol(?:ume)?\.?\s*\d+|no\.\s*\d+|issue\s+\d+)\b", re.IGNORECASE)
_MEDIA_ENTRY = re.compile(rf"^(?:{_MONTH})\.?\s+\d{{1,2}},?\s+{_YEAR}\s*[-–—]\s*\S", re.IGNORECASE)
_BULLET = re.compile(r"^[•·▪◦*]\s*|^[-–]\s+")
_LIST_MARKERS = re.compile(
    r"^(?:also\ in\ this\ (?:edition|issue)|feature\ articles|in\ this\ (?:edition|issue)"
    r"|dans\ ce\ num[ée]ro|en\ este\ n[úu]mero)\b",
    re.IGNORECASE | re.VERBOSE,
)


@dataclass
class KindSignals:
    """Counts over a page's lines that tell a listing from an article."""

    name_lines: int = 0  # lines that read as a byline (an article has one)
    dated_entries: int = 0  # "Dec. 22, 2010 - Chronicle Herald", "June 2011" lines
    bullets: int = 0  # short bulleted lines
    markers: int = 0  # "Also in this edition", "Feature articles", "Open as PDF"...
    short_lines: int = 0  # lines that are neither sentences nor long
    prose_lines: int = 0  # running text

    def kind(self, *, has_byline: bool = False) -> str:
        """A page with a byline of its own needs entries with names or dates to be a
        listing: short lines or bullets alone may be an article's table or list."""
        if (
            self.name_lines >= 2
            or self.dated_entries >= 3
            or self.markers >= 3  # an article has one "Also in this edition" and PDF link
        ):
            return LISTING
        if not has_byline and (
            self.bullets >= 3 or (self.short_lines >= 8 and self.short_lines > 2 * self.prose_lines)
        ):
            return LISTING
        return ARTICLE


def count_marker(line: str) -> bool:
    """Whether a line announces a list of other pages (counted even when dropped)."""
    if _LIST_MARKERS.match(line):
        return True
    # (Lowercasing never shortens a string: a longer line cannot be one of these.)
    short = line.rstrip(".")
    return len(short) <= len("open as pdf") and short.lower() in ("open as pdf", "read more")


def page_signals(lines: list[str], is_byline: Callable[[str], bool]) -> KindSignals:
    """The counts for ``lines`` (title and first byline excluded by the caller)."""
    signals = KindSignals()
    for line in lines:
        if count_marker(line):
            signals.markers += 1
            continue
        if _MEDIA_ENTRY.match(line) or is_date_line(line) or _ISSUE_LINE.match(line):
            signals.dated_entries += 1
            continue
        bullet = _BULLET.match(line)
        if bullet and not is_sentence(line[bullet.end() :], min_words=15):
            signals.bullets += 1
            continue
        if len(line.split()) >= 25 or is_sentence(line, min_words=10):
            signals.prose_lines += 1
        elif is_byline(line):
            signals.name_lines += 1
        else:
            signals.short_lines += 1
    return signals


def is_issue_line(line: str) -> bool:
    """ "Vol. 9, No. 10", "No. 11 -": an issue number on its own line."""
    return len(line) <= 40 and bool(_ISSUE_LINE.match(line))
