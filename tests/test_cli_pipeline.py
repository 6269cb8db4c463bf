"""Output formats, batch mode, colour rules, pipes and the full query language via the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from focal_search.cli import app
from focal_search.render.tsv import escape

from .conftest import WriteCorpus, focal_page

BORDER = "www.focal.ca/en/publications/focalpoint/433-april-2011-border.txt"
MERIDA = "www.focal.ca/en/publications/focalpoint/400-march-2009-merida.txt"
FRENCH = "www.focal.ca/fr/publications/300-mai-2006-frontiere.txt"
BORDER_URL = "http://www.focal.ca/en/publications/focalpoint/433-april-2011-border"
MERIDA_URL = "http://www.focal.ca/en/publications/focalpoint/400-march-2009-merida"


@pytest.fixture
def cli(small_archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FOCAL_SEARCH_CORPUS", str(small_archive))
    monkeypatch.setenv("FOCAL_SEARCH_INDEX", str(tmp_path / "ix"))
    assert CliRunner().invoke(app, ["reindex"]).exit_code == 0

    def run(*args: str, input: str | None = None):
        return CliRunner().invoke(app, list(args), input=input)

    return run


def json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines()]


# -- JSON Lines ----------------------------------------------------------------


def test_json_envelope_and_hit_fields(cli) -> None:
    result = cli("query", "--json", "smart border")
    assert result.exit_code == 0 and result.stderr == ""
    lines = json_lines(result.stdout)
    assert [x["type"] for x in lines] == ["begin", "hit", "summary"]
    begin, hit, summary = (x["data"] for x in lines)
    assert begin == {
        "query": "smart border",
        "parsed": begin["parsed"],
        "filters": {},
        "sort": "relevance",
        "any": False,
        "limit": 10,
        "offset": 0,
    }
    assert hit["rank"] == 1 and hit["id"] == BORDER and hit["url"] == BORDER_URL
    assert hit["title"] == "Smart borders after 2001"
    assert hit["authors"] == ["Jane Doe", "Raúl Benítez Manaut"]
    assert (hit["date"], hit["lang"], hit["location"]) == ("2011-04", "en", BORDER_URL)
    assert hit["path"].endswith(BORDER)
    for snippet in hit["snippets"]:
        marked = [snippet["text"][a:b] for a, b in snippet["highlights"]]
        assert marked and all(m.lower().startswith(("smart", "border")) for m in marked)
    assert summary["total"] == 1 and summary["shown"] == 1
    assert summary["did_you_mean"] is None and summary["any_total"] is None
    assert isinstance(summary["elapsed_ms"], float)


def test_json_summary_carries_suggestions_and_warnings(cli) -> None:
    result = cli("query", "--json", "NORDA")
    summary = json_lines(result.stdout)[-1]["data"]
    assert result.exit_code == 1
    assert (summary["did_you_mean"], summary["did_you_mean_total"]) == ("NORAD", 2)
    assert result.stderr == ""  # JSON mode: suggestions live in the summary only
    anyq = json_lines(cli("query", "--json", "NORAD earthquake Quebec").stdout)[-1]["data"]
    assert anyq["total"] == 0 and anyq["any_total"] == 4
    warned = json_lines(cli("query", "--json", "titel:NORAD").stdout)[-1]["data"]
    assert warned["warnings"] and warned["warnings"][0].startswith("titel: is not a field")


def test_json_offsets_count_code_points(cli) -> None:
    hit = json_lines(cli("query", "--json", "Mérida").stdout)[1]["data"]
    text, (a, b) = hit["snippets"][0]["text"], hit["snippets"][0]["highlights"][0]
    assert text[a:b] == "Mérida"


# -- TSV, -l, -c -----------------------------------------------------------------


def test_tsv_exact(cli) -> None:
    result = cli("query", "--tsv", "Mérida Initiative")
    header, row = result.stdout.splitlines()
    assert header == "rank\tscore\tid\tdate\ttitle\tauthors\tlocation\tsnippet"
    cells = row.split("\t")
    assert len(cells) == 8 and float(cells[1]) > 0
    assert cells[:1] + cells[2:] == [
        "1",
        MERIDA,
        "2009-03",
        "Drug cartels and the state",
        "John Smith",
        MERIDA_URL,
        "Mexico negotiated with the U.S. government the launch of the Mérida Initiative. "
        "The Summit of the Americas discussed security, and NORAD was not on the agenda.",
    ]
    assert cli("query", "--tsv", "--no-header", "Mérida Initiative").stdout == row + "\n"


@pytest.mark.parametrize(
    "raw, escaped",
    [("a\tb", "a\\tb"), ("a\nb", "a\\nb"), ("back\\slash", "back\\\\slash"), ("cr\r", "cr\\r")],
)
def test_tsv_escaping(raw: str, escaped: str) -> None:
    assert escape(raw) == escaped


def test_files_with_matches_lines_and_nul(cli) -> None:
    lines = cli("query", "-l", "NORAD").stdout.splitlines()
    haiti = next(line for line in lines if line.endswith("notes/haiti.txt"))
    assert sorted(lines) == sorted([MERIDA_URL, haiti])
    nul = CliRunner().invoke(app, ["query", "-l", "-0", "NORAD"]).stdout_bytes
    assert nul == b"".join(line.encode() + b"\0" for line in lines)


def test_files_with_matches_lists_all_by_default(cli) -> None:
    assert len(cli("query", "-l", "NORAD OR border OR Quebec").stdout.splitlines()) == 5
    assert len(cli("query", "-l", "-n", "2", "NORAD OR border OR Quebec").stdout.splitlines()) == 2


def test_count(cli) -> None:
    assert cli("query", "-c", "NORAD").stdout == "2\n"
    result = cli("query", "-c", "Disqus")
    assert (result.stdout, result.exit_code) == ("0\n", 1)


@pytest.mark.parametrize("fmt", [[], ["--json"], ["--tsv"], ["-l"], ["-c"]])
def test_exit_codes_in_every_format(cli, fmt: list[str]) -> None:
    assert cli("query", *fmt, "NORAD").exit_code == 0
    assert cli("query", *fmt, "Disqus").exit_code == 1
    bad = cli("query", *fmt, "year:abc")
    assert bad.exit_code == 2 and bad.stdout == ""
    assert "'abc' is not a valid number" in bad.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--json", "--tsv"], "--json and --tsv cannot be used together"),
        (["-l", "-c"], "-l and -c cannot be used together"),
        (["-0"], "-0/--null only goes with -l"),
        (["--no-header"], "--no-header only goes with --tsv"),
        (["--all", "--limit", "3"], "--all and --limit cannot be used together"),
    ],
)
def test_conflicting_options_are_usage_errors(cli, args: list[str], message: str) -> None:
    result = cli("query", *args, "NORAD")
    assert result.exit_code == 2 and message in " ".join(result.stderr.split())


def test_paging(cli) -> None:
    everything = [
        x["data"]["id"]
        for x in json_lines(cli("query", "--json", "--all", "NORAD OR border").stdout)[1:-1]
    ]
    assert len(everything) == 4
    page = json_lines(
        cli("query", "--json", "--limit", "2", "--offset", "1", "NORAD OR border").stdout
    )
    assert [x["data"]["id"] for x in page[1:-1]] == everything[1:3]
    assert [x["data"]["rank"] for x in page[1:-1]] == [2, 3]
    assert page[-1]["data"]["total"] == 4


# -- colour ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "env, flag, colored",
    [
        ({}, "auto", False),  # not a terminal
        ({"FORCE_COLOR": "1"}, "auto", True),
        ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, "auto", False),
        ({"TERM": "dumb"}, "auto", False),
        ({"NO_COLOR": "1"}, "always", True),
        ({"FORCE_COLOR": "1"}, "never", False),
    ],
)
def test_colour_rules(
    cli, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], flag: str, colored: bool
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = cli("query", "--color", flag, "NORAD")
    assert ("\x1b[" in result.stdout) is colored
    assert "NORAD" in result.stdout


def test_json_never_has_colour(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b" not in cli("query", "--json", "--color", "always", "NORAD").stdout


# -- batch ---------------------------------------------------------------------------


def test_batch_json_from_stdin_tags_every_line(cli) -> None:
    result = cli("query", "-", "--json", input="NORAD\n\nsmart border\nDisqus\n")
    lines = json_lines(result.stdout)
    assert result.exit_code == 0
    assert [(x["type"], x["data"]["query"]) for x in lines if x["type"] != "hit"] == [
        ("begin", "NORAD"),
        ("summary", "NORAD"),
        ("begin", "smart border"),
        ("summary", "smart border"),
        ("begin", "Disqus"),
        ("summary", "Disqus"),
    ]
    assert all("query" in x["data"] for x in lines)


def test_batch_tsv_has_query_column(cli) -> None:
    result = cli("query", "-", "--tsv", input="NORAD\nsmart border\n")
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert rows[0][0] == "query"
    assert [r[0] for r in rows[1:]] == ["NORAD", "NORAD", "smart border"]


def test_batch_human_separates_queries(cli) -> None:
    out = cli("query", "-", input="NORAD\nsmart border\nDisqus\n").stdout.splitlines()
    assert [line for line in out if line.startswith("==>")] == [
        "==> NORAD <==",
        "==> smart border <==",
        "==> Disqus <==",
    ]


def test_batch_from_file_and_error_lines(cli, tmp_path: Path) -> None:
    queries = tmp_path / "q.txt"
    queries.write_text("NORAD\nyear:abc\nQuebec\n", encoding="utf-8")
    result = cli("query", "--queries-from", str(queries), "--json")
    kinds = [
        (x["type"], x["data"]["query"]) for x in json_lines(result.stdout) if x["type"] != "hit"
    ]
    assert ("error", "year:abc") in kinds and ("summary", "Quebec") in kinds
    assert result.exit_code == 2  # an error in any query wins over hits
    assert cli("query", "--queries-from", str(tmp_path / "none.txt")).exit_code == 2


def test_batch_all_empty_exits_1(cli) -> None:
    assert cli("query", "-", "-c", input="Disqus\nzzzz\n").stdout == "Disqus\t0\nzzzz\t0\n"


# -- pipes ---------------------------------------------------------------------------


def test_closed_pipe_ends_quietly(write_corpus: WriteCorpus, tmp_path: Path) -> None:
    corpus = write_corpus(
        {
            f"p{i}.txt": focal_page(f"Border {i}", "Ann Lee", ["The border was busy. " * 40])
            for i in range(80)
        }
    )
    env = {
        **os.environ,
        "FOCAL_SEARCH_CORPUS": str(corpus),
        "FOCAL_SEARCH_INDEX": str(tmp_path / "ix"),
        "PYTHONWARNINGS": "ignore",
    }
    env.pop("FORCE_COLOR", None)
    subprocess.run(
        [sys.executable, "-m", "focal_search", "reindex"], env=env, check=True, capture_output=True
    )
    for fmt in ([], ["--json"], ["--tsv"], ["-l"]):
        pipeline = subprocess.run(
            f"{sys.executable} -m focal_search query border --all {' '.join(fmt)} | head -1; "
            "exit ${PIPESTATUS[0]}",
            shell=True,
            executable="/bin/bash",
            env=env,
            capture_output=True,
            text=True,
        )
        assert pipeline.returncode == 0, (fmt, pipeline.stderr)
        assert pipeline.stderr == ""
        assert len(pipeline.stdout.splitlines()) == 1


# -- query language ------------------------------------------------------------------


def ids(cli, *args: str) -> set[str]:
    return {
        x["data"]["id"]
        for x in json_lines(cli("query", "--json", "--all", *args).stdout)
        if x["type"] == "hit"
    }


@pytest.mark.parametrize(
    "q, expected",
    [
        ('"border security"~3', {BORDER}),
        ('"agreement canada"~5', set()),  # order matters
        ('"smart agreement"~3', {BORDER}),
        ("bordr~", {BORDER, "notes/quebec.txt"}),
        ("reconstrction~2", {"notes/haiti.txt"}),
        ("title:cartels", {MERIDA}),
        ("author:doe", {BORDER}),
        ("by:smith", {MERIDA}),
        ('author:"Raúl Benítez"', {BORDER}),
        ("lang:fr", {FRENCH}),
        ("year:2009", {MERIDA}),
        ("year:[2005 TO 2009]", {MERIDA, FRENCH}),
        ("year:>=2009", {MERIDA, BORDER}),
        ("date:>=2010-06", {BORDER}),
        ("date:<2009-03", {FRENCH}),
        ("date:2011", {BORDER}),
        ("date:[2006 TO 2009]", {MERIDA, FRENCH}),
        (f'url:"{BORDER_URL}"', {BORDER}),
        ("frontiere", {FRENCH}),
        ("Quebec", {"notes/quebec.txt", FRENCH}),
    ],
)
def test_query_language(cli, q: str, expected: set[str]) -> None:
    assert ids(cli, q) == expected


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--author", "John Smith"], {MERIDA}),
        (["--author", "Smith", "--author", "benitez"], {MERIDA, BORDER}),
        (["--since", "2010"], {BORDER}),
        (["--until", "2009"], {MERIDA, FRENCH}),
        (["--since", "2009-03", "--until", "2009-03"], {MERIDA}),
        (["--lang", "fr"], {FRENCH}),
        (["--lang", "EN", "--until", "2010"], {MERIDA}),
    ],
)
def test_filter_options(cli, args: list[str], expected: set[str]) -> None:
    assert ids(cli, "NORAD OR border OR frontiere OR Quebec", *args) == expected


def test_bad_filter_date_is_error(cli) -> None:
    result = cli("query", "NORAD", "--since", "last year")
    assert result.exit_code == 2 and "is not a date" in result.stderr


def test_sort_by_date_both_ways_with_undated_last(cli) -> None:
    def order(sort: str) -> list[str]:
        return [
            x["data"]["id"]
            for x in json_lines(
                cli(
                    "query", "--json", "--all", "--sort", sort, "NORAD OR border OR frontiere"
                ).stdout
            )
            if x["type"] == "hit"
        ]

    oldest = order("date")
    newest = order("-date")
    assert oldest[:3] == [FRENCH, MERIDA, BORDER]
    assert newest[:3] == [BORDER, MERIDA, FRENCH]
    assert set(oldest[3:]) == set(newest[3:]) == {"notes/haiti.txt", "notes/quebec.txt"}


def test_any_mode_and_suggestion(cli) -> None:
    strict = cli("query", "NORAD earthquake Quebec")
    assert strict.exit_code == 1
    assert (
        "no article has all of these words; 4 have some of them: "
        "focal-search query --any 'NORAD earthquake Quebec'"
    ) in strict.stderr
    assert len(ids(cli, "--any", "NORAD earthquake Quebec")) == 4


def test_did_you_mean_on_stderr(cli) -> None:
    result = cli("query", "smrat bordr")
    assert result.exit_code == 1
    assert (
        "did you mean 'smart border'? (1 article: focal-search query 'smart border')"
        in result.stderr
    )


def test_known_words_get_no_suggestion(cli) -> None:
    assert "did you mean" not in cli("query", "NORAD earthquake Quebec").stderr


# -- show and stats ------------------------------------------------------------------


@pytest.mark.parametrize("ref", [MERIDA, MERIDA_URL])
def test_show_by_id_or_url(cli, ref: str) -> None:
    result = cli("show", ref)
    lines = result.stdout.splitlines()
    assert result.exit_code == 0
    assert lines[:3] == [
        "Drug cartels and the state",
        "John Smith · 2009-03 (from path) · en",
        MERIDA_URL,
    ]
    assert (
        "Mexico negotiated with the U.S. government the launch of the Mérida Initiative." in lines
    )
    assert lines[-2:] == ["About the author", "John Smith is an analyst in Ottawa."]


def test_show_by_path_and_json(cli, small_archive: Path) -> None:
    result = cli("show", "--json", str(small_archive / "notes" / "haiti.txt"))
    (line,) = json_lines(result.stdout)
    assert line["type"] == "article"
    assert line["data"]["id"] == "notes/haiti.txt"
    assert line["data"]["body"].startswith("After the earthquake")


def test_show_unknown_exits_1(cli) -> None:
    result = cli("show", "nope.txt")
    assert result.exit_code == 1 and "no article 'nope.txt'" in result.stderr


def test_stats(cli) -> None:
    data = json_lines(cli("stats", "--json").stdout)[0]["data"]
    assert data["articles"] == 5 and data["authors"] == 6
    assert data["by_year"] == {"2006": 1, "2009": 1, "2011": 1, "undated": 2}
    assert data["by_lang"] == {"en": 4, "fr": 1}
    assert data["last_reindex"] and data["size_bytes"] > 0
    human = cli("stats").stdout.splitlines()
    assert human[:3] == ["Articles      5", "Authors       6", "Languages     en 4, fr 1"]
