"""The Whoosh schema: one field per thing a query can match, filter or show.

``SCHEMA_VERSION`` is recorded with every index; bump it whenever a field or an
analyzer changes, so an older index is rebuilt instead of misread.
"""

from __future__ import annotations

from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema

from .analysis import name_analyzer, text_analyzer

SCHEMA_VERSION = 1

# Field boosts for BM25F: a word in the title says more about the article than the
# same word in the body; the author note says less.
FIELD_BOOSTS = {"title": 3.0, "author": 2.0, "body": 1.0, "bio": 0.5}
# Fields a bare word is searched in; the others need "field:".
DEFAULT_FIELDS = ("title", "author", "body", "bio")


def build_schema() -> Schema:
    text = text_analyzer()
    return Schema(
        # Stable identity: path relative to the corpus root. Column for fast sync.
        id=ID(stored=True, unique=True, sortable=True),
        # "size:mtime_ns:sha256" of the source file: the incremental sync compares
        # the stat part first and only hashes files whose stat changed.
        fingerprint=ID(sortable=True),
        # Where the text came from, for display; the id is relative, this is not.
        path=STORED(),
        # Searchable texts. multitoken_query="phrase": a query word the analyzer
        # splits ("Mexico-Canada") must match as a phrase, not as two loose words.
        title=TEXT(analyzer=text, stored=True, multitoken_query="phrase"),
        body=TEXT(analyzer=text, stored=True, multitoken_query="phrase"),
        bio=TEXT(analyzer=text, stored=True, multitoken_query="phrase"),
        author=TEXT(analyzer=name_analyzer(), multitoken_query="phrase"),
        # The author list as written, for display ("author" above is for matching).
        authors=STORED(),
        url=ID(stored=True),
        # "YYYY-MM" or "YYYY" when the source states it; year for ranges and facets.
        date=ID(stored=True, sortable=True),
        year=NUMERIC(int, bits=16, signed=False, stored=False, sortable=True),
        lang=ID(stored=True),
    )
