"""HTTP plumbing shared by the blueprints: cached answers, revalidation, compression, CORS.

Everything a route answers from the catalogue is rendered once per catalogue
snapshot into a :class:`Cached` answer (body, validators, headers). Answering
again is a header comparison on the WSGI environ: no template, no hashing,
and — through :class:`FastPath` — not even Flask's routing.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any

import brotli
from flask import Response, request
from werkzeug.http import http_date, parse_accept_header
from werkzeug.routing import BaseConverter

from podcaster.errors import PodcasterError

# Under this size compression saves too little to be worth the CPU.
_GZIP_MIN_BYTES = 1024
Headers = tuple[tuple[str, str], ...]
# The ETag suffix of each compressed form: a validator names one representation (RFC 9110 §8.8.3).
_SUFFIXES = {"br": "-br", "gzip": "-gz"}
# Text worth compressing; audio, images other than SVG, and media/ never are.
_TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml", "image/svg+xml")
_TEXT_SUFFIXES = ("+xml", "+json")


def compress(data: bytes, coding: str, *, best: bool) -> bytes:
    """*data* in *coding* ("br" or "gzip"); *best* for bodies made once and served many times."""
    if coding == "br":
        return bytes(brotli.compress(data, quality=11 if best else 5))
    # mtime=0: the same bytes every time, so a compressed form's ETag is stable too.
    return gzip.compress(data, compresslevel=9 if best else 6, mtime=0)


def chosen_coding(header: str) -> str:
    """The content coding to answer with for this Accept-Encoding: "br", "gzip" or "" (none)."""
    if not header or ("br" not in header and "gzip" not in header):
        return ""
    accepted = parse_accept_header(header)
    if accepted["br"] > 0:
        return "br"
    if accepted["gzip"] > 0:
        return "gzip"
    return ""


def is_text(content_type: str) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind.startswith(_TEXT_TYPES) or kind.endswith(_TEXT_SUFFIXES)


@dataclass
class Body:
    """A rendered response body with its validators; the gzip form is made on first demand."""

    data: bytes
    content_type: str
    last_modified: datetime | None = None
    etag: str = ""
    _encoded: dict[str, bytes] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not self.etag:
            # A strong validator: the content's own hash, so equal bytes give equal ETags across restarts.
            self.etag = hashlib.sha256(self.data).hexdigest()[:32]

    def encoded(self, coding: str) -> bytes:
        """The body in *coding*, compressed once on first demand."""
        found = self._encoded.get(coding)
        if found is None:
            found = self._encoded.setdefault(coding, compress(self.data, coding, best=True))
        return found


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
        """Status, headers and body for this request: 304 when current, brotli or gzip when asked."""
        body = self.body
        coding = ""
        if len(body.data) >= _GZIP_MIN_BYTES and is_text(body.content_type):
            coding = chosen_coding(environ.get("HTTP_ACCEPT_ENCODING", ""))
        headers = [("ETag", f'"{body.etag}{_SUFFIXES.get(coding, "")}"'), *self._common]
        if not_modified(environ, body):
            return 304, headers, b""
        if self._last_modified is not None:
            headers.append(("Last-Modified", self._last_modified))
        data = body.encoded(coding) if coding else body.data
        headers += [("Content-Type", body.content_type), ("Content-Length", str(len(data))), *self.full_only]
        if coding:
            headers.append(("Content-Encoding", coding))
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
    # Weak comparison (RFC 9110 §13.1.2): W/ prefixes ignored; the compressed forms are the same content.
    for candidate in header.split(","):
        tag = candidate.strip()
        if tag == "*":
            return True
        tag = tag.removeprefix("W/").strip('"')
        if tag == etag or tag in (etag + suffix for suffix in _SUFFIXES.values()):
            return True
    return False


class Compressor:
    """Compress the text answers no :class:`Cached` body made: static files and error pages.

    An ``after_request`` hook. A static file (its URL carries its content
    hash) is compressed once and kept; a page made per request is
    compressed quickly each time. Media files never are: players ask for
    byte ranges of them, and audio does not shrink. Nor do the studio's
    pages: they carry a CSRF token beside what the editor typed, which
    compression would leak to an eavesdropper who can make requests (BREACH).
    """

    def __init__(self, skip_blueprints: frozenset[str], keep: int = 64) -> None:
        self.skip_blueprints = skip_blueprints
        self.keep = keep
        self._kept: dict[tuple[str, str], bytes] = {}
        self._lock = threading.Lock()

    def __call__(self, response: Response) -> Response:
        if request.blueprint in self.skip_blueprints or not is_text(response.content_type or ""):
            return response
        response.vary.add("Accept-Encoding")
        coding = chosen_coding(request.headers.get("Accept-Encoding", ""))
        if (
            not coding
            or response.status_code in (204, 206, 304)  # no body, or a range of the identity form
            or (response.is_streamed and not response.direct_passthrough)
            or "Content-Encoding" in response.headers
        ):
            return response
        response.direct_passthrough = False  # a file's bytes, read here to be compressed
        data = response.get_data()
        if len(data) < _GZIP_MIN_BYTES:
            return response
        etag, _weak = response.get_etag()
        static = request.endpoint == "static" and etag is not None
        key = (f"{etag}:{len(data)}", coding)
        encoded = self._kept.get(key) if static else None
        if encoded is None:
            encoded = compress(data, coding, best=static)
            if static:
                with self._lock:
                    if len(self._kept) >= self.keep:
                        self._kept.clear()
                    self._kept[key] = encoded
        response.set_data(encoded)
        response.headers["Content-Encoding"] = coding
        if etag is not None:
            # Weak: the same content in another coding, and If-None-Match still matches it (weakly).
            response.set_etag(etag, weak=True)
        return response


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
