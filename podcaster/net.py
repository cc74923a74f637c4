"""Fetch URLs the way a podcast app's crawler does, and keep what it would look at.

A small client over :mod:`urllib.request` (so ``https_proxy`` and friends
work as everywhere else): a crawler's ``User-Agent``, a timeout on every
request and a deadline on every body, redirects followed only between http(s)
URLs, a few times, with the method kept (urllib turns a redirected ``HEAD``
into a ``GET``) and every hop remembered, and bodies read only up to a limit.
An error status is an answer like any other: the caller decides what it means.
What could not be fetched at all raises :class:`FetchError`, saying why in
the words of the network (name not found, connection refused, timeout, TLS).
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass, field
from email.message import Message
from http.client import HTTPMessage
from typing import IO
from urllib.parse import urlsplit

from podcaster.errors import PodcasterError

MAX_REDIRECTS = 5
_CHUNK = 64 * 1024
_PERMANENT = frozenset({301, 308})


class FetchError(PodcasterError):
    """A URL could not be fetched at all: no answer, as opposed to an error status."""

    def __init__(self, message: str, *, url: str, kind: str) -> None:
        super().__init__(message, path=url)
        self.url = url
        #: ``dns``, ``refused``, ``timeout``, ``tls``, ``network``, ``protocol``, ``redirect`` or ``url``.
        self.kind = kind

    @property
    def is_network(self) -> bool:
        """Whether the server could not be reached (as opposed to a bad URL or a broken answer)."""
        return self.kind in {"dns", "refused", "timeout", "tls", "network"}


@dataclass(frozen=True)
class Redirect:
    status: int
    source: str
    target: str

    @property
    def permanent(self) -> bool:
        return self.status in _PERMANENT


@dataclass(frozen=True)
class Answer:
    """One response: status and headers, and at most the first ``limit`` bytes of the body."""

    url: str  # as asked
    final_url: str  # after redirects
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes = b""
    complete: bool = True  # False when the body went past the limit and was cut
    redirects: tuple[Redirect, ...] = field(default=())

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def media_type(self) -> str | None:
        """The Content-Type without its parameters, in lower case (``text/vtt; charset=utf-8`` → ``text/vtt``)."""
        return media_type(self.header("Content-Type"))


def media_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


class Crawler:
    """Fetch with one User-Agent and one timeout; safe to share between threads."""

    def __init__(self, *, user_agent: str, timeout: float) -> None:
        self.user_agent = user_agent
        self.timeout = timeout

    def fetch(
        self,
        url: str,
        *,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        limit: int = 0,
        gzip: bool = False,
    ) -> Answer:
        """Ask for *url*; read at most *limit* bytes of the body (decompressed when *gzip*)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(f"not an http(s) URL: {url!r}", url=url, kind="url")
        hops: list[Redirect] = []
        # One opener per request: the redirect handler keeps this request's hops.
        opener = urllib.request.build_opener(_KeepMethod(hops))
        opener.addheaders = [("User-Agent", self.user_agent)]
        asked = dict(headers or {})
        if gzip:
            asked["Accept-Encoding"] = "gzip"
        request = urllib.request.Request(url, headers=asked, method=method)
        deadline = time.monotonic() + self.timeout * 4  # a body trickling in must end too
        try:
            response: IO[bytes] = opener.open(request, timeout=self.timeout)
            status = getattr(response, "status", 200)
        except urllib.error.HTTPError as error:
            response, status = error, error.code
        except urllib.error.URLError as error:
            if isinstance(error.reason, FetchError):
                raise error.reason from None
            raise _network_error(url, error.reason, self.timeout) from None
        except (http.client.HTTPException, OSError) as error:
            raise _network_error(url, error, self.timeout) from None
        try:
            info: Message = response.headers  # type: ignore[attr-defined]
            found = {name.lower(): value for name, value in info.items()}
            final = response.geturl()  # type: ignore[attr-defined]
            if status in (301, 302, 303, 307, 308):  # the handler gave up: too many hops, or a loop
                raise FetchError(
                    f"more than {MAX_REDIRECTS} redirects, or a redirect loop (last: {final})",
                    url=url,
                    kind="redirect",
                )
            body, complete = b"", True
            if method != "HEAD" and limit > 0:
                encoded = found.get("content-encoding", "").lower() == "gzip"
                body, complete = _read(response, limit, deadline, encoded, url, self.timeout)
        finally:
            response.close()
        return Answer(url, final, status, found, body, complete, tuple(hops))


class _KeepMethod(urllib.request.HTTPRedirectHandler):
    """Follow redirects between http(s) URLs only, keep HEAD a HEAD, and remember each hop."""

    max_redirections = MAX_REDIRECTS

    def __init__(self, hops: list[Redirect]) -> None:
        self.hops = hops

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise FetchError(
                f"redirects to {newurl!r}, which is not an http(s) URL", url=req.full_url, kind="redirect"
            )
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None:
            new.method = req.get_method()
            self.hops.append(Redirect(code, req.full_url, newurl))
        return new


def _read(
    response: IO[bytes], limit: int, deadline: float, gzipped: bool, url: str, timeout: float
) -> tuple[bytes, bool]:
    """Up to *limit* bytes of the (decompressed) body, and whether that was all of it."""
    inflater = zlib.decompressobj(wbits=31) if gzipped else None
    body = bytearray()
    try:
        while len(body) <= limit:
            if time.monotonic() > deadline:
                raise FetchError(
                    f"the body was still coming after {timeout * 4:.0f} s: too slow", url=url, kind="timeout"
                )
            chunk = response.read(_CHUNK)
            if not chunk:
                if inflater is not None:
                    body += inflater.flush()
                break
            if inflater is not None:
                # Never inflate more than the limit allows: a small gzip body can expand a thousandfold.
                chunk = inflater.decompress(chunk, limit + 1 - len(body))
            body += chunk
    except zlib.error as error:
        raise FetchError(f"the gzip body is damaged ({error})", url=url, kind="protocol") from None
    except (http.client.HTTPException, OSError) as error:
        raise _network_error(url, error, timeout) from None
    if len(body) > limit:
        return bytes(body[:limit]), False
    return bytes(body), True


def _network_error(url: str, reason: object, timeout: float) -> FetchError:
    """Say why *url* could not be fetched, in words a producer can act on."""
    host = urlsplit(url).hostname or url
    if isinstance(reason, socket.gaierror):
        return FetchError(f"the name {host} is not found (DNS: {reason.strerror})", url=url, kind="dns")
    if isinstance(reason, ConnectionRefusedError):
        return FetchError(f"connection refused by {host}: nothing listens there", url=url, kind="refused")
    if isinstance(reason, TimeoutError):
        return FetchError(f"no answer from {host} within {timeout:g} s", url=url, kind="timeout")
    if isinstance(reason, ssl.SSLCertVerificationError):
        return FetchError(
            f"the TLS certificate of {host} is refused ({reason.verify_message})", url=url, kind="tls"
        )
    if isinstance(reason, ssl.SSLError):
        return FetchError(f"the TLS handshake with {host} failed ({reason})", url=url, kind="tls")
    if isinstance(reason, http.client.HTTPException | ConnectionResetError | ConnectionAbortedError):
        return FetchError(f"{host} broke the connection ({reason!r})", url=url, kind="protocol")
    if isinstance(reason, OSError):
        return FetchError(f"{host} cannot be reached ({reason.strerror or reason})", url=url, kind="network")
    return FetchError(f"{host} cannot be reached ({reason})", url=url, kind="network")
