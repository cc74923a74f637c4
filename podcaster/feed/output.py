"""Write the rendered documents into the podcast folder's ``feeds/``, each file atomically."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from podcaster.atomic import Reservation
from podcaster.errors import Problem
from podcaster.folder.layout import PodcastFolder

_WRITERS = 8


@dataclass
class BuildResult:
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    probed: list[Path] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    episode_count: int = 0
    up_to_date: bool = False  # nothing read by the last build changed: nothing was rendered


class FeedReservations:
    """Temporary files for the feeds ``feeds/`` does not hold yet, made by threads meanwhile.

    A build renders for a while before it writes. Every feed it will write that is not
    there yet is sure to be written, and on some disks making a file costs more than filling
    it: from :meth:`start`, threads make those files while the build renders, so that writing
    only fills them.
    """

    def __init__(self, folder: PodcastFolder, names: Iterable[str]) -> None:
        self._folder = folder
        self._names = list(names)
        self._made: dict[str, Future[Reservation]] = {}
        self._made_folder = False
        self._pool: ThreadPoolExecutor | None = None

    def start(self) -> None:
        """Start making the files (it starts threads: not before a fork)."""
        feeds = self._folder.feeds_dir
        self._made_folder = not feeds.is_dir()
        feeds.mkdir(parents=True, exist_ok=True)
        present = _listing(feeds)
        self._pool = ThreadPoolExecutor(_WRITERS, thread_name_prefix="reserve")
        for name in self._names:
            target = self._folder.feed_file(name)
            if target.parent == feeds and name not in present:
                self._made[name] = self._pool.submit(Reservation, target, folder_exists=True)
        self._pool.shutdown(wait=False)

    def take(self) -> dict[str, Reservation]:
        """The files made, by feed name, once every thread is done; if one failed, none (its error)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        for made in self._made.values():
            failure = made.exception()
            if failure is not None:
                self.discard()
                raise failure
        return {name: made.result() for name, made in self._made.items()}

    def discard(self) -> None:
        """Remove every file made: the build wrote nothing (nor a folder ``feeds/`` made for them)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        for made in self._made.values():
            if made.exception() is None:
                made.result().discard()
        if self._made_folder:
            with contextlib.suppress(OSError):  # not empty: something else wrote there meanwhile
                self._folder.feeds_dir.rmdir()


def write_feeds(
    folder: PodcastFolder,
    documents: dict[str, bytes],
    result: BuildResult,
    reserved: Mapping[str, Reservation] | None = None,
) -> None:
    """Write each document whose bytes changed; each file is replaced atomically.

    Not durably: the writes do not wait for the disk (on a large show, that wait was a
    tenth of the build). The feeds are outputs that any build makes again from the
    catalogue, and the build manifest, saved durably after them, records each one's size
    and time: a feed that a crash left old or empty is seen changed, and written again.

    *reserved* holds temporary files made ahead for documents not there yet (see
    :class:`FeedReservations`); one no document takes is removed.
    """
    reserved = reserved or {}
    targets = [folder.feed_file(name) for name in documents]
    # A show has a feed per season: the folder is made and listed once, rather than for each.
    feeds = folder.feeds_dir
    feeds.mkdir(parents=True, exist_ok=True)
    present = _listing(feeds)
    in_feeds = [target.parent == feeds for target in targets]
    maybe_there = [
        not inside or target.name in present for target, inside in zip(targets, in_feeds, strict=True)
    ]
    ahead = [reserved.get(name) for name in documents]
    try:
        # A few threads overlap the system calls (write, chmod, rename), which release the GIL.
        with ThreadPoolExecutor(max_workers=_WRITERS) as pool:
            changed = list(
                pool.map(_write_if_changed, targets, documents.values(), maybe_there, in_feeds, ahead)
            )
    finally:
        for name, reservation in reserved.items():
            if name not in documents:
                reservation.discard()
    for target, written in zip(targets, changed, strict=True):
        (result.written if written else result.unchanged).append(target)


def _listing(feeds: Path) -> set[str]:
    with os.scandir(feeds) as entries:
        return {entry.name for entry in entries}


def _write_if_changed(
    target: Path, data: bytes, maybe_there: bool, folder_exists: bool, reservation: Reservation | None
) -> bool:
    if maybe_there:
        try:
            if target.read_bytes() == data:
                if reservation is not None:
                    reservation.discard()
                return False
        except FileNotFoundError:
            pass
    (reservation or Reservation(target, folder_exists=folder_exists)).fill(data, durable=False)
    return True
