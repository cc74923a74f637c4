"""``podcaster build``: refresh media facts, then write every feed into ``feeds/`` atomically."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from podcaster.feed.documents import render_feeds
from podcaster.feed.output import BuildResult, write_feeds
from podcaster.folder.catalogue import load_catalogue
from podcaster.folder.layout import PodcastFolder
from podcaster.folder.manifest import BuildManifest
from podcaster.folder.mediafacts import refresh_media

Progress = Callable[[str], None]


def build(root: Path, now: datetime | None = None, progress: Progress | None = None) -> BuildResult:
    """Load, probe what changed, render every feed, then write; nothing is written if anything fails."""
    with _collection_paused():
        return _build(root, now, progress)


@contextmanager
def _collection_paused() -> Iterator[None]:
    """Pause Python's cycle collector while the build runs.

    A build holds everything it reads until it has written the feeds, and makes no garbage
    cycles worth collecting meanwhile; the collector would only walk those objects again and
    again (a tenth of a large build's time), and in forked workers, copy the pages it walks.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _build(root: Path, now: datetime | None, progress: Progress | None) -> BuildResult:
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
    # The feeds are written by threads that mostly wait on the system: meanwhile, this one
    # looks at what the manifest records of the inputs.
    with ThreadPoolExecutor(max_workers=1) as writer:
        writing = writer.submit(write_feeds, folder, feeds.documents, result)
        inputs = manifest.inputs(catalogue)
        writing.result()
    if result.probed:
        catalogue.lock.save()
    outputs = [folder.relative(folder.feed_file(name)) for name in feeds.documents]
    manifest.save(catalogue, now, outputs, result.warnings, inputs)
    return result
