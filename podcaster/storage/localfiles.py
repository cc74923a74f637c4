"""File-level steps of the local backend: exclusive creation, whole writes, and the leftovers' sweep.

Every object and metadata record is written to a temporary file named
``.tmp-`` and 16 hex digits in its final folder, then renamed over its name.
A writer killed outright (SIGKILL, power cut) leaves that file behind; hidden
names are never keys, so no listing shows it, and nothing else would ever
remove it: :func:`remove_temporaries` does, for files older than a moment the
caller knows no writer of its own is still under way.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
from pathlib import Path

META_FOLDER = ".podcaster-meta"
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_TEMPORARY = re.compile(r"\.tmp-[0-9a-f]{16}")


def temporary_name() -> str:
    """A fresh name for a temporary file: hidden, so never mistaken for an object."""
    return f".tmp-{secrets.token_hex(8)}"


def create(temporary: str, folder: int) -> int:
    """Open a new file in *folder* for writing; never follows or reuses an existing name."""
    return os.open(
        temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644, dir_fd=folder
    )


def write_all(handle: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(handle, view) :]


def is_link(name: str, folder: int) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode)
    except OSError:
        return False


def remove_temporaries(root: Path, *, before_ns: int) -> list[tuple[str, int]]:
    """Delete the temporary files under *root* last written before *before_ns*; return (path, size) of each.

    Only names this backend makes are touched, in the object folders and the
    metadata folder; folders are walked by handle without following links, so
    nothing outside *root* can be reached. A file removed meanwhile is skipped.
    """
    removed: list[tuple[str, int]] = []
    if not root.is_dir():
        return removed
    for top, folders, files, folder in os.fwalk(root, follow_symlinks=False):
        # Objects' folders and the metadata folder: other hidden folders (.git, …) are not ours.
        at_root = top == str(root)
        folders[:] = [
            name for name in folders if not name.startswith(".") or (at_root and name == META_FOLDER)
        ]
        for name in files:
            if not _TEMPORARY.fullmatch(name):
                continue
            with contextlib.suppress(FileNotFoundError):
                status = os.stat(name, dir_fd=folder, follow_symlinks=False)
                if stat.S_ISREG(status.st_mode) and status.st_mtime_ns < before_ns:
                    os.unlink(name, dir_fd=folder)
                    removed.append((os.path.relpath(os.path.join(top, name), root), status.st_size))
    return sorted(removed)
