"""Media probing against real encoders and a real decoder (PyAV)."""

from __future__ import annotations

import hashlib
import os
import random
import tracemalloc
from pathlib import Path
from typing import Any

import av
import pytest
from mutagen.apev2 import APEv2
from mutagen.id3 import ID3, TIT2
from mutagen.mp3 import MP3, BitrateMode
from mutagen.oggopus import OggOpus

from podcaster.errors import MediaError, PodcasterError
from podcaster.media import file_signature, mp3scan, probe, read_artwork, read_tags, sha256_file
from podcaster.models import Chapter, Tags
from tests.fixtures.audio import (
    AUDIO_KINDS,
    SAMPLE_CHAPTERS,
    SAMPLE_TAGS,
    add_artwork,
    add_id3_chapters,
    add_tags,
    copy_audio,
    decoded_duration,
    make_audio,
    make_jpeg,
    make_png,
)

EXPECTED_FORMAT = {
    "mp3-cbr": ("audio/mpeg", "mp3"),
    "mp3-vbr": ("audio/mpeg", "mp3"),
    "mp3-vbr-noheader": ("audio/mpeg", "mp3"),
    "m4a": ("audio/mp4", "aac"),
    "ogg-vorbis": ("audio/ogg", "vorbis"),
    "ogg-opus": ("audio/ogg", "opus"),
    "flac": ("audio/flac", "flac"),
}
TOLERANCE = 0.1  # seconds: what the feed's duration may differ from a decoder's


def stream_facts(path: Path) -> tuple[int, int]:
    """The decoder's view of (sample rate, channels)."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        return stream.sample_rate, stream.codec_context.channels


def mpeg_frame_lengths(path: Path) -> set[int]:
    """Every distinct frame length in an MP3 (VBR shows many)."""
    data = path.read_bytes()
    info: Any = MP3(path).info
    position = info.frame_offset
    lengths = set()
    while (header := mpeg_header(data[position : position + 4])) is not None:
        lengths.add(header.length)
        position += header.length
    return lengths


def mpeg_header(data: bytes) -> mp3scan.FrameHeader | None:
    return mp3scan.parse_header(data)


# -- facts against the decoder ----------------------------------------------------------


@pytest.mark.parametrize("kind", list(AUDIO_KINDS))
def test_probe_matches_the_decoder(audio_files: dict[str, Path], kind: str) -> None:
    path = audio_files[kind]
    info = probe(path)
    assert abs(info.duration - decoded_duration(path)) < TOLERANCE
    assert (info.sample_rate, info.channels) == stream_facts(path)
    assert (info.mime_type, info.codec) == EXPECTED_FORMAT[kind]
    assert info.size == os.stat(path).st_size
    assert info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert 8_000 < info.bitrate < 1_500_000
    assert info.chapters == ()


@pytest.mark.parametrize("kind", ["mp3-cbr", "mp3-vbr"])
def test_xing_lengths_drop_the_encoder_delay_and_padding(audio_files: dict[str, Path], kind: str) -> None:
    # FFmpeg's LAME tag says "Lavf", which Mutagen skips: it is one frame and a half long.
    path = audio_files[kind]
    assert probe(path).duration == pytest.approx(decoded_duration(path), abs=0.001)


def test_vbr_without_header_fools_mutagen_but_not_probe(long_vbr_mp3: Path) -> None:
    mutagen_info: Any = MP3(long_vbr_mp3).info
    decoded = decoded_duration(long_vbr_mp3)
    # The trap is real on this file: Mutagen guesses from the first (silent, low-rate) frame...
    assert mutagen_info.bitrate_mode is BitrateMode.UNKNOWN
    assert abs(mutagen_info.length - decoded) > 30
    assert len(mpeg_frame_lengths(long_vbr_mp3)) > 5  # ...of a file whose bitrate really varies.
    assert b"Xing" not in long_vbr_mp3.read_bytes()[:4096]
    assert probe(long_vbr_mp3).duration == pytest.approx(decoded, abs=0.001)


@pytest.mark.parametrize(
    ("codec", "options"),
    [
        ("mp3", {"channels": 1, "sample_rate": 22050, "bitrate": 32000}),
        ("mp3", {"channels": 1, "sample_rate": 48000, "vbr": True}),
        ("mp3", {"channels": 2, "sample_rate": 16000, "vbr": True, "xing": False}),
        ("mp3", {"channels": 2, "xing": False}),
        ("aac", {"channels": 1, "sample_rate": 48000}),
        ("opus", {"channels": 1}),
        ("flac", {"channels": 1, "sample_rate": 48000}),
    ],
)
def test_other_rates_and_channel_counts(tmp_path: Path, codec: str, options: dict[str, object]) -> None:
    path = make_audio(tmp_path / "audio", codec, 2.0, **options)  # type: ignore[arg-type]
    info = probe(path)
    assert abs(info.duration - decoded_duration(path)) < TOLERANCE
    assert (info.sample_rate, info.channels) == stream_facts(path)


def test_garbage_between_frames_is_skipped(audio_files: dict[str, Path], tmp_path: Path) -> None:
    data = audio_files["mp3-vbr-noheader"].read_bytes()
    info: Any = MP3(audio_files["mp3-vbr-noheader"]).info
    middle = info.frame_offset
    for _ in range(40):  # walk to a frame boundary near the middle
        header = mpeg_header(data[middle : middle + 4])
        assert header is not None
        middle += header.length
    junk = random.Random(7).randbytes(3000)
    path = tmp_path / "glitch.mp3"
    path.write_bytes(data[:middle] + junk + data[middle:])
    assert abs(probe(path).duration - decoded_duration(path)) < TOLERANCE


def test_trailing_id3v1_and_ape_tags_are_not_audio(audio_files: dict[str, Path], tmp_path: Path) -> None:
    path = copy_audio(audio_files["mp3-vbr-noheader"], tmp_path)
    before = probe(path).duration
    ape = APEv2()
    ape["Title"] = "Un titre APE"
    ape.save(path)
    tags = ID3()
    tags.add(TIT2(encoding=3, text=["v1"]))
    tags.save(path, v1=2)
    assert path.read_bytes()[-128:].startswith(b"TAG")
    assert probe(path).duration == pytest.approx(before, abs=1e-9)


def test_a_long_file_is_streamed_not_read_whole(long_vbr_mp3: Path, tmp_path: Path) -> None:
    # 40 copies of a headerless stream are one 40-minute stream (~16 MB).
    path = tmp_path / "long.mp3"
    chunk = long_vbr_mp3.read_bytes()
    with path.open("wb") as out:
        for _ in range(40):
            out.write(chunk)
    tracemalloc.start()
    try:
        info = probe(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.duration == pytest.approx(40 * decoded_duration(long_vbr_mp3), abs=0.001)
    assert peak < 4 * 2**20 < info.size / 3


# -- format from content, and bad input ----------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "name"),
    [("flac", "really-flac.mp3"), ("mp3-cbr", "really-mp3.ogg"), ("m4a", "really-m4a.mp3")],
)
def test_format_comes_from_content(
    audio_files: dict[str, Path], tmp_path: Path, kind: str, name: str
) -> None:
    path = copy_audio(audio_files[kind], tmp_path, name)
    assert (probe(path).mime_type, probe(path).codec) == EXPECTED_FORMAT[kind]


def _corrupt_mp3(tmp_path: Path, _files: dict[str, Path]) -> Path:
    header = ID3()
    header.add(TIT2(encoding=3, text=["Cassé"]))
    path = tmp_path / "corrupt.mp3"
    header.save(path)
    with path.open("ab") as out:
        out.write(random.Random(3).randbytes(200_000))
    return path


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _cut(source: Path, tmp_path: Path, fraction: float = 0.6) -> Path:
    data = source.read_bytes()
    path = tmp_path / f"cut-{source.name}"
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


BAD_INPUTS = {
    "zero-byte": (lambda tmp, files: _write(tmp / "empty.mp3", b""), "empty"),
    "text named .mp3": (
        lambda tmp, files: _write(tmp / "notes.mp3", b"Ceci n'est pas un son.\n" * 50),
        "not MP3",
    ),
    "random bytes after an ID3 header": (_corrupt_mp3, "MP3"),
    "truncated M4A": (lambda tmp, files: _cut(files["m4a"], tmp), "cut short"),
    "truncated MP3 with Xing header": (lambda tmp, files: _cut(files["mp3-vbr"], tmp), "cut short"),
    "truncated FLAC": (lambda tmp, files: _cut(files["flac"], tmp), "cut short"),
    "truncated Ogg Vorbis": (lambda tmp, files: _cut(files["ogg-vorbis"], tmp), "cut short"),
    "truncated Ogg Opus": (lambda tmp, files: _cut(files["ogg-opus"], tmp), "cut short"),
    "missing file": (lambda tmp, files: tmp / "absent.mp3", "cannot read"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_raises_a_media_error_naming_the_file(
    audio_files: dict[str, Path], tmp_path: Path, case: str
) -> None:
    make, words = BAD_INPUTS[case]
    path = make(tmp_path, audio_files)
    with pytest.raises(MediaError) as caught:
        probe(path)
    error = caught.value
    assert isinstance(error, PodcasterError)
    assert error.path == path
    assert str(error).startswith(f"{path}: ")
    assert words in str(error)
    # Every message says what to do about it.
    assert any(hint in str(error) for hint in ("again", "export", "check the path"))


def test_read_tags_and_artwork_name_the_file_too(tmp_path: Path) -> None:
    path = _write(tmp_path / "x.flac", b"plain text, not FLAC")
    for read in (read_tags, read_artwork):
        with pytest.raises(MediaError, match=r"x\.flac"):
            read(path)


# -- tags, artwork, chapters -------------------------------------------------------------


@pytest.mark.parametrize("kind", list(AUDIO_KINDS))
def test_tags_read_back_in_every_format(audio_files: dict[str, Path], tmp_path: Path, kind: str) -> None:
    path = copy_audio(audio_files[kind], tmp_path)
    assert read_tags(path) == Tags()
    add_tags(path, **SAMPLE_TAGS)  # type: ignore[arg-type]
    assert read_tags(path) == Tags(**SAMPLE_TAGS)  # type: ignore[arg-type]
    # Writing tags moves the audio in some containers: the facts must not move with them.
    assert abs(probe(path).duration - decoded_duration(path)) < TOLERANCE


@pytest.mark.parametrize("kind", list(AUDIO_KINDS))
@pytest.mark.parametrize("image", ["png", "jpeg"])
def test_artwork_reads_back_in_every_format(
    audio_files: dict[str, Path], tmp_path: Path, kind: str, image: str
) -> None:
    path = copy_audio(audio_files[kind], tmp_path)
    assert read_artwork(path) is None
    data = make_png(8, 8) if image == "png" else make_jpeg(8, 8)
    # A sloppy tagger's MIME field: the bytes decide.
    add_artwork(path, data, "image/png" if image == "png" else "image/jpg")
    artwork = read_artwork(path)
    assert artwork is not None
    assert (artwork.mime_type, artwork.data) == (f"image/{image}", data)


def test_a_damaged_ogg_cover_is_a_media_error(audio_files: dict[str, Path], tmp_path: Path) -> None:
    path = copy_audio(audio_files["ogg-opus"], tmp_path)
    audio = OggOpus(path)
    audio["metadata_block_picture"] = ["not base64 at all!"]
    audio.save()
    with pytest.raises(MediaError, match="cover is damaged"):
        read_artwork(path)
    assert read_tags(path) == Tags()  # the rest of the file is still usable


def test_tagged_mp3_fixture_gives_tags_artwork_and_chapters(tagged_mp3: Path) -> None:
    assert read_tags(tagged_mp3) == Tags(**SAMPLE_TAGS)  # type: ignore[arg-type]
    artwork = read_artwork(tagged_mp3)
    assert artwork is not None and artwork.mime_type == "image/png"
    assert probe(tagged_mp3).chapters == tuple(
        Chapter(start=start, end=end, title=title) for start, end, title in SAMPLE_CHAPTERS
    )


def test_chapters_follow_the_ctoc_order(audio_files: dict[str, Path], tmp_path: Path) -> None:
    path = copy_audio(audio_files["mp3-vbr"], tmp_path)
    add_id3_chapters(path, SAMPLE_CHAPTERS, toc_order=[2, 0, 1])
    assert [chapter.title for chapter in probe(path).chapters] == ["Fin", "Ouverture", "Entretien"]


def test_chapters_without_ctoc_are_in_time_order(audio_files: dict[str, Path], tmp_path: Path) -> None:
    path = copy_audio(audio_files["mp3-cbr"], tmp_path)
    add_id3_chapters(path, SAMPLE_CHAPTERS)  # CHAP frames are written last chapter first
    tags = ID3(path)
    tags.delall("CTOC")
    tags.save(path)
    chapters = probe(path).chapters
    assert [(chapter.start, chapter.end, chapter.title) for chapter in chapters] == list(SAMPLE_CHAPTERS)


# -- hashing and the cheap signature -------------------------------------------------------


def test_sha256_and_signature(audio_files: dict[str, Path], tmp_path: Path) -> None:
    path = copy_audio(audio_files["flac"], tmp_path)
    assert sha256_file(path) == hashlib.sha256(path.read_bytes()).hexdigest()
    stat = os.stat(path)
    assert file_signature(path) == (stat.st_size, stat.st_mtime_ns)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert file_signature(path) != (stat.st_size, stat.st_mtime_ns)
    with pytest.raises(MediaError, match="absent"):
        file_signature(tmp_path / "absent.flac")


def test_only_the_media_layer_imports_mutagen() -> None:
    package = Path(__file__).parent.parent / "podcaster"
    importers = sorted(
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if "import mutagen" in (text := path.read_text(encoding="utf-8")) or "from mutagen" in text
    )
    assert importers
    assert [name for name in importers if not name.startswith("media/")] == []


def test_an_id3_tag_claiming_more_than_the_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "huge-tag.mp3"
    # A syncsafe ID3v2 size of 0x0fffffff: 256 MiB of tag in a file of 210 bytes.
    path.write_bytes(b"ID3\x04\x00\x00\x7f\x7f\x7f\x7f" + b"\x00" * 200)
    with pytest.raises(
        MediaError,
        match=r"ID3 tag at its start claims 268,435,465 bytes, more than the whole file \(210 bytes\)",
    ):
        probe(path)
    with pytest.raises(MediaError) as caught:
        read_tags(path)
    assert "()" not in str(caught.value)


def test_an_empty_mutagen_error_still_says_what_went_wrong() -> None:
    from mutagen import MutagenError

    from podcaster.media.formats import _reason_of

    assert _reason_of(MutagenError()) == "its Mutagen data is damaged"
    try:
        try:
            raise ValueError("frame size 9999999 past the end")
        except ValueError as cause:
            raise MutagenError() from cause
    except MutagenError as error:
        assert _reason_of(error) == "frame size 9999999 past the end"
