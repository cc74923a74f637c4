"""Writing the feeds: nothing when the build fails, and again what a crash may have left behind."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from podcaster.actions.build import build
from podcaster.errors import FeedError
from podcaster.folder.lockfile import load_lock
from podcaster.models import MediaInfo
from tests.fixtures.catalogue import write_episode, write_podcast

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _episode(root: Path, slug: str, number: int, extra: str = "") -> None:
    """An episode whose audio is not here: the lock file holds its facts; *extra* front matter replaces its title."""
    title = None if extra else "Un épisode"
    write_episode(root, slug, number=number, title=title, extra=extra, guid=f"guid-{slug}", audio_bytes=None)
    lock = load_lock(root)
    lock.record_media(f"guid-{slug}", f"audio/{slug}.mp3", MediaInfo(1000, "ab" * 32, 60.5, "audio/mpeg", 128_000, 44_100, 2, "mp3"))  # fmt: skip
    lock.save()


def _unwritable_episode(root: Path) -> None:
    # YAML's escape \a is the bell character, which no XML document can carry.
    _episode(root, "casse", 2, extra='title: "Un titre\\a cassé"')


def test_a_build_that_fails_while_rendering_writes_nothing(tmp_path: Path) -> None:
    root = write_podcast(tmp_path / "show")
    _episode(root, "bon", 1)
    _unwritable_episode(root)
    with pytest.raises(FeedError, match="control character"):
        build(root, NOW)
    assert not (root / "feeds").exists()


def test_a_failed_build_keeps_the_previous_feeds_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    root = write_podcast(tmp_path / "show")
    _episode(root, "bon", 1)
    build(root, NOW)
    before = {path.name: path.read_bytes() for path in (root / "feeds").iterdir()}
    _unwritable_episode(root)
    (root / "podcast.toml").write_text(
        (root / "podcast.toml").read_text(encoding="utf-8") + '\n[[seasons]]\nnumber = 7\nname = "Sept"\n',
        encoding="utf-8",
    )  # a new season too: a feed not there yet
    with pytest.raises(FeedError, match="control character"):
        build(root, NOW)
    assert {path.name: path.read_bytes() for path in (root / "feeds").iterdir()} == before


@pytest.mark.parametrize("crash_left", [b"", b"<?xml version='1.0'"], ids=["empty", "cut-short"])
def test_a_feed_a_crash_left_empty_or_cut_short_is_written_again(tmp_path: Path, crash_left: bytes) -> None:
    # Feeds are written without waiting for the disk: after a crash, the manifest must not vouch for them.
    root = write_podcast(tmp_path / "show")
    _episode(root, "bon", 1)
    build(root, NOW)
    feed = root / "feeds" / "feed.xml"
    whole = feed.read_bytes()
    feed.write_bytes(crash_left)
    result = build(root, NOW)
    assert not result.up_to_date
    assert result.written == [feed]
    assert feed.read_bytes() == whole
