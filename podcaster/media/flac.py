"""FLAC: facts, chapters and tags (Vorbis comments, as in Ogg, and picture blocks).

STREAMINFO gives the exact length in samples. To probe, the metadata blocks
are walked here and only STREAMINFO (and the comments, when they hold
chapters) parsed; a file laid out otherwise is Mutagen's. A copy cut short is
told by the last frame's header: the sample after that frame falls short of
the total.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from mutagen.flac import FLAC, VCFLACDict

from podcaster.errors import MediaError
from podcaster.media.ogg import comment_chapters, comment_texts, cover_picture, write_chapters, write_texts
from podcaster.models import Artwork, Chapter, MediaInfo, Tags

__all__ = ["FlacFormat"]

_TAIL = 1 << 18  # where the last frame header is looked for when STREAMINFO's frame size does not do
_DEPTHS = {1: 8, 2: 12, 4: 16, 5: 20, 6: 24, 7: 32}


class FlacFormat:
    """Free Lossless Audio Codec, in its native container."""

    mime_type = "audio/flac"
    writes_chapters = True

    @staticmethod
    def score(header: bytes) -> float:
        """Mutagen's score without the name."""
        return header.startswith(b"fLaC")

    @staticmethod
    def probe(fileobj: BinaryIO, size: int, sha256: str) -> MediaInfo:
        try:
            info, comments, syncs = _metadata(fileobj, size)
        except _Unusual:
            # An ID3 tag in front, blocks whose sizes lie, a missing STREAMINFO: Mutagen copes.
            audio = FLAC(fileobj)
            got: Any = audio.info
            info = _StreamInfo(
                got.max_blocksize,
                got.max_framesize,
                got.sample_rate,
                got.channels,
                got.bits_per_sample,
                got.total_samples,
                got.bitrate,
            )
            comments, syncs = audio.tags, (b"\xff\xf8", b"\xff\xf9")
        if not info.total_samples:
            raise MediaError("the FLAC header does not give the length: export or copy the audio again")
        # The last frame starts at most one frame (and a trailing tag) before the end of the file.
        end = None
        if info.max_framesize:
            end = _last_sample(fileobj, size, info, syncs, info.max_framesize + 4096)
        if end is None or end < info.total_samples:
            end = _last_sample(fileobj, size, info, syncs, _TAIL)  # in case the frame size is wrong
        if end is None or end < info.total_samples:
            raise EOFError("the last frame ends before the last sample")
        duration = info.total_samples / float(info.sample_rate)
        return MediaInfo(
            size=size,
            sha256=sha256,
            duration=duration,
            mime_type="audio/flac",
            bitrate=int(info.bitrate or (round(size * 8 / duration) if duration > 0 else 0)),
            sample_rate=int(info.sample_rate),
            channels=int(info.channels),
            codec="flac",
            chapters=() if comments is None else comment_chapters(comments, duration),
        )

    @staticmethod
    def load(fileobj: BinaryIO) -> FLAC:
        return FLAC(fileobj)

    @staticmethod
    def texts(audio: Any) -> dict[str, str | None]:
        return {} if audio.tags is None else comment_texts(audio.tags)

    @staticmethod
    def pictures(audio: Any) -> list[tuple[bool, str, bytes]]:
        return [(picture.type != 3, picture.mime, picture.data) for picture in audio.pictures]

    @staticmethod
    def write(path: Path, tags: Tags, artwork: Artwork | None, chapters: Sequence[Chapter] | None) -> None:
        audio = FLAC(path)
        if audio.tags is None:
            audio.add_tags()
        comments: Any = audio.tags
        write_texts(comments, tags)
        if artwork is not None:
            audio.clear_pictures()
            audio.add_picture(cover_picture(artwork))
        if chapters is not None:
            write_chapters(comments, chapters)
        audio.save()


class _Unusual(Exception):
    """Not the plain layout :func:`_metadata` reads."""


class _StreamInfo(NamedTuple):
    """What STREAMINFO says (the fields Mutagen gives the same names), and the bitrate of the frames."""

    max_blocksize: int
    max_framesize: int
    sample_rate: int
    channels: int
    bits_per_sample: int
    total_samples: int
    bitrate: int


def _metadata(fileobj: BinaryIO, size: int) -> tuple[_StreamInfo, Any, tuple[bytes, ...]]:
    """STREAMINFO, the Vorbis comments (None without chapters) and the stream's frame sync, as Mutagen reads them.

    Only the blocks needed are parsed. Raises _Unusual unless the file starts
    with ``fLaC`` and STREAMINFO, and the first frame starts right after the
    last block (so that no block size lied: Mutagen has ways round that).
    """
    fileobj.seek(0)
    if fileobj.read(4) != b"fLaC":
        raise _Unusual
    info, comments = None, None
    seen: set[int] = set()
    while True:
        header = fileobj.read(4)
        if len(header) < 4:
            raise _Unusual
        code, length = header[0] & 0x7F, int.from_bytes(header[1:], "big")
        first = code not in seen
        seen.add(code)
        if not first and code in (3, 5):  # more than one seek table or cue sheet: Mutagen refuses
            raise _Unusual
        if info is None and code != 0:
            raise _Unusual
        if code == 0 and first:
            info = _stream_info(fileobj.read(length))
        elif code == 4 and first:
            block = fileobj.read(length)
            if b"chapter" in block.lower():  # parsed only for chapters (CHAPTER001=…, in any case)
                comments = VCFLACDict(block)
        else:
            fileobj.seek(length, 1)
        if header[0] & 0x80:  # the last block
            break
    audio_start = fileobj.tell()
    sync = fileobj.read(2)
    if info is None or sync not in (b"\xff\xf8", b"\xff\xf9"):
        raise _Unusual
    seconds = info.total_samples / float(info.sample_rate)
    bitrate = int(float(size - audio_start) * 8 / seconds) if seconds else 0
    return info._replace(bitrate=bitrate), comments, (sync,)


def _stream_info(data: bytes) -> _StreamInfo:
    if len(data) < 18:
        raise _Unusual
    _, max_blocksize, min_max_framesize, packed = struct.unpack(">HH6sQ", data[:18])
    sample_rate = packed >> 44
    if not sample_rate:
        raise _Unusual  # Mutagen says why
    return _StreamInfo(
        max_blocksize=max_blocksize,
        max_framesize=int.from_bytes(min_max_framesize[3:], "big"),
        sample_rate=sample_rate,
        channels=((packed >> 41) & 7) + 1,
        bits_per_sample=((packed >> 36) & 0x1F) + 1,
        total_samples=packed & 0xFFFFFFFFF,
        bitrate=0,
    )


def _last_sample(
    fileobj: BinaryIO, size: int, info: _StreamInfo, syncs: tuple[bytes, ...], window: int
) -> int | None:
    """Return the sample after the last frame whose header is in the file's last *window* bytes.

    A stream's frames are all numbered one way, by frame (sync 0xFFF8) or by
    sample (0xFFF9): *syncs* are the ones to look for.
    """
    fileobj.seek(max(0, size - window))
    tail = fileobj.read()
    found = {sync: tail.rfind(sync) for sync in syncs}
    while (at := max(found.values())) >= 0:
        header = _frame_header(tail[at : at + 16], info)
        if header is not None:
            number, block = header
            return number + block if tail[at + 1] == 0xF9 else number * info.max_blocksize + block
        sync = tail[at : at + 2]
        found[sync] = tail.rfind(sync, 0, at)
    return None


def _frame_header(data: bytes, info: _StreamInfo) -> tuple[int, int] | None:
    """Return (frame or sample number, block size) if *data* starts a frame of this stream."""
    if len(data) < 6 or data[3] & 1:
        return None
    channel_code, depth_code = data[3] >> 4, (data[3] >> 1) & 7
    channels = channel_code + 1 if channel_code < 8 else 2
    if (
        channel_code > 10
        or channels != info.channels
        or _DEPTHS.get(depth_code, info.bits_per_sample) != info.bits_per_sample
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
