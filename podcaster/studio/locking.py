"""One writer at a time: the studio's saves queue behind an advisory lock on the folder."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from podcaster.atomic import WAIT_SECONDS, exclusive


@contextmanager
def edit_lock(path: Path, wait: float = WAIT_SECONDS) -> Iterator[None]:
    """Hold the folder's edit lock at *path* (see :func:`podcaster.atomic.exclusive`)."""
    with exclusive(path, wait):
        yield
