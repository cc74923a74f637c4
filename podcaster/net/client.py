"""The bounded HTTP client: one User-Agent, timeouts, size limits, redirects followed by hand.

Over :mod:`urllib.request`, so ``https_proxy`` and friends work as everywhere
else. Every connection and read has a timeout, every body read into memory a
deadline and a limit (a gzip body is inflated no further than the limit);
redirects are followed between http(s) URLs only, a few times, with the
method kept and every hop remembered, each hop through the address guard of
:mod:`podcaster.net.guard`. An error status is an answer like any other: the
caller decides what it means. What could not be fetched at all raises
:class:`FetchError`, saying why in the words of the network (name not found,
connection refused, timeout, TLS) or of the rules above.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import string
import time
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass, field
from io import BytesIO
from types import TracebackType
from urllib.parse import quote, urljoin, urlsplit

from podcaster.errors import SourceError
from podcaster.net.guard import GuardedHandler, PrivateAddress

MAX_REDIRECTS = 5
_CHUNK = 64 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})


class FetchError(SourceError):
    """A URL could not be fetched at all (no answer, as opposed to an error status), or was refused."""

    def __init__(self, message: str, *, url: str, kind: str) -> None:
        super().__init__(message, path=url)
        self.url = url
        #: ``dns``, ``refused``, ``timeout``, ``tls``, ``network``, ``protocol`` (the server broke the
        #: exchange), or ``url``, ``redirect``, ``private`` (refused by podcaster before or between requests).
        self.kind = kind

    @property
    def is_network(self) -> bool:
        """Whether the server could not be reached (as opposed to a bad URL or a broken answer)."""
        return self.kind in {"dns", "refused", "timeout", "tls", "network"}

    @property
    def is_refusal(self) -> bool:
        """Whether podcaster itself refused the URL: asking again would be refused again."""
        return self.kind in {"url", "redirect", "private"}


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
    reason: str = ""

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


class Response:
    """An answer being read: status and headers at once, the body on demand. Close it (or use ``with``)."""

    def __init__(
        self, url: str, final_url: str, raw: http.client.HTTPResponse, hops: list[Redirect], client: Client
    ) -> None:
        self.url = url
        self.final_url = final_url
        self.status = raw.status
        self.reason = raw.reason
        self.headers = {name.lower(): value for name, value in raw.headers.items()}
        self.charset: str | None = raw.headers.get_content_charset()
        self.redirects = tuple(hops)
        self._raw = raw
        self._client = client

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def length(self) -> int | None:
        """The Content-Length the server declared, if any."""
        declared = self.header("Content-Length") or ""
        return int(declared) if declared.isdigit() else None

    def read(self, size: int = _CHUNK) -> bytes:
        """The next bytes of the body as sent (still encoded); ``b""`` at its end."""
        try:
            return self._raw.read(size)
        except (http.client.HTTPException, OSError) as error:
            raise _network_error(self.url, self.final_url, error, self._client.timeout) from None

    def body(self, limit: int) -> tuple[bytes, bool]:
        """At most *limit* bytes of the (inflated) body, and whether that was all of it."""
        deadline = time.monotonic() + self._client.deadline
        gzipped = (self.header("Content-Encoding") or "").lower() == "gzip"
        inflater = zlib.decompressobj(wbits=31) if gzipped else None
        # BytesIO hands its buffer over without a copy: a body near the limit is held once, not twice.
        body = BytesIO()
        try:
            while body.tell() <= limit:
                if time.monotonic() > deadline:
                    raise FetchError(
                        f"the body was still coming after {self._client.deadline:g} s: too slow",
                        url=self.url,
                        kind="timeout",
                    )
                chunk = self.read()
                if not chunk:
                    body.write(inflater.flush() if inflater is not None else b"")
                    break
                if inflater is not None:
                    # Never inflate more than the limit allows: a small gzip body can expand a thousandfold.
                    chunk = inflater.decompress(chunk, limit + 1 - body.tell())
                body.write(chunk)
        except zlib.error as error:
            raise FetchError(f"the gzip body is damaged ({error})", url=self.url, kind="protocol") from None
        complete = body.tell() <= limit
        body.truncate(limit)
        return body.getvalue(), complete

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> Response:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


class Client:
    """Fetch with one User-Agent and one timeout; safe to share between threads.

    *deadline* bounds the time a body read into memory may take (default: four timeouts);
    *allow_private* lets requests reach loopback and private addresses: the user's own network.
    """

    def __init__(
        self, *, user_agent: str, timeout: float, deadline: float | None = None, allow_private: bool = False
    ) -> None:
        self.user_agent = user_agent
        self.timeout = timeout
        self.deadline = deadline if deadline is not None else timeout * 4
        self.allow_private = allow_private

    def open(
        self,
        url: str,
        *,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
    ) -> Response:
        """Ask for *url*, following redirects; the body is left to read from the answer."""
        opener = urllib.request.OpenerDirector()
        opener.add_handler(urllib.request.ProxyHandler())
        opener.add_handler(GuardedHandler(self.allow_private))
        opener.addheaders = [("User-Agent", self.user_agent)]
        hops: list[Redirect] = []
        current = url
        while True:
            _check_url(current, url)
            request = urllib.request.Request(current, data=data, headers=headers or {}, method=method)
            try:
                raw = opener.open(request, timeout=self.timeout)
            except urllib.error.URLError as error:
                raise _network_error(url, current, error.reason, self.timeout) from None
            except (http.client.HTTPException, OSError, ValueError) as error:
                raise _network_error(url, current, error, self.timeout) from None
            location = raw.headers.get("Location")
            if raw.status not in _REDIRECTS or not location:
                return Response(url, current, raw, hops, self)
            raw.close()
            target = _redirect_target(current, location, url)
            if target == url or any(hop.target == target for hop in hops):
                raise FetchError(
                    f"a redirect loop: {current} sends back to {target}", url=url, kind="redirect"
                )
            if len(hops) == MAX_REDIRECTS:
                raise FetchError(
                    f"more than {MAX_REDIRECTS} redirects (the next one to {target}): refused",
                    url=url,
                    kind="redirect",
                )
            hops.append(Redirect(raw.status, current, target))
            if (raw.status == 303 and method != "HEAD") or (raw.status in (301, 302) and method == "POST"):
                # What browsers do; 307 and 308 keep the method and the body.
                method, data = "GET", None
                headers = {k: v for k, v in (headers or {}).items() if k.lower() != "content-type"}
            current = target

    def fetch(
        self,
        url: str,
        *,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
        limit: int = 0,
        gzip: bool = False,
    ) -> Answer:
        """Ask for *url*; read at most *limit* bytes of the body (asking for gzip when *gzip*)."""
        asked = dict(headers or {})
        if gzip:
            asked["Accept-Encoding"] = "gzip"
        with self.open(url, method=method, headers=asked, data=data) as response:
            body, complete = response.body(limit) if method != "HEAD" and limit > 0 else (b"", True)
        return Answer(
            url,
            response.final_url,
            response.status,
            response.headers,
            body,
            complete,
            response.redirects,
            response.reason,
        )


def _check_url(url: str, asked: str) -> None:
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port
    except ValueError as error:
        raise FetchError(f"not a valid URL: {url!r} ({error})", url=asked, kind="url") from None
    if parts.scheme not in ("http", "https") or not host:
        raise FetchError(f"not an http(s) URL: {url!r}", url=asked, kind="url")


def _redirect_target(current: str, location: str, asked: str) -> str:
    # http.client reads headers as ISO-8859-1: recover the bytes, percent-encode what a URL cannot hold
    # (spaces, non-ASCII), as urllib's own redirect handler does.
    try:
        target = urljoin(current, quote(location.strip(), encoding="iso-8859-1", safe=string.punctuation))
        scheme = urlsplit(target).scheme
    except ValueError as error:
        raise FetchError(
            f"it redirects to {location!r}, not a valid URL ({error})", url=asked, kind="redirect"
        ) from None
    if scheme not in ("http", "https"):
        raise FetchError(
            f"it redirects to {target!r}, which is not an http(s) URL: refused", url=asked, kind="redirect"
        )
    return target


def _network_error(url: str, current: str, reason: object, timeout: float) -> FetchError:
    """Say why *url* (at *current*, after its redirects) could not be fetched, in words a producer can act on."""
    host = urlsplit(current).hostname or current
    if isinstance(reason, PrivateAddress):
        return FetchError(str(reason), url=url, kind="private")
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
