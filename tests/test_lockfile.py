"""podcast.lock saves that meet another writer's: merged entry by entry, and a damaged file is never written over."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from podcaster.errors import CatalogueError
from podcaster.folder.lockfile import Publication, load_lock


def _publication(name: str) -> Publication:
    return Publication(
        key=f"media/{name}.mp3", url=f"https://cdn.example.org/{name}.mp3", sha256="0" * 64, size=1
    )


def _write(root: Path, assets: dict[str, Publication], feeds: dict[str, str]) -> None:
    document = {
        "version": 1,
        "episodes": {},
        "assets": {name: vars(publication) for name, publication in assets.items()},
        "feeds": feeds,
    }
    (root / "podcast.lock").write_text(json.dumps(document), encoding="utf-8")


def test_each_save_keeps_the_other_writers_changes_and_its_own_removals(tmp_path: Path) -> None:
    _write(tmp_path, {"a.png": _publication("a"), "b.png": _publication("b")}, {"feed.xml": "1"})
    mine = load_lock(tmp_path)
    theirs = load_lock(tmp_path)
    theirs.assets["c.png"] = _publication("c")  # another writer adds one
    theirs.feeds["feed.xml"] = "2"  # and changes one this writer leaves alone
    theirs.save()
    del mine.assets["b.png"]  # this writer removes one
    mine.feeds["saison-1.xml"] = "3"  # and adds one
    mine.save()
    saved = load_lock(tmp_path)
    assert sorted(saved.assets) == ["a.png", "c.png"]
    assert saved.feeds == {"feed.xml": "2", "saison-1.xml": "3"}
    assert mine.assets.keys() == saved.assets.keys()  # the saver now holds what it wrote


def test_a_file_damaged_since_it_was_read_is_reported_not_overwritten(tmp_path: Path) -> None:
    _write(tmp_path, {"a.png": _publication("a")}, {})
    lock = load_lock(tmp_path)
    damaged = '{"version": 1, "episodes": {"x": {"audio": "a.mp3"}}, "assets": {}, "feeds": {}}'
    (tmp_path / "podcast.lock").write_text(damaged, encoding="utf-8")
    lock.feeds["feed.xml"] = "1"
    with pytest.raises(CatalogueError, match="damaged"):
        lock.save()
    assert (tmp_path / "podcast.lock").read_text(encoding="utf-8") == damaged


def test_a_second_save_merges_from_what_the_first_one_wrote(tmp_path: Path) -> None:
    _write(tmp_path, {"a.png": _publication("a")}, {"feed.xml": "1"})
    mine = load_lock(tmp_path)
    mine.assets["b.png"] = _publication("b")
    mine.save()  # what this writer now knows of the file: what it wrote
    theirs = load_lock(tmp_path)
    del theirs.assets["b.png"]  # another writer removes what this one added
    theirs.save()
    mine.feeds["saison-1.xml"] = "3"
    mine.save()
    saved = load_lock(tmp_path)
    assert sorted(saved.assets) == ["a.png"]  # not brought back: unchanged here since this writer wrote it
    assert saved.feeds == {"feed.xml": "1", "saison-1.xml": "3"}
