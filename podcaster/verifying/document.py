"""The feed document: does it answer, parse, and hold what Apple Podcasts requires; its items."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from podcaster.errors import SourceError
from podcaster.feed.podcastindex import CHAPTERS_TYPE, PODCAST_NS
from podcaster.net import Answer, parse_xml
from podcaster.verifying.report import Check, Findings, Level, VerifySettings, is_http

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
_NS = {"itunes": ITUNES_NS, "podcast": PODCAST_NS}
_FEED_TYPES = frozenset({"application/rss+xml", "application/xml", "text/xml", "application/x-rss+xml"})


@dataclass(frozen=True)
class FeedItem:
    title: str
    guid: str | None
    enclosure: tuple[str, int, str] | None  # url, length, type
    images: tuple[str, ...] = ()
    transcripts: tuple[tuple[str, str], ...] = ()  # url, declared type
    chapters: tuple[tuple[str, str], ...] = ()


def read_feed(
    answer: Answer, settings: VerifySettings, out: Findings
) -> tuple[list[str], list[FeedItem]] | None:
    """Check the feed document; return the channel's artwork URLs and its items, or None if unreadable."""
    url = answer.url
    if answer.status != 200:
        out.add(Level.ERROR, Check.FEED, url, f"the feed answered {answer.status}, expected 200")
        return None
    if not answer.complete:
        out.add(
            Level.ERROR,
            Check.FEED,
            url,
            f"the feed is larger than {settings.feed_limit:,} bytes: apps give up on feeds that big",
        )
        return None
    served = answer.media_type
    if served not in _FEED_TYPES:
        out.add(
            Level.WARNING,
            Check.FEED,
            url,
            f"the feed is served as {served or 'no Content-Type'!r}, expected 'application/rss+xml'",
        )
    import feedparser  # imported here: only verify and the tests need it, and it is slow to import

    parsed = feedparser.parse(
        answer.body,
        response_headers={"content-type": answer.header("Content-Type") or "", "content-location": url},
    )
    if parsed.get("bozo"):
        out.add(
            Level.ERROR,
            Check.FEED,
            url,
            f"feedparser does not read the feed cleanly: {parsed.get('bozo_exception')}",
        )
    try:
        root = parse_xml(answer.body, url)
    except etree.XMLSyntaxError as error:
        out.add(Level.ERROR, Check.FEED, url, f"the feed is not well-formed XML: {error}")
        return None
    except SourceError as error:  # it declares entities
        out.add(Level.ERROR, Check.FEED, url, error.args[0])
        return None
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        out.add(Level.ERROR, Check.FEED, url, f"not an RSS feed: its root is <{root.tag}>, expected <rss>")
        return None
    _check_channel(channel, url, out)
    items = [_item(element) for element in channel.findall("item")]
    _check_items(items, url, out)
    artwork = [_attr(channel, "itunes:image", "href"), _text(channel, "image/url")]
    return [found for found in artwork if found], items


def _check_channel(channel: etree._Element, url: str, out: Findings) -> None:
    required = {
        "title": _text(channel, "title"),
        "description": _text(channel, "description") or _text(channel, "itunes:summary"),
        "language": _text(channel, "language"),
        "itunes:image": _attr(channel, "itunes:image", "href"),
        "itunes:category": _attr(channel, "itunes:category", "text"),
        "itunes:explicit": _text(channel, "itunes:explicit"),
    }
    for tag, value in required.items():
        if not value:
            out.add(
                Level.ERROR, Check.FEED, url, f"the channel has no <{tag}>, which Apple Podcasts requires"
            )
    recommended = {
        "link": _text(channel, "link"),
        "itunes:author": _text(channel, "itunes:author"),
        "itunes:owner/itunes:email": _text(channel, "itunes:owner/itunes:email"),
    }
    for tag, value in recommended.items():
        if not value:
            out.add(Level.WARNING, Check.FEED, url, f"the channel has no <{tag}>")


def _item(element: etree._Element) -> FeedItem:
    enclosure = element.find("enclosure")
    found: tuple[str, int, str] | None = None
    if enclosure is not None:
        length = (enclosure.get("length") or "").strip()
        found = (
            (enclosure.get("url") or "").strip(),
            int(length) if length.isdigit() else -1,
            (enclosure.get("type") or "").strip(),
        )
    return FeedItem(
        title=_text(element, "title") or "",
        guid=_text(element, "guid"),
        enclosure=found,
        images=tuple(filter(None, [_attr(element, "itunes:image", "href")])),
        transcripts=tuple(
            ((node.get("url") or "").strip(), (node.get("type") or "").strip())
            for node in element.findall("podcast:transcript", _NS)
        ),
        chapters=tuple(
            ((node.get("url") or "").strip(), (node.get("type") or "").strip())
            for node in element.findall("podcast:chapters", _NS)
        ),
    )


def _check_items(items: list[FeedItem], url: str, out: Findings) -> None:
    seen: set[str] = set()
    for position, item in enumerate(items, start=1):
        name = f"item {position} «{item.title}»" if item.title else f"item {position}"
        if not item.title:
            out.add(Level.ERROR, Check.FEED, url, f"{name} has no <title>, which Apple Podcasts requires")
        if not item.guid:
            out.add(
                Level.ERROR, Check.FEED, url, f"{name} has no <guid>: apps cannot tell it from the others"
            )
        elif item.guid in seen:
            out.add(Level.ERROR, Check.FEED, url, f"{name} repeats the GUID {item.guid!r} of an earlier item")
        else:
            seen.add(item.guid)
        if item.enclosure is None:
            out.add(Level.ERROR, Check.FEED, url, f"{name} has no <enclosure>: there is nothing to play")
            continue
        enclosure_url, length, kind = item.enclosure
        if not is_http(enclosure_url):
            web = enclosure_url.lower().startswith(("http://", "https://"))
            why = "is not a valid URL" if web else "is not http(s)"
            out.add(Level.ERROR, Check.FEED, url, f"{name}: the enclosure URL {enclosure_url!r} {why}")
        if length <= 0:
            out.add(Level.ERROR, Check.FEED, url, f"{name}: the enclosure length is not a size in bytes")
        if not kind:
            out.add(Level.ERROR, Check.FEED, url, f"{name}: the enclosure has no type")
        for chapters_url, declared in item.chapters:
            if declared != CHAPTERS_TYPE:
                out.add(
                    Level.WARNING,
                    Check.CHAPTERS,
                    chapters_url,
                    f"{name}: podcast:chapters declares type {declared!r}, expected {CHAPTERS_TYPE!r}",
                )


def _text(element: etree._Element, path: str) -> str | None:
    found = element.find(path, _NS)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _attr(element: etree._Element, path: str, name: str) -> str | None:
    found = element.find(path, _NS)
    if found is None:
        return None
    return (found.get(name) or "").strip() or None
