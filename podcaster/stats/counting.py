"""Which episode a request is for, and how many of its bytes make one minute of audio (IAB v2.2)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from urllib.parse import unquote, urlsplit

from podcaster.feed.public import audio_key
from podcaster.folder.catalogue import Catalogue

MINUTE = 60
PROBE_BYTES = 2  # "Range: bytes=0-1", what apps send to learn a file's size
DEFAULT_BITRATE = 128_000  # an episode whose audio was never probed: a common podcast bitrate
_HASHED_NAME = re.compile(r"-[0-9a-f]{8}(\.[A-Za-z0-9]+)$")


@dataclass(frozen=True)
class Target:
    """An episode as the counter knows it: its storage keys and the bytes one minute of it takes."""

    guid: str
    title: str
    released: str  # the UTC day it went out, YYYY-MM-DD
    keys: tuple[str, ...]
    threshold: int


def minute_threshold(size: int, duration: float, bitrate: int) -> int:
    """Bytes a listener must fetch to have one minute of audio: what precedes the audio, plus a minute of it.

    The lock file holds the size, duration and bitrate; what the audio itself
    does not fill (the ID3 tag and its artwork) is the rest of the file. A file
    shorter than a minute counts when it is fetched whole.
    """
    bitrate = bitrate or DEFAULT_BITRATE
    tag = max(0, size - int(duration * bitrate / 8)) if size and duration else 0
    needed = tag + bitrate * MINUTE // 8
    return max(PROBE_BYTES + 1, min(needed, size) if size else needed)


def targets_of(catalogue: Catalogue) -> list[Target]:
    """Every episode with known audio, and each name its audio was or is published under."""
    targets = []
    for episode in catalogue.episodes:
        media = catalogue.lock.media(episode.guid)
        keys: set[str] = set()
        if media is not None:
            keys.add(audio_key(episode, media))
        entry = catalogue.lock.episodes.get(episode.guid)
        if entry and entry.publication:
            keys.add(entry.publication.key)
            keys.add(unquote(urlsplit(entry.publication.url).path).lstrip("/"))
        if episode.audio_is_remote:
            keys.add(unquote(urlsplit(episode.audio).path).lstrip("/"))
        keys.discard("")
        if not keys:
            continue
        threshold = (
            minute_threshold(media.size, media.duration, media.bitrate)
            if media
            else minute_threshold(0, 0, 0)
        )
        released = episode.date.astimezone(UTC).date().isoformat()
        targets.append(Target(episode.guid, episode.title, released, tuple(sorted(keys)), threshold))
    return targets


class EpisodeIndex:
    """Which episode a requested path is, by its storage key or, for an older upload, the key less its hash."""

    def __init__(self, targets: Iterable[Target]) -> None:
        self.targets = list(targets)
        self.thresholds = [int(target.threshold) for target in self.targets]
        self._by_name: dict[str, list[tuple[str, int]]] = {}
        for index, target in enumerate(self.targets):
            for key in target.keys:
                for name in {key, _unhashed(key)}:
                    self._by_name.setdefault(name.rsplit("/", 1)[-1], []).append((name, index))
        self._seen: dict[str, int] = {}

    def find(self, path: str) -> int:
        """The index of the episode *path* asks for, or -1."""
        index = self._seen.get(path)
        if index is None:
            if len(self._seen) > 100_000:
                self._seen.clear()
            index = self._seen[path] = self._lookup(path)
        return index

    def _lookup(self, path: str) -> int:
        clean = unquote(path.split("?", 1)[0].split("#", 1)[0])
        for candidate in (clean, _unhashed(clean)):
            for name, index in self._by_name.get(candidate.rsplit("/", 1)[-1], ()):
                if candidate == name or candidate.endswith("/" + name):
                    return index
        return -1


def _unhashed(key: str) -> str:
    return _HASHED_NAME.sub(r"\1", key)
