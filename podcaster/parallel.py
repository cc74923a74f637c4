"""Share many independent pieces of work between this process and forked copies of it.

Reading a large catalogue and writing its feeds is Python work that one process
does on one core. :func:`map_shared` cuts the pieces into short runs and forks a
worker per other core; every process, this one included, takes the next run
whenever it is free, so that all end together however fast each turns out to be
(a worker's first touch of memory it shares with this process costs it a copy;
the machine's other work slows one core or the other). Workers inherit the work's
input rather than receive a copy, so it is never pickled; only their results are,
run by run, into a temporary file each worker inherited, which this process reads
once its own runs are done. Below a threshold of pieces everything stays in this
process: forking would cost more than it saves, and tests and small shows never
pay it.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import IO, Any, TypeVar

__all__ = ["available_cores", "can_fork", "map_shared", "worker_count"]

R = TypeVar("R")
S = TypeVar("S")

# Runs per process: enough that the last one, which another process cannot share, is short.
_RUNS_PER_PROCESS = 32
# A run's number is 4 bytes in a pipe, written before anyone reads: the pipe must hold them
# all at once (Linux guarantees 4 KiB at the least).
_MAX_RUNS = 1024
_RUN_NUMBER_BYTES = 4


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
) -> list[R]:
    """``work(state, start, stop)`` over ``range(count)`` cut in runs shared by processes; results in order.

    Each process takes the next run whenever it is free. Where workers cannot be forked
    (:func:`can_fork`), or for one process, this one does it all. An exception in a worker
    is raised here. *meanwhile*, if given, is called here once, before this process takes
    its first run: other work that overlaps the workers', which then take more runs.
    """
    processes = min(processes, count)
    if processes <= 1 or not can_fork():
        if meanwhile is not None:
            meanwhile()
        return work(state, 0, count)
    runs = min(count, _MAX_RUNS, processes * _RUNS_PER_PROCESS)
    bounds = [(count * index // runs, count * (index + 1) // runs) for index in range(runs)]
    # The runs' numbers wait in a pipe that every process reads, a number at a time: the
    # system hands each one to a single reader. Written whole and closed before the forks,
    # it reads as empty once every run is taken.
    queue, writer = os.pipe()
    try:
        os.write(writer, b"".join(index.to_bytes(_RUN_NUMBER_BYTES, "little") for index in range(runs)))
    finally:
        os.close(writer)
    _reap_exited()
    # Results come back through files rather than pipes: a pipe holds a few kilobytes, so a
    # worker would wait on it, kilobytes at a time, for this process to be done with its runs.
    with ExitStack() as files:
        files.callback(os.close, queue)
        outputs = [files.enter_context(tempfile.TemporaryFile()) for _ in range(processes - 1)]
        pending: list[tuple[int, int]] = []
        try:
            for output in outputs:
                pending.append(_fork(work, state, bounds, queue, output))
                files.callback(os.close, pending[-1][1])
            if meanwhile is not None:
                meanwhile()
            done = dict(_take_runs(work, state, bounds, queue))
            for output in outputs:
                done.update(_collect(*pending.pop(0), output))
        finally:
            for worker, _ in pending:  # left running by an exception here: stop them
                os.kill(worker, signal.SIGTERM)
                os.waitpid(worker, 0)
    return [result for index in range(runs) for result in done[index]]


# Workers that said they were done and are exiting. Ending a process that copied much of this
# one's memory takes it a while (tens of milliseconds for a large catalogue): nobody waits for
# that. They are reaped on the next call, or go with this process.
_exiting: list[int] = []


def _reap_exited() -> None:
    for worker in list(_exiting):
        if os.waitpid(worker, os.WNOHANG)[0]:
            _exiting.remove(worker)


def _take_runs(
    work: Callable[[Any, int, int], list[Any]], state: Any, bounds: list[tuple[int, int]], queue: int
) -> Iterator[tuple[int, list[Any]]]:
    """Each run this process takes from *queue* until none is left, with its results."""
    while number := os.read(queue, _RUN_NUMBER_BYTES):
        index = int.from_bytes(number, "little")
        yield index, work(state, *bounds[index])


def _fork(
    work: Callable[[Any, int, int], list[Any]],
    state: Any,
    bounds: list[tuple[int, int]],
    queue: int,
    output: IO[bytes],
) -> tuple[int, int]:
    """Start a worker taking runs from *queue*; its process id, and a pipe that reads a byte when it is done."""
    finished, finishing = os.pipe()
    pid = os.fork()
    if pid:
        os.close(finishing)  # only the worker holds it: if it dies, the pipe reads as ended
        return pid, finished
    # The worker: never returns, so that nothing of the caller's stack runs twice. Each run's
    # results are pickled as soon as they are ready, so little is left to do once runs are out.
    status = 1
    try:
        try:
            for index, results in _take_runs(work, state, bounds, queue):
                pickle.dump((index, results), output, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as error:  # handed to the parent, which raises it alone
            _replace_with_failure(output, error)
        output.flush()
        os.write(finishing, b"\0")
        status = 0
    finally:
        os._exit(status)


_FAILED = -1  # in place of a run's number: the worker's exception follows


def _replace_with_failure(output: IO[bytes], error: BaseException) -> None:
    output.seek(0)
    output.truncate()
    try:
        pickle.dump((_FAILED, error), output, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as unpicklable:  # an exception that does not pickle: its text does
        output.seek(0)
        output.truncate()
        failure = RuntimeError(f"in a worker process: {error!r} ({unpicklable})")
        pickle.dump((_FAILED, failure), output, protocol=pickle.HIGHEST_PROTOCOL)


def _collect(worker: int, finished: int, output: IO[bytes]) -> dict[int, list[Any]]:
    if not os.read(finished, 1):  # the worker ended without saying it was done
        _, status = os.waitpid(worker, 0)
        raise RuntimeError(f"a worker process ended abnormally (wait status {status})")
    _exiting.append(worker)
    output.seek(0)
    done: dict[int, list[Any]] = {}
    while True:
        try:
            index, results = pickle.load(output)
        except EOFError:
            return done
        if index == _FAILED:
            raise results
        done[index] = results
