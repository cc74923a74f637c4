"""The lock file: what was learnt from each episode's audio, and where it was published.

``podcast.lock`` is committed beside the catalogue so a machine without the
audio can still build the feeds. It is JSON, sorted and indented, so its diffs
read well, and it is always replaced atomically.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from podcaster.atomic import write_atomically
from podcaster.errors import CatalogueError
from podcaster.folder.layout import PodcastFolder
from podcaster.models import Chapter, MediaInfo

LOCK_VERSION = 1


@dataclass(frozen=True)
class Publication:
    """Where an episode's audio was last published, and which content it was."""

    key: str
    url: str
    sha256: str
    size: int


@dataclass(frozen=True)
class LockEntry:
    audio: str
    media: MediaInfo
    publication: Publication | None = None


@dataclass
class Lock:
    """Media facts by episode GUID; assets (artwork, chapters, transcripts) by source path."""

    path: Path
    episodes: dict[str, LockEntry] = field(default_factory=dict)
    assets: dict[str, Publication] = field(default_factory=dict)
    feeds: dict[str, str] = field(default_factory=dict)  # storage key -> sha256 of what is live

    def media(self, guid: str) -> MediaInfo | None:
        entry = self.episodes.get(guid)
        return entry.media if entry else None

    def record_media(self, guid: str, audio: str, media: MediaInfo) -> None:
        previous = self.episodes.get(guid)
        publication = previous.publication if previous else None
        self.episodes[guid] = LockEntry(audio=audio, media=media, publication=publication)

    def record_publication(self, guid: str, publication: Publication) -> None:
        self.episodes[guid] = replace(self.episodes[guid], publication=publication)

    def to_json(self) -> str:
        document: dict[str, Any] = {
            "version": LOCK_VERSION,
            "episodes": {guid: _entry_to_json(entry) for guid, entry in sorted(self.episodes.items())},
            "assets": {source: asdict(pub) for source, pub in sorted(self.assets.items())},
            "feeds": dict(sorted(self.feeds.items())),
        }
        return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n"

    def save(self) -> None:
        """Replace the lock file atomically: readers see the old or the new one, never half."""
        write_atomically(self.path, self.to_json().encode("utf-8"))


def load_lock(root: Path) -> Lock:
    """Read ``podcast.lock`` in *root*; an absent file is an empty lock."""
    path = PodcastFolder(root).lock_file
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Lock(path=path)
    try:
        document = json.loads(text)
        if document.get("version") != LOCK_VERSION:
            raise CatalogueError(
                f"unsupported lock version {document.get('version')!r}; expected {LOCK_VERSION}", path=path
            )
        episodes = {guid: _entry_from_json(raw) for guid, raw in document.get("episodes", {}).items()}
        assets = {source: Publication(**raw) for source, raw in document.get("assets", {}).items()}
        feeds = {str(key): str(value) for key, value in document.get("feeds", {}).items()}
    except json.JSONDecodeError as error:
        raise CatalogueError(
            f"the lock file is not valid JSON ({error.msg}); restore it from git",
            path=path,
            line=error.lineno,
        ) from None
    except (KeyError, TypeError, AttributeError) as error:
        raise CatalogueError(f"the lock file is damaged ({error}); restore it from git", path=path) from None
    return Lock(path=path, episodes=episodes, assets=assets, feeds=feeds)


def _entry_to_json(entry: LockEntry) -> dict[str, Any]:
    media = asdict(entry.media)
    media["chapters"] = [
        {key: value for key, value in asdict(chapter).items() if value is not None}
        for chapter in entry.media.chapters
    ]
    raw: dict[str, Any] = {"audio": entry.audio, **media}
    if entry.publication:
        raw["published"] = asdict(entry.publication)
    return raw


def _entry_from_json(raw: dict[str, Any]) -> LockEntry:
    chapters = tuple(Chapter(**chapter) for chapter in raw.get("chapters", []))
    media = MediaInfo(
        size=int(raw["size"]),
        sha256=str(raw["sha256"]),
        duration=float(raw["duration"]),
        mime_type=str(raw["mime_type"]),
        bitrate=int(raw["bitrate"]),
        sample_rate=int(raw["sample_rate"]),
        channels=int(raw["channels"]),
        codec=str(raw["codec"]),
        chapters=chapters,
    )
    published = raw.get("published")
    return LockEntry(
        audio=str(raw["audio"]), media=media, publication=Publication(**published) if published else None
    )
