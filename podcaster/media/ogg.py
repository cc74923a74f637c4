"""Ogg Vorbis and Ogg Opus: facts, chapters, and the Vorbis comments FLAC shares.

Both are ``audio/ogg``: RFC 7845 registers it for Ogg Opus files
(``audio/opus`` names the bare RTP payload), and podcast apps that play Ogg
know it by that type. The exact length is the granule position of the last
page: Mutagen reads the headers and comments, and the last page is read here,
once, from its header (Mutagen would look for it twice). A whole file ends on
a page with the end-of-stream flag; a copy cut short does not.

Vorbis comments (here and in FLAC) carry chapters as players write them:
``CHAPTER001=00:01:30.000``, ``CHAPTER001NAME=…``, ``CHAPTER001URL=…``.
"""

from __future__ import annotations

import base64
import re
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from mutagen.flac import Picture
from mutagen.ogg import OggFileType, OggPage
from mutagen.ogg import error as OggError
from mutagen.oggopus import OggOpus, OggOpusInfo, OggOpusVComment
from mutagen.oggvorbis import OggVCommentDict, OggVorbis, OggVorbisInfo

from podcaster.errors import MediaError
from podcaster.models import Artwork, Chapter, MediaInfo, Tags

__all__ = [
    "OggOpusFormat",
    "OggVorbisFormat",
    "comment_chapters",
    "comment_texts",
    "cover_picture",
    "write_chapters",
    "write_texts",
]

_MAX_PAGE = 27 + 255 + 255 * 255  # header, segment table, payload
_PAGE = struct.Struct(
    "<4sBBqIIiB"
)  # capture pattern, version, flags, granule, serial, sequence, CRC, segments
_SHORT_PAGE = 8192  # what the last page usually fits in
_CHAPTER = re.compile(r"chapter(\d{1,3})")
_CHAPTER_TIME = re.compile(r"(\d+):([0-5]\d):([0-5]\d(?:\.\d+)?)")


class _Stream(NamedTuple):
    """What the headers of the stream say, as Mutagen reads them."""

    serial: int
    channels: int
    sample_rate: int
    bitrate: int  # the identification header's (Vorbis)
    pre_skip: int  # samples a decoder drops at the start (Opus)
    audio_start: int  # where the pages after the headers begin
    comments: Any  # Mutagen's comments when they may hold chapters, else None


class _Unusual(Exception):
    """Not the plain layout the headers are read in here."""


class _OggFormat:
    kind: type[OggFileType]
    codec: str
    magic: bytes  # how the stream's identification header starts
    bitrate_from_pages = False  # rather than from the identification header
    mime_type = "audio/ogg"
    writes_chapters = True

    def score(self, header: bytes) -> float:
        """Mutagen's score without the name: an Ogg page holding this codec's identification header."""
        return header.startswith(b"OggS") * (self.magic in header)

    def probe(self, fileobj: BinaryIO, size: int, sha256: str) -> MediaInfo:
        try:
            stream = self._headers(fileobj)
        except _Unusual:
            try:
                stream = self._mutagen_headers(fileobj)
            except EOFError:
                raise OggError("no appropriate stream found") from None
        position = _final_position(fileobj, size, stream.serial)
        duration = (position - stream.pre_skip) / float(stream.sample_rate)
        bitrate = stream.bitrate
        if self.bitrate_from_pages and duration:  # as Mutagen has it for Opus
            bitrate = round((size - stream.audio_start) * 8 / duration)
        return MediaInfo(
            size=size,
            sha256=sha256,
            duration=duration,
            mime_type="audio/ogg",
            bitrate=int(bitrate or (round(size * 8 / duration) if duration > 0 else 0)),
            sample_rate=stream.sample_rate,
            channels=stream.channels,
            codec=self.codec,
            chapters=() if stream.comments is None else comment_chapters(stream.comments, duration),
        )

    def load(self, fileobj: BinaryIO) -> OggFileType:
        return self.kind(fileobj)

    def _headers(self, fileobj: BinaryIO) -> _Stream:
        """The headers of a stream laid out plainly: identification and comments each on their own page.

        Raises _Unusual for anything else, and when the comments may hold chapters.
        """
        fileobj.seek(0)
        flags, serial, first = _first_packet(fileobj)
        if not flags & 2 or not first.startswith(self.magic):  # 2: the page starts the stream
            raise _Unusual
        stream = self._identification(serial, first)
        flags, serial, comments = _first_packet(fileobj)
        if flags & 1 or serial != stream.serial or b"chapter" in comments.lower():  # 1: continued
            raise _Unusual
        return stream._replace(audio_start=fileobj.tell())

    def _identification(self, serial: int, packet: bytes) -> _Stream:
        raise NotImplementedError

    def _mutagen_headers(self, fileobj: BinaryIO) -> _Stream:
        raise NotImplementedError

    @staticmethod
    def texts(audio: Any) -> dict[str, str | None]:
        return {} if audio.tags is None else comment_texts(audio.tags)

    @staticmethod
    def pictures(audio: Any) -> list[tuple[bool, str, bytes]]:
        """The covers, as base64 FLAC picture blocks in a comment."""
        pictures = []
        for encoded in [] if audio.tags is None else audio.tags.get("metadata_block_picture", []):
            try:
                block = base64.b64decode(encoded, validate=True)
            except ValueError as exc:
                raise MediaError(f"the embedded cover is damaged ({exc}): remove or replace it") from exc
            picture = Picture(block)
            pictures.append((picture.type != 3, picture.mime, picture.data))
        return pictures

    def write(
        self, path: Path, tags: Tags, artwork: Artwork | None, chapters: Sequence[Chapter] | None
    ) -> None:
        audio = self.kind(path)
        if audio.tags is None:
            audio.add_tags()
        comments: Any = audio.tags
        write_texts(comments, tags)
        if artwork is not None:
            block = cover_picture(artwork).write()
            comments["metadata_block_picture"] = [base64.b64encode(block).decode("ascii")]
        if chapters is not None:
            write_chapters(comments, chapters)
        audio.save()


class OggVorbisFormat(_OggFormat):
    kind = OggVorbis
    codec = "vorbis"
    magic = b"\x01vorbis"

    def _identification(self, serial: int, packet: bytes) -> _Stream:
        if len(packet) < 28:
            raise _Unusual
        channels, rate, highest, nominal, lowest = struct.unpack("<BI3i", packet[11:28])
        if not rate:
            raise _Unusual
        highest, nominal, lowest = max(highest, 0), max(nominal, 0), max(lowest, 0)
        # Mutagen's choice among the three, for when the nominal one is missing or wrong.
        if nominal == 0:
            bitrate = (highest + lowest) // 2
        elif highest and highest < nominal:
            bitrate = highest
        elif lowest > nominal:
            bitrate = lowest
        else:
            bitrate = nominal
        return _Stream(serial, channels, rate, bitrate, 0, 0, None)

    def _mutagen_headers(self, fileobj: BinaryIO) -> _Stream:
        fileobj.seek(0)
        info = OggVorbisInfo(fileobj)
        comments = OggVCommentDict(fileobj, info)
        return _Stream(
            info.serial, info.channels, info.sample_rate, info.bitrate, 0, fileobj.tell(), comments
        )


class OggOpusFormat(_OggFormat):
    kind = OggOpus
    codec = "opus"
    magic = b"OpusHead"
    bitrate_from_pages = True

    def _identification(self, serial: int, packet: bytes) -> _Stream:
        if len(packet) < 19 or packet[8] >> 4:  # too short, or a version this reading does not know
            raise _Unusual
        channels, pre_skip = struct.unpack("<BH", packet[9:12])
        return _Stream(serial, channels, 48000, 0, pre_skip, 0, None)  # Opus always decodes at 48 kHz

    def _mutagen_headers(self, fileobj: BinaryIO) -> _Stream:
        fileobj.seek(0)
        info: Any = OggOpusInfo(fileobj)
        comments = OggOpusVComment(fileobj, info)
        audio_start = fileobj.tell()
        fileobj.seek(0)  # Mutagen keeps the pre-skip to itself
        page = OggPage(fileobj)
        while not page.packets[0].startswith(b"OpusHead"):
            page = OggPage(fileobj)
        (pre_skip,) = struct.unpack("<H", page.packets[0][10:12])
        return _Stream(info.serial, info.channels, 48000, 0, pre_skip, audio_start, comments)


def _first_packet(fileobj: BinaryIO) -> tuple[int, int, bytes]:
    """(flags, serial, first packet) of the page at the file's position, left after the page.

    Raises _Unusual unless the page is whole and its first packet ends on it.
    """
    header = fileobj.read(27)
    if len(header) < 27:
        raise _Unusual
    capture, version, flags, _, serial, _, _, segments = _PAGE.unpack(header)
    lacing = fileobj.read(segments)
    payload = fileobj.read(sum(lacing))
    if capture != b"OggS" or version or len(lacing) < segments or len(payload) < sum(lacing):
        raise _Unusual
    # A packet's lacing values are 255 but for its last one.
    end = next((index for index, value in enumerate(lacing) if value < 255), None)
    if end is None:
        raise _Unusual
    return flags, serial, payload[: sum(lacing[: end + 1])]


def _final_position(fileobj: BinaryIO, size: int, serial: int) -> int:
    """The granule position that ends the stream *serial*; EOFError if its end-of-stream page is missing.

    The page that ends the file is read from its header alone; anything else
    is left to Mutagen's search, which reads the whole file when streams are
    interleaved.
    """
    page = _last_page(fileobj, size, _SHORT_PAGE) if size > _SHORT_PAGE else None
    if page is None:
        page = _last_page(fileobj, size, _MAX_PAGE)
    if page is not None:
        flags, position, page_serial = page
        if page_serial == serial and flags & 4 and position != -1:  # 4: end of stream
            return position
    finishing = OggPage.find_last(fileobj, serial, finishing=True)
    if finishing is None:
        raise OggError("no page of the stream ends a packet")
    last = OggPage.find_last(fileobj, serial)
    if last is None or not last.last:
        raise EOFError("no end-of-stream page")
    return finishing.position


def _last_page(fileobj: BinaryIO, size: int, window: int) -> tuple[int, int, int] | None:
    """(flags, granule position, serial) of the page that ends the file, if it starts in the last *window* bytes."""
    fileobj.seek(max(0, size - window))
    tail = fileobj.read()
    at = tail.rfind(b"OggS")
    while at >= 0:
        header = tail[at : at + 27]
        if len(header) == 27 and header[4] == 0:  # 0: the only version
            flags, position, serial, _, _, segments = struct.unpack("<BqIIIB", header[5:])
            if at + 27 + segments + sum(tail[at + 27 : at + 27 + segments]) == len(tail):
                return flags, position, serial
        at = tail.rfind(b"OggS", 0, at)
    return None


def comment_texts(tags: Any) -> dict[str, str | None]:
    """Title, artist, album, date, comment, track and disc from Vorbis comments."""
    text = {key: _first_value(tags.get(key)) for key in ("title", "artist", "album", "date")}
    text["comment"] = _first_value(tags.get("comment") or tags.get("description"))
    text["track"] = _first_value(tags.get("tracknumber"))
    text["disc"] = _first_value(tags.get("discnumber"))
    return text


def comment_chapters(tags: Any, length: float) -> tuple[Chapter, ...]:
    """Chapters from Vorbis comments as players write them: CHAPTER001=00:01:30.000, CHAPTER001NAME=…"""
    if not any(key[:7].lower() == "chapter" for key, _ in tags):
        return ()
    comments: dict[str, list[str]] = tags.as_dict()
    marks = []
    for key, values in comments.items():
        number = _CHAPTER.fullmatch(key)
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


def write_texts(comments: Any, tags: Tags) -> None:
    """Write the text fields given (not None) into Vorbis comments."""
    texts = {
        "title": tags.title,
        "album": tags.album,
        "artist": tags.artist,
        "date": tags.date,
        "comment": tags.comment,
        "genre": None if tags.album is None else "Podcast",
        "tracknumber": None if tags.track is None else str(tags.track),
        "discnumber": None if tags.disc is None else str(tags.disc),
    }
    for key, value in texts.items():
        if value is not None:
            comments[key] = [value]


def write_chapters(comments: Any, chapters: Sequence[Chapter]) -> None:
    """Replace the chapters in Vorbis comments."""
    for key in {key.lower() for key in comments.keys()}:  # noqa: SIM118 - VComment lists pairs
        if _CHAPTER.match(key):
            del comments[key]
    for number, chapter in enumerate(chapters, start=1):
        key = f"chapter{number:03d}"
        comments[key] = [_clock(chapter.start)]
        comments[f"{key}name"] = [chapter.title]
        if chapter.url:
            comments[f"{key}url"] = [chapter.url]


def cover_picture(artwork: Artwork) -> Picture:
    """A FLAC picture block holding *artwork* as the front cover."""
    picture = Picture()
    picture.type = 3  # front cover
    picture.mime = artwork.mime_type
    picture.data = artwork.data
    return picture


def _first_value(values: Any) -> str | None:
    for value in values or ():
        if str(value).strip():
            return str(value).strip()
    return None


def _clock(seconds: float) -> str:
    milliseconds = round(seconds * 1000)
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"
