"""Learn an audio file's facts from its content, with Mutagen.

The only module that imports mutagen. The format is decided the way
``mutagen.File`` does it, by asking each format class how well the first
bytes match, but with the file name withheld so that the extension never
votes. Mutagen's errors become :class:`~podcaster.errors.MediaError` naming
the file, in one place (:func:`_media_errors`).

Durations are what a decoder outputs: MP3 lengths come from
:mod:`podcaster.media.mp3scan` (frame headers, the Xing/LAME header's delay and
padding), since Mutagen guesses from the first frame when there is no
Xing/VBRI header; the other formats store an exact length that Mutagen reads.

MIME types: ``audio/mpeg``, ``audio/mp4`` (AAC or ALAC in MP4/M4A),
``audio/flac``, and ``audio/ogg`` for Ogg Vorbis *and* Ogg Opus: RFC 7845
registers ``audio/ogg`` for Ogg Opus files (``audio/opus`` names the bare RTP
payload), and podcast apps that play Ogg know it by that type.
"""

from __future__ import annotations

import base64
import filecmp
import functools
import hashlib
import os
import re
import shutil
import struct
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import IO, Any, ParamSpec, TypeVar

from mutagen import FileType, MutagenError
from mutagen.flac import FLAC, Picture
from mutagen.id3 import (
    APIC,
    CHAP,
    COMM,
    CTOC,
    ID3,
    TALB,
    TCON,
    TDRC,
    TIT2,
    TPE1,
    TPOS,
    TRCK,
    WXXX,
    CTOCFlags,
)
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4, MP4Cover
from mutagen.ogg import OggPage
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis

from podcaster.errors import MediaError
from podcaster.media import mp3scan
from podcaster.models import Artwork, Chapter, MediaInfo, Tags

__all__ = ["file_signature", "probe", "read_artwork", "read_tags", "sha256_file", "write_tags"]

# Format class -> (MIME type, codec). Order breaks ties between equal scores.
_FORMATS: dict[type[FileType], tuple[str, str]] = {
    MP3: ("audio/mpeg", "mp3"),
    MP4: ("audio/mp4", "aac"),
    OggVorbis: ("audio/ogg", "vorbis"),
    OggOpus: ("audio/ogg", "opus"),
    FLAC: ("audio/flac", "flac"),
}
_MP4_CODECS = {"alac": "alac", "mp4a.69": "mp3", "mp4a.6B": "mp3", "ac-3": "ac3"}
_KNOWN = "MP3, M4A (AAC), Ogg Vorbis, Ogg Opus or FLAC"
_REDO = "export or copy the audio again"

P = ParamSpec("P")
R = TypeVar("R")


def _media_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn Mutagen's, the scan's and the system's errors into a MediaError naming the file."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        given = args[0] if args else kwargs.get("path")
        path = given if isinstance(given, str | Path) else None
        try:
            return func(*args, **kwargs)
        except MutagenError as exc:
            raise MediaError(f"cannot read it as {_KNOWN} audio ({exc}): {_REDO}", path=path) from exc
        except mp3scan.ScanError as exc:
            raise MediaError(f"damaged MP3 audio: {exc}; {_REDO}", path=path) from exc
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise MediaError(f"cannot read the file ({reason}): check the path", path=path) from exc

    return wrapper


def _load(path: Path, fileobj: IO[bytes]) -> FileType:
    """Open *fileobj* with the format class that best matches its first bytes."""
    header = fileobj.read(128)
    if not header:
        raise MediaError(f"the file is empty (0 bytes): {_REDO}", path=path)
    # Like mutagen.File, but the name is withheld: only the content votes.
    scores = [(kind.score("", fileobj, header), -rank, kind) for rank, kind in enumerate(_FORMATS)]
    score, _, kind = max(scores, key=lambda item: item[:2])
    if score <= 0:
        if mp3scan.parse_header(header) is None:
            raise MediaError(
                f"not {_KNOWN} audio (judged by its content, not its name): export the episode"
                " in one of these formats",
                path=path,
            )
        kind = MP3  # a bare MPEG stream with none of the syncs Mutagen scores
    fileobj.seek(0)
    try:
        return kind(fileobj)
    except MutagenError:
        # An MP4 cut short loses its index (moov) at the end: say so, not "not an MP4 file".
        if kind is MP4 and _mp4_cut_short(fileobj, os.fstat(fileobj.fileno()).st_size):
            raise MediaError(f"the file is cut short (truncated): {_REDO}", path=path) from None
        raise


@_media_errors
def probe(path: Path | str) -> MediaInfo:
    """Read size, sha256, duration, format and chapters from the audio file at *path*."""
    path = Path(path)
    with path.open("rb") as fileobj:
        size = os.fstat(fileobj.fileno()).st_size
        audio = _load(path, fileobj)
        mime_type, codec = _FORMATS[type(audio)]
        info: Any = audio.info
        sample_rate = getattr(info, "sample_rate", 48000)  # Opus always decodes at 48 kHz
        if isinstance(audio, MP3):
            measured = mp3scan.measure(fileobj, info.frame_offset, mp3scan.audio_end(fileobj, size))
            duration, bitrate = measured.duration, measured.bitrate
            codec = "mp3" if info.layer == 3 else f"mp{info.layer}"
        else:
            duration = float(info.length)
            _check_complete(path, audio, fileobj, size)
            if isinstance(audio, MP4):
                codec = (
                    "aac" if info.codec.startswith("mp4a.40.") else _MP4_CODECS.get(info.codec, info.codec)
                )
            bitrate = info.bitrate or (round(size * 8 / duration) if duration > 0 else 0)
        if duration <= 0:
            raise MediaError(f"the file holds no audio (duration 0): {_REDO}", path=path)
        fileobj.seek(0)
        digest = hashlib.file_digest(fileobj, "sha256").hexdigest()
    return MediaInfo(
        size=size,
        sha256=digest,
        duration=duration,
        mime_type=mime_type,
        bitrate=int(bitrate),
        sample_rate=int(sample_rate),
        channels=int(info.channels),
        codec=codec,
        chapters=_chapters(audio),
    )


def _check_complete(path: Path, audio: FileType, fileobj: IO[bytes], size: int) -> None:
    """Raise MediaError if the container shows the file was cut short."""
    cut = f"the file is cut short (truncated): {_REDO}"
    if isinstance(audio, MP4):
        if _mp4_cut_short(fileobj, size):
            raise MediaError(cut, path=path)
    elif isinstance(audio, OggVorbis | OggOpus):
        serial = getattr(audio.info, "serial", None)
        last = OggPage.find_last(fileobj, serial)
        if last is None or not last.last:  # no end-of-stream page
            raise MediaError(cut, path=path)
    elif isinstance(audio, FLAC):
        info = audio.info
        if not info.total_samples:
            raise MediaError(f"the FLAC header does not give the length: {_REDO}", path=path)
        end = _flac_last_sample(fileobj, size, info)
        if end is None or end < info.total_samples:
            raise MediaError(cut, path=path)


def _mp4_cut_short(fileobj: IO[bytes], size: int) -> bool:
    """Whether the top-level boxes run past the end of the file, as when a copy stopped early."""
    position = 0
    while size - position >= 8:
        fileobj.seek(position)
        head = fileobj.read(16)
        length = struct.unpack(">I", head[:4])[0]
        if length == 1 and len(head) == 16:
            length = struct.unpack(">Q", head[8:16])[0]
        elif length == 0:  # "to the end of the file"
            length = size - position
        if length < 8:
            return False  # not a box boundary: leave the verdict to Mutagen
        position += length
    return position > size


def _flac_last_sample(fileobj: IO[bytes], size: int, info: Any) -> int | None:
    """Return the sample after the last FLAC frame whose header is at the end of the file."""
    tail_start = max(0, size - (1 << 18))
    fileobj.seek(tail_start)
    tail = fileobj.read()
    at = len(tail)
    while (at := max(tail.rfind(b"\xff\xf8", 0, at), tail.rfind(b"\xff\xf9", 0, at))) >= 0:
        header = _flac_frame_header(tail[at : at + 16], info)
        if header is not None:
            number, block = header
            first = number if tail[at + 1] == 0xF9 else number * info.max_blocksize
            return first + block
    return None


def _flac_frame_header(data: bytes, info: Any) -> tuple[int, int] | None:
    """Return (frame or sample number, block size) if *data* starts a frame of this stream."""
    if len(data) < 6 or data[3] & 1:
        return None
    channel_code, depth_code = data[3] >> 4, (data[3] >> 1) & 7
    channels = channel_code + 1 if channel_code < 8 else 2
    depths = {1: 8, 2: 12, 4: 16, 5: 20, 6: 24, 7: 32}
    if (
        channel_code > 10
        or channels != info.channels
        or depths.get(depth_code, info.bits_per_sample) != info.bits_per_sample
    ):
        return None
    first, extra, mask = data[4], 0, 0x40
    if first & 0x80:  # UTF-8-style: as many continuation bytes as high bits after the first
        while first & mask:
            extra, mask = extra + 1, mask >> 1
        if extra == 0 or extra > 6:
            return None
    number = first & (mask - 1) if extra else first
    at = 5
    for byte in data[at : at + extra]:
        if byte & 0xC0 != 0x80:
            return None
        number = (number << 6) | (byte & 0x3F)
    at += extra
    size_code, rate_code = data[2] >> 4, data[2] & 0x0F
    if size_code == 0 or rate_code == 15:
        return None
    if size_code == 6:
        block, at = data[at] + 1, at + 1
    elif size_code == 7:
        block, at = int.from_bytes(data[at : at + 2], "big") + 1, at + 2
    elif size_code == 1:
        block = 192
    else:
        block = 576 << (size_code - 2) if size_code < 6 else 256 << (size_code - 8)
    at += {12: 1, 13: 2, 14: 2}.get(rate_code, 0)
    if at >= len(data) or _crc8(data[:at]) != data[at]:
        return None
    return number, block


@functools.cache
def _crc8_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
        table.append(crc)
    return tuple(table)


def _crc8(data: bytes) -> int:
    table, crc = _crc8_table(), 0
    for byte in data:
        crc = table[crc ^ byte]
    return crc


def _chapters(audio: FileType) -> tuple[Chapter, ...]:
    """Chapters from ID3 CHAP frames (in CTOC order when there is one) or MP4 chapters."""
    if isinstance(audio, MP4):
        marks = list(getattr(audio, "chapters", None) or ())
        if not marks:
            return ()
        length = float(getattr(audio.info, "length", 0.0))
        return tuple(
            Chapter(start=float(mark.start), title=mark.title, end=nxt.start if nxt else length)
            for mark, nxt in zip(marks, [*marks[1:], None], strict=True)
        )
    tags = audio.tags
    if isinstance(audio, OggVorbis | OggOpus | FLAC) and tags is not None:
        return _vorbis_chapters(tags.as_dict(), float(getattr(audio.info, "length", 0.0)))
    if not isinstance(tags, ID3):
        return ()
    frames = {frame.element_id: frame for frame in tags.getall("CHAP")}
    if not frames:
        return ()
    tocs = tags.getall("CTOC")
    top = next((toc for toc in tocs if toc.flags & 2), tocs[0] if tocs else None)  # 2: top level
    listed = [element for element in (top.child_element_ids if top else ()) if element in frames]
    rest = sorted((frame for key, frame in frames.items() if key not in listed), key=lambda f: f.start_time)
    ordered = [frames[element] for element in listed] + rest
    return tuple(_chapter(frame) for frame in ordered)


def _chapter(frame: Any) -> Chapter:
    titles = frame.sub_frames.getall("TIT2")
    links = frame.sub_frames.getall("WXXX")
    return Chapter(
        start=frame.start_time / 1000,
        title=str(titles[0].text[0]) if titles and titles[0].text else frame.element_id,
        end=frame.end_time / 1000 if frame.end_time > frame.start_time else None,
        url=links[0].url if links else None,
    )


@_media_errors
def read_tags(path: Path | str) -> Tags:
    """Read title, artist, album, date, comment, track and disc from the file's tags."""
    path = Path(path)
    with path.open("rb") as fileobj:
        audio = _load(path, fileobj)
    tags = audio.tags
    if tags is None:
        return Tags()
    if isinstance(tags, ID3):
        text = {key: _first(tags.getall(frame)) for key, frame in _ID3_FRAMES.items()}
        comments = tags.getall("COMM")
        plain = [c for c in comments if not c.desc] or comments  # iTunes hides data in described ones
        text["comment"] = _first(plain)
    elif isinstance(audio, MP4):
        text = {key: _first_value(tags.get(atom)) for key, atom in _MP4_ATOMS.items()}
    else:  # Vorbis comments (Ogg and FLAC)
        text = {key: _first_value(tags.get(key)) for key in ("title", "artist", "album", "date")}
        text["comment"] = _first_value(tags.get("comment") or tags.get("description"))
        text["track"] = _first_value(tags.get("tracknumber"))
        text["disc"] = _first_value(tags.get("discnumber"))
    return Tags(
        title=text.get("title"),
        artist=text.get("artist"),
        album=text.get("album"),
        date=text.get("date"),
        comment=text.get("comment"),
        track=_number(text.get("track")),
        disc=_number(text.get("disc")),
    )


_ID3_FRAMES = {
    "title": "TIT2",
    "artist": "TPE1",
    "album": "TALB",
    "date": "TDRC",
    "track": "TRCK",
    "disc": "TPOS",
}
_MP4_ATOMS = {
    "title": "\xa9nam",
    "artist": "\xa9ART",
    "album": "\xa9alb",
    "date": "\xa9day",
    "comment": "\xa9cmt",
    "track": "trkn",
    "disc": "disk",
}


def _first(frames: list[Any]) -> str | None:
    for frame in frames:
        for value in frame.text:
            if str(value).strip():
                return str(value).strip()
    return None


def _first_value(values: Any) -> str | None:
    for value in values or ():
        if isinstance(value, tuple):  # MP4 (number, total)
            return str(value[0]) if value[0] else None
        if str(value).strip():
            return str(value).strip()
    return None


def _number(text: str | None) -> int | None:
    """Read "3" or "3/12" as 3."""
    head = (text or "").split("/")[0].strip()
    return int(head) if head.isdigit() and int(head) > 0 else None


@_media_errors
def read_artwork(path: Path | str) -> Artwork | None:
    """Return the embedded cover (front cover first), or None when there is none."""
    path = Path(path)
    with path.open("rb") as fileobj:
        audio = _load(path, fileobj)
    pictures: list[tuple[int, str, bytes]] = []  # (not a front cover, declared MIME type, data)
    if isinstance(audio.tags, ID3):
        pictures = [(frame.type != 3, frame.mime, frame.data) for frame in audio.tags.getall("APIC")]
    elif isinstance(audio, MP4) and audio.tags is not None:
        pictures = [
            (False, "image/png" if cover.imageformat == MP4Cover.FORMAT_PNG else "image/jpeg", bytes(cover))
            for cover in audio.tags.get("covr", [])
        ]
    elif isinstance(audio, FLAC):
        pictures = [(picture.type != 3, picture.mime, picture.data) for picture in audio.pictures]
    elif audio.tags is not None:  # Ogg: base64 FLAC picture blocks in a comment
        for encoded in audio.tags.get("metadata_block_picture", []):
            try:
                block = base64.b64decode(encoded, validate=True)
            except ValueError as exc:
                raise MediaError(
                    f"the embedded cover is damaged ({exc}): remove or replace it", path=path
                ) from exc
            picture = Picture(block)
            pictures.append((picture.type != 3, picture.mime, picture.data))
    pictures = [picture for picture in pictures if picture[2]]
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


_VORBIS_CHAPTER = re.compile(r"chapter(\d{1,3})")
_CHAPTER_TIME = re.compile(r"(\d+):([0-5]\d):([0-5]\d(?:\.\d+)?)")


def _vorbis_chapters(comments: dict[str, list[str]], length: float) -> tuple[Chapter, ...]:
    """Chapters from Vorbis comments as players write them: CHAPTER001=00:01:30.000, CHAPTER001NAME=…"""
    marks = []
    for key, values in comments.items():
        number = _VORBIS_CHAPTER.fullmatch(key)
        time = _CHAPTER_TIME.fullmatch(values[0].strip()) if number and values else None
        if number is None or time is None:
            continue
        hours, minutes, seconds = time.groups()
        start = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
        names = comments.get(f"{key}name") or [key]
        urls = comments.get(f"{key}url")
        marks.append((start, int(number.group(1)), names[0], urls[0] if urls else None))
    marks.sort()
    ends = [mark[0] for mark in marks[1:]] + [length] if marks else []
    return tuple(
        Chapter(start=start, title=title, end=end, url=url)
        for (start, _, title, url), end in zip(marks, ends, strict=True)
    )


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
    the show, the disc the season and the track the episode number. Chapter ends not
    given run to the next chapter, the last one to the end of the audio. Mutagen cannot
    write MP4 chapters, so an M4A file keeps the chapters it has.

    The tags are written into a copy that then replaces the file, so a failure leaves the
    old file whole. Writing tags changes the file's size and checksum: probe it again.
    """
    path = Path(path)
    with path.open("rb") as fileobj:
        kind = type(_load(path, fileobj))
    if chapters and kind is not MP4:
        nexts = [chapter.start for chapter in chapters[1:]] + [probe(path).duration]
        chapters = [
            replace(chapter, end=chapter.end or after) for chapter, after in zip(chapters, nexts, strict=True)
        ]
    fields = _TagFields(title, show, artist or show, season, episode, date, artwork, chapters, comment)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        shutil.copyfile(path, temporary)
        audio = kind(temporary)
        if isinstance(audio, MP3):
            _write_id3(audio, fields)
            audio.save(v2_version=4)
        else:
            if audio.tags is None:
                audio.add_tags()
            if isinstance(audio, MP4):
                _write_mp4(audio, fields)
            else:
                _write_vorbis(audio, fields)
            audio.save()
        if filecmp.cmp(temporary, path, shallow=False):
            return  # already these tags: leave the file (and its modification time) alone
        with open(temporary, "rb+") as written:
            os.fsync(written.fileno())
        os.chmod(temporary, os.stat(path).st_mode & 0o7777)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


@dataclass(frozen=True)
class _TagFields:
    title: str | None
    album: str | None
    artist: str | None
    season: int | None
    episode: int | None
    date: datetime | None
    artwork: Artwork | None
    chapters: Sequence[Chapter] | None
    comment: str | None

    @property
    def day(self) -> str | None:
        # The day of release as the producer wrote it; players show the year, some the day.
        return self.date.date().isoformat() if self.date else None


def _write_id3(audio: MP3, fields: _TagFields) -> None:
    if audio.tags is None:
        audio.add_tags()
    tags = audio.tags
    assert isinstance(tags, ID3)  # what an MP3 file's tags always are in Mutagen
    texts = {
        TIT2: fields.title,
        TALB: fields.album,
        TPE1: fields.artist,
        TRCK: None if fields.episode is None else str(fields.episode),
        TPOS: None if fields.season is None else str(fields.season),
        TDRC: fields.day,
    }
    for frame, value in texts.items():
        if value is not None:
            tags.setall(frame.__name__, [frame(encoding=3, text=[value])])
    if fields.album is not None:
        tags.setall("TCON", [TCON(encoding=3, text=["Podcast"])])
    if fields.comment is not None:
        tags.setall("COMM", [COMM(encoding=3, lang="und", desc="", text=[fields.comment])])
    if fields.artwork is not None:
        cover = APIC(encoding=3, mime=fields.artwork.mime_type, type=3, desc="", data=fields.artwork.data)
        tags.setall("APIC", [cover])
    if fields.chapters is not None:
        tags.delall("CHAP")
        tags.delall("CTOC")
        ids = [f"chp{index}" for index in range(len(fields.chapters))]
        for element_id, chapter in zip(ids, fields.chapters, strict=True):
            sub_frames: list[Any] = [TIT2(encoding=3, text=[chapter.title])]
            if chapter.url:
                sub_frames.append(WXXX(encoding=3, desc="", url=chapter.url))
            tags.add(
                CHAP(
                    element_id=element_id,
                    start_time=round(chapter.start * 1000),
                    end_time=round((chapter.end or chapter.start) * 1000),
                    sub_frames=sub_frames,
                )
            )
        if ids:
            tags.add(
                CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED, child_element_ids=ids)
            )


def _write_mp4(audio: MP4, fields: _TagFields) -> None:
    tags: Any = audio.tags
    texts = {
        "\xa9nam": fields.title,
        "\xa9alb": fields.album,
        "\xa9ART": fields.artist,
        "\xa9day": fields.day,
        "\xa9cmt": fields.comment,
        "\xa9gen": None if fields.album is None else "Podcast",
    }
    for atom, value in texts.items():
        if value is not None:
            tags[atom] = [value]
    if fields.episode is not None:
        tags["trkn"] = [(fields.episode, 0)]
    if fields.season is not None:
        tags["disk"] = [(fields.season, 0)]
    if fields.artwork is not None:
        kind = MP4Cover.FORMAT_PNG if fields.artwork.mime_type == "image/png" else MP4Cover.FORMAT_JPEG
        tags["covr"] = [MP4Cover(fields.artwork.data, imageformat=kind)]


def _write_vorbis(audio: FileType, fields: _TagFields) -> None:
    tags: Any = audio.tags
    texts = {
        "title": fields.title,
        "album": fields.album,
        "artist": fields.artist,
        "date": fields.day,
        "comment": fields.comment,
        "genre": None if fields.album is None else "Podcast",
        "tracknumber": None if fields.episode is None else str(fields.episode),
        "discnumber": None if fields.season is None else str(fields.season),
    }
    for key, value in texts.items():
        if value is not None:
            tags[key] = [value]
    if fields.artwork is not None:
        picture = Picture()
        picture.type = 3  # front cover
        picture.mime = fields.artwork.mime_type
        picture.data = fields.artwork.data
        if isinstance(audio, FLAC):
            audio.clear_pictures()
            audio.add_picture(picture)
        else:
            tags["metadata_block_picture"] = [base64.b64encode(picture.write()).decode("ascii")]
    if fields.chapters is not None:
        for key in {key.lower() for key in tags.keys()}:  # noqa: SIM118 - VComment lists pairs
            if _VORBIS_CHAPTER.match(key):
                del tags[key]
        for number, chapter in enumerate(fields.chapters, start=1):
            key = f"chapter{number:03d}"
            tags[key] = [_clock(chapter.start)]
            tags[f"{key}name"] = [chapter.title]
            if chapter.url:
                tags[f"{key}url"] = [chapter.url]


def _clock(seconds: float) -> str:
    milliseconds = round(seconds * 1000)
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"
