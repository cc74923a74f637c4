"""One writer at a time: the studio's saves queue behind an advisory lock on the folder."""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Iterator
from pathlib import Path

from podcaster.errors import PodcasterError

WAIT_SECONDS = 10.0


@contextlib.contextmanager
def edit_lock(path: Path, wait: float = WAIT_SECONDS) -> Iterator[None]:
    """Hold an exclusive ``flock`` on *path*, waiting up to *wait* seconds for another save to end.

    A save takes milliseconds, so waiting is kinder than refusing; a lock held
    longer than *wait* means something is stuck, and the caller is told so.
    The kernel drops the lock when its process ends, so a crash leaves none.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    with path.open("a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise PodcasterError(
                        "another save has held the folder for too long; try again in a moment", path=path
                    ) from None
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
