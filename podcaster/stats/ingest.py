"""Read access logs, or the counting hop's requests, into the audience database, keeping only daily aggregates."""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from podcaster.errors import StatsError
from podcaster.stats.agents import classify
from podcaster.stats.counter import DownloadCounter, Tallies
from podcaster.stats.counting import EpisodeIndex, Target
from podcaster.stats.geo import CountryLookup
from podcaster.stats.logs import (
    FORMATS,
    Hit,
    detect_format,
    fields_header,
    fingerprint,
    first_line,
    make_parser,
    read_chunks,
)
from podcaster.stats.store import LogMark, StatsStore, open_store

RETENTION_MONTHS = 25


@dataclass(frozen=True)
class FileRead:
    """What became of one log file: its format and the bytes read this time (0: nothing new)."""

    path: Path
    format: str
    new_bytes: int


@dataclass(frozen=True)
class IngestSummary:
    files: tuple[FileRead, ...]
    tallies: Tallies
    forgotten_rows: int


def retention_start(today: date, months: int = RETENTION_MONTHS) -> str:
    """The first day still kept: *months* months before *today*."""
    month_index = today.year * 12 + today.month - 1 - months
    year, month = divmod(month_index, 12)
    return date(year, month + 1, min(today.day, 28)).isoformat()


def ingest(
    store: StatsStore,
    targets: Sequence[Target],
    paths: Sequence[Path],
    *,
    log_format: str | None,
    now: datetime,
    geo_db: Path | None = None,
    retention_months: int = RETENTION_MONTHS,
    progress: Callable[[str], None] | None = None,
) -> IngestSummary:
    """Count the downloads in the unread part of each of *paths*; one transaction for the whole run."""
    if log_format is not None and log_format not in FORMATS:
        raise StatsError(f"unknown log format {log_format!r}; use one of {', '.join(FORMATS)}")
    country = CountryLookup(geo_db) if geo_db else None
    counter = DownloadCounter(EpisodeIndex(targets), classify, country)
    reads: list[FileRead] = []
    marks: dict[str, LogMark] = {}
    try:
        for path in paths:
            reads.append(_read_file(path, log_format, store, marks, counter, progress))
        tallies = counter.tallies
    finally:
        counter.forget()  # the day keys and digests die with the run, whatever happened
        if country is not None:
            country.close()
    today = now.date()
    with store.transaction():
        store.add("episode_days", tallies.episodes)
        store.add("app_days", tallies.apps)
        store.add("device_days", tallies.devices)
        store.add("country_days", tallies.countries)
        for mark in marks.values():
            store.save_mark(mark, today.isoformat())
        forgotten = store.forget_before(retention_start(today, retention_months))
    return IngestSummary(tuple(reads), tallies, forgotten)


def _read_file(
    path: Path,
    log_format: str | None,
    store: StatsStore,
    marks: dict[str, LogMark],
    counter: DownloadCounter,
    progress: Callable[[str], None] | None,
) -> FileRead:
    line = first_line(path)
    if line is None:
        return FileRead(path, log_format or "?", 0)  # empty, or its first line still being written
    found = log_format or detect_format(line.decode("utf-8", "replace"))
    if found is None:
        raise StatsError(
            "not a log format podcaster reads (combined, s3, cloudfront); name it with --format", path=path
        )
    print_ = fingerprint(line)
    known = marks.get(print_) or store.mark(print_)
    start = known.offset if known else 0
    parse = make_parser(found, fields_header(path) if found == "cloudfront" else [])
    offset = start
    for lines, reached in read_chunks(path, start):
        counter.feed(lines, parse)
        offset = reached
    if progress and offset > start:
        progress(f"{path.name}: {offset - start:,} new bytes ({found})")
    info = path.stat()
    marks[print_] = LogMark(print_, info.st_dev, info.st_ino, offset)
    return FileRead(path, found, offset - start)


def _identity(hit: Hit) -> Hit:
    return hit


class HopRecorder:
    """Requests through the counting hop, counted by the log rules in memory and written in batches.

    :meth:`record` only appends to a bounded queue, so the listener's redirect
    never waits for the database: a background thread drains the queue into a
    :class:`DownloadCounter` (digests under a day key held in memory, as for a
    log), and adds the downloads gained since its last write to the store. A
    busy, locked or missing store only delays the write (the gains wait in
    memory and go with the next one); a full queue drops the request and counts
    it in :attr:`dropped`, which the store keeps too (``meta.hop_dropped``). At a new UTC day the old day's counter is finished
    and forgotten. Listeners are known within one process: run the hop in one
    worker process (threads for concurrency), or accept that a listener whose
    ranges reach two workers may count twice. *store_path* is the SQLite file,
    or a store URL (see :func:`~podcaster.stats.store.open_store`; *base* and
    *password* go with it).
    """

    def __init__(
        self,
        store_path: Path | str,
        targets: Sequence[Target],
        *,
        base: Path | None = None,
        password: str | None = None,
        geo_db: Path | None = None,
        interval: float = 2.0,
        capacity: int = 200_000,
    ) -> None:
        self.store_path = store_path
        self._base, self._password = base, password
        self.index = EpisodeIndex(targets)
        self._sizes = {key: target.size for target in targets for key in target.keys}
        self.interval = interval
        self.capacity = capacity
        self.dropped = 0
        self.written = 0  # downloads written to the store so far
        self.failed_writes = 0
        self._queue: deque[Hit] = deque()
        self._country = CountryLookup(geo_db) if geo_db else None
        self._counter = DownloadCounter(self.index, classify, self._country)
        self._day = ""
        self._counted = Tallies()  # what the counter's tallies held at the last look
        self._unsaved = Tallies()  # gains not yet in the store
        self._lock = threading.Lock()  # one drain at a time: the thread's, or close()'s
        self._starting = threading.Lock()
        self._dropped_saved = 0
        self._wake = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None
        self._pid = 0

    def record(
        self, ip: str, agent: str, method: str, key: str, range_header: str | None, now: datetime
    ) -> None:
        """Queue one request for *key*; never blocks, never raises for a full queue (it counts a drop)."""
        if len(self._queue) >= self.capacity:
            self.dropped += 1
            return
        size = requested_bytes(range_header, self._sizes.get(key, 0))
        self._queue.append((ip, now.astimezone(UTC).date().isoformat(), method, "200", key, size, agent))
        if self._thread is None or self._pid != os.getpid():
            self._start()

    def _start(self) -> None:
        # Started on first use, so that each process a server forks runs its own writer.
        with self._starting:
            if self._thread is not None and self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="podcaster-hop-writer", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop:
            self._wake.wait(self.interval)
            self.flush()

    def flush(self) -> None:
        """Count what is queued and write the gains; a store that cannot take them keeps them for later."""
        with self._lock:
            batch: list[Hit] = []
            while self._queue:
                hit = self._queue.popleft()
                if hit[1] != self._day:
                    self._feed(batch)
                    batch = []
                    if self._day:
                        self._finish_day()
                    self._day = hit[1]
                batch.append(hit)
            self._feed(batch)
            self._take_gains()
            self._write()

    def _feed(self, batch: list[Hit]) -> None:
        if batch:
            self._counter.feed(batch, _identity)  # type: ignore[arg-type]

    def _take_gains(self) -> None:
        now = self._counter.tallies
        for name in ("episodes", "apps", "devices", "countries"):
            gained = getattr(now, name) - getattr(self._counted, name)
            getattr(self._unsaved, name).update(gained)
        for name in ("lines", "other", "probes", "no_agent", "bots"):
            setattr(
                self._unsaved,
                name,
                getattr(self._unsaved, name) + getattr(now, name) - getattr(self._counted, name),
            )
        self._counted = now

    def _finish_day(self) -> None:
        self._take_gains()
        self._counter.forget()
        self._counter = DownloadCounter(self.index, classify, self._country)
        self._counted = Tallies()

    def _write(self) -> None:
        gains = self._unsaved
        dropped = self.dropped - self._dropped_saved
        if not (gains.episodes or gains.apps or gains.devices or gains.countries or dropped):
            return
        try:
            store = open_store(self.store_path, base=self._base, password=self._password)
            try:
                with store.transaction():
                    store.add("episode_days", gains.episodes)
                    store.add("app_days", gains.apps)
                    store.add("device_days", gains.devices)
                    store.add("country_days", gains.countries)
                    store.add_to_meta("hop_dropped", dropped)
            finally:
                store.close()
        except Exception:  # whatever the engine raises, the gains wait for the next write
            self.failed_writes += 1  # kept in memory; the next flush tries again
            return
        self.written += gains.downloads
        self._dropped_saved += dropped
        self._unsaved = Tallies()

    def close(self) -> None:
        """Stop the writer after a last flush; the day keys die with the counter."""
        self._stop = True
        self._wake.set()
        if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
            self._thread.join(timeout=10)
        self.flush()
        self._counter.forget()
        if self._country is not None:
            self._country.close()


def requested_bytes(range_header: str | None, size: int) -> int:
    """How many bytes a request asks for: the whole file, or its ``Range`` (one range; ``bytes=0-1``: 2)."""
    if not range_header:
        return size
    unit, _, spec = range_header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return size
    first, _, last = spec.strip().partition("-")
    try:
        if not first:  # the last N bytes
            return min(int(last), size) if size else int(last)
        start = int(first)
        end = int(last) if last else (size - 1 if size else start)
    except ValueError:
        return size
    if size:
        end = min(end, size - 1)
    return max(0, end - start + 1)
