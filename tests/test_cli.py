"""The command line: output, streams and exit codes, run through Typer's CliRunner."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from focal_search.cli import app

from .conftest import WriteCorpus, focal_page


def run(*args: str | Path) -> object:
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def locations(small_archive: Path, tmp_path: Path) -> tuple[str, str, str, str]:
    return ("--corpus", str(small_archive), "--index", str(tmp_path / "ix"))


def test_query_builds_index_once_with_notice(locations) -> None:
    first = run("query", "Mérida Initiative", *locations)
    assert first.exit_code == 0, first.output
    assert first.stderr.startswith("focal-search: no index yet: building it from")
    assert len(first.stderr.splitlines()) == 1
    second = run("query", "Mérida Initiative", *locations)
    assert second.exit_code == 0 and second.stderr == ""
    assert second.stdout.split("\n")[:-2] == first.stdout.split("\n")[:-2]


def test_query_output_is_plain_blocks_when_not_a_terminal(locations) -> None:
    result = run("query", "Mérida Initiative", *locations)
    lines = result.stdout.splitlines()
    score = lines[1].rsplit(" ", 1)[1]
    assert float(score) > 0
    assert lines[:5] == [
        "1. Drug cartels and the state",
        f"    John Smith · 2009-03 · score {score}",
        "    http://www.focal.ca/en/publications/focalpoint/400-march-2009-merida",
        "    Mexico negotiated with the U.S. government the launch of the Mérida Initiative. "
        "The Summit of the Americas discussed security, and NORAD was not on the agenda.",
        "",
    ]
    assert lines[-1].startswith("Showing 1 of 1 article · ")
    assert "\x1b[" not in result.stdout


def test_footer_counts_shown_of_total(locations) -> None:
    result = run("query", "NORAD OR Quebec", "--limit", "2", *locations)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1].startswith("Showing 1–2 of 4 articles · ")
    ranks = [line for line in result.stdout.splitlines() if line[:1].isdigit()]
    assert ranks[1].startswith("2. ")


def test_nothing_found_exits_1(locations) -> None:
    result = run("query", "Disqus", *locations)
    assert result.exit_code == 1
    assert result.stdout.startswith("No articles match 'Disqus'")


def test_bad_query_exits_2_with_one_line(locations) -> None:
    run("reindex", *locations)
    result = run("query", "year:abc", *locations)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == (
        "focal-search: error: invalid query 'year:abc': 'abc' is not a valid number"
    )


def test_empty_query_exits_2(locations) -> None:
    result = run("query", "  ", *locations)
    assert result.exit_code == 2 and "the query is empty" in result.stderr


def test_missing_corpus_and_index_exits_2_with_hint(tmp_path: Path) -> None:
    result = run("query", "x", "--corpus", tmp_path / "none", "--index", tmp_path / "ix")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"focal-search: error: no index at {tmp_path / 'ix'}, and no corpus at "
        f"{tmp_path / 'none'} to build one from",
        "focal-search: hint: pass --corpus DIR (or set FOCAL_SEARCH_CORPUS) or --index DIR",
    ]
    assert "Traceback" not in result.output


def test_reindex_missing_corpus_exits_2(tmp_path: Path) -> None:
    result = run("reindex", "--corpus", tmp_path / "none", "--index", tmp_path / "ix")
    assert result.exit_code == 2
    assert "corpus folder" in result.stderr and "does not exist" in result.stderr


def test_env_vars_locate_corpus_and_index(
    small_archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOCAL_SEARCH_CORPUS", str(small_archive))
    monkeypatch.setenv("FOCAL_SEARCH_INDEX", str(tmp_path / "env-ix"))
    assert run("query", "NORAD").exit_code == 0
    assert (tmp_path / "env-ix" / "CURRENT").exists()
    # A flag still wins over the env var.
    other = run("query", "NORAD", "--index", tmp_path / "flag-ix")
    assert other.exit_code == 0 and (tmp_path / "flag-ix" / "CURRENT").exists()


def test_reindex_summary_and_skips(write_corpus: WriteCorpus, tmp_path: Path) -> None:
    corpus = write_corpus(
        {"a.txt": focal_page("Alpha", "Ann Lee", ["Alpha text."]), "bad.txt": b"\x00\x01 not text"}
    )
    loc = ("--corpus", corpus, "--index", tmp_path / "ix")
    result = run("reindex", *loc)
    assert result.exit_code == 0
    assert result.stdout.startswith(
        "Rebuilt index: 1 article · 1 added, 0 updated, 0 removed, 0 unchanged, 1 skipped · "
    )
    assert result.stderr == (
        f"focal-search: skipped {str(corpus / 'bad.txt')!r}: binary file (contains NUL bytes)\n"
    )
    (corpus / "b.txt").write_text(focal_page("Beta", "Bo Ray", ["Beta."]), encoding="utf-8")
    again = run("reindex", *loc)
    assert again.stdout.startswith(
        "Updated index: 2 articles · 1 added, 0 updated, 0 removed, 1 unchanged, 1 skipped"
    )


def test_archive_text_is_never_markup_or_escape_codes(
    write_corpus: WriteCorpus, tmp_path: Path
) -> None:
    corpus = write_corpus(
        {
            "evil.txt": focal_page(
                "[bold red]Pwned[/bold red] title",
                "Eve Mallory",
                [
                    "NORAD \x1b[2J\x1b]8;;http://evil\x07link\x1b]8;;\x07 "
                    "[link=http://x]click[/link] text."
                ],
            )
        }
    )
    result = run("query", "NORAD", "--corpus", corpus, "--index", tmp_path / "ix")
    assert result.exit_code == 0
    assert "[bold red]Pwned[/bold red] title" in result.stdout
    assert "[link=http://x]click[/link]" in result.stdout
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout


def test_help_and_version() -> None:
    assert run("--version").stdout.startswith("focal-search ")
    for command in ("query", "reindex"):
        result = run(command, "--help")
        assert result.exit_code == 0 and "Examples:" in result.stdout


def test_unknown_option_is_a_usage_error() -> None:
    assert run("query", "x", "--bogus").exit_code == 2


def test_an_index_that_cannot_be_read_is_not_called_damaged(
    locations, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Permissions are not damage: the hint is about access, not about rebuilding."""
    run("reindex", *locations)
    import whoosh.index

    def refuse(*_args: object, **_kw: object) -> None:
        raise PermissionError(13, "Permission denied", "MAIN_x.toc")

    monkeypatch.setattr(whoosh.index, "open_dir", refuse)
    result = run("query", "NORAD", *locations)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert "cannot be read: permission denied (MAIN_x.toc)" in lines[0]
    assert "reindex --full" not in result.stderr and "chmod" in result.stderr


def _query_in_new_process(locations: list[str], words: str, before: str, after: str) -> None:
    """Run ``focal-search query WORDS`` in a new Python process between two pieces of
    code (what to watch, then what to assert), exit code 0 expected."""
    import subprocess
    import sys

    assert run("reindex", *locations).exit_code == 0  # type: ignore[attr-defined]
    probe = (
        "import sys\n"
        f"{before}"
        "from focal_search.cli import main\n"
        f"sys.argv = ['focal-search', 'query', {words!r}, *sys.argv[1:]]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as end:\n"
        "    assert end.code == 0, end.code\n"
        f"{after}"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *locations], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_a_query_on_a_small_archive_does_not_import_numpy(locations) -> None:
    # numpy costs a new process more than searching a small archive takes (the array
    # path starts at search.ARRAY_MIN_DOCS articles); the posting format is read
    # without it there. Nor what searching never uses: the corpus readers (index
    # builds only) and Rich (terminals only).
    _query_in_new_process(
        locations,
        '"smart border" OR securit*',
        "",
        "assert 'numpy' not in sys.modules, 'numpy was imported'\n"
        "unused = [m for m in ('focal_search.extract', 'tempfile', 'rich') if m in sys.modules]\n"
        "assert not unused, unused\n",
    )


def test_a_process_builds_only_the_command_it_runs(locations) -> None:
    # Typer turns every command's signature into options at each start: a query
    # process builds the query command (and no other), with the same help and errors.
    _query_in_new_process(
        locations,
        "NORAD",
        "import typer.main\n"
        "built = []\n"
        "original = typer.main.get_command_from_info\n"
        "def counted(command_info, **kwargs):\n"
        "    built.append(command_info.callback.__name__)\n"
        "    return original(command_info, **kwargs)\n"
        "typer.main.get_command_from_info = counted\n",
        "assert built == ['query'], built\n",
    )


@pytest.mark.parametrize(
    "args",
    [["query", "--help"], ["query"], ["query", "--limit", "x", "q"], ["stats", "--help"]],
)
def test_the_one_command_app_answers_as_the_whole_app(args: list[str]) -> None:
    from focal_search.cli import _app_for

    lean, whole = CliRunner().invoke(_app_for(args), args), run(*args)
    assert lean.exit_code == whole.exit_code  # type: ignore[attr-defined]
    assert lean.output == whole.output  # type: ignore[attr-defined]
    assert _app_for(["--version"]) is app and _app_for(["quer"]) is app


def test_command_annotations_are_not_strings() -> None:
    # Typer evaluates string annotations (from __future__ import annotations) at every
    # start, twice per command: that was most of the time it took to build them.
    import inspect

    for info in app.registered_commands:
        for param in inspect.signature(info.callback).parameters.values():  # type: ignore[arg-type]
            assert not isinstance(param.annotation, str), (info.callback, param.name)
