"""Spread many independent pieces of work over the machine's cores, in worker processes.

Reading a large catalogue and writing its feeds is pure Python work that one
process does on one core. Worker processes take a share each; below a
threshold of pieces the work stays in the calling process, where starting
workers would cost more than it saves (and tests and small shows never pay it).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

__all__ = ["available_cores", "can_share", "chunked", "map_chunks", "map_shared", "worker_count"]

T = TypeVar("T")
R = TypeVar("R")
S = TypeVar("S")

# What a forked worker inherited from map_shared: the work and the state it reads.
_inherited: tuple[Callable[[Any, int, int], list[Any]], Any] | None = None


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worker_count(pieces: int, threshold: int, workers: int | None = None) -> int:
    """How many processes should share *pieces*: 1 (this one) below *threshold*, else one per core.

    *workers*, when given, is the answer (1 keeps everything in this process).
    """
    if workers is not None:
        return max(1, workers)
    if pieces < threshold:
        return 1
    return available_cores()


def chunked(items: Sequence[T], count: int) -> list[Sequence[T]]:
    """*items* cut into *count* runs of neighbours, as even as can be (none empty)."""
    count = max(1, min(count, len(items)))
    size, extra = divmod(len(items), count)
    chunks = []
    start = 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        chunks.append(items[start:end])
        start = end
    return chunks


def map_chunks(work: Callable[[Sequence[T]], list[R]], items: Sequence[T], workers: int) -> Iterator[R]:
    """Yield ``work`` applied to runs of *items* in *workers* processes, in the order of *items*.

    Results come as each run is done, so the caller can use them while the rest is worked on.
    *work* must be a module-level function whose arguments and results pickle. With one
    worker it runs here, on all the items at once.
    """
    if workers <= 1 or len(items) < 2:
        yield from work(items)
        return
    # A few runs per worker, so that one slow run does not keep the others waiting.
    chunks = chunked(items, workers * 4)
    with ProcessPoolExecutor(max_workers=workers, mp_context=_context()) as pool:
        for results in pool.map(work, chunks):
            yield from results


def can_share() -> bool:
    """Whether workers can be forked from this process, inheriting its memory instead of a copy.

    Forking copies only the calling thread: with others running (a web server's, say)
    the child could inherit a lock one of them held, so it is kept to one-thread processes.
    """
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def map_shared(work: Callable[[S, int, int], list[R]], state: S, count: int, workers: int) -> Iterator[R]:
    """Yield ``work(state, start, stop)`` over runs of ``range(count)``, in order, in *workers* processes.

    *state* is not pickled: forked workers inherit it, so it may be as large as needed. Where
    workers cannot be forked (:func:`can_share`), or with one worker, it all runs here.
    """
    if workers <= 1 or count < 2 or not can_share():
        yield from work(state, 0, count)
        return
    bounds = [(run.start, run.stop) for run in chunked(range(count), workers * 4)]  # type: ignore[attr-defined]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_inherit, initargs=(work, state)
    ) as pool:
        for results in pool.map(_run_inherited, bounds):
            yield from results


def _inherit(work: Callable[[Any, int, int], list[Any]], state: Any) -> None:
    global _inherited
    _inherited = (work, state)


def _run_inherited(bounds: tuple[int, int]) -> list[Any]:
    assert _inherited is not None
    work, state = _inherited
    return work(state, *bounds)


def _context() -> multiprocessing.context.BaseContext:
    """Fork when it is safe (:func:`can_share`), which starts workers in milliseconds; else spawn."""
    if can_share():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")
