"""Share many independent pieces of work between this process and forked copies of it.

Reading a large catalogue and writing its feeds is Python work that one process
does on one core. :func:`map_shared` cuts the pieces into short runs and forks a
worker per other core; every process, this one included, takes the next run
whenever it is free, so that all end together however fast each turns out to be
(a worker's first touch of memory it shares with this process costs it a copy;
the machine's other work slows one core or the other). Workers inherit the work's
input rather than receive a copy, so it is never pickled; only their results are,
run by run, into a temporary file each worker inherited, which this process reads
between its own runs, and to the end once they are done. Below a threshold of
pieces everything stays in this process: forking would cost more than it saves,
and tests and small shows never pay it.
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
        pending: list[_Worker] = []
        try:
            for _ in range(processes - 1):
                output = files.enter_context(tempfile.TemporaryFile())
                pending.append(_Worker(work, state, bounds, queue, output))
                files.callback(os.close, pending[-1].notices)
            if meanwhile is not None:
                meanwhile()
            done: dict[int, list[R]] = {}
            for index, results in _take_runs(work, state, bounds, queue):
                done[index] = results
                # Between its own runs, this process reads those the workers have finished:
                # reading them is work too, better shared than left for the end.
                for worker in pending:
                    worker.collect(done, wait=False)
            while pending:
                pending[0].collect(done, wait=True)
                _exiting.append(pending.pop(0).pid)
        finally:
            for worker in pending:  # left running by an exception here: stop them
                if not worker.ended:
                    os.kill(worker.pid, signal.SIGTERM)
                    os.waitpid(worker.pid, 0)
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


class _Worker:
    """A forked process taking runs from the queue, and what this process has read of its results.

    The worker pickles each run's results into *output* as soon as they are ready, then
    tells, through a pipe of its own (:attr:`notices`), where that run ends in the file; last,
    it says it is done (:data:`_DONE`) and exits. If it dies first, the pipe reads as ended.
    """

    def __init__(
        self,
        work: Callable[[Any, int, int], list[Any]],
        state: Any,
        bounds: list[tuple[int, int]],
        queue: int,
        output: IO[bytes],
    ) -> None:
        self.notices, telling = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            _work_in_worker(work, state, bounds, queue, output, telling)  # never returns
        os.close(telling)  # only the worker holds it: if it dies, the pipe reads as ended
        self._output = output.fileno()
        self._read_to = 0  # in the file: what this process has read of it
        self.done = False  # it said so
        self.ended = False  # and reaped

    def collect(self, into: dict[int, list[Any]], *, wait: bool) -> None:
        """Read the runs the worker has finished into *into*; with *wait*, every run, once it is done."""
        os.set_blocking(self.notices, wait)
        while not self.done:
            try:
                told = os.read(self.notices, _NOTICE_BYTES * 64)
            except BlockingIOError:
                return
            if not told:  # the worker ended without saying it was done
                _, status = os.waitpid(self.pid, 0)
                self.ended = True
                raise RuntimeError(f"a worker process ended abnormally (wait status {status})")
            for at in range(0, len(told), _NOTICE_BYTES):
                end = int.from_bytes(told[at : at + _NOTICE_BYTES], "little")
                if end == _DONE:
                    self.done = True
                    return
                index, results = pickle.loads(os.pread(self._output, end - self._read_to, self._read_to))
                self._read_to = end
                if index == _FAILED:
                    raise results
                into[index] = results
            if not wait:
                return


_NOTICE_BYTES = 8  # where a run's results end in the worker's file; less than a pipe writes at once
_DONE = 0  # no run's results end at 0: the worker is done
_FAILED = -1  # in place of a run's number: the worker's exception, in place of results


def _work_in_worker(
    work: Callable[[Any, int, int], list[Any]],
    state: Any,
    bounds: list[tuple[int, int]],
    queue: int,
    output: IO[bytes],
    telling: int,
) -> None:
    # Never returns, so that nothing of the caller's stack runs twice.
    status = 1
    told = 0  # where the last run this worker told of ends
    try:
        try:
            for index, results in _take_runs(work, state, bounds, queue):
                pickle.dump((index, results), output, protocol=pickle.HIGHEST_PROTOCOL)
                output.flush()
                told = output.tell()
                os.write(telling, told.to_bytes(_NOTICE_BYTES, "little"))
        except BaseException as error:  # handed to the parent, which raises it
            _write_failure(output, told, error)
            os.write(telling, output.tell().to_bytes(_NOTICE_BYTES, "little"))
        os.write(telling, _DONE.to_bytes(_NOTICE_BYTES, "little"))
        status = 0
    finally:
        os._exit(status)


def _write_failure(output: IO[bytes], told: int, error: BaseException) -> None:
    """Write *error* after the runs told of, in place of any half-written one."""
    try:
        _write_from(output, told, error)
    except Exception as unpicklable:  # an exception that does not pickle: its text does
        _write_from(output, told, RuntimeError(f"in a worker process: {error!r} ({unpicklable})"))


def _write_from(output: IO[bytes], at: int, error: BaseException) -> None:
    output.seek(at)
    output.truncate()
    pickle.dump((_FAILED, error), output, protocol=pickle.HIGHEST_PROTOCOL)
    output.flush()
