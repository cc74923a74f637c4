"""``podcaster publish``: plan, then upload media and assets, verify them, then the feeds, last.

The storage holds the feeds at its root (``feed.xml``, ``saison-N.xml``,
``episodes.json``), the static site beside them at the paths the live site
answers (``index.html``, ``episodes/<slug>/index.html``, ``static/…``) and the
media under ``media/``, so the public media URL is the storage's public root
followed by ``media/``. Media keys carry a
content hash: an object under a media key is whole and final, so one listing
(one request per 1,000 keys) tells what is already there, and a publish with
nothing new sends no object at all.

The order keeps every live feed whole at every moment:

1. load and validate, probe what changed (while the storage is opened and
   listed: neither waits for the other), render every feed in memory;
2. plan from that one listing: each object new, changed or unchanged
   (:mod:`podcaster.publishing.plan`); remove the temporary files a publish
   killed outright left in a local storage folder;
3. upload media and assets, each verified (:meth:`~podcaster.storage.Storage.put_file`:
   a HEAD for size and sha256 metadata, ranged GETs of both ends answering 206
   with the right type and the file's own bytes);
   audio this run has just hashed is not read again to hash it
   (:mod:`podcaster.publishing.send`);
4. upload the static site ``build`` exported into ``site/``, if any (its
   content-hashed assets, then its pages), each checked with a HEAD;
5. upload the feeds, each checked with a HEAD: the season feeds and
   ``episodes.json`` together, then ``feed.xml`` alone, last;
6. with ``prune``, delete the media no episode uses any more (and the site's
   files no export holds any more);
7. write the lock file, atomically, last; then ping the show's WebSub hubs
   for the feeds that changed.

If a step fails, the error says what failed and which feeds stayed as they
were; running publish again finishes the job without sending again what
already arrived whole. One publish runs at a time per podcast folder: a
second one refuses at once (see :func:`publishing_lock`).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from podcaster.errors import PodcasterError, Problem
from podcaster.feed.output import write_feeds
from podcaster.feed.websub import announce
from podcaster.folder.catalogue import Catalogue, load_catalogue
from podcaster.folder.layout import PodcastFolder
from podcaster.folder.mediafacts import ProbeCache, refresh_media
from podcaster.media import file_signature
from podcaster.publishing.plan import (
    FEED_CACHE,
    MEDIA_CACHE,
    MEDIA_PREFIX,
    Change,
    Plan,
    PlannedObject,
    make_plan,
)
from podcaster.publishing.send import SMALL_UPLOADS, Hashed, PublishReporter, PublishResult, execute
from podcaster.settings import S3Settings, Settings
from podcaster.storage import ObjectInfo, Storage, open_storage

__all__ = [
    "FEED_CACHE",
    "MEDIA_CACHE",
    "MEDIA_PREFIX",
    "SMALL_UPLOADS",
    "Change",
    "Plan",
    "PlannedObject",
    "PublishReporter",
    "PublishResult",
    "make_plan",
    "open_target",
    "publish",
    "publishing_lock",
]


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


def publish(
    root: Path,
    *,
    storage_url: str | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
    prune: bool = False,
    reporter: PublishReporter | None = None,
    settings: Settings | None = None,
    site: bool = True,
) -> PublishResult:
    """Take the catalogue live; on any failure the feeds already online stay as they were.

    *settings* give the S3 client's (see :mod:`podcaster.settings`) and the
    moment it is (default: the real clock). With *site*, the static site ``build``
    exported into ``site/`` goes up too, before the feeds. A dry run plans from one listing and changes
    nothing, in storage or in the lock file; it does not take the publish lock.
    """
    settings = settings or Settings()
    now = now or settings.clock()
    reporter = reporter or PublishReporter()
    root = root.resolve()
    if not PodcastFolder(root).show_file.is_file():
        load_catalogue(root)  # raises the usual error, before the lock makes .podcaster/ in a stray folder
    with contextlib.nullcontext(None) if dry_run else publishing_lock(root) as lock_path:
        catalogue = load_catalogue(root)
        lock_before = _lock_state(catalogue)
        storage, existing, probed = _probe_and_list(
            catalogue, storage_url or catalogue.show.storage, settings, reporter
        )
        plan, documents = make_plan(catalogue, storage, now, prune=prune, existing=existing, site=site)
        result = PublishResult(plan=plan)
        if lock_path is None:
            return result
        result.leftovers = _remove_leftovers(storage, lock_path, reporter)
        reporter.message(
            f"{len(plan.uploads)} objects to upload ({plan.upload_bytes:,} bytes), "
            f"{len(plan.unchanged)} unchanged"
            + (f", {len(plan.deletions)} to delete" if plan.deletions else "")
        )
        reporter.start(plan)
        try:
            execute(storage, plan, catalogue, reporter, result, _just_hashed(catalogue, probed))
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


def _remove_leftovers(storage: Storage, lock_path: Path, reporter: PublishReporter) -> list[tuple[str, int]]:
    """Delete what an earlier publish killed outright left in storage (temporary files, unfinished parts).

    Whatever was last written before this publish took its lock belongs to no
    publish still running: the lock lets only one run at a time.
    """
    removed = storage.remove_leftovers(before_ns=lock_path.stat().st_mtime_ns)
    if removed:
        size = sum(count for _where, count in removed)
        reporter.message(
            f"removed {len(removed)} temporary files ({size:,} bytes) left by an interrupted publish"
        )
    return removed


def _probe_and_list(
    catalogue: Catalogue, url: str, settings: Settings, reporter: PublishReporter
) -> tuple[Storage, dict[str, ObjectInfo], list[Path]]:
    """Probe the new audio while the storage is opened and listed: neither needs the other.

    The probe runs beside (it is local and bounded); the storage's errors wait
    for it, so that a bad audio file is still what is reported first.
    """
    with ThreadPoolExecutor(1, thread_name_prefix="probe") as pool:
        probed = pool.submit(refresh_media, catalogue, reporter.message)
        try:
            storage = open_target(url, catalogue.root, settings.s3)
            existing = storage.list()
        except PodcasterError:
            probed.result()  # a probe error comes first, as when the steps ran one after the other
            raise
        return storage, existing, probed.result()


def _just_hashed(catalogue: Catalogue, probed: list[Path]) -> dict[Path, Hashed]:
    """The audio this run probed and has not changed since, with its (size, mtime_ns) and sha256.

    The probe cache holds the signature each file had before it was read, so a file
    changed while it was probed, or since, is not among them.
    """
    cache = ProbeCache(catalogue.folder.probe_cache)
    found = {}
    for path in probed:
        signature = file_signature(path)
        sha256 = cache.sha256(path, signature)
        if sha256 is not None:
            found[path] = Hashed(signature, sha256)
    return found


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
