"""The podcast RSS feeds: feedgen, its iTunes extension and our ``podcast:`` one.

:func:`render_feed` turns the public show and its episodes into the bytes of an
RSS 2.0 document, for the whole show or for one season. :class:`ShowFeeds` makes
the show's feed and every season's at once from each episode's ``<item>``,
written only once (:mod:`podcaster.feed.items`, by worker processes for a large
show): a season's feed holds the very bytes its items have in the show's feed.

The same input always gives the same bytes: nothing in the document depends on
the clock (``lastBuildDate`` is the newest episode's date), so a rebuild with
nothing changed is byte-identical and ETags stay valid.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime

from feedgen.feed import FeedGenerator
from lxml.etree import Element, _Element, fromstring, tostring

from podcaster.errors import FeedError, raise_if_errors
from podcaster.feed.categories import APPLE_CATEGORIES
from podcaster.feed.items import (
    PARSER,
    duration_seconds,
    episode_page_url,
    new_generator,
    render_items,
    rfc2822_date,
)
from podcaster.feed.podcastindex import EXTENSION_NAME
from podcaster.feed.problems import feed_problems, show_file, unwritable_text
from podcaster.models import PODCAST_GUID_NAMESPACE, PublicEpisode, PublicShow, Season, Show

__all__ = [
    "APPLE_CATEGORIES",
    "GENERATOR",
    "ShowFeeds",
    "channel_artwork",
    "duration_seconds",
    "episode_page_url",
    "live_episodes",
    "render_feed",
    "render_items",
    "rfc2822_date",
]

GENERATOR = "podcaster"
_ATOM_LINK = "{http://www.w3.org/2005/Atom}link"
# Text is written escaped (never as CDATA): these bytes only ever appear as the channel's end tag.
_CHANNEL_END = b"</channel>"


def live_episodes(
    episodes: Iterable[PublicEpisode], *, now: datetime, season: int | None = None
) -> list[PublicEpisode]:
    """Keep the episodes listeners may see (of one season if given), newest first."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    live = [
        public
        for public in episodes
        if public.episode.is_live(now) and (season is None or public.episode.season == season)
    ]
    # Ties on the date are broken by season, number and GUID so the order never depends on input order.
    live.sort(
        key=lambda public: (
            public.episode.date,
            public.episode.season,
            public.episode.number if public.episode.number is not None else -1,
            public.episode.guid,
        ),
        reverse=True,
    )
    return live


def render_feed(
    public_show: PublicShow,
    episodes: Sequence[PublicEpisode],
    *,
    self_url: str,
    season: Season | None = None,
    now: datetime,
) -> bytes:
    """Render the RSS 2.0 feed of the show, or of one *season*, as UTF-8 bytes."""
    live = live_episodes(episodes, now=now, season=season.number if season else None)
    channel = _channel(public_show, live, self_url=self_url, season=season, now=now)  # checks the feed first
    with _naming_unwritable_text(public_show.show, live, season):
        return _around(channel, render_items(public_show.show, live))


class ShowFeeds:
    """The show's feed and each season's, in two parts: the items, and the channels around them.

    Made, it holds the live episodes, newest first, the feed checked. Their items, rendered
    anywhere (within :meth:`naming_unwritable_items`), go to :meth:`assemble`, which writes the
    channels unless :meth:`render_channels` already did, and gives the bytes :func:`render_feed`
    gives for the show and for each season. A channel's failure is raised by :meth:`assemble`, after any of the items'.
    """

    def __init__(self, public_show: PublicShow, episodes: Sequence[PublicEpisode], *, now: datetime) -> None:
        self.public_show = public_show
        self.now = now
        show = public_show.show
        self.live = live_episodes(episodes, now=now)
        raise_if_errors(feed_problems(show, channel_artwork(public_show, None), self.live), FeedError)
        self._channels: tuple[bytes, dict[int, bytes]] | None = None
        self._failure: Exception | None = None

    def naming_unwritable_items(self) -> AbstractContextManager[None]:
        """Where the items are rendered: lxml's error for text XML cannot carry becomes a FeedError naming it."""
        return _naming_unwritable_text(self.public_show.show, self.live, None)

    def render_channels(self) -> None:
        """Write the show's channel, then each season's; a failure is kept for :meth:`assemble` to raise."""
        if self._channels is not None or self._failure is not None:
            return
        public_show, now = self.public_show, self.now
        show = public_show.show
        try:
            whole = _channel(public_show, self.live, self_url=show.urls.feed, season=None, now=now)
            by_season: dict[int, list[PublicEpisode]] = {}
            for public in self.live:
                by_season.setdefault(public.episode.season, []).append(public)
            seasons = {
                season.number: _channel(
                    public_show,
                    by_season.get(season.number, []),
                    self_url=show.urls.season_feed_url(season.number),
                    season=season,
                    now=now,
                )
                for season in show.seasons
            }
        except Exception as error:  # raised by assemble(), once the items had their say
            self._failure = error
            return
        self._channels = whole, seasons

    def assemble(self, rendered: Sequence[bytes]) -> tuple[bytes, dict[int, bytes]]:
        """The show's feed and each season's (by number), given the item of each live episode."""
        self.render_channels()
        if self._failure is not None:
            raise self._failure
        assert self._channels is not None
        whole, channels = self._channels
        by_season: dict[int, list[bytes]] = {}
        for public, item in zip(self.live, rendered, strict=True):
            by_season.setdefault(public.episode.season, []).append(item)
        seasons = {
            number: _around(channel, by_season.get(number, [])) for number, channel in channels.items()
        }
        return _around(whole, rendered), seasons


def channel_artwork(public_show: PublicShow, season: Season | None) -> str | None:
    """The artwork of a feed: its season's if it has one, else the show's."""
    if season is not None and season.number in public_show.season_artwork_urls:
        return public_show.season_artwork_urls[season.number]
    return public_show.artwork_url


def _channel(
    public_show: PublicShow,
    live: Sequence[PublicEpisode],
    *,
    self_url: str,
    season: Season | None,
    now: datetime,
) -> bytes:
    """The document of the *live* episodes without their items."""
    fg = _generator(public_show, live, self_url=self_url, season=season, now=now)
    with _naming_unwritable_text(public_show.show, live, season):
        return tostring(_parsed(fg, public_show.show), encoding="UTF-8", xml_declaration=True)


def _around(channel: bytes, items: Sequence[bytes]) -> bytes:
    """The document of *channel* with *items* added at the end of it."""
    end = channel.rindex(_CHANNEL_END)
    return b"".join((channel[:end], *items, channel[end:]))


def _generator(
    public_show: PublicShow,
    live: Sequence[PublicEpisode],
    *,
    self_url: str,
    season: Season | None,
    now: datetime,
) -> FeedGenerator:
    """feedgen, with both extensions, holding the channel; the feed checked first."""
    problems = feed_problems(public_show.show, channel_artwork(public_show, season), live)
    raise_if_errors(problems, FeedError)
    fg = new_generator()
    _fill_channel(fg, public_show, live, self_url=self_url, season=season, now=now)
    return fg


def _parsed(fg: FeedGenerator, show: Show) -> _Element:
    """The document feedgen writes, read back to add what it cannot write."""
    rss = fromstring(fg.rss_str(pretty=False, xml_declaration=False), PARSER)
    _add_hubs(rss[0], show.hubs)
    return rss


@contextmanager
def _naming_unwritable_text(
    show: Show, live: Sequence[PublicEpisode], season: Season | None
) -> Iterator[None]:
    """Turn lxml's bare ValueError for a character XML cannot carry into a FeedError naming its field."""
    try:
        yield
    except ValueError as error:
        # lxml only checks the text when it is written: find whose it was.
        raise_if_errors(unwritable_text(show, live, season), FeedError)
        raise FeedError(f"cannot write the feed: {error}", path=show_file(show)) from error


def _add_hubs(channel: _Element, hubs: Sequence[str]) -> None:
    """Name the WebSub hubs beside atom:link rel=self (feedgen writes only the self link in RSS)."""
    anchor = channel.find(_ATOM_LINK)
    for hub in reversed(hubs):
        link = Element(_ATOM_LINK, rel="hub", href=hub)
        if anchor is not None:
            anchor.addnext(link)
        else:
            channel.append(link)


def _feed_guid(show: Show, self_url: str, season: Season | None) -> str:
    """podcast:guid: UUIDv5 of the feed URL without its scheme, as the namespace defines it."""
    if season is None:
        return show.podcast_guid
    without_scheme = self_url.split("://", 1)[-1].rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, without_scheme))


def _fill_channel(
    fg: FeedGenerator,
    public_show: PublicShow,
    live: Sequence[PublicEpisode],
    *,
    self_url: str,
    season: Season | None,
    now: datetime,
) -> None:
    show = public_show.show
    title = f"{show.title} — {season.name}" if season else show.title
    description = (season.description if season else "") or show.description
    fg.title(title)
    fg.description(description)
    # feedgen writes the first rel=self link as atom:link and the last link as the RSS <link>.
    fg.link(href=self_url, rel="self", type="application/rss+xml")
    fg.link(href=show.urls.site, rel="alternate")
    fg.language(show.language)
    if show.copyright:
        fg.copyright(show.copyright)
    fg.generator(GENERATOR)
    # The newest episode's date, not the clock: an unchanged catalogue gives identical bytes.
    built = live[0].episode.date if live else now
    fg.lastBuildDate(built)
    fg.pubDate(built)
    artwork = channel_artwork(public_show, season)
    if artwork:
        fg.image(url=artwork, title=title, link=show.urls.site)

    itunes = fg.podcast
    itunes.itunes_author(show.author)
    # feedgen wants both; without an email (`podcaster check` asks for one) there is no owner to write.
    if show.owner.name and show.owner.email:
        itunes.itunes_owner(name=show.owner.name, email=show.owner.email)
    itunes.itunes_type(show.type.value)
    itunes.set_explicit(show.explicit)
    itunes.itunes_summary(description)
    if show.urls.new_feed and season is None:
        itunes.itunes_new_feed_url(show.urls.new_feed)
    if show.subtitle:
        itunes.itunes_subtitle(show.subtitle)
    if artwork:
        itunes.itunes_image(artwork)
    if show.categories:
        itunes.itunes_category(
            [
                {"cat": category.name, "sub": category.subcategory}
                if category.subcategory
                else {"cat": category.name}
                for category in show.categories
            ]
        )

    index = getattr(fg, EXTENSION_NAME)
    index.set_guid(_feed_guid(show, self_url, season))
    index.set_locked(show.locked, show.owner.email or None)
    index.set_location(show.location)
    for funding in show.funding:
        index.add_funding(funding)
    for person in show.persons:
        index.add_person(person)
    index.set_medium(show.medium)
