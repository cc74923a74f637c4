"""Learn an audio file's facts from its content: one dispatch over the format modules.

The format is decided the way ``mutagen.File`` does it: each format class
scores the first bytes and the best score wins; the file's name never votes.
Errors become a :class:`~podcaster.errors.MediaError` naming the file, in one
place (:func:`_media_errors`).

Hashing every byte is the floor of :func:`probe`'s cost, so each file is read
once: a small one (most test and sample files) into memory, hashed, and parsed
from there; a large one hashed in a streaming pass while, beside it, the format
reads only the few regions it needs (headers, the last frame or page, and an
MP3 without a Xing header once more, from the page cache).
"""

from __future__ import annotations

import filecmp
import functools
import hashlib
import io
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, ParamSpec, Protocol, TypeVar

from mutagen import MutagenError

from podcaster.errors import MediaError
from podcaster.media import mp3scan
from podcaster.media.flac import FlacFormat
from podcaster.media.mp3 import Mp3Format
from podcaster.media.mp4 import Mp4Format
from podcaster.media.ogg import OggOpusFormat, OggVorbisFormat
from podcaster.models import Artwork, Chapter, MediaInfo, Tags

__all__ = ["AudioFormat", "file_signature", "probe", "read_artwork", "read_tags", "sha256_file", "write_tags"]

_KNOWN = "MP3, M4A (AAC), Ogg Vorbis, Ogg Opus or FLAC"
_REDO = "export or copy the audio again"
_IN_MEMORY = 1 << 20  # files up to this size are read whole, parsed from memory

P = ParamSpec("P")
R = TypeVar("R")


class AudioFormat(Protocol):
    """What each format module's class answers (one per format, as in Mutagen)."""

    mime_type: str
    writes_chapters: bool  # whether write() can store chapters

    def score(self, header: bytes) -> float:
        """How well the file's first 128 bytes match: 0 for not at all."""

    def probe(self, fileobj: BinaryIO, size: int, sha256: str) -> MediaInfo:
        """The facts of the file read from *fileobj*; EOFError if it is cut short."""

    def load(self, fileobj: BinaryIO) -> Any:
        """The Mutagen object for the file, tags included."""

    def texts(self, audio: Any) -> dict[str, str | None]:
        """Title, artist, album, date, comment, track and disc as the tags write them."""

    def pictures(self, audio: Any) -> list[tuple[bool, str, bytes]]:
        """Embedded images as (not the front cover, declared MIME type, data)."""

    def write(
        self, path: Path, tags: Tags, artwork: Artwork | None, chapters: Sequence[Chapter] | None
    ) -> None:
        """Write the fields given (not None) into the file's tags, in place."""


# In the order that breaks ties between equal scores.
_FORMATS: tuple[AudioFormat, ...] = (
    Mp3Format(),
    Mp4Format(),
    OggVorbisFormat(),
    OggOpusFormat(),
    FlacFormat(),
)


def _media_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn Mutagen's, the formats' and the system's errors into a MediaError naming the file."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        given = args[0] if args else kwargs.get("path")
        path = given if isinstance(given, str | Path) else None
        try:
            return func(*args, **kwargs)
        except MediaError as exc:
            if exc.path is not None or path is None:
                raise
            raise MediaError(exc.problems[0].message, path=path) from exc
        except EOFError as exc:
            raise MediaError(f"the file is cut short (truncated): {_REDO}", path=path) from exc
        except MutagenError as exc:
            # Some of Mutagen's errors carry no message: name at least what went wrong.
            reason = str(exc).strip() or _reason_of(exc)
            raise MediaError(f"cannot read it as {_KNOWN} audio ({reason}): {_REDO}", path=path) from exc
        except mp3scan.ScanError as exc:
            raise MediaError(f"damaged MP3 audio: {exc}; {_REDO}", path=path) from exc
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise MediaError(f"cannot read the file ({reason}): check the path", path=path) from exc

    return wrapper


def _format(header: bytes) -> AudioFormat:
    """The format that best matches a file's first 128 bytes."""
    if not header:
        raise MediaError(f"the file is empty (0 bytes): {_REDO}")
    score, best = 0.0, _FORMATS[0]
    for fmt in _FORMATS:  # of equal scores, the first format listed wins
        if (this := fmt.score(header)) > score:
            score, best = this, fmt
    if score <= 0:
        raise MediaError(
            f"not {_KNOWN} audio (judged by its content, not its name): export the episode"
            " in one of these formats"
        )
    return best


@_media_errors
def probe(path: Path | str) -> MediaInfo:
    """Read size, sha256, duration, format and chapters from the audio file at *path*."""
    descriptor = os.open(path, os.O_RDONLY)  # not open(): no buffer to set up for one read
    try:
        size = os.fstat(descriptor).st_size
        if size <= _IN_MEMORY:
            data = os.read(descriptor, size)
            fmt = _format(data[:128])
            info = fmt.probe(io.BytesIO(data), len(data), hashlib.sha256(data).hexdigest())
        else:
            # The hash (C, without the GIL) runs in a thread beside the format's parse (Python, with
            # it): on two cores the probe of a long MP3 costs its hash, not its hash plus its frame walk.
            with ThreadPoolExecutor(1, thread_name_prefix="sha256") as pool:
                hashed = pool.submit(_sha256_and_length, path)
                with open(descriptor, "rb", closefd=False) as fileobj:
                    fmt = _format(fileobj.read(128))
                    info = fmt.probe(fileobj, size, "")
                digest, length = hashed.result()
            if length != size:
                raise MediaError(
                    f"the file changed while it was read ({size:,} then {length:,} bytes): try again"
                )
            info = replace(info, sha256=digest)
    finally:
        os.close(descriptor)
    if info.duration <= 0:
        raise MediaError(f"the file holds no audio (duration 0): {_REDO}")
    return info


def _sha256_and_length(path: Path | str) -> tuple[str, int]:
    with open(path, "rb") as fileobj:
        digest = hashlib.file_digest(fileobj, "sha256").hexdigest()
        return digest, fileobj.tell()


def _load(path: Path) -> tuple[AudioFormat, Any]:
    with path.open("rb") as fileobj:
        fmt = _format(fileobj.read(128))
        fileobj.seek(0)
        return fmt, fmt.load(fileobj)


@_media_errors
def read_tags(path: Path | str) -> Tags:
    """Read title, artist, album, date, comment, track and disc from the file's tags."""
    fmt, audio = _load(Path(path))
    text = fmt.texts(audio)
    return Tags(
        title=text.get("title"),
        artist=text.get("artist"),
        album=text.get("album"),
        date=text.get("date"),
        comment=text.get("comment"),
        track=_number(text.get("track")),
        disc=_number(text.get("disc")),
    )


def _number(text: str | None) -> int | None:
    """Read "3" or "3/12" as 3."""
    head = (text or "").split("/")[0].strip()
    return int(head) if head.isdigit() and int(head) > 0 else None


@_media_errors
def read_artwork(path: Path | str) -> Artwork | None:
    """Return the embedded cover (front cover first), or None when there is none."""
    fmt, audio = _load(Path(path))
    pictures = [picture for picture in fmt.pictures(audio) if picture[2]]
    if not pictures:
        return None
    _, declared, data = min(pictures, key=lambda picture: picture[0])
    return Artwork(mime_type=_image_type(data, declared), data=bytes(data))


def _image_type(data: bytes, declared: str) -> str:
    """Trust the image's bytes over the tag's MIME field (often "jpg" or "PNG")."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    declared = declared.lower()
    return declared if "/" in declared else f"image/{declared or 'jpeg'}"


@_media_errors
def sha256_file(path: Path | str) -> str:
    """Return the hex sha256 of the file, read in chunks (never whole into memory)."""
    with Path(path).open("rb") as fileobj:
        return hashlib.file_digest(fileobj, "sha256").hexdigest()


@_media_errors
def file_signature(path: Path | str) -> tuple[int, int]:
    """Return (size, mtime_ns): unchanged means the last probe still holds."""
    stat = os.stat(path)
    return stat.st_size, stat.st_mtime_ns


@_media_errors
def write_tags(
    path: Path | str,
    *,
    title: str | None,
    show: str | None = None,
    season: int | None = None,
    episode: int | None = None,
    date: datetime | None = None,
    artwork: Artwork | None = None,
    chapters: Sequence[Chapter] | None = None,
    artist: str | None = None,
    comment: str | None = None,
) -> None:
    """Write an episode's facts into the file's own tags: ID3v2.4 (MP3), MP4 atoms, Vorbis comments.

    Each field given replaces what the file holds; a field left ``None`` leaves it as it
    is (``chapters=()`` removes them). The album is the show, the artist *artist* or else
    the show, the disc the season and the track the episode number; the date is written
    as the day of release, as the producer wrote it. Chapter ends not given run to the
    next chapter, the last one to the end of the audio. Mutagen cannot write MP4
    chapters, so an M4A file keeps the chapters it has.

    The tags are written into a copy that then replaces the file, so a failure leaves the
    old file whole. Writing tags changes the file's size and checksum: probe it again.
    """
    path = Path(path)
    fmt, _ = _load(path)  # refuse a file that is not whole audio before copying it
    if chapters and fmt.writes_chapters:
        nexts = [chapter.start for chapter in chapters[1:]] + [probe(path).duration]
        chapters = [
            replace(chapter, end=chapter.end or after) for chapter, after in zip(chapters, nexts, strict=True)
        ]
    tags = Tags(
        title=title,
        artist=artist or show,
        album=show,
        date=date.date().isoformat() if date else None,
        comment=comment,
        track=episode,
        disc=season,
    )
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        shutil.copyfile(path, temporary)
        fmt.write(Path(temporary), tags, artwork, chapters if fmt.writes_chapters else None)
        if filecmp.cmp(temporary, path, shallow=False):
            return  # already these tags: leave the file (and its modification time) alone
        with open(temporary, "rb+") as written:
            os.fsync(written.fileno())
        os.chmod(temporary, os.stat(path).st_mode & 0o7777)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def _reason_of(error: BaseException) -> str:
    """Say what an error without a message was about, from its type and its cause."""
    cause = error.__cause__ or error.__context__
    if cause is not None and str(cause).strip():
        return str(cause).strip()
    words = type(error).__name__.removesuffix("Error")
    return f"its {words or 'file'} data is damaged"
