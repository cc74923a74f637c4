"""``podcaster build``: refresh media facts, then write every feed into ``feeds/`` atomically."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .catalogue import Catalogue, load_catalogue
from .errors import MediaError, Problem, raise_if_errors
from .feed import render_episodes_json, render_feed
from .lock import write_atomically
from .media import file_signature, probe
from .models import PublicEpisode, PublicShow
from .release import Resolver

FEEDS_DIR = "feeds"
CACHE_FILE = ".podcaster/probe-cache.json"

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
        try:
            signature = file_signature(audio)
        except FileNotFoundError:
            continue  # the catalogue already warned; the lock file's facts stand in
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
    for season in catalogue.show.seasons:
        in_season = [item for item in episodes if item.episode.season == season.number]
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


def build(root: Path, now: datetime | None = None, progress: Progress | None = None) -> BuildResult:
    """Load, probe what changed, render every feed, then write; nothing is written if anything fails."""
    now = now or datetime.now(UTC)
    catalogue = load_catalogue(root)
    result = BuildResult(warnings=list(catalogue.warnings))
    before = catalogue.lock.to_json()
    result.probed = refresh_media(catalogue, progress)
    feeds = render_feeds(catalogue, now)
    result.episode_count = len(feeds.episodes)
    write_feeds(catalogue.root, feeds.documents, result)
    if catalogue.lock.to_json() != before:
        catalogue.lock.save()
    return result
