"""MPEG audio (MP3) with ID3v2 tags: facts, chapters and tags.

The length comes from :mod:`podcaster.media.mp3scan` (the Xing/LAME header, or
every frame header), not from Mutagen, which guesses from the first frame when
there is no Xing/VBRI header. Mutagen reads and writes the ID3 tags; to probe,
it parses them only when they hold chapters (a ``CHAP`` frame), which is what
keeps probing close to the cost of hashing the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

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

from podcaster.media import mp3scan
from podcaster.models import Artwork, Chapter, MediaInfo, Tags

__all__ = ["Mp3Format"]

_ID3_FRAMES = {
    "title": "TIT2",
    "artist": "TPE1",
    "album": "TALB",
    "date": "TDRC",
    "track": "TRCK",
    "disc": "TPOS",
}


class Mp3Format:
    """MPEG-1/2/2.5 audio, layers I to III, with or without ID3v2 tags."""

    mime_type = "audio/mpeg"
    writes_chapters = True

    @staticmethod
    def score(header: bytes) -> float:
        """Mutagen's score without the name; a bare frame header of another kind scores less than any match."""
        if header.startswith((b"ID3", b"\xff\xf2", b"\xff\xf3", b"\xff\xfa", b"\xff\xfb")):
            return 2
        return 0 if mp3scan.parse_header(header) is None else 0.5

    @staticmethod
    def probe(fileobj: BinaryIO, size: int, sha256: str) -> MediaInfo:
        start, has_chapters = _skip_id3v2(fileobj)
        if start >= size:
            raise mp3scan.ScanError(
                f"the ID3 tag at its start claims {start:,} bytes, more than the whole file ({size:,} bytes)"
            )
        offset = mp3scan.first_frame(fileobj, start, size)
        measured = mp3scan.measure(fileobj, offset, mp3scan.audio_end(fileobj, size))
        fileobj.seek(offset)
        first = mp3scan.parse_header(fileobj.read(4))
        assert first is not None  # first_frame() found a frame there
        chapters: tuple[Chapter, ...] = ()
        if has_chapters:
            fileobj.seek(0)
            chapters = _chapters(ID3(fileobj))
        return MediaInfo(
            size=size,
            sha256=sha256,
            duration=measured.duration,
            mime_type="audio/mpeg",
            bitrate=measured.bitrate,
            sample_rate=first.sample_rate,
            channels=first.channels,
            codec="mp3" if first.layer == 3 else f"mp{first.layer}",
            chapters=chapters,
        )

    @staticmethod
    def load(fileobj: BinaryIO) -> MP3:
        return MP3(fileobj)

    @staticmethod
    def texts(audio: Any) -> dict[str, str | None]:
        tags = audio.tags
        if not isinstance(tags, ID3):
            return {}
        text = {key: _first(tags.getall(frame)) for key, frame in _ID3_FRAMES.items()}
        comments = tags.getall("COMM")
        plain = [c for c in comments if not c.desc] or comments  # iTunes hides data in described ones
        text["comment"] = _first(plain)
        return text

    @staticmethod
    def pictures(audio: Any) -> list[tuple[bool, str, bytes]]:
        if not isinstance(audio.tags, ID3):
            return []
        return [(frame.type != 3, frame.mime, frame.data) for frame in audio.tags.getall("APIC")]

    @staticmethod
    def write(path: Path, tags: Tags, artwork: Artwork | None, chapters: Sequence[Chapter] | None) -> None:
        audio = MP3(path)
        if audio.tags is None:
            audio.add_tags()
        id3 = audio.tags
        assert isinstance(id3, ID3)  # what an MP3 file's tags always are in Mutagen
        _write_id3(id3, tags, artwork, chapters)
        audio.save(v2_version=4)


def _skip_id3v2(fileobj: BinaryIO) -> tuple[int, bool]:
    """Return where the audio may start after the ID3v2 tags, and whether the first one holds chapters.

    Like Mutagen, skip every tag in a row (Windows Media Player stacks them). A
    frame ID is never unsynchronised, so a tag without the bytes ``CHAP`` has
    no chapter frame and need not be parsed.
    """
    fileobj.seek(0)
    position, has_chapters = 0, False
    while True:
        header = fileobj.read(10)
        if len(header) < 10 or not header.startswith(b"ID3"):
            return position, has_chapters
        size = (
            (header[6] & 0x7F) << 21 | (header[7] & 0x7F) << 14 | (header[8] & 0x7F) << 7 | header[9] & 0x7F
        )
        if size == 0:
            return position, has_chapters
        if position == 0:
            has_chapters = b"CHAP" in fileobj.read(size)
        position += 10 + size
        fileobj.seek(position)


def _chapters(tags: ID3) -> tuple[Chapter, ...]:
    """Chapters from CHAP frames, in the order of the top-level CTOC when there is one."""
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


def _first(frames: list[Any]) -> str | None:
    for frame in frames:
        for value in frame.text:
            if str(value).strip():
                return str(value).strip()
    return None


def _write_id3(tags: ID3, fields: Tags, artwork: Artwork | None, chapters: Sequence[Chapter] | None) -> None:
    texts = {
        TIT2: fields.title,
        TALB: fields.album,
        TPE1: fields.artist,
        TRCK: None if fields.track is None else str(fields.track),
        TPOS: None if fields.disc is None else str(fields.disc),
        TDRC: fields.date,
    }
    for frame, value in texts.items():
        if value is not None:
            tags.setall(frame.__name__, [frame(encoding=3, text=[value])])
    if fields.album is not None:
        tags.setall("TCON", [TCON(encoding=3, text=["Podcast"])])
    if fields.comment is not None:
        tags.setall("COMM", [COMM(encoding=3, lang="und", desc="", text=[fields.comment])])
    if artwork is not None:
        cover = APIC(encoding=3, mime=artwork.mime_type, type=3, desc="", data=artwork.data)
        tags.setall("APIC", [cover])
    if chapters is not None:
        tags.delall("CHAP")
        tags.delall("CTOC")
        ids = [f"chp{index}" for index in range(len(chapters))]
        for element_id, chapter in zip(ids, chapters, strict=True):
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
