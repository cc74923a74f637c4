"""Replace a file so that readers see the old content or the new, never half of it; one writer at a time."""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from podcaster.errors import PodcasterError

WAIT_SECONDS = 10.0


def write_atomically(
    path: Path, data: bytes, *, mode: int = 0o644, folder_exists: bool = False, durable: bool = True
) -> None:
    """Write *data* to *path* through a temporary file and a rename in the same folder, with *mode*.

    The folder is made first, unless the caller knows it exists (*folder_exists*). *durable*:
    the rename waits for the disk to have the data. Without it, readers still see the old file
    or the new one, never half of it, but after a crash the file may be the old one, or empty.
    """
    if not folder_exists:
        path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


_held = threading.local()  # the locks this thread holds: asking again for one is not waiting for oneself


@contextlib.contextmanager
def exclusive(path: Path, wait: float = WAIT_SECONDS) -> Iterator[None]:
    """Hold an exclusive ``flock`` on *path*, waiting up to *wait* seconds for its holder to let go.

    Writers hold it for the moment of a save (milliseconds), so waiting is
    kinder than refusing; a lock held longer than *wait* means something is
    stuck, and the caller is told so. The kernel drops the lock when its
    process ends, so a crash leaves none. Re-entrant within a thread: a save
    that holds it may call another that takes it (a new draft records its
    audio in ``podcast.lock``); other threads and processes wait.
    """
    held: set[Path] = _held.__dict__.setdefault("paths", set())
    key = path.resolve()
    if key in held:
        yield
        return
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
        held.add(key)
        try:
            yield
        finally:
            held.discard(key)
            fcntl.flock(handle, fcntl.LOCK_UN)
