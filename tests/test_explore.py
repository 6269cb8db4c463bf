"""Facets, trends over time, similar articles and export, on a corpus with known counts."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from focal_search.cli import app
from focal_search.render.trend import bar

from .conftest import WriteCorpus, focal_page

EN = "www.focal.ca/en/pub"
FR = "www.focal.ca/fr/pub"


@pytest.fixture
def cli(write_corpus: WriteCorpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # 2005: 3 articles, 2 about Haiti; 2006: 1, about Haiti and Cuba; 2007: none (a gap);
    # 2008: 2, one about Cuba; plus one undated article about Haiti.
    corpus = write_corpus(
        {
            f"{EN}/1-march-2005-a.txt": focal_page(
                "Haiti after the storm", "Ann Lee", ["Haiti rebuilt its schools and roads."]
            ),
            f"{EN}/2-june-2005-b.txt": focal_page(
                "Aid to Haiti", "Ann Lee and Bo Ray", ["Donors pledged aid to Haiti again."]
            ),
            f"{EN}/3-june-2005-c.txt": focal_page(
                "Mining in Peru", "Bo Ray", ["Copper mining grew in Peru."]
            ),
            f"{FR}/4-mai-2006-d.txt": focal_page(
                "Haïti et Cuba", "Luc Roy", ["Haïti et Cuba ont signé un accord de pêche."]
            ),
            f"{EN}/5-may-2008-e.txt": focal_page(
                "Cuba opens up", "Cy Díaz", ["Cuba allowed small private businesses."]
            ),
            f"{EN}/6-july-2008-f.txt": focal_page(
                "Chile's pensions", "Cy Díaz", ["Chile reformed its pension system."]
            ),
            "notes/undated.txt": focal_page(
                "Haiti notes", "Ann Lee", ["Notes on Haiti and its schools and roads."]
            ),
        }
    )
    monkeypatch.setenv("FOCAL_SEARCH_CORPUS", str(corpus))
    monkeypatch.setenv("FOCAL_SEARCH_INDEX", str(tmp_path / "ix"))
    monkeypatch.setenv("COLUMNS", "100")
    assert CliRunner().invoke(app, ["reindex"]).exit_code == 0

    def run(*args: str):
        return CliRunner().invoke(app, list(args))

    return run


def lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines()]


# -- facets ----------------------------------------------------------------------------


def test_facets_in_json_summary(cli) -> None:
    result = cli("query", "--json", "Haiti", "--facets", "year,author,lang")
    facets = lines(result.stdout)[-1]["data"]["facets"]
    assert facets["year"] == {
        "counts": [{"value": "2005", "count": 2}, {"value": "2006", "count": 1}],
        "other": 0,
        "missing": 1,
    }
    assert facets["author"]["counts"] == [
        {"value": "Ann Lee", "count": 3},
        {"value": "Bo Ray", "count": 1},
        {"value": "Luc Roy", "count": 1},
    ]
    assert facets["lang"]["counts"] == [{"value": "en", "count": 3}, {"value": "fr", "count": 1}]


def test_facets_count_every_match_not_just_the_page(cli) -> None:
    facets = lines(cli("query", "--json", "-n", "1", "Haiti", "--facets", "lang").stdout)
    assert sum(c["count"] for c in facets[-1]["data"]["facets"]["lang"]["counts"]) == 4


def test_facet_limit_and_other(cli) -> None:
    facets = lines(
        cli(
            "query",
            "--json",
            "Haiti OR Cuba OR Chile OR Peru",
            "--facets",
            "author",
            "--facet-limit",
            "1",
        ).stdout
    )[-1]["data"]["facets"]
    assert facets["author"] == {
        "counts": [{"value": "Ann Lee", "count": 3}],
        "other": 5,
        "missing": 0,
    }


def test_facets_human_table(cli) -> None:
    out = cli("query", "Haiti", "--facets", "year").stdout.splitlines()
    start = out.index("By year")
    assert out[start : start + 4] == [
        "By year",
        "  2005         2",
        "  2006         1",
        "  (none)       1",
    ]


def test_unknown_facet_is_usage_error(cli) -> None:
    result = cli("query", "Haiti", "--facets", "colour")
    assert result.exit_code == 2 and "unknown facet 'colour'" in result.stderr


# -- trend -----------------------------------------------------------------------------


def test_trend_json_points_with_gaps_and_zeros(cli) -> None:
    result = cli("trend", "--json", "Haiti", "Cuba")
    out = lines(result.stdout)
    assert result.exit_code == 0
    assert out[0]["data"] == {
        "by": "year",
        "periods": ["2005", "2006", "2007", "2008"],
        "totals": {"2005": 3, "2006": 1, "2008": 2},
        "undated": 1,
        "left_out": {},
    }
    points = {
        (p["data"]["query"], p["data"]["period"]): p["data"] for p in out if p["type"] == "point"
    }
    assert points[("Haiti", "2005")] == {
        "query": "Haiti",
        "period": "2005",
        "count": 2,
        "total": 3,
        "share": round(2 / 3, 6),
    }
    assert points[("Haiti", "2007")]["count"] is None  # no articles that year: a gap
    assert points[("Haiti", "2008")]["count"] == 0  # articles, none about Haiti: a zero
    assert points[("Cuba", "2008")]["share"] == 0.5
    assert out[-1] == {"type": "summary", "data": {"matches": {"Haiti": 3, "Cuba": 2}}}


def test_trend_tsv(cli) -> None:
    assert cli("trend", "--tsv", "Cuba").stdout.splitlines() == [
        "query\tperiod\tcount\ttotal\tshare",
        "Cuba\t2005\t0\t3\t0.000000",
        "Cuba\t2006\t1\t1\t1.000000",
        "Cuba\t2007\t\t0\t",
        "Cuba\t2008\t1\t2\t0.500000",
    ]


def test_trend_chart_plain_text(cli) -> None:
    out = cli("trend", "Cuba").stdout.splitlines()
    assert out == [
        "Cuba — 2 articles; bars: share of each year's articles",
        "2005  " + " " * 32 + "      0    0.0%",
        "2006  " + "█" * 32 + "      1  100.0%",
        "2007  ·  no articles",
        "2008  " + "█" * 16 + " " * 16 + "      1   50.0%",
        "",
        "(1 articles without a year are not counted)",
    ]


def test_trend_by_month(cli) -> None:
    out = lines(
        cli(
            "trend", "--json", "--by", "month", "Haiti", "--since", "2005", "--until", "2005"
        ).stdout
    )
    assert out[0]["data"]["periods"] == ["2005-03", "2005-04", "2005-05", "2005-06"]
    assert out[0]["data"]["totals"] == {"2005-03": 1, "2005-06": 2}


def test_trend_nothing_found_exits_1(cli) -> None:
    assert cli("trend", "Antarctica").exit_code == 1


@pytest.mark.parametrize(
    "fraction, expected",
    [(0, " " * 32), (1, "█" * 32), (0.5, "█" * 16 + " " * 16), (1 / 64, "▌" + " " * 31)],
)
def test_bar(fraction: float, expected: str) -> None:
    assert bar(fraction) == expected


# -- similar ---------------------------------------------------------------------------


def test_similar_excludes_itself_and_ranks_by_key_terms(cli) -> None:
    result = cli("similar", "--json", f"{EN}/1-march-2005-a.txt")
    ids = [x["data"]["id"] for x in lines(result.stdout) if x["type"] == "hit"]
    assert result.exit_code == 0
    assert f"{EN}/1-march-2005-a.txt" not in ids
    assert ids[0] == "notes/undated.txt"  # shares "schools and roads"


def test_similar_unknown_article(cli) -> None:
    result = cli("similar", "nope.txt")
    assert result.exit_code == 1 and "no article 'nope.txt'" in result.stderr


def test_similar_leaves_out_translations(write_corpus: WriteCorpus, tmp_path: Path) -> None:
    text = ["Border security and trade between Canada and Mexico after the accords."]
    corpus = write_corpus(
        {
            f"{EN}/7-april-2011-x.txt": focal_page("Border trade", "Ann Lee", text),
            f"{FR}/7-avril-2011-x.txt": focal_page("Border trade | FR", "Ann Lee", text),
            f"{EN}/8-may-2011-y.txt": focal_page("Trade at the border", "Bo Ray", text),
        }
    )
    loc = ["--corpus", str(corpus), "--index", str(tmp_path / "ix")]
    result = CliRunner().invoke(app, ["similar", "-l", f"{EN}/7-april-2011-x.txt", *loc])
    assert result.stdout.splitlines() == ["http://www.focal.ca/en/pub/8-may-2011-y"]


# -- export ----------------------------------------------------------------------------


def test_export_csv_has_every_match(cli, tmp_path: Path) -> None:
    out = tmp_path / "haiti.csv"
    result = cli("query", "Haiti", "--export", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    assert "exported 4 articles to" in result.stderr
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0] == ["rank", "score", "id", "title", "authors", "date", "lang", "location"]
    assert len(rows) == 5 and [r[0] for r in rows[1:]] == ["1", "2", "3", "4"]
    assert "Ann Lee; Bo Ray" in [r[4] for r in rows[1:]]


def test_export_jsonl_with_fields(cli, tmp_path: Path) -> None:
    out = tmp_path / "cuba.jsonl"
    cli("query", "Cuba", "--export", str(out), "--fields", "id,date,snippet", "--sort", "date")
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["date"] for r in records] == ["2006-05", "2008-05"]
    assert set(records[0]) == {"id", "date", "snippet"} and records[0]["snippet"]


@pytest.mark.parametrize(
    "name, fields, message",
    [
        ("out.txt", None, "use a .csv or .jsonl"),
        ("out.csv", "id,colour", "unknown export field 'colour'"),
    ],
)
def test_export_refuses_bad_requests(
    cli, tmp_path: Path, name: str, fields: str | None, message: str
) -> None:
    args = ["query", "Haiti", "--export", str(tmp_path / name)]
    result = cli(*args, *(["--fields", fields] if fields else []))
    assert result.exit_code == 2 and message in result.stderr
    assert not (tmp_path / name).exists()


def test_export_conflicts_with_other_outputs(cli, tmp_path: Path) -> None:
    result = cli("query", "--json", "Haiti", "--export", str(tmp_path / "x.csv"))
    assert result.exit_code == 2
    assert "--export goes with one QUERY" in " ".join(result.stderr.split())
