"""Keep the lock file's media facts up to date: probe the audio that is new or changed since."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from podcaster.atomic import write_atomically
from podcaster.errors import MediaError, Problem, raise_if_errors
from podcaster.folder.catalogue import Catalogue
from podcaster.media import file_signature, probe

Progress = Callable[[str], None]


class ProbeCache:
    """A local, uncommitted memo of (size, mtime) → sha256, so unchanged audio is not hashed again."""

    def __init__(self, path: Path) -> None:
        self.path = path
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
    cache = ProbeCache(catalogue.folder.probe_cache)
    probed: list[Path] = []
    problems: list[Problem] = []
    root = str(catalogue.root)
    for episode in catalogue.episodes:
        if episode.audio_is_remote:
            continue
        # As Episode.audio_path() names it; loading looked there already.
        if catalogue.has_no_file(os.path.normpath(os.path.join(root, episode.audio))):
            continue  # the catalogue already warned; the lock file's facts stand in
        audio = episode.audio_path(catalogue.root)
        if not audio.is_file():
            continue
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
