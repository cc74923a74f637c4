"""``podcaster publish``: plan, then upload media and assets, verify them, then the feeds, last.

The storage holds the feeds at its root (``feed.xml``, ``saison-N.xml``,
``episodes.json``) and everything else under ``media/``, so the public media
URL is the storage's public root followed by ``media/``. Media keys carry a
content hash: an object under a key is whole and final, so a listing (one
request per 1,000 keys) is enough to know what is already there.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from .build import BuildResult, refresh_media, render_feeds, write_feeds
from .catalogue import Catalogue, load_catalogue
from .errors import PodcasterError, StorageError
from .lock import Publication
from .release import Resolver, audio_key
from .storage import ObjectInfo, Storage, open_storage

MEDIA_PREFIX = "media/"
MEDIA_CACHE = "public, max-age=31536000, immutable"
FEED_CACHE = "public, max-age=300"
_FEED_TYPES = {".xml": "application/rss+xml; charset=utf-8", ".json": "application/json; charset=utf-8"}
_LOCK_NAME = ".podcaster/publish.lock"


class Change(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    DELETE = "delete"


@dataclass(frozen=True)
class PlannedObject:
    key: str
    change: Change
    size: int
    content_type: str
    cache_control: str
    source: Path | None = None
    data: bytes | None = None
    sha256: str = ""
    guid: str | None = None  # set for an episode's audio, to record its publication


@dataclass
class Plan:
    storage_url: str
    media: list[PlannedObject] = field(default_factory=list)
    feeds: list[PlannedObject] = field(default_factory=list)
    deletions: list[PlannedObject] = field(default_factory=list)

    @property
    def objects(self) -> list[PlannedObject]:
        return [*self.media, *self.feeds, *self.deletions]

    @property
    def uploads(self) -> list[PlannedObject]:
        return [item for item in (*self.media, *self.feeds) if item.change is not Change.UNCHANGED]

    @property
    def upload_bytes(self) -> int:
        return sum(item.size for item in self.uploads)


@dataclass
class PublishResult:
    plan: Plan
    uploaded: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    build: BuildResult = field(default_factory=BuildResult)


class PublishReporter:
    """Hooks the CLI fills in for progress bars; the library never prints."""

    def message(self, text: str) -> None:
        """A line of news (probing, a step starting)."""

    def start(self, plan: Plan) -> None:
        """The plan is known; uploads are about to start."""

    def file_started(self, item: PlannedObject) -> None:
        """An upload starts."""

    def bytes_sent(self, item: PlannedObject, count: int) -> None:
        """*count* more bytes of *item* were sent (negative when a part is re-sent)."""

    def file_done(self, item: PlannedObject) -> None:
        """An upload finished and was verified."""


@contextlib.contextmanager
def publishing_lock(root: Path) -> Iterator[None]:
    """Hold the catalogue's publish lock, or refuse at once if another publish holds it."""
    path = root / _LOCK_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise PodcasterError(
                f"another publish of this podcast is running ({holder}); wait for it to finish, then run publish again",
                path=path,
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def make_plan(
    catalogue: Catalogue, storage: Storage, now: datetime, *, prune: bool = False
) -> tuple[Plan, dict[str, bytes]]:
    """Compare what the catalogue needs with one listing of the storage; nothing is sent."""
    resolver = Resolver(catalogue)
    feeds = render_feeds(catalogue, now, resolver)  # validates every live episode before any upload
    existing = storage.list()
    plan = Plan(storage_url=storage.url)
    wanted: set[str] = set()

    def media_object(key: str, **kwargs: object) -> None:
        full_key = MEDIA_PREFIX + key
        wanted.add(full_key)
        plan.media.append(
            PlannedObject(key=full_key, change=_change(existing.get(full_key), kwargs["size"]), **kwargs)
        )  # type: ignore[arg-type]

    # Scheduled episodes' audio goes up early, so the feed that names them later finds it there.
    for episode in catalogue.episodes:
        media = catalogue.lock.media(episode.guid)
        if episode.draft or episode.audio_is_remote or media is None:
            continue
        resolver.public_episode(episode, media)  # resolves its artwork, chapters and transcripts as assets
        source = episode.audio_path(catalogue.root)
        if not source.is_file():
            key = MEDIA_PREFIX + audio_key(episode, media)
            if key in existing:
                wanted.add(key)
                continue  # built elsewhere from the lock file, and already online
            raise StorageError(
                f"the audio is not on this machine and not in storage yet: {source}", path=episode.path
            )
        media_object(
            audio_key(episode, media),
            size=media.size,
            content_type=media.mime_type,
            cache_control=MEDIA_CACHE,
            source=source,
            sha256=media.sha256,
            guid=episode.guid,
        )
    for asset in resolver.assets():
        media_object(
            asset.key,
            size=asset.size,
            content_type=asset.content_type,
            cache_control=MEDIA_CACHE,
            source=asset.source if asset.data is None else None,
            data=asset.data,  # generated chapters JSON
            sha256=asset.sha256,
        )
    # The whole-show feed goes last of all: apps poll it first.
    names = sorted(feeds.documents, key=lambda name: (name == "feed.xml", name))
    for name in names:
        data = feeds.documents[name]
        sha = hashlib.sha256(data).hexdigest()
        known = existing.get(name)
        same = known is not None and known.size == len(data) and catalogue.lock.feeds.get(name) == sha
        change = Change.UNCHANGED if same else (Change.CHANGED if known else Change.NEW)
        plan.feeds.append(
            PlannedObject(
                key=name,
                change=change,
                size=len(data),
                content_type=_FEED_TYPES[Path(name).suffix],
                cache_control=FEED_CACHE,
                data=data,
                sha256=sha,
            )
        )
    if prune:
        for key, info in existing.items():
            if key.startswith(MEDIA_PREFIX) and key not in wanted:
                plan.deletions.append(
                    PlannedObject(
                        key=key, change=Change.DELETE, size=info.size, content_type="", cache_control=""
                    )
                )
    return plan, feeds.documents


def publish(
    root: Path,
    *,
    storage_url: str | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
    prune: bool = False,
    reporter: PublishReporter | None = None,
) -> PublishResult:
    """Take the catalogue live; on any failure the feeds already online stay as they were."""
    now = now or datetime.now(UTC)
    reporter = reporter or PublishReporter()
    root = root.resolve()
    with publishing_lock(root):
        catalogue = load_catalogue(root)
        refresh_media(catalogue, reporter.message)
        storage = open_storage(storage_url or catalogue.show.storage, base=root)
        plan, documents = make_plan(catalogue, storage, now, prune=prune)
        result = PublishResult(plan=plan)
        if dry_run:
            return result
        reporter.start(plan)
        for item in plan.media:
            if item.change is Change.UNCHANGED:
                _record(catalogue, item)
                continue
            _upload(storage, item, reporter)
            _record(catalogue, item)
            result.uploaded.append(item.key)
        for item in plan.feeds:
            if item.change is not Change.UNCHANGED:
                reporter.file_started(item)
                assert item.data is not None
                storage.put_bytes(
                    item.key, item.data, content_type=item.content_type, cache_control=item.cache_control
                )
                reporter.bytes_sent(item, item.size)
                reporter.file_done(item)
                result.uploaded.append(item.key)
            catalogue.lock.feeds[item.key] = item.sha256
        for item in plan.deletions:
            storage.delete(item.key)
            result.deleted.append(item.key)
        write_feeds(catalogue.root, documents, result.build)
        catalogue.lock.save()
        return result


def _change(existing: ObjectInfo | None, size: object) -> Change:
    if existing is None:
        return Change.NEW
    # Keys are content-hashed: the same key with the same size is the same, whole object.
    return Change.UNCHANGED if existing.size == size else Change.CHANGED


def _upload(storage: Storage, item: PlannedObject, reporter: PublishReporter) -> None:
    if item.data is not None:  # made in memory (JSON chapters)
        reporter.file_started(item)
        storage.put_bytes(
            item.key, item.data, content_type=item.content_type, cache_control=item.cache_control
        )
        reporter.bytes_sent(item, item.size)
        reporter.file_done(item)
        return
    assert item.source is not None
    reporter.file_started(item)
    storage.put_file(
        item.key,
        item.source,
        content_type=item.content_type,
        cache_control=item.cache_control,
        sha256=item.sha256,
        progress=lambda count: reporter.bytes_sent(item, count),
    )
    reporter.file_done(item)


def _record(catalogue: Catalogue, item: PlannedObject) -> None:
    publication = Publication(
        key=item.key,
        url=catalogue.show.urls.media_url(item.key.removeprefix(MEDIA_PREFIX)),
        sha256=item.sha256,
        size=item.size,
    )
    if item.guid is not None:
        catalogue.lock.record_publication(item.guid, publication)
    elif item.source is not None:
        catalogue.lock.assets[str(item.source.relative_to(catalogue.root))] = publication
