"""Relevance on standard test collections, through focal-search's own query path.

    python benchmarks/relevance.py [--ir ../shared/ir] [--expand on|off|both] [cran cisi med]

Protocol (shared/ir/README.md): each record of docs.jsonl is one article (title +
text); each query is run as the OR of its words (`focal-search query --any`), with
the index's stop words dropped, top 1000; binary relevance (grade > 0). Prints MAP,
nDCG@10, P@10 and R@100 per collection, averaged over queries with a relevant
document, next to the peer figures measured on this machine. ``--expand`` picks the
ranking: with pseudo-relevance feedback (`query`'s default), without it
(`query --no-expand`), or both on the same index.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from focal_search.index import open_index, sync_index
from focal_search.search import Searcher

DEFAULT_IR = Path(__file__).resolve().parents[2] / "shared" / "ir"
# From shared/ir/README.md: (engine, MAP, nDCG@10, P@10, R@100).
PEERS = {
    "cran": [
        ("bm25s", 0.3215, 0.3531, 0.2444, 0.7522),
        ("tantivy", 0.3159, 0.3448, 0.2364, 0.7451),
        ("SQLite FTS5", 0.3131, 0.3434, 0.2369, 0.7424),
        ("Whoosh naive", 0.3143, 0.3430, 0.2356, 0.7454),
    ],
    "cisi": [
        ("bm25s", 0.2321, 0.4157, 0.3789, 0.4697),
        ("tantivy", 0.1925, 0.3616, 0.3289, 0.4207),
        ("SQLite FTS5", 0.2324, 0.4018, 0.3671, 0.4636),
        ("Whoosh naive", 0.1676, 0.3201, 0.2855, 0.4095),
    ],
    "med": [
        ("bm25s", 0.5360, 0.6996, 0.6533, 0.7988),
        ("tantivy", 0.5348, 0.7114, 0.6667, 0.7987),
        ("SQLite FTS5", 0.5307, 0.6941, 0.6467, 0.8006),
        ("Whoosh naive", 0.5269, 0.7121, 0.6633, 0.7930),
    ],
}
WORD = re.compile(r"\w+")
TARGET_MARGIN = 0.01  # issue 12: MAP at least the best peer's + 0.01


def as_query(text: str) -> str:
    """The query's words, lowercased: punctuation and upper-case AND/OR/NOT in a
    natural-language question must not turn into query syntax."""
    return " ".join(WORD.findall(text.lower()))


def build(collection: Path, work: Path) -> float:
    """Index the collection's documents under ``work``; the seconds it took."""
    corpus = work / "corpus"
    corpus.mkdir(parents=True)
    shutil.copy(collection / "docs.jsonl", corpus / "docs.jsonl")
    started = time.perf_counter()
    sync_index(corpus, work / "index")
    return time.perf_counter() - started


def evaluate(collection: Path, work: Path, *, expand: bool) -> tuple[dict[str, float], float]:
    """Mean metrics over the judged queries, and the seconds per query."""
    relevant: dict[str, set[str]] = defaultdict(set)
    for line in (collection / "qrels.tsv").read_text().splitlines():
        qid, doc, grade = line.split("\t")[:3]
        if float(grade) > 0:
            relevant[qid].add(doc)
    queries = [json.loads(line) for line in (collection / "queries.jsonl").read_text().splitlines()]

    totals = defaultdict(float)
    judged = 0
    started = time.perf_counter()
    with open_index(work / "index") as ix, Searcher(ix) as searcher:
        for q in queries:
            rel = relevant.get(str(q["id"]))
            if not rel:
                continue
            judged += 1
            results = searcher.search(
                as_query(q["text"]),
                limit=1000,
                any_words=True,
                suggest=False,
                snippets=False,
                expand=expand,
            )
            ranked = [hit.id.split("#", 1)[1] for hit in results.hits]
            for name, value in metrics(ranked, rel).items():
                totals[name] += value
    search = time.perf_counter() - started
    return {k: v / judged for k, v in totals.items()}, search / max(1, judged)


def metrics(ranked: list[str], relevant: set[str]) -> dict[str, float]:
    hits = [doc in relevant for doc in ranked]
    precisions = [sum(hits[: i + 1]) / (i + 1) for i, hit in enumerate(hits) if hit]
    dcg = sum(1 / math.log2(i + 2) for i, hit in enumerate(hits[:10]) if hit)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(10, len(relevant))))
    return {
        "MAP": sum(precisions) / len(relevant),
        "nDCG@10": dcg / ideal,
        "P@10": sum(hits[:10]) / 10,
        "R@100": sum(hits[:100]) / len(relevant),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("collections", nargs="*", default=["cran", "cisi", "med"])
    parser.add_argument("--ir", type=Path, default=DEFAULT_IR)
    parser.add_argument(
        "--expand",
        choices=("on", "off", "both"),
        default="both",
        help="pseudo-relevance feedback: on (query's default), off (--no-expand), or both",
    )
    args = parser.parse_args()
    if not args.ir.is_dir():
        sys.exit(f"no test collections at {args.ir} (pass --ir DIR)")
    print(f"{'collection':10} {'engine':16} {'MAP':>7} {'nDCG@10':>8} {'P@10':>7} {'R@100':>7}")
    variants = {"on": [True], "off": [False], "both": [True, False]}[args.expand]
    for name in args.collections:
        runs = []
        with tempfile.TemporaryDirectory() as tmp:
            seconds = build(args.ir / name, Path(tmp))
            for expand in variants:
                runs.append((expand, *evaluate(args.ir / name, Path(tmp), expand=expand)))
        for expand, scores, per_query in runs:
            engine = "focal-search" if expand else "  --no-expand"
            print(
                f"{name:10} {engine:16} {scores['MAP']:7.4f} {scores['nDCG@10']:8.4f} "
                f"{scores['P@10']:7.4f} {scores['R@100']:7.4f}   "
                f"(index {seconds:.1f} s, {per_query * 1000:.0f} ms/query)"
            )
        best = max(PEERS[name], key=lambda p: p[1])
        for engine, map_, ndcg, p10, r100 in PEERS[name]:
            print(f"{'':10} {engine:16} {map_:7.4f} {ndcg:8.4f} {p10:7.4f} {r100:7.4f}")
        for expand, scores, _ in runs:
            label = "" if expand else " (--no-expand)"
            verdict = "meets" if round(scores["MAP"], 4) >= best[1] + TARGET_MARGIN else "below"
            print(
                f"{'':10} MAP{label} {verdict} the best peer + {TARGET_MARGIN} "
                f"({best[0]} {best[1]:.4f}): ratio {scores['MAP'] / best[1]:.3f}"
            )
        print()


if __name__ == "__main__":
    main()
