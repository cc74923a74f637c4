"""New episodes from the browser: audio received in resumable chunks, probed, then made a draft.

An upload is two files in ``.podcaster/uploads/``: ``ID.json`` (its declared
length, file name and owner) and ``ID.part``, the bytes received so far. Each
chunk is appended at the offset the client names, which must be the part's
size: a chunk cut by a dropped connection keeps what arrived, the client
asks for the offset (tus's HEAD) and goes on from there. Nothing is held in
memory beyond one buffer. When the last byte is in, the file is probed as
``add`` probes it, and refused unless it is audio. :func:`create_draft` then
moves it under ``audio/saison-N/`` (as ``import --rehost`` keeps audio) and
writes the episode as a draft through :func:`~podcaster.actions.add.add_episode`.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import json
import os
import re
import secrets
import stat
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, BinaryIO

from podcaster.actions.add import AddedEpisode, add_episode
from podcaster.atomic import exclusive
from podcaster.errors import MediaError, PodcasterError
from podcaster.folder.layout import PodcastFolder, slugify
from podcaster.media import file_signature, probe, read_tags
from podcaster.models import EpisodeType, MediaInfo, Tags
from podcaster.studio.form import FileChanges, NewSeason
from podcaster.studio.form.extras import show_with_season

UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_NAME = 200
READ_SIZE = 1 << 20
MiB = 1 << 20
STALE_SECONDS = 7 * 24 * 3600  # an upload nobody resumed for a week is swept away


class UploadError(PodcasterError):
    """An upload that cannot be accepted: unknown, someone else's, too large, at the wrong offset, not audio."""

    def __init__(self, message: str, code: str, *, status: int = 400, **values: object) -> None:
        super().__init__(message, code=code, values=values)
        self.status = status  # what HTTP would answer; the library itself knows nothing of HTTP


@dataclass(frozen=True)
class Upload:
    id: str
    length: int
    name: str
    owner: str
    offset: int
    path: Path

    @property
    def complete(self) -> bool:
        return self.offset == self.length


@dataclass(frozen=True)
class Probed:
    """An uploaded file's facts and tags, to fill the new episode's form."""

    upload: Upload
    media: MediaInfo
    tags: Tags


def start_upload(root: Path, owner: str, length: int, name: str, limit: int) -> Upload:
    """Open a new upload of *length* bytes for *owner*; refuse one over *limit* before a byte is sent."""
    if length <= 0:
        raise UploadError("the file is empty", "upload_empty")
    if length > limit:
        raise UploadError(
            f"the file is {length:,} bytes, over the limit of {limit:,} bytes",
            "upload_too_large",
            status=413,
            limit=limit // MiB,
        )
    folder = PodcastFolder(root).uploads_dir
    folder.mkdir(parents=True, exist_ok=True)
    _sweep(folder)
    upload_id = secrets.token_urlsafe(24)
    clean = os.path.basename(name.replace("\\", "/"))[:MAX_NAME] or "audio"
    record = {"length": length, "name": clean, "owner": owner, "created": int(time.time())}
    (folder / f"{upload_id}.part").touch(mode=0o600, exist_ok=False)
    (folder / f"{upload_id}.json").write_text(json.dumps(record), encoding="utf-8")
    return find_upload(root, upload_id, owner)


def find_upload(root: Path, upload_id: str, owner: str) -> Upload:
    """The upload *upload_id* of *owner*; another producer's is as unknown as one never made."""
    if not UPLOAD_ID.match(upload_id):
        raise UploadError("no such upload", "upload_unknown", status=404)
    folder = PodcastFolder(root).uploads_dir
    try:
        record = json.loads((folder / f"{upload_id}.json").read_text(encoding="utf-8"))
        part = folder / f"{upload_id}.part"
        offset = part.stat().st_size
    except (OSError, ValueError):
        raise UploadError("no such upload", "upload_unknown", status=404) from None
    if record.get("owner") != owner:
        raise UploadError("no such upload", "upload_unknown", status=404)
    return Upload(upload_id, int(record["length"]), str(record["name"]), owner, offset, part)


def append_chunk(
    root: Path, upload_id: str, owner: str, offset: int, body: IO[bytes], length: int | None = None
) -> Upload:
    """Append the request *body* (*length* bytes when the request said) at *offset*.

    What arrived before the stream broke is kept, and :class:`UploadCut`
    raised. One writer per upload at a time (an advisory lock): a client that
    retries while its first request still trickles in is told to ask for the
    offset again.
    """
    upload = find_upload(root, upload_id, owner)
    with _exclusive(upload.path) as stream:
        size = stream.seek(0, os.SEEK_END)
        if offset != size:
            raise UploadError(
                f"the upload is at byte {size}, not {offset}", "upload_offset", status=409, at=size
            )
        room = upload.length - size
        if length is not None and length > room:
            raise UploadError("more bytes than the upload declared", "upload_overflow", status=413)
        spooled = _spooled_file(body) if length is not None else None
        if spooled is not None and length is not None:
            _copy_spooled(spooled, body.tell(), stream, size, length)
        else:
            _copy_read(body, stream, room, length)
    return find_upload(root, upload_id, owner)


class UploadCut(UploadError):
    """The request's body ended before its declared length: the connection dropped."""

    def __init__(self, copied: int, length: int) -> None:
        super().__init__(
            f"the request ended after {copied:,} of {length:,} bytes", "upload_cut", received=copied
        )


def _spooled_file(body: IO[bytes]) -> int | None:
    """The descriptor of *body* when it is a regular file, as a server that spools request bodies gives."""
    try:
        descriptor = body.fileno()
        return descriptor if stat.S_ISREG(os.fstat(descriptor).st_mode) else None
    except (AttributeError, OSError, ValueError):
        return None


def _copy_spooled(source: int, start: int, stream: BinaryIO, end: int, length: int) -> None:
    """Copy *length* bytes of a spooled body in the kernel, never through Python's buffers.

    The server (waitress) has already written the body to a file: reading it
    back and writing it again a megabyte at a time costs as much as receiving it.
    """
    stream.flush()
    target = stream.fileno()
    in_kernel = True
    copied = 0
    while copied < length:
        want = length - copied
        if in_kernel:
            try:
                moved = os.copy_file_range(source, target, want, start + copied, end + copied)
            except OSError as error:
                if error.errno not in (errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
                    raise
                in_kernel = False  # a file system that cannot: copy through a buffer instead
                continue
        else:
            moved = os.pwrite(target, os.pread(source, min(want, READ_SIZE), start + copied), end + copied)
        if moved == 0:
            raise UploadCut(copied, length)
        copied += moved
    stream.seek(0, os.SEEK_END)


def _copy_read(body: IO[bytes], stream: BinaryIO, room: int, length: int | None) -> None:
    """Copy *body* a buffer at a time: at most *length* bytes, never more than *room*."""
    copied = 0
    while length is None or copied < length:
        want = READ_SIZE if length is None else min(READ_SIZE, length - copied)
        try:
            chunk = body.read(want)
        except OSError:  # the connection reset under the server's reader
            chunk = b""
        if not chunk:
            break
        if copied + len(chunk) > room:
            raise UploadError("more bytes than the upload declared", "upload_overflow", status=413)
        stream.write(chunk)
        copied += len(chunk)
    stream.flush()
    if length is not None and copied < length:
        raise UploadCut(copied, length)


def store_whole(root: Path, owner: str, name: str, chunks: Iterable[bytes], limit: int) -> Upload:
    """Receive a file in one request (the form without script), streamed to disk, never over *limit*."""
    upload = start_upload(root, owner, limit, name, limit)
    written = 0
    try:
        with upload.path.open("ab") as stream:
            for chunk in chunks:
                written += len(chunk)
                if written > limit:
                    raise UploadError(
                        f"the file is over the limit of {limit:,} bytes",
                        "upload_too_large",
                        status=413,
                        limit=limit // MiB,
                    )
                stream.write(chunk)
        if written == 0:
            raise UploadError("the file is empty", "upload_empty")
    except BaseException:
        discard_upload(root, upload.id, owner)
        raise
    record_path = upload.path.with_suffix(".json")
    record = json.loads(record_path.read_text(encoding="utf-8"))
    record["length"] = written
    record_path.write_text(json.dumps(record), encoding="utf-8")
    return find_upload(root, upload.id, owner)


def probe_upload(root: Path, upload_id: str, owner: str) -> Probed:
    """Probe a complete upload as ``add`` does; anything but audio is deleted and refused."""
    upload = find_upload(root, upload_id, owner)
    if not upload.complete:
        raise UploadError(
            f"the upload has {upload.offset:,} of {upload.length:,} bytes",
            "upload_incomplete",
            status=409,
            received=upload.offset,
            length=upload.length,
        )
    try:
        media, tags = _probed(str(upload.path), file_signature(upload.path))
    except MediaError:
        discard_upload(root, upload_id, owner)
        raise UploadError(
            f"{upload.name} is not an audio file podcast apps can play",
            "upload_not_audio",
            status=415,
            name=upload.name,
        ) from None
    return Probed(upload, media, tags)


@functools.lru_cache(maxsize=8)
def _probed(path: str, signature: tuple[int, int]) -> tuple[MediaInfo, Tags]:
    """The file's facts and tags, read once per content: the form, its save and the draft all ask.

    A 100 MB upload takes a tenth of a second to probe; keyed by the file's
    (size, mtime_ns), a changed file is read again.
    """
    del signature  # the cache's key only
    return probe(path), read_tags(path)


def discard_upload(root: Path, upload_id: str, owner: str) -> None:
    upload = find_upload(root, upload_id, owner)
    upload.path.unlink(missing_ok=True)
    upload.path.with_suffix(".json").unlink(missing_ok=True)


def create_draft(
    root: Path,
    upload_id: str,
    owner: str,
    *,
    season: int,
    title: str,
    date: datetime,
    number: int | None = None,
    episode_type: EpisodeType = EpisodeType.FULL,
    new_season: NewSeason | None = None,
) -> AddedEpisode:
    """Move the upload under ``audio/saison-N/`` and write its episode as a draft; undo it all on error.

    *new_season* is declared in podcast.toml first, with the name the producer gave it.
    """
    root = root.resolve()
    podcast = PodcastFolder(root)
    with exclusive(podcast.edit_lock):
        files = FileChanges()
        if new_season is not None:
            text = podcast.show_file.read_text(encoding="utf-8")
            files.write(podcast.show_file, show_with_season(text, new_season).encode("utf-8"))
        try:
            return _create_draft(root, upload_id, owner, season, title, date, number, episode_type)
        except BaseException:
            files.undo()
            raise


def _create_draft(
    root: Path,
    upload_id: str,
    owner: str,
    season: int,
    title: str,
    date: datetime,
    number: int | None,
    episode_type: EpisodeType,
) -> AddedEpisode:
    probed = probe_upload(root, upload_id, owner)
    folder = PodcastFolder(root).rehosted_audio_dir(season)
    folder.mkdir(parents=True, exist_ok=True)
    stem = slugify(title)
    target = folder / f"{stem}{probed.media.extension}"
    while target.exists():
        target = folder / f"{stem}-{secrets.token_hex(3)}{probed.media.extension}"
    os.replace(probed.upload.path, target)
    try:
        added = add_episode(
            root,
            target,
            season=season,
            number=number,
            title=title,
            date=date,
            episode_type=episode_type,
            draft=True,
            probed=(probed.media, probed.tags),  # the same bytes, moved: not read again
        )
    except BaseException:
        os.replace(target, probed.upload.path)  # the upload stays, so the form can be sent again
        raise
    probed.upload.path.with_suffix(".json").unlink(missing_ok=True)
    return added


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[BinaryIO]:
    with path.open("r+b") as stream:
        try:
            fcntl.flock(stream, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UploadError(
                "another request is writing this upload; ask for its offset", "upload_busy", status=409
            ) from None
        try:
            yield stream
        finally:
            fcntl.flock(stream, fcntl.LOCK_UN)


def _sweep(folder: Path) -> None:
    """Remove the uploads nobody came back to."""
    limit = time.time() - STALE_SECONDS
    for path in folder.iterdir():
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < limit:
                path.unlink()
