"""The lock file: what was learnt from each episode's audio, and where it was published.

``podcast.lock`` is committed beside the catalogue so a machine without the
audio can still build the feeds. It is JSON, sorted and indented, so its diffs
read well, and it is always replaced atomically. Several writers may hold it
at once (a publish for minutes, a producer adding an episode from the studio
or another terminal meanwhile): each save merges its own changes into what
the file holds by then, so none is lost.
"""

from __future__ import annotations

import json
from collections.abc import Container
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from podcaster.atomic import exclusive, write_atomically
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
    # The file's text as read: what a save compares the file with, to keep others' changes. Text, not
    # the parsed document: a large show's lock holds 100,000 values that a save rarely needs.
    read: str | None = field(default=None, repr=False, compare=False)

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
        return _dump(self._document())

    def _document(self) -> dict[str, Any]:
        return {
            "version": LOCK_VERSION,
            "episodes": {guid: _entry_to_json(entry) for guid, entry in sorted(self.episodes.items())},
            "assets": {source: asdict(pub) for source, pub in sorted(self.assets.items())},
            "feeds": dict(sorted(self.feeds.items())),
        }

    def save(self) -> None:
        """Replace the lock file atomically, keeping what other writers saved since it was read.

        Every entry this lock changed since it was read is written as it is
        here; every other entry as the file holds it now (another writer may
        have recorded a new episode meanwhile). Writers take turns on the
        folder's edit lock for the moment of the merge, the studio's too.
        """
        ours = self._document()
        with exclusive(PodcastFolder(self.path.parent).edit_lock):
            now = _read_text(self.path)
            if now is None or now == self.read:
                merged = ours
            else:
                base = _parse(self.read, self.path) if self.read is not None else None
                merged = _merge(base, ours, _parse(now, self.path))
            sections = _sections(merged, self.path) if merged is not ours else None  # damaged: not written
            text = _dump(merged)
            write_atomically(self.path, text.encode("utf-8"))
        if sections is not None:
            self.episodes, self.assets, self.feeds = sections
        self.read = text


def _merge(base: dict[str, Any] | None, ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    """Three-way, entry by entry: our change where we made one, else the file's current entry."""
    merged: dict[str, Any] = {"version": LOCK_VERSION}
    for section in ("episodes", "assets", "feeds"):
        before = (base or {}).get(section, {})
        mine, now = ours.get(section, {}), theirs.get(section, {})
        entries = {}
        for key in sorted(before.keys() | mine.keys() | now.keys()):
            value = mine.get(key) if mine.get(key) != before.get(key) else now.get(key)
            if value is not None:
                entries[key] = value
        merged[section] = entries
    return merged


def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def _read_text(path: Path) -> str | None:
    """The lock file's text as it is now; ``None`` when there is none."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _parse(text: str, path: Path) -> dict[str, Any]:
    """The lock file's JSON document, checked for its version."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise CatalogueError(
            f"the lock file is not valid JSON ({error.msg}); restore it from git",
            path=path,
            line=error.lineno,
        ) from None
    if not isinstance(document, dict) or document.get("version") != LOCK_VERSION:
        version = document.get("version") if isinstance(document, dict) else None
        raise CatalogueError(f"unsupported lock version {version!r}; expected {LOCK_VERSION}", path=path)
    return document


def _sections(
    document: dict[str, Any], path: Path
) -> tuple[dict[str, LockEntry], dict[str, Publication], dict[str, str]]:
    try:
        episodes = {guid: _entry_from_json(raw) for guid, raw in document.get("episodes", {}).items()}
        assets = {source: Publication(**raw) for source, raw in document.get("assets", {}).items()}
        feeds = {str(key): str(value) for key, value in document.get("feeds", {}).items()}
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise CatalogueError(f"the lock file is damaged ({error}); restore it from git", path=path) from None
    return episodes, assets, feeds


def load_lock(root: Path) -> Lock:
    """Read ``podcast.lock`` in *root*; an absent file is an empty lock."""
    return read_lock(root).load()


@dataclass(frozen=True)
class LockText:
    """``podcast.lock`` read and parsed, its records not built yet (see :func:`read_lock`)."""

    path: Path
    text: str | None
    document: dict[str, Any]

    @property
    def guids(self) -> Container[str]:
        """The GUIDs it has media facts for."""
        episodes = self.document.get("episodes")
        return episodes.keys() if isinstance(episodes, dict) else ()

    def load(self) -> Lock:
        """The lock, with its records; :class:`CatalogueError` if the file is damaged."""
        if self.text is None:
            return Lock(path=self.path)
        episodes, assets, feeds = _sections(self.document, self.path)
        return Lock(path=self.path, episodes=episodes, assets=assets, feeds=feeds, read=self.text)


def read_lock(root: Path) -> LockText:
    """Read and parse ``podcast.lock`` in *root*, leaving its records to :meth:`LockText.load`.

    Building the records of a large show takes a while: a caller that needs only
    which GUIDs are there (loading episode files) may build them meanwhile.
    """
    path = PodcastFolder(root).lock_file
    text = _read_text(path)
    return LockText(path, text, _parse(text, path) if text is not None else {})


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
