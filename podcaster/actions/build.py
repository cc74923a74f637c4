"""``podcaster build``: refresh media facts, then write every feed into ``feeds/`` atomically."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from podcaster.atomic import write_atomically
from podcaster.errors import Problem
from podcaster.feed.documents import render_feeds
from podcaster.folder.catalogue import load_catalogue
from podcaster.folder.layout import PodcastFolder
from podcaster.folder.manifest import BuildManifest
from podcaster.folder.mediafacts import refresh_media

Progress = Callable[[str], None]

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
    """Write each document whose bytes changed; each file is replaced atomically."""
    targets = [folder.feed_file(name) for name in documents]
    # A show has a feed per season, and each write ends waiting for the disk to have it (fsync):
    # a few threads overlap those waits.
    with ThreadPoolExecutor(max_workers=_WRITERS) as pool:
        changed = list(pool.map(_write_if_changed, targets, documents.values()))
    for target, written in zip(targets, changed, strict=True):
        (result.written if written else result.unchanged).append(target)


def _write_if_changed(target: Path, data: bytes) -> bool:
    try:
        if target.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    write_atomically(target, data)
    return True


def build(root: Path, now: datetime | None = None, progress: Progress | None = None) -> BuildResult:
    """Load, probe what changed, render every feed, then write; nothing is written if anything fails."""
    now = now or datetime.now(UTC)
    root = root.resolve()
    folder = PodcastFolder(root)
    manifest = BuildManifest(folder)
    warnings = manifest.current_warnings(now)
    if warnings is not None:
        return BuildResult(unchanged=sorted(folder.feeds_dir.glob("*")), warnings=warnings, up_to_date=True)
    catalogue = load_catalogue(root)
    result = BuildResult(warnings=list(catalogue.warnings))
    result.probed = refresh_media(catalogue, progress)
    feeds = render_feeds(catalogue, now)
    result.episode_count = len(feeds.episodes)
    write_feeds(folder, feeds.documents, result)
    if result.probed:
        catalogue.lock.save()
    manifest.save(
        catalogue, now, [folder.relative(folder.feed_file(name)) for name in feeds.documents], result.warnings
    )
    return result
