"""Work shared with forked workers gives what this process alone gives, in the same order.

Workers are only forked from a process with one thread, which the test session is
not once servers have started: those tests run in a fresh interpreter.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from podcaster.errors import CatalogueError, Message
from podcaster.feed.documents import render_feeds
from podcaster.folder.catalogue import load_catalogue
from podcaster.folder.lockfile import load_lock
from podcaster.models import MediaInfo
from podcaster.parallel import can_fork, map_shared, worker_count
from tests.fixtures.catalogue import write_episode, write_podcast

NOW = datetime(2030, 1, 1, tzinfo=UTC)
REPO = Path(__file__).resolve().parent.parent


def in_a_fresh_process(check: str, *args: str) -> None:
    """Run ``check(*args)`` of this module in a new interpreter, where workers can be forked."""
    code = f"import sys; from tests.test_parallel import {check}; {check}(*sys.argv[1:])"
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def _squares_with_pid(state: list[int], start: int, stop: int) -> list[tuple[int, int]]:
    return [(value * value, os.getpid()) for value in state[start:stop]]


class _Meeting:
    """Work whose first run, in each process, waits until every process has taken one.

    Without it, a process could take every run of quick work before the others have even
    started: the test would not see the work shared.
    """

    def __init__(self, values: list[int], processes: int) -> None:
        self.values, self.here = values, os.getpid()
        self.everyone = multiprocessing.get_context("fork").Barrier(processes)
        self.started = False
        self.order: list[str] = []  # what happened in this process, in order

    def __call__(self, state: object, start: int, stop: int) -> list[tuple[int, int]]:
        if not self.started:
            self.started = True
            self.everyone.wait(timeout=60)
        self.order.append("run")
        return _squares_with_pid(self.values, start, stop)


def test_worker_count_keeps_small_work_here() -> None:
    assert worker_count(10, threshold=1000) == 1
    assert worker_count(5000, threshold=1000) >= 1
    assert worker_count(10, threshold=1000, workers=3) == 3


def test_map_shared_keeps_the_order_and_uses_other_processes() -> None:
    in_a_fresh_process("check_map_shared")


def check_map_shared() -> None:
    assert can_fork()
    values = list(range(1, 1001))
    results = map_shared(_Meeting(values, processes=3), None, len(values), 3)
    assert [square for square, _ in results] == [value * value for value in values]
    assert len({pid for _, pid in results}) == 3


def test_meanwhile_runs_here_once_before_this_process_takes_runs() -> None:
    in_a_fresh_process("check_meanwhile")


def check_meanwhile() -> None:
    values = list(range(1, 1001))
    work = _Meeting(values, processes=2)
    results = map_shared(work, None, len(values), 2, meanwhile=lambda: work.order.append("meanwhile"))
    assert [square for square, _ in results] == [value * value for value in values]
    assert work.order[0] == "meanwhile" and work.order.count("meanwhile") == 1
    assert len({pid for _, pid in results}) == 2
    calls: list[int] = []
    assert map_shared(_squares_with_pid, values[:3], 3, 1, meanwhile=lambda: calls.append(0)) == [
        (value * value, os.getpid()) for value in values[:3]
    ]
    assert calls == [0]  # in this process alone too


class _FailsInAWorker(_Meeting):
    def __call__(self, state: object, start: int, stop: int) -> list[tuple[int, int]]:
        results = super().__call__(state, start, stop)
        if os.getpid() != self.here:
            raise ValueError(f"no luck from {start}")
        return results


def test_an_exception_in_a_worker_is_raised_here() -> None:
    in_a_fresh_process("check_worker_exception")


def check_worker_exception() -> None:
    values = list(range(100))
    with pytest.raises(ValueError, match=r"no luck from [0-9]+"):
        map_shared(_FailsInAWorker(values, processes=2), None, len(values), 2)


def test_a_worker_that_dies_is_an_error_here() -> None:
    in_a_fresh_process("check_worker_death")


class _DiesInAWorker(_Meeting):
    def __call__(self, state: object, start: int, stop: int) -> list[tuple[int, int]]:
        results = super().__call__(state, start, stop)
        if os.getpid() != self.here:
            os._exit(3)
        return results


def check_worker_death() -> None:
    values = list(range(100))
    with pytest.raises(RuntimeError, match="ended abnormally"):
        map_shared(_DiesInAWorker(values, processes=2), None, len(values), 2)


def test_map_shared_with_one_process_or_fewer_pieces_stays_here() -> None:
    assert map_shared(_squares_with_pid, [2, 3], 2, 1) == [(4, os.getpid()), (9, os.getpid())]
    assert map_shared(_squares_with_pid, [2], 1, 4) == [(4, os.getpid())]
    assert map_shared(_squares_with_pid, [], 0, 4) == []


def _small_show(root: Path, count: int = 30) -> Path:
    write_podcast(root)
    lock = load_lock(root)
    for index in range(count):
        season = 1 + index % 2
        path = write_episode(
            root,
            f"episode-{index}",
            season=season,
            number=index + 1,
            date=f"2023-{1 + index % 12:02d}-{1 + index % 28:02d}T09:00:00+01:00",
            notes=f"Notes de l'épisode **{index}**, avec [un lien](https://example.org/{index}).",
            extra="persons:\n  - Antoine Tricot\nexplicit: true" if index % 3 == 0 else "",
            audio_bytes=None,
        )
        guid = path.read_text(encoding="utf-8").split("guid: ", 1)[1].split("\n", 1)[0]
        lock.record_media(guid, f"audio/episode-{index}.mp3", MediaInfo(1000 + index, "ab" * 32, 60.5, "audio/mpeg", 128_000, 44_100, 2, "mp3"))  # fmt: skip
    lock.save()
    return root


def test_a_catalogue_loaded_by_workers_is_the_same(tmp_path: Path) -> None:
    in_a_fresh_process("check_catalogue", str(tmp_path))


def check_catalogue(folder: str) -> None:
    assert can_fork()
    root = _small_show(Path(folder) / "show")
    alone = load_catalogue(root, workers=1)
    assert load_catalogue(root, workers=3) == alone
    assert len(alone.episodes) == 30 and len(alone.warnings) == 30  # audio missing, the lock stands in


def test_problems_found_by_workers_are_the_same(tmp_path: Path) -> None:
    in_a_fresh_process("check_problems", str(tmp_path))


def check_problems(folder: str) -> None:
    assert can_fork()
    root = _small_show(Path(folder) / "show")
    write_episode(root, "sans-titre", number=99, title="  ")
    # A problem with a code (see errors.Message) comes back from a worker whole.
    write_episode(root, "mauvais-lien", number=98, extra="persons:\n  - name: X\n    href: www.example.org")
    (root / "episodes" / "saison-2" / "illisible.md").write_text("pas de front matter\n", encoding="utf-8")
    reports = []
    for workers in (1, 3):
        with pytest.raises(CatalogueError) as caught:
            load_catalogue(root, workers=workers)
        reports.append([str(problem) for problem in caught.value.problems])
    assert reports[0] == reports[1]
    assert any("illisible.md:1" in report for report in reports[0])
    assert [
        problem.message.code for problem in caught.value.problems if isinstance(problem.message, Message)
    ] == ["not_web_url"]


def test_a_damaged_lock_is_reported_the_same_with_workers(tmp_path: Path) -> None:
    in_a_fresh_process("check_damaged_lock", str(tmp_path))


def check_damaged_lock(folder: str) -> None:
    # The lock's records are built while the workers read the episode files: its error must stop them.
    assert can_fork()
    root = _small_show(Path(folder) / "show")
    lock_file = root / "podcast.lock"
    lock_file.write_text(
        lock_file.read_text(encoding="utf-8").replace('"size"', '"taille"', 1), encoding="utf-8"
    )
    for workers in (1, 3):
        with pytest.raises(CatalogueError, match="the lock file is damaged") as caught:
            load_catalogue(root, workers=workers)
        assert caught.value.path == lock_file
    assert multiprocessing.active_children() == []
    assert _children(os.getpid()) == []


def _children(pid: int) -> list[str]:
    """The processes *pid* started that are still there (a worker left running, or not reaped)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(entry.name)
    return found


def test_feeds_written_by_workers_are_the_same(tmp_path: Path) -> None:
    in_a_fresh_process("check_feeds", str(tmp_path))


def check_feeds(folder: str) -> None:
    assert can_fork()
    catalogue = load_catalogue(_small_show(Path(folder) / "show"))
    alone = render_feeds(catalogue, NOW, workers=1).documents
    assert render_feeds(catalogue, NOW, workers=3).documents == alone
    assert list(alone) == ["feed.xml", "episodes.json", "saison-1.xml", "saison-2.xml"]
