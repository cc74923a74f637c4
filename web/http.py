"""HTTP plumbing shared by the blueprints: cached answers, revalidation, gzip, CORS.

Everything a route answers from the catalogue is rendered once per catalogue
snapshot into a :class:`Cached` answer (body, validators, headers). Answering
again is a header comparison on the WSGI environ: no template, no hashing,
and — through :class:`FastPath` — not even Flask's routing.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any

from flask import Response, request
from werkzeug.http import http_date, parse_accept_header
from werkzeug.routing import BaseConverter

from podcaster.errors import PodcasterError

# Under this size gzip saves too little to be worth the CPU.
_GZIP_MIN_BYTES = 1024
Headers = tuple[tuple[str, str], ...]


@dataclass
class Body:
    """A rendered response body with its validators; the gzip form is made on first demand."""

    data: bytes
    content_type: str
    last_modified: datetime | None = None
    etag: str = ""
    _gzipped: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.etag:
            # A strong validator: the content's own hash, so equal bytes give equal ETags across restarts.
            self.etag = hashlib.sha256(self.data).hexdigest()[:32]

    @property
    def gzipped(self) -> bytes:
        if self._gzipped is None:
            # mtime=0: the same bytes every time, so the gzip form's ETag is stable too.
            self._gzipped = gzip.compress(self.data, compresslevel=6, mtime=0)
        return self._gzipped


@dataclass
class Cached:
    """A body and every header it is answered with, ready to serve many times."""

    body: Body
    max_age: int
    vary: tuple[str, ...] = ()
    always: Headers = ()  # on every answer, 304 included (CORS for feeds…)
    full_only: Headers = ()  # only with the body (Content-Security-Policy…)
    _common: Headers = field(init=False, repr=False)
    _last_modified: str | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._common = (
            ("Cache-Control", f"public, max-age={self.max_age}"),
            ("Vary", ", ".join(("Accept-Encoding", *self.vary))),
            *self.always,
        )
        modified = self.body.last_modified
        self._last_modified = http_date(modified) if modified is not None else None

    def answer(self, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
        """Status, headers and body for this request: 304 when current, gzip when asked."""
        body = self.body
        zipped = len(body.data) >= _GZIP_MIN_BYTES and accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", ""))
        headers = [("ETag", f'"{body.etag}-gz"' if zipped else f'"{body.etag}"'), *self._common]
        if not_modified(environ, body):
            return 304, headers, b""
        if self._last_modified is not None:
            headers.append(("Last-Modified", self._last_modified))
        data = body.gzipped if zipped else body.data
        headers += [("Content-Type", body.content_type), ("Content-Length", str(len(data))), *self.full_only]
        if zipped:
            headers.append(("Content-Encoding", "gzip"))
        return 200, headers, data


def respond(cached: Cached, extra: Iterable[tuple[str, str]] = ()) -> Response:
    """The Flask response for *cached* (HEAD drops the body itself)."""
    status, headers, data = cached.answer(request.environ)
    headers.extend(extra)
    return Response(data, status=status, headers=headers)


def not_modified(environ: dict[str, Any], body: Body) -> bool:
    """Whether the client's If-None-Match (or, without it, If-Modified-Since) says its copy is current."""
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:
        return _etag_matches(if_none_match, body.etag)
    if_modified_since = environ.get("HTTP_IF_MODIFIED_SINCE")
    if if_modified_since and body.last_modified is not None:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            return False
        return int(body.last_modified.timestamp()) <= int(since.timestamp())
    return False


def _etag_matches(header: str, etag: str) -> bool:
    # Weak comparison (RFC 9110 §13.1.2): W/ prefixes ignored; the gzip form is the same content.
    for candidate in header.split(","):
        tag = candidate.strip()
        if tag == "*":
            return True
        tag = tag.removeprefix("W/").strip('"')
        if tag == etag or tag == etag + "-gz":
            return True
    return False


def accepts_gzip(header: str) -> bool:
    if "gzip" not in header:
        return False
    return parse_accept_header(header)["gzip"] > 0


# Longer than any real season, width or height, and far below int()'s 4,300-digit limit.
_MAX_DIGITS = 9


def parse_count(raw: str) -> int | None:
    """The number *raw* spells in ASCII digits (at most nine), else ``None``: "²", "٣" and 5,000 digits are not numbers here."""
    if not raw or len(raw) > _MAX_DIGITS or not (raw.isascii() and raw.isdigit()):
        return None
    return int(raw)


class CountConverter(BaseConverter):
    """``<count:n>`` in a route: ASCII digits only, at most nine (Werkzeug's ``int`` takes any Unicode digit, any length)."""

    regex = rf"[0-9]{{1,{_MAX_DIGITS}}}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: object) -> str:
        return str(int(value))  # type: ignore[call-overload]


def cors_headers(origin: str | None, allowed: frozenset[str]) -> dict[str, str]:
    """The CORS headers for a request from *origin*: none unless the origin is allowed."""
    if "*" in allowed:
        return {"Access-Control-Allow-Origin": "*"}
    if origin and origin in allowed:
        return {"Access-Control-Allow-Origin": origin}
    return {}


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_STATUS_LINES = {
    status.value: f"{status.value} {status.phrase}" for status in (HTTPStatus.OK, HTTPStatus.NOT_MODIFIED)
}


class FastPath:
    """WSGI middleware: a GET or HEAD for a URL whose answer is cached is served without entering Flask.

    Only the views fill the cache (under the URL's path, for answers that
    depend on nothing but the path), so routing, 404s and errors stay
    Flask's; this layer only skips re-entering the framework for what was
    already answered once. Like WhiteNoise for static files, it is what
    lets a feed revalidation (304) cost less than a "hello" view.
    """

    def __init__(self, app: WSGIApp, lookup: Callable[[str], Cached | None]) -> None:
        self.app = app
        self.lookup = lookup

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if (method == "GET" or method == "HEAD") and not environ.get("QUERY_STRING"):
            try:
                cached = self.lookup(
                    environ.get("SCRIPT_NAME", "").rstrip("/") + environ.get("PATH_INFO", "")
                )
            except PodcasterError:
                cached = None  # Flask shows the error page
            if cached is not None:
                status, headers, data = cached.answer(environ)
                start_response(_STATUS_LINES[status], headers)
                return [] if method == "HEAD" or status == 304 else [data]
        return self.app(environ, start_response)
