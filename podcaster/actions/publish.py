"""``podcaster publish``: plan, then upload media and assets, verify them, then the feeds, last.

The storage holds the feeds at its root (``feed.xml``, ``saison-N.xml``,
``episodes.json``) and everything else under ``media/``, so the public media
URL is the storage's public root followed by ``media/``. Media keys carry a
content hash: an object under a media key is whole and final, so one listing
(one request per 1,000 keys) tells what is already there, and a publish with
nothing new sends no object at all.

The order keeps every live feed whole at every moment:

1. load and validate, probe what changed, render every feed in memory;
2. plan from one listing: each object new, changed or unchanged;
3. upload media and assets, each verified (:meth:`~podcaster.storage.Storage.put_file`:
   a HEAD for size and sha256, a ranged GET answering 206 with the right type);
4. upload the feeds, ``feed.xml`` last, each checked with a HEAD;
5. with ``prune``, delete the media no episode uses any more;
6. write the lock file, atomically, last; then ping the show's WebSub hubs
   for the feeds that changed.

If a step fails, the error says what failed and which feeds stayed as they
were; running publish again finishes the job without sending again what
already arrived whole. One publish runs at a time per podcast folder: a
second one refuses at once (see :func:`publishing_lock`).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from podcaster.actions.build import BuildResult, write_feeds
from podcaster.errors import PodcasterError, Problem, StorageError
from podcaster.feed.documents import render_feeds
from podcaster.feed.public import Resolver, audio_key
from podcaster.feed.websub import announce
from podcaster.folder.catalogue import Catalogue, load_catalogue
from podcaster.folder.layout import PodcastFolder
from podcaster.folder.lockfile import Publication
from podcaster.folder.mediafacts import refresh_media
from podcaster.models import MEDIA_PREFIX, document_content_type
from podcaster.settings import S3Settings, Settings
from podcaster.storage import ObjectInfo, Storage, open_storage

MEDIA_CACHE = "public, max-age=31536000, immutable"
FEED_CACHE = "public, max-age=300"
SMALL_UPLOADS = 8  # files under the multipart threshold sent at once


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
    source: Path | None = None  # None for feeds (sent from memory) and audio kept only in storage
    data: bytes | None = None
    sha256: str = ""
    guid: str | None = None  # set for an episode's audio, to record its publication

    @property
    def is_feed(self) -> bool:
        return self.data is not None and not self.key.startswith(MEDIA_PREFIX)


@dataclass(frozen=True)
class Plan:
    storage_url: str
    media: tuple[PlannedObject, ...] = ()
    feeds: tuple[PlannedObject, ...] = ()  # in upload order: feed.xml last
    deletions: tuple[PlannedObject, ...] = ()

    @property
    def objects(self) -> list[PlannedObject]:
        return [*self.media, *self.feeds, *self.deletions]

    @property
    def uploads(self) -> list[PlannedObject]:
        return [item for item in (*self.media, *self.feeds) if item.change is not Change.UNCHANGED]

    @property
    def upload_bytes(self) -> int:
        return sum(item.size for item in self.uploads)

    @property
    def unchanged(self) -> list[PlannedObject]:
        return [item for item in (*self.media, *self.feeds) if item.change is Change.UNCHANGED]


@dataclass
class PublishResult:
    plan: Plan
    uploaded: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    build: BuildResult = field(default_factory=BuildResult)
    announced: list[str] = field(default_factory=list)  # feed URLs WebSub hubs were told of
    warnings: list[Problem] = field(default_factory=list)


class PublishReporter:
    """Hooks the CLI fills in for progress bars; the library never prints.

    ``file_started``, ``bytes_sent`` and ``file_done`` are called from upload
    worker threads, several files at once (small files are sent in parallel).
    """

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
def publishing_lock(root: Path) -> Iterator[Path]:
    """Hold the podcast folder's publish lock, or refuse at once if another publish holds it.

    An advisory ``flock`` on ``.podcaster/publish.lock``: the kernel releases
    it when its process ends, even killed, so a crash never leaves a stale
    lock behind. It guards one folder on one machine; two machines publishing
    the same show to one bucket are not stopped by it.
    """
    path = PodcastFolder(root).publish_lock
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise PodcasterError(
                f"another publish of this podcast is running ({holder}) and holds this lock; "
                "wait for it to finish, then run publish again",
                path=path,
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, since {datetime.now(UTC).isoformat(timespec='seconds')}")
        handle.flush()
        try:
            yield path
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def open_target(url: str, root: Path, settings: S3Settings | None = None) -> Storage:
    """Open the storage to publish to, with *settings* for S3."""
    return open_storage(url, base=root, settings=settings)


def make_plan(
    catalogue: Catalogue, storage: Storage, now: datetime, *, prune: bool = False
) -> tuple[Plan, dict[str, bytes]]:
    """Compare what the catalogue needs with one listing of the storage; nothing is sent.

    Returns the plan and the feed documents by name. Raises before any upload
    if an episode cannot be published (invalid, or its audio neither here nor online).
    """
    resolver = Resolver(catalogue)
    feeds = render_feeds(catalogue, now, resolver)  # validates every live episode
    existing = storage.list()
    media: dict[str, PlannedObject] = {}

    # Scheduled episodes' audio goes up early too, so the feed that names them later finds it there.
    for episode in catalogue.episodes:
        facts = catalogue.lock.media(episode.guid)
        if episode.draft or episode.audio_is_remote or facts is None:
            continue
        resolver.public_episode(episode, facts)  # resolves its artwork, chapters and transcripts as assets
        key = MEDIA_PREFIX + audio_key(episode, facts)
        known = existing.get(key)
        audio = episode.audio_path(catalogue.root)
        source: Path | None = audio
        if not audio.is_file():
            # Built on another machine from the lock file: fine if storage already holds it whole.
            if known is None or known.size != facts.size:
                found = "not in storage" if known is None else f"{known.size:,} bytes in storage"
                raise StorageError(
                    f"the audio {episode.audio} is not on this machine and '{key}' is {found} "
                    f"(expected {facts.size:,} bytes); publish from where the audio is",
                    path=episode.path,
                )
            source = None
        media[key] = PlannedObject(
            key=key,
            change=_media_change(known, facts.size, facts.sha256),
            size=facts.size,
            content_type=facts.mime_type,
            cache_control=MEDIA_CACHE,
            source=source,
            sha256=facts.sha256,
            guid=episode.guid,
        )
    for asset in resolver.assets():
        key = MEDIA_PREFIX + asset.key
        media.setdefault(
            key,
            PlannedObject(
                key=key,
                change=_media_change(existing.get(key), asset.size, asset.sha256),
                size=asset.size,
                content_type=asset.content_type,
                cache_control=MEDIA_CACHE,
                source=asset.source if asset.data is None else None,
                data=asset.data,  # generated chapters JSON
                sha256=asset.sha256,
            ),
        )
    # The whole-show feed goes last of all: apps poll it first.
    names = sorted(feeds.documents, key=lambda name: (name == "feed.xml", name))
    planned_feeds = []
    for name in names:
        data = feeds.documents[name]
        sha = hashlib.sha256(data).hexdigest()
        planned_feeds.append(
            PlannedObject(
                key=name,
                change=_feed_change(existing.get(name), data, sha, catalogue.lock.feeds.get(name)),
                size=len(data),
                content_type=document_content_type(name),
                cache_control=FEED_CACHE,
                data=data,
                sha256=sha,
            )
        )
    deletions = []
    if prune:
        deletions = [
            PlannedObject(key=key, change=Change.DELETE, size=info.size, content_type="", cache_control="")
            for key, info in existing.items()
            if key.startswith(MEDIA_PREFIX) and key not in media
        ]
    plan = Plan(
        storage_url=storage.url,
        media=tuple(media.values()),
        feeds=tuple(planned_feeds),
        deletions=tuple(deletions),
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
    settings: Settings | None = None,
) -> PublishResult:
    """Take the catalogue live; on any failure the feeds already online stay as they were.

    *settings* give the S3 client's (see :mod:`podcaster.settings`) and the
    moment it is (default: the real clock). A dry run plans from one listing and changes
    nothing, in storage or in the lock file; it does not take the publish lock.
    """
    settings = settings or Settings()
    now = now or settings.clock()
    reporter = reporter or PublishReporter()
    root = root.resolve()
    if not PodcastFolder(root).show_file.is_file():
        load_catalogue(root)  # raises the usual error, before the lock makes .podcaster/ in a stray folder
    with contextlib.nullcontext() if dry_run else publishing_lock(root):
        catalogue = load_catalogue(root)
        lock_before = _lock_state(catalogue)
        refresh_media(catalogue, reporter.message)
        storage = open_target(storage_url or catalogue.show.storage, root, settings.s3)
        plan, documents = make_plan(catalogue, storage, now, prune=prune)
        result = PublishResult(plan=plan)
        if dry_run:
            return result
        reporter.message(
            f"{len(plan.uploads)} objects to upload ({plan.upload_bytes:,} bytes), "
            f"{len(plan.unchanged)} unchanged"
            + (f", {len(plan.deletions)} to delete" if plan.deletions else "")
        )
        reporter.start(plan)
        try:
            _execute(storage, plan, catalogue, reporter, result)
        except PodcasterError as error:
            raise _stopped(error, plan, result) from error
        write_feeds(catalogue.folder, documents, result.build)
        if _lock_state(catalogue) != lock_before:
            catalogue.lock.save()
        # Everything is online: tell the show's WebSub hubs which feeds changed (a failure is a warning).
        result.announced, result.warnings = announce(catalogue.show, result.uploaded)
        for warning in result.warnings:
            reporter.message(str(warning))
        return result


def _execute(
    storage: Storage, plan: Plan, catalogue: Catalogue, reporter: PublishReporter, result: PublishResult
) -> None:
    to_send = [item for item in plan.media if item.change is not Change.UNCHANGED]
    for item in plan.media:
        if item.change is Change.UNCHANGED:
            _record(catalogue, item)
    # A large file is already sent in parallel parts: one at a time. Small files (artwork, transcripts,
    # short episodes) cost a few round trips each, mostly waiting: several at once.
    threshold = storage.large_file_threshold
    for item in to_send:
        if item.size >= threshold:
            _upload(storage, item, reporter)
            result.uploaded.append(item.key)
            _record(catalogue, item)
    small = [item for item in to_send if item.size < threshold]
    if small:
        with ThreadPoolExecutor(min(SMALL_UPLOADS, len(small)), thread_name_prefix="upload") as pool:
            futures = {pool.submit(_upload, storage, item, reporter): item for item in small}
            try:
                for future in as_completed(futures):
                    future.result()  # the first failure stops the publish
                    result.uploaded.append(futures[future].key)
                    _record(catalogue, futures[future])  # in this thread: the lock is not shared
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)  # uploads under way end; no new one starts
                raise
    # Every object a feed names is online and verified: the feeds may go up now.
    for item in plan.feeds:
        if item.change is not Change.UNCHANGED:
            _put_feed(storage, item, reporter)
            result.uploaded.append(item.key)
        catalogue.lock.feeds[item.key] = item.sha256
    for item in plan.deletions:
        storage.delete(item.key)
        result.deleted.append(item.key)


def _media_change(known: ObjectInfo | None, size: int, sha256: str) -> Change:
    if known is None:
        return Change.NEW
    # Keys are content-hashed and objects appear whole: the same key and size is the same object.
    # A backend that knows the sha256 from its listing (a local folder) gets a stricter check.
    if known.size != size or (known.sha256 is not None and known.sha256 != sha256):
        return Change.CHANGED
    return Change.UNCHANGED


def _feed_change(known: ObjectInfo | None, data: bytes, sha256: str, recorded: str | None) -> Change:
    """Whether the feed online differs from *data*, from the listing alone (feeds keep their key)."""
    if known is None:
        return Change.NEW
    if known.size != len(data):
        return Change.CHANGED
    if known.sha256 is not None:
        return Change.UNCHANGED if known.sha256 == sha256 else Change.CHANGED
    # S3 listings give no metadata, but the ETag of an object put in one request is its MD5 on
    # AWS (unencrypted or SSE-S3), MinIO, SeaweedFS, R2, Scaleway, OVH...; where it is not (SSE-KMS),
    # the lock file's record of what the last publish sent stands in.
    if known.etag == hashlib.md5(data, usedforsecurity=False).hexdigest() or recorded == sha256:
        return Change.UNCHANGED
    return Change.CHANGED


def _upload(storage: Storage, item: PlannedObject, reporter: PublishReporter) -> None:
    if item.data is not None:  # made in memory (JSON chapters): put, then checked with a HEAD
        _put_feed(storage, item, reporter)
        return
    if item.source is None:  # only unchanged audio kept in storage has no source; never planned to upload
        raise StorageError(f"'{item.key}' has no local file to upload", path=storage.url)
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


def _put_feed(storage: Storage, item: PlannedObject, reporter: PublishReporter) -> None:
    """Put a feed, then check with a HEAD that the store holds exactly it (put_bytes alone does not)."""
    assert item.data is not None
    reporter.file_started(item)
    storage.put_bytes(item.key, item.data, content_type=item.content_type, cache_control=item.cache_control)
    reporter.bytes_sent(item, item.size)
    info = storage.head(item.key)
    where = f"{storage.url.rstrip('/')}/{item.key}"
    if info is None:
        raise StorageError(f"'{item.key}' is missing right after its upload", path=where)
    if info.size != item.size or info.sha256 != item.sha256:
        raise StorageError(
            f"'{item.key}' holds {info.size:,} bytes with sha256 {info.sha256 or 'none'} after upload, "
            f"expected {item.size:,} bytes with sha256 {item.sha256}",
            path=where,
        )
    if info.content_type is not None and info.content_type != item.content_type:
        raise StorageError(
            f"'{item.key}' is served as {info.content_type!r}, expected {item.content_type!r}", path=where
        )
    reporter.file_done(item)


def _stopped(error: PodcasterError, plan: Plan, result: PublishResult) -> PodcasterError:
    """The same error, with a last line saying what was done and what stayed as it was."""
    sent = set(result.uploaded)
    media_done = all(item.key in sent for item in plan.uploads if not item.is_feed)
    to_send = [item.key for item in plan.feeds if item.change is not Change.UNCHANGED]
    replaced = [key for key in to_send if key in sent]
    kept = [key for key in to_send if key not in sent]
    done = f"{len(sent)} of {len(plan.uploads)} uploads done"
    if media_done and not kept:
        state = "every feed is up to date; some unused media were not deleted"
    elif not replaced:
        state = "no feed was changed: listeners still get the previous ones, and all they name is online"
    else:
        state = (
            f"{', '.join(replaced)} already updated (all they name is online); {', '.join(kept)} not changed"
        )
    note = Problem(
        plan.storage_url,
        f"publish stopped ({done}); {state}. Run publish again to finish: what arrived whole is not sent again",
    )
    return type(error)(str(error), path=error.path, line=error.line, problems=[*error.problems, note])


def _lock_state(catalogue: Catalogue) -> tuple[object, ...]:
    """What the lock file holds, to compare (its records are frozen; serialising 500 costs 0.1 s)."""
    lock = catalogue.lock
    return dict(lock.episodes), dict(lock.assets), dict(lock.feeds)


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
        # Assets are recorded by their path in the podcast folder (absolute when outside it).
        source = item.source
        name = (
            str(source.relative_to(catalogue.root)) if source.is_relative_to(catalogue.root) else str(source)
        )
        catalogue.lock.assets[name] = publication
