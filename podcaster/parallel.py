"""Share many independent pieces of work between this process and forked copies of it.

Reading a large catalogue and writing its feeds is Python work that one process
does on one core. :func:`map_shared` forks a worker per other core; each takes a
run of the pieces while this process does the first run itself. Workers inherit
the work's input rather than receive a copy, so it is never pickled; only their
results are, into a temporary file each worker inherited, which this process
reads once its own run is done. Below a threshold of pieces everything stays in
this process: forking would cost more than it saves, and tests and small shows
never pay it.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import tempfile
import threading
from collections.abc import Callable
from contextlib import ExitStack
from typing import IO, Any, TypeVar

__all__ = ["available_cores", "can_fork", "map_shared", "worker_count"]

R = TypeVar("R")
S = TypeVar("S")


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worker_count(pieces: int, threshold: int, workers: int | None = None) -> int:
    """How many processes should share *pieces*: this one alone below *threshold*, else one per core.

    *workers*, when given, is the answer (1 keeps everything in this process).
    """
    if workers is not None:
        return max(1, workers)
    if pieces < threshold:
        return 1
    return available_cores()


def can_fork() -> bool:
    """Whether workers can be forked from this process.

    Forking copies only the calling thread: with others running (a web server's, say)
    the child could inherit a lock one of them held, so it is kept to one-thread processes.
    """
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def map_shared(
    work: Callable[[S, int, int], list[R]],
    state: S,
    count: int,
    processes: int,
    *,
    meanwhile: Callable[[], object] | None = None,
    meanwhile_pieces: float = 0,
    transfer: float = 0,
) -> list[R]:
    """``work(state, start, stop)`` over ``range(count)`` cut in runs, one per process; results in order.

    This process takes the first run, forked workers the others. Where workers cannot be
    forked (:func:`can_fork`), or for one process, this one does it all. An exception in a
    worker is raised here. *meanwhile*, if given, is called here once this process's run is
    done, before the workers' results are collected: other work that overlaps theirs, worth
    about *meanwhile_pieces* pieces, by which this process's run is shortened. *transfer* is
    what a piece's result costs to pickle in a worker (and again to read here), as a share of
    the piece's work: this process's run is lengthened by what the workers spend on it.
    """
    processes = min(processes, count)
    if processes <= 1 or not can_fork():
        results = work(state, 0, count)
        if meanwhile is not None:
            meanwhile()
        return results
    # Every process should end about together: first + meanwhile = (1 + transfer) * a worker's run.
    first = (count * (1 + transfer) - (processes - 1) * meanwhile_pieces) / (processes + transfer)
    first = max(0, min(count, int(first)))
    others = processes - 1
    bounds = [(0, first)] + [
        (first + (count - first) * index // others, first + (count - first) * (index + 1) // others)
        for index in range(others)
    ]
    # Results come back through files rather than pipes: a pipe holds a few kilobytes, so a
    # worker would wait on it, kilobytes at a time, for this process to be done with its own run.
    with ExitStack() as files:
        outputs = [files.enter_context(tempfile.TemporaryFile()) for _ in bounds[1:]]
        pending: list[int] = []
        try:
            for (start, stop), output in zip(bounds[1:], outputs, strict=True):
                pending.append(_fork(work, state, start, stop, output))
            results = work(state, *bounds[0])
            if meanwhile is not None:
                meanwhile()
            for output in outputs:
                results.extend(_collect(pending.pop(0), output))
            return results
        finally:
            for worker in pending:  # left running by an exception here: stop them
                os.kill(worker, signal.SIGTERM)
                os.waitpid(worker, 0)


def _fork(
    work: Callable[[Any, int, int], list[Any]], state: Any, start: int, stop: int, output: IO[bytes]
) -> int:
    pid = os.fork()
    if pid:
        return pid
    # The worker: never returns, so that nothing of the caller's stack runs twice.
    status = 1
    try:
        try:
            outcome: tuple[bool, Any] = (True, work(state, start, stop))
        except BaseException as error:  # handed to the parent, which raises it
            outcome = (False, error)
        try:
            pickle.dump(outcome, output, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as error:  # an exception that does not pickle: its text does
            output.seek(0)
            output.truncate()
            pickle.dump((False, RuntimeError(f"in a worker process: {outcome[1]!r} ({error})")), output)
        output.flush()
        status = 0
    finally:
        os._exit(status)


def _collect(worker: int, output: IO[bytes]) -> list[Any]:
    _, status = os.waitpid(worker, 0)
    if status != 0:
        raise RuntimeError(f"a worker process ended abnormally (wait status {status})")
    output.seek(0)
    succeeded, outcome = pickle.load(output)
    if not succeeded:
        raise outcome
    return list(outcome)
