"""Where an OpenSearch index is: its URL taken apart, credentials kept out of messages.

``http(s)://[user:password@]host[:port]/NAME``; the credentials may instead come from
FOCAL_SEARCH_OPENSEARCH_USER / _PASSWORD, a CA bundle from FOCAL_SEARCH_OPENSEARCH_CA.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from ..errors import FocalSearchError

USER_ENV = "FOCAL_SEARCH_OPENSEARCH_USER"
PASSWORD_ENV = "FOCAL_SEARCH_OPENSEARCH_PASSWORD"
CA_ENV = "FOCAL_SEARCH_OPENSEARCH_CA"


@dataclass(frozen=True)
class ClusterLocation:
    """An index URL taken apart; ``display`` never holds a credential."""

    scheme: str
    host: str
    port: int
    name: str
    user: str | None
    password: str | None
    ca_certs: str | None

    @property
    def display(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}/{self.name}"


def parse_location(url: str) -> ClusterLocation:
    """``http(s)://[user:password@]host[:port]/NAME`` -> its parts (env vars fill in
    the credentials and CA bundle); FocalSearchError naming what is wrong."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as err:
        raise FocalSearchError(
            f"invalid OpenSearch URL {_mask(url)!r}: {err}",
            hint="spell it http://HOST:9200/INDEX",
        ) from None
    scheme = parts.scheme.lower()
    name = parts.path.strip("/")
    if scheme not in ("http", "https") or not parts.hostname:
        raise FocalSearchError(
            f"invalid OpenSearch URL {_mask(url)!r}", hint="spell it http://HOST:9200/INDEX"
        )
    if not name:
        raise FocalSearchError(
            f"the OpenSearch URL {_mask(url)!r} names no index",
            hint="add the index name: http://HOST:9200/focal",
        )
    bad = set('\\/*?"<>| ,#:') & set(name)
    if bad or name != name.lower() or name.startswith(("-", "_", "+")) or name in (".", ".."):
        raise FocalSearchError(
            f"{name!r} is not a valid OpenSearch index name",
            hint="use lowercase letters, digits, - and _ (e.g. focal)",
        )
    user = unquote(parts.username) if parts.username else os.environ.get(USER_ENV) or None
    password = unquote(parts.password) if parts.password else os.environ.get(PASSWORD_ENV) or None
    return ClusterLocation(
        scheme=scheme,
        host=parts.hostname,
        port=port or 9200,
        name=name,
        user=user,
        password=password,
        ca_certs=os.environ.get(CA_ENV) or None,
    )


def _mask(url: str) -> str:
    """The URL with any password replaced, for messages."""
    head, sep, rest = url.partition("://")
    if not sep or "@" not in rest.split("/", 1)[0]:
        return url
    userinfo, _, host = rest.partition("@")
    user = userinfo.split(":", 1)[0]
    return f"{head}://{user}:***@{host}"
