"""Read an RSS podcast feed (already parsed safely) into typed records: the channel and its items.

Real feeds are forgiving about everything, so this module is too (reading each value
is :mod:`podcaster.importing.feedvalues`'s job), but it says what it had to guess:
each guess is a warning naming the feed and its line.
Nothing here decides how the catalogue looks; :mod:`podcaster.importing.importer` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from podcaster.errors import Problem, Severity, SourceError
from podcaster.importing.feedvalues import (
    Node,
    absolute_url,
    local_name,
    oversized_field,
    parse_date,
    parse_duration,
    parse_explicit,
    parse_keywords,
    parse_rss_person,
    split_tag,
    url_problem,
)
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

# Seasons and episode numbers apps read as 32-bit integers; some use a year or a date (20230115).
MAX_NUMBER = 2**31 - 1


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
    enclosure_problem: str | None = None  # why the audio enclosure it has cannot be used

    @property
    def label(self) -> str:
        return f"item {self.index + 1}" + (f" ({self.title[:60]!r})" if self.title else "")


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


def read_feed(root: etree._Element, url: str, extra_warnings: Iterable[str] = ()) -> SourceFeed:
    """Turn a parsed RSS document into a SourceFeed; refuse what is not an RSS feed."""
    warnings = [Problem(url, message, None, Severity.WARNING) for message in extra_warnings]
    local = split_tag(root.tag)[1].lower() if isinstance(root.tag, str) else ""
    if local == "feed":
        raise SourceError("this is an Atom feed; give the podcast's RSS feed instead", path=url)
    if local != "rss":
        raise SourceError(
            f"not an RSS feed (the document is <{local}>): give the address of the feed itself", path=url
        )
    channel_element = next((child for child in root if local_name(child) == "channel"), None)
    if channel_element is None:
        raise SourceError("the feed has no <channel>", path=url, line=root.sourceline)
    item_elements = [child for child in channel_element if local_name(child) == "item"]
    _refuse_oversized(channel_element, item_elements, url)
    channel_node = Node(channel_element)
    # A feed read from a file resolves its relative URLs against its own address, when it says it.
    base = (
        _base(url)
        or absolute_url(_self_url(channel_node), None)
        or absolute_url(channel_node.text("", "link"), None)
    )
    channel = _read_channel(channel_node, base, url, warnings)
    items = [_read_item(index, element, base, url, warnings) for index, element in enumerate(item_elements)]
    return SourceFeed(url=url, channel=channel, items=tuple(items), warnings=tuple(warnings))


def _refuse_oversized(channel: etree._Element, items: list[etree._Element], url: str) -> None:
    """Refuse the whole feed when one field is past its limit: the import keeps every item whole, or none."""
    for child in channel:
        if local_name(child) == "item":
            continue
        problem = oversized_field(child)
        if problem:
            raise SourceError(
                f"the channel's {problem}: refused, nothing imported", path=url, line=child.sourceline
            )
    for index, element in enumerate(items):
        for child in element:
            problem = oversized_field(child)
            if problem:
                node = Node(element)
                title = (node.text("", "title") or "")[:60] if local_name(child) != "title" else ""
                guid = node.text("", "guid") if local_name(child) != "guid" else None
                label = (
                    f"item {index + 1}"
                    + (f" ({title!r})" if title else "")
                    + (f", GUID {guid[:200]!r}" if guid else "")
                )
                raise SourceError(
                    f"{label}: its {problem}: refused, nothing imported", path=url, line=child.sourceline
                )


def _base(url: str) -> str | None:
    return url if url.startswith(("http://", "https://")) else None


def _self_url(node: Node) -> str | None:
    for link in node.all("atom", "link"):
        if link.get("rel") == "self" and link.get("href"):
            return link.get("href", "").strip()
    return None


def _read_channel(node: Node, base: str | None, url: str, warnings: list[Problem]) -> SourceChannel:
    line = node.element.sourceline
    self_url = _self_url(node)
    owner = node.first("itunes", "owner")
    owner_node = Node(owner) if owner is not None else None
    owner_name = owner_node.text("itunes", "name") if owner_node else None
    owner_email = owner_node.text("itunes", "email") if owner_node else None
    if not owner_email:
        owner_email, fallback_name = parse_rss_person(
            node.text("", "managingEditor") or node.text("", "webMaster")
        )
        owner_name = owner_name or fallback_name
    image = absolute_url(node.attribute("itunes", "image", "href"), base, node.first("itunes", "image"))
    if image is None:
        rss_image = node.first("", "image")
        if rss_image is not None:
            image = absolute_url(Node(rss_image).text("", "url"), base, rss_image)
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
        explicit=parse_explicit(node.text("itunes", "explicit")),
        type=(node.text("itunes", "type") or "").lower() or None,
        podcast_guid=node.text("podcast", "guid"),
        link=absolute_url(node.text("", "link"), base),
        self_url=self_url,
        new_feed_url=new_feed_url,
        copyright=node.text("", "copyright"),
        subtitle=node.text("itunes", "subtitle"),
        keywords=parse_keywords(node.text("itunes", "keywords")),
        locked={"yes": True, "no": False}.get(locked_text),
        funding=tuple(
            Funding(url=funding_url, text="".join(element.itertext()).strip() or funding_url)
            for element in node.all("podcast", "funding")
            if (funding_url := absolute_url(element.get("url"), base))
        ),
        persons=_persons(node, base),
        location=_location(node),
        medium=node.text("podcast", "medium"),
    )


def _read_item(
    index: int, element: etree._Element, base: str | None, url: str, warnings: list[Problem]
) -> SourceItem:
    node = Node(element)
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
    enclosure, enclosure_problem = _enclosure(node, base)
    return SourceItem(
        index=index,
        line=line,
        title=title,
        guid=guid,
        date=date,
        enclosure=enclosure,
        enclosure_problem=enclosure_problem,
        notes_html=node.markup("content", "encoded")
        or node.markup("", "description")
        or node.markup("itunes", "summary")
        or "",
        link=absolute_url(node.text("", "link"), base),
        season=_whole(
            season_text,
            label,
            "itunes:season" if node.first("itunes", "season") is not None else "podcast:season",
            warn,
        ),
        season_name=node.attribute("podcast", "season", "name"),
        number=_whole(number_text, label, "episode number", warn),
        type=episode_type,
        duration=duration,
        explicit=parse_explicit(node.text("itunes", "explicit")),
        image=absolute_url(
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
            if (source := absolute_url(element.get("url"), base, element))
        ),
        chapters=absolute_url(node.attribute("podcast", "chapters", "url"), base),
        persons=_persons(node, base),
        location=_location(node),
        keywords=parse_keywords(node.text("itunes", "keywords")),
    )


def _enclosure(node: Node, base: str | None) -> tuple[Enclosure | None, str | None]:
    """The item's audio, or why the one it has cannot be used."""
    candidates = [
        (element.get("url"), element.get("length"), element.get("type"), element)
        for element in node.all("", "enclosure")
    ] + [
        (element.get("url"), element.get("fileSize"), element.get("type"), element)
        for element in node.all("media", "content")
        if (element.get("type") or "").startswith(("audio/", "video/"))
    ]
    problem = None
    for raw_url, raw_length, mime_type, element in candidates:
        url = absolute_url(raw_url, base, element)
        if url is None:
            problem = problem or url_problem(raw_url, base)
            continue
        length = None
        if raw_length and raw_length.strip().isdigit() and len(raw_length.strip()) < 19:
            length = int(raw_length.strip())
        return Enclosure(url=url, length=length, mime_type=(mime_type or "").strip().lower() or None), None
    return None, problem


def _whole(text: str | None, label: str, what: str, warn: Callable[[str], None]) -> int | None:
    """A season or episode number from 1 to MAX_NUMBER; anything else is said, and ignored."""
    if text is None:
        return None
    try:
        value = int(text.strip()) if len(text.strip()) <= 100 else None
    except ValueError:
        value = None
    if value is None:
        warn(f"{label}: the {what} {text[:40]!r} is not a whole number; ignored")
        return None
    if not 1 <= value <= MAX_NUMBER:
        warn(f"{label}: the {what} {value} is not from 1 to {MAX_NUMBER:,}, as apps read it; ignored")
        return None
    return value


def _categories(node: Node) -> tuple[Category, ...]:
    categories = []
    for element in node.all("itunes", "category"):
        name = (element.get("text") or "").strip()
        if not name:
            continue
        sub = next(
            (
                (child.get("text") or "").strip()
                for child in element
                if local_name(child) == "category" and (child.get("text") or "").strip()
            ),
            None,
        )
        categories.append(Category(name=name, subcategory=sub))
    return tuple(dict.fromkeys(categories))


def _persons(node: Node, base: str | None) -> tuple[Person, ...]:
    persons = (
        person_from_mapping(
            {
                "name": "".join(element.itertext()),
                "role": (element.get("role") or "host").lower(),
                "group": (element.get("group") or "cast").lower(),
                "href": absolute_url(element.get("href"), base),
                "img": absolute_url(element.get("img"), base),
            },
            _ignore,
            where="podcast:person",
        )
        for element in node.all("podcast", "person")
    )
    return tuple(person for person in persons if person is not None)


def _location(node: Node) -> Location | None:
    element = node.first("podcast", "location")
    if element is None:
        return None
    fields = {"name": "".join(element.itertext()), "geo": element.get("geo"), "osm": element.get("osm")}
    return location_from_mapping(fields, _ignore, where="podcast:location")


def _ignore(message: str, key: str | None) -> None:
    """Feeds leave out a person's or a location's name often enough that saying so is noise."""
