"""Builders for web-archive fixtures: HTML pages, WARC(.gz) files and WACZ packages."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


def html_page(
    title: str,
    paragraphs: list[str],
    *,
    author: str | None = None,
    lang: str | None = "en",
    date: str | None = None,
    canonical: str | None = None,
    charset: str | None = "utf-8",
    site: str = "FOCAL",
) -> str:
    """A page in the shape of an archived site: header, nav, sidebar, article, footer."""
    head = [f"<title>{title} | {site}</title>"]
    if charset:
        head.append(f'<meta charset="{charset}">')
    if author:
        head.append(f'<meta name="author" content="{author}">')
    if date:
        head.append(f'<meta property="article:published_time" content="{date}">')
    if canonical:
        head.append(f'<link rel="canonical" href="{canonical}">')
    head.append("<style>.menu{color:red}</style><script>var trackingCode='zzscript';</script>")
    nav = "".join(f'<li><a href="/s{i}">Section {i} menu item</a></li>' for i in range(8))
    byline = f'<p class="byline">{author}</p>' if author else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    lang_attr = f' lang="{lang}"' if lang else ""
    return (
        f"<!DOCTYPE html><html{lang_attr}><head>{''.join(head)}</head><body>"
        f'<header><div class="logo">Canadian Foundation for the Americas</div>'
        f"<nav><ul>{nav}</ul></nav></header>"
        f'<div id="main"><article><h1>{title}</h1>{byline}{body}</article>'
        '<aside class="sidebar"><h3>A View of the Hemisphere</h3>'
        "<p>Explore the link between governance and development.</p>"
        '<ul><li><a href="/p1">Sidebar link to another publication</a></li></ul></aside></div>'
        "<footer><p>Copyright FOCAL 2011. All rights reserved.</p>"
        "<p>Privacy Policy | Contact us</p></footer>"
        "<script>console.log('zzscript')</script></body></html>"
    )


@dataclass
class Warc:
    """Records to write into a WARC file."""

    gzip: bool = True
    records: list[tuple] = field(default_factory=list)

    def response(
        self,
        url: str,
        body: bytes | str,
        *,
        status: str = "200 OK",
        content_type: str = "text/html; charset=utf-8",
        date: str = "2010-01-01T00:00:00Z",
        headers: list[tuple[str, str]] | None = None,
    ) -> Warc:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.records.append(("response", url, data, status, content_type, date, headers or []))
        return self

    def revisit(self, url: str, date: str = "2011-01-01T00:00:00Z") -> Warc:
        self.records.append(("revisit", url, b"", "200 OK", "text/html", date, []))
        return self

    def bytes(self) -> bytes:
        out = io.BytesIO()
        writer = WARCWriter(out, gzip=self.gzip)
        for kind, url, data, status, content_type, date, extra in self.records:
            http = StatusAndHeaders(
                status, [("Content-Type", content_type), *extra], protocol="HTTP/1.1"
            )
            if kind == "revisit":
                record = writer.create_revisit_record(
                    url,
                    digest="sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                    refers_to_uri=url,
                    refers_to_date="2010-01-01T00:00:00Z",
                    http_headers=http,
                    warc_headers_dict={"WARC-Date": date},
                )
            else:
                record = writer.create_warc_record(
                    url,
                    "response",
                    payload=io.BytesIO(data),
                    http_headers=http,
                    warc_headers_dict={"WARC-Date": date},
                )
            writer.write_record(record)
        return out.getvalue()


def wacz(warcs: dict[str, bytes]) -> bytes:
    """A WACZ package: a zip with the WARCs under archive/ and a datapackage.json."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in warcs.items():
            z.writestr(f"archive/{name}", data, compress_type=zipfile.ZIP_STORED)
        z.writestr("datapackage.json", '{"profile": "data-package", "resources": []}')
    return out.getvalue()
