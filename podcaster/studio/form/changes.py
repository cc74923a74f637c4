"""Several files changed as one: each step can be taken back, so a refused save leaves the folder as it was."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from podcaster.atomic import write_atomically


class FileChanges:
    """Writes, moves and removals in a podcast folder, remembered so that :meth:`undo` restores each file.

    Every write is atomic (a reader sees the old file or the new, never half);
    the previous bytes of a replaced or removed file are kept in memory, which
    is fine for what the studio's form changes (text files and one cover image).
    """

    def __init__(self) -> None:
        self._before: list[tuple[Path, bytes | None]] = []  # each path touched, with what it held
        self._folders: list[Path] = []

    def write(self, path: Path, data: bytes) -> None:
        self._remember(path)
        self._make_folder(path.parent)
        write_atomically(path, data)

    def move_in(self, source: Path, target: Path) -> None:
        """Move *source* (a staged file, same disk) to *target*, replacing what was there."""
        self._remember(target)
        self._make_folder(target.parent)
        os.replace(source, target)
        os.chmod(target, 0o644)

    def remove(self, path: Path) -> None:
        if path.is_file():
            self._remember(path)
            path.unlink()

    @property
    def touched(self) -> tuple[Path, ...]:
        """Every path written, moved in or removed, in the order first touched (a commit names them all)."""
        return tuple(path for path, _ in self._before)

    def undo(self) -> None:
        """Put every file back as it was, last change first; remove the folders made."""
        for path, data in reversed(self._before):
            if data is None:
                path.unlink(missing_ok=True)
            else:
                write_atomically(path, data)
        self._before.clear()
        for folder in reversed(self._folders):
            with contextlib.suppress(OSError):  # not empty: something else lives there now
                folder.rmdir()
        self._folders.clear()

    def _remember(self, path: Path) -> None:
        if any(seen == path for seen, _ in self._before):
            return  # the first state is the one to restore
        self._before.append((path, path.read_bytes() if path.is_file() else None))

    def _make_folder(self, folder: Path) -> None:
        missing = []
        while not folder.exists():
            missing.append(folder)
            folder = folder.parent
        for made in reversed(missing):
            made.mkdir()
            self._folders.append(made)
