"""Kill `focal-search reindex` at random moments, many times, and check the index.

    python benchmarks/stress_kill.py [--kills 300] [--pages 2000] [--work /tmp/focal-kill]

Each round changes a few files (or not), starts `reindex` (incremental or --full, so
both the single-process and the parallel writer are hit), sends SIGKILL to it after
a random delay, then checks that the index opens and answers queries. After every
25 kills, and at the end, an uninterrupted reindex must converge to exactly the
corpus (same article ids). Prints kills tried and failures; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=300)
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/focal-kill"))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from focal_search.index import open_index
    from focal_search.search import Searcher

    shutil.rmtree(args.work, ignore_errors=True)
    corpus, index = args.work / "corpus", args.work / "index"
    generate(args.pages, corpus, seed=args.seed)
    files = sorted(corpus.rglob("*.txt"))
    env = {**os.environ, "FOCAL_SEARCH_CORPUS": str(corpus), "FOCAL_SEARCH_INDEX": str(index)}
    cmd = [sys.executable, "-m", "focal_search", "reindex"]
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    rng = random.Random(args.seed)
    full_time = _timed(cmd + ["--full"], env)
    failures: list[str] = []
    tried = 0
    started = time.monotonic()
    for round_ in range(1, args.kills + 1):
        if rng.random() < 0.5:
            for path in rng.sample(files, 20):
                path.write_text(path.read_text() + f"\n\nChanged in round {round_}.\n")
        full = rng.random() < 0.5
        proc = subprocess.Popen(
            cmd + (["--full"] if full else []),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(rng.uniform(0, full_time if full else full_time / 3))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the parallel writer's children too
            tried += 1
        proc.wait()
        try:
            with open_index(index) as ix, Searcher(ix) as searcher:
                searcher.search("NORAD OR border", limit=3)
        except Exception as err:  # noqa: BLE001 - any failure here is what we look for
            failures.append(f"round {round_}: index unusable after kill: {err!r}")
        if round_ % 25 == 0 or round_ == args.kills:
            done = subprocess.run(cmd, env=env, capture_output=True, text=True)
            with open_index(index) as ix, ix.whoosh.searcher() as s:
                ids = {f["id"] for f in s.all_stored_fields()}
            expected = {p.relative_to(corpus).as_posix() for p in files}
            if done.returncode != 0 or ids != expected:
                failures.append(
                    f"round {round_}: reindex did not converge "
                    f"({len(ids)} ids, {len(expected)} files, rc {done.returncode})"
                )
            print(
                f"{round_} rounds, {tried} kills, {len(failures)} failures, "
                f"{time.monotonic() - started:.0f} s",
                flush=True,
            )
    print(f"kills tried: {tried}, failures: {len(failures)}")
    for failure in failures:
        print("  " + failure)
    sys.exit(1 if failures else 0)


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    started = time.monotonic()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    return time.monotonic() - started


if __name__ == "__main__":
    main()
