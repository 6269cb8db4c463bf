"""Pseudo-relevance feedback: widen a query with the words of its best matches.

A second, separate ranking stage. The query is run once; the words of its top
``FEEDBACK_DOCS`` articles are weighed with Amati's Bo1 (divergence from randomness:
how much more often a word occurs in those articles than its frequency in the whole
archive predicts); the best ``EXPANSION_TERMS`` are added to the query as ordinary
weighted terms, and the query is run again. The expanded query is still a sum over
(term, field) of a BM25F weight times a boost, so any evaluator of the first stage
evaluates it too.

The settings are Terrier's defaults for Bo1 (3 documents, 10 terms, a word must occur
in 2 of them, expansion weights normalised by the largest, at least as many terms as
the query has), not tuned on our test collections. Measured on cran, cisi and med
(benchmarks/relevance.py) they raise MAP, nDCG@10, P@10 and R@100 on all three, so
`focal-search query` expands by default (`--no-expand` turns it off).

Expansion re-ranks the matches and never adds any: the added terms are optional
(``AndMaybe``), so counts, filters and AND semantics stay those of the query typed,
and every hit still contains what was asked for (its snippets show it).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from typing import Any

from whoosh import query as wq

from .analysis import ANALYZED, analyzed_language, is_stop_term
from .query import prune
from .schema import FIELD_BOOSTS, TEXT_FIELDS, lang_field

FEEDBACK_DOCS = 3  # top articles taken as relevant (Terrier: expansion.documents)
EXPANSION_TERMS = 10  # words added (Terrier: expansion.terms)
MIN_FEEDBACK_DOCS = 2  # a new word must occur in this many of them (expansion.mindocuments)
MIN_TERM_CHARS = 2  # single letters and digits carry no topic


def bo1(in_feedback: float, in_archive: float, docs: int) -> float:
    """Bo1 weight of a word occurring ``in_feedback`` times in the feedback articles and
    ``in_archive`` times in the ``docs`` articles of the archive (Bose-Einstein model,
    Amati 2003): tfx·log2((1+Pn)/Pn) + log2(1+Pn), with Pn = in_archive / docs."""
    pn = in_archive / docs
    return in_feedback * math.log2((1 + pn) / pn) + math.log2(1 + pn)


def expand_query(searcher: Any, q: wq.Query, feedback: Iterable[int]) -> wq.Query:
    """``q`` with the best words of the ``feedback`` articles (document numbers, best
    first) as optional extra terms; ``q`` itself when there is nothing to add."""
    reader = searcher.reader()
    asked = _query_terms(q)
    weights = expansion_weights(searcher, feedback, asked)
    if not weights:
        return q
    # Terrier weighs a query term by qtf / max qtf and an added one by w / max w;
    # our query terms weigh qtf (repeats, see query._weigh_repeats), so the added
    # ones are scaled by the query's heaviest term instead: the same ratio.
    heaviest = max(asked.values(), default=1.0)
    top = max(weights.values())
    extra = [
        wq.Term(lang_field(name, lang), term, boost=FIELD_BOOSTS[name] * heaviest * w / top)
        for (lang, term), w in weights.items()
        for name in TEXT_FIELDS
    ]
    added = prune(wq.Or(extra), reader)
    return q if added is wq.NullQuery else wq.AndMaybe(q, added)


def expansion_weights(
    searcher: Any, feedback: Iterable[int], asked: dict[tuple[str, str], float]
) -> dict[tuple[str, str], float]:
    """The Bo1 weights of the words chosen to expand a query, keyed by (language, term).
    ``asked`` holds the query's own terms (which need not pass the document minimum)."""
    reader = searcher.reader()
    docs = reader.doc_count_all()
    in_feedback: Counter[tuple[str, str]] = Counter()
    in_docs: Counter[tuple[str, str]] = Counter()
    count = 0
    for docnum in feedback:
        stored = searcher.stored_fields(docnum)
        lang = analyzed_language(stored.get("lang"))
        # The index's own analyzer: the same terms as the postings, and its memo of
        # stems is kept from one query to the next.
        analyzer = searcher.schema[lang_field("body", lang)].analyzer
        terms = Counter(t.text for t in analyzer(stored.get("body") or ""))
        for term, tf in terms.items():
            in_feedback[lang, term] += tf
            in_docs[lang, term] += 1
        count += 1
    min_docs = MIN_FEEDBACK_DOCS if count >= MIN_FEEDBACK_DOCS else 1
    weights: dict[tuple[str, str], float] = {}
    for (lang, term), tfx in in_feedback.items():
        if len(term) < MIN_TERM_CHARS or is_stop_term(term, lang):
            continue
        if in_docs[lang, term] < min_docs and (lang, term) not in asked:
            continue
        in_archive = reader.frequency(lang_field("body", lang), term)
        if in_archive > 0:
            weights[lang, term] = bo1(tfx, in_archive, docs)
    # As many words as the query has, if it has more than EXPANSION_TERMS: a long
    # question's own words are then all re-weighed (Terrier does the same).
    per_lang = Counter(lang for lang, _ in asked)
    wanted = max(EXPANSION_TERMS, max(per_lang.values(), default=0))
    best = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:wanted]
    return dict(best)


def _query_terms(q: wq.Query) -> dict[tuple[str, str], float]:
    """The query's words, (language, term) -> query-term frequency, read from its
    body-field terms (whose boost is that frequency times the body boost)."""
    bodies = {lang_field("body", lang): lang for lang in ANALYZED}
    found: dict[tuple[str, str], float] = {}
    leaves = [q] if q.is_leaf() else list(q.leaves())
    for leaf in leaves:
        if isinstance(leaf, wq.Term) and leaf.fieldname in bodies and isinstance(leaf.text, str):
            key = (bodies[leaf.fieldname], leaf.text)
            found[key] = leaf.boost / FIELD_BOOSTS["body"]
    return found
