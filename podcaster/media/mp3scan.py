"""Measure an MPEG audio stream: its Xing/LAME or VBRI header, or its frame headers.

Mutagen takes an MP3's length from its Xing/VBRI header; without one it
divides the file size by the first frame's bitrate, which for a VBR file that
opens on silence can be off by a factor of three. When the header gives frame
and byte counts (and the bytes are all there) its length is used, less the
encoder delay and padding of a LAME-style tag (FFmpeg's "Lavf" one included,
which Mutagen skips), which is what a decoder outputs. Otherwise every frame
header is walked (a table lookup per frame, on 1 MiB reads: about 15 ms for 35
minutes), so the length is the decoder's again.

The first frame is found as Mutagen finds it (:func:`first_frame`), without
Mutagen's cost of parsing it twice. No Mutagen here: :mod:`podcaster.media.mp3`
reads the ID3 tags with it, and :mod:`podcaster.media.formats` turns
:class:`ScanError` into a ``MediaError`` naming the file.
"""

from __future__ import annotations

import functools
import struct
from typing import BinaryIO, NamedTuple

_CHUNK = 1 << 20
_MAX_FRAME = 4096  # larger than any MPEG-1/2/2.5 layer I-III frame (2881 bytes)
# Where Mutagen gives up looking for the first frame: syncs tried, and bytes searched.
_MAX_SYNCS = 1500
_SYNC_SEARCH = 1 << 20
_QUICK_SEARCH = 1 << 13  # where the first frame nearly always is
_RUN = 4  # frames in a row that make a stream; two will do if no run of four is found

# Kbit/s by (MPEG-1?, layer), indexed by the header's 4-bit bitrate field.
_BITRATES = {
    (True, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
# Hz by the header's 2-bit version field (0: MPEG 2.5, 2: MPEG 2, 3: MPEG 1).
_SAMPLE_RATES = {0: (11025, 12000, 8000), 2: (22050, 24000, 16000), 3: (44100, 48000, 32000)}
# Encoders whose Xing frame carries a LAME-layout tag with delay and padding
# (the ones FFmpeg trusts too).
_LAME_TAGGERS = (b"LAME", b"L3.9", b"Lavf", b"Lavc")
# Where the Xing tag starts in a layer III frame: after the side information, whose size
# depends on the version (MPEG-1?) and the channel count.
_XING_AT = {(True, 2): 36, (True, 1): 21, (False, 2): 21, (False, 1): 13}


class ScanError(ValueError):
    """The bytes are not a usable MPEG audio stream."""


class FrameHeader(NamedTuple):
    """The facts one 4-byte MPEG audio frame header gives."""

    version: int  # the raw 2-bit field: 0 = MPEG 2.5, 2 = MPEG 2, 3 = MPEG 1
    layer: int  # 1, 2 or 3
    sample_rate: int
    channels: int
    length: int  # bytes, header included
    samples: int  # per channel, per frame

    @property
    def mpeg1(self) -> bool:
        return self.version == 3


class VbrHeader(NamedTuple):
    """A Xing/Info or VBRI header in the stream's first frame."""

    kind: str  # "Xing", "Info" or "VBRI"
    frames: int | None  # audio frames after this one, when the header says
    size: int | None = None  # bytes of the whole stream, this frame included, when it says
    encoder: str = ""
    delay: int = 0  # samples the encoder added at the start (LAME tag)
    padding: int = 0  # samples it added at the end


class FrameScan(NamedTuple):
    """What walking the frames found between two offsets."""

    header: FrameHeader  # the first frame's
    frames: int
    audio_bytes: int  # bytes inside whole frames
    skipped_bytes: int  # bytes between frames that were not frames


class Measurement(NamedTuple):
    duration: float  # seconds, as a decoder outputs them
    bitrate: int  # average bits per second of the audio frames
    vbr_header: VbrHeader | None
    scan: FrameScan | None  # None when the header was enough


def parse_header(data: bytes) -> FrameHeader | None:
    """Return the frame header at the start of *data*, or None if it is not one."""
    return _parse_header(data[:4])


@functools.lru_cache(maxsize=1024)
def _parse_header(data: bytes) -> FrameHeader | None:
    # Cached: a stream repeats a handful of headers, and probing parses each a few times.
    if len(data) < 4 or data[0] != 0xFF or data[1] & 0xE0 != 0xE0:
        return None
    version, layer_bits = (data[1] >> 3) & 3, (data[1] >> 1) & 3
    bitrate_index, rate_index = data[2] >> 4, (data[2] >> 2) & 3
    if version == 1 or layer_bits == 0 or rate_index == 3 or bitrate_index in (0, 15):
        return None
    layer = 4 - layer_bits
    sample_rate = _SAMPLE_RATES[version][rate_index]
    samples = _samples_per_frame(version, layer)
    length = _frame_length(version, layer, _BITRATES[version == 3, layer][bitrate_index] * 1000, sample_rate)
    length += ((data[2] >> 1) & 1) * (4 if layer == 1 else 1)
    channels = 1 if data[3] >> 6 == 3 else 2
    return FrameHeader(version, layer, sample_rate, channels, length, samples)


def _samples_per_frame(version: int, layer: int) -> int:
    if layer == 1:
        return 384
    return 576 if layer == 3 and version != 3 else 1152


def _frame_length(version: int, layer: int, bitrate: int, sample_rate: int) -> int:
    """Bytes in a frame without its padding slot."""
    if layer == 1:
        return (12 * bitrate // sample_rate) * 4
    return _samples_per_frame(version, layer) // 8 * bitrate // sample_rate


@functools.lru_cache(maxsize=32)
def _length_table(b1: int, rate_index: int) -> tuple[int, ...]:
    """Frame length by the header's 2nd and 3rd bytes, 0 where not this stream's.

    Only frames of the first frame's version, layer and sample rate count (the
    CRC bit may vary): that rules out most false syncs inside garbage.
    """
    table = [0] * 65536
    for second in (b1 & 0xFE, b1 | 0x01):
        for third in range(256):
            if (third >> 2) & 3 != rate_index:
                continue
            header = parse_header(bytes((0xFF, second, third, 0)))
            if header is not None:
                table[(second << 8) | third] = header.length
    return tuple(table)


def first_frame(fileobj: BinaryIO, start: int, end: int) -> int:
    """Return the offset of the stream's first frame, searching from *start*.

    As Mutagen finds it: the first sync that starts four frames in a row, or the
    first frame in such a run that carries a Xing/Info or VBRI header; failing
    that, the first sync that starts two frames in a row. The first frame is
    nearly always at *start*: a few KiB are read first, the whole MiB only if
    they do not settle it.
    """
    for search in (_QUICK_SEARCH, _SYNC_SEARCH):
        fileobj.seek(start)
        window = fileobj.read(min(end - start, search + _RUN * _MAX_FRAME))
        searched = min(len(window), search)
        found, fallback, settled = _find_run(window, searched)
        if found is not None:
            return start + found
        if settled or len(window) < search + _RUN * _MAX_FRAME:  # or nothing more to read
            break
    if fallback is None:
        raise ScanError(f"no two MPEG audio frames in a row in the {searched} bytes from byte {start}")
    return start + fallback


def _find_run(window: bytes, search: int) -> tuple[int | None, int | None, bool]:
    """(the first_frame() in *window*'s first *search* bytes, the first sync of two frames, whether it gave up)."""
    fallback = None
    syncs = 0
    at = window.find(b"\xff", 0, search)
    while 0 <= at < len(window) - 1:
        if window[at + 1] & 0xE0 == 0xE0:
            syncs += 1
            if syncs >= _MAX_SYNCS:
                return None, fallback, True
            run, position = 0, at
            while run < _RUN and (header := parse_header(window[position : position + 4])) is not None:
                run += 1
                if _has_vbr_header(window, position, header):
                    return position, fallback, True
                position += header.length
            if run == _RUN:
                return at, fallback, True
            if run >= 2 and fallback is None:
                fallback = at
        at = window.find(b"\xff", at + 1, search)
    return None, fallback, False


def read_vbr_header(fileobj: BinaryIO, offset: int) -> VbrHeader | None:
    """Return the Xing/Info or VBRI header in the frame at *offset*, if any."""
    fileobj.seek(offset)
    return _vbr_header(fileobj.read(200))


def _vbr_header(data: bytes) -> VbrHeader | None:
    """Return the Xing/Info or VBRI header in the frame *data* starts with, if any."""
    first = parse_header(data)
    if first is None or first.layer != 3:
        return None
    xing_at = _XING_AT[first.mpeg1, first.channels]
    tag = data[xing_at : xing_at + 4]
    if tag in (b"Xing", b"Info"):
        return _parse_xing(tag.decode("ascii"), data, xing_at + 4)
    if data[36:40] == b"VBRI" and len(data) >= 36 + 18:
        size, frames = struct.unpack(">II", data[46:54])
        return VbrHeader("VBRI", frames, size, encoder="FhG")
    return None


def _has_vbr_header(data: bytes, at: int, header: FrameHeader) -> bool:
    """Whether the frame *header* at *at* in *data* carries what :func:`_vbr_header` reads."""
    if header.layer != 3:
        return False
    xing_at = at + _XING_AT[header.mpeg1, header.channels]
    return data[xing_at : xing_at + 4] in (b"Xing", b"Info") or (
        data[at + 36 : at + 40] == b"VBRI" and len(data) >= at + 36 + 18
    )


def _parse_xing(kind: str, data: bytes, at: int) -> VbrHeader:
    if len(data) < at + 4:
        return VbrHeader(kind, None)
    (flags,) = struct.unpack(">I", data[at : at + 4])
    at += 4
    frames = size = None
    if flags & 1:
        (frames,) = struct.unpack(">I", data[at : at + 4])
        at += 4
    if flags & 2:
        (size,) = struct.unpack(">I", data[at : at + 4])
        at += 4
    at += 100 * bool(flags & 4) + 4 * bool(flags & 8)
    lame = data[at : at + 24]
    if len(lame) < 24 or not lame.startswith(_LAME_TAGGERS):
        return VbrHeader(kind, frames, size)
    encoder = lame[:9].rstrip(b"\x00 U").decode("latin-1")
    delay = (lame[21] << 4) | (lame[22] >> 4)
    padding = ((lame[22] & 0x0F) << 8) | lame[23]
    return VbrHeader(kind, frames, size, encoder, delay, padding)


def audio_end(fileobj: BinaryIO, size: int) -> int:
    """Return where the audio ends: before any ID3v1, APEv2 or Lyrics3v2 tag."""
    end = size
    if end >= 128:
        fileobj.seek(end - 128)
        if fileobj.read(3) == b"TAG":
            end -= 128
    for _ in range(2):  # APE and Lyrics3 can come in either order
        if end >= 32:
            fileobj.seek(end - 32)
            footer = fileobj.read(32)
            if footer.startswith(b"APETAGEX"):
                tag_size, _items, flags = struct.unpack("<III", footer[12:24])
                end -= tag_size + (32 if flags & 0x80000000 else 0)
                continue
        if end >= 15:
            fileobj.seek(end - 15)
            trailer = fileobj.read(15)
            if trailer.endswith(b"LYRICS200") and trailer[:6].isdigit():
                end -= int(trailer[:6]) + 15
                continue
        break
    return max(end, 0)


def scan_frames(fileobj: BinaryIO, start: int, end: int) -> FrameScan:
    """Walk the frame headers from the frame at *start* up to *end*."""
    fileobj.seek(start)
    head = fileobj.read(4)
    first = parse_header(head)
    if first is None:
        raise ScanError(f"no MPEG audio frame at byte {start}")
    table = _length_table(head[1], (head[2] >> 2) & 3)
    frames = skipped = 0
    pos = start
    while end - pos >= 4:
        fileobj.seek(pos)
        buf = fileobj.read(min(_CHUNK, end - pos))
        if len(buf) < 4:  # the file shrank under us
            break
        limit = len(buf) - 2
        i = count = n = 0
        try:
            # The hot loop: one table lookup per frame, no per-byte work; it ends where
            # a frame does not follow, or (IndexError) where the next header is not all there.
            while buf[i] == 0xFF and (n := table[(buf[i + 1] << 8) | buf[i + 2]]):
                i += n
                count += 1
        except IndexError:
            pass
        frames += count
        pos += i
        if pos > end:  # the last frame is cut short: a decoder drops it too
            frames -= 1
            pos -= n
            skipped += end - pos
            pos = end
            break
        if i < limit:  # not a frame where one should be: find the next one
            found = _resync(fileobj, pos + 1, end, table)
            skipped += (end if found is None else found) - pos
            pos = end if found is None else found
    audio_bytes = pos - start - skipped
    return FrameScan(first, frames, audio_bytes, skipped)


def _resync(fileobj: BinaryIO, pos: int, end: int, table: tuple[int, ...]) -> int | None:
    """Return the next offset where two frames of this stream follow each other."""
    while end - pos >= 4:
        fileobj.seek(pos)
        buf = fileobj.read(min(_CHUNK + _MAX_FRAME, end - pos))
        window = min(_CHUNK, len(buf))
        i = buf.find(b"\xff")
        while 0 <= i < window and i + 2 < len(buf):
            n = table[(buf[i + 1] << 8) | buf[i + 2]]
            if n:
                j = i + n
                if pos + j == end:
                    return pos + i
                if j + 2 < len(buf) and buf[j] == 0xFF and table[(buf[j + 1] << 8) | buf[j + 2]]:
                    return pos + i
            i = buf.find(b"\xff", i + 1)
        if len(buf) <= window:
            return None
        pos += window
    return None


def measure(fileobj: BinaryIO, start: int, end: int) -> Measurement:
    """Measure the stream whose first frame is at *start*: duration and bitrate.

    With a Xing/Info or VBRI header giving frames and bytes, and the bytes all
    there, the duration is its frame count less the LAME tag's encoder delay
    and padding: what a decoder outputs, at no cost. Otherwise every frame
    header is walked; the count is then the decoder's too (with no LAME tag
    it trims nothing).
    """
    vbr = read_vbr_header(fileobj, start)
    if vbr is not None and vbr.frames and vbr.size:
        slack = vbr.size // (vbr.frames + 1)  # one average frame: a last one may be partial
        if end - start < vbr.size - slack:
            raise ScanError(
                f"the {vbr.kind} header counts {vbr.size} bytes of audio but only {end - start} are there:"
                " the file was cut short"
            )
        if end - start <= vbr.size + slack:  # otherwise the header is stale: walk the frames
            fileobj.seek(start)
            first = parse_header(fileobj.read(4))
            if first is None:
                raise ScanError(f"no MPEG audio frame at byte {start}")
            samples = max(vbr.frames * first.samples - vbr.delay - vbr.padding, 0)
            coded = vbr.frames * first.samples / first.sample_rate
            bitrate = round((vbr.size - first.length) * 8 / coded)
            return Measurement(samples / first.sample_rate, bitrate, vbr, None)
    scan = scan_frames(fileobj, start, end)
    first = scan.header
    if scan.frames == 0 or scan.audio_bytes * 2 < end - start:
        raise ScanError(
            f"only {scan.audio_bytes} of {end - start} bytes after the first frame are MPEG audio frames"
        )
    audio_frames = scan.frames
    audio_bytes = scan.audio_bytes
    if vbr is not None:
        audio_frames -= 1  # the header's own frame holds no audio
        audio_bytes -= first.length
    samples = audio_frames * first.samples
    if vbr is not None and vbr.frames:
        # One frame of slack: a decoder may still output a last, partial frame.
        if audio_frames < vbr.frames - 1:
            raise ScanError(
                f"the {vbr.kind} header counts {vbr.frames} frames but only {audio_frames} are there:"
                " the file was cut short"
            )
        if audio_frames <= vbr.frames + 1:  # otherwise the header is stale: trust the scan
            samples = vbr.frames * first.samples - vbr.padding
        samples -= vbr.delay
    samples = max(samples, 0)
    coded = audio_frames * first.samples / first.sample_rate
    bitrate = round(audio_bytes * 8 / coded) if coded else 0
    return Measurement(samples / first.sample_rate, bitrate, vbr, scan)
