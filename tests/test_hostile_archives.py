"""Hostile archive files, one class at a time (issue 11, "Archives"): a bad URL, a
decompression bomb, a file with no line breaks, a tag with a million attributes, a
bad JSON line, a control-character reference, a symlink out of the corpus, a cut-off
capture. Each must cost one file at most, with one line saying why; bombs and
pathological inputs are read in a child process with loose memory and time bounds.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from focal_search import extract
from focal_search.cli import app
from focal_search.extract import CannotOpen, CorpusFile, ReadLog, SkipFile, load_source
from focal_search.extract.failures import describe
from focal_search.extract.location import canonical_url, valid_url
from focal_search.index import open_index, sync_index
from focal_search.search import Searcher

from .archive_fixtures import Warc, html_page
from .conftest import WriteCorpus, focal_page
from .hostile import gzip_repeating, warc_headers

TEXT = [
    "Trade between Canada and Mexico grew through the decade, and the border agencies "
    "of both countries met every spring to compare their inspection rules."
]
MB = 1024 * 1024
# Loose bounds for one hostile file read in a child process (measured: well under a
# second and about 50 MB for each, plus the parsers' import).
MAX_RSS_MB = 400
MAX_SECONDS = 10.0

# Reads corpus files in a fresh interpreter (one, so that the parsers are imported
# once); prints for each what came of it, the time its read took, and the peak memory
# of the process so far.
CHILD = """
import json, resource, sys, time
from pathlib import Path
from focal_search.extract import CorpusFile, ReadLog, SkipFile, load_source
import focal_search.extract.html_page, trafilatura  # imports are not a read's cost
for name in sys.argv[1:]:
    path = Path(name)
    st = path.stat()
    log = ReadLog()
    started = time.monotonic()
    articles, skipped = 0, None
    try:
        _, found = load_source(CorpusFile(name, path.name, st.st_size, st.st_mtime_ns), log)
        articles = sum(1 for _ in found)
    except SkipFile as skip:
        skipped = str(skip)
    print(json.dumps({
        "name": path.name,
        "seconds": time.monotonic() - started,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "articles": articles, "skipped": skipped, "warnings": log.warnings,
    }), flush=True)
"""


def read_in_child(*paths: Path) -> dict[str, dict[str, object]]:
    """Read ``paths`` in a child process: file name -> its outcome, time and the
    peak memory so far (each under the loose bounds)."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    results = {}
    for line in done.stdout.splitlines():
        result = json.loads(line)
        assert result["rss_mb"] < MAX_RSS_MB, result
        assert result["seconds"] < MAX_SECONDS, result
        results[result["name"]] = result
    return results


def read(path: Path) -> tuple[list[str], ReadLog]:
    """Article URLs from one file, read in this process."""
    st = path.stat()
    log = ReadLog()
    _, found = load_source(CorpusFile(str(path), path.name, st.st_size, st.st_mtime_ns), log)
    return [a.url or "" for a in found], log


def page_record(url: str = "http://a.org/1") -> bytes:
    return Warc(gzip=False).response(url, html_page("First page", TEXT)).bytes()


# -- 1. one bad URL ----------------------------------------------------------------------

BAD_URLS = ["http://example.org:99999/x", "http://example.org:port/x", "http://[::1/x"]


def test_url_check_is_total() -> None:
    for url in BAD_URLS:
        assert valid_url(url) is None
        assert canonical_url(url)  # a key of its own, no ValueError
    assert valid_url("https://www.focal.ca:8080/a?b=1") == "https://www.focal.ca:8080/a?b=1"


def test_bad_urls_drop_the_url_keep_the_article(write_corpus: WriteCorpus, tmp_path: Path) -> None:
    lines = [json.dumps({"id": str(i), "text": TEXT[0], "url": u}) for i, u in enumerate(BAD_URLS)]
    warc = Warc()
    for url in BAD_URLS:
        warc.response(url, html_page(f"Page at {url}", TEXT))
    corpus = write_corpus(
        {
            "lines.jsonl": "\n".join(lines) + "\n",
            "capture.warc.gz": warc.bytes(),
            "canonical.html": html_page("Canonical", TEXT, canonical=BAD_URLS[0]),
            "example.org:99999/en/mirrored.html": html_page("Mirrored", TEXT),
        }
    )
    warnings: list[tuple[str, str]] = []
    report = sync_index(corpus, tmp_path / "ix", on_warning=lambda p, w: warnings.append((p, w)))
    assert report.articles == 3 + 3 + 1 + 1 and not report.skipped
    # One warning per file, however many URLs it dropped.
    assert sorted(Path(p).name for p, _ in warnings) == [
        "canonical.html",
        "capture.warc.gz",
        "lines.jsonl",
        "mirrored.html",
    ]
    assert all("invalid URL" in w for _, w in warnings)
    with open_index(tmp_path / "ix") as ix, ix.whoosh.searcher() as s:
        assert not any(doc.get("url") for doc in s.all_stored_fields())


def test_bad_url_on_the_command_line_warns_once(write_corpus: WriteCorpus, tmp_path: Path) -> None:
    corpus = write_corpus(
        {"a.jsonl": json.dumps({"id": "1", "text": TEXT[0], "url": "http://[::1/x"}) + "\n"}
    )
    result = CliRunner().invoke(
        app, ["reindex", "--corpus", str(corpus), "--index", str(tmp_path / "ix")]
    )
    assert result.exit_code == 0, result.output
    assert "internal error" not in result.stderr
    assert [line for line in result.stderr.splitlines() if "a.jsonl" in line] == [
        f"focal-search: warning: {str(corpus / 'a.jsonl')!r}: 1 invalid URL dropped "
        "(such as 'http://[::1/x'); the articles are kept"
    ]


# -- 2. decompression bombs ------------------------------------------------------------


def write_hostile_inputs(folder: Path) -> list[Path]:
    """Bombs and pathological files, each a few MB at most on disk."""
    files = {
        # A valid record, then 1 GiB without a line break: about 1 MB compressed.
        "line-bomb.warc.gz": gzip_repeating(page_record(), b"a" * MB, 1024),
        # 0.5 MB of gzip inflating to 512 MiB of zeros.
        "zeros.warc.gz": gzip_repeating(b"", b"\0" * MB, 512),
        # A well-formed record announcing 600 MiB of zeros (not a page: warcio reads it
        # through to reach the next record); the file may expand 256 MiB at most.
        "huge-record.warc.gz": gzip_repeating(
            page_record()
            + warc_headers("resource", "http://a.org/blob", 600 * MB, "application/octet-stream"),
            b"\0" * MB,
            600,
        ),
        # A header block that never ends (112 MiB of header lines).
        "headers.warc.gz": gzip_repeating(
            b"WARC/1.0\r\nWARC-Type: response\r\n", b"X-Padding: 1\r\n" * 4096, 2048
        ),
        # 32 MB of junk without line breaks, not compressed.
        "junk.warc": b"WARC/1.0 " + b"x" * (32 * MB),
    }
    # 400,000 unterminated escape sequences in an article's text (quadratic to clean
    # before: 16 s for 20,000).
    text = "NORAD " + "\x1b]x" * 400_000
    files["escapes.jsonl"] = json.dumps({"id": "1", "text": text}).encode() + b"\n"
    for attributes in (100_000, 1_000_000):
        names = " ".join(f"a{i}=x" for i in range(attributes))
        page = f"<html><body><div {names}>x</div><p>{TEXT[0]}</p></body></html>"
        files[f"attributes-{attributes}.html"] = page.encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("archive/data.warc.gz", files["line-bomb.warc.gz"], zipfile.ZIP_STORED)
    files["bomb.wacz"] = out.getvalue()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return [folder / name for name in files]


@pytest.fixture(scope="module")
def hostile_reads(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    folder = tmp_path_factory.mktemp("hostile")
    results = read_in_child(*write_hostile_inputs(folder))
    for path in folder.iterdir():  # 1.3 GB of hostile input needs no keeping
        path.unlink()
    return results


def test_gzip_bomb_without_line_breaks_is_cut_off(
    hostile_reads: dict[str, dict[str, object]],
) -> None:
    result = hostile_reads["line-bomb.warc.gz"]
    assert result["articles"] == 1  # the page before the bomb is kept
    assert result["warnings"] == [
        "stopped after 1 records: a line of over 256 KB without a line break (not WARC data)"
    ]


def test_gzip_of_zeros_is_refused(hostile_reads: dict[str, dict[str, object]]) -> None:
    result = hostile_reads["zeros.warc.gz"]
    assert result["skipped"] == "a line of over 256 KB without a line break (not WARC data)"


def test_bomb_inside_a_wacz_is_cut_off(hostile_reads: dict[str, dict[str, object]]) -> None:
    result = hostile_reads["bomb.wacz"]
    assert result["articles"] == 1
    assert result["warnings"] == [
        "archive/data.warc.gz: stopped after 1 records: a line of over 256 KB without a "
        "line break (not WARC data)"
    ]


def test_one_huge_record_is_bounded_by_the_expansion_budget(
    hostile_reads: dict[str, dict[str, object]],
) -> None:
    result = hostile_reads["huge-record.warc.gz"]
    assert result["articles"] == 1
    assert result["warnings"] == [
        "stopped after 2 records: expands beyond 256 MB (a decompression bomb?)"
    ]


def test_endless_header_block_is_refused(hostile_reads: dict[str, dict[str, object]]) -> None:
    result = hostile_reads["headers.warc.gz"]
    assert result["skipped"] == "a header block of over 1 MB (not WARC data)"


def test_wacz_listing_too_many_files_is_refused_before_listing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from focal_search.extract import warc

    monkeypatch.setattr(warc, "MAX_WACZ_ENTRIES", 5)
    path = tmp_path / "many.wacz"
    with zipfile.ZipFile(path, "w") as z:
        for n in range(6):
            z.writestr(f"archive/{n}.warc", b"")
    with pytest.raises(SkipFile, match="too many files"):
        read(path)


# -- 3. skipped files are remembered -----------------------------------------------------


def test_skipped_file_is_not_read_again_until_it_changes(
    write_corpus: WriteCorpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = write_corpus(
        {"good.txt": focal_page("Kept", "Ann Lee", TEXT), "bad.warc": b"not a capture\n" * 10}
    )
    reads: list[str] = []
    real = extract.load_source

    def counting(file: CorpusFile, log: ReadLog):  # type: ignore[no-untyped-def]
        reads.append(file.id)
        return real(file, log)

    monkeypatch.setattr(extract, "load_source", counting)
    first = sync_index(corpus, tmp_path / "ix")
    assert reads == ["bad.warc", "good.txt"]
    assert [Path(p).name for p, _ in first.skipped] == ["bad.warc"]
    reason = first.skipped[0][1]

    reads.clear()
    again = sync_index(corpus, tmp_path / "ix")  # a no-op reindex
    assert reads == []
    assert again.skipped == [(str(corpus / "bad.warc"), f"{reason} (unchanged, skipped before)")]
    assert again.articles == 1 and not again.changed

    reads.clear()
    bad = corpus / "bad.warc"
    st = bad.stat()
    os.utime(bad, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # touched
    touched = sync_index(corpus, tmp_path / "ix")
    assert reads == ["bad.warc"] and touched.skipped[0][1] == reason

    reads.clear()
    bad.write_bytes(Warc(gzip=False).response("http://a.org/p", html_page("Fixed", TEXT)).bytes())
    fixed = sync_index(corpus, tmp_path / "ix")
    assert reads == ["bad.warc"] and not fixed.skipped and fixed.articles == 2

    reads.clear()
    assert not sync_index(corpus, tmp_path / "ix").skipped and reads == []


def test_unreadable_file_is_retried_even_unchanged(
    write_corpus: WriteCorpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A permission problem is not the content's fault, and fixing it (chmod) changes
    # no stamp: such a file is read again on the next run.
    import focal_search.extract as extract

    corpus = write_corpus({"locked.txt": focal_page("Locked", "Ann Lee", TEXT)})
    real_open = extract._open

    def denied(file: CorpusFile):  # type: ignore[no-untyped-def]
        raise CannotOpen("cannot read: Permission denied")

    monkeypatch.setattr(extract, "_open", denied)
    assert sync_index(corpus, tmp_path / "ix").skipped[0][1] == "cannot read: Permission denied"
    monkeypatch.setattr(extract, "_open", real_open)
    report = sync_index(corpus, tmp_path / "ix")
    assert report.articles == 1 and not report.skipped


# -- 4. linear parsing ---------------------------------------------------------------------


def test_uncompressed_junk_without_line_breaks_is_refused_quickly(
    hostile_reads: dict[str, dict[str, object]],
) -> None:
    result = hostile_reads["junk.warc"]
    assert result["skipped"] == "a line of over 256 KB without a line break (not WARC data)"
    assert float(str(result["seconds"])) < 2.0  # 8 s at 16 MB and 49 s at 32 MB before


@pytest.mark.parametrize("attributes", [100_000, 1_000_000])
def test_tag_with_a_huge_number_of_attributes_is_refused(
    hostile_reads: dict[str, dict[str, object]], attributes: int
) -> None:
    result = hostile_reads[f"attributes-{attributes}.html"]
    assert result["skipped"] == "HTML with a tag of over 1,000 attributes"
    assert float(str(result["seconds"])) < 3.0  # 220 s at 100k before


def test_unterminated_escape_sequences_are_cleaned_in_linear_time(
    hostile_reads: dict[str, dict[str, object]],
) -> None:
    result = hostile_reads["escapes.jsonl"]
    assert result["articles"] == 1 and float(str(result["seconds"])) < 5.0


def test_ordinary_attributes_and_quoted_text_are_not_counted_as_attributes(
    tmp_path: Path,
) -> None:
    # A long alt text, many words in quotes, is one attribute.
    alt = " ".join(["word"] * 5000)
    path = tmp_path / "alt.html"
    path.write_text(html_page("With a long alt", TEXT).replace("<h1>", f'<img alt="{alt}"><h1>'))
    urls, _ = read(path)
    assert len(urls) == 1


def test_too_many_tags_are_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "tags.html"
    path.write_text("<html><body>" + "<b>x</b>" * 250_000 + "</body></html>")
    with pytest.raises(SkipFile, match="over 400,000 tags"):
        read(path)


# -- 5. one bad JSON line ------------------------------------------------------------------


def test_bad_json_lines_are_counted_and_the_rest_kept(
    write_corpus: WriteCorpus, tmp_path: Path
) -> None:
    lines = [
        json.dumps({"id": "first", "text": "The first record about NORAD."}),
        "[" * 100_000,  # nested too deeply: RecursionError in the parser
        "{not json",
        json.dumps({"id": {"nested": True}, "text": "An id that is an object."}),
        json.dumps({"id": "no-text", "text": 5}),
        json.dumps(
            {
                "id": "odd-fields",
                "text": "Odd optional fields about NORAD.",
                "title": ["not", "text"],
                "authors": [{"name": "X"}, "Ann Lee"],
                "date": {"year": 2010},
                "lang": 7,
            }
        ),
        json.dumps({"id": "last", "text": "The last record about NORAD."}),
    ]
    corpus = write_corpus({"export.jsonl": "\n".join(lines) + "\n"})
    report = sync_index(corpus, tmp_path / "ix")
    assert not report.skipped and report.articles == 3
    assert report.records_skipped == {
        "JSON line nested too deeply": 1,
        "line not valid JSON": 1,
        "JSON record with unusable fields": 1,
        "JSON record without id or text": 1,
    }
    with open_index(tmp_path / "ix") as ix, Searcher(ix) as s:
        assert s.search("NORAD").total == 3
        odd = s.article("export.jsonl#odd-fields").article
        assert (odd.title, odd.authors, odd.date) == ("", ["Ann Lee"], None)


def test_json_line_over_the_limit_is_passed_over_without_being_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from focal_search.extract import records

    monkeypatch.setattr(records, "MAX_LINE_BYTES", 1000)
    path = tmp_path / "long.jsonl"
    long_line = json.dumps({"id": "long", "text": "x" * 5000})
    path.write_text(long_line + "\n" + json.dumps({"id": "ok", "text": "Short."}) + "\n")
    urls, log = read(path)
    assert len(urls) == 1 and log.skipped == {"JSON line too long": 1}


# -- 6. control-character references -----------------------------------------------------


@pytest.mark.parametrize("ref", ["&#1;", "&#x1;", "&#x0001", "&#31;", "&#x1F;"])
def test_control_reference_does_not_empty_the_page(tmp_path: Path, ref: str) -> None:
    path = tmp_path / "page.html"
    # "later": no hex digit may follow a reference without its ';' (it would be
    # part of the number, as &#x0001a is U+001A)
    text = [TEXT[0], f"Before{ref}later, and &#100;&#x1f0; stay."]
    path.write_text(html_page("Control references", text))
    st = path.stat()
    _, found = load_source(CorpusFile(str(path), path.name, st.st_size, st.st_mtime_ns), ReadLog())
    (article,) = list(found)
    assert "Beforelater, and d\u01f0 stay." in article.body


# -- 7. symlinks --------------------------------------------------------------------------


def test_symlink_out_of_the_corpus_is_not_followed(
    write_corpus: WriteCorpus, tmp_path: Path
) -> None:
    corpus = write_corpus({"inside/real.txt": focal_page("Inside", "Ann Lee", TEXT)})
    outside = tmp_path / "private.txt"
    outside.write_text(focal_page("Private notes", "Bo Ray", ["Nothing for the index."]))
    os.symlink(outside, corpus / "escape.txt")
    os.symlink("inside/real.txt", corpus / "alias.txt")  # inside: read as before
    report = sync_index(corpus, tmp_path / "ix")
    assert report.skipped == [(str(corpus / "escape.txt"), "symlink to a file outside the corpus")]
    with open_index(tmp_path / "ix") as ix, Searcher(ix) as s:
        assert s.search("private").total == 0
        assert s.search("inside").total == 2


def test_corpus_reached_through_a_symlink_still_works(tmp_path: Path) -> None:
    real = tmp_path / "real-corpus"
    real.mkdir()
    (real / "a.txt").write_text(focal_page("Linked corpus", "Ann Lee", TEXT))
    os.symlink("a.txt", real / "b.txt")
    os.symlink(real, tmp_path / "corpus")
    report = sync_index(tmp_path / "corpus", tmp_path / "ix")
    assert report.articles == 2 and not report.skipped


# -- 8. no internal error text as a reason ------------------------------------------------


def test_cut_off_captures_give_human_reasons(tmp_path: Path) -> None:
    page = f"<html><body><p>{TEXT[0]}</p></body></html>"
    capture = Warc().response("http://a.org/1", page).response("http://a.org/2", page).bytes()
    plain = Warc(gzip=False).response("http://a.org/1", page).bytes()
    reasons: set[str] = set()
    for name, data in (("cut.warc.gz", capture), ("cut.warc", plain)):
        for cut in range(1, len(data), 5):
            path = tmp_path / name
            path.write_bytes(data[:cut])
            try:
                _, log = read(path)
            except SkipFile as skip:
                reasons.add(str(skip))
            else:
                reasons.update(log.warnings)
                reasons.update(log.skipped)
    assert reasons
    for reason in reasons:
        assert "Error" not in reason and "object" not in reason and "[" not in reason, reason


def test_reader_exceptions_map_to_short_reasons(monkeypatch: pytest.MonkeyPatch) -> None:
    import zlib

    cases = {
        AttributeError("'NoneType' object has no attribute 'startswith'"): "damaged or truncated",
        zlib.error("Error -3 while decompressing data"): "damaged compressed data",
        EOFError(): "truncated",
        RecursionError(): "nested too deeply",
        PermissionError(13, "Permission denied"): "cannot read: Permission denied",
    }
    for err, reason in cases.items():
        text = describe(err)
        assert text.startswith(reason) and "Error" not in text and "object" not in text
    monkeypatch.setenv("FOCAL_SEARCH_DEBUG", "1")
    assert "AttributeError" in describe(AttributeError("x"))  # for bug reports only


def test_warc_gzipped_whole_is_read_to_the_end(tmp_path: Path) -> None:
    # Not one gzip member per record (warcio alone stops after the first record): the
    # records inside the member are named by the member and their place in it.
    records = Warc(gzip=False)
    for n in range(3):
        records.response(f"http://a.org/{n}", html_page(f"Page {n}", TEXT))
    path = tmp_path / "whole.warc.gz"
    path.write_bytes(gzip.compress(records.bytes()))
    st = path.stat()
    _, found = load_source(CorpusFile(str(path), path.name, st.st_size, st.st_mtime_ns), ReadLog())
    ids = [a.id for a in found]
    assert len(ids) == 3 and ids[0] == "whole.warc.gz#0"
    assert all(i.startswith("whole.warc.gz#0+") for i in ids[1:])
