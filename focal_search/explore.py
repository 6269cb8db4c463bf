"""Looking across the archive rather than at single hits: facets and trends.

Counts are exact and come from columns (no stored text is read). A page captured
several times counts once. Trends divide by how many articles the archive holds
for each period; periods with no articles at all are gaps, not zeros.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .columns import column_rows
from .documents import key_period
from .search import Filters, Searcher

FACETS = {"year": "sort_date", "author": "author_names", "lang": "lang", "kind": "kind"}
PERIODS = ("year", "month")
# Longer runs of periods without any article are left out of a trend (one odd date,
# say 9999, would otherwise add thousands of empty rows).
MAX_GAP = 10


@dataclass
class Facet:
    name: str
    counts: list[tuple[str, int]]  # top values, most frequent first
    other: int = 0  # articles with a value beyond the top ones
    missing: int = 0  # articles with no value (undated, no author)


def facets(searcher: Searcher, docs: list[int], names: list[str], top: int = 10) -> list[Facet]:
    """Counts per value of each facet over the given documents."""
    unknown = [n for n in names if n not in FACETS]
    if unknown:
        raise ValueError(f"unknown facet {unknown[0]!r} (facets: {', '.join(FACETS)})")
    reader = searcher.reader
    counters = {name: Counter[str]() for name in names}
    missing = Counter[str]()
    columns = tuple(FACETS[n] for n in names)
    for row in column_rows(reader, columns, docs):
        for name, value in zip(names, row, strict=True):
            for v in _values(name, value):
                counters[name][v] += 1
            if not _values(name, value):
                missing[name] += 1
    result = []
    for name in names:
        common = counters[name].most_common(top)
        shown = sum(n for _, n in common)
        result.append(Facet(name, common, sum(counters[name].values()) - shown, missing[name]))
    return result


@dataclass
class Series:
    query: str
    counts: dict[str, int] = field(default_factory=dict)  # period -> matching articles


@dataclass
class Trend:
    by: str
    periods: list[str]  # every period from the first to the last dated article...
    totals: dict[str, int]  # articles in the archive per period (absent = a gap)
    series: list[Series]
    undated: int = 0  # articles in the archive without a date for this granularity
    # ...except runs of more than MAX_GAP empty periods: period before -> periods left out.
    left_out: dict[str, int] = field(default_factory=dict)

    def share(self, series: Series, period: str) -> float | None:
        total = self.totals.get(period, 0)
        return series.counts.get(period, 0) / total if total else None


def trend(
    searcher: Searcher,
    queries: list[str],
    *,
    by: str = "year",
    filters: Filters | None = None,
    any_words: bool = False,
) -> Trend:
    if by not in PERIODS:
        raise ValueError(f"unknown period {by!r} (use year or month)")
    reader = searcher.reader
    every = searcher.all_docs(filters)
    totals: Counter[str] = Counter()
    undated = 0
    for (key,) in column_rows(reader, ("sort_date",), every):
        period = key_period(key, by)
        if period is None:
            undated += 1
        else:
            totals[period] += 1
    series = []
    for q in queries:
        docs = searcher.matching_docs(q, filters=filters, any_words=any_words)
        counts: Counter[str] = Counter()
        for (key,) in column_rows(reader, ("sort_date",), docs):
            period = key_period(key, by)
            if period is not None:
                counts[period] += 1
        series.append(Series(q, dict(counts)))
    periods, left_out = _span(sorted(totals), by)
    return Trend(by, periods, dict(totals), series, undated, left_out)


def _span(periods: list[str], by: str) -> tuple[list[str], dict[str, int]]:
    """All periods from the first to the last, so that empty ones show as gaps; but a
    run of more than MAX_GAP empty periods is left out (and counted after the period
    before it), so the span is bounded by the periods that have articles."""
    numbers = [_number(p, by) for p in periods]
    span: list[str] = []
    left_out: dict[str, int] = {}
    for previous, current in zip([None, *numbers], numbers, strict=False):
        if previous is not None:
            empty = current - previous - 1
            if empty > MAX_GAP:
                left_out[_label(previous, by)] = empty
            else:
                span.extend(_label(n, by) for n in range(previous + 1, current))
        span.append(_label(current, by))
    return span, left_out


def _number(period: str, by: str) -> int:
    return int(period) if by == "year" else int(period[:4]) * 12 + int(period[5:]) - 1


def _label(number: int, by: str) -> str:
    return f"{number:04d}" if by == "year" else f"{number // 12:04d}-{number % 12 + 1:02d}"


def _values(name: str, value: str) -> list[str]:
    if name == "year":
        year = key_period(value)
        return [year] if year else []
    if name == "author":
        return [a for a in value.split("\n") if a]
    if name == "kind":
        return [value or "article"]
    return [value or "und"]
