"""Archive formats (HTML mirrors, WARC/WARC.gz, WACZ, JSON Lines), duplicates, and
French / Spanish / English analysis — all fixtures built here."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from focal_search.cli import app
from focal_search.extract import CorpusFile, ReadLog, load_source, warc
from focal_search.index import open_index, sync_index
from focal_search.search import Filters, Searcher

from .archive_fixtures import Warc, html_page, wacz
from .conftest import WriteCorpus

SEED = (
    Path(__file__).resolve().parent.parent / "corpus" / "mexico-canada-security-framework.txt"
).read_bytes()

EN_PAGE = "www.focal.ca/en/publications/focalpoint/433-april-2011-smart-border.html"
FR_PAGE = "www.focal.ca/fr/publications/focalpoint/433-avril-2011-smart-border.html"
ES_PAGE = "www.focal.ca/es/publicaciones/500-mayo-2010-migracion.html"
LEGACY = "legacy/quebec.htm"

EN_TEXT = [
    "The smart border agreement signed in December 2001 changed how goods and travellers "
    "cross between Canada and the United States, with shared databases and new lanes.",
    "Mexico signed a similar accord in March 2002, and both deals became the first pieces "
    "of a North American security framework that officials still debate today.",
]
FR_TEXT = [
    "L'accord sur la frontière intelligente signé en décembre 2001 a changé la manière dont "
    "les marchandises et les voyageurs traversent la frontière entre le Canada et les États-Unis.",
    "Après l'élection, le gouvernement a promis une aide à Haïti et une coopération renforcée "
    "avec le Mexique sur la sécurité régionale.",
]
ES_TEXT = [
    "La migración desde México y Centroamérica hacia el norte creció durante la década, "
    "y los gobiernos de la región discutieron nuevas políticas en Bogotá.",
    "Los expertos señalan que la cooperación en seguridad fronteriza depende de la confianza "
    "entre las instituciones y de los recursos disponibles en cada país.",
]


def dup_page(version: str) -> str:
    return html_page(
        "Workers at the border",
        [
            f"{version} Seasonal agricultural workers from Mexico and the Caribbean travel to "
            "Canada every spring under a bilateral programme that dates from the 1960s and 1970s.",
            "Their rights, housing and pay have been studied by researchers and unions alike, and "
            "the programme is often cited as a model of managed labour migration.",
        ],
        author="Kim Lee",
    )


def capture_2010() -> bytes:
    return (
        Warc()
        .response(
            "http://focal.ca/en/pub/workers", dup_page("Original."), date="2010-03-01T10:00:00Z"
        )
        .response(
            "http://focal.ca/en/old-page",
            "",
            status="301 Moved Permanently",
            headers=[("Location", "http://focal.ca/en/pub/workers")],
        )
        .response(
            "http://focal.ca/docs/report.pdf", b"%PDF-1.4 binary", content_type="application/pdf"
        )
        .response(
            "http://focal.ca/missing", "<html><p>Not found</p></html>", status="404 Not Found"
        )
        .response(
            "http://focal.ca/robots.txt", "User-agent: *\nDisallow:", content_type="text/plain"
        )
        .revisit("http://focal.ca/en/pub/workers")
        .bytes()
    )


def capture_2011() -> bytes:
    return (
        Warc()
        .response(
            "https://www.focal.ca/en/pub/workers/",
            dup_page("Updated."),
            date="2011-06-01T10:00:00Z",
        )
        .bytes()
    )


JSONL = "\n".join(
    [
        json.dumps(
            {
                "id": "r1",
                "title": "Energy exports",
                "authors": ["Ana Ruiz", "Bo Chan"],
                "date": "2008-02-14",
                "lang": "en",
                "url": "http://example.org/r1",
                "text": "Oil and gas exports from Canada to the United States grew again.",
            }
        ),
        json.dumps(
            {
                "id": "r2",
                "title": "Les énergies",
                "authors": "Luc Roy; Eve Blais",
                "text": "Les exportations d'énergie du Canada vers les États-Unis ont augmenté.",
            }
        ),
        "{not json",
        json.dumps({"id": "r3", "title": "no text here"}),
        json.dumps(
            {"id": "r4", "text": "Las exportaciones de energía de México crecieron en 2009."}
        ),
    ]
)


@pytest.fixture
def archive(write_corpus: WriteCorpus) -> Path:
    return write_corpus(
        {
            "mexico-canada-security-framework.txt": SEED,
            EN_PAGE: html_page(
                "Smart borders after 2001", EN_TEXT, author="Ann Lee", date="2011-04-05"
            ),
            FR_PAGE: html_page("La frontière intelligente", FR_TEXT, author="Luc Roy", lang="fr"),
            ES_PAGE: html_page("La migración en la región", ES_TEXT, author="Ana Ruiz", lang="es"),
            # Legacy page: Windows-1252 bytes, no charset, no lang attribute.
            LEGACY: html_page(
                "Le Québec et les élections",
                [
                    "Au Québec, les élections de 2008 ont déjà montré l'intérêt des électeurs pour "
                    "la politique étrangère et les relations avec l'Amérique latine.",
                    "Les partis ont débattu du commerce, de l'énergie et de la présence canadienne "
                    "en Haïti pendant toute la campagne électorale.",
                ],
                charset=None,
                lang=None,
            ).encode("cp1252"),
            "captures/focal-2010.warc.gz": capture_2010(),
            "captures/focal-2011.wacz": wacz({"data.warc.gz": capture_2011()}),
            "export/records.jsonl": JSONL,
        }
    )


@pytest.fixture
def indexed(archive: Path, tmp_path: Path) -> Iterator[tuple[Searcher, object]]:
    report = sync_index(archive, tmp_path / "ix")
    with open_index(tmp_path / "ix") as ix, Searcher(ix) as searcher:
        yield searcher, report


def hits(searcher: Searcher, q: str, **options) -> list:
    return list(searcher.search(q, limit=None, **options).hits)


def ids(searcher: Searcher, q: str, **options) -> set[str]:
    return {h.id for h in hits(searcher, q, **options)}


# -- one corpus, every format ----------------------------------------------------


def test_everything_reindexes_in_one_run(indexed) -> None:
    searcher, report = indexed
    assert report.skipped == []
    assert report.warnings == []
    # seed + 4 HTML + 1 page from the WARC + 1 from the WACZ + 3 JSON records
    assert report.articles == 10
    assert dict(report.records_skipped) == {
        "redirect": 1,
        "non-HTML": 1,
        "HTTP error": 1,
        "robots.txt": 1,
        "revisit": 1,
        "line not valid JSON": 1,
        "JSON record without id or text": 1,
    }


def test_html_fields(indexed) -> None:
    searcher, _ = indexed
    view = searcher.article(EN_PAGE)
    a = view.article
    assert a.title == "Smart borders after 2001"  # " | FOCAL" removed
    assert a.authors == ["Ann Lee"]
    assert (a.date, a.lang) == ("2011-04", "en")
    assert (
        a.url == "http://www.focal.ca/en/publications/focalpoint/433-april-2011-smart-border.html"
    )
    assert a.body.startswith("The smart border agreement signed in December 2001")
    assert a.body.count("\n") == 1


@pytest.mark.parametrize(
    "q",
    [
        "menu",
        "Sidebar",
        "Copyright",
        "zzscript",
        "Privacy",
        "trackingCode",
        "color",
        "Hemisphere",
        "logo",
    ],
)
def test_page_furniture_is_never_indexed(indexed, q: str) -> None:
    searcher, _ = indexed
    assert ids(searcher, q) - {"mexico-canada-security-framework.txt"} == set()


def test_undeclared_cp1252_page_is_decoded_and_detected(indexed) -> None:
    searcher, _ = indexed
    a = searcher.article(LEGACY).article
    assert a.title == "Le Québec et les élections"
    assert "l'intérêt des électeurs" in a.body
    assert a.lang == "fr"


def test_warc_pages_records_and_captures(indexed) -> None:
    searcher, _ = indexed
    found = hits(searcher, "seasonal workers")
    assert len(found) == 1, "two captures of one page are one article"
    hit = found[0]
    assert hit.id.startswith("captures/focal-2011.wacz!archive/data.warc.gz#")  # the newest
    assert hit.url == "https://www.focal.ca/en/pub/workers/"
    assert hit.captures == 2
    assert set(hit.capture_urls) == {
        "http://focal.ca/en/pub/workers",
        "https://www.focal.ca/en/pub/workers/",
    }
    assert "Updated." in hit.snippets[0].text
    assert searcher.search("seasonal workers").total == 1
    view = searcher.article(hit.id)
    assert [c.captured for c in view.captures] == ["2011-06-01T10:00:00Z", "2010-03-01T10:00:00Z"]


def test_show_reaches_an_article_by_any_capture_url(indexed) -> None:
    searcher, _ = indexed
    assert (
        searcher.article("http://focal.ca/en/pub/workers").article.title == "Workers at the border"
    )


def test_jsonl_records(indexed) -> None:
    searcher, _ = indexed
    r1 = searcher.article("export/records.jsonl#r1").article
    assert (r1.title, r1.authors, r1.date, r1.lang, r1.url) == (
        "Energy exports",
        ["Ana Ruiz", "Bo Chan"],
        "2008-02",
        "en",
        "http://example.org/r1",
    )
    r2 = searcher.article("export/records.jsonl#r2").article
    assert (r2.authors, r2.lang) == (["Luc Roy", "Eve Blais"], "fr")
    assert searcher.article("export/records.jsonl#r4").article.lang == "es"


# -- languages -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "q, expected",
    [
        ("élections", {FR_PAGE, LEGACY}),  # French stems: élections / élection
        ("election", {FR_PAGE, LEGACY}),  # and without the accent
        ("migraciones", {ES_PAGE}),  # Spanish stems: migraciones / migración
        ("migracion", {ES_PAGE}),
        ("workers", {"captures/focal-2011.wacz!archive/data.warc.gz#0"}),
        ("Haiti", {FR_PAGE, LEGACY, "mexico-canada-security-framework.txt"}),
        ("Bogota", {ES_PAGE}),
        ("frontière intelligente", {FR_PAGE}),
        ('"frontiere intelligente"', {FR_PAGE}),
        ("exportaciones energia", {"export/records.jsonl#r4"}),
    ],
)
def test_queries_work_across_languages(indexed, q: str, expected: set[str]) -> None:
    searcher, _ = indexed
    found = ids(searcher, q)
    if q == "workers":
        assert len(found) == 1 and next(iter(found)).startswith("captures/focal-2011.wacz")
    else:
        assert found == expected


def test_language_of_each_article(indexed) -> None:
    searcher, _ = indexed
    langs = {searcher.article(i).article.lang for i in (EN_PAGE, FR_PAGE, ES_PAGE)}
    assert langs == {"en", "fr", "es"}
    assert ids(searcher, "frontera OR frontière OR border", filters=Filters(langs=("fr",))) == {
        FR_PAGE
    }
    assert ids(searcher, "lang:es") == {ES_PAGE, "export/records.jsonl#r4"}


def test_translations_are_paired(indexed) -> None:
    searcher, _ = indexed
    view = searcher.article(EN_PAGE)
    assert [(t.id, t.lang) for t in view.translations] == [(FR_PAGE, "fr")]
    assert [t.id for t in searcher.article(FR_PAGE).translations] == [EN_PAGE]


def test_title_marker_and_slug_are_language_hints(
    write_corpus: WriteCorpus, tmp_path: Path
) -> None:
    corpus = write_corpus(
        {
            "site/rapport-annuel.html": html_page("Rapport annuel | FR", FR_TEXT, lang=None),
            "site/informe-sp.html": html_page("Informe", ES_TEXT, lang=None),
        }
    )
    sync_index(corpus, tmp_path / "ix")
    with open_index(tmp_path / "ix") as ix, Searcher(ix) as s:
        report = s.article("site/rapport-annuel.html").article
        assert (report.title, report.lang) == ("Rapport annuel", "fr")
        assert s.article("site/informe-sp.html").article.lang == "es"


# -- damaged and hostile captures -------------------------------------------------------


def test_truncated_warc_gz_keeps_what_came_before(
    write_corpus: WriteCorpus, tmp_path: Path
) -> None:
    data = (
        Warc()
        .response("http://a.org/1", dup_page("One."))
        .response("http://a.org/2", html_page("Second page", EN_TEXT))
        .response("http://a.org/3", html_page("Third page", FR_TEXT, lang="fr"))
        .bytes()
    )
    corpus = write_corpus({"cut.warc.gz": data[: len(data) - 400]})
    warnings: list[tuple[str, str]] = []
    report = sync_index(corpus, tmp_path / "ix", on_warning=lambda p, w: warnings.append((p, w)))
    assert report.articles == 2
    assert len(warnings) == 1 and "truncated after 2 records" in warnings[0][1]


def test_not_a_warc_is_skipped(write_corpus: WriteCorpus, tmp_path: Path) -> None:
    corpus = write_corpus({"fake.warc.gz": gzip.compress(b"hello, not a warc at all")})
    report = sync_index(corpus, tmp_path / "ix")
    assert report.articles == 0 and "not a WARC file" in report.skipped[0][1]


def test_zip_bomb_in_wacz_is_refused(write_corpus: WriteCorpus, tmp_path: Path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open("archive/bomb.warc", "w") as member:
            for _ in range(20):
                member.write(b"\0" * (1024 * 1024))
        z.writestr("archive/good.warc.gz", capture_2011(), compress_type=zipfile.ZIP_STORED)
    corpus = write_corpus({"bomb.wacz": out.getvalue()})
    warnings: list[str] = []
    report = sync_index(corpus, tmp_path / "ix", on_warning=lambda p, w: warnings.append(w))
    assert report.articles == 1  # the good WARC beside it is still read
    assert any("decompression bomb" in w for w in warnings)


def test_gzip_bomb_stops_reading_with_a_warning(
    write_corpus: WriteCorpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(warc, "MIN_BUDGET", 2 * 1024 * 1024)
    data = (
        Warc()
        .response("http://a.org/1", dup_page("One."))
        .response("http://a.org/zeros", b"\0" * (8 * 1024 * 1024), content_type="text/html")
        .response("http://a.org/3", html_page("After", EN_TEXT))
        .bytes()
    )
    corpus = write_corpus({"bomb.warc.gz": data})
    warnings: list[str] = []
    report = sync_index(corpus, tmp_path / "ix", on_warning=lambda p, w: warnings.append(w))
    assert report.articles == 1
    assert any("decompression bomb" in w for w in warnings)


def test_uncompressed_warc_and_record_level_reads(tmp_path: Path) -> None:
    path = tmp_path / "plain.warc"
    path.write_bytes(Warc(gzip=False).response("http://a.org/x", dup_page("Plain.")).bytes())
    st = path.stat()
    log = ReadLog()
    _, articles = load_source(CorpusFile(str(path), "plain.warc", st.st_size, st.st_mtime_ns), log)
    (article,) = list(articles)
    assert (article.url, article.captured) == ("http://a.org/x", "2010-01-01T00:00:00Z")
    assert article.id == "plain.warc#0"


# -- through the command line ------------------------------------------------------------


def test_cli_reindex_summary_and_show(archive: Path, tmp_path: Path) -> None:
    loc = ["--corpus", str(archive), "--index", str(tmp_path / "ix")]
    result = CliRunner().invoke(app, ["reindex", *loc])
    assert result.exit_code == 0
    assert "10 articles" in result.stdout
    assert "7 records not articles (" in result.stdout
    show = CliRunner().invoke(app, ["show", EN_PAGE, *loc])
    assert "also in fr: La frontière intelligente — http://www.focal.ca/fr/" in show.stdout
    found = CliRunner().invoke(app, ["query", "--json", "seasonal workers", *loc])
    hit = [json.loads(line) for line in found.stdout.splitlines()][1]["data"]
    assert hit["captures"] == 2 and len(hit["capture_urls"]) == 2
