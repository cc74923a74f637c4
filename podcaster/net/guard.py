"""Connect to public addresses only, unless the caller allows the user's own network.

The name is resolved here, loopback, link-local, private, reserved and
multicast addresses are refused, and the socket connects to the very address
that was checked, so a name that resolves differently a second later (DNS
rebinding) gains nothing. This is what keeps a feed, or one of its redirects,
from making podcaster fetch a cloud's metadata service or a router's admin
page and save what it says.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class GuardedHandler(urllib.request.AbstractHTTPHandler):
    """Open http(s) connections, to public addresses only unless allowed; every status comes back as is."""

    def __init__(self, allow_private: bool) -> None:
        super().__init__()
        self.allow_private = allow_private

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self._connection(http.client.HTTPConnection, req), req)

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self._connection(http.client.HTTPSConnection, req), req)

    http_request = https_request = urllib.request.AbstractHTTPHandler.do_request_

    def _connection(
        self, base: type[http.client.HTTPConnection], req: urllib.request.Request
    ) -> Callable[..., http.client.HTTPConnection]:
        if self.allow_private:
            return base
        if req.has_proxy() or getattr(req, "_tunnel_host", None):
            # The proxy connects, not us: refuse at least the names that point inside from here.
            _refuse_private_name(urlsplit(req.full_url).hostname or "")
            return base

        def guarded(host: str, **options: Any) -> http.client.HTTPConnection:
            connection = base(host, **options)
            connection._create_connection = _connect_public  # type: ignore[attr-defined]
            return connection

        return guarded


class PrivateAddress(OSError):
    """A name resolved only to addresses podcaster may not connect to."""


def _connect_public(
    address: tuple[str, int], timeout: float | None = None, source_address: tuple[str, int] | None = None
) -> socket.socket:
    """:func:`socket.create_connection` to a public address: resolve, check, connect to what was checked."""
    host, port = address
    found = [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
    public = [ip for ip in found if is_public(ip)]
    if not public:
        raise PrivateAddress(_private_message(host, found[0]))
    last: OSError | None = None
    for ip in public:
        try:
            return socket.create_connection((ip, port), timeout, source_address)
        except OSError as error:
            last = error
    assert last is not None
    raise last


def _refuse_private_name(host: str) -> None:
    try:
        found = [str(info[4][0]) for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)]
    except (socket.gaierror, UnicodeError):
        return  # only the proxy can resolve it
    if not any(is_public(ip) for ip in found):
        raise PrivateAddress(_private_message(host, found[0]))


def is_public(text: str) -> bool:
    """Whether a connection to the address *text* stays on the public internet."""
    ip = _reached(text)
    site_local = isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local
    return ip.is_global and not ip.is_multicast and not site_local


def _reached(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address a connection to *text* reaches: an IPv4 address wrapped in IPv6 is that IPv4 address."""
    ip = ipaddress.ip_address(text.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        nat64 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None
        return ip.ipv4_mapped or ip.sixtofour or nat64 or ip
    return ip


def _private_message(host: str, text: str) -> str:
    ip = _reached(text)
    kinds = (("loopback", ip.is_loopback), ("link-local", ip.is_link_local), ("multicast", ip.is_multicast))
    kind = next((name for name, test in kinds if test), "private" if ip.is_private else "non-public")
    where = f"{host} is a {kind} address" if host == text else f"{host} is at {text}, a {kind} address"
    return f"{where}: refused, as a feed could use it to reach into your network (--allow-private allows it)"
