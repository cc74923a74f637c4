"""What an import tells its caller: news and download progress while it runs, the result at the end."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from podcaster.errors import Problem


class ImportReporter:
    """Hooks the CLI fills in for messages and download bars; the library never prints."""

    def message(self, text: str) -> None:
        """A line of news."""

    def download_started(self, name: str, total: int | None, done: int) -> None:
        """A download (re)starts; *done* bytes are already on disk."""

    def bytes_received(self, name: str, count: int) -> None:
        """*count* more bytes of *name* arrived."""

    def download_done(self, name: str) -> None:
        """A download finished."""


@dataclass
class ImportResult:
    source: str
    fetched_from: str
    show_file: Path
    show_status: str = "unchanged"  # created, updated, unchanged, kept (edited locally)
    added: list[Path] = field(default_factory=list)
    updated: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)  # files left alone, and why
    derived_guids: list[tuple[Path, str]] = field(default_factory=list)
    downloaded: list[Path] = field(default_factory=list)
    seasons_added: list[int] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    # Items that could not be imported this time (a dead or malformed enclosure): the rest was, and a
    # later run picks these up. Each names its item; the command exits 1 when there is any.
    failed: list[Problem] = field(default_factory=list)
    not_in_source: int = 0  # episodes of the catalogue the feed does not list (kept)
