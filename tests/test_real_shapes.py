"""Pages in the shapes real FOCAL captures have: bylines with initials, listings
(issue contents, media lists, yearly lists of papers, program pages), broken titles,
page furniture, dates stated next to the byline, replayed URLs. Every fixture is
written here, small, in its own words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from focal_search.extract import focal_page, html_page, layout, location

from .archive_fixtures import Warc
from .archive_fixtures import html_page as html_fixture
from .conftest import BANNER, FOOTER, WriteCorpus

PROSE = [
    "The port authority approved a second terminal after two years of public hearings.",
    "Fishing co-operatives along the coast asked for a share of the new berths, and the "
    "provincial government promised a review of their licences before the next season.",
]


def txt(*blocks: str) -> bytes:
    """A FOCAL text page: banner, the given blank-line separated blocks, footer."""
    return (BANNER + "\n\n".join(blocks) + FOOTER).encode("utf-8")


def parse(data: bytes, id: str = "pages/note.txt"):
    return focal_page.parse(data, id=id, path=id)


# -- bylines --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "byline, names",
    [
        ("Ana Torres E.", ["Ana Torres E."]),
        ("José Ortega N.", ["José Ortega N."]),
        ("M. Keller", ["M. Keller"]),
        ("José Ortega N. and M. Keller", ["José Ortega N.", "M. Keller"]),
        ("Lena Fischer & Tomás Ruiz", ["Lena Fischer", "Tomás Ruiz"]),
        ("Maria Lopez, Peter Hall and Kim Tan", ["Maria Lopez", "Peter Hall", "Kim Tan"]),
        (
            "By Ana Torres E., José Ortega N. & M. Keller",
            ["Ana Torres E.", "José Ortega N.", "M. Keller"],
        ),
        ("by Lena Fischer", ["Lena Fischer"]),
        ("Par Luc Roy et Anne Côté", ["Luc Roy", "Anne Côté"]),
        ("Por Inés García y Pablo Díaz", ["Inés García", "Pablo Díaz"]),
        ("Andrea K. Lyle, Esq.", ["Andrea K. Lyle, Esq."]),
        ("R.T. (Bob) Miller", ["R.T. (Bob) Miller"]),
    ],
)
def test_bylines_are_authors_and_leave_the_body(byline: str, names: list[str]) -> None:
    a = parse(txt("Harbour plans for the coast", byline, *PROSE))
    assert a.authors == names
    assert a.body.split("\n")[0] == PROSE[0]
    assert byline not in a.body and a.kind == "article"


@pytest.mark.parametrize(
    "line",
    [
        "Mexico, Canada and Peru",  # a title with commas is not three authors
        "North America and the Caribbean",
        "Trade, Security and Migration",
        "The port will open in May.",
        "This article looks at the harbour.",
    ],
)
def test_lines_that_are_not_bylines(line: str) -> None:
    assert focal_page.parse_authors(line) == []


def test_unrecognised_byline_stays_a_line_of_its_own() -> None:
    a = parse(txt("Harbour plans for the coast", "written for the FOCAL team", *PROSE))
    assert a.authors == []
    first, second = a.body.split("\n")[:2]
    assert (first, second) == ("written for the FOCAL team", PROSE[0])


def test_unrecognised_byline_in_html_is_not_glued_to_the_body() -> None:
    page = html_fixture("Harbour plans", ["written for the FOCAL team", *PROSE], lang="en")
    a = html_page.parse(page.encode(), id="h.html", path="h.html")
    assert a.body.split("\n")[0] in ("written for the FOCAL team", PROSE[0])
    assert "team" + PROSE[0][:3] not in a.body and "team " + PROSE[0][:3] not in a.body


# -- listings -------------------------------------------------------------------------

ISSUE_CONTENTS = txt(
    "Quarterly notes, March 2012\nVol. 11, No. 2",
    "Editor's view: Ports, trade and people",
    "Fishing rights on the Pacific coast\nAna Torres E.",
    "Droits de pêche sur la côte | FR\nAna Torres E.",
    "Mexico, Canada and the new berths\nLena Fischer and M. Keller",
    "Rivers, dams and towns\nJosé Ortega N.",
)
MEDIA_LIST = txt(
    "FOCAL in the press 2012",
    "Harbour plans worry fishers\nLena Fischer\nMar. 3, 2012 - Coastal Daily",
    "Ports and people\nFeb. 20, 2012 - Radio Norte",
    "Why berths matter\nM. Keller\nFeb. 2, 2012 - The Weekly Review",
    "Les ports du Pacifique\nJan. 9, 2012 - Le Quotidien",
)
PAPERS_LIST = txt(
    "Policy Papers 2008",
    "Water, land and the Andean towns\nJosé Ortega N.\nFOCAL Policy Paper\nMay 2008\n"
    "This paper looks at how towns in the highlands share water with farms.",
    "Fisheries after the treaty\nLena Fischer and Tomás Ruiz\nFOCAL Research Report\n"
    "March 2008\nThe report compares the catch before and after the treaty came in.",
    "Coastal trade in numbers\nFOCAL Background Note\nJanuary 2008",
)
PROGRAM_PAGE = txt(
    "The foundation's programs examined how the region governs its ports and rivers, "
    "and how communities take part in those decisions.",
    "Ports and Coasts\nHarbour governance\nFishing communities\nCoastal trade",
    "Rivers and Water\nDams and towns\nWater rights\nIrrigation and farms",
    "People and Work\nSeasonal workers\nMigration and families",
)
ISSUE_HUB = txt(
    "Monthly Notes: the region in brief",
    "Notes June 2011",
    "Harbour plans worry fishers\nLena Fischer",
    "The coast debates a second terminal.",
    "Also in this edition:\nPorts and people\nWhy berths matter | FR",
    "Open as PDF",
    "Notes May 2011",
    "Rivers, dams and towns\nJosé Ortega N.",
    "Also in this edition:\nWater rights | SP",
    "Open as PDF",
)


@pytest.mark.parametrize(
    "data, name, title",
    [
        (ISSUE_CONTENTS, "pub/120-notes-2012.txt", "Quarterly notes, March 2012"),
        (MEDIA_LIST, "about/press/310-focal-in-the-press-2012.txt", "FOCAL in the press 2012"),
        (PAPERS_LIST, "pub/papers/297-policy-papers-2008.txt", "Policy Papers 2008"),
        (PROGRAM_PAGE, "www.focal.ca/en/programs.txt", "Programs"),
        (ISSUE_HUB, "pub/notes.txt", "Monthly Notes: the region in brief"),
    ],
)
def test_listings_take_no_author_from_their_items(data: bytes, name: str, title: str) -> None:
    a = parse(data, id=name)
    assert a.kind == "listing"
    assert a.authors == []
    assert a.title == title
    assert a.date is None  # an entry's date is not the page's
    assert a.bio == ""


def test_listing_keeps_its_entries_searchable() -> None:
    a = parse(PAPERS_LIST, id="pub/papers/297-policy-papers-2008.txt")
    assert "Fisheries after the treaty" in a.body
    assert "Lena Fischer and Tomás Ruiz" in a.body


def test_article_with_edition_list_stays_an_article() -> None:
    a = parse(
        txt(
            "Harbour plans for the coast",
            "Lena Fischer",
            *PROSE,
            "Also in this edition:\nPorts and people\nWhy berths matter | FR",
            "Open as PDF",
        )
    )
    assert a.kind == "article" and a.authors == ["Lena Fischer"]
    assert "Ports and people" not in a.body


# -- titles ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "head, title",
    [
        ("Annual report 2010 |", "Annual report 2010"),
        ("Coastal Notes, Vol. 3, No. 11 -", "Coastal Notes, Vol. 3, No. 11"),
        ("Harbour plans –", "Harbour plans"),
        ("Water rights in the\nAndean highlands", "Water rights in the Andean highlands"),
        (
            "Coastal Notes, Vol. 3, No. 11 -\nMarch 2004",
            "Coastal Notes, Vol. 3, No. 11 - March 2004",
        ),
        ("Ports and rivers:\nthe next decade", "Ports and rivers: the next decade"),
        ("Les ports du Pacifique | FR", "Les ports du Pacifique"),
        ("harbour_mapPorts of the south", "Ports of the south"),
    ],
)
def test_titles(head: str, title: str) -> None:
    assert parse(txt(head, "Lena Fischer", *PROSE)).title == title


def test_a_body_sentence_is_never_the_title() -> None:
    sentence = "Since 2004, the harbour has doubled its traffic and the city has grown with it."
    a = parse(txt("coast_flag" + sentence, *PROSE), id="www.focal.ca/en/pub/88-harbour-growth.txt")
    assert a.title == "Harbour growth"  # from the page's name
    assert a.body.split("\n")[0] == sentence  # the image name removed, the text kept


def test_two_separate_title_lines_are_not_joined_across_blocks() -> None:
    a = parse(txt("Harbour plans", "Lena Fischer", *PROSE))
    assert a.title == "Harbour plans"


# -- furniture ------------------------------------------------------------------------

FURNITURE = [
    "Garcia_small",
    "Smith_image_small",
    "Brown_edit",
    "icon-pdf",
    "harbour-map.jpg",
    "Open as PDF",
    "EN | FR | SP",
    "Go to this month's editorial cartoon",
    "Photo: Reuters",
    "Photo credit: Lena Fischer",
]


@pytest.mark.parametrize("line", FURNITURE)
def test_furniture_never_reaches_the_body(line: str) -> None:
    a = parse(txt("Harbour plans for the coast", "Lena Fischer", line, PROSE[0], line, PROSE[1]))
    assert a.body == "\n".join(PROSE)
    assert a.authors == ["Lena Fischer"]


def test_photo_credit_that_is_a_sentence_is_kept() -> None:
    credit = "Photo: Fishers unload their catch at dawn in the old harbour."
    a = parse(txt("Harbour plans for the coast", "Lena Fischer", credit, *PROSE))
    assert credit in a.body


@pytest.mark.parametrize(
    "line, furniture",
    [
        ("Garcia_small", True),
        ("Brown_edit", True),
        ("icon-pdf", True),
        ("Mexico-Canada", False),
        ("H1N1", False),
        ("NAFTA", False),
        ("EN | FR", True),
        ("Photo: a fisher", True),
        ("Photographs of the coast were shown at the meeting in June.", False),
    ],
)
def test_is_furniture(line: str, furniture: bool) -> None:
    assert layout.is_furniture(line) is furniture


def test_furniture_never_reaches_html_body() -> None:
    page = html_fixture("Harbour plans", ["Garcia_small", PROSE[0], "EN | FR | SP", PROSE[1]])
    a = html_page.parse(page.encode(), id="h.html", path="h.html")
    assert "Garcia_small" not in a.body and "EN | FR" not in a.body
    assert PROSE[0] in a.body


# -- dates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header, date",
    [
        (["Lena Fischer", "June 2011"], "2011-06"),
        (["Lena Fischer", "April 14, 2009"], "2009-04"),
        (["June 2011", "Lena Fischer"], "2011-06"),
        (["By M. Keller, April 14, 2009"], "2009-04"),
        (["Lena Fischer", "14 avril 2009"], "2009-04"),
        (["Lena Fischer", "junio de 2010"], "2010-06"),
        (["Lena Fischer", "Vol. 9, No. 10", "November 2010"], "2010-11"),
        (["Lena Fischer"], None),  # nothing stated: nothing invented
    ],
)
def test_date_stated_next_to_byline(header: list[str], date: str | None) -> None:
    a = parse(txt("Harbour plans for the coast", *header, *PROSE), id="pages/harbour.txt")
    assert (a.date, a.date_source) == (date, "text" if date else None)
    assert a.authors and a.body == "\n".join(PROSE)


def test_path_date_wins_and_says_so() -> None:
    a = parse(
        txt("Harbour plans for the coast", "Lena Fischer", "June 2011", *PROSE),
        id="www.focal.ca/en/pub/433-april-2011-harbour.txt",
    )
    assert (a.date, a.date_source) == ("2011-04", "path")
    assert "June 2011" not in a.body


def test_a_date_in_the_body_is_not_the_date() -> None:
    a = parse(txt("Harbour plans", "Lena Fischer", "In June 2011 the port opened.", *PROSE))
    assert a.date is None and a.date_source is None


def test_capture_time_is_not_a_date() -> None:
    a = focal_page.parse(
        txt("Harbour plans", "Lena Fischer", *PROSE),
        id="a.txt",
        path="a.txt",
        captured="2012-03-01T10:00:00+00:00",
    )
    assert a.date is None and a.captured


def test_html_date_next_to_byline() -> None:
    page = html_fixture("Harbour plans", ["Lena Fischer", "April 14, 2009", *PROSE])
    a = html_page.parse(page.encode(), id="h.html", path="h.html")
    assert (a.date, a.date_source) == ("2009-04", "text")
    meta = html_fixture("Harbour plans", PROSE, date="2010-05-02")
    b = html_page.parse(meta.encode(), id="h.html", path="h.html")
    assert (b.date, b.date_source) == ("2010-05", "metadata")


@pytest.mark.parametrize(
    "text, date",
    [
        ("June 2011", "2011-06"),
        ("Dec. 22, 2010", "2010-12"),
        ("1er juin 2011", "2011-06"),
        ("14 de abril de 2009", "2009-04"),
        ("in 2011", None),
        ("May", None),
    ],
)
def test_find_date(text: str, date: str | None) -> None:
    assert layout.find_date(text) == date


# -- original URLs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "doc_id, url",
    [
        ("www.focal.ca/en/pub/a.txt", "http://www.focal.ca/en/pub/a"),
        (
            "web.archive.org/web/20110907163127/https:/www.focal.ca/en/pub/a.txt",
            "https://www.focal.ca/en/pub/a",
        ),
        (
            "wayback.example.org/web/20110907163127id_/http:/focal.ca/fr/b.txt",
            "http://focal.ca/fr/b",
        ),
    ],
)
def test_url_from_mirror_keeps_recorded_scheme_and_host(doc_id: str, url: str) -> None:
    assert location.url_from_id(doc_id) == url


def test_capture_urls_keep_their_scheme(write_corpus: WriteCorpus, tmp_path: Path) -> None:
    from focal_search.extract import warc

    page = html_fixture("Harbour plans", PROSE)
    data = (
        Warc()
        .response("https://www.focal.ca/en/pub/a", page)
        .response("https://replay.example.org/web/20110907163127/http://www.focal.ca/en/b", page)
        .bytes()
    )
    path = tmp_path / "c.warc.gz"
    path.write_bytes(data)
    from focal_search.extract import ReadLog

    urls = [a.url for a in warc.read_warc(path, file_id="c.warc.gz", log=ReadLog())]
    assert urls == ["https://www.focal.ca/en/pub/a", "http://www.focal.ca/en/b"]


def test_saved_page_records_its_url() -> None:
    page = "<!-- saved from url=(0031)https://www.focal.ca/en/pub/a -->\n" + html_fixture(
        "Harbour plans", PROSE
    )
    a = html_page.parse(page.encode(), id="saved/a.html", path="saved/a.html")
    assert a.url == "https://www.focal.ca/en/pub/a"


# -- through the index: kind, ranking, show ----------------------------------------------

ARTICLE = "www.focal.ca/en/pub/433-april-2011-harbour.txt"
LISTING = "www.focal.ca/en/pub/120-notes-2011.txt"


@pytest.fixture
def shapes_cli(write_corpus: WriteCorpus, tmp_path: Path):
    from typer.testing import CliRunner

    from focal_search.cli import app

    corpus = write_corpus(
        {
            ARTICLE: txt("Harbour plans worry fishers", "Lena Fischer", *PROSE).decode(),
            LISTING: txt(
                "Quarterly notes, June 2011",
                "Harbour plans worry fishers\nLena Fischer",
                "The coast debates a second terminal for the port authority.",
                "Rivers, dams and towns\nJosé Ortega N.",
                "Water rights and farms\nM. Keller",
            ).decode(),
            "pages/dated.txt": txt(
                "Dams and towns", "José Ortega N.", "June 2009", *PROSE
            ).decode(),
        }
    )
    env = {"FOCAL_SEARCH_CORPUS": str(corpus), "FOCAL_SEARCH_INDEX": str(tmp_path / "ix")}
    runner = CliRunner()
    assert runner.invoke(app, ["reindex"], env=env).exit_code == 0
    return lambda *args: runner.invoke(app, list(args), env=env)


def _json_hits(result) -> list[dict]:
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return [line["data"] for line in lines if line["type"] == "hit"]


def test_article_outranks_a_listing_repeating_its_title(shapes_cli) -> None:
    hits = _json_hits(shapes_cli("query", "--json", "harbour plans worry fishers"))
    assert [h["id"] for h in hits] == [ARTICLE, LISTING]
    assert [h["kind"] for h in hits] == ["article", "listing"]


def test_kind_filters_and_facets(shapes_cli) -> None:
    only = _json_hits(shapes_cli("query", "--json", "harbour kind:article"))
    assert [h["id"] for h in only] == [ARTICLE]
    listed = _json_hits(shapes_cli("query", "--json", "kind:listing"))
    assert [h["id"] for h in listed] == [LISTING]
    out = shapes_cli("query", "--json", "--facets", "kind", "harbour")
    summary = json.loads(out.stdout.splitlines()[-1])["data"]
    counts = {c["value"]: c["count"] for c in summary["facets"]["kind"]["counts"]}
    assert counts == {"article": 1, "listing": 1}


def test_listing_names_are_not_authors(shapes_cli) -> None:
    assert _json_hits(shapes_cli("query", "--json", "author:Keller")) == []


def test_show_says_where_the_date_came_from(shapes_cli) -> None:
    text = shapes_cli("show", "pages/dated.txt").stdout
    assert "2009-06 (from text)" in text
    data = json.loads(shapes_cli("show", "--json", "pages/dated.txt").stdout)["data"]
    assert (data["date"], data["date_source"], data["kind"]) == ("2009-06", "text", "article")
    path_dated = json.loads(shapes_cli("show", "--json", ARTICLE).stdout)["data"]
    assert (path_dated["date"], path_dated["date_source"]) == ("2011-04", "path")


def test_furniture_never_reaches_snippets(write_corpus: WriteCorpus, tmp_path: Path) -> None:
    from focal_search.index import open_index, sync_index
    from focal_search.search import Searcher

    corpus = write_corpus(
        {"pages/a.txt": txt("Harbour plans", "Lena Fischer", *FURNITURE, *PROSE).decode()}
    )
    sync_index(corpus, tmp_path / "ix")
    with open_index(tmp_path / "ix") as ix, Searcher(ix) as s:
        hits = s.search("harbour OR port").hits
        texts = " ".join(sn.text for hit in hits for sn in hit.snippets)
        assert texts and not any(f in texts for f in FURNITURE)


# -- the archive's main language for undetermined texts ---------------------------------


def test_main_language_is_configured_or_the_majority(monkeypatch: pytest.MonkeyPatch) -> None:
    from collections import Counter

    from focal_search.extract.language import MainLanguage

    main = MainLanguage(lambda: Counter({"es": 1}))  # the index holds one Spanish article
    seen = [main.resolve(x) for x in ("fr", "fr", "und", "es", "es", "es", "und")]
    assert seen == ["fr", "fr", "fr", "es", "es", "es", "es"]
    assert MainLanguage().resolve("und") == "und"  # nothing known: nothing invented
    monkeypatch.setenv("FOCAL_SEARCH_LANG", "ES")
    assert MainLanguage(lambda: Counter({"fr": 9})).resolve("und") == "es"


SHORT_FRENCH = ("Fleuves du nord", "Notes du mois de mai.")


@pytest.mark.parametrize("configured, expected", [(None, "fr"), ("es", "es")])
def test_undetermined_short_text_takes_the_main_language(
    write_corpus: WriteCorpus,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    configured: str | None,
    expected: str,
) -> None:
    from focal_search.extract import language
    from focal_search.index import open_index, sync_index
    from focal_search.search import Searcher

    title, body = SHORT_FRENCH
    assert language.detect(title + "\n" + body) == "und"  # the case this is about
    if configured:
        monkeypatch.setenv("FOCAL_SEARCH_LANG", configured)
    pages = {
        f"www.focal.ca/fr/pub/{n}-note.txt": txt(
            f"Note {n}", "Luc Roy", "Le port grandit."
        ).decode()
        for n in range(3)
    }
    pages["notes/short.txt"] = txt(title, body).decode()
    sync_index(write_corpus(pages), tmp_path / "ix")
    with open_index(tmp_path / "ix") as ix, Searcher(ix) as s:
        assert s.article("notes/short.txt").article.lang == expected
        if expected == "fr":
            # French stems and stop words: "fleuve" finds "fleuves"; "les" does not block.
            assert [h.id for h in s.search("les fleuve").hits] == ["notes/short.txt"]


def test_date_line_joined_to_the_title_dates_the_page() -> None:
    a = parse(txt("Coastal Notes, No. 11 -\nMarch 2004", "Lena Fischer", *PROSE))
    assert (a.title, a.date, a.date_source) == (
        "Coastal Notes, No. 11 - March 2004",
        "2004-03",
        "text",
    )


def test_title_ending_open_is_not_joined_to_a_byline() -> None:
    a = parse(txt("Ports and rivers:\nAna Torres E.", *PROSE))
    assert (a.title, a.authors) == ("Ports and rivers", ["Ana Torres E."])


def test_article_with_a_list_of_short_points_stays_an_article() -> None:
    points = "\n".join(f"• Point number {n} for the port" for n in range(5))
    table = "\n".join(f"Berth {n}\n{n * 40} tonnes" for n in range(5))
    a = parse(txt("Harbour plans for the coast", "Lena Fischer", PROSE[0], points, table, PROSE[1]))
    assert (a.kind, a.authors) == ("article", ["Lena Fischer"])
