"""Write the rendered documents into the podcast folder's ``feeds/``, each file atomically."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from podcaster.atomic import write_atomically
from podcaster.errors import Problem
from podcaster.folder.layout import PodcastFolder


@dataclass
class BuildResult:
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    probed: list[Path] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    episode_count: int = 0
    up_to_date: bool = False  # nothing read by the last build changed: nothing was rendered


def write_feeds(folder: PodcastFolder, documents: dict[str, bytes], result: BuildResult) -> None:
    """Write each document whose bytes changed; each file is replaced atomically."""
    for name, data in documents.items():
        target = folder.feed_file(name)
        try:
            if target.read_bytes() == data:
                result.unchanged.append(target)
                continue
        except FileNotFoundError:
            pass
        write_atomically(target, data)
        result.written.append(target)
