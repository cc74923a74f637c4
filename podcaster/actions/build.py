"""``podcaster build``: refresh media facts, then write every feed into ``feeds/`` atomically."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path

from podcaster.atomic import write_atomically
from podcaster.errors import MediaError, Problem, Severity, raise_if_errors
from podcaster.feed.episodes_json import render_episodes_json
from podcaster.feed.public import Resolver
from podcaster.feed.rss import render_feed
from podcaster.folder.catalogue import EPISODES_DIR, Catalogue, episode_files, load_catalogue
from podcaster.folder.lockfile import LOCK_FILE
from podcaster.folder.showfile import SHOW_FILE
from podcaster.media.audio import file_signature, probe
from podcaster.models import PublicEpisode, PublicShow

FEEDS_DIR = "feeds"
CACHE_FILE = ".podcaster/probe-cache.json"
MANIFEST_FILE = ".podcaster/build-manifest.json"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Feeds:
    """Every feed document, by file name, rendered in memory before anything is written."""

    documents: dict[str, bytes]
    public_show: PublicShow
    episodes: list[PublicEpisode]


@dataclass
class BuildResult:
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    probed: list[Path] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    episode_count: int = 0
    up_to_date: bool = False  # nothing read by the last build changed: nothing was rendered


class ProbeCache:
    """A local, uncommitted memo of (size, mtime) → sha256, so unchanged audio is not hashed again."""

    def __init__(self, root: Path) -> None:
        self.path = root / CACHE_FILE
        try:
            self.entries: dict[str, list] = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            self.entries = {}
        self.changed = False

    def sha256(self, audio: Path, signature: tuple[int, int]) -> str | None:
        entry = self.entries.get(str(audio))
        return entry[2] if entry and (entry[0], entry[1]) == signature else None

    def remember(self, audio: Path, signature: tuple[int, int], sha256: str) -> None:
        self.entries[str(audio)] = [signature[0], signature[1], sha256]
        self.changed = True

    def save(self) -> None:
        if self.changed:
            write_atomically(self.path, json.dumps(self.entries, sort_keys=True).encode("utf-8"))


def refresh_media(catalogue: Catalogue, progress: Progress | None = None) -> list[Path]:
    """Probe every local audio file that is new or changed since the lock file; return those probed."""
    cache = ProbeCache(catalogue.root)
    probed: list[Path] = []
    problems: list[Problem] = []
    for episode in catalogue.episodes:
        if episode.audio_is_remote:
            continue
        audio = episode.audio_path(catalogue.root)
        if not audio.is_file():
            continue  # the catalogue already warned; the lock file's facts stand in
        signature = file_signature(audio)
        known = catalogue.lock.episodes.get(episode.guid)
        if known and known.audio == episode.audio and cache.sha256(audio, signature) == known.media.sha256:
            continue
        if progress:
            progress(f"probing {episode.audio}")
        try:
            media = probe(audio)
        except MediaError as error:
            problems.extend(
                Problem(episode.path, f"audio {episode.audio}: {p.message}") for p in error.problems
            )
            continue
        catalogue.lock.record_media(episode.guid, episode.audio, media)
        cache.remember(audio, signature, media.sha256)
        probed.append(audio)
    raise_if_errors(problems, MediaError)
    cache.save()
    return probed


def render_feeds(catalogue: Catalogue, now: datetime, resolver: Resolver | None = None) -> Feeds:
    """Render feed.xml, one feed per season and episodes.json, all in memory."""
    resolver = resolver or Resolver(catalogue)
    public_show = resolver.public_show()
    episodes = resolver.public_episodes(now)
    urls = catalogue.show.urls
    documents = {
        "feed.xml": render_feed(public_show, episodes, self_url=urls.feed, now=now),
        "episodes.json": render_episodes_json(public_show, episodes, now=now),
    }
    by_season: dict[int, list[PublicEpisode]] = {}
    for item in episodes:
        by_season.setdefault(item.episode.season, []).append(item)
    for season in catalogue.show.seasons:
        in_season = by_season.get(season.number, [])
        documents[f"saison-{season.number}.xml"] = render_feed(
            public_show, in_season, self_url=urls.season_feed_url(season.number), season=season, now=now
        )
    return Feeds(documents=documents, public_show=public_show, episodes=episodes)


def write_feeds(root: Path, documents: dict[str, bytes], result: BuildResult) -> None:
    """Write each document whose bytes changed; each file is replaced atomically."""
    folder = root / FEEDS_DIR
    for name, data in documents.items():
        target = folder / name
        try:
            if target.read_bytes() == data:
                result.unchanged.append(target)
                continue
        except FileNotFoundError:
            pass
        write_atomically(target, data)
        result.written.append(target)


class BuildManifest:
    """What the last build read and wrote, so a build with nothing changed can stop after a few stats.

    Inputs are every file the build reads (podcast.toml, the lock, episode files, audio and
    assets), by size and modification time; outputs are the feeds it wrote. The manifest
    also keeps the next moment a scheduled episode goes live, when the feeds must change
    even though no file did.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / MANIFEST_FILE

    def _signatures(self, paths: list[str]) -> dict[str, list[int]]:
        signatures = {}
        for name in paths:
            try:
                status = (self.root / name).stat()
            except FileNotFoundError:
                continue
            signatures[name] = [status.st_size, status.st_mtime_ns]
        return signatures

    def _input_names(self, extra: list[str]) -> list[str]:
        names = [SHOW_FILE, LOCK_FILE, *extra]
        files = [path.relative_to(self.root) for path in episode_files(self.root)]
        names.extend(str(path) for path in files)
        # A season folder's time changes when a file appears in it, such as a transcript found by name.
        names.extend(sorted({str(path.parent) for path in files}))
        return names

    def current_warnings(self, now: datetime) -> list[Problem] | None:
        """The last build's warnings if nothing it read has changed since, else ``None``."""
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        if saved.get("version") != _manifest_version():
            return None
        next_change = saved.get("next_change")
        if next_change is not None and now >= datetime.fromisoformat(next_change):
            return None
        inputs = saved.get("inputs", {})
        extra = [
            name
            for name in inputs
            if name not in (SHOW_FILE, LOCK_FILE) and not name.startswith(EPISODES_DIR + "/")
        ]
        if self._signatures(self._input_names(extra)) != inputs:
            return None
        if self._signatures(list(saved.get("outputs", {}))) != saved.get("outputs"):
            return None
        return [
            Problem(path, message, line, Severity.WARNING)
            for path, line, message in saved.get("warnings", [])
        ]

    def save(self, catalogue: Catalogue, now: datetime, outputs: list[str], warnings: list[Problem]) -> None:
        extra = []
        for episode in catalogue.episodes:
            if not episode.audio_is_remote:
                extra.append(os.path.normpath(episode.audio))
        extra.extend(str(path.relative_to(catalogue.root)) for path in _asset_files(catalogue))
        upcoming = [e.date for e in catalogue.episodes if not e.draft and e.date > now]
        document = {
            "version": _manifest_version(),
            "next_change": min(upcoming).isoformat() if upcoming else None,
            "inputs": self._signatures(self._input_names(extra)),
            "outputs": self._signatures(outputs),
            "warnings": [[str(p.path) if p.path else None, p.line, p.message] for p in warnings],
        }
        write_atomically(self.path, json.dumps(document, sort_keys=True).encode("utf-8"))


def _asset_files(catalogue: Catalogue) -> list[Path]:
    show = catalogue.show
    files = [path for path in (show.artwork, *(s.artwork for s in show.seasons)) if path]
    for episode in catalogue.episodes:
        for name in (episode.image, episode.chapters, *(t.source for t in episode.transcripts)):
            if name and not name.startswith(("http://", "https://")):
                path = (episode.path.parent / name).resolve()
                if path.is_relative_to(catalogue.root):
                    files.append(path)
    return files


def _manifest_version() -> str:
    # A new podcaster may write different feeds from the same files.
    try:
        return f"1:{package_version('podcaster')}"
    except PackageNotFoundError:
        return "1:unknown"


def build(root: Path, now: datetime | None = None, progress: Progress | None = None) -> BuildResult:
    """Load, probe what changed, render every feed, then write; nothing is written if anything fails."""
    now = now or datetime.now(UTC)
    root = root.resolve()
    manifest = BuildManifest(root)
    warnings = manifest.current_warnings(now)
    if warnings is not None:
        return BuildResult(unchanged=sorted((root / FEEDS_DIR).glob("*")), warnings=warnings, up_to_date=True)
    catalogue = load_catalogue(root)
    result = BuildResult(warnings=list(catalogue.warnings))
    result.probed = refresh_media(catalogue, progress)
    feeds = render_feeds(catalogue, now)
    result.episode_count = len(feeds.episodes)
    write_feeds(catalogue.root, feeds.documents, result)
    if result.probed:
        catalogue.lock.save()
    manifest.save(catalogue, now, [f"{FEEDS_DIR}/{name}" for name in feeds.documents], result.warnings)
    return result
