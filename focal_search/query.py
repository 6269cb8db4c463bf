"""The query language: from what a person types to a Whoosh query, per language.

Parsing (AND/OR/NOT, phrases, proximity, prefixes, fuzzy terms, fields, ranges and
dates), stop words dropped outside phrases, repeated words weighted, the cost of a
query bounded, and the parts no document can match pruned before matching.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from itertools import islice
from typing import Any

from whoosh import qparser
from whoosh import query as wq

from .analysis import is_stop_name_term, is_stop_term
from .errors import QuerySyntaxError
from .schema import FIELD_BOOSTS, QUERY_FIELDS, TEXT_FIELDS, lang_field

# Bounds on what one query may cost.
MAX_QUERY_CHARS = 10_000
MAX_QUERY_TERMS = 4_000  # after expansion into fields (≈ 1,000 words)
MIN_PATTERN_PREFIX = 2  # letters before a wildcard: "a*" would expand to half the lexicon
MAX_FUZZY_EDITS = 2
MAX_FUZZY_TERMS = 10  # distinct fuzzy words: each is a search of the whole word list per field
MAX_EXPANDED_TERMS = 1_000  # words one prefix, wildcard, range or fuzzy term may stand for
# ...but a date range stands for months: a century of them is a normal archive.
MAX_EXPANDED_DATES = 20_000
MAX_PHRASE_WORDS = 64  # words in one "phrase" (a long quotation still fits)
MAX_NESTING = 32  # parentheses inside each other (deeper trees exhaust Python's stack)
MAX_BOOST = 1_000.0  # larger boosts (word^1e308) are clamped: scores stay finite
FIELD_ALIASES = {"author": ["authors", "by"]}


def build_parser(schema: Any, lang: str = "en", *, any_words: bool = False) -> qparser.QueryParser:
    """The query language, for articles analysed as ``lang``: AND by default (OR with
    ``any_words``), OR, NOT / -word, (), "phrases" and "proximity"~N, prefix*,
    fuzzy~ and fuzzy~2, fields, ranges. ``title:`` means that language's title field."""
    group = qparser.OrGroup if any_words else qparser.AndGroup
    names = {name: lang_field(name, lang) for name in TEXT_FIELDS}
    fields = [names["title"], "author", names["body"], names["bio"]]
    boosts = {names.get(name, name): boost for name, boost in FIELD_BOOSTS.items()}
    parser = qparser.MultifieldParser(fields, schema, fieldboosts=boosts, group=group)
    # "-word" negates like NOT, but only at the start of a word: "Mexico-Canada" stays.
    parser.replace_plugin(
        qparser.OperatorsPlugin(Not=r"(^|(?<=(\s|[()])))(NOT(?=\s)|-(?=[\w\"(]))")
    )
    aliases = {**FIELD_ALIASES, **{indexed: [name] for name, indexed in names.items()}}
    parser.add_plugin(qparser.FieldAliasPlugin(aliases))
    parser.add_plugin(qparser.FuzzyTermPlugin())
    parser.add_plugin(qparser.GtLtPlugin())
    return parser


class QueryParser:
    """Parses a query once per language present in the index and ORs the variants, so a
    query finds articles in every language: each language's stems and stop words."""

    def __init__(self, schema: Any, langs: list[str], *, any_words: bool = False) -> None:
        self.parsers = {lang: build_parser(schema, lang, any_words=any_words) for lang in langs}

    def parse(self, text: str) -> wq.Query:
        try:
            variants = [parse_query(parser, text, lang) for lang, parser in self.parsers.items()]
        except RecursionError:  # a structure deeper than MAX_NESTING can catch
            raise _too_deep(text) from None
        return variants[0] if len(variants) == 1 else wq.Or(variants)


def parse_query(parser: qparser.QueryParser, text: str, lang: str = "en") -> wq.Query:
    """Parse ``text`` for one language; QuerySyntaxError when it cannot mean a search."""
    if not text.strip():
        raise QuerySyntaxError(
            "the query is empty", hint='try e.g. focal-search query "smart border"'
        )
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(
            f"the query is too long ({len(text):,} characters; the limit is {MAX_QUERY_CHARS:,})"
        )
    if _nesting(text) > MAX_NESTING:
        raise _too_deep(text)
    try:
        q = parser.parse(text, normalize=False)  # see _weigh_repeats
    except Exception as err:  # Whoosh raises assorted types on malformed input
        raise QuerySyntaxError(f"cannot parse query {text!r}: {err}") from err
    _raise_on_errors(q, text)
    _check_cost(q)
    _clamp_boosts(q)
    without_stops = _drop_stop_words(q, lang)
    # A query of nothing but stop words ("The Who") keeps them rather than match nothing.
    kept = q if without_stops.normalize() is wq.NullQuery else without_stops
    return _weigh_repeats(kept)


def _weigh_repeats(q: wq.Query) -> wq.Query:
    """Normalise, keeping query-term frequency: Whoosh's normalize() merges repeated
    terms into one, so a word asked for three times would count once (long questions
    repeat their key words). Each surviving term's boost is multiplied by its count."""
    counts = Counter(
        (leaf.fieldname, leaf.text) for leaf in q.leaves() if isinstance(leaf, wq.Term)
    )
    normalized = q.normalize()
    if all(n == 1 for n in counts.values()):
        return normalized

    def weigh(node: wq.Query) -> wq.Query:
        if isinstance(node, wq.Term):
            repeats = counts.get((node.fieldname, node.text), 1)
            if repeats > 1:
                node = node.copy()
                node.boost *= repeats
            return node
        if node.is_leaf() or isinstance(node, (wq.Phrase, wq.Not)):
            return node
        return node.apply(weigh)

    return weigh(normalized)


def prune(q: wq.Query, reader: Any) -> wq.Query:
    """Drop the parts of a query that no document can match, before Whoosh builds a
    matcher for each: a word is looked up in every language's title, body and bio
    fields and the author field, and most of those lookups find nothing."""
    pruned = _prune(q, reader)
    return wq.NullQuery if pruned is None else pruned


def _prune(q: wq.Query, reader: Any) -> wq.Query | None:
    """The query without its unmatchable parts; None when it cannot match at all."""
    if isinstance(q, wq.Term):
        return q if reader.doc_frequency(q.fieldname, q.text) else None
    if isinstance(q, wq.Phrase):
        present = all(reader.doc_frequency(q.fieldname, w) for w in q.words)
        return q if present else None
    if isinstance(q, wq.Not):
        inner = _prune(q.query, reader)
        return wq.Every() if inner is None else wq.Not(inner, boost=q.boost)
    if isinstance(q, wq.And):
        kept = []
        for child in q.subqueries:
            pruned = _prune(child, reader)
            if pruned is None:
                return None  # one required part can never match
            if not isinstance(pruned, wq.Every):  # NOT <nothing>: no constraint
                kept.append(pruned)
        return wq.And(kept, boost=q.boost) if kept else wq.Every()
    if isinstance(q, wq.Or):
        kept = [p for p in (_prune(c, reader) for c in q.subqueries) if p is not None]
        if not kept:
            return None
        return kept[0] if len(kept) == 1 and q.boost == 1 else wq.Or(kept, boost=q.boost)
    if isinstance(q, wq.MultiTerm):
        return _expand(q, reader)
    return q


class _Expanded(wq.MultiTerm):  # type: ignore[misc]  # whoosh is untyped here
    """A prefix, wildcard, range or fuzzy term with its words already looked up (and
    counted), so Whoosh does not look them up again to match: it scores exactly as
    the original query (same boost, same constant score)."""

    def __init__(self, original: wq.MultiTerm, words: list[Any]) -> None:
        self.original = original
        self.fieldname = original.field()
        self.text = getattr(original, "text", None)  # ranges have none
        self.boost = original.boost
        self.constantscore = original.constantscore
        self.words = words

    def _btexts(self, ixreader: Any) -> list[Any]:
        return self.words

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Expanded) and (self.original, self.words) == (
            other.original,
            other.words,
        )

    def __hash__(self) -> int:
        return hash(self.original)

    def __str__(self) -> str:
        return str(self.original)

    def __repr__(self) -> str:
        return f"_Expanded({self.original!r}, {len(self.words)} words)"


def _expand(q: wq.MultiTerm, reader: Any) -> wq.Query | None:
    """The words ``q`` stands for, at most MAX_EXPANDED_TERMS of them: beyond that
    (an open range over every word, a short fuzzy word in a large archive) matching
    would take tens of seconds, so the query is refused with what to change."""
    fieldname = q.field()
    if fieldname is None or fieldname not in reader.schema:
        return None
    found = (word for word in q._btexts(reader) if word)
    limit = MAX_EXPANDED_DATES if fieldname == "date" else MAX_EXPANDED_TERMS
    words = list(islice(found, limit + 1))
    if len(words) > limit:
        kind = {
            wq.FuzzyTerm: ("fuzzy term", "fewer edits (~1) or a longer word"),
            wq.TermRange: ("range", "a narrower range, or a field such as year: or date:"),
        }
        what, fix = next(
            (value for cls, value in kind.items() if isinstance(q, cls)),
            ("pattern", "more letters before * or ?"),
        )
        part = str(q).removeprefix(f"{fieldname}:")
        base = fieldname.rsplit("_", 1)[0]  # body_en: the body of English articles
        field = base if base in TEXT_FIELDS else fieldname
        raise QuerySyntaxError(
            f"the {what} {part!r} stands for more than {limit:,} different "
            f"words in {field}: too many to search",
            hint=f"narrow it: {fix}",
        )
    return _Expanded(q, words) if words else None


def unknown_fields(text: str) -> list[str]:
    """A warning for each "name:" in the query that is not a field (it is searched as words)."""
    known = set(QUERY_FIELDS) | {a for aliases in FIELD_ALIASES.values() for a in aliases}
    unquoted = re.sub(r'"[^"]*"', " ", text)
    names = dict.fromkeys(re.findall(r"(?<![\w:])([A-Za-z_]\w*):(?=\S)", unquoted))
    return [
        f"{name}: is not a field, so it was searched as words (fields: {', '.join(QUERY_FIELDS)})"
        for name in names
        if name.lower() not in known
    ]


def _check_cost(q: wq.Query) -> None:
    """Refuse what would cost too much before anything is searched: patterns that
    would expand to a large part of the vocabulary, too many fuzzy words, very long
    phrases (each fuzzy word and phrase word is looked up in every field)."""
    leaves = [q] if q.is_leaf() else list(q.leaves())
    if len(leaves) > MAX_QUERY_TERMS:
        raise QuerySyntaxError(f"the query has too many terms (the limit is {MAX_QUERY_TERMS})")
    fuzzy = {(str(leaf.text), leaf.maxdist) for leaf in leaves if isinstance(leaf, wq.FuzzyTerm)}
    if len(fuzzy) > MAX_FUZZY_TERMS:
        raise QuerySyntaxError(
            f"the query has {len(fuzzy)} fuzzy terms (word~); the limit is {MAX_FUZZY_TERMS}",
            hint="keep ~ for the few words whose spelling you are unsure of",
        )
    for leaf in leaves:
        if isinstance(leaf, wq.Phrase) and len(leaf.words) > MAX_PHRASE_WORDS:
            raise QuerySyntaxError(
                f"a phrase of {len(leaf.words):,} words is too long "
                f"(the limit is {MAX_PHRASE_WORDS} words)",
                hint="quote a shorter, distinctive part of the passage",
            )
        if isinstance(leaf, (wq.Prefix, wq.Wildcard)):
            literal = re.split(r"[*?\[]", str(leaf.text), maxsplit=1)[0]
            if len(literal) < MIN_PATTERN_PREFIX:
                raise QuerySyntaxError(
                    f"{leaf.text!r}: a wildcard needs at least {MIN_PATTERN_PREFIX} letters "
                    "before * or ?",
                    hint="e.g. migra*",
                )
        if isinstance(leaf, wq.FuzzyTerm) and leaf.maxdist > MAX_FUZZY_EDITS:
            raise QuerySyntaxError(
                f"{leaf.text!r}~{leaf.maxdist}: fuzzy terms allow at most {MAX_FUZZY_EDITS} edits"
            )


def _clamp_boosts(q: wq.Query) -> None:
    """Boosts beyond MAX_BOOST (``word^1e308``, or 400 nines) would make scores
    infinite, which no JSON parser accepts: clamp them, in place."""
    stack = [q]
    while stack:
        node = stack.pop()
        boost = getattr(node, "boost", None)
        if isinstance(boost, float | int) and not 0 <= boost <= MAX_BOOST:
            node.boost = MAX_BOOST if boost > MAX_BOOST or math.isnan(boost) else 0.0
        if not node.is_leaf():
            stack.extend(node.children())


def _nesting(text: str) -> int:
    """How deep parentheses go, outside "quotes" (where they are just characters)."""
    depth = deepest = 0
    for part in text.split('"')[::2]:
        for char in part:
            if char == "(":
                depth += 1
                deepest = max(deepest, depth)
            elif char == ")":
                depth = max(0, depth - 1)
    return deepest


def _too_deep(text: str) -> QuerySyntaxError:
    return QuerySyntaxError(
        f"the query nests parentheses too deeply ({_nesting(text)} levels; "
        f"the limit is {MAX_NESTING})",
        hint="remove the extra parentheses",
    )


def _raise_on_errors(q: wq.Query, text: str) -> None:
    for node in [q, *q.leaves()] if not q.is_leaf() else [q]:
        error = getattr(node, "error", None)
        if error:
            raise QuerySyntaxError(f"invalid query {text!r}: {error}")


def _drop_stop_words(q: wq.Query, lang: str) -> wq.Query:
    """Remove stop-word terms, except inside phrases (they are whole Phrase nodes)."""
    if isinstance(q, wq.Term) and _is_stop(q.fieldname, q.text, lang):
        return wq.NullQuery
    if q.is_leaf() or isinstance(q, wq.Phrase):
        return q
    return q.apply(lambda child: _drop_stop_words(child, lang))


def _is_stop(fieldname: str, text: Any, lang: str) -> bool:
    stemmed = fieldname in {lang_field(name, lang) for name in TEXT_FIELDS}
    if not stemmed and fieldname != "author":
        return False  # ids, dates, numbers (whose terms are encoded bytes) are never stops
    word = text.decode("utf-8") if isinstance(text, bytes) else str(text)
    return is_stop_term(word, lang) if stemmed else is_stop_name_term(word, lang)
