"""Trend output: a bar chart for people, JSON Lines and TSV for plotting elsewhere.

The chart uses block characters, so it reads the same with or without colour. Bars
show each period's share of the archive's articles (the archive did not publish
the same amount every year); counts and percentages are printed beside them.
Periods with no articles in the archive are gaps, marked "no articles"; a run of
more than ten of them is left out (one line in the chart says how many).

JSON Lines: a ``trend`` line (``by``, ``periods``, ``totals``, ``undated``,
``left_out``: period -> how many empty periods after it were left out), one
``point`` line per query and period (``query``, ``period``, ``count``, ``total``,
``share``; ``count`` and ``share`` are null in a gap), and a ``summary`` line
(``matches``: articles per query over all periods). TSV: ``query period count
total share``, gaps with empty count and share.
"""

from __future__ import annotations

import sys

from ..explore import Trend
from .human import Output
from .jsonl import line
from .tsv import escape

BAR_WIDTH = 32
_EIGHTHS = " ▏▎▍▌▋▊▉"


def human(trend: Trend, out: Output) -> None:
    top = max((trend.share(s, p) or 0 for s in trend.series for p in trend.periods), default=0)
    unit = "year" if trend.by == "year" else "month"
    for index, series in enumerate(trend.series):
        if index:
            out.blank()
        total = sum(series.counts.values())
        out.line(
            [
                (series.query, "bold"),
                (
                    f" — {total} article{'s' if total != 1 else ''}; bars: share of each "
                    f"{unit}'s articles",
                    "dim",
                ),
            ]
        )
        for period in trend.periods:
            share = trend.share(series, period)
            label = (period, "dim")
            if share is None:
                out.line([label, ("  ·  no articles", "dim")])
                continue
            count = series.counts.get(period, 0)
            out.line(
                [
                    label,
                    ("  ", ""),
                    (bar(share / top if top else 0), "cyan"),
                    (f"  {count:>5}  {share:6.1%}", ""),
                ]
            )
            skipped = trend.left_out.get(period)
            if skipped:
                out.line([(f"  ⋯  {skipped:,} {unit}s without articles left out", "dim")])
    if trend.undated:
        out.blank()
        out.line([(f"({trend.undated} articles without a {unit} are not counted)", "dim")])


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, rest = divmod(eighths, 8)
    text = "█" * full + (_EIGHTHS[rest] if rest else "")
    return text.ljust(width)


def jsonl(trend: Trend) -> None:
    line(
        "trend",
        {
            "by": trend.by,
            "periods": trend.periods,
            "totals": trend.totals,
            "undated": trend.undated,
            "left_out": trend.left_out,
        },
    )
    for series in trend.series:
        for period in trend.periods:
            share = trend.share(series, period)
            line(
                "point",
                {
                    "query": series.query,
                    "period": period,
                    "count": None if share is None else series.counts.get(period, 0),
                    "total": trend.totals.get(period, 0),
                    "share": None if share is None else round(share, 6),
                },
            )
    line("summary", {"matches": {s.query: sum(s.counts.values()) for s in trend.series}})


def tsv(trend: Trend, *, header: bool) -> None:
    out = sys.stdout
    if header:
        out.write("query\tperiod\tcount\ttotal\tshare\n")
    for series in trend.series:
        for period in trend.periods:
            share = trend.share(series, period)
            count = "" if share is None else str(series.counts.get(period, 0))
            out.write(
                f"{escape(series.query)}\t{period}\t{count}\t{trend.totals.get(period, 0)}"
                f"\t{'' if share is None else f'{share:.6f}'}\n"
            )
