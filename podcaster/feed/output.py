"""Write the rendered documents into the podcast folder's ``feeds/``, each file atomically."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from podcaster.atomic import write_atomically
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


def write_feeds(folder: PodcastFolder, documents: dict[str, bytes], result: BuildResult) -> None:
    """Write each document whose bytes changed; each file is replaced atomically.

    Not durably: the writes do not wait for the disk (on a large show, that wait was a
    tenth of the build). The feeds are outputs that any build makes again from the
    catalogue, and the build manifest, saved durably after them, records each one's size
    and time: a feed that a crash left old or empty is seen changed, and written again.
    """
    targets = [folder.feed_file(name) for name in documents]
    # A show has a feed per season: the folder is made and listed once, rather than for each.
    feeds = folder.feeds_dir
    feeds.mkdir(parents=True, exist_ok=True)
    with os.scandir(feeds) as entries:
        present = {entry.name for entry in entries}
    in_feeds = [target.parent == feeds for target in targets]
    maybe_there = [
        not inside or target.name in present for target, inside in zip(targets, in_feeds, strict=True)
    ]
    # A few threads overlap the system calls (making, writing, renaming files), which release the GIL.
    with ThreadPoolExecutor(max_workers=_WRITERS) as pool:
        changed = list(pool.map(_write_if_changed, targets, documents.values(), maybe_there, in_feeds))
    for target, written in zip(targets, changed, strict=True):
        (result.written if written else result.unchanged).append(target)


def _write_if_changed(target: Path, data: bytes, maybe_there: bool, folder_exists: bool) -> bool:
    if maybe_there:
        try:
            if target.read_bytes() == data:
                return False
        except FileNotFoundError:
            pass
    write_atomically(target, data, folder_exists=folder_exists, durable=False)
    return True
