"""The OpenSearch engine against a real cluster, and its pure parts without one.

The integration tests (marker ``opensearch``) need a cluster: start the two local
nodes with ``scripts/opensearch-cluster start`` and set
FOCAL_SEARCH_TEST_OPENSEARCH=http://127.0.0.1:9200; without it they skip. The same
fixture corpus is indexed locally and on the cluster, and both must answer alike.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from focal_search.cli import app
from focal_search.engine import LocalEngine, open_engine
from focal_search.engines.dsl import translate
from focal_search.engines.opensearch import OpenSearchEngine, _unmark
from focal_search.engines.opensearch_location import _mask, parse_location
from focal_search.engines.opensearch_sync import part_of
from focal_search.errors import (
    ClusterAuthFailed,
    ClusterRejected,
    FocalSearchError,
    IndexMissing,
)
from focal_search.query import QueryParser
from focal_search.schema import build_schema
from focal_search.search import Filters

from .conftest import focal_page

URL_ENV = "FOCAL_SEARCH_TEST_OPENSEARCH"
SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "opensearch-cluster"
HOW = (
    "no OpenSearch cluster for the integration tests: run `scripts/opensearch-cluster start` "
    f"and set {URL_ENV}=http://127.0.0.1:9200"
)

# -- without a cluster --------------------------------------------------------


def test_url_parts_and_masking(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FOCAL_SEARCH_OPENSEARCH_USER", raising=False)
    loc = parse_location("https://ana:p%40ss@search.example:9243/focal")
    assert (loc.scheme, loc.host, loc.port, loc.name) == ("https", "search.example", 9243, "focal")
    assert (loc.user, loc.password) == ("ana", "p@ss")
    assert "p@ss" not in loc.display and "ana" not in loc.display
    assert _mask("http://ana:secret@h:9200/x") == "http://ana:***@h:9200/x"
    monkeypatch.setenv("FOCAL_SEARCH_OPENSEARCH_USER", "bob")
    assert parse_location("http://h/focal").user == "bob"
    for bad in ("http://h:9200/", "http://h:9200/Focal", "http://:9200/x", "http://h:99999/x"):
        with pytest.raises(FocalSearchError):
            parse_location(bad)


def test_cli_url_errors_are_one_line_and_hide_the_password() -> None:
    runner = CliRunner()
    for url, words in (
        ("http://ana:s3cret@127.0.0.1:9/focal", "cannot reach OpenSearch"),
        ("http://127.0.0.1:9200/", "names no index"),
        ("http://127.0.0.1:9200/Bad", "not a valid OpenSearch index name"),
    ):
        result = runner.invoke(app, ["query", "border", "--index", url])
        assert result.exit_code == 2, result.output
        assert words in result.stderr
        assert "s3cret" not in result.output + result.stderr
        assert "Traceback" not in result.stderr


def test_client_errors_become_our_errors_without_credentials() -> None:
    from opensearchpy import exceptions as ex

    engine = OpenSearchEngine("http://ana:s3cret@127.0.0.1:9/focal")
    denied = {
        "error": {"type": "security_exception", "reason": "no permissions for [indices:data/read]"}
    }
    cases: list[tuple[Exception, type[FocalSearchError], str]] = [
        (
            ex.AuthenticationException(401, "security_exception", {}),
            ClusterAuthFailed,
            "credentials",
        ),
        (
            ex.AuthorizationException(403, "security_exception", denied),
            ClusterAuthFailed,
            "no permissions",
        ),
        (ex.NotFoundError(404, "index_not_found_exception", {}), IndexMissing, "no index 'focal'"),
        (ex.TransportError(429, "rejected_execution", {}), ClusterRejected, "refused the request"),
    ]
    for raised, kind, words in cases:
        with pytest.raises(kind, match=words) as caught:
            with engine.errors():
                raise raised
        assert "s3cret" not in caught.value.message + (caught.value.hint or "")
        assert "127.0.0.1:9/focal" in caught.value.message


def test_parts_are_stable_and_cover_every_file() -> None:
    sources = [f"site/{n}.html" for n in range(400)]
    shares = [[s for s in sources if part_of(s, (k, 4))] for k in range(1, 5)]
    assert sorted(s for share in shares for s in share) == sorted(sources)
    assert all(60 < len(share) < 140 for share in shares)
    assert shares[2] == [s for s in sources if part_of(s, (3, 4))]


def test_local_engine_refuses_parts(tmp_path: Path) -> None:
    with pytest.raises(FocalSearchError, match="--part"):
        LocalEngine(tmp_path / "ix").sync(tmp_path, part=(1, 2))


def test_highlight_markers_become_spans() -> None:
    assert _unmark("a \ue000border\ue001 b", "a border b") == [(2, 8)]
    assert _unmark("\ue000x\ue001", "y") is None  # not the stored text: no spans at all


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("year:2009", {"term": {"year": {"value": 2009, "boost": 1.0}}}),
        ("date:>=2010-06", {"range": {"date": {"gte": "2010-06"}}}),
        ("lang:fr", {"term": {"lang": {"value": "fr", "boost": 1.0}}}),
        (
            'title:"smart border"',
            {"match_phrase": {"title_en": {"query": "smart border", "analyzer": "whitespace",
                                           "boost": 1.0}}},
        ),
        (
            "title:nafta NOT title:mexico",
            {"bool": {"must": [{"term": {"title_en": {"value": "nafta", "boost": 1.0}}}],
                      "must_not": [{"term": {"title_en": {"value": "mexico", "boost": 1.0}}}]}},
        ),
        (
            'title:"border security"~3',
            {"span_near": {"clauses": [{"span_term": {"title_en": "border"}},
                                       {"span_term": {"title_en": "secur"}}],
                           "slop": 2, "in_order": True, "boost": 1.0}},
        ),
    ],
)  # fmt: skip
def test_query_tree_to_dsl(text: str, expected: dict[str, Any]) -> None:
    schema = build_schema()
    assert translate(QueryParser(schema, ["en"]).parse(text), schema) == expected


def test_a_url_picks_the_opensearch_engine(tmp_path: Path) -> None:
    assert isinstance(open_engine("http://127.0.0.1:9200/focal"), OpenSearchEngine)
    assert isinstance(open_engine(tmp_path / "index"), LocalEngine)


# -- against a cluster --------------------------------------------------------


def _records(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


CORPUS: dict[str, str] = {
    "smart-border.txt": focal_page(
        "The Smart Border Accord",
        "By Ana Benítez",
        [
            "The smart border declaration changed how Canada and the United States manage "
            "their crossings.",
            "NORAD and border security cooperation deepened; America's partners watched the "
            "U.S. closely.",
        ],
        "Ana Benítez studies continental security.",
    ),
    "haiti-aid.txt": focal_page(
        "Aid to Haiti after the storm",
        "By John Smith",
        ["Haïti received aid from Canada and Cuba.", "Migration pressures rose at the borders."],
    ),
    "records/articles.jsonl": _records(
        [
            {"id": "nafta", "title": "NAFTA at fifteen", "authors": ["Luis Ortega"],
             "date": "2009-03", "lang": "en", "url": "http://example.org/nafta",
             "text": "The free trade agreement bound Mexico, Canada and the United States. "
                     "Smugglers and migrants crossed the border in both directions."},
            {"id": "nafta-fr", "title": "L'ALENA a quinze ans", "authors": ["Luis Ortega"],
             "date": "2009-03", "lang": "fr", "url": "http://example.org/fr/nafta",
             "text": "Les élections et la frontière nord occupent le Mexique; l'accord de "
                     "libre-échange lie trois pays."},
            {"id": "cuba", "title": "Cuba and the summit", "authors": "Maria Ruiz; Tom Lee",
             "date": "2010-06", "lang": "en", "url": "http://example.org/cuba",
             "text": "The Summit of the Americas discussed Cuba, Haiti and trade. Observers "
                     "called it a smart move."},
            {"id": "fronteras", "title": "Las fronteras de México", "authors": ["Ana Benítez"],
             "date": "2005", "lang": "es", "url": "http://example.org/es/fronteras",
             "text": "Las fronteras del norte y la migración centroamericana preocupan a los "
                     "gobiernos de la región."},
            {"id": "oil", "title": "Oil and energy", "date": "2011-11", "lang": "en",
             "text": "Energy exports from Canada grew; pipelines crossed the border."},
        ]
    ),
    # A second capture of the NAFTA page, newer: results show one of the two.
    "records/recapture.jsonl": _records(
        [
            {"id": "nafta", "title": "NAFTA at fifteen", "authors": ["Luis Ortega"],
             "date": "2009-03", "lang": "en", "url": "https://example.org/nafta/",
             "text": "The free trade agreement bound Mexico, Canada and the United States. "
                     "Smugglers and migrants crossed the border in both directions. Updated."},
        ]
    ),
}  # fmt: skip

QUERIES = [
    "border",
    "smart border",
    '"smart border"',
    '"border security"~3',
    '"summit of the americas"',
    "migra*",
    "bo?der",
    "bordr~",
    "smuglers~2",
    "title:NORAD",
    "author:Benítez",
    "Cuba OR Haiti",
    "(Cuba OR Haiti) aid",
    "NAFTA NOT Mexico",
    "border -Canada",
    "NOT border",
    "lang:fr",
    "kind:article",
    "kind:listing border",
    "year:2009",
    "year:[2005 TO 2009]",
    "date:>=2010-06",
    "date:2010",
    'url:"http://example.org/cuba"',
    "frontière",
    "fronteras",
    "élections",
    "America's",
    "U.S",
    "the",
    "Mexico-Canada",
]


def _cluster_url() -> str:
    url = os.environ.get(URL_ENV, "").strip().rstrip("/")
    if not url:
        pytest.skip(HOW)
    try:
        with urllib.request.urlopen(f"{url}/_cluster/health", timeout=5) as answer:
            json.load(answer)
    except OSError as err:
        pytest.skip(f"{HOW} ({url} did not answer: {err})")
    return url


def _new_name() -> str:
    return f"focal-test-{uuid.uuid4().hex[:8]}"


def _drop(engine: OpenSearchEngine) -> None:
    physical = engine.physical()
    if physical:
        engine.client.indices.delete(index=",".join(physical), ignore_unavailable=True)
    engine.close()


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalEngine, Any]]:
    """The fixture corpus indexed locally and on the cluster."""
    url = _cluster_url()
    root = tmp_path_factory.mktemp("os")
    corpus = root / "corpus"
    for rel, text in CORPUS.items():
        path = corpus / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    os.utime(corpus / "records/articles.jsonl", (1_300_000_000, 1_300_000_000))
    os.utime(corpus / "records/recapture.jsonl", (1_400_000_000, 1_400_000_000))
    local = LocalEngine(root / "index")
    local.sync(corpus)
    remote = OpenSearchEngine(f"{url}/{_new_name()}")
    remote.sync(corpus)
    yield local, remote
    local.close()
    _drop(remote)


def _ids(engine: Any, text: str, **options: Any) -> list[str]:
    return _found(engine, text, **options)[1]


def _found(engine: Any, text: str, **options: Any) -> tuple[int, list[str]]:
    """The total and the ids of every hit."""
    found = engine.search(text, limit=None, snippets=False, suggest=False, **options)
    return found.total, [hit.id for hit in found.hits]


@pytest.mark.opensearch
def test_same_matches_for_every_kind_of_query(both: tuple[LocalEngine, Any]) -> None:
    local, remote = both
    for text in QUERIES:
        total, want = _found(local, text)
        got_total, got = _found(remote, text)
        assert (got_total, sorted(got)) == (total, sorted(want)), text
    for options in (
        {"filters": Filters(authors=("Ana Benítez",))},
        {"filters": Filters(since="2009", until="2010-06")},
        {"filters": Filters(langs=("fr", "es"))},
        {"any_words": True},
    ):
        for text in ("border", "smart crossings zzzunknown", "trade OR frontera"):
            total, want = _found(local, text, **options)
            got_total, got = _found(remote, text, **options)
            # Subset, not equality: with a filter, the local engine lists both captures
            # of a page (its count is right); reported to the lead.
            assert got_total == total and set(got) <= set(want), (text, options)
    assert remote.count("border OR trade") == local.count("border OR trade")
    for sort in ("date", "-date"):
        dates = [h.date for h in local.search("border OR trade", limit=None, sort=sort).hits]
        got = [h.date for h in remote.search("border OR trade", limit=None, sort=sort).hits]
        assert got == dates, sort
    page = remote.search("border OR trade", limit=2, offset=1, snippets=False)
    assert [h.rank for h in page.hits] == [2, 3]


@pytest.mark.opensearch
def test_duplicates_snippets_facets_trend_show_stats(both: tuple[LocalEngine, Any]) -> None:
    local, remote = both
    hit = next(h for h in remote.search("smugglers").hits)
    want = next(h for h in local.search("smugglers").hits)
    assert (hit.id, hit.captures, hit.capture_urls) == (want.id, want.captures, want.capture_urls)
    assert hit.snippets and hit.snippets[0].highlights
    text = hit.snippets[0].text
    assert {text[s:e].lower() for s, e in hit.snippets[0].highlights} == {"smugglers"}
    title = remote.search('"smart border"').hits
    first = next(title)
    assert [first.title[s:e] for s, e in first.title_highlights] == ["Smart", "Border"]
    assert first.kind == next(local.search('"smart border"').hits).kind
    names = ["year", "author", "lang", "kind"]
    facets = {f.name: f for f in remote.facets("border OR trade", names)}
    expected = {f.name: f for f in local.facets("border OR trade", names)}
    for name, facet in expected.items():
        assert sorted(facets[name].counts) == sorted(facet.counts), name
        assert facets[name].missing == facet.missing, name
    for by in ("year", "month"):
        got = remote.trend(["border", "trade"], by=by)
        want_trend = local.trend(["border", "trade"], by=by)
        assert (got.periods, got.totals, got.undated) == (
            want_trend.periods,
            want_trend.totals,
            want_trend.undated,
        )
        assert [s.counts for s in got.series] == [s.counts for s in want_trend.series]
    view = remote.article("records/articles.jsonl#nafta")
    mine = local.article("records/articles.jsonl#nafta")
    assert [c.id for c in view.captures] == [c.id for c in mine.captures]
    assert len(view.captures) == 2
    assert view.translations == mine.translations
    similar = remote.similar("records/articles.jsonl#nafta", limit=None)
    ids = {h.id for h in similar.hits}
    assert ids and not ids & {"records/articles.jsonl#nafta", "records/recapture.jsonl#nafta"}
    stats, local_stats = remote.stats(), local.stats()
    assert (stats.articles, stats.by_year, stats.by_lang, stats.authors) == (
        local_stats.articles,
        local_stats.by_year,
        local_stats.by_lang,
        local_stats.authors,
    )
    fixed = remote.search("smuglers")
    assert fixed.did_you_mean == "smugglers" and fixed.did_you_mean_total == 1  # fmt: skip


def _jsonl(args: list[str]) -> list[dict[str, Any]]:
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (0, 1), result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def _shape(lines: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    return [(line["type"], sorted(line["data"])) for line in lines]


@pytest.mark.opensearch
def test_json_lines_have_the_same_shape(both: tuple[LocalEngine, Any]) -> None:
    local, remote = both
    for args in (
        ["query", "border", "--json", "--facets", "year,lang"],
        ["query", "zzznothing", "--json"],
        ["show", "smart-border.txt", "--json"],
        ["stats", "--json"],
        ["trend", "border", "--json"],
        ["similar", "records/articles.jsonl#nafta", "--json", "--limit", "1"],
    ):
        mine = _jsonl([*args, "--index", str(local.folder)])
        theirs = _jsonl([*args, "--index", remote.location.display])
        assert _shape(theirs) == _shape(mine), args
        hits = [line["data"]["id"] for line in theirs if line["type"] == "hit"]
        if args[0] != "similar":  # more-like-this ranks by other key terms than ours
            want = sorted(line["data"]["id"] for line in mine if line["type"] == "hit")
            assert sorted(hits) == want, args


@pytest.mark.opensearch
def test_incremental_reindex_swap_and_rejection(tmp_path: Path) -> None:
    url = _cluster_url()
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(focal_page("Alpha pipelines", None, ["Pipelines cross."]))
    (corpus / "b.txt").write_text(focal_page("Beta tariffs", None, ["Tariffs rose."]))
    engine = OpenSearchEngine(f"{url}/{_new_name()}")
    local = LocalEngine(tmp_path / "index")
    try:
        first = engine.sync(corpus)
        assert (first.full, first.added) == (True, 2)
        (corpus / "b.txt").write_text(focal_page("Beta tariffs", None, ["Tariffs fell sharply."]))
        (corpus / "c.txt").write_text(focal_page("Gamma quotas", None, ["Quotas held."]))
        (corpus / "a.txt").unlink()
        local.sync(corpus)  # the local index sees the corpus as it is now...
        report = engine.sync(corpus)
        assert (report.full, report.added, report.updated, report.removed) == (False, 1, 1, 1)
        assert _ids(engine, "sharply") == ["b.txt"] and _ids(engine, "pipelines") == []
        assert engine.sync(corpus).unchanged == 2  # nothing to do the second time

        before = engine.physical()
        rebuilt = engine.sync(corpus, full=True)
        after = engine.physical()
        assert rebuilt.full and len(after) == 1 and after != before
        assert not engine.client.indices.exists(index=before[0])  # the old one is gone
        assert sorted(_ids(engine, "quotas OR tariffs")) == ["b.txt", "c.txt"]

        # The cluster refuses writes: each rejected document is named, the run fails...
        engine.client.indices.put_settings(
            index=after[0], body={"index": {"blocks": {"write": True}}}
        )
        (corpus / "d.txt").write_text(focal_page("Delta levies", None, ["Levies went up."]))
        result = CliRunner().invoke(app, ["reindex", "--corpus", str(corpus), "--index",
                                          engine.location.display])  # fmt: skip
        assert result.exit_code == 2
        assert "rejected" in result.stderr and "d.txt" in result.stderr
        assert "Traceback" not in result.stderr
        # ...and once the cause is gone, a rerun converges.
        engine.client.indices.put_settings(
            index=after[0], body={"index": {"blocks": {"write": False}}}
        )
        assert engine.sync(corpus).added == 1
        assert _ids(engine, "levies") == ["d.txt"]

        # Split over two machines: each part handles its own files, none are lost.
        (corpus / "e.txt").write_text(focal_page("Epsilon fees", None, ["Fees stayed."]))
        done = sum(engine.sync(corpus, part=(k, 2)).added for k in (1, 2))
        assert done == 1 and _ids(engine, "fees") == ["e.txt"]
        # A first run with --part creates the index; the other parts fill it.
        split = OpenSearchEngine(f"{url}/{_new_name()}")
        try:
            added = [split.sync(corpus, part=(k, 2)).added for k in (1, 2)]
            names = sorted(p.name for p in corpus.glob("*.txt"))
            assert added == [sum(part_of(n, (k, 2)) for n in names) for k in (1, 2)]
            everything = "tariffs OR quotas OR levies OR fees"
            assert sorted(_ids(split, everything)) == ["b.txt", "c.txt", "d.txt", "e.txt"]
        finally:
            _drop(split)
        with pytest.raises(IndexMissing):
            OpenSearchEngine(f"{url}/{_new_name()}").count("x")
    finally:
        _drop(engine)
        local.close()


@pytest.mark.opensearch
def test_queries_answer_with_one_node_down(both: tuple[LocalEngine, Any]) -> None:
    """With one replica, stopping the second node loses no answer (node 1 serves)."""
    _, remote = both
    ours = subprocess.run([str(SCRIPT), "url"], capture_output=True, text=True, timeout=30)
    running = subprocess.run([str(SCRIPT), "status"], capture_output=True, text=True, timeout=30)
    if ours.stdout.strip() != _cluster_url() or running.stdout.strip() == "stopped":
        pytest.skip("the cluster was not started by scripts/opensearch-cluster: not ours to stop")
    health = f"{_cluster_url()}/_cluster/health?wait_for_status=green&timeout=60s"
    with urllib.request.urlopen(health, timeout=70) as answer:
        assert json.load(answer)["status"] == "green"
    want = sorted(_ids(remote, "border"))
    subprocess.run([str(SCRIPT), "stop-node", "2"], check=True, timeout=60)
    try:
        fresh = OpenSearchEngine(remote.location.display)
        assert sorted(_ids(fresh, "border")) == want
        assert fresh.count("trade") == remote.count("trade")
        fresh.close()
    finally:
        subprocess.run([str(SCRIPT), "start-node", "2"], check=True, timeout=240)


ANALYSED = [
    ("en", "America's borders, the U.S. and Canada's smugglers: running crossings"),
    # Words Whoosh's own Snowball port stemmed unlike Snowball ("ionize", "ind").
    ("en", "Ionization, communization and the baptizers; irrationally gradational"),
    ("fr", "Une indicatrice, des applicatrices fabricatrices"),
    ("en", "Mérida Initiative; Haïti’s naïve coöperation — 2009-03 élan"),
    ("fr", "Les élections présidentielles: l’économie, la frontière et les États-Unis"),
    ("es", "Las fronteras de México y la migración centroamericana; señoras, niños"),
    ("und", "Zürich Straße Ærø façade"),
    ("en", "Decomposed: e\u0301lan cafe\u0301s; snake_case U.S.A. 3.5% x’s ½ Ⅻ"),
    ("fr", "Qu’est-ce que l'Amérique? Œuvre, cœur, déjà-vu, garçons’s"),
]


@pytest.mark.opensearch
@pytest.mark.parametrize(("lang", "text"), ANALYSED)
def test_cluster_analysis_matches_ours(both: tuple[LocalEngine, Any], lang: str, text: str) -> None:
    from focal_search.analysis import text_analyzer

    _, remote = both
    ours = [t.text for t in text_analyzer(lang)(text)]
    found = remote.client.indices.analyze(
        index=remote.name, body={"analyzer": f"focal_{lang}", "text": text}
    )
    assert [t["token"] for t in found["tokens"]] == ours
