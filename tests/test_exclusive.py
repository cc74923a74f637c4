"""One writer at a time: the folder's edit lock between threads, between processes, and within one thread."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from podcaster.atomic import exclusive
from podcaster.errors import PodcasterError


def test_a_thread_that_holds_the_lock_may_take_it_again(tmp_path: Path) -> None:
    lock = tmp_path / ".podcaster" / "edit.lock"
    with exclusive(lock, wait=0.2), exclusive(lock, wait=0.2):  # a save calling a save: no wait for itself
        pass
    with exclusive(lock, wait=0.2):  # and it was let go
        pass


def test_another_thread_waits_for_the_holder(tmp_path: Path) -> None:
    lock = tmp_path / "edit.lock"
    order: list[str] = []

    def second() -> None:
        with exclusive(lock, wait=5):
            order.append("second")

    with exclusive(lock):
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.2)
        order.append("first done")
    thread.join(5)
    assert order == ["first done", "second"]


def test_another_process_holding_it_too_long_is_reported(tmp_path: Path) -> None:
    lock = tmp_path / "edit.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX); "
            "print('held', flush=True); time.sleep(30)",
            str(lock),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(PodcasterError, match="held the folder for too long"), exclusive(lock, wait=0.3):
            pass
    finally:
        holder.kill()
        holder.communicate()
    with exclusive(lock, wait=2):  # the kernel let go with the process
        pass
