"""FOCAL page extraction: boilerplate out, title/authors/body/bio in, URL and date."""

from __future__ import annotations

from pathlib import Path

import pytest

from focal_search.extract import SkipFile, focal_page, location
from focal_search.extract.text import clean_text, decode

from .conftest import focal_page as page

SEED = Path(__file__).resolve().parent.parent / "corpus" / "mexico-canada-security-framework.txt"


def parse(text: str | bytes, id: str = "a.txt"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return focal_page.parse(data, id=id, path=id)


def test_seed_page_fields() -> None:
    a = parse(SEED.read_bytes(), id="mexico-canada-security-framework.txt")
    assert a.title == "Mexico-Canada: Building North America’s security framework"
    assert a.authors == ["Raúl Benítez Manaut"]
    assert a.body.startswith("Security relations between Mexico and Canada remain weak")
    assert a.body.endswith("the growth of bilateral Mexico-Canada programs.")
    assert a.bio.startswith("Raúl Benítez Manaut is a researcher at the Research Centre")
    assert a.url is None and a.date is None


@pytest.mark.parametrize(
    "word",
    [
        "Welcome to the FOCAL archive",
        "no longer in operation",
        "Disqus",
        "Comments Policy",
        "Flag",
        "Privacy Policy",
        "AddThis",
        "blue square",
    ],
)
def test_seed_boilerplate_never_in_text(word: str) -> None:
    a = parse(SEED.read_bytes())
    for part in (a.title, a.body, a.bio, " ".join(a.authors)):
        assert word not in part


def test_sidebar_and_navigation_removed() -> None:
    text = page(
        "Governance in the Andes",
        "Ana Pérez",
        ["Open as PDF\nBolivia held elections in 2009.", "Turnout was high."],
        "Ana Pérez is a senior analyst.",
        extra_top=(
            "A View of the Hemisphere\n\nExplore the link between governance and development.\n\n"
        ),
    ).replace(
        "Turnout was high.",
        "Turnout was high.\n\nAlso in this edition:\nCuba after Fidel\nTrade and Haiti\n\n"
        "Open PDF: EN | FR | SP\n\nRelated program: Governance",
    )
    a = parse(text)
    assert a.title == "Governance in the Andes"
    assert a.authors == ["Ana Pérez"]
    assert "Bolivia held elections in 2009." in a.body
    for gone in (
        "View of the Hemisphere",
        "Explore the link",
        "Open as PDF",
        "Also in this",
        "Cuba after Fidel",
        "Trade and Haiti",
        "Open PDF",
        "Related program",
    ):
        assert gone not in a.body and gone not in a.title


@pytest.mark.parametrize(
    "line, names",
    [
        ("Jane Doe and John Smith", ["Jane Doe", "John Smith"]),
        ("Ana Pérez, Luis de la Torre and Kim Lee", ["Ana Pérez", "Luis de la Torre", "Kim Lee"]),
        ("By Carlo Dade", ["Carlo Dade"]),
        ("This article looks at trade.", []),
        ("security relations between the two countries remain weak", []),
    ],
)
def test_author_line(line: str, names: list[str]) -> None:
    assert focal_page.parse_authors(line) == names


def test_bio_without_end_mark_found_by_author_name() -> None:
    a = parse(
        page(
            "T",
            "Jane Doe",
            ["First paragraph.", "Second paragraph."],
            "Doe is a fellow at FOCAL.",
            end_mark=False,
        )
    )
    assert a.body == "First paragraph.\nSecond paragraph."
    assert a.bio == "Doe is a fellow at FOCAL."


def test_no_author_line_keeps_first_paragraph_in_body() -> None:
    a = parse(page("Trade notes", None, ["The trade figures for 2008 were published."]))
    assert a.authors == []
    assert a.body == "The trade figures for 2008 were published."


def test_title_language_marker_is_not_title_text() -> None:
    assert parse(page("La frontière | FR", "Luc Roy", ["Texte."])).title == "La frontière"


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "empty"),
        (b"   \n\n  ", "empty"),
        (b"\x00\x01\x02binary\x00", "binary"),
        (bytes(range(1, 32)) * 50, "binary"),
        (b"Welcome to the FOCAL archive\n\n", "no article text"),
        (b"Only a title\n", "no article body"),
    ],
)
def test_bad_files_are_skipped_with_reason(content: bytes, reason: str) -> None:
    with pytest.raises(SkipFile, match=reason):
        parse(content)


def test_cp1252_file_is_decoded() -> None:
    assert decode("Mérida – “quoted”".encode("cp1252")) == "Mérida – “quoted”"


def test_utf8_bom_is_dropped() -> None:
    assert decode("\ufeffTitle".encode("utf-8")) == "Title"


def test_escape_sequences_and_controls_removed() -> None:
    raw = "red \x1b[31mtext\x1b[0m, link \x1b]8;;http://x\x07here\x1b]8;;\x07 bell\x07 cr\rend"
    assert clean_text(raw) == "red text, link here bell cr\nend"


@pytest.mark.parametrize(
    "doc_id, url",
    [
        (
            "www.focal.ca/en/publications/focalpoint/433-april-2011-diego-ayo.txt",
            "http://www.focal.ca/en/publications/focalpoint/433-april-2011-diego-ayo",
        ),
        ("focal.ca/publications/x.txt", "http://focal.ca/publications/x"),
        ("notes/x.txt", None),
        ("x.txt", None),
    ],
)
def test_url_from_mirror_path(doc_id: str, url: str | None) -> None:
    assert location.url_from_id(doc_id) == url


@pytest.mark.parametrize(
    "doc_id, date",
    [
        ("www.focal.ca/en/433-april-2011-diego-ayo.txt", "2011-04"),
        ("a/12-sept-2008-x.txt", "2008-09"),
        ("a/report-2009-03.txt", "2009-03"),
        ("a/avril-2010-haiti.txt", "2010-04"),
        ("a/canada-2010-olympics.txt", None),  # a year alone is not a date
        ("a/may-day.txt", None),
        ("mexico-canada-security-framework.txt", None),
    ],
)
def test_date_only_from_explicit_month_and_year(doc_id: str, date: str | None) -> None:
    assert location.date_from_name(doc_id) == date


def test_mirror_page_gets_url_date_and_language() -> None:
    a = parse(page("T", "Jane Doe", ["Body."]), id="www.focal.ca/fr/pub/433-april-2011-x.txt")
    assert a.url == "http://www.focal.ca/fr/pub/433-april-2011-x"
    assert (a.date, a.year, a.lang) == ("2011-04", 2011, "fr")


def test_a_file_read_whole_even_when_it_changed_size_since_it_was_listed(tmp_path: Path) -> None:
    from focal_search.extract import CorpusFile, ReadLog, load_source

    path = tmp_path / "note.txt"
    first = ["The smart border opened in 2002."]
    path.write_text(page("Border Notes", "Ann Lee", first), encoding="utf-8")
    listed = CorpusFile(str(path), "note.txt", path.stat().st_size, path.stat().st_mtime_ns)
    later = "A later paragraph on trade and energy. " * 40 + "It ends with NORAD."
    longer = page("Border Notes", "Ann Lee", [*first, later])
    path.write_text(longer, encoding="utf-8")  # grew since it was listed
    _, articles = load_source(listed, ReadLog())
    (article,) = list(articles)
    assert "NORAD" in article.body
    path.write_text(page("Short", None, ["Trade."]), encoding="utf-8")  # and when it shrank
    _, articles = load_source(listed, ReadLog())
    assert [a.title for a in articles] == ["Short"]
