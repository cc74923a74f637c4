"""The one HTTP client and the hardened XML parser, against a real local HTTP server.

Import, verify and the WebSub pings all go through them; their own tests check
what each makes of the answers. Here: redirects, limits, and the address guard
that keeps a feed from steering requests into the user's network.
"""

from __future__ import annotations

import gzip

import pytest
from lxml import etree

from podcaster.errors import SourceError
from podcaster.net import MAX_REDIRECTS, Client, FetchError, parse_xml
from podcaster.net.guard import is_public
from tests.fixtures.httpserver import LocalServer


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # urllib honours proxy variables; these tests talk to 127.0.0.1 only.
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


def local_client() -> Client:
    """A client allowed to reach the test server, which listens on 127.0.0.1."""
    return Client(user_agent="podcaster-test", timeout=5.0, allow_private=True)


# -- redirects -----------------------------------------------------------------


def test_a_chain_of_distinct_redirects_is_followed_up_to_the_limit(http_server: LocalServer) -> None:
    for hop in range(MAX_REDIRECTS + 1):
        http_server.redirect(f"/hop{hop}", http_server.url(f"/hop{hop + 1}"), 302)
    http_server.serve(f"/hop{MAX_REDIRECTS + 1}", b"here", "text/plain")

    answer = local_client().fetch(http_server.url("/hop1"), limit=100)
    assert answer.status == 200 and answer.body == b"here"
    assert answer.final_url == http_server.url(f"/hop{MAX_REDIRECTS + 1}")
    assert [hop.target for hop in answer.redirects] == [
        http_server.url(f"/hop{n}") for n in range(2, MAX_REDIRECTS + 2)
    ]

    # One more hop, each to a new URL: refused, and the last URL is never asked for.
    asked = len(http_server.requests_for(f"/hop{MAX_REDIRECTS + 1}"))
    with pytest.raises(FetchError, match=f"more than {MAX_REDIRECTS} redirects") as refused:
        local_client().fetch(http_server.url("/hop0"))
    assert refused.value.kind == "redirect"
    assert len(http_server.requests_for(f"/hop{MAX_REDIRECTS + 1}")) == asked


def test_a_redirect_loop_and_other_schemes_are_refused(http_server: LocalServer) -> None:
    http_server.redirect("/a", http_server.url("/b"))
    http_server.redirect("/b", http_server.url("/b"))
    with pytest.raises(FetchError, match="a redirect loop"):
        local_client().fetch(http_server.url("/a"))
    http_server.redirect("/elsewhere", "file:///etc/passwd")
    with pytest.raises(FetchError, match=r"redirects to 'file:///etc/passwd', which is not an http\(s\) URL"):
        local_client().fetch(http_server.url("/elsewhere"))


def test_head_stays_a_head_across_redirects(http_server: LocalServer) -> None:
    http_server.redirect("/old.mp3", http_server.url("/new.mp3"), 301)
    http_server.serve("/new.mp3", b"x" * 10, "audio/mpeg")
    answer = local_client().fetch(http_server.url("/old.mp3"), method="HEAD")
    assert answer.status == 200 and answer.header("Content-Length") == "10"
    assert [r.method for r in http_server.requests_for("/new.mp3")] == ["HEAD"]
    assert answer.redirects[0].permanent


@pytest.mark.parametrize("url", ["http://[::1/feed.xml", "http://example.org:99999/", "ftp://example.org/"])
def test_a_malformed_or_non_http_url_is_a_clear_error(url: str) -> None:
    with pytest.raises(FetchError) as refused:
        local_client().fetch(url)
    assert refused.value.kind == "url" and url in str(refused.value)


# -- limits --------------------------------------------------------------------


def test_a_gzip_body_is_inflated_no_further_than_the_limit(http_server: LocalServer) -> None:
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))  # 64 MB in about 64 KB
    url = http_server.serve("/feed.xml", bomb, "application/rss+xml", headers={"Content-Encoding": "gzip"})
    answer = local_client().fetch(url, limit=1024 * 1024, gzip=True)
    assert not answer.complete and len(answer.body) == 1024 * 1024
    small = http_server.serve("/small.xml", gzip.compress(b"<rss/>"), headers={"Content-Encoding": "gzip"})
    answer = local_client().fetch(small, limit=1024, gzip=True)
    assert answer.complete and answer.body == b"<rss/>"
    assert http_server.requests_for("/small.xml")[0].headers["Accept-Encoding"] == "gzip"


# -- the address guard ---------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "127.9.9.9",
        "localhost",
        "[::1]",
        "0.0.0.0",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "100.64.0.1",
        "169.254.169.254",  # a cloud's metadata service
        "[fe80::1]",
        "[fc00::1]",
        "224.0.0.1",
        "[ff02::1]",
        "[::ffff:127.0.0.1]",
        "[64:ff9b::a9fe:a9fe]",  # 169.254.169.254 through NAT64
    ],
)
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_loopback_private_link_local_and_multicast_addresses_are_refused(host: str, scheme: str) -> None:
    client = Client(user_agent="podcaster-test", timeout=2.0)
    with pytest.raises(FetchError, match="address: refused, as a feed could use it") as refused:
        client.fetch(f"{scheme}://{host}:8080/latest/meta-data/")
    assert refused.value.kind == "private" and refused.value.is_refusal


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.215.14", "2606:4700:4700::1111", "::ffff:1.1.1.1"])
def test_public_addresses_pass(address: str) -> None:
    assert is_public(address)


def test_the_guard_refuses_before_a_request_is_sent_unless_private_is_allowed(
    http_server: LocalServer,
) -> None:
    url = http_server.serve("/feed.xml", b"<rss/>", "application/rss+xml")
    with pytest.raises(FetchError, match=r"127\.0\.0\.1 is a loopback address: refused"):
        Client(user_agent="podcaster-test", timeout=5.0).fetch(url, limit=100)
    assert http_server.requests == []
    assert local_client().fetch(url, limit=100).body == b"<rss/>"


def test_through_a_proxy_the_name_asked_for_is_checked_not_the_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")  # the user's own proxy, on this machine
    with pytest.raises(FetchError) as refused:
        Client(user_agent="podcaster-test", timeout=2.0).fetch("http://169.254.169.254/latest/meta-data/")
    assert refused.value.kind == "private"
    # A public name goes to the proxy (nothing listens there): the proxy's own address is not refused.
    with pytest.raises(FetchError) as unreachable:
        Client(user_agent="podcaster-test", timeout=2.0).fetch("http://93.184.215.14/")
    assert unreachable.value.kind == "refused"


# -- XML -----------------------------------------------------------------------


def test_parse_xml_refuses_entities_and_reports_malformed_documents() -> None:
    with pytest.raises(SourceError, match="declares XML entities"):
        parse_xml(b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "b">]><rss>&a;</rss>', "feed.xml")
    with pytest.raises(SourceError, match="declares XML entities"):
        parse_xml(b'<!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss>&x;</rss>', "feed.xml")
    with pytest.raises(etree.XMLSyntaxError):
        parse_xml(b"<rss><channel></rss>", "feed.xml")
    assert parse_xml(b"<rss><channel><title>t</title></rss>", "feed.xml", recover=True).tag == "rss"
    with pytest.raises(etree.XMLSyntaxError):
        parse_xml(b"not xml at all", "feed.xml", recover=True)
    root = parse_xml(b"<rss><!-- c --><?pi x?><title>a<!-- c -->b</title></rss>", "feed.xml")
    assert root.findtext("title") == "ab"  # comments and processing instructions are dropped
