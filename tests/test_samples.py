"""Sample audio: real, deterministic MP3s whose facts the library reads back exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from podcaster.actions.sample_audio import BITRATE_KBPS, SAMPLE_RATE, write_sample_audio
from podcaster.media import probe, read_tags
from tests.fixtures.audio import decoded_duration


def test_sample_is_a_real_mp3_of_the_asked_length(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "sample.mp3"
    write_sample_audio(path, seconds=5, title="Premier épisode", seed=3)
    media = probe(path)
    assert media.mime_type == "audio/mpeg" and media.codec == "mp3"
    assert (media.sample_rate, media.channels) == (SAMPLE_RATE, 1)
    assert media.bitrate == BITRATE_KBPS * 1000
    assert media.duration == pytest.approx(5, abs=0.1)
    assert decoded_duration(path) == pytest.approx(media.duration, abs=0.03)
    assert media.size == path.stat().st_size < 50_000


def test_sample_carries_its_title_and_chapters(tmp_path: Path) -> None:
    path = tmp_path / "sample.mp3"
    chapters = [(0.0, "Ouverture"), (1.5, "Sur le terrain « 9-3 »"), (3.0, "Fin")]
    write_sample_audio(path, seconds=4, title="Épisode <1>", seed=1, chapters=chapters)
    assert read_tags(path).title == "Épisode <1>"
    found = probe(path).chapters
    assert [(chapter.start, chapter.title) for chapter in found] == chapters
    assert found[-1].end == pytest.approx(4.0)


def test_samples_are_deterministic_and_differ_by_seed(tmp_path: Path) -> None:
    paths = [tmp_path / f"{name}.mp3" for name in "abc"]
    for path, seed in zip(paths, (7, 7, 8), strict=True):
        write_sample_audio(path, seconds=2, title="x", seed=seed)
    first, again, other = (path.read_bytes() for path in paths)
    assert first == again
    assert first != other


def test_a_sample_needs_a_length(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="positive"):
        write_sample_audio(tmp_path / "x.mp3", seconds=0, title="x", seed=1)
