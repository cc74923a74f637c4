"""MP4/M4A audio (AAC, ALAC): facts, chapters and tags.

The container stores the exact length. For the common case (one AAC LC track,
no chapters) the few boxes that hold the facts are read here, as Mutagen reads
them, at a fraction of the cost of Mutagen parsing the whole box tree and the
tags; anything else is Mutagen's. An MP4 file cut short loses its index (the
``moov`` box) when that comes last, so a failure to parse is checked against
the top-level boxes to say "cut short" rather than "not an MP4 file" (an
``EOFError``, as :mod:`gzip` raises for a stream cut short). Mutagen cannot
write MP4 chapters: a file keeps the ones it has.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from mutagen import MutagenError
from mutagen.mp4 import MP4, MP4Cover

from podcaster.models import Artwork, Chapter, MediaInfo, Tags

__all__ = ["Mp4Format"]

_CODECS = {"alac": "alac", "mp4a.69": "mp3", "mp4a.6B": "mp3", "ac-3": "ac3"}
_BOX = struct.Struct(">I4s")  # a box's length and type
_FREQUENCIES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350)
_ATOMS = {
    "title": "\xa9nam",
    "artist": "\xa9ART",
    "album": "\xa9alb",
    "date": "\xa9day",
    "comment": "\xa9cmt",
    "track": "trkn",
    "disc": "disk",
}


class Mp4Format:
    """The MPEG-4 container with one audio track."""

    mime_type = "audio/mp4"
    writes_chapters = False

    @staticmethod
    def score(header: bytes) -> float:
        """Mutagen's score without the name."""
        return (b"ftyp" in header) + (b"mp4" in header)

    @classmethod
    def probe(cls, fileobj: BinaryIO, size: int, sha256: str) -> MediaInfo:
        boxes = _top_level(fileobj, size)
        chapters: tuple[Chapter, ...] = ()
        try:
            facts = _aac_facts(fileobj, boxes)
        except _Unusual:
            # Anything but one plain AAC track without chapters: Mutagen reads it all.
            audio = cls.load(fileobj)
            info: Any = audio.info
            codec = "aac" if info.codec.startswith("mp4a.40.") else _CODECS.get(info.codec, info.codec)
            facts = _Facts(float(info.length), info.bitrate, info.sample_rate, info.channels, codec)
            chapters = _chapters(audio, facts.duration)
        duration = facts.duration
        return MediaInfo(
            size=size,
            sha256=sha256,
            duration=duration,
            mime_type="audio/mp4",
            bitrate=int(facts.bitrate or (round(size * 8 / duration) if duration > 0 else 0)),
            sample_rate=int(facts.sample_rate),
            channels=int(facts.channels),
            codec=facts.codec,
            chapters=chapters,
        )

    @staticmethod
    def load(fileobj: BinaryIO) -> MP4:
        try:
            return MP4(fileobj)
        except MutagenError:
            # The index (moov) of a file cut short is lost: say so, not "not an MP4 file".
            fileobj.seek(0, 2)
            if _cut_short(fileobj, fileobj.tell()):
                raise EOFError("the top-level boxes run past the end of the file") from None
            raise

    @staticmethod
    def texts(audio: Any) -> dict[str, str | None]:
        tags = audio.tags
        return {} if tags is None else {key: _first_value(tags.get(atom)) for key, atom in _ATOMS.items()}

    @staticmethod
    def pictures(audio: Any) -> list[tuple[bool, str, bytes]]:
        if audio.tags is None:
            return []
        return [
            (False, "image/png" if cover.imageformat == MP4Cover.FORMAT_PNG else "image/jpeg", bytes(cover))
            for cover in audio.tags.get("covr", [])
        ]

    @staticmethod
    def write(path: Path, tags: Tags, artwork: Artwork | None, chapters: Sequence[Chapter] | None) -> None:
        audio = MP4(path)
        if audio.tags is None:
            audio.add_tags()
        atoms: Any = audio.tags
        texts = {
            "\xa9nam": tags.title,
            "\xa9alb": tags.album,
            "\xa9ART": tags.artist,
            "\xa9day": tags.date,
            "\xa9cmt": tags.comment,
            "\xa9gen": None if tags.album is None else "Podcast",
        }
        for atom, value in texts.items():
            if value is not None:
                atoms[atom] = [value]
        if tags.track is not None:
            atoms["trkn"] = [(tags.track, 0)]
        if tags.disc is not None:
            atoms["disk"] = [(tags.disc, 0)]
        if artwork is not None:
            kind = MP4Cover.FORMAT_PNG if artwork.mime_type == "image/png" else MP4Cover.FORMAT_JPEG
            atoms["covr"] = [MP4Cover(artwork.data, imageformat=kind)]
        audio.save()


def _top_level(fileobj: BinaryIO, size: int) -> list[tuple[bytes, int, int]]:
    """The top-level boxes as (type, start, end); EOFError if they run past the end of the file.

    An empty list when the file is not a sequence of boxes: Mutagen has the last word then.
    """
    boxes = []
    position = 0
    while size - position >= 8:
        fileobj.seek(position)
        head = fileobj.read(16)
        length, kind = struct.unpack(">I4s", head[:8])
        if length == 1 and len(head) == 16:
            length = struct.unpack(">Q", head[8:16])[0]
        elif length == 0:  # "to the end of the file"
            length = size - position
        if length < 8:
            return []
        boxes.append((kind, position, position + length))
        position += length
    if position > size:
        raise EOFError("the top-level boxes run past the end of the file")
    return boxes


def _cut_short(fileobj: BinaryIO, size: int) -> bool:
    """Whether the top-level boxes run past the end of the file, as when a copy stopped early."""
    try:
        _top_level(fileobj, size)
    except EOFError:
        return True
    return False


class _Unusual(Exception):
    """Not the plain case :func:`_aac_facts` reads."""


class _Facts(NamedTuple):
    duration: float
    bitrate: int
    sample_rate: int
    channels: int
    codec: str


def _aac_facts(fileobj: BinaryIO, boxes: list[tuple[bytes, int, int]]) -> _Facts:
    """The facts of a file whose sound track is plain AAC, read as Mutagen reads them, at a fraction of the cost.

    Raises _Unusual for anything else (another codec, chapters, explicit SBR/PS
    signalling, a channel layout in a program config element, a box out of place).
    """
    start, end = next(((start, end) for kind, start, end in boxes if kind == b"moov"), (0, 0))
    if not end:
        raise _Unusual
    fileobj.seek(start)
    moov = fileobj.read(end - start)
    _, body, end = next(_boxes(moov, 0, len(moov)))
    movie = _children(moov, body, end)
    if b"udta" in movie and b"chpl" in _children(moov, *movie[b"udta"]):
        raise _Unusual  # chapters: Mutagen reads them
    for kind, trak_start, trak_end in _boxes(moov, body, end):
        if kind != b"trak":
            continue
        mdia = _children(moov, *_children(moov, trak_start, trak_end).get(b"mdia", (0, 0)))
        if b"hdlr" not in mdia:
            raise _Unusual
        handler = mdia[b"hdlr"][0]
        if moov[handler + 8 : handler + 12] == b"soun":
            break
    else:
        raise _Unusual  # no sound track: Mutagen falls back to the movie's length
    stbl = _children(moov, *mdia.get(b"minf", (0, 0))).get(b"stbl", (0, 0))
    stsd = next(((body, stop) for kind, body, stop in _boxes(moov, *stbl) if kind == b"stsd"), None)
    mdhd = mdia.get(b"mdhd")
    if mdhd is None or stsd is None:
        raise _Unusual
    version = moov[mdhd[0]]
    if version == 0:
        unit, length = struct.unpack_from(">2I", moov, mdhd[0] + 12)
    elif version == 1:
        unit, length = struct.unpack_from(">IQ", moov, mdhd[0] + 20)
    else:
        raise _Unusual
    channels, sample_rate, bitrate = _sample_entry(moov, *stsd)
    return _Facts(length / unit if unit else 0.0, bitrate, sample_rate, channels, "aac")


def _sample_entry(data: bytes, start: int, end: int) -> tuple[int, int, int]:
    """(channels, sample rate, bitrate) from an stsd box whose first entry is AAC LC."""
    if end - start < 8 or data[start] != 0 or struct.unpack_from(">I", data, start + 4)[0] == 0:
        raise _Unusual
    entry = next(_boxes(data, start + 8, end), None)
    if entry is None or entry[0] != b"mp4a" or entry[2] - entry[1] < 28:
        raise _Unusual
    channels, _, _, _, rate = struct.unpack_from(">HHHHI", data, entry[1] + 16)
    esds = next(_boxes(data, entry[1] + 28, entry[2]), None)
    if esds is None or esds[0] != b"esds" or data[esds[1]] != 0:
        raise _Unusual
    at, stop = esds[1] + 4, esds[2]
    if data[at : at + 1] != b"\x03":  # ES_Descriptor
        raise _Unusual
    _, at = _descriptor_length(data, at + 1)
    flags = data[at + 2] if at + 2 < stop else 0
    at += 3
    if flags & 0x80:  # depends on another stream
        at += 2
    if flags & 0x40:  # a URL
        at += 1 + data[at]
    if flags & 0x20:  # an OCR stream
        at += 2
    if data[at : at + 1] != b"\x04":  # DecoderConfigDescriptor
        raise _Unusual
    length, at = _descriptor_length(data, at + 1)
    if length <= 13 or at + 14 > stop or (data[at], data[at + 1] >> 2) != (0x40, 5) or data[at + 13] != 0x05:
        raise _Unusual  # not MPEG-4 audio followed by its AudioSpecificConfig
    (average,) = struct.unpack_from(">I", data, at + 9)
    length, at = _descriptor_length(data, at + 14)
    if at + length > stop:
        raise _Unusual
    config_rate, config_channels = _audio_specific_config(data[at : at + length])
    return config_channels or channels, config_rate or rate >> 16, average


def _audio_specific_config(config: bytes) -> tuple[int, int]:
    """(sample rate, channels) from an AAC LC AudioSpecificConfig, 0 where Mutagen finds them unknown."""
    bits, left = int.from_bytes(config, "big"), 8 * len(config)

    def read(count: int) -> int:
        nonlocal left
        if count > left:
            raise _Unusual
        left -= count
        return (bits >> left) & ((1 << count) - 1)

    def frequency() -> int:
        index = read(4)
        return read(24) if index == 15 else _FREQUENCIES[index] if index < len(_FREQUENCIES) else 0

    if read(5) != 2:  # AAC LC: the others (and explicit SBR/PS) are Mutagen's
        raise _Unusual
    rate, layout = frequency(), read(4)
    read(1)  # frameLengthFlag
    if read(1):  # dependsOnCoreCoder
        read(14)
    if layout == 0 or read(1):  # a program config element, or extensions
        raise _Unusual
    sbr = ps = -1  # not signalled
    if left >= 16 and read(11) == 0x2B7:
        extension = read(5)
        if extension == 31 or extension == 22:
            raise _Unusual
        if extension == 5:
            sbr = read(1)
            if sbr:
                rate = frequency()
                if left >= 12 and read(11) == 0x548:
                    ps = read(1)
    if sbr == -1 and rate <= 24000:
        rate = 0  # it may be half the output rate, with implicit SBR
    if layout == 1:
        channels = 0 if ps == -1 else 2 if ps == 1 else 1
    else:
        channels = 8 if layout == 7 else 0 if layout > 7 else layout
    return rate, channels


def _descriptor_length(data: bytes, at: int) -> tuple[int, int]:
    """An MPEG-4 descriptor's length (up to four bytes of seven bits) and where its body starts."""
    value = 0
    for offset in range(4):
        if at + offset >= len(data):
            raise _Unusual
        byte = data[at + offset]
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, at + offset + 1
    raise _Unusual


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """The boxes between *start* and *end* as (type, body start, end)."""
    while end - start >= 8:
        length, kind = _BOX.unpack_from(data, start)
        body = start + 8
        if length == 1:
            (length,) = struct.unpack_from(">Q", data, body)
            body += 8
        elif length == 0:
            length = end - start
        if length < body - start or start + length > end:
            raise _Unusual
        yield kind, body, start + length
        start += length


def _children(data: bytes, start: int, end: int) -> dict[bytes, tuple[int, int]]:
    """The body (start, end) of the first box of each type between *start* and *end*."""
    found: dict[bytes, tuple[int, int]] = {}
    for kind, body, stop in _boxes(data, start, end):
        found.setdefault(kind, (body, stop))
    return found


def _chapters(audio: Any, length: float) -> tuple[Chapter, ...]:
    marks = list(getattr(audio, "chapters", None) or ())
    if not marks:
        return ()
    return tuple(
        Chapter(start=float(mark.start), title=mark.title, end=nxt.start if nxt else length)
        for mark, nxt in zip(marks, [*marks[1:], None], strict=True)
    )


def _first_value(values: Any) -> str | None:
    for value in values or ():
        if isinstance(value, tuple):  # (number, total)
            return str(value[0]) if value[0] else None
        if str(value).strip():
            return str(value).strip()
    return None
