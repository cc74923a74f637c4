"""Read access logs into the audience database, each line once, keeping only daily aggregates."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from podcaster.errors import StatsError
from podcaster.stats.agents import classify
from podcaster.stats.counter import DownloadCounter, Tallies
from podcaster.stats.counting import EpisodeIndex, Target
from podcaster.stats.geo import CountryLookup
from podcaster.stats.logs import (
    FORMATS,
    detect_format,
    fields_header,
    fingerprint,
    first_line,
    make_parser,
    read_chunks,
)
from podcaster.stats.store import LogMark, StatsStore

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
