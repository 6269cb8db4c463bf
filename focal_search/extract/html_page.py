"""Reader for HTML pages: site mirrors, saved pages, and pages inside web captures.

Main-content extraction is trafilatura's (navigation, sidebars, footers, scripts and
styles never reach the index). Metadata comes from the page: title (site-name
suffix removed), byline or meta author, published date (meta, else the URL slug,
else a date line next to the title or byline; never guessed from the body),
``<html lang>`` (else detected), the URL the capture or mirror records (a
"saved from" note, else the canonical link). Lines are read as the FOCAL reader
reads them: furniture out, listings told from articles.
"""

from __future__ import annotations

import re
from typing import Any

from ..documents import Article
from . import language, layout, location
from .focal_page import parse_authors, read_parts, split_title, strip_boilerplate
from .markup import check_markup, without_control_refs
from .text import SkipFile, clean_text, decode

MAX_TREE_NODES = 200_000  # deeper or larger documents are refused (bounded parsing)


def parse(
    data: bytes,
    *,
    id: str,
    path: str,
    url: str | None = None,
    charset: str | None = None,
    captured: str | None = None,
) -> Article:
    """One HTML page -> Article; SkipFile when it holds no article text."""
    import trafilatura
    from trafilatura.utils import load_html

    text = decode(data, charset, html=True)
    check_markup(text)
    tree = load_html(without_control_refs(text))
    if tree is None:
        raise SkipFile("not parseable as HTML")
    if sum(1 for _ in tree.iter()) > MAX_TREE_NODES:
        raise SkipFile(f"HTML too large to read (over {MAX_TREE_NODES:,} elements)")
    declared_lang = language.normalize(tree.get("lang") or tree.get("xml:lang"))
    try:
        doc = trafilatura.bare_extraction(
            tree,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            # Dates only from the page's metadata, never inferred from body text.
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except RecursionError:
        raise SkipFile("HTML nested too deeply to read") from None
    if doc is None or isinstance(doc, dict) or not (doc.text or "").strip():
        raise SkipFile("no article text found in the page")

    raw_title = clean_text(doc.title or "")
    authors = _authors(doc.author)
    lines = [line.strip() for line in clean_text(doc.text or "").split("\n")]
    lines = strip_boilerplate(lines)
    heading = layout.clean_title(split_title(raw_title)[0])
    lines, authors = _without_heading(lines, heading, authors)
    parts = read_parts([lines], title=raw_title, authors=authors)
    if not parts.body:
        raise SkipFile("no article body in the page")

    page_url = location.original_url(url) if url else None
    page_url = page_url or _saved_from(text) or _canonical(doc) or location.url_from_id(id)
    title = parts.title or _first_line_title(parts.body) or layout.title_from_name(page_url or id)
    date, date_source = _date(doc.date), "metadata"
    if not date:
        date, date_source = location.date_from_name(page_url or id), "path"
    if not date:
        date, date_source = parts.date, "text"
    return Article(
        id=id,
        path=path,
        title=title,
        authors=parts.authors,
        body="\n".join(parts.body),
        bio="\n".join(parts.bio),
        url=page_url,
        date=date,
        date_source=date_source if date else None,
        lang=declared_lang
        or parts.title_lang
        or location.lang_from_name(page_url or id)
        or location.lang_from_id(id)
        or language.detect(title + "\n" + "\n".join(parts.body)),
        captured=captured,
        kind=parts.kind,
    )


def _first_line_title(body: list[str]) -> str | None:
    """The first line as the title of a page without one, unless it is a sentence."""
    return body[0] if body and layout.is_title(body[0]) else None


# What a saving tool writes into the page about where it came from: browsers'
# "saved from url=(0042)https://…", SingleFile's "url: https://…".
_SAVED_FROM = re.compile(
    r"<!--\s*(?:saved from url=\(\d+\)|[^>]{0,200}?\burl:\s*)(https?://[^\s>]+?)\s*(?:-->|\n)",
    re.IGNORECASE,
)


def _saved_from(text: str) -> str | None:
    m = _SAVED_FROM.search(text[:4096])
    return location.original_url(m.group(1)) if m else None


def _without_heading(
    lines: list[str], title: str, authors: list[str]
) -> tuple[list[str], list[str]]:
    """Drop the repeated <h1> and the byline from the start of the text. trafilatura
    keeps them as lines, or (on very short pages, where it falls back to a flat
    extraction) as the start of the first line."""
    lines = list(lines)
    if lines and title and lines[0].casefold().startswith(title.casefold()):
        lines[0] = lines[0][len(title) :].strip()
    if lines and not authors and parse_authors(lines[0]):
        authors = parse_authors(lines[0])
        lines[0] = ""
    for name in authors:
        if lines and lines[0].removeprefix("By ").startswith(name):
            lines[0] = lines[0].removeprefix("By ")[len(name) :].lstrip(" ,;")
    return [line for line in lines if line], authors


def _authors(raw: str | None) -> list[str]:
    if not raw:
        return []
    names: list[str] = []
    for part in clean_text(raw).split(";"):
        names.extend(parse_authors(part.strip()) or ([part.strip()] if part.strip() else []))
    return list(dict.fromkeys(names))


def _canonical(doc: Any) -> str | None:
    url = getattr(doc, "url", None)
    return url if isinstance(url, str) and url.startswith(("http://", "https://")) else None


def _date(raw: str | None) -> str | None:
    """ "2009-05-12" -> "2009-05"; anything else -> None."""
    if not raw or len(raw) < 7 or not raw[:4].isdigit() or raw[4] != "-":
        return None
    return raw[:7] if raw[5:7].isdigit() and 1 <= int(raw[5:7]) <= 12 else None
