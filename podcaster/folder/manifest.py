"""The build manifest: what the last build read and wrote, to skip a build with nothing to do."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from datetime import datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path

from podcaster.atomic import write_atomically
from podcaster.errors import Problem, Severity
from podcaster.folder.catalogue import Catalogue
from podcaster.folder.episodefile import FileSeen
from podcaster.folder.layout import EPISODES_DIR, LOCK_FILE, SHOW_FILE, PodcastFolder


class BuildManifest:
    """What the last build read and wrote, so a build with nothing changed can stop after a few stats.

    Inputs are every file the build reads (podcast.toml, the lock, episode files, audio and
    assets), by size and modification time; outputs are the feeds it wrote. The manifest
    also keeps the next moment a scheduled episode goes live, when the feeds must change
    even though no file did.
    """

    def __init__(self, folder: PodcastFolder) -> None:
        self.folder = folder
        self.root = folder.root
        self.path = folder.build_manifest

    def _signatures(
        self, paths: list[str], seen: Mapping[str, FileSeen] | None = None
    ) -> dict[str, list[int]]:
        # Plain strings and os.stat: a catalogue's inputs are counted in tens of thousands. What
        # loading the catalogue saw of a file (*seen*, by absolute path) stands for a look now.
        root = str(self.root)
        seen = seen or {}
        signatures = {}
        for name in paths:
            path = os.path.join(root, name)
            if path in seen:
                known = seen[path]
                if known is not None:
                    signatures[name] = list(known)
                continue
            try:
                status = os.stat(path)
            except FileNotFoundError:
                continue
            signatures[name] = [status.st_size, status.st_mtime_ns]
        return signatures

    def _input_names(self, extra: list[str], episode_files: Iterable[Path] | None = None) -> list[str]:
        names = [SHOW_FILE, LOCK_FILE, *extra]
        prefix = len(os.path.join(self.root, ""))  # every episode file is under the root
        if episode_files is None:
            episode_files = self.folder.episode_files()
        files = [str(path)[prefix:] for path in episode_files]
        names.extend(files)
        # A season folder's time changes when a file appears in it, such as a transcript found by name.
        names.extend(sorted({os.path.dirname(name) for name in files}))
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

    def inputs(self, catalogue: Catalogue) -> dict[str, list[int]]:
        """What the build read of each file, the lock file aside (saved after the feeds if media was probed)."""
        extra = []
        for episode in catalogue.episodes:
            if not episode.audio_is_remote:
                extra.append(os.path.normpath(episode.audio))
        extra.extend(str(path.relative_to(catalogue.root)) for path in _asset_files(catalogue))
        # The episode files are those the catalogue was loaded from, as loading saw them: a
        # file changed since then is seen changed by the next build.
        names = self._input_names(extra, (episode.path for episode in catalogue.episodes))
        return self._signatures([name for name in names if name != LOCK_FILE], catalogue.files)

    def save(
        self,
        catalogue: Catalogue,
        now: datetime,
        outputs: list[str],
        warnings: list[Problem],
        inputs: dict[str, list[int]] | None = None,
    ) -> None:
        """Record this build; *inputs*, if given, are what :meth:`inputs` gave for this catalogue."""
        inputs = {
            **(inputs if inputs is not None else self.inputs(catalogue)),
            **self._signatures([LOCK_FILE]),
        }
        upcoming = [e.date for e in catalogue.episodes if not e.draft and e.date > now]
        document = {
            "version": _manifest_version(),
            "next_change": min(upcoming).isoformat() if upcoming else None,
            "inputs": inputs,
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
