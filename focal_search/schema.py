"""The Whoosh schema: one field per thing a query can match, filter, sort or count.

``SCHEMA_VERSION`` is recorded with every index; bump it whenever a field, an
analyzer or the posting format changes, so an older index is rebuilt instead of
misread. The schema is
pickled into the index: classes used here must stay importable at these paths.
"""

from __future__ import annotations

from typing import Any

from whoosh import query as wq
from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema

from .analysis import ANALYZED, analyzed_language, name_analyzer, text_analyzer
from .documents import Article, capture_epoch, month_key, normalize_date

# 7: postings in our array format (codec.py); 8: stems from libstemmer (PyStemmer), as
# OpenSearch's; Whoosh's port stemmed 46 dictionary words otherwise ("ionization").
SCHEMA_VERSION = 8

# Field boosts for BM25F: a word in the title says more about the article than the
# same word in the body; the author note says less. (With one IDF per term, see
# scoring.py, a title boost of 1.5 already ranks title matches first; larger
# boosts cost relevance on the test collections: 3.0 gave 4% lower MAP on cran.)
FIELD_BOOSTS = {"title": 1.5, "author": 2.0, "body": 1.0, "bio": 0.5}
# Fields a bare word is searched in; the others need "field:". Title, body and bio
# are indexed once per analyzer language ("body_fr"); a query names them plainly.
DEFAULT_FIELDS = ("title", "author", "body", "bio")
TEXT_FIELDS = ("title", "body", "bio")


def lang_field(name: str, lang: str) -> str:
    """The indexed field holding text field ``name`` of articles analysed as ``lang``."""
    return f"{name}_{lang}"


# Every field a user may name in a query, with what it holds (for help and errors).
QUERY_FIELDS = {
    "title": "words of the title",
    "author": "an author's name (also: authors:, by:)",
    "body": "words of the article text",
    "bio": "words of the author note",
    "lang": "language code: en, fr, es",
    "year": "year of publication: year:2009, year:[2005 TO 2009], year:>=2008",
    "date": "YYYY or YYYY-MM: date:2010-06, date:>=2010-06, date:[2005 TO 2009]",
    "url": 'original URL (quote it): url:"http://www.focal.ca/..."',
    "id": "the article's id (its path in the corpus)",
    "kind": "what the page is: kind:article, or kind:listing (contents, lists of papers)",
}

_AFTER = "\uffff"  # sorts after every "YYYY-MM" that starts with the same year


def date_range(
    fieldname: str,
    start: str | None,
    end: str | None,
    startexcl: bool = False,
    endexcl: bool = False,
) -> wq.Query:
    """A range over "YYYY[-MM]" strings in which a year bound means the whole year."""
    lo = normalize_date(start) if start else None
    hi = normalize_date(end) if end else None
    if lo is not None and startexcl:
        lo, startexcl = lo + _AFTER, True  # after all of that year or month
    if hi is not None and not endexcl:
        hi = hi + _AFTER  # up to the end of that year or month
    return wq.TermRange(fieldname, lo, hi, startexcl=startexcl, endexcl=endexcl)


class DateField(ID):  # type: ignore[misc]  # whoosh is untyped here
    """An article date, "YYYY" or "YYYY-MM"; `date:2010` means all of 2010."""

    def self_parsing(self) -> bool:
        return True

    def parse_query(self, fieldname: str, qstring: str, boost: float = 1.0) -> Any:
        try:
            return wq.Prefix(fieldname, normalize_date(qstring), boost=boost)
        except ValueError as err:
            return wq.error_query(str(err))

    def parse_range(
        self,
        fieldname: str,
        start: str | None,
        end: str | None,
        startexcl: bool,
        endexcl: bool,
        boost: float = 1.0,
    ) -> Any:
        try:
            return date_range(fieldname, start or None, end or None, startexcl, endexcl)
        except ValueError as err:
            return wq.error_query(str(err))


def build_schema() -> Schema:
    fields: dict[str, Any] = dict(
        # Stable identity: path relative to the corpus root, plus "#record" for files
        # holding several articles (WARC, JSON Lines).
        id=ID(stored=True, unique=True, sortable=True),
        # The corpus file an article came from: the unit of incremental sync.
        source=ID(stored=True, sortable=True),
        # "size:mtime_ns:sha256" of that file: the sync compares the stat part first
        # and only hashes files whose stat changed.
        fingerprint=ID(sortable=True),
        # Where the text came from, for display; the id is relative, this is not.
        path=STORED(),
        # The texts as written, for snippets and `show` (indexed per language below).
        title=STORED(),
        body=STORED(),
        bio=STORED(),
        author=TEXT(analyzer=name_analyzer(), multitoken_query="phrase"),
        # The author list as written, for display ("author" above is for matching).
        authors=STORED(),
        # The same names, one per line, as a column: exact counts for stats and facets.
        author_names=ID(sortable=True),
        url=ID(stored=True),
        # Captures of one page (any scheme, host alias, trailing slash, index page)
        # share this key; results keep the newest capture.
        canonical=ID(stored=True, sortable=True),
        captured=ID(stored=True),  # ISO 8601, as the capture states it
        # Sort keys are numeric and set on every document: Whoosh's sorting fails on
        # a segment that lacks a sort column (e.g. one holding only undated articles).
        capture_time=NUMERIC(int, bits=64, signed=False, sortable=True),  # epoch s, 0 unknown
        # Versions of one article in several languages share this key.
        pair_key=ID(stored=True),
        # "YYYY-MM" or "YYYY" when the source states it; year for numeric ranges.
        date=DateField(stored=True),
        year=NUMERIC(int, bits=16, signed=False),
        # YYYYMM (YYYY00 for a year alone, 0 undated): for sorting and counting by year.
        sort_date=NUMERIC(int, bits=32, signed=False, sortable=True),
        # 1 when there is no date: sorting by date puts those last, both ways.
        undated=NUMERIC(int, bits=8, signed=False, sortable=True),
        lang=ID(stored=True, sortable=True),
        # "article" or "listing" (an issue's contents, a yearly list of papers, a hub):
        # for kind:article and the kind facet.
        kind=ID(stored=True, sortable=True),
        # Where the date was read ("path", "text", "metadata"), for `show`.
        date_source=STORED(),
    )
    for lang in ANALYZED:
        # multitoken_query="phrase": a query word the analyzer splits ("Mexico-Canada")
        # must match as a phrase, not as two loose words.
        analyzer = text_analyzer(lang)
        for name in TEXT_FIELDS:
            fields[lang_field(name, lang)] = TEXT(analyzer=analyzer, multitoken_query="phrase")
    return Schema(**fields)


def article_fields(article: Article, source: str, fingerprint: str) -> dict[str, Any]:
    """An article's values for the fields every engine indexes; each engine adds what
    it alone keeps (the author names as its column needs them, derived keys)."""
    from .extract.location import canonical_url, pair_key

    lang = analyzed_language(article.lang)
    doc: dict[str, Any] = {
        "id": article.id,
        "source": source,
        "fingerprint": fingerprint,
        "path": article.path,
        "title": article.title,
        "body": article.body,
        "bio": article.bio,
        lang_field("title", lang): article.title,
        lang_field("body", lang): article.body,
        lang_field("bio", lang): article.bio,
        "author": "\n".join(article.authors),
        "authors": list(article.authors),
        "lang": article.lang,
        "canonical": canonical_url(article.url) if article.url else article.id,
        "undated": 0 if article.date else 1,
        "sort_date": month_key(article.date),
        "capture_time": capture_epoch(article.captured),
        "kind": article.kind,
    }
    pair = pair_key(article.url or article.id)
    if pair:
        doc["pair_key"] = pair
    if article.captured:
        doc["captured"] = article.captured
    if article.url:
        doc["url"] = article.url
    if article.date:
        doc["date"] = article.date
        doc["year"] = article.year
        if article.date_source:
            doc["date_source"] = article.date_source
    return doc
