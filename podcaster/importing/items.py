"""Read an RSS podcast feed (already parsed safely) into typed records: the channel and its items.

Real feeds are forgiving about everything, so this module is too, but it says
what it had to guess: each guess is a warning naming the feed and its line.
Nothing here decides how the catalogue looks; :mod:`podcaster.importing.importer` does.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import urljoin, urlsplit

from lxml import etree

from podcaster.errors import Problem, Severity, SourceError
from podcaster.models import (
    Category,
    EpisodeType,
    Funding,
    Location,
    Person,
    Transcript,
    location_from_mapping,
    person_from_mapping,
)

# Namespaces by the prefix used here; feeds write some of them with odd capitals or old URLs.
_NAMESPACES = {
    "http://www.itunes.com/dtds/podcast-1.0.dtd": "itunes",
    "https://podcastindex.org/namespace/1.0": "podcast",
    "https://github.com/podcastindex-org/podcast-namespace/blob/main/docs/1.0.md": "podcast",
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://www.w3.org/2005/atom": "atom",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://search.yahoo.com/mrss/": "media",
    "http://www.google.com/schemas/play-podcasts/1.0": "googleplay",
}
_PREFIXES = {uri.lower().rstrip("/"): prefix for uri, prefix in _NAMESPACES.items()}

_ZONES = {
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 60, "BST": 60, "CET": 60, "CEST": 120,
    "MET": 60, "MEST": 120, "EET": 120, "EEST": 180, "MSK": 180, "EST": -300, "EDT": -240,
    "CST": -360, "CDT": -300, "MST": -420, "MDT": -360, "PST": -480, "PDT": -420, "AKST": -540,
    "AKDT": -480, "HST": -600, "JST": 540, "KST": 540, "AEST": 600, "AEDT": 660, "ACST": 570,
    "AWST": 480, "NZST": 720, "NZDT": 780,
}  # fmt: skip
_MONTHS = {
    "jan": 1, "janv": 1, "janvier": 1, "january": 1, "feb": 2, "fev": 2, "févr": 2, "fevr": 2,
    "février": 2, "fevrier": 2, "february": 2, "mar": 3, "mars": 3, "march": 3, "apr": 4, "avr": 4,
    "avril": 4, "april": 4, "may": 5, "mai": 5, "jun": 6, "juin": 6, "june": 6, "jul": 7, "juil": 7,
    "juillet": 7, "july": 7, "aug": 8, "août": 8, "aout": 8, "august": 8, "sep": 9, "sept": 9,
    "septembre": 9, "september": 9, "oct": 10, "octobre": 10, "october": 10, "nov": 11,
    "novembre": 11, "november": 11, "dec": 12, "déc": 12, "décembre": 12, "decembre": 12,
    "december": 12,
}  # fmt: skip
_LOOSE_DATE = re.compile(
    r"""^(?:[^\W\d]+\.?,?\s+)?                         # a weekday, in any language
        (?:(?P<day>\d{1,2})[\s./-]+(?P<month>[^\W\d]+)\.?|(?P<month2>[^\W\d]+)\.?\s+(?P<day2>\d{1,2}),?)
        [\s./-]+(?P<year>\d{4}|\d{2})
        (?:[\sT,]+(?:à\s+)?(?P<hour>\d{1,2})[:h](?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,]\d+)?)?)?
        \s*(?:(?P<sign>[+-])(?P<oh>\d{1,2}):?(?P<om>\d{2})?|(?P<zone>[A-Za-z]{1,5}))?
        (?:\s*\(.*\))?\s*$""",
    re.VERBOSE | re.IGNORECASE,
)
_CLOCK = re.compile(r"^(?:(\d+):)?(\d+):(\d+(?:[.,]\d+)?)$")
_UNITS = re.compile(
    r"^(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*(?:(\d+(?:\.\d+)?)\s*s(?:ec)?)?$", re.IGNORECASE
)
_TRUE = {"yes", "true", "explicit", "1"}
_FALSE = {"no", "false", "clean", "0"}


@dataclass(frozen=True)
class Enclosure:
    url: str
    length: int | None
    mime_type: str | None


@dataclass(frozen=True)
class SourceItem:
    """One ``<item>`` as the feed gives it; ``None`` where the feed says nothing."""

    index: int  # position in the feed, 0 for the first
    line: int | None
    title: str
    guid: str | None
    date: datetime | None
    enclosure: Enclosure | None
    notes_html: str = ""
    link: str | None = None
    season: int | None = None
    season_name: str | None = None
    number: int | None = None
    type: EpisodeType = EpisodeType.FULL
    duration: float | None = None
    explicit: bool | None = None
    image: str | None = None
    transcripts: tuple[Transcript, ...] = ()
    chapters: str | None = None
    persons: tuple[Person, ...] = ()
    location: Location | None = None
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceChannel:
    title: str
    description: str  # HTML as the feed has it
    language: str | None = None
    author: str | None = None
    owner_name: str | None = None
    owner_email: str | None = None
    categories: tuple[Category, ...] = ()
    image: str | None = None
    explicit: bool | None = None
    type: str | None = None
    podcast_guid: str | None = None
    link: str | None = None
    self_url: str | None = None
    new_feed_url: str | None = None
    copyright: str | None = None
    subtitle: str | None = None
    keywords: tuple[str, ...] = ()
    locked: bool | None = None
    funding: tuple[Funding, ...] = ()
    persons: tuple[Person, ...] = ()
    location: Location | None = None
    medium: str | None = None


@dataclass(frozen=True)
class SourceFeed:
    url: str
    channel: SourceChannel
    items: tuple[SourceItem, ...]
    warnings: tuple[Problem, ...] = ()


class _Node:
    """An element's children by (namespace prefix, local name), read once."""

    def __init__(self, element: etree._Element) -> None:
        self.element = element
        self.children: dict[tuple[str, str], list[etree._Element]] = {}
        for child in element:
            if not isinstance(child.tag, str):
                continue  # entities, comments
            qname = etree.QName(child)
            namespace = qname.namespace or ""
            prefix = _PREFIXES.get(namespace.lower().rstrip("/"), namespace)
            self.children.setdefault((prefix, qname.localname), []).append(child)

    def all(self, prefix: str, name: str) -> list[etree._Element]:
        return self.children.get((prefix, name), [])

    def first(self, prefix: str, name: str) -> etree._Element | None:
        found = self.children.get((prefix, name))
        return found[0] if found else None

    def markup(self, prefix: str, name: str) -> str | None:
        """Text that may hold HTML: escaped or in CDATA, or written as XML elements (XHTML) inside."""
        element = self.first(prefix, name)
        if element is None:
            return None
        if len(element) == 0:
            return (element.text or "").strip() or None
        parts = [element.text or ""]
        parts += [
            etree.tostring(child, encoding="unicode", method="html", with_tail=True) for child in element
        ]
        return "".join(parts).strip() or None

    def text(self, prefix: str, name: str) -> str | None:
        element = self.first(prefix, name)
        if element is None:
            return None
        text = "".join(element.itertext()).strip()
        return text or None

    def attribute(self, prefix: str, name: str, attribute: str) -> str | None:
        element = self.first(prefix, name)
        value = element.get(attribute) if element is not None else None
        return value.strip() if value and value.strip() else None


def read_feed(root: etree._Element, url: str, extra_warnings: Iterable[str] = ()) -> SourceFeed:
    """Turn a parsed RSS document into a SourceFeed; refuse what is not an RSS feed."""
    warnings = [Problem(url, message, None, Severity.WARNING) for message in extra_warnings]
    local = etree.QName(root).localname.lower()
    if local == "feed":
        raise SourceError("this is an Atom feed; give the podcast's RSS feed instead", path=url)
    if local != "rss":
        raise SourceError(
            f"not an RSS feed (the document is <{local}>): give the address of the feed itself", path=url
        )
    channel_element = next((child for child in root if _local(child) == "channel"), None)
    if channel_element is None:
        raise SourceError("the feed has no <channel>", path=url, line=root.sourceline)
    channel_node = _Node(channel_element)
    # A feed read from a file resolves its relative URLs against its own address, when it says it.
    base = (
        _base(url)
        or _absolute(_self_url(channel_node), None)
        or _absolute(channel_node.text("", "link"), None)
    )
    channel = _read_channel(channel_node, base, url, warnings)
    items = [
        _read_item(index, element, base, url, warnings)
        for index, element in enumerate(child for child in channel_element if _local(child) == "item")
    ]
    return SourceFeed(url=url, channel=channel, items=tuple(items), warnings=tuple(warnings))


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _base(url: str) -> str | None:
    return url if url.startswith(("http://", "https://")) else None


def _absolute(value: str | None, base: str | None, element: etree._Element | None = None) -> str | None:
    """An absolute http(s) URL from what the feed wrote, resolving relative ones (and xml:base)."""
    if not value:
        return None
    value = value.strip()
    element_base = element.base if element is not None else None
    if element_base and element_base.startswith(("http://", "https://")):
        base = urljoin(base or "", element_base)
    absolute = urljoin(base, value) if base else value
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return absolute


def _self_url(node: _Node) -> str | None:
    for link in node.all("atom", "link"):
        if link.get("rel") == "self" and link.get("href"):
            return link.get("href", "").strip()
    return None


def _read_channel(node: _Node, base: str | None, url: str, warnings: list[Problem]) -> SourceChannel:
    line = node.element.sourceline
    self_url = _self_url(node)
    owner = node.first("itunes", "owner")
    owner_node = _Node(owner) if owner is not None else None
    owner_name = owner_node.text("itunes", "name") if owner_node else None
    owner_email = owner_node.text("itunes", "email") if owner_node else None
    if not owner_email:
        owner_email, fallback_name = _rss_person(
            node.text("", "managingEditor") or node.text("", "webMaster")
        )
        owner_name = owner_name or fallback_name
    image = _absolute(node.attribute("itunes", "image", "href"), base, node.first("itunes", "image"))
    if image is None:
        rss_image = node.first("", "image")
        if rss_image is not None:
            image = _absolute(_Node(rss_image).text("", "url"), base, rss_image)
    new_feed_url = node.text("itunes", "new-feed-url")
    if new_feed_url:
        warnings.append(
            Problem(
                url,
                f"this feed already announces a move to {new_feed_url} (itunes:new-feed-url): is it the current feed?",
                line,
                Severity.WARNING,
            )
        )
    locked_text = (node.text("podcast", "locked") or "").lower()
    title = node.text("", "title") or ""
    if not title:
        raise SourceError("the channel has no <title>", path=url, line=line)
    return SourceChannel(
        title=title,
        description=node.markup("", "description") or node.markup("itunes", "summary") or "",
        language=node.text("", "language"),
        author=node.text("itunes", "author") or node.text("googleplay", "author"),
        owner_name=owner_name,
        owner_email=owner_email,
        categories=_categories(node),
        image=image,
        explicit=_explicit(node.text("itunes", "explicit")),
        type=(node.text("itunes", "type") or "").lower() or None,
        podcast_guid=node.text("podcast", "guid"),
        link=_absolute(node.text("", "link"), base),
        self_url=self_url,
        new_feed_url=new_feed_url,
        copyright=node.text("", "copyright"),
        subtitle=node.text("itunes", "subtitle"),
        keywords=_keywords(node.text("itunes", "keywords")),
        locked={"yes": True, "no": False}.get(locked_text),
        funding=tuple(
            Funding(url=funding_url, text="".join(element.itertext()).strip() or funding_url)
            for element in node.all("podcast", "funding")
            if (funding_url := _absolute(element.get("url"), base))
        ),
        persons=_persons(node, base),
        location=_location(node),
        medium=node.text("podcast", "medium"),
    )


def _read_item(
    index: int, element: etree._Element, base: str | None, url: str, warnings: list[Problem]
) -> SourceItem:
    node = _Node(element)
    line = element.sourceline

    def warn(message: str) -> None:
        warnings.append(Problem(url, message, line, Severity.WARNING))

    title = node.text("", "title") or node.text("itunes", "title") or ""
    label = f"item {index + 1}" + (f" ({title[:60]!r})" if title else "")
    guid = node.text("", "guid")
    date_text = node.text("", "pubDate") or node.text("dc", "date")
    date = None
    if date_text:
        date, note = parse_date(date_text)
        if date is None:
            warn(f"{label}: cannot read the date {date_text!r}")
        elif note:
            warn(f"{label}: {note}")
    duration_text = node.text("itunes", "duration")
    duration = parse_duration(duration_text) if duration_text else None
    if duration_text and duration is None:
        warn(f"{label}: cannot read itunes:duration {duration_text!r}")
    season_text = node.text("itunes", "season") or node.text("podcast", "season")
    number_text = node.text("itunes", "episode") or node.text("podcast", "episode")
    type_text = (node.text("itunes", "episodeType") or "full").lower()
    try:
        episode_type = EpisodeType(type_text)
    except ValueError:
        warn(f"{label}: unknown itunes:episodeType {type_text!r}; read as full")
        episode_type = EpisodeType.FULL
    image_element = node.first("itunes", "image")
    return SourceItem(
        index=index,
        line=line,
        title=title,
        guid=guid,
        date=date,
        enclosure=_enclosure(node, base),
        notes_html=node.markup("content", "encoded")
        or node.markup("", "description")
        or node.markup("itunes", "summary")
        or "",
        link=_absolute(node.text("", "link"), base),
        season=_whole(season_text, label, "season", warn),
        season_name=node.attribute("podcast", "season", "name"),
        number=_whole(number_text, label, "episode number", warn),
        type=episode_type,
        duration=duration,
        explicit=_explicit(node.text("itunes", "explicit")),
        image=_absolute(
            image_element.get("href") if image_element is not None else None, base, image_element
        ),
        transcripts=tuple(
            Transcript(
                source=source,
                mime_type=element.get("type") or "text/plain",
                language=element.get("language"),
                rel=element.get("rel"),
            )
            for element in node.all("podcast", "transcript")
            if (source := _absolute(element.get("url"), base, element))
        ),
        chapters=_absolute(node.attribute("podcast", "chapters", "url"), base),
        persons=_persons(node, base),
        location=_location(node),
        keywords=_keywords(node.text("itunes", "keywords")),
    )


def _enclosure(node: _Node, base: str | None) -> Enclosure | None:
    candidates = [
        (element.get("url"), element.get("length"), element.get("type"), element)
        for element in node.all("", "enclosure")
    ] + [
        (element.get("url"), element.get("fileSize"), element.get("type"), element)
        for element in node.all("media", "content")
        if (element.get("type") or "").startswith(("audio/", "video/"))
    ]
    for raw_url, raw_length, mime_type, element in candidates:
        url = _absolute(raw_url, base, element)
        if url is None:
            continue
        length = None
        if raw_length and raw_length.strip().isdigit():
            length = int(raw_length.strip())
        return Enclosure(url=url, length=length, mime_type=(mime_type or "").strip().lower() or None)
    return None


def _whole(text: str | None, label: str, what: str, warn: Callable[[str], None]) -> int | None:
    if text is None:
        return None
    try:
        value = int(text.strip())
    except ValueError:
        warn(f"{label}: the {what} {text!r} is not a whole number; ignored")
        return None
    return value if value >= 1 else None


def _categories(node: _Node) -> tuple[Category, ...]:
    categories = []
    for element in node.all("itunes", "category"):
        name = (element.get("text") or "").strip()
        if not name:
            continue
        sub = next(
            (
                (child.get("text") or "").strip()
                for child in element
                if _local(child) == "category" and (child.get("text") or "").strip()
            ),
            None,
        )
        categories.append(Category(name=name, subcategory=sub))
    return tuple(dict.fromkeys(categories))


def _persons(node: _Node, base: str | None) -> tuple[Person, ...]:
    persons = (
        person_from_mapping(
            {
                "name": "".join(element.itertext()),
                "role": (element.get("role") or "host").lower(),
                "group": (element.get("group") or "cast").lower(),
                "href": _absolute(element.get("href"), base),
                "img": _absolute(element.get("img"), base),
            },
            _ignore,
            where="podcast:person",
        )
        for element in node.all("podcast", "person")
    )
    return tuple(person for person in persons if person is not None)


def _location(node: _Node) -> Location | None:
    element = node.first("podcast", "location")
    if element is None:
        return None
    fields = {"name": "".join(element.itertext()), "geo": element.get("geo"), "osm": element.get("osm")}
    return location_from_mapping(fields, _ignore, where="podcast:location")


def _ignore(message: str, key: str | None) -> None:
    """Feeds leave out a person's or a location's name often enough that saying so is noise."""


def _keywords(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(dict.fromkeys(word.strip() for word in text.split(",") if word.strip()))


def _explicit(text: str | None) -> bool | None:
    if text is None:
        return None
    value = text.strip().lower()
    return True if value in _TRUE else False if value in _FALSE else None


def _rss_person(text: str | None) -> tuple[str | None, str | None]:
    """``podcast@example.org (Jeanne Dupont)`` → (email, name)."""
    if not text:
        return None, None
    name, address = email.utils.parseaddr(text)
    if "@" not in address:
        return None, None
    match = re.search(r"\(([^)]+)\)", text)
    return address, (match.group(1).strip() if match else name or None)


def parse_date(text: str) -> tuple[datetime | None, str | None]:
    """An aware datetime from an RFC 822 date as feeds really write them, and a note when it guessed."""
    cleaned = " ".join(text.split())
    try:
        parsed = datetime.fromisoformat(cleaned.replace("Z", "+00:00") if cleaned.endswith("Z") else cleaned)
    except ValueError:
        parsed = None
    if parsed is not None:
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC), f"the date {text!r} has no time zone; UTC assumed"
        return parsed, None
    zone_note = None
    try:
        parsed = email.utils.parsedate_to_datetime(cleaned)
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is not None and parsed.tzinfo is not None:
        return parsed, None
    match = _LOOSE_DATE.match(cleaned)
    if match is None:
        return None, None
    month_name = (match.group("month") or match.group("month2") or "").lower().rstrip(".")
    month = _MONTHS.get(month_name) or _MONTHS.get(month_name[:3])
    if month is None:
        return None, None
    year = int(match.group("year"))
    if year < 100:
        year += 2000 if year < 70 else 1900
    offset: timedelta | None
    if match.group("sign"):
        hours, minutes = int(match.group("oh")), int(match.group("om") or 0)
        offset = timedelta(hours=hours, minutes=minutes) * (-1 if match.group("sign") == "-" else 1)
    elif match.group("zone"):
        minutes_east = _ZONES.get(match.group("zone").upper())
        if minutes_east is None:
            return None, None
        offset = timedelta(minutes=minutes_east)
    else:
        offset = timedelta(0)
        zone_note = f"the date {text!r} has no time zone; UTC assumed"
    try:
        value = datetime(
            year,
            month,
            int(match.group("day") or match.group("day2")),
            int(match.group("hour") or 0),
            int(match.group("minute") or 0),
            int(match.group("second") or 0),
            tzinfo=timezone(offset),
        )
    except ValueError:
        return None, None
    return value, zone_note


def parse_duration(text: str) -> float | None:
    """Seconds from ``itunes:duration``: ``2105``, ``35:05``, ``0:35:05``, ``35:05.5`` or ``35m 5s``."""
    value = text.strip()
    if not value:
        return None
    try:
        seconds = float(value.replace(",", "."))
        return seconds if seconds >= 0 else None
    except ValueError:
        pass
    match = _CLOCK.match(value)
    if match:
        hours, minutes, seconds_text = match.groups()
        return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds_text.replace(",", "."))
    match = _UNITS.match(value)
    if match and any(match.groups()):
        hours, minutes, seconds_text = match.groups()
        return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds_text or 0)
    return None
