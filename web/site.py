"""The catalogue as the site sees it: loaded through the library, kept in memory, reloaded on change.

This module owns that one resource (as ``db.py`` owns the database in
Flask's tutorial). A :class:`Snapshot` is everything listeners may see at one
moment: the show, its live episodes with their public URLs, and the bodies
rendered from them. It is replaced when a catalogue file changes (checked at
most every ``RELOAD_INTERVAL`` seconds, by file times and sizes only) or when
the clock passes a scheduled episode's date.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app

from podcaster import Catalogue, Feeds, PodcastFolder, Resolver, load_catalogue, render_feeds
from podcaster.errors import PodcasterError, Problem
from podcaster.models import EpisodeType, PublicEpisode, PublicShow, Season, Show, ShowType
from podcaster.storage import LocalStorage, open_storage

from .http import Cached
from .i18n import interface_language

EXTENSION = "podcaster"
_log = logging.getLogger(__name__)

Signature = tuple[tuple[str, int, int], ...]


@dataclass
class Snapshot:
    """What listeners may see at one moment, and the bodies already rendered from it."""

    catalogue: Catalogue
    public_show: PublicShow
    episodes: tuple[PublicEpisode, ...]  # live, newest first
    valid_until: datetime | None  # the next scheduled date: the view changes then
    last_modified: datetime
    now: datetime  # the moment this view was made for
    resolver: Resolver = field(repr=False)  # read-only: a page request never writes
    skipped: tuple[Problem, ...] = ()
    by_slug: dict[str, PublicEpisode] = field(init=False)
    _answers: dict[str, Cached] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _feeds: Feeds | None = field(default=None, init=False, repr=False)
    _feeds_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self.by_slug = {public.episode.slug: public for public in self.episodes}

    @property
    def root(self) -> Path:
        return self.catalogue.root

    @property
    def folder(self) -> PodcastFolder:
        return self.catalogue.folder

    @property
    def show(self) -> Show:
        return self.catalogue.show

    @property
    def language(self) -> str:
        return interface_language(self.catalogue.show.language)

    def episode(self, slug: str) -> PublicEpisode | None:
        return self.by_slug.get(slug)

    def season(self, number: int) -> Season | None:
        return self.catalogue.show.season(number)

    def in_season(self, number: int) -> list[PublicEpisode]:
        """A season's live episodes in reading order: first to last for a serial show, else newest first."""
        episodes = [public for public in self.episodes if public.episode.season == number]
        if self.catalogue.show.type is ShowType.SERIAL:
            episodes.sort(key=_reading_order)
        return episodes

    def neighbours(self, public: PublicEpisode) -> tuple[PublicEpisode | None, PublicEpisode | None]:
        """The episodes before and after *public* in its season's reading order."""
        ordered = sorted(
            (item for item in self.episodes if item.episode.season == public.episode.season),
            key=_reading_order,
        )
        index = ordered.index(public)
        before = ordered[index - 1] if index > 0 else None
        after = ordered[index + 1] if index + 1 < len(ordered) else None
        return before, after

    def cached(self, key: str, make: Callable[[], Cached]) -> Cached:
        """The answer cached under *key*, made by *make* the first time.

        Keys starting with ``/`` are URL paths (script root included) whose
        answer depends on nothing else: :class:`web.http.FastPath` serves
        them straight from here. Other keys (``api:…``) are only for views.
        """
        found = self._answers.get(key)
        if found is None:
            found = make()
            with self._lock:
                found = self._answers.setdefault(key, found)
        return found

    def find(self, key: str) -> Cached | None:
        return self._answers.get(key)

    def feeds(self) -> Feeds:
        """The documents build writes, rendered by the library once for this view, when first asked for."""
        with self._feeds_lock:
            if self._feeds is None:
                # Broken episodes were logged when this view was made; they stay out of the feeds too.
                self._feeds = render_feeds(self.catalogue, self.now, self.resolver, skipped=[])
            return self._feeds


def _reading_order(public: PublicEpisode) -> tuple[int, int, int, datetime]:
    episode = public.episode
    # Trailers open a season, bonus episodes follow the numbered ones.
    rank = {EpisodeType.TRAILER: 0, EpisodeType.FULL: 1, EpisodeType.BONUS: 2}[episode.type]
    return (episode.season, rank, episode.number or 0, episode.date)


class Site:
    """Holds the current snapshot and decides when to make a new one."""

    def __init__(self, root: Path, clock: Callable[[], datetime], reload_interval: float) -> None:
        self.root = root
        self.folder = PodcastFolder(root)
        self.clock = clock
        self.reload_interval = reload_interval
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._catalogue: Catalogue | None = None
        self._signature: Signature | None = None
        self._error: PodcasterError | None = None
        self._next_check = 0.0
        self._storage: tuple[str, LocalStorage | None] | None = None

    def snapshot(self) -> Snapshot:
        """The current view of the catalogue; raises the library's error if it never loaded."""
        current = self._snapshot
        if (
            current is not None
            and time.monotonic() < self._next_check
            and (current.valid_until is None or self._now() < current.valid_until)
        ):
            return current
        with self._lock:
            return self._refresh()

    def _refresh(self) -> Snapshot:
        self._next_check = time.monotonic() + self.reload_interval
        signature = self._files_signature()
        if signature != self._signature:
            self._signature = signature
            try:
                self._catalogue = load_catalogue(self.root)
                self._error = None
                self._snapshot = None
                self._signature = self._files_signature()  # now the artwork paths are known too
            except PodcasterError as error:
                # Keep serving the last good catalogue while the producer fixes the file.
                self._error = error
                _log.error("cannot load the catalogue:\n%s", error)
        if self._catalogue is None:
            assert self._error is not None
            raise self._error
        now = self._now()
        current = self._snapshot
        if current is None or (current.valid_until is not None and now >= current.valid_until):
            self._snapshot = current = self._resolve(self._catalogue, now, self._signature or ())
        return current

    def _now(self) -> datetime:
        now = self.clock()
        if now.tzinfo is None:
            raise ValueError("the CLOCK setting must return an aware datetime")
        return now

    def _resolve(self, catalogue: Catalogue, now: datetime, signature: Signature) -> Snapshot:
        # The site only reads what build and publish made: artwork not derived yet is left out.
        resolver = Resolver(catalogue, derive=False)
        public_show = resolver.public_show()
        skipped: list[Problem] = []
        episodes = resolver.public_episodes(now, skipped=skipped)
        for problem in skipped:
            # One broken episode must not take the whole site down; the producer sees why in the log.
            _log.warning("episode left out of the site: %s", problem)
        for path in resolver.missing_artwork:
            _log.warning("artwork left out of the site until 'podcaster build' derives it: %s", path)
        newest_file = max((mtime for _, mtime, _ in signature), default=0)
        newest = datetime.fromtimestamp(newest_file / 1e9, UTC)
        if episodes:
            newest = max(newest, max(public.episode.date for public in episodes).astimezone(UTC))
        return Snapshot(
            catalogue=catalogue,
            public_show=public_show,
            episodes=tuple(episodes),
            valid_until=catalogue.next_release(now),
            last_modified=newest.replace(microsecond=0),
            now=now,
            resolver=resolver,
            skipped=tuple(skipped),
        )

    def _files_signature(self) -> Signature:
        """Times and sizes of every file the site is made from: cheap to take, changes on any edit."""
        entries: list[tuple[str, int, int]] = []
        folder = self.folder
        for path in (folder.show_file, folder.lock_file):
            _add(entries, str(path))
        # The artwork cache too: a build that derives a cover shows it without a restart.
        for directory in (folder.episodes_dir, folder.feeds_dir, folder.artwork_cache):
            entries.extend(_walk(str(directory)))
        if self._catalogue is not None:
            show = self._catalogue.show
            for artwork in (show.artwork, *(season.artwork for season in show.seasons)):
                if artwork is not None:
                    _add(entries, str(artwork))
        return tuple(entries)

    def storage(self, media_dir: Path | None) -> LocalStorage | None:
        """The local storage /media/ serves, or None when the show publishes elsewhere."""
        url = self.snapshot().show.storage if media_dir is None else media_dir.as_uri()
        if self._storage is None or self._storage[0] != url:
            storage = None
            if url.startswith("file://"):
                opened = open_storage(url, base=self.root)
                storage = opened if isinstance(opened, LocalStorage) else None
            self._storage = (url, storage)
        return self._storage[1]


def _add(entries: list[tuple[str, int, int]], path: str) -> None:
    try:
        status = os.stat(path)
    except OSError:
        entries.append((path, 0, -1))
        return
    entries.append((path, status.st_mtime_ns, status.st_size))


def _walk(folder: str) -> Iterator[tuple[str, int, int]]:
    try:
        scanned = list(os.scandir(folder))
    except OSError:
        return
    for entry in sorted(scanned, key=lambda item: item.name):
        try:
            status = entry.stat(follow_symlinks=True)
        except OSError:
            continue
        if entry.is_dir():
            yield (entry.path, status.st_mtime_ns, 0)
            yield from _walk(entry.path)
        else:
            yield (entry.path, status.st_mtime_ns, status.st_size)


def current_site() -> Site:
    site: Site = current_app.extensions[EXTENSION]
    return site


def snapshot() -> Snapshot:
    return current_site().snapshot()


def cached_answer(site: Site) -> Callable[[str], Cached | None]:
    """How :class:`web.http.FastPath` finds the answer cached for a URL path."""

    def lookup(path: str) -> Cached | None:
        return site.snapshot().find(path)

    return lookup
