"""The audience database: daily download aggregates and the log files already read, behind one interface.

It holds nothing about anyone: downloads per episode, app, device and country
per UTC day, and for each log file read a digest of its first line with the
offset reached. Two engines keep it, chosen by ``[stats] store``:

- none given: SQLite in the podcast folder's uncommitted working folder
  (``PodcastFolder.stats_db``), never in anything published;
- ``clickhouse://user@host:port/database`` (``clickhouses://`` for TLS): a
  ClickHouse server through clickhouse-connect (the ``clickhouse`` extra),
  for many shows or several machines reading logs in parallel;
- ``chdb://PATH``: the same tables in the ClickHouse engine in-process (chDB),
  PATH relative to the podcast folder.

The engine's module is imported only when a store of its kind is opened.
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from podcaster.errors import StatsError

SCHEMA_VERSION = 1
DIMENSIONS = {"app": "app_days", "device": "device_days", "country": "country_days"}
AGGREGATES = ("episode_days", *DIMENSIONS.values())

# URL scheme -> the module that opens such a store (its ``open_url``).
ENGINES = {
    "sqlite": "podcaster.stats.store.sqlite",
    "clickhouse": "podcaster.stats.store.clickhouse",
    "clickhouses": "podcaster.stats.store.clickhouse",
    "chdb": "podcaster.stats.store.clickhouse",
}


@dataclass(frozen=True)
class LogMark:
    """How far a log file was read, known by its first line's digest."""

    fingerprint: str
    device: int
    inode: int
    offset: int


@dataclass(frozen=True)
class Release:
    guid: str
    day: str  # YYYY-MM-DD


class StatsStore(Protocol):
    """What every engine answers; open one with :func:`open_store`."""

    def close(self) -> None: ...

    def transaction(self) -> AbstractContextManager[None]:
        """Everything inside lands together or not at all: a crash never counts a line twice."""
        ...

    def mark(self, fingerprint: str) -> LogMark | None: ...

    def save_mark(self, mark: LogMark, today: str) -> None: ...

    def add(self, table: str, counts: Counter[tuple[str, str]]) -> None:
        """Add *counts* ((day, name) → downloads) to *table*."""
        ...

    def add_to_meta(self, key: str, count: int) -> None:
        """Add *count* to the whole number kept under *key* (requests the hop had to drop, say)."""
        ...

    def meta_count(self, key: str) -> int: ...

    def forget_before(self, day: str) -> int:
        """Delete the aggregates of days before *day*; the number of rows gone."""
        ...

    def total(self, start: str, end: str) -> int: ...

    def per_episode(self, start: str, end: str) -> dict[str, int]: ...

    def all_time(self) -> dict[str, int]:
        """Each episode's downloads ever counted (kept)."""
        ...

    def first_days(self, releases: Iterable[Release], days: int) -> dict[str, int]:
        """Each episode's downloads in its first *days* days, its release day included."""
        ...

    def per_name(self, dimension: str, start: str, end: str) -> dict[str, int]:
        """Downloads by app, device or country, most first."""
        ...

    def per_day(self, start: str, end: str) -> dict[str, int]: ...

    def episode_days(self, guid: str, start: str, end: str) -> dict[str, int]:
        """One episode's downloads per day."""
        ...

    def span(self) -> tuple[str, str] | None:
        """The first and last day holding downloads."""
        ...


def open_store(location: Path | str, *, base: Path | None = None, password: str | None = None) -> StatsStore:
    """Open the store at *location*: a path (SQLite) or a URL whose scheme names the engine.

    A relative path in the URL is read from *base* (the podcast folder);
    *password*, when given, is the server's (it beats one written in the URL).
    The URL never appears in an error: it may carry a password.
    """
    if isinstance(location, Path):
        location = f"sqlite://{location}"
    scheme = location.partition("://")[0].lower() if "://" in location else ""
    if scheme not in ENGINES:
        raise StatsError(
            f"[stats] store: unknown kind of store {scheme!r}; use one of {', '.join(sorted(ENGINES))}"
        )
    module = importlib.import_module(ENGINES[scheme])
    store: StatsStore = module.open_url(location, base=base, password=password)
    return store
