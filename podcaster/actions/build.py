"""``podcaster build``: refresh media facts, then write every feed into ``feeds/`` atomically."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from podcaster.feed.documents import render_feeds
from podcaster.feed.output import BuildResult, write_feeds
from podcaster.folder.catalogue import load_catalogue
from podcaster.folder.layout import PodcastFolder
from podcaster.folder.manifest import BuildManifest
from podcaster.folder.mediafacts import refresh_media

Progress = Callable[[str], None]

_WRITERS = 8


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
