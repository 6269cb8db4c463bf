"""How articles are laid out in an OpenSearch index: settings, analyzers, fields.

The analyzers rebuild ours (analysis.py) from OpenSearch's parts: our word pattern as a
pattern tokenizer, our accent-folding table as a mapping char filter, lowercase, the
English possessive, and Snowball stems for English, French and Spanish; stop words stay
in the index for phrases. The fields are those of schema.py, plus dates for histograms.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from ..analysis import ANALYZED, WORD_PATTERN, analyzed_language
from ..documents import Article
from ..schema import TEXT_FIELDS, article_fields, lang_field

MAX_ID_BYTES = 512  # OpenSearch's limit on a document _id
KEYWORD_LIMIT = 8191  # longer keyword values (a giant URL) are kept but not indexed
STEMMERS = {"en": "English", "fr": "French", "es": "Spanish"}
SHARDS_ENV = "FOCAL_SEARCH_OPENSEARCH_SHARDS"  # primaries of a new index (default 1)
REPLICAS_ENV = "FOCAL_SEARCH_OPENSEARCH_REPLICAS"  # copies of each shard (default 1)
EXACT_COUNTS = 40_000  # cardinality counts pages exactly up to this many


def index_body(shards: int = 1, replicas: int = 1) -> dict[str, Any]:
    """Settings and mappings of a focal-search index: our analyzers, our fields."""
    fold = ["lowercase", "focal_possessive"]
    analyzers: dict[str, Any] = {
        f"focal_{lang}": {
            "type": "custom",
            "char_filter": ["focal_fold"],
            "tokenizer": "focal_words",
            "filter": fold + ([f"focal_stem_{lang}"] if lang in STEMMERS else []),
        }
        for lang in ANALYZED
    }
    analyzers["focal_names"] = {
        "type": "custom",
        "char_filter": ["focal_fold"],
        "tokenizer": "focal_words",
        "filter": fold,
    }
    keyword = {"type": "keyword", "ignore_above": KEYWORD_LIMIT}
    stored_only = {"type": "keyword", "index": False, "doc_values": False}
    properties: dict[str, Any] = {
        "id": {"type": "keyword"},
        "source": {"type": "keyword"},
        "fingerprint": {"type": "keyword"},
        "path": stored_only,
        "title": {"type": "text", "index": False},
        "body": {"type": "text", "index": False},
        "bio": {"type": "text", "index": False},
        "author": {"type": "text", "analyzer": "focal_names", "index_options": "offsets"},
        "authors": stored_only,
        "author_names": keyword,
        "url": keyword,
        "canonical": {"type": "keyword"},
        "captured": keyword,
        "capture_time": {"type": "long"},
        "pair_key": keyword,
        "date": {"type": "keyword"},
        "year": {"type": "integer"},
        "sort_date": {"type": "integer"},
        "undated": {"type": "byte"},
        "lang": {"type": "keyword"},
        "kind": {"type": "keyword"},  # article or listing (schema.py)
        "date_source": stored_only,  # where the date was read: path, text, metadata
        "alang": {"type": "keyword"},  # the analyzer language: which fields hold the text
        # Dates as dates, for the trend's histograms: a year alone counts for that year
        # but not for any month.
        "pub_year": {"type": "date", "format": "yyyy"},
        "pub_month": {"type": "date", "format": "yyyy-MM"},
        # Every word of titles and bodies, folded but not stemmed: did-you-mean offers
        # real words from here.
        "spell": {"type": "text", "analyzer": "focal_names"},
    }
    for lang in ANALYZED:
        for name in TEXT_FIELDS:
            properties[lang_field(name, lang)] = {
                "type": "text",
                "analyzer": f"focal_{lang}",
                # Offsets in the postings: exact, fast highlighting of long bodies.
                "index_options": "offsets",
                **({"copy_to": "spell"} if name != "bio" else {}),
            }
    return {
        "settings": {
            "number_of_shards": shards,
            "number_of_replicas": replicas,
            "index.max_result_window": 1_000_000,
            "index.highlight.max_analyzed_offset": 16 * 1024 * 1024,
            # BM25 with our k1 and b (scoring.py); field weights ride on the query.
            "similarity": {"default": {"type": "BM25", "k1": 1.6, "b": 0.75}},
            "analysis": {
                # Our accent folding, character for character (Lucene's asciifolding
                # differs: ß -> ss, æ -> ae); folding before or after splitting words gives
                # the same words, as no word character folds to a non-word one.
                "char_filter": {"focal_fold": {"type": "mapping", "mappings": _fold_rules()}},
                "tokenizer": {
                    "focal_words": {"type": "pattern", "pattern": _java_pattern(), "group": 0}
                },
                "filter": {
                    "focal_possessive": {
                        "type": "pattern_replace",
                        "pattern": "^(.+)['’]s$",
                        "replacement": "$1",
                    },
                    **{
                        f"focal_stem_{lang}": {"type": "snowball", "language": language}
                        for lang, language in STEMMERS.items()
                    },
                },
                "analyzer": analyzers,
            },
        },
        "mappings": {"dynamic": "strict", "properties": properties},
    }


# What Python's \w matches in str (letters, digits of every kind, "_"), spelled for Java,
# whose \w and \b differ (ASCII-only, or marks included, depending on flags and version).
_JAVA_WORD = r"[\p{L}\p{N}_]"


def _java_pattern() -> str:
    """analysis.WORD_PATTERN with the same meaning in Java's regex dialect."""
    pattern = WORD_PATTERN.replace(r"\b", f"(?!{_JAVA_WORD})")
    return pattern.replace(r"\w", _JAVA_WORD)


def _fold_rules() -> list[str]:
    """Whoosh's accent_map (ours) as mapping rules, for word characters only (the
    others never reach our folding: they are not part of any word)."""
    from whoosh.support.charset import accent_map

    rules = []
    for code, folded in sorted(accent_map.items()):
        char = chr(code)
        if (char.isalnum() or char == "_") and folded and folded != char:
            rules.append(f"{_escape(char)} => {_escape(folded)}")
    return rules


def _escape(text: str) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in text)


def document(article: Article, source: str, fingerprint: str) -> dict[str, Any]:
    """One article as an OpenSearch document (the fields of schema.py, plus dates)."""
    doc = article_fields(article, source, fingerprint)
    canonical = doc["canonical"]
    if len(canonical.encode("utf-8", "replace")) > KEYWORD_LIMIT // 4:
        doc["canonical"] = "sha1:" + hashlib.sha1(canonical.encode("utf-8", "replace")).hexdigest()
    doc["author_names"] = list(article.authors)
    doc["alang"] = analyzed_language(article.lang)
    if article.date:
        doc["pub_year"] = article.date[:4]
        if len(article.date) >= 7:
            doc["pub_month"] = article.date[:7]
    return doc


def doc_id(article_id: str) -> str:
    """The document _id: the article id, or its hash when too long for one."""
    raw = article_id.encode("utf-8", "replace")
    return article_id if len(raw) <= MAX_ID_BYTES else "sha1:" + hashlib.sha1(raw).hexdigest()


def pages_agg() -> dict[str, Any]:
    """Distinct pages (a page captured several times counts once)."""
    return {"pages": {"cardinality": {"field": "canonical", "precision_threshold": EXACT_COUNTS}}}


def env_int(name: str, default: int) -> int:
    try:
        return max(0, int(os.environ.get(name, "")))
    except ValueError:
        return default
