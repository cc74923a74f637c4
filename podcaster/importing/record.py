"""The import record: what ``podcaster import`` wrote, so that a later import knows what is its own.

The record (``podcast.import.json``, committed beside podcast.lock) keeps the
hash of every file the import wrote. A later import compares it with the file
on disk: equal, the file is the import's own and may be refreshed; different,
someone edited it, and it is left alone unless ``--force``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from podcaster.atomic import write_atomically
from podcaster.errors import CatalogueError
from podcaster.folder.layout import PodcastFolder

STATE_VERSION = 1


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class EpisodeRecord:
    """What the import last wrote for one GUID."""

    file: str  # relative to the podcast folder
    sha256: str
    enclosure: str  # the source's enclosure URL
    audio: str | None = None  # the local copy, once rehosted


@dataclass
class ImportState:
    path: Path
    source: str | None = None
    feed_url: str | None = None
    old_feed: str | None = None
    artwork: str | None = None
    artwork_source: str | None = None
    show: str | None = None  # sha256 of podcast.toml as the import wrote it
    episodes: dict[str, EpisodeRecord] = field(default_factory=dict)

    def to_json(self) -> str:
        document = {
            "version": STATE_VERSION,
            "source": self.source,
            "feed_url": self.feed_url,
            "old_feed": self.old_feed,
            "artwork": self.artwork,
            "artwork_source": self.artwork_source,
            "show": self.show,
            "episodes": {
                guid: {key: value for key, value in vars(record).items() if value is not None}
                for guid, record in sorted(self.episodes.items())
            },
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    def save(self) -> None:
        write_atomically(self.path, self.to_json().encode("utf-8"))


def load_state(root: Path) -> ImportState:
    path = PodcastFolder(root).import_record
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ImportState(path=path)
    except ValueError as error:
        raise CatalogueError(
            f"the import record is not valid JSON ({error}); restore it from git", path=path
        ) from None
    if not isinstance(raw, dict) or raw.get("version") != STATE_VERSION:
        raise CatalogueError(f"unsupported import record version; expected {STATE_VERSION}", path=path)
    try:
        episodes = {str(guid): EpisodeRecord(**record) for guid, record in raw.get("episodes", {}).items()}
    except TypeError as error:
        raise CatalogueError(
            f"the import record is damaged ({error}); restore it from git", path=path
        ) from None
    return ImportState(
        path=path,
        source=raw.get("source"),
        feed_url=raw.get("feed_url"),
        old_feed=raw.get("old_feed"),
        artwork=raw.get("artwork"),
        artwork_source=raw.get("artwork_source"),
        show=raw.get("show"),
        episodes=episodes,
    )
