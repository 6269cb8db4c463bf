"""Our parsed query tree (Whoosh query objects) as the OpenSearch query DSL.

The query language is parsed once, by query.py, into analysed terms per field; this
module only changes the notation, so AND-by-default, phrases, proximity, prefixes,
fuzzy terms, fields, ranges and boosts mean what they mean locally. Terms are
already analysed, so they become ``term`` queries (and phrases whitespace-split
``match_phrase`` or ``span_near``), never a query string for the cluster to parse.
"""

from __future__ import annotations

from typing import Any

from whoosh import query as wq

from ..errors import QuerySyntaxError

# Numeric fields: the parser hands their terms over as Whoosh's encoded bytes.
NUMERIC_FIELDS = ("year", "sort_date", "undated", "capture_time")
FUZZY_EXPANSIONS = 1000  # Whoosh expands a fuzzy term to every match; keep close to that

Dsl = dict[str, Any]


def translate(q: wq.Query, schema: Any) -> Dsl:
    """The DSL for ``q``; ``schema`` (ours) decodes numeric terms."""
    if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
        return {"match_none": {}}
    if isinstance(q, wq.Every):
        return {"match_all": {}}
    boost = float(getattr(q, "boost", 1.0) or 1.0)
    if isinstance(q, wq.And):
        must: list[Dsl] = []
        must_not: list[Dsl] = []
        for child in q.subqueries:
            if isinstance(child, wq.Not):
                must_not.append(translate(child.query, schema))
            else:
                must.append(translate(child, schema))
        return _bool(boost, must=must, must_not=must_not)
    if isinstance(q, wq.Or):
        should = [translate(child, schema) for child in q.subqueries]
        return _bool(boost, should=should, minimum_should_match=1)
    if isinstance(q, wq.DisjunctionMax):
        return {"dis_max": {"queries": [translate(c, schema) for c in q.subqueries]}}
    if isinstance(q, wq.Not):
        return _bool(boost, must_not=[translate(q.query, schema)])
    if isinstance(q, wq.AndNot):
        return _bool(boost, must=[translate(q.a, schema)], must_not=[translate(q.b, schema)])
    if isinstance(q, wq.AndMaybe):
        return _bool(boost, must=[translate(q.a, schema)], should=[translate(q.b, schema)])
    if isinstance(q, wq.Require):
        return _bool(boost, must=[translate(q.a, schema)], filter=[translate(q.b, schema)])
    if isinstance(q, wq.Phrase):
        return _phrase(q, boost)
    if isinstance(q, wq.Term):
        value = _value(q.fieldname, q.text, schema)
        return {"term": {q.fieldname: {"value": value, "boost": boost}}}
    if isinstance(q, wq.FuzzyTerm):  # before Prefix/Wildcard: it is a MultiTerm too
        return {
            "fuzzy": {
                q.fieldname: {
                    "value": str(q.text),
                    "fuzziness": int(q.maxdist),
                    "prefix_length": int(q.prefixlength),
                    # Whoosh counts a swap of two letters as two edits.
                    "transpositions": False,
                    "max_expansions": FUZZY_EXPANSIONS,
                    "boost": boost,
                }
            }
        }
    if isinstance(q, wq.Prefix):
        return {"prefix": {q.fieldname: {"value": str(q.text), "boost": boost}}}
    if isinstance(q, wq.Wildcard):
        return {"wildcard": {q.fieldname: {"value": str(q.text), "boost": boost}}}
    if isinstance(q, (wq.TermRange, wq.NumericRange)):
        bounds: dict[str, Any] = {}
        if q.start is not None:
            bounds["gt" if q.startexcl else "gte"] = _bound(q.fieldname, q.start, schema)
        if q.end is not None:
            bounds["lt" if q.endexcl else "lte"] = _bound(q.fieldname, q.end, schema)
        return {"range": {q.fieldname: bounds}}
    raise QuerySyntaxError(f"this query cannot run on OpenSearch ({type(q).__name__})")


def _bool(boost: float, **clauses: Any) -> Dsl:
    body: Dsl = {k: v for k, v in clauses.items() if v not in ([], None)}
    if "should" not in body:
        body.pop("minimum_should_match", None)
    if boost != 1.0:
        body["boost"] = boost
    return {"bool": body}


def _phrase(q: wq.Phrase, boost: float) -> Dsl:
    words = [_text(w) for w in q.words]
    if not words:
        return {"match_none": {}}
    if len(words) == 1:
        return {"term": {q.fieldname: {"value": words[0], "boost": boost}}}
    slop = max(1, int(q.slop))
    if slop == 1:
        # The words are analysed already: split them on spaces only.
        return {
            "match_phrase": {
                q.fieldname: {"query": " ".join(words), "analyzer": "whitespace", "boost": boost}
            }
        }
    # Whoosh's "a b c"~N asks each next word to follow the previous one within N
    # positions; nested ordered span_near queries ask exactly that, pair by pair.
    span: Dsl = {"span_term": {q.fieldname: words[0]}}
    for word in words[1:]:
        span = {
            "span_near": {
                "clauses": [span, {"span_term": {q.fieldname: word}}],
                "slop": slop - 1,
                "in_order": True,
            }
        }
    span[next(iter(span))]["boost"] = boost
    return span


def _value(fieldname: str, text: Any, schema: Any) -> Any:
    if fieldname in NUMERIC_FIELDS and isinstance(text, bytes):
        return int(schema[fieldname].from_bytes(text))
    return _text(text)


def _bound(fieldname: str, value: Any, schema: Any) -> Any:
    if fieldname in NUMERIC_FIELDS:
        return _value(fieldname, value, schema) if isinstance(value, bytes) else int(value)
    return _text(value)


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
