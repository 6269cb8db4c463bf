"""Indexing and query speed at several corpus sizes, next to peers on the same files.

    python benchmarks/speed.py [--sizes 1000 10000 100000] [--work /tmp/focal-bench]

For each size: a generated FOCAL-shaped corpus (benchmarks/generate.py, cached in
--work); a full `focal-search reindex --full` (wall time, docs/s, peak RSS of the
whole process tree, peak disk of the index folder including temporary files, final
size); a no-op reindex; a reindex after changing 1% of the files; warm query
latency (p50/p95 over 35 mixed queries, 10 hits with snippets, one open searcher);
and cold latency (a whole new `focal-search query` process printing 10 hits to a
pipe, median). Peers on the same files: `rg -i -l` (no index), SQLite FTS5
(porter unicode61 remove_diacritics) and tantivy (if installed). Absolute times
vary ±20% between runs on shared 2-core machines: compare the ratios of one run.
Run it with focal-search installed non-editable (`pip install .`), as users have it.
Also printed: the time a new process takes to open the index (after its imports),
which should not grow with the archive. ``--sizes 1000000`` runs the archive-scale
size on its own, by hand (about 6 GB of corpus and 11 GB of index in --work; delete
--work afterwards); ``--reuse`` keeps an index already built there and measures the
queries only.

With ``--opensearch http://127.0.0.1:9200`` (a cluster, e.g. from
scripts/opensearch-cluster start; needs `pip install '.[opensearch]'`), the same corpus
is also indexed into index ``focal-bench-SIZE`` there: full reindex (docs/s), warm p50
(in-process engine, same queries) and cold p50 (a new process per query).
``--opensearch-only`` skips the local index and the peers.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate  # noqa: E402

QUERIES = [
    # words
    "NORAD",
    "migration",
    "security",
    "haiti",
    "democracy",
    "cartel",
    "Mérida",
    "reconstruction",
    "farmers",
    "trafficking",
    # several words (AND)
    "smart border",
    "border security",
    "drug cartel violence",
    "trade agreement canada",
    "human rights police",
    # phrases
    '"smart border"',
    '"Summit of the Americas"',
    '"Mérida Initiative"',
    '"human rights"',
    '"rule of law"',
    # without accents
    "Merida",
    "frontiere",
    "migracion",
    "Haiti",
    "Mexico",
    # prefixes
    "migra*",
    "democra*",
    "secur*",
    "reconstruc*",
    "elect*",
    # fields
    "title:security",
    "author:Dade",
    "year:2005 border",
    "lang:fr frontiere",
    "date:>=2009 NORAD",
]
COLD_QUERIES = ["NORAD", "smart border", '"Mérida Initiative"', "migra*", "Merida"]
RG_PATTERNS = ["NORAD", "smart border", "Mérida Initiative", "migra", "merida"]
FTS_QUERY_LIMIT = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/focal-bench"))
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep an index already built in --work (query figures only; build figures blank)",
    )
    parser.add_argument(
        "--no-tantivy", action="store_true", help="skip the tantivy peer (10 min at 1M pages)"
    )
    parser.add_argument("--opensearch", metavar="URL", help="also measure this cluster")
    parser.add_argument("--opensearch-only", action="store_true", help="only the cluster")
    args = parser.parse_args()
    exe = shutil.which("focal-search")
    if exe is None:
        sys.exit("focal-search is not installed (pip install .)")
    for size in args.sizes:
        if not args.opensearch_only:
            run_size(
                size, args.work, exe, args.cold_runs, reuse=args.reuse, tantivy=not args.no_tantivy
            )
        if args.opensearch:
            run_opensearch(size, args.work, exe, args.cold_runs, args.opensearch.rstrip("/"))


def corpus_of(size: int, work: Path) -> Path:
    corpus = work / f"corpus-{size}"
    if not (corpus / ".complete").exists():
        shutil.rmtree(corpus, ignore_errors=True)
        generate(size, corpus)
        (corpus / ".complete").write_text("")
    return corpus


def run_opensearch(size: int, work: Path, exe: str, cold_runs: int, base: str) -> None:
    """The same corpus and queries on the cluster: build rate, warm and cold p50."""
    from focal_search.engines.opensearch import OpenSearchEngine

    corpus = corpus_of(size, work)
    url = f"{base}/focal-bench-{size}"
    env = {**os.environ, "FOCAL_SEARCH_CORPUS": str(corpus), "FOCAL_SEARCH_INDEX": url}
    print(f"\n== OpenSearch {url}: {size:,} pages ==", flush=True)
    build = measure([exe, "reindex", "--full"], env)
    noop = measure([exe, "reindex"], env).seconds
    times = []
    with OpenSearchEngine(url) as engine:
        for round_ in range(3):
            for q in QUERIES:
                started = time.perf_counter()
                list(engine.search(q, limit=10, suggest=False).hits)
                if round_:
                    times.append((time.perf_counter() - started) * 1000)
    cold = cold_latency(exe, env, cold_runs)
    rows = [
        ("full build", f"{build.seconds:.1f} s", f"{size / build.seconds:,.0f} docs/s"),
        ("client memory (PSS)", f"{build.peak_rss / 1e6:.0f} MB", "the reindex process"),
        ("no-op reindex", f"{noop:.2f} s", ""),
        ("warm query p50 / p95", f"{pct(times, 50):.1f} / {pct(times, 95):.1f} ms", "10 hits"),
        ("cold query (median)", f"{cold * 1000:.0f} ms", "new process, 10 hits"),
    ]
    for label, value, note in rows:
        print(f"  {label:26} {value:>16}  {note}")


def run_size(
    size: int, work: Path, exe: str, cold_runs: int, *, reuse: bool = False, tantivy: bool = True
) -> None:
    corpus = corpus_of(size, work)
    corpus_mb = tree_bytes(corpus) / 1e6
    index = work / f"index-{size}"
    env = {**os.environ, "FOCAL_SEARCH_CORPUS": str(corpus), "FOCAL_SEARCH_INDEX": str(index)}
    print(f"\n== {size:,} pages, {corpus_mb:.0f} MB ==", flush=True)
    rows: list[tuple[str, str, str]] = []
    if reuse and (index / "CURRENT").exists():
        rate = float("nan")
    else:
        shutil.rmtree(index, ignore_errors=True)
        rate = build_figures(size, corpus, corpus_mb, index, env, exe, rows)

    opened = open_seconds(index)
    warm = warm_latencies(index)
    warm_fb = warm_latencies(index, expand=True)
    cold = cold_latency(exe, env, cold_runs, ("--no-expand",))
    cold_fb = cold_latency(exe, env, cold_runs)

    p50, p95 = pct(warm, 50), pct(warm, 95)
    rows += [
        (
            "open index (new process)",
            f"{opened * 1000:.0f} ms",
            "open + searcher, imports excluded",
        ),
        ("warm query p50 / p95", f"{p50:.1f} / {p95:.1f} ms", "10 hits + snippets, --no-expand"),
        (
            "  with feedback (default)",
            f"{pct(warm_fb, 50):.1f} / {pct(warm_fb, 95):.1f} ms",
            "pseudo-relevance feedback pass",
        ),
        ("cold query (median)", f"{cold * 1000:.0f} ms", "new process, 10 hits, --no-expand"),
        ("  with feedback (default)", f"{cold_fb * 1000:.0f} ms", ""),
    ]
    peers = []
    rg = rg_latency(corpus, cold_runs)
    if rg is not None:
        peers.append(
            (
                "rg -i -l (no index)",
                f"{rg * 1000:.0f} ms",
                f"cold focal-search / rg = {cold / rg:.2f}",
            )
        )
    fts_build, fts_p50 = fts5(corpus, work / f"fts-{size}.db")
    peers.append(
        (
            "SQLite FTS5 build",
            f"{fts_build:.1f} s",
            f"{size / fts_build:,.0f} docs/s; focal-search / FTS5 = "
            f"{rate / (size / fts_build):.2f}",
        )
    )
    peers.append(
        ("SQLite FTS5 warm p50", f"{fts_p50:.1f} ms", f"focal-search / FTS5 = {p50 / fts_p50:.2f}")
    )
    tv = tantivy_peer(corpus, work / f"tantivy-{size}") if tantivy else None
    if tv is not None:
        peers.append(("tantivy build", f"{tv[0]:.1f} s", f"{size / tv[0]:,.0f} docs/s"))
        peers.append(
            ("tantivy warm p50", f"{tv[1]:.2f} ms", f"focal-search / tantivy = {p50 / tv[1]:.1f}")
        )
    for label, value, note in rows + [("--- peers, same files ---", "", "")] + peers:
        print(f"  {label:26} {value:>16}  {note}")


class Measured:
    def __init__(self) -> None:
        self.seconds = 0.0
        self.peak_rss = 0
        self.peak_disk = 0


def measure(cmd: list[str], env: dict[str, str], watch: Path | None = None) -> Measured:
    """Run a command; sample the RSS of its process tree and the size of ``watch``."""
    result = Measured()
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            result.peak_rss = max(result.peak_rss, tree_rss(proc.pid))
            if watch is not None and watch.exists():
                result.peak_disk = max(result.peak_disk, tree_bytes(watch))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    result.seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}): {err.decode()[-500:]}")
    return result


def tree_rss(root: int) -> int:
    """Memory of a process and all its descendants, in bytes: the sum of their
    proportional set sizes (PSS), so pages a forked child shares with its parent
    are not counted twice (a sum of RSS would)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                status = Path(f"/proc/{entry}/status").read_text()
            except OSError:
                continue
            ppid = re.search(r"^PPid:\s+(\d+)", status, re.M)
            parents[int(entry)] = int(ppid.group(1)) if ppid else 0
    total = 0
    for pid in parents:
        p = pid
        while p and p != root:
            p = parents.get(p, 0)
        if p != root:
            continue
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        pss = re.search(r"^Pss:\s+(\d+) kB", rollup, re.M)
        total += int(pss.group(1)) * 1024 if pss else 0
    return total


def tree_bytes(path: Path) -> int:
    total = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total


def change_files(corpus: Path, count: int) -> list[tuple[Path, bytes]]:
    files = sorted(p for p in corpus.rglob("*.txt"))[
        :: max(1, len(list(corpus.rglob("*.txt"))) // max(1, count))
    ][:count]
    originals = []
    for path in files:
        data = path.read_bytes()
        originals.append((path, data))
        path.write_bytes(data.replace(b"blue square", b" Updated in the benchmark.blue square", 1))
    return originals


def build_figures(
    size: int,
    corpus: Path,
    corpus_mb: float,
    index: Path,
    env: dict[str, str],
    exe: str,
    rows: list[tuple[str, str, str]],
) -> float:
    """Full build, no-op and 1%-changed reindex; appends their rows, returns docs/s."""
    build = measure([exe, "reindex", "--full"], env, watch=index)
    rate = size / build.seconds
    index_mb = tree_bytes(index) / 1e6
    noop = measure([exe, "reindex"], env).seconds
    changed = change_files(corpus, size // 100)
    one_percent = measure([exe, "reindex"], env).seconds
    restore_files(changed)
    measure([exe, "reindex"], env)
    rows += [
        ("full build", f"{build.seconds:.1f} s", f"{rate:,.0f} docs/s"),
        ("peak memory (PSS, tree)", f"{build.peak_rss / 1e6:.0f} MB", ""),
        (
            "peak index disk",
            f"{build.peak_disk / 1e6:.0f} MB",
            f"{build.peak_disk / 1e6 / corpus_mb:.2f}× corpus, "
            f"{build.peak_disk / 1e6 / index_mb:.2f}× final index",
        ),
        ("index size", f"{index_mb:.0f} MB", f"{index_mb / corpus_mb:.2f}× corpus"),
        ("no-op reindex", f"{noop:.2f} s", ""),
        (
            "reindex, 1% changed",
            f"{one_percent:.2f} s",
            f"{one_percent / build.seconds:.1%} of full",
        ),
    ]
    return rate


def open_seconds(index: Path, runs: int = 5) -> float:
    """Median time for a new process to open the index and a searcher (after imports):
    it should not grow with the archive."""
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from focal_search.index import open_index\n"
        "from focal_search.search import Searcher\n"
        "import numpy\n"
        "t = time.perf_counter()\n"
        "ix = open_index(Path(sys.argv[1])); s = Searcher(ix)\n"
        "print(time.perf_counter() - t)\n"
    )
    times = [
        float(
            subprocess.run(
                [sys.executable, "-c", code, str(index)], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(runs)
    ]
    return statistics.median(times)


def restore_files(originals: list[tuple[Path, bytes]]) -> None:
    for path, data in originals:
        path.write_bytes(data)


def warm_latencies(index: Path, *, expand: bool = False) -> list[float]:
    from focal_search.index import open_index
    from focal_search.search import Searcher

    times = []
    with open_index(index) as ix, Searcher(ix) as searcher:
        for round_ in range(3):
            for q in QUERIES:
                started = time.perf_counter()
                results = searcher.search(q, limit=10, suggest=False, expand=expand)
                list(results.hits)
                if round_:  # the first round warms caches
                    times.append((time.perf_counter() - started) * 1000)
    return times


def cold_latency(exe: str, env: dict[str, str], runs: int, options: tuple[str, ...] = ()) -> float:
    times = []
    for q in COLD_QUERIES:
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run(
                [exe, "query", q, *options],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                check=False,
            )
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def rg_latency(corpus: Path, runs: int) -> float | None:
    rg = shutil.which("rg")
    if rg is None:
        return None
    times = []
    for pattern in RG_PATTERNS:
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run(
                [rg, "-i", "-l", "-F", pattern, str(corpus)], stdout=subprocess.DEVNULL, check=False
            )
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def fts_query(q: str) -> str | None:
    """The same query in FTS5 syntax (one column holds the whole file)."""
    if ":" in q and not q.startswith(("title:", "author:")):
        return None  # year/lang/date filters have no FTS5 equivalent on raw files
    q = re.sub(r"^(title|author):", "", q)
    return q


def fts5(corpus: Path, db: Path) -> tuple[float, float]:
    db.unlink(missing_ok=True)
    con = sqlite3.connect(db)
    con.execute(
        "CREATE VIRTUAL TABLE docs USING fts5(path UNINDEXED, body, "
        "tokenize='porter unicode61 remove_diacritics 2')"
    )
    started = time.perf_counter()
    with con:
        con.executemany(
            "INSERT INTO docs VALUES (?, ?)",
            ((str(p), p.read_text("utf-8")) for p in corpus.rglob("*.txt")),
        )
    build = time.perf_counter() - started

    def run(fq: str) -> None:
        con.execute(
            "SELECT path, snippet(docs, 1, '[', ']', '…', 24) FROM docs WHERE docs "
            "MATCH ? ORDER BY bm25(docs) LIMIT ?",
            (fq, FTS_QUERY_LIMIT),
        ).fetchall()

    times = peer_latencies(run)
    con.close()
    return build, statistics.median(times)


def tantivy_peer(corpus: Path, folder: Path) -> tuple[float, float] | None:
    try:
        import tantivy
    except ImportError:
        return None
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("path", stored=True)
    builder.add_text_field("body", stored=True, tokenizer_name="en_stem")
    index = tantivy.Index(builder.build(), path=str(folder))
    started = time.perf_counter()
    writer = index.writer()
    for p in corpus.rglob("*.txt"):
        writer.add_document(tantivy.Document(path=str(p), body=p.read_text("utf-8")))
    writer.commit()
    writer.wait_merging_threads()
    build = time.perf_counter() - started
    index.reload()
    searcher = index.searcher()

    def run(fq: str) -> None:
        parsed = index.parse_query(fq.replace("*", ""), ["body"])
        for _, address in searcher.search(parsed, 10).hits:
            searcher.doc(address)

    times = peer_latencies(run)
    return build, statistics.median(times)


def peer_latencies(run: Callable[[str], None]) -> list[float]:
    """Warm latencies (ms) of a peer over the comparable queries; the first round warms."""
    times = []
    for round_ in range(3):
        for q in QUERIES:
            fq = fts_query(q)
            if fq is None:
                continue
            started = time.perf_counter()
            try:
                run(fq)
            except ValueError:  # a query the peer's parser refuses
                continue
            if round_:
                times.append((time.perf_counter() - started) * 1000)
    return times


def pct(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


if __name__ == "__main__":
    main()
