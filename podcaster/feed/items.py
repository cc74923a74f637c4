"""Each episode's ``<item>``: a feedgen entry with the iTunes and ``podcast:`` extensions.

``itunes:explicit`` is written as Apple's current true/false: feedgen only knows
the old yes/no/clean values.

Where the time of a feed goes (``python -m tests.benchmarks.bench_feed``): these
entries. What feedgen would add on top is avoided: no entry list with an insert
at 0 per entry, no dateutil parsing (dates go in as aware datetimes), no locale
switching per item date, and feedgen's item-level iTunes extension, which keeps,
checks and formats thirteen tags per item, is replaced by :class:`ItunesEntryExtension`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache

# feedgen.util uses lxml.etree without importing it: feedgen.entry and feedgen.feed import it first.
from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator

# isort: split
from feedgen.ext.podcast import PodcastExtension
from lxml.etree import Element, SubElement, XMLParser, _Element, fromstring, tostring

from podcaster.feed.podcastindex import EXTENSION_NAME, PodcastIndexEntryExtension, PodcastIndexExtension
from podcaster.models import PublicEpisode, Show

__all__ = [
    "ITUNES_NS",
    "ItunesEntryExtension",
    "ItunesExtension",
    "append_item",
    "duration_seconds",
    "episode_page_url",
    "new_generator",
    "render_items",
    "rfc2822_date",
]

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
_ITUNES_EXPLICIT = f"{{{ITUNES_NS}}}explicit"
_ITUNES_IMAGE = f"{{{ITUNES_NS}}}image"
_ITUNES_DURATION = f"{{{ITUNES_NS}}}duration"
_ITUNES_SEASON = f"{{{ITUNES_NS}}}season"
_ITUNES_EPISODE = f"{{{ITUNES_NS}}}episode"
_ITUNES_EPISODE_TYPE = f"{{{ITUNES_NS}}}episodeType"
# RFC 2822 names, fixed: strftime's %a and %b follow the locale.
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Reads back only a document feedgen just wrote; no entities, no network.
PARSER = XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
# Text and attribute values are written escaped (never as CDATA), so these bytes only
# ever appear as the item tags themselves.
_ITEM_START = b"<item>"
_ITEM_END = b"</item>"


class ItunesExtension(PodcastExtension):
    """feedgen's iTunes channel extension, with ``itunes:explicit`` as true/false."""

    def __init__(self) -> None:
        super().__init__()
        self._explicit: bool | None = None

    def set_explicit(self, explicit: bool | None) -> None:
        self._explicit = explicit

    def extend_rss(self, rss_feed: _Element) -> _Element:
        super().extend_rss(rss_feed)
        if self._explicit is not None:
            SubElement(rss_feed[0], _ITUNES_EXPLICIT).text = "true" if self._explicit else "false"
        return rss_feed


class ItunesEntryExtension:
    """Item-level iTunes tags as feedgen's own extension writes them, ``itunes:explicit`` as true/false.

    feedgen's entry extension keeps, checks and formats thirteen tags for every item, of
    which an episode has six: this one keeps those six, with their qualified names built
    once, and writes them in feedgen's order. It follows feedgen's extension protocol, like
    :mod:`podcaster.feed.podcastindex`.
    """

    __slots__ = ("_duration", "_episode", "_episode_type", "_explicit", "_image", "_season")

    def __init__(self) -> None:
        self._image: str | None = None
        self._duration: int | None = None
        self._season: int | None = None
        self._episode: int | None = None
        self._episode_type: str | None = None
        self._explicit: bool | None = None

    def set_image(self, url: str | None) -> None:
        self._image = url

    def set_duration(self, seconds: int) -> None:
        self._duration = seconds

    def set_season(self, number: int) -> None:
        self._season = number

    def set_episode(self, number: int | None) -> None:
        self._episode = number

    def set_episode_type(self, episode_type: str) -> None:
        self._episode_type = episode_type

    def set_explicit(self, explicit: bool | None) -> None:
        self._explicit = explicit

    def extend_ns(self) -> dict[str, str]:
        return {"itunes": ITUNES_NS}

    def extend_rss(self, item: _Element) -> _Element:
        if self._image:
            SubElement(item, _ITUNES_IMAGE, href=self._image)
        if self._duration is not None:
            SubElement(item, _ITUNES_DURATION).text = str(self._duration)
        if self._season:
            SubElement(item, _ITUNES_SEASON).text = str(self._season)
        if self._episode:
            SubElement(item, _ITUNES_EPISODE).text = str(self._episode)
        if self._episode_type:
            SubElement(item, _ITUNES_EPISODE_TYPE).text = self._episode_type
        if self._explicit is not None:
            SubElement(item, _ITUNES_EXPLICIT).text = "true" if self._explicit else "false"
        return item

    def extend_atom(self, entry: _Element) -> _Element:
        return entry


def new_generator() -> FeedGenerator:
    """A feedgen FeedGenerator with the iTunes and ``podcast:`` extensions registered."""
    fg = FeedGenerator()
    fg.register_extension("podcast", ItunesExtension, ItunesEntryExtension, atom=False)
    fg.register_extension(EXTENSION_NAME, PodcastIndexExtension, PodcastIndexEntryExtension, atom=False)
    return fg


def rfc2822_date(date: datetime) -> str:
    """An RSS date (``Wed, 25 Jan 2023 10:00:00 +0100``) whatever the current locale."""
    return date.strftime(f"{_DAYS[date.weekday()]}, %d {_MONTHS[date.month - 1]} %Y %H:%M:%S %z")


def episode_page_url(show: Show, slug: str) -> str:
    """The public page of an episode on the site."""
    return f"{show.urls.site}episodes/{slug}/"


def duration_seconds(duration: float) -> int:
    """Whole seconds, rounded half up (``round`` would round 2.5 down to 2)."""
    return int(duration + 0.5)


def render_items(show: Show, live: Sequence[PublicEpisode]) -> list[bytes]:
    """Each episode's ``<item>``, as the bytes it has in every feed of the show.

    Raises ValueError for text XML cannot carry, as lxml does;
    :meth:`podcaster.feed.rss.ShowFeeds.naming_unwritable_items` names the field.
    """
    rss = Element("rss", nsmap=_namespaces())
    channel = SubElement(rss, "channel")
    season_names = {known.number: known.name for known in show.seasons}
    for public in live:
        append_item(channel, show, public, season_names.get(public.episode.season))
    document = tostring(rss, encoding="UTF-8")
    items = []
    end = 0
    for _ in live:
        start = document.index(_ITEM_START, end)
        end = document.index(_ITEM_END, start) + len(_ITEM_END)
        items.append(document[start:end])
    return items


@cache
def _namespaces() -> dict[str | None, str]:
    """The namespaces feedgen declares on a feed with both extensions, by prefix."""
    fg = new_generator()
    fg.title("-")
    fg.link(href="https://example.org/", rel="alternate")
    fg.description("-")
    return dict(fromstring(fg.rss_str(pretty=False, xml_declaration=False), PARSER).nsmap)


def append_item(channel: _Element, show: Show, public: PublicEpisode, season_name: str | None) -> None:
    """Add the <item> of one episode to *channel*, written by a feedgen entry with both extensions."""
    episode = public.episode
    media = public.media
    entry = FeedEntry()
    entry.register_extension("podcast", ItunesEntryExtension, atom=False, rss=True)
    entry.register_extension(EXTENSION_NAME, PodcastIndexEntryExtension, atom=False, rss=True)
    entry.title(episode.title)
    # One link() call for the page and the enclosure: each call re-validates every link.
    entry.link(
        [
            {"href": episode_page_url(show, episode.slug), "rel": "alternate"},
            {
                "href": public.audio_url,
                "rel": "enclosure",
                "type": media.mime_type,
                "length": str(media.size),
            },
        ]
    )
    # Notes go in as escaped text rather than CDATA: whatever they hold, it is never live markup here.
    entry.description(episode.summary or episode.notes_html or episode.title)
    if episode.notes_html:
        entry.content(episode.notes_html)
    entry.guid(episode.guid, permalink=False)

    itunes = entry.podcast
    itunes.set_image(public.image_url)
    itunes.set_duration(duration_seconds(media.duration))
    itunes.set_season(episode.season)
    itunes.set_episode(episode.number)
    itunes.set_episode_type(episode.type.value)
    itunes.set_explicit(episode.explicit)

    index = entry.podcastindex
    index.set_season(episode.season, season_name)
    if episode.number is not None:
        index.set_episode(episode.number)
    if episode.persons:
        index.set_persons(episode.persons)
    if episode.location is not None:
        index.set_location(episode.location)
    if public.transcripts:
        index.set_transcripts(public.transcripts)
    if public.chapters_url:
        index.set_chapters(public.chapters_url)
    item: _Element = entry.rss_entry()
    # Not entry.pubDate(): feedgen formats each date by switching the whole process's locale
    # to C and back (three setlocale calls per item, and unsafe beside threads).
    SubElement(item, "pubDate").text = rfc2822_date(episode.date)
    channel.append(item)
