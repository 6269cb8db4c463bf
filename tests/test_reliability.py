"""Trying hard to break it: hostile files, kills, interrupts, full disks, concurrent
writers and readers, fuzzed queries, and archive text aimed at the terminal."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from focal_search.cli import app
from focal_search.errors import IndexMissing, IndexWriteError, QuerySyntaxError
from focal_search.index import open_index, sync_index
from focal_search.search import Searcher

from .conftest import WriteCorpus, focal_page
from .hostile import GOOD, write_hostile_corpus

PYTHON = [sys.executable, "-m", "focal_search"]


def corpus_of(write_corpus: WriteCorpus, n: int) -> Path:
    words = ["border", "trade", "NORAD", "migration", "Haiti", "security", "energy"]
    rng = random.Random(n)
    return write_corpus(
        {
            f"www.focal.ca/en/{i}-april-{1995 + i % 17}-p.txt": focal_page(
                f"Article {i} on {rng.choice(words)}",
                "Ann Lee",
                [" ".join(rng.choice(words) for _ in range(300)) + "."] * 3,
            )
            for i in range(n)
        }
    )


def indexed_ids(index: Path) -> set[str]:
    with open_index(index) as ix, ix.whoosh.searcher() as s:
        return {f["id"] for f in s.all_stored_fields()}


def corpus_ids(corpus: Path) -> set[str]:
    return {p.relative_to(corpus).as_posix() for p in corpus.rglob("*.txt")}


# -- hostile corpus --------------------------------------------------------------------


def test_hostile_corpus_reindex_finishes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = tmp_path / "corpus"
    must_skip = write_hostile_corpus(corpus)
    (corpus / "vanishing.txt").write_text(focal_page("Gone", "A B", ["Soon gone."]))

    from focal_search import extract

    real_load = extract.load_source

    def load(file, log):  # the file disappears between listing and reading
        if file.path.name == "vanishing.txt":
            file.path.unlink()
        return real_load(file, log)

    monkeypatch.setattr(extract, "load_source", load)
    skipped: dict[str, str] = {}
    warnings: dict[str, str] = {}
    report = sync_index(
        corpus,
        tmp_path / "ix",
        on_skip=lambda p, r: skipped.__setitem__(Path(p).name, r),
        on_warning=lambda p, w: warnings.__setitem__(Path(p).name, w),
    )
    for name, reason in must_skip.items():
        if reason:
            assert reason in skipped.get(name, ""), (name, skipped.get(name))
    for name in (
        "random.txt",
        "zero.txt",
        "nul.txt",
        "big.txt",
        "gzip-bomb.warc.gz",
        "dangling.txt",
    ):
        assert name in skipped, name
    assert skipped["vanishing.txt"] == "vanished before it could be read"
    assert "truncated" in warnings["truncated.warc.gz"]
    assert "decompression bomb" in warnings["bomb.wacz"]
    ids = indexed_ids(tmp_path / "ix")
    assert set(GOOD) <= ids
    assert any(i.startswith("truncated.warc.gz#") for i in ids)  # the page before the cut
    assert any("odd" in i for i in ids)  # a name with a newline and a non-UTF-8 byte
    assert report.articles == len(ids)
    with open_index(tmp_path / "ix") as ix, Searcher(ix) as s:
        assert s.search("NORAD").total >= 2


def test_hostile_names_print_safely(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write_hostile_corpus(corpus, big_mb=1)
    result = CliRunner().invoke(
        app, ["reindex", "--corpus", str(corpus), "--index", str(tmp_path / "ix")]
    )
    assert result.exit_code == 0
    for line in result.stderr.splitlines():
        assert line.startswith("focal-search: ")  # one line per file, newlines escaped


# -- kills, interrupts, full disks --------------------------------------------------------


def test_killed_reindex_never_corrupts(
    write_corpus: WriteCorpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kill reindex at random moments. What is asserted is what a kill must never
    break (the index opens and answers, the next reindex converges), not how many
    kills landed: on a loaded machine a run may finish before its kill comes."""
    corpus = corpus_of(write_corpus, 300)
    index = tmp_path / "ix"
    env = {**os.environ, "FOCAL_SEARCH_CORPUS": str(corpus), "FOCAL_SEARCH_INDEX": str(index)}
    rng = random.Random(2026)
    files = sorted(corpus.rglob("*.txt"))
    started = time.monotonic()  # how long one uninterrupted full build takes here
    probe = [*PYTHON, "reindex", "--full", "--index", str(tmp_path / "probe")]
    subprocess.run(probe, env=env, check=True, capture_output=True)
    span = time.monotonic() - started
    for attempt in range(30):
        if attempt % 3 == 2:  # change the corpus so that updates have work to do
            for path in rng.sample(files, 10):
                text = focal_page(f"Changed {attempt}", "Bo Ray", [f"NORAD {attempt}."] * 20)
                path.write_text(text)
        cmd = [*PYTHON, "reindex"] + (["--full"] if attempt % 2 else [])
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.02, 0.9) * span)
        proc.kill()  # a no-op when it has already finished
        assert proc.wait() in (0, -signal.SIGKILL)  # killed, or finished cleanly
        try:
            with open_index(index) as ix, Searcher(ix) as s:  # opens and answers
                s.search("NORAD").total  # noqa: B018
        except IndexMissing:
            assert not (index / "CURRENT").exists()  # killed before the first commit
    done = subprocess.run([*PYTHON, "reindex"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert indexed_ids(index) == corpus_ids(corpus)
    # Killed rebuilds' folders are reclaimed once their grace period is over.
    import focal_search.index as index_module

    monkeypatch.setattr(index_module, "RETIRE_GRACE", 0.0)
    sync_index(corpus, index)
    assert len([p for p in index.iterdir() if p.name.startswith("gen-")]) == 1


def test_ctrl_c_stops_cleanly_with_130(write_corpus: WriteCorpus, tmp_path: Path) -> None:
    corpus = corpus_of(write_corpus, 1500)  # large enough for the two-process writer
    index = tmp_path / "ix"
    env = {**os.environ, "FOCAL_SEARCH_CORPUS": str(corpus), "FOCAL_SEARCH_INDEX": str(index)}
    started = time.monotonic()
    subprocess.run([*PYTHON, "reindex"], env=env, check=True, capture_output=True)
    span = time.monotonic() - started
    before = indexed_ids(index)
    proc = subprocess.Popen(
        [*PYTHON, "reindex", "--full"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(span / 2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.strip().splitlines()[-1] == "focal-search: interrupted"
    assert "Traceback" not in err
    assert indexed_ids(index) == before
    assert len([p for p in index.iterdir() if p.name.startswith("gen-")]) == 1  # cleaned up


def test_ctrl_c_during_an_update_keeps_the_last_commit(
    write_corpus: WriteCorpus, tmp_path: Path
) -> None:
    corpus = corpus_of(write_corpus, 1500)
    index = tmp_path / "ix"
    env = {**os.environ, "FOCAL_SEARCH_CORPUS": str(corpus), "FOCAL_SEARCH_INDEX": str(index)}
    subprocess.run([*PYTHON, "reindex"], env=env, check=True, capture_output=True)
    before = indexed_ids(index)
    generation = index / (index / "CURRENT").read_text().strip()
    segments = sorted(p.name for p in generation.glob("*.seg"))
    for path in corpus.rglob("*.txt"):  # every file changed: the update uses the workers
        path.write_text(path.read_text().replace("Ann Lee", "Ann Leigh"))
    started = time.monotonic()
    probe = [*PYTHON, "reindex", "--index", str(tmp_path / "probe")]
    subprocess.run(probe, env=env, check=True, capture_output=True)
    span = time.monotonic() - started
    proc = subprocess.Popen(
        [*PYTHON, "reindex"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    time.sleep(span / 2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    if proc.returncode == 0:
        pytest.skip("the update finished before the interrupt came (loaded machine)")
    assert proc.returncode == 130 and "Traceback" not in err
    assert indexed_ids(index) == before
    # Nothing of the abandoned update is left: no new segment, no temporary folder.
    assert sorted(p.name for p in generation.glob("*.seg")) == segments
    assert not [p for p in generation.iterdir() if p.name.endswith(".tmp")]
    report = sync_index(corpus, index)
    assert report.updated == len(before) and indexed_ids(index) == before


def test_disk_full_keeps_previous_index(
    write_corpus: WriteCorpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = corpus_of(write_corpus, 30)
    index = tmp_path / "ix"
    sync_index(corpus, index)
    before = indexed_ids(index)
    from whoosh.filedb import structfile

    real_write = structfile.StructFile.write
    calls = {"n": 0}

    def failing_write(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 50:
            raise OSError(28, "No space left on device")
        return real_write(self, *args, **kwargs)

    monkeypatch.setattr(structfile.StructFile, "write", failing_write)
    with pytest.raises(IndexWriteError, match="No space left on device"):
        sync_index(corpus, index, full=True)
    result = CliRunner().invoke(
        app, ["reindex", "--full", "--corpus", str(corpus), "--index", str(index)]
    )
    assert result.exit_code == 2
    assert "could not write the index" in result.stderr
    assert "Traceback" not in result.output
    monkeypatch.undo()
    assert indexed_ids(index) == before


def test_format_version_mismatch_asks_for_full_reindex(
    write_corpus: WriteCorpus, tmp_path: Path
) -> None:
    corpus = corpus_of(write_corpus, 5)
    index = tmp_path / "ix"
    sync_index(corpus, index)
    meta = index / (index / "CURRENT").read_text().strip() / "focal-search.json"
    meta.write_text(json.dumps({"schema_version": 999}))
    result = CliRunner().invoke(app, ["query", "NORAD", "--index", str(index)])
    assert result.exit_code == 2
    assert "run `focal-search reindex --full`" in result.stderr


# -- concurrency -----------------------------------------------------------------------


def test_queries_succeed_while_reindexing(write_corpus: WriteCorpus, tmp_path: Path) -> None:
    corpus = corpus_of(write_corpus, 300)
    index = tmp_path / "ix"
    env = {**os.environ, "FOCAL_SEARCH_CORPUS": str(corpus), "FOCAL_SEARCH_INDEX": str(index)}
    subprocess.run([*PYTHON, "reindex"], env=env, check=True, capture_output=True)
    expected = len(corpus_ids(corpus))
    proc = subprocess.Popen(
        [*PYTHON, "reindex", "--full"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    answered = 0
    while proc.poll() is None:
        with open_index(index) as ix, Searcher(ix) as s:
            assert ix.doc_count() == expected
            assert s.search("border OR NORAD OR trade", limit=1).total > 0
        answered += 1
    assert proc.returncode == 0 and answered > 0


def test_second_reindex_waits_then_gives_up(write_corpus: WriteCorpus, tmp_path: Path) -> None:
    corpus = corpus_of(write_corpus, 400)
    index = tmp_path / "ix"
    env = {**os.environ, "FOCAL_SEARCH_CORPUS": str(corpus), "FOCAL_SEARCH_INDEX": str(index)}
    first = subprocess.Popen(
        [*PYTHON, "reindex", "--full"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while not (index / "LOCK").exists() or not (index / "LOCK").read_text():
        time.sleep(0.05)
    second = subprocess.run(
        [*PYTHON, "reindex", "--wait", "0.3"], env=env, capture_output=True, text=True
    )
    first.wait()
    assert second.returncode == 2
    assert f"being updated by another process (pid {first.pid})" in second.stderr
    assert first.returncode == 0
    assert indexed_ids(index) == corpus_ids(corpus)


def test_stale_lock_file_is_harmless(write_corpus: WriteCorpus, tmp_path: Path) -> None:
    corpus = corpus_of(write_corpus, 5)
    index = tmp_path / "ix"
    index.mkdir()
    (index / "LOCK").write_text("999999")  # left by a process that died
    assert sync_index(corpus, index, lock_wait=0).articles == 5


# -- hostile queries ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_searcher(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("fuzz")
    corpus = root / "corpus"
    corpus.mkdir()
    for i, text in enumerate(
        ["NORAD border security", "Haïti élection migración", "trade agreement Canada Mexico"]
    ):
        (corpus / f"d{i}.txt").write_text(focal_page(f"Doc {i}", "Ann Lee", [text] * 5))
    sync_index(corpus, root / "ix")
    with open_index(root / "ix") as ix, Searcher(ix) as searcher:
        yield searcher


SYNTAX = st.sampled_from(
    [
        '"',
        "(",
        ")",
        "*",
        "?",
        "~",
        "~2",
        "^",
        ":",
        "-",
        "+",
        "[",
        "]",
        " TO ",
        " AND ",
        " OR ",
        " NOT ",
        "title:",
        "year:",
        "date:",
        "lang:",
        "nofield:",
        "{",
        "}",
        "<",
        ">=",
        "\\",
        "'",
        "/",
        "1999-13",
        "2009-05",
    ]
)
WORDS = st.sampled_from(["NORAD", "border", "haiti", "Haïti", "migr", "x", "é", "the", "de"])
QUERY = st.lists(st.one_of(SYNTAX, WORDS, st.text(max_size=6)), max_size=12).map("".join)


@settings(
    max_examples=400, deadline=3000, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(QUERY)
def test_fuzzed_queries_answer_or_fail_cleanly(fuzz_searcher: Searcher, q: str) -> None:
    try:
        results = fuzz_searcher.search(q, limit=5)
        for hit in results.hits:
            for snippet in hit.snippets:
                for start, end in snippet.highlights:
                    assert 0 <= start < end <= len(snippet.text)
    except QuerySyntaxError as err:
        assert err.message and "\n" not in err.message


@pytest.mark.parametrize(
    "q",
    [
        "a*" * 2000,
        "x~2 " * 2000,
        "(" * 5000,
        '"' * 9999,
        "year:[0 TO 99999999999]",
        "date:[2009-99 TO x]",
    ],
)
def test_huge_or_odd_queries_are_bounded(fuzz_searcher: Searcher, q: str) -> None:
    started = time.monotonic()
    try:
        list(fuzz_searcher.search(q).hits)
    except QuerySyntaxError:
        pass
    assert time.monotonic() - started < 10


# -- archive text aimed at the terminal -------------------------------------------------

EVIL_TITLE = "[bold red]Title[/bold red] \x1b[31mred\x1b[0m"
EVIL_BODY = (
    "NORAD \x1b]8;;http://evil.example\x07click\x1b]8;;\x07 [link=http://x]x[/link] "
    "carriage\rreturn \x1b[2J clear \x9b31m c1 \u202ereversed"
)


@pytest.mark.parametrize(
    "args",
    [
        ["query", "NORAD"],
        ["query", "--json", "NORAD"],
        ["query", "--tsv", "NORAD"],
        ["query", "-l", "NORAD"],
        ["show", "evil.txt"],
        ["show", "--json", "evil.txt"],
        ["similar", "evil.txt"],
        ["trend", "NORAD"],
        ["query", "--color", "always", "NORAD"],
    ],
)
def test_archive_text_is_inert_in_every_format(
    write_corpus: WriteCorpus, tmp_path: Path, args: list[str]
) -> None:
    corpus = write_corpus(
        {
            "evil.txt": focal_page(EVIL_TITLE, "Eve Mallory", [EVIL_BODY]),
            "other.txt": focal_page("Other NORAD", "Ann Lee", ["NORAD and more NORAD."]),
        }
    )
    result = CliRunner().invoke(
        app, [*args, "--corpus", str(corpus), "--index", str(tmp_path / "ix")]
    )
    out = result.stdout
    for bad in ("\x07", "\r", "\x9b", "\u202e", "]8;;", "[2J", "[31m"):
        assert bad not in out, (bad, out)
    if "--json" not in args:
        assert "\x1b]" not in out
    if args[0] == "query" and "--json" not in args and "-l" not in args:
        assert "[bold red]Title[/bold red]" in out  # shown literally, never as markup
