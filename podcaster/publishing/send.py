"""Send a publish plan: media and assets first, each verified, then the feeds, ``feed.xml`` last."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from podcaster.errors import Problem, StorageError
from podcaster.feed.output import BuildResult
from podcaster.folder.catalogue import Catalogue
from podcaster.folder.lockfile import Publication
from podcaster.publishing.plan import MEDIA_CACHE, MEDIA_PREFIX, Change, Plan, PlannedObject
from podcaster.storage import Storage

SMALL_UPLOADS = 8  # files under the multipart threshold sent at once


@dataclass
class PublishResult:
    plan: Plan
    uploaded: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    build: BuildResult = field(default_factory=BuildResult)
    announced: list[str] = field(default_factory=list)  # feed URLs WebSub hubs were told of
    warnings: list[Problem] = field(default_factory=list)
    leftovers: list[tuple[str, int]] = field(default_factory=list)  # removed, as (where, bytes)


class PublishReporter:
    """Hooks the CLI fills in for progress bars; the library never prints.

    ``file_started``, ``bytes_sent`` and ``file_done`` are called from upload
    worker threads, several files at once (small files and feeds are sent in
    parallel); ``message`` may come from the thread probing the audio.
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


class Hashed(NamedTuple):
    """A local file's (size, mtime_ns) when its sha256 was computed, in this run."""

    signature: tuple[int, int]
    sha256: str


def execute(
    storage: Storage,
    plan: Plan,
    catalogue: Catalogue,
    reporter: PublishReporter,
    result: PublishResult,
    hashed: Mapping[Path, Hashed] | None = None,
) -> None:
    """Send what *plan* says, in its order; files in *hashed* were hashed moments ago and are not again."""
    hashed = hashed or {}
    to_send = [item for item in plan.media if item.change is not Change.UNCHANGED]
    for item in plan.media:
        if item.change is Change.UNCHANGED:
            _record(catalogue, item)
    # A large file is already sent in parallel parts: one at a time. Small files (artwork, transcripts,
    # short episodes) cost a few round trips each, mostly waiting: several at once.
    threshold = storage.large_file_threshold
    for item in to_send:
        if item.size >= threshold:
            _upload(storage, item, reporter, hashed)
            result.uploaded.append(item.key)
            _record(catalogue, item)
    small = [item for item in to_send if item.size < threshold]
    for item in _send_together(storage, small, reporter, result, hashed):
        _record(catalogue, item)  # in this thread: the lock is not shared
    # The static site next, assets before the pages that name them; its pages name media, online now.
    site = [item for item in plan.site if item.change is not Change.UNCHANGED]
    _send_together(
        storage, [item for item in site if item.cache_control == MEDIA_CACHE], reporter, result, {}
    )
    _send_together(
        storage, [item for item in site if item.cache_control != MEDIA_CACHE], reporter, result, {}
    )
    # Every object a feed names is online and verified: the feeds may go up now, the season feeds
    # and episodes.json together, then feed.xml alone (the plan puts it last), once they are verified.
    changed = [item for item in plan.feeds if item.change is not Change.UNCHANGED]
    final = changed.pop() if changed and changed[-1] is plan.feeds[-1] else None
    _send_together(storage, changed, reporter, result, {})
    if final is not None:
        _upload(storage, final, reporter, {})
        result.uploaded.append(final.key)
    for item in plan.feeds:
        catalogue.lock.feeds[item.key] = item.sha256
    for item in plan.deletions:
        storage.delete(item.key)
        result.deleted.append(item.key)


def _send_together(
    storage: Storage,
    items: list[PlannedObject],
    reporter: PublishReporter,
    result: PublishResult,
    hashed: Mapping[Path, Hashed],
) -> list[PlannedObject]:
    """Upload and verify *items* several at once; the first failure stops the rest. Return those sent."""
    if len(items) <= 1:
        for item in items:
            _upload(storage, item, reporter, hashed)
            result.uploaded.append(item.key)
        return items
    sent = []
    with ThreadPoolExecutor(min(SMALL_UPLOADS, len(items)), thread_name_prefix="upload") as pool:
        futures = {pool.submit(_upload, storage, item, reporter, hashed): item for item in items}
        try:
            for future in as_completed(futures):
                future.result()  # the first failure stops the publish
                result.uploaded.append(futures[future].key)
                sent.append(futures[future])
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)  # uploads under way end; no new one starts
            raise
    return sent


def _upload(
    storage: Storage, item: PlannedObject, reporter: PublishReporter, hashed: Mapping[Path, Hashed]
) -> None:
    if item.data is not None:  # made in memory (JSON chapters): put, then checked with a HEAD
        _put_feed(storage, item, reporter)
        return
    if item.source is None:  # only unchanged audio kept in storage has no source; never planned to upload
        raise StorageError(f"'{item.key}' has no local file to upload", path=storage.url)
    known = hashed.get(item.source)
    reporter.file_started(item)
    storage.put_file(
        item.key,
        item.source,
        content_type=item.content_type,
        cache_control=item.cache_control,
        sha256=item.sha256,
        progress=lambda count: reporter.bytes_sent(item, count),
        hashed=known.signature if known is not None and known.sha256 == item.sha256 else None,
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
