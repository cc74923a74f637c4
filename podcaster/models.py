"""The typed records of a podcast: show, season, episode, and audio facts.

Everything here is immutable and holds aware datetimes only; loading and
validation live in :mod:`podcaster.folder.showfile` and :mod:`podcaster.folder.catalogue`,
except a person's and a location's fields, read the same way from podcast.toml,
episode files and imported feeds by :func:`person_from_mapping` and :func:`location_from_mapping`.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urljoin, urlsplit

from podcaster.errors import Message, did_you_mean

# The Podcasting 2.0 namespace fixes this UUID as the base for podcast:guid.
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")


# The one spelling of a season in folder names, feed names and storage keys.
_SEASON_NAME = re.compile(r"^saison-([0-9]{1,9})$")  # ASCII digits, short enough for int()


def season_name(number: int) -> str:
    """Name season *number* as folders, feeds and storage keys do: ``saison-N``."""
    return f"saison-{number}"


def season_number(name: str) -> int | None:
    """Read the number from a season folder name or a season feed's file name, else ``None``."""
    match = _SEASON_NAME.match(name.removesuffix(".xml"))
    return int(match.group(1)) if match else None


def season_feed_name(number: int) -> str:
    """Name a season's feed file, ``saison-N.xml``, the same in ``feeds/``, in storage and on the site."""
    return f"{season_name(number)}.xml"


class EpisodeType(StrEnum):
    FULL = "full"
    TRAILER = "trailer"
    BONUS = "bonus"


class ShowType(StrEnum):
    EPISODIC = "episodic"
    SERIAL = "serial"


@dataclass(frozen=True)
class Person:
    name: str
    role: str = "host"
    group: str = "cast"
    href: str | None = None
    img: str | None = None


@dataclass(frozen=True)
class Location:
    name: str
    geo: str | None = None
    osm: str | None = None


PERSON_KEYS = frozenset({"name", "role", "group", "href", "img"})
LOCATION_KEYS = frozenset({"name", "geo", "osm"})

# Told each problem's message and the key at fault (None: the mapping itself).
FieldReport = Callable[[str, str | None], None]


def person_from_mapping(
    raw: Mapping[str, Any], report: FieldReport, *, where: str, default_role: str = "host"
) -> Person | None:
    """A Person from a mapping of name, role, group, href and img; *where* names it in messages."""
    _unknown_keys(raw, PERSON_KEYS, report, where)
    name = _text(raw, "name", report, where, required=True)
    role, group, href, img = (_text(raw, key, report, where) for key in ("role", "group", "href", "img"))
    for key, url in (("href", href), ("img", img)):
        if url is not None and not is_web_url(url):
            report(
                Message(f"'{key}' in {where} must be an http(s) URL, not {url!r}", "not_web_url", value=url),
                key,
            )
    href, img = (url if url is not None and is_web_url(url) else None for url in (href, img))
    return Person(name, role or default_role, group or "cast", href, img) if name else None


def is_web_url(text: str | None) -> bool:
    """Whether *text* is an absolute http(s) URL, the only links a producer may give (never javascript:, data:…)."""
    try:
        parts = urlsplit(text or "")
        parts.port  # noqa: B018 - read to check it
    except ValueError:  # "http://[::1": an unclosed IPv6 address; a port out of range
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and str(text).isprintable()


def location_from_mapping(raw: Mapping[str, Any], report: FieldReport, *, where: str) -> Location | None:
    """A Location from a mapping of name, geo and osm; *where* names it in messages."""
    _unknown_keys(raw, LOCATION_KEYS, report, where)
    name = _text(raw, "name", report, where, required=True)
    geo, osm = _text(raw, "geo", report, where), _text(raw, "osm", report, where)
    return Location(name, geo, osm) if name else None


def _unknown_keys(raw: Mapping[str, Any], allowed: frozenset[str], report: FieldReport, where: str) -> None:
    for key in raw:
        if key not in allowed:
            report(f"unknown key '{key}' in {where}{did_you_mean(str(key), allowed, cutoff=0.75)}", str(key))


def _text(
    raw: Mapping[str, Any], key: str, report: FieldReport, where: str, *, required: bool = False
) -> str | None:
    """A text field, stripped; ``None`` when absent or empty, reported when required or not text."""
    value = raw.get(key)
    if value is None:
        if required:
            report(Message(f"{where} needs '{key}'", "missing", field=key), None)
        return None
    if not isinstance(value, str):
        report(f"'{key}' in {where} must be text", key)
        return None
    value = value.strip()
    if required and not value:
        report(Message(f"'{key}' in {where} must not be empty", "missing", field=key), key)
    return value or None


@dataclass(frozen=True)
class Funding:
    url: str
    text: str


@dataclass(frozen=True)
class Owner:
    name: str
    email: str


@dataclass(frozen=True)
class Category:
    """An Apple Podcasts category, with an optional subcategory."""

    name: str
    subcategory: str | None = None


@dataclass(frozen=True)
class Season:
    number: int
    name: str
    description: str = ""
    artwork: Path | None = None


@dataclass(frozen=True)
class Urls:
    """Where the public finds the feed, the media and the site."""

    feed: str
    media: str
    site: str
    old_feed: str | None = None  # where the show was published before it came here
    new_feed: str | None = None  # written as <itunes:new-feed-url> in the whole-show feed

    @classmethod
    def from_feed(cls, feed: str, media: str | None = None, site: str | None = None) -> Urls:
        """Fill the media and site URLs from the feed URL's location when not given."""
        parts = urlsplit(feed)
        origin = f"{parts.scheme}://{parts.netloc}/"
        media = media or urljoin(feed, "media/")
        site = site or origin
        return cls(feed=feed, media=_with_slash(media), site=_with_slash(site))

    def media_url(self, key: str) -> str:
        return self.media + key

    def site_url(self, path: str = "") -> str:
        return self.site + path.lstrip("/")

    def season_feed_url(self, number: int) -> str:
        return urljoin(self.feed, season_feed_name(number))


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


@dataclass(frozen=True)
class Show:
    title: str
    description: str
    language: str
    author: str
    owner: Owner
    urls: Urls
    artwork: Path | None = None
    categories: tuple[Category, ...] = ()
    explicit: bool = False
    type: ShowType = ShowType.EPISODIC
    copyright: str | None = None
    location: Location | None = None
    funding: tuple[Funding, ...] = ()
    persons: tuple[Person, ...] = ()
    seasons: tuple[Season, ...] = ()
    subtitle: str | None = None
    keywords: tuple[str, ...] = ()
    medium: str = "podcast"
    locked: bool = True
    storage: str = "file://public"
    links: dict[str, str] = field(default_factory=dict)
    website: dict[str, object] = field(default_factory=dict)
    stats: dict[str, object] = field(default_factory=dict)  # [stats]: geo_db, retention_months
    root: Path = Path(".")
    guid: str | None = None  # podcast:guid kept from a previous host; it must not change when the feed moves
    hubs: tuple[str, ...] = ()  # WebSub hubs told of each new feed

    @property
    def podcast_guid(self) -> str:
        """The Podcasting 2.0 GUID: the one given in podcast.toml, else UUIDv5 of the feed URL without its scheme."""
        if self.guid:
            return self.guid
        without_scheme = self.urls.feed.split("://", 1)[-1].rstrip("/")
        return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, without_scheme))

    def season(self, number: int) -> Season | None:
        return self._seasons_by_number.get(number)

    @cached_property
    def _seasons_by_number(self) -> dict[int, Season]:
        return {season.number: season for season in self.seasons}


@dataclass(frozen=True)
class Chapter:
    start: float
    title: str
    end: float | None = None
    url: str | None = None
    image: str | None = None


@dataclass(frozen=True)
class Transcript:
    """A transcript file beside the episode, or a URL already online."""

    source: str
    mime_type: str
    language: str | None = None
    rel: str | None = None


@dataclass(frozen=True)
class Tags:
    """What the audio file's own tags say, used to pre-fill a new episode."""

    title: str | None = None
    artist: str | None = None
    album: str | None = None
    date: str | None = None
    comment: str | None = None
    track: int | None = None
    disc: int | None = None


@dataclass(frozen=True)
class Artwork:
    mime_type: str
    data: bytes


@dataclass(frozen=True)
class MediaInfo:
    """What was learnt from an audio file's content."""

    size: int
    sha256: str
    duration: float
    mime_type: str
    bitrate: int
    sample_rate: int
    channels: int
    codec: str
    chapters: tuple[Chapter, ...] = ()

    @property
    def extension(self) -> str:
        return MIME_EXTENSIONS.get(self.mime_type, ".bin")


MIME_EXTENSIONS = {
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/x-m4a": ".m4a",
    "audio/ogg": ".ogg",
    "audio/opus": ".opus",
    "audio/flac": ".flac",
}

# Published storage: media files under this prefix, the feed documents beside it at the top.
MEDIA_PREFIX = "media/"

# What a published file is served as, by suffix: the audio table read backwards (first extension wins),
# then the files publish puts beside the audio (artwork, transcripts, chapters).
_MEDIA_TYPES: dict[str, str] = {
    **{extension: mime for mime, extension in reversed(MIME_EXTENSIONS.items())},
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".json": "application/json",
    ".html": "text/html",
}
_DOCUMENT_TYPES = {".xml": "application/rss+xml; charset=utf-8", ".json": "application/json; charset=utf-8"}


def media_content_type(name: str) -> str:
    """The content type of a media file (audio, artwork, transcript) named *name*, from its suffix."""
    return _MEDIA_TYPES.get(PurePosixPath(name).suffix.lower(), "application/octet-stream")


def document_content_type(name: str) -> str:
    """The content type of a feed document (``feed.xml``, ``episodes.json``) named *name*."""
    return _DOCUMENT_TYPES.get(PurePosixPath(name).suffix.lower(), "application/octet-stream")


@dataclass(frozen=True)
class Episode:
    """One episode as its Markdown file describes it."""

    slug: str
    path: Path
    title: str
    season: int
    number: int | None
    type: EpisodeType
    date: datetime
    guid: str
    audio: str
    notes_markdown: str = ""
    notes_html: str = ""
    explicit: bool | None = None
    persons: tuple[Person, ...] = ()
    location: Location | None = None
    image: str | None = None
    transcripts: tuple[Transcript, ...] = ()
    chapters: str | None = None
    draft: bool = False
    summary: str | None = None
    keywords: tuple[str, ...] = ()

    def is_live(self, now: datetime) -> bool:
        """Whether listeners may see it: not a draft, and its date has come."""
        return not self.draft and self.date <= now

    @property
    def audio_is_remote(self) -> bool:
        return self.audio.startswith(("http://", "https://"))

    def audio_path(self, root: Path) -> Path:
        """The audio file on disk: absolute, or relative to the podcast folder."""
        return Path(os.path.normpath(root / self.audio))


@dataclass(frozen=True)
class Thumbnail:
    """A small copy of a cover for web pages, with its size for the ``img`` tag."""

    url: str
    width: int
    height: int
    mime_type: str


@dataclass(frozen=True)
class PublicEpisode:
    """An episode ready for listeners: its audio facts and every public URL resolved."""

    episode: Episode
    media: MediaInfo
    audio_key: str
    audio_url: str
    image_url: str | None = None
    chapters_url: str | None = None
    transcripts: tuple[Transcript, ...] = ()  # each ``source`` is a public URL here
    image_thumbnails: tuple[Thumbnail, ...] = ()  # the episode's own image, smallest first
    chapters: tuple[Chapter, ...] = ()  # what the JSON chapters at chapters_url list, for the page

    @property
    def guid(self) -> str:
        return self.episode.guid


@dataclass(frozen=True)
class PublicShow:
    """The show with its public artwork URLs, as the feed and the site need it."""

    show: Show
    artwork_url: str | None = None
    season_artwork_urls: dict[int, str] = field(default_factory=dict)
    artwork_thumbnails: tuple[Thumbnail, ...] = ()  # smallest first, JPEG and WebP at each width
    season_artwork_thumbnails: dict[int, tuple[Thumbnail, ...]] = field(default_factory=dict)
