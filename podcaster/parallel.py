"""Share many independent pieces of work between forked copies of this process.

Reading a large catalogue and writing its feeds is Python work that one process
does on one core. :func:`map_shared` forks a worker per core; each takes runs of
the pieces and sends back its results, which this process gathers in order as
they come. Workers inherit the work's input rather than receive a copy, so it is
never pickled; only their results are. Below a threshold of pieces everything
stays in this process: starting workers would cost more than they save, and
tests and small shows never pay it.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

__all__ = ["available_cores", "can_fork", "map_shared", "worker_count"]

R = TypeVar("R")
S = TypeVar("S")

# What a forked worker inherited from map_shared: the work and the input it reads.
_inherited: tuple[Callable[[Any, int, int], list[Any]], Any] | None = None


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


def map_shared(work: Callable[[S, int, int], list[R]], state: S, count: int, processes: int) -> list[R]:
    """``work(state, start, stop)`` over runs of ``range(count)`` in *processes* workers; results in order.

    Where workers cannot be forked (:func:`can_fork`), or for one process, this one does it all.
    """
    if processes <= 1 or count < 2 or not can_fork():
        return work(state, 0, count)
    # A few runs per worker: results come back while the rest is worked on, and one slow
    # run does not keep the others waiting. This process only gathers: busy with work of
    # its own, it would leave the workers' results, and the workers, waiting in the pipe.
    runs = min(count, processes * 4)
    bounds = [(count * index // runs, count * (index + 1) // runs) for index in range(runs)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        processes, mp_context=context, initializer=_inherit, initargs=(work, state)
    ) as pool:
        return [result for results in pool.map(_run_inherited, bounds) for result in results]


def _inherit(work: Callable[[Any, int, int], list[Any]], state: Any) -> None:
    global _inherited
    _inherited = (work, state)


def _run_inherited(bounds: tuple[int, int]) -> list[Any]:
    assert _inherited is not None
    work, state = _inherited
    return work(state, *bounds)
