"""Hostile queries, hostile output and first-use errors (issue 11, round two): every
path ends with exit 0, 1 or 2 and one line per problem, within loose time bounds."""

from __future__ import annotations

import csv
import errno
import json
import os
import random
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from focal_search import query as query_module
from focal_search.cli import app
from focal_search.errors import CorpusMismatch, QuerySyntaxError
from focal_search.explore import _span
from focal_search.index import open_index, sync_index
from focal_search.render.export import csv_cell
from focal_search.render.safe import inert_data
from focal_search.search import Searcher

from .conftest import WriteCorpus, focal_page

PYTHON = [sys.executable, "-m", "focal_search"]
CONTROL = [bytes([c]) for c in [*range(0, 9), *range(11, 32), 127]]


def strict_json(line: str) -> Any:
    """json.loads that refuses Infinity and NaN, as strict parsers (jq, JavaScript) do."""

    def refuse(name: str) -> None:
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(line, parse_constant=refuse)


# -- a few-hundred-page generated index ----------------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """240 pages over a 3,000-word made-up vocabulary (every field has far more than
    1,000 distinct words), built once for the module."""
    root = tmp_path_factory.mktemp("generated")
    rng = random.Random(11)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = sorted({"".join(rng.choices(letters, k=rng.randint(4, 9))) for _ in range(3000)})
    corpus = root / "corpus"
    corpus.mkdir()
    for i in range(240):
        words = " ".join(rng.choice(vocab) for _ in range(120))
        (corpus / f"{i}-april-{1995 + i % 12}-page.txt").write_text(
            focal_page(f"Page {i} {rng.choice(vocab)}", "Ann Lee", [f"NORAD {words}."])
        )
    sync_index(corpus, root / "ix")
    yield corpus, root / "ix"


def run_cli(args: list[str], *, index: Path, stdin: str | None = None) -> tuple[Any, float]:
    """The CLI in a child process (time bounds are only asserted there)."""
    started = time.monotonic()
    done = subprocess.run(
        [*PYTHON, args[0], "--index", str(index), *args[1:]],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done, time.monotonic() - started


FUZZY_300 = " ".join(f"w{i}ordx~2" for i in range(300))
PHRASE_200 = '"' + " ".join(f"word{i}" for i in range(200)) + '"'


@pytest.mark.parametrize(
    ("q", "says"),
    [
        ("[a TO z]", "stands for more than 1,000 different words in"),
        ("body:[a TO z]", "stands for more than 1,000 different words in body"),
        ("x:>5", "stands for more than 1,000 different words"),
        (FUZZY_300, "the query has 300 fuzzy terms"),
        (PHRASE_200, "a phrase of 200 words is too long"),
        ("(" * 400 + "NORAD" + ")" * 400, "nests parentheses too deeply (400 levels"),
    ],
)
def test_costly_queries_are_refused_quickly(
    generated: tuple[Path, Path], q: str, says: str
) -> None:
    _, index = generated
    done, seconds = run_cli(["query", "--", q], index=index)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 2 and says in lines[0] and lines[1].startswith("focal-search: hint:")
    assert "internal error" not in done.stderr and done.stdout == ""
    assert seconds < 10, seconds  # loose: a few hundred ms here; 13-95 s before


NARROW = ["[aa TO ab]", "NORAD~1", '"page 7"', "((NORAD))", "date:>=1900"]


def test_narrow_versions_still_run(generated: tuple[Path, Path]) -> None:
    done, seconds = run_cli(["query", "-", "-c"], index=generated[1], stdin="\n".join(NARROW))
    assert done.returncode == 0, done.stderr
    counts = [line.split("\t") for line in done.stdout.splitlines()]
    assert [q for q, _ in counts] == NARROW and all(int(n) > 0 for _, n in counts)
    assert seconds < 10


def test_a_deep_query_fails_alone_in_a_batch(generated: tuple[Path, Path]) -> None:
    deep = "(" * 300 + "NORAD" + ")" * 300
    done, _ = run_cli(["query", "-", "--json"], index=generated[1], stdin=f"{deep}\nNORAD\n")
    assert done.returncode == 2
    records = [strict_json(line) for line in done.stdout.splitlines()]
    assert records[0]["type"] == "error" and "too deeply" in records[0]["data"]["message"]
    assert records[0]["data"]["hint"]
    assert [r["type"] for r in records[1:]][:2] == ["begin", "hit"]  # the next one ran
    assert records[-1]["type"] == "summary" and records[-1]["data"]["total"] == 240


def test_did_you_mean_looks_up_few_words(
    generated: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each unknown word costs a search of the word list (≈50 ms): 900 made-up words
    took 47 s. Past MAX_UNKNOWN_WORDS there is no suggestion, and no more lookups."""
    from focal_search import spelling

    calls = []
    real = spelling._closest
    monkeypatch.setattr(spelling, "_closest", lambda *a, **k: calls.append(1) or real(*a, **k))
    made_up = " ".join(
        "zq" + "".join(random.Random(i).choices("aeioubdk", k=6)) for i in range(600)
    )
    with open_index(generated[1]) as ix, Searcher(ix) as searcher:
        found = searcher.search(made_up)
        assert found.total == 0 and found.did_you_mean is None
        assert len(calls) == spelling.MAX_UNKNOWN_WORDS
        calls.clear()
        assert searcher.search("NORAD zqaeiou").total == 0
        assert len(calls) == 1


def test_expanded_terms_score_as_whoosh_would(
    generated: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Looking up a pattern's words once (to count them) changes no score."""
    with open_index(generated[1]) as ix, Searcher(ix) as searcher:
        queries = ["ab*", "[ba TO bc]", "NORAD~1", "abc~2 OR NORAD"]
        ours = [[(h.id, h.score) for h in searcher.search(q, limit=20).hits] for q in queries]
        monkeypatch.setattr(query_module, "_expand", lambda q, reader: q)
        whoosh = [[(h.id, h.score) for h in searcher.search(q, limit=20).hits] for q in queries]
    assert ours == whoosh and all(ours)


def test_expansion_limit_is_per_part(
    generated: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(query_module, "MAX_EXPANDED_TERMS", 2)
    with open_index(generated[1]) as ix, Searcher(ix) as searcher:
        with pytest.raises(QuerySyntaxError, match="pattern 'ab\\*' stands for more than 2") as err:
            searcher.search("ab*")
        assert err.value.hint and "more letters before" in err.value.hint
        assert searcher.search("NORAD~1 OR abcdefgh*").total == 240  # 1 word each: fine


def test_huge_boosts_give_strict_json(generated: tuple[Path, Path]) -> None:
    boosts = ["NORAD^" + "9" * 400, "NORAD^" + "9" * 300 + " NORAD^" + "9" * 300, "NORAD^1e308"]
    done, _ = run_cli(["query", "-", "--json"], index=generated[1], stdin="\n".join(boosts))
    assert done.returncode in (0, 1), done.stderr
    records = [strict_json(line) for line in done.stdout.splitlines()]
    scores = [r["data"]["score"] for r in records if r["type"] == "hit"]
    assert scores and all(0 < s < 1e12 for s in scores)


def test_non_finite_numbers_never_reach_json() -> None:
    data = inert_data({"score": float("inf"), "x": [float("nan"), 1.5], "t": "a\x1bb\nc"})
    assert data == {"score": None, "x": [None, 1.5], "t": "a b\nc"}


# -- archive strings in every output ---------------------------------------------------------

EVIL_URL = "http://a.org/\x1b]52;c;aGVsbG8=\x07page"
EVIL_NAME = b"caf\xe9 \x1b[31mred\x07.txt"  # not UTF-8, and a terminal escape


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("hostile")
    corpus = root / "corpus"
    corpus.mkdir()
    records = [
        {"id": "f1", "title": '=HYPERLINK("http://x","y")', "authors": ["@evil"], "url": EVIL_URL,
         "text": "NORAD formula record, with enough words to be an article. " * 5,
         "date": "2001"},
        {"id": "f2", "title": "-5 degrees at NORAD", "authors": ["+Plus"],
         "text": "NORAD cold record, with enough words to be an article. " * 5, "date": "2003"},
        {"id": "f3", "title": "\tTabbed title", "authors": ["Ann Lee"],
         "text": "NORAD tab record, with enough words to be an article. " * 5, "date": "9999"},
    ]  # fmt: skip
    (corpus / "records.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    name = os.fsdecode(bytes(corpus) + b"/" + EVIL_NAME)
    Path(name).write_text(focal_page("A cafe page", "Bo Ray", ["NORAD at the cafe, once."]))
    sync_index(corpus, root / "ix")
    return corpus, root / "ix"


def invoke(args: list[str], index: Path, **kwargs: Any) -> Any:
    return CliRunner().invoke(app, [*args, "--index", str(index)], **kwargs)


@pytest.mark.parametrize(
    "args",
    [
        ["query", "NORAD", "-l"],
        ["query", "NORAD", "-l", "-0"],
        ["query", "NORAD", "--json"],
        ["query", "NORAD", "--tsv"],
        ["query", "NORAD"],
        ["show", "f1", "--json"],
        ["similar", "f2", "--json"],
    ],
)
def test_no_control_bytes_in_any_output(hostile_index: tuple[Path, Path], args: list[str]) -> None:
    result = invoke(args, hostile_index[1])
    assert result.exit_code in (0, 1), result.output
    out = result.stdout_bytes.replace(b"\n", b"")
    if "-0" in args:
        out = out.replace(b"\0", b"")
    assert not [c for c in CONTROL if c in out], out
    assert b"\xc2\x9b" not in out  # C1 CSI, UTF-8 encoded
    out.decode("utf-8")  # valid UTF-8: the name's undecodable byte is not passed through
    if "-l" in args:
        assert b"\xe9" not in out and b"caf? " in out  # stored, and printed, as "?"


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_exports_are_clean_and_safe_for_spreadsheets(
    hostile_index: tuple[Path, Path], tmp_path: Path, suffix: str
) -> None:
    dest = tmp_path / f"out{suffix}"
    fields = "rank,score,id,title,authors,url,path,location"
    result = invoke(["query", "NORAD", "--export", str(dest), "--fields", fields], hostile_index[1])
    assert result.exit_code == 0, result.output
    data = dest.read_bytes()
    assert not [c for c in CONTROL if c in data.replace(b"\n", b"").replace(b"\r", b"")]
    if suffix == ".jsonl":
        rows = [strict_json(line) for line in data.decode().splitlines()]
        assert {r["title"] for r in rows} >= {'=HYPERLINK("http://x","y")', "-5 degrees at NORAD"}
        return
    rows = list(csv.DictReader(data.decode().splitlines()))
    by_id = {r["id"].split("#")[-1]: r for r in rows}
    assert by_id["f1"]["title"] == '\'=HYPERLINK("http://x","y")'
    assert by_id["f1"]["authors"] == "'@evil"
    assert by_id["f2"]["title"] == "'-5 degrees at NORAD" and by_id["f2"]["authors"] == "'+Plus"
    assert by_id["f3"]["title"] == "Tabbed title"  # (stripped when read) left alone
    assert by_id["f1"]["url"] == "http://a.org/ ]52;c;aGVsbG8= page"
    assert all(r["rank"].isdigit() for r in rows)  # numbers are left alone


def test_csv_cells() -> None:
    assert [csv_cell(v) for v in ["=1+1", "@x", "+x", "-x", "\rx", "ok", " =x", 3, None]] == [
        "'=1+1", "'@x", "'+x", "'-x", "' x", "ok", "' =x", 3, "",
    ]  # fmt: skip
    assert csv_cell(["=a", "b"]) == "'=a; b"
    assert csv_cell(float("inf")) == ""


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=12))
def test_any_text_makes_a_safe_cell_and_json_string(text: str) -> None:
    cell = csv_cell(text)
    assert not any(ch in cell for ch in "\x00\x07\x1b\r\t\n\x9b\u202e")
    if cell.lstrip().startswith(("=", "+", "-", "@")):
        assert cell.startswith("'")
    cleaned = inert_data(text)
    assert len(cleaned) == len(text)  # offsets into the text stay valid
    assert not any(ch in cleaned for ch in "\x00\x07\x1b\r\x9b\u202e")


def test_exports_and_generations_honour_the_umask(
    write_corpus: WriteCorpus, tmp_path: Path
) -> None:
    corpus = write_corpus({"a.txt": focal_page("NORAD page", "Ann Lee", ["NORAD here."])})
    old = os.umask(0o022)
    try:
        result = invoke(["query", "NORAD", "--corpus", str(corpus), "--export",
                         str(tmp_path / "x.csv")], tmp_path / "ix")  # fmt: skip
        assert result.exit_code == 0, result.output
        generation = next((tmp_path / "ix").glob("gen-*"))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "x.csv").stat().st_mode) == 0o644
    assert stat.S_IMODE(generation.stat().st_mode) == 0o755
    assert all(p.stat().st_mode & 0o044 == 0o044 for p in generation.iterdir())  # readable


# -- errors a user can run into ----------------------------------------------------------------


@pytest.fixture
def small(write_corpus: WriteCorpus, tmp_path: Path) -> tuple[Path, Path]:
    corpus = write_corpus(
        {f"p{i}.txt": focal_page(f"NORAD page {i}", "Ann Lee", ["NORAD here."]) for i in range(3)}
    )
    sync_index(corpus, tmp_path / "ix")
    return corpus, tmp_path / "ix"


def one_error(result: Any, says: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("focal-search: error: ") and says in lines[0], lines
    assert lines[1].startswith("focal-search: hint: ")
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr


def test_unwritable_index_folder_and_lock(
    small: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Permissions are simulated: these tests may run as root, which ignores them."""
    corpus, index = small
    real_open, real_mkdir = os.open, Path.mkdir

    def read_only_lock(path: Any, flags: int, *args: Any) -> int:
        if str(path).endswith("LOCK"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args)

    def read_only_parent(self: Path, *args: Any, **kwargs: Any) -> None:
        if self.name == "new-ix":
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only_lock)
    one_error(invoke(["reindex", "--corpus", str(corpus)], index), "Permission denied (")
    monkeypatch.setattr(os, "open", real_open)
    monkeypatch.setattr(Path, "mkdir", read_only_parent)
    new = tmp_path / "new-ix"
    result = CliRunner().invoke(app, ["reindex", "--corpus", str(corpus), "--index", str(new)])
    one_error(result, f"cannot write the index at {new}: Permission denied")


def test_export_onto_a_folder_or_a_full_disk(
    small: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, index = small
    (tmp_path / "taken.csv").mkdir()
    one_error(invoke(["query", "NORAD", "--export", str(tmp_path / "taken.csv")], index), "folder")
    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, fh: Any) -> None:
            self.fh = fh

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *exc: object) -> None:
            self.fh.close()

        def write(self, data: str) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fdopen", lambda *a, **k: FullDisk(real_fdopen(*a, **k)))
    dest = tmp_path / "full.jsonl"
    one_error(invoke(["query", "NORAD", "--export", str(dest)], index), "No space left on device")
    assert list(tmp_path.glob("*full*")) == []  # no file, no temporary left behind


RUNNER = textwrap.dedent(
    """
    import os, sys
    from whoosh.filedb import structfile
    import focal_search.index as index_module

    index_module.PARALLEL, index_module.PARALLEL_MIN_FILES = True, 1
    index_module.BULK = False  # Whoosh's multi-process writer (test_bulk.py has the bulk one)
    parent, real, calls = os.getpid(), structfile.StructFile.write, [0]

    def write(self, *args, **kwargs):  # the disk fills up under the child processes only
        calls[0] += 1
        if os.getpid() != parent and calls[0] > 30:
            raise OSError(28, "No space left on device")
        return real(self, *args, **kwargs)

    structfile.StructFile.write = write
    from focal_search.cli import main
    main()
    """
)


def test_parallel_build_on_a_full_disk(write_corpus: WriteCorpus, tmp_path: Path) -> None:
    """Before: a traceback per child process, then "Rebuilt index: 0 articles", exit 0."""
    corpus = write_corpus(
        {f"p{i}.txt": focal_page(f"Page {i}", "Ann Lee", ["NORAD here."]) for i in range(150)}
    )
    script = tmp_path / "runner.py"
    script.write_text(RUNNER)
    index = tmp_path / "ix"
    done = subprocess.run(
        [sys.executable, str(script), "reindex", "--corpus", str(corpus), "--index", str(index)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        f"focal-search: error: could not write the index at {index}: No space left on device",
        "focal-search: hint: free some disk space (or fix permissions) and run reindex again; "
        "the index is as it was before this run",
    ]
    assert not (index / "CURRENT").exists()


def test_index_of_another_corpus_is_refused(
    small: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus, index = small
    other = tmp_path / "elsewhere" / "corpus"
    other.mkdir(parents=True)
    (other / "x.txt").write_text(focal_page("Other", "Bo Ray", ["Other text."]))
    monkeypatch.chdir(other.parent)  # a ./corpus is present: the default
    result = invoke(["reindex"], index)
    one_error(result, f"was built from {corpus.resolve()}, not from {other.resolve()}")
    assert "reindex --full" in result.stderr
    with pytest.raises(CorpusMismatch):
        sync_index(other, index)
    one_error(invoke(["query", "NORAD", "--corpus", str(other)], index), str(corpus.resolve()))
    monkeypatch.setenv("FOCAL_SEARCH_CORPUS", str(other))
    one_error(invoke(["show", "p1.txt"], index), "was built from")
    monkeypatch.delenv("FOCAL_SEARCH_CORPUS")
    assert invoke(["query", "NORAD", "-c"], index).stdout == "3\n"  # no corpus named: fine
    assert invoke(["query", "NORAD", "--corpus", str(corpus), "-c"], index).exit_code == 0
    rebuilt = invoke(["reindex", "--full"], index)  # the way to switch corpus
    assert rebuilt.exit_code == 0 and "1 article" in rebuilt.stdout
    assert invoke(["reindex"], index).exit_code == 0


def test_first_build_shows_progress_on_a_terminal(
    write_corpus: WriteCorpus, tmp_path: Path
) -> None:
    corpus = write_corpus({"a.txt": focal_page("NORAD page", "Ann Lee", ["NORAD here."])})
    import pty

    main, secondary = pty.openpty()
    try:
        done = subprocess.run(
            [*PYTHON, "query", "NORAD", "-c", "--corpus", str(corpus), "--index",
             str(tmp_path / "ix")],
            stdout=subprocess.PIPE, stderr=secondary, timeout=120,
            env={**os.environ, "COLUMNS": "80", "TERM": "xterm"},
        )  # fmt: skip
        os.close(secondary)
        shown = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(main)
    assert done.returncode == 0 and done.stdout == b"1\n"
    assert b"no index yet" in shown and b"Indexing" in shown and b"1/1" in shown


def test_help_keeps_bracketed_text() -> None:
    result = CliRunner().invoke(app, ["query", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    for expected in ("[env: FOCAL_SEARCH_CORPUS; default: ./corpus]", "[default: 10; all with -l]",
                     "year:[2005 TO 2009]", "[default: rank,score,id,"):  # fmt: skip
        assert expected in text, expected


@pytest.mark.parametrize("args", [["--lang", ""], ["--author", ""], ["--author", "  "]])
@pytest.mark.parametrize("command", ["query", "trend"])
def test_empty_filters_are_refused(small: tuple[Path, Path], args: list[str], command: str) -> None:
    result = invoke([command, "NORAD", *args], small[1])
    assert result.exit_code == 2
    assert f"{args[0]} needs a value" in result.output


def test_trend_span_is_bounded(hostile_index: tuple[Path, Path]) -> None:
    """One article dated 9999: a line saying what was left out, not 8,000 empty rows."""
    result = invoke(["trend", "NORAD"], hostile_index[1])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) < 15 and any("7,995 years without articles left out" in x for x in lines)
    data = [
        strict_json(x)
        for x in invoke(["trend", "NORAD", "--json"], hostile_index[1]).stdout.splitlines()
    ]
    assert data[0]["data"]["periods"] == ["2001", "2002", "2003", "9999"]
    assert data[0]["data"]["left_out"] == {"2003": 7995}


def test_span_leaves_out_long_empty_runs() -> None:
    assert _span([], "year") == ([], {})
    assert _span(["2001", "2004"], "year") == (["2001", "2002", "2003", "2004"], {})
    assert _span(["0001", "2001"], "year") == (["0001", "2001"], {"0001": 1999})
    periods, left_out = _span(["2010-11", "2011-02", "2013-01"], "month")
    assert periods == ["2010-11", "2010-12", "2011-01", "2011-02", "2013-01"]
    assert left_out == {"2011-02": 22}
