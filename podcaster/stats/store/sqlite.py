"""The audience database in one SQLite file: the default, in the podcast folder's working folder.

One writer at a time (SQLite's lock), each ingest one transaction; aggregates
older than the retention (25 months by default) are deleted at each ingest.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from podcaster.errors import StatsError
from podcaster.stats.store import DIMENSIONS, SCHEMA_VERSION, LogMark, Release

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS log_files (
    fingerprint TEXT PRIMARY KEY, device INTEGER, inode INTEGER, offset INTEGER NOT NULL, read_on TEXT
);
CREATE TABLE IF NOT EXISTS episode_days (
    day TEXT NOT NULL, guid TEXT NOT NULL, downloads INTEGER NOT NULL, PRIMARY KEY (day, guid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS episode_days_by_guid ON episode_days (guid, day, downloads);
CREATE TABLE IF NOT EXISTS app_days (
    day TEXT NOT NULL, name TEXT NOT NULL, downloads INTEGER NOT NULL, PRIMARY KEY (day, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS device_days (
    day TEXT NOT NULL, name TEXT NOT NULL, downloads INTEGER NOT NULL, PRIMARY KEY (day, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS country_days (
    day TEXT NOT NULL, name TEXT NOT NULL, downloads INTEGER NOT NULL, PRIMARY KEY (day, name)
) WITHOUT ROWID;
"""


class SqliteStore:
    """One SQLite file; open it with :func:`podcaster.stats.store.open_store`."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.db = connection

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside lands together or not at all: a crash never counts a line twice."""
        with self.db:
            yield

    # Log files.

    def mark(self, fingerprint: str) -> LogMark | None:
        row = self.db.execute(
            "SELECT fingerprint, device, inode, offset FROM log_files WHERE fingerprint = ?", (fingerprint,)
        ).fetchone()
        return LogMark(*row) if row else None

    def save_mark(self, mark: LogMark, today: str) -> None:
        self.db.execute(
            "INSERT INTO log_files VALUES (?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO UPDATE SET "
            "device = excluded.device, inode = excluded.inode, offset = excluded.offset, read_on = excluded.read_on",
            (mark.fingerprint, mark.device, mark.inode, mark.offset, today),
        )

    # Aggregates.

    def add(self, table: str, counts: Counter[tuple[str, str]]) -> None:
        """Add *counts* ((day, name) → downloads) to *table*."""
        column = "guid" if table == "episode_days" else "name"
        self.db.executemany(
            f"INSERT INTO {table} (day, {column}, downloads) VALUES (?, ?, ?) ON CONFLICT (day, {column}) "
            "DO UPDATE SET downloads = downloads + excluded.downloads",
            ((day, name, count) for (day, name), count in counts.items()),
        )

    def add_to_meta(self, key: str, count: int) -> None:
        """Add *count* to the whole number kept under *key* (requests the hop had to drop, say)."""
        if count:
            self.db.execute(
                "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
                "value = CAST(value AS INTEGER) + CAST(excluded.value AS INTEGER)",
                (key, str(count)),
            )

    def meta_count(self, key: str) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def forget_before(self, day: str) -> int:
        """Delete the aggregates of days before *day*; the number of rows gone."""
        gone = 0
        for table in ("episode_days", *DIMENSIONS.values()):
            gone += self.db.execute(f"DELETE FROM {table} WHERE day < ?", (day,)).rowcount
        return gone

    # Queries, each one indexed range scan.

    def total(self, start: str, end: str) -> int:
        row = self.db.execute(
            "SELECT coalesce(sum(downloads), 0) FROM episode_days WHERE day BETWEEN ? AND ?", (start, end)
        ).fetchone()
        return int(row[0])

    def per_episode(self, start: str, end: str) -> dict[str, int]:
        rows = self.db.execute(
            "SELECT guid, sum(downloads) FROM episode_days WHERE day BETWEEN ? AND ? GROUP BY guid",
            (start, end),
        )
        return {guid: int(count) for guid, count in rows}

    def all_time(self) -> dict[str, int]:
        """Each episode's downloads ever counted (kept): the guid index answers it in order."""
        rows = self.db.execute("SELECT guid, sum(downloads) FROM episode_days GROUP BY guid")
        return {guid: int(count) for guid, count in rows}

    def first_days(self, releases: Iterable[Release], days: int) -> dict[str, int]:
        """Each episode's downloads in its first *days* days, its release day included."""
        counts = {}
        for release in releases:
            end = date.fromordinal(date.fromisoformat(release.day).toordinal() + days - 1).isoformat()
            row = self.db.execute(
                "SELECT coalesce(sum(downloads), 0) FROM episode_days WHERE guid = ? AND day BETWEEN ? AND ?",
                (release.guid, release.day, end),
            ).fetchone()
            counts[release.guid] = int(row[0])
        return counts

    def per_name(self, dimension: str, start: str, end: str) -> dict[str, int]:
        """Downloads by app, device or country, most first."""
        rows = self.db.execute(
            f"SELECT name, sum(downloads) AS n FROM {DIMENSIONS[dimension]} WHERE day BETWEEN ? AND ? "
            "GROUP BY name ORDER BY n DESC, name",
            (start, end),
        )
        return {name: int(count) for name, count in rows}

    def per_day(self, start: str, end: str) -> dict[str, int]:
        rows = self.db.execute(
            "SELECT day, sum(downloads) FROM episode_days WHERE day BETWEEN ? AND ? GROUP BY day ORDER BY day",
            (start, end),
        )
        return {day: int(count) for day, count in rows}

    def episode_days(self, guid: str, start: str, end: str) -> dict[str, int]:
        """One episode's downloads per day: the guid index answers it in order."""
        rows = self.db.execute(
            "SELECT day, downloads FROM episode_days WHERE guid = ? AND day BETWEEN ? AND ? ORDER BY day",
            (guid, start, end),
        )
        return {day: int(count) for day, count in rows}

    def span(self) -> tuple[str, str] | None:
        """The first and last day holding downloads."""
        row = self.db.execute("SELECT min(day), max(day) FROM episode_days").fetchone()
        return (row[0], row[1]) if row and row[0] else None


def open_url(url: str, *, base: Path | None = None, password: str | None = None) -> SqliteStore:
    """Open ``sqlite://PATH`` (PATH relative to *base*); SQLite has no password."""
    path = Path(url.partition("://")[2]).expanduser()
    return open_path(base / path if base is not None and not path.is_absolute() else path)


def open_path(path: Path) -> SqliteStore:
    """Open the database at *path*, creating it (and its indexes) on first use."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, isolation_level="DEFERRED")
        with connection:
            connection.executescript(_SCHEMA)
            row = connection.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is None:
                connection.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            elif row[0] != str(SCHEMA_VERSION):
                raise StatsError(
                    f"audience database of schema {row[0]}; this podcaster reads {SCHEMA_VERSION}"
                )
    except sqlite3.Error as error:
        raise StatsError(f"cannot open the audience database: {error}", path=path) from None
    return SqliteStore(connection)
