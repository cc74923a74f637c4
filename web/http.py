"""HTTP plumbing shared by the blueprints: cached bodies, revalidation, gzip, CORS.

Everything a route answers from the catalogue is rendered once per catalogue
snapshot into a :class:`Body`; answering is then a dictionary lookup and, on
revalidation, a header comparison: no template, no hashing.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime

from flask import Request, Response, request
from werkzeug.http import http_date

# Under this size gzip saves too little to be worth the CPU.
_GZIP_MIN_BYTES = 1024


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


def respond(body: Body, *, max_age: int, vary: Iterable[str] = ()) -> Response:
    """Answer with *body*: 304 when the client's copy is current, gzip when asked, HEAD without a body."""
    use_gzip = len(body.data) >= _GZIP_MIN_BYTES and accepts_gzip(request)
    etag = f'"{body.etag}-gz"' if use_gzip else f'"{body.etag}"'
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={max_age}",
        "Vary": ", ".join(("Accept-Encoding", *vary)),
    }
    if body.last_modified is not None:
        headers["Last-Modified"] = http_date(body.last_modified)
    if not_modified(request, body):
        return Response(status=304, headers=headers)
    if use_gzip:
        headers["Content-Encoding"] = "gzip"
        return Response(body.gzipped, headers=headers, content_type=body.content_type)
    return Response(body.data, headers=headers, content_type=body.content_type)


def not_modified(req: Request, body: Body) -> bool:
    """Whether the client's If-None-Match (or, without it, If-Modified-Since) says its copy is current."""
    if_none_match = req.headers.get("If-None-Match")
    if if_none_match is not None:
        return _etag_matches(if_none_match, body.etag)
    if_modified_since = req.headers.get("If-Modified-Since")
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


def accepts_gzip(req: Request) -> bool:
    header = req.headers.get("Accept-Encoding", "")
    if "gzip" not in header:
        return False
    return req.accept_encodings["gzip"] > 0


def cors_headers(origin: str | None, allowed: frozenset[str]) -> dict[str, str]:
    """The CORS headers for a request from *origin*: none unless the origin is allowed."""
    if "*" in allowed:
        return {"Access-Control-Allow-Origin": "*"}
    if origin and origin in allowed:
        return {"Access-Control-Allow-Origin": origin}
    return {}
