"""The audience database in ClickHouse: a server through clickhouse-connect, or chDB in-process.

The tables are SQLite's, plus a ``batch`` column. ClickHouse has no
transaction across tables, so each ingest writes its rows under a fresh batch
id and lands them by inserting that id into ``batches``, one row, last; every
query counts only rows of landed batches. A run that crashes leaves rows no
query reads (and tries to delete them); a line is never counted twice.

Several machines may ingest into one database at once (the ingestion keeps no
state of its own but the per-day listener key, in memory): the marks of the
log files read live here, and a run lands only if no other run moved the
marks of its files meanwhile, else it raises and counts nothing (run it
again). Each UTC day's log of one server must still be read by one process,
in one run: see the README.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from podcaster.errors import StatsError
from podcaster.stats.store import AGGREGATES, DIMENSIONS, SCHEMA_VERSION, LogMark, Release

# ClickHouse's Date runs from 1970 to 2149: open periods are cut to it.
FIRST_DAY, LAST_DAY = "1970-01-01", "2149-06-01"
DEFAULT_DATABASE = "podcaster"
LANDED = "batch IN (SELECT batch FROM {db}.batches)"


def _schema(db: str) -> list[str]:
    dimension = (
        "(day Date, name LowCardinality(String), downloads UInt64, batch String) "
        "ENGINE = MergeTree PARTITION BY toYYYYMM(day) ORDER BY (day, name)"
    )
    return [
        f"CREATE DATABASE IF NOT EXISTS {db}",
        f"CREATE TABLE IF NOT EXISTS {db}.meta (key String, value Int64, batch String) "
        "ENGINE = MergeTree ORDER BY key",
        f"CREATE TABLE IF NOT EXISTS {db}.batches (batch String, landed DateTime DEFAULT now()) "
        "ENGINE = MergeTree ORDER BY batch",
        f"CREATE TABLE IF NOT EXISTS {db}.log_files (fingerprint String, device UInt64, inode UInt64, "
        "offset UInt64, read_on Date, batch String) ENGINE = MergeTree ORDER BY fingerprint",
        f"CREATE TABLE IF NOT EXISTS {db}.episode_days (day Date, guid String, downloads UInt64, batch String) "
        "ENGINE = MergeTree PARTITION BY toYYYYMM(day) ORDER BY (guid, day)",
        *(f"CREATE TABLE IF NOT EXISTS {db}.{table} {dimension}" for table in DIMENSIONS.values()),
    ]


class Engine(Protocol):
    """The few calls the store makes, answered by a server client or by chDB."""

    def rows(self, sql: str, params: dict[str, Any]) -> list[list[Any]]: ...

    def insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None: ...

    def close(self) -> None: ...


class ServerEngine:
    def __init__(self, client: Any) -> None:
        self.client = client

    def rows(self, sql: str, params: dict[str, Any]) -> list[list[Any]]:
        return [list(row) for row in self.client.query(sql, parameters=params).result_rows]

    def insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        self.client.insert(table, rows, column_names=list(columns))

    def close(self) -> None:
        self.client.close()


class ChdbEngine:
    def __init__(self, session: Any) -> None:
        self.session = session

    def rows(self, sql: str, params: dict[str, Any]) -> list[list[Any]]:
        given = {name: _text(value) for name, value in params.items()}
        answer = self.session.query(sql, "JSONCompact", params=given).bytes()
        return json.loads(answer)["data"] if answer else []

    def insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        lines = "\n".join(json.dumps(dict(zip(columns, row, strict=True)), default=str) for row in rows)
        self.session.query(f"INSERT INTO {table} FORMAT JSONEachRow\n{lines}")

    def close(self) -> None:
        self.session.close()


def _text(value: Any) -> str:
    """A parameter as ClickHouse reads it in text: arrays as ``['a','b']``."""
    if isinstance(value, list | tuple):
        return (
            "[" + ",".join("'" + str(v).replace("\\", "\\\\").replace("'", "\\'") + "'" for v in value) + "]"
        )
    return str(value)


class ClickHouseStore:
    """One ClickHouse database; open it with :func:`podcaster.stats.store.open_store`."""

    def __init__(self, engine: Engine, database: str) -> None:
        self.engine = engine
        self.db = database
        self._batch: str | None = None
        self._seen: dict[str, int] = {}  # fingerprint -> landed offset when this run looked
        self._moved: set[str] = set()  # fingerprints whose marks this run saves

    def close(self) -> None:
        self.engine.close()

    def _rows(self, sql: str, **params: Any) -> list[list[Any]]:
        return self.engine.rows(sql.replace("{landed}", LANDED).replace("{db}", self.db), params)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Rows written inside land together when the batch id is inserted, last; else never."""
        if self._batch is not None:
            yield
            return
        self._batch, self._moved = uuid.uuid4().hex, set()
        try:
            yield
            self._check_marks()
            self.engine.insert(f"{self.db}.batches", ["batch"], [(self._batch,)])
        except BaseException:
            self._discard(self._batch)
            raise
        finally:
            self._batch = None

    def _check_marks(self) -> None:
        for print_ in sorted(self._moved):
            if self._landed_offset(print_) != self._seen.get(print_, 0):
                raise StatsError(
                    "another run read the same log file meanwhile: nothing of this run was counted; "
                    "run it again (see the README: one process per server's log)"
                )

    def _discard(self, batch: str) -> None:
        try:
            for table in (*AGGREGATES, "log_files", "meta"):
                self._rows(f"DELETE FROM {{db}}.{table} WHERE batch = {{b:String}}", b=batch)
        except Exception:  # unlanded rows are never read; deleting them is tidying only
            pass

    def _insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        with self.transaction():
            assert self._batch is not None
            self.engine.insert(
                f"{self.db}.{table}", [*columns, "batch"], [(*row, self._batch) for row in rows]
            )

    # Log files.

    def _landed_offset(self, fingerprint: str) -> int:
        found = self._rows(
            "SELECT max(offset) FROM {db}.log_files WHERE fingerprint = {f:String} AND {landed}",
            f=fingerprint,
        )
        return int(found[0][0]) if found and found[0][0] is not None else 0

    def mark(self, fingerprint: str) -> LogMark | None:
        found = self._rows(
            "SELECT fingerprint, device, inode, offset FROM {db}.log_files "
            "WHERE fingerprint = {f:String} AND {landed} ORDER BY offset DESC LIMIT 1",
            f=fingerprint,
        )
        self._seen[fingerprint] = int(found[0][3]) if found else 0
        return LogMark(found[0][0], *(int(v) for v in found[0][1:])) if found else None

    def save_mark(self, mark: LogMark, today: str) -> None:
        self._seen.setdefault(mark.fingerprint, 0)
        self._moved.add(mark.fingerprint)
        row = (mark.fingerprint, mark.device, mark.inode, mark.offset, date.fromisoformat(today))
        self._insert("log_files", ["fingerprint", "device", "inode", "offset", "read_on"], [row])

    # Aggregates.

    def add(self, table: str, counts: Counter[tuple[str, str]]) -> None:
        if table not in AGGREGATES:
            raise StatsError(f"no aggregate table {table!r}")
        column = "guid" if table == "episode_days" else "name"
        rows = [(date.fromisoformat(day), name, count) for (day, name), count in counts.items() if count]
        self._insert(table, ["day", column, "downloads"], rows)

    def add_to_meta(self, key: str, count: int) -> None:
        if count:
            self._insert("meta", ["key", "value"], [(key, count)])

    def meta_count(self, key: str) -> int:
        found = self._rows("SELECT sum(value) FROM {db}.meta WHERE key = {k:String} AND {landed}", k=key)
        return int(found[0][0]) if found and found[0][0] is not None else 0

    def forget_before(self, day: str) -> int:
        gone = 0
        for table in AGGREGATES:
            old = self._rows(f"SELECT count() FROM {{db}}.{table} WHERE day < {{d:Date}}", d=day)
            if int(old[0][0]):
                gone += int(old[0][0])
                self._rows(f"DELETE FROM {{db}}.{table} WHERE day < {{d:Date}}", d=day)
        return gone

    # Queries: sums over the landed rows.

    def _between(self, sql: str, start: str, end: str, **params: Any) -> list[list[Any]]:
        first, last = max(start, FIRST_DAY), min(end, LAST_DAY)
        if first > last:
            return []
        return self._rows(sql, s=first, e=last, **params)

    def total(self, start: str, end: str) -> int:
        found = self._between(
            "SELECT sum(downloads) FROM {db}.episode_days WHERE day BETWEEN {s:Date} AND {e:Date} AND {landed}",
            start,
            end,
        )
        return int(found[0][0]) if found else 0

    def per_episode(self, start: str, end: str) -> dict[str, int]:
        found = self._between(
            "SELECT guid, sum(downloads) FROM {db}.episode_days "
            "WHERE day BETWEEN {s:Date} AND {e:Date} AND {landed} GROUP BY guid",
            start,
            end,
        )
        return {guid: int(count) for guid, count in found}

    def all_time(self) -> dict[str, int]:
        found = self._rows("SELECT guid, sum(downloads) FROM {db}.episode_days WHERE {landed} GROUP BY guid")
        return {guid: int(count) for guid, count in found}

    def first_days(self, releases: Iterable[Release], days: int) -> dict[str, int]:
        releases = list(releases)
        if not releases:
            return {}
        found = self._rows(
            "SELECT e.guid, sum(e.downloads) FROM {db}.episode_days AS e INNER JOIN "
            "(SELECT g AS guid, toDate(d) AS first FROM (SELECT arrayJoin(arrayZip({g:Array(String)}, "
            "{d:Array(String)})) AS r, r.1 AS g, r.2 AS d)) AS r ON e.guid = r.guid "
            "WHERE e.day >= r.first AND e.day < r.first + {n:UInt32} AND e.{landed} GROUP BY e.guid",
            g=[r.guid for r in releases],
            d=[max(r.day, FIRST_DAY) for r in releases],
            n=days,
        )
        counts = dict.fromkeys((r.guid for r in releases), 0)
        counts.update({guid: int(count) for guid, count in found})
        return counts

    def per_name(self, dimension: str, start: str, end: str) -> dict[str, int]:
        found = self._between(
            f"SELECT name, sum(downloads) AS n FROM {{db}}.{DIMENSIONS[dimension]} "
            "WHERE day BETWEEN {s:Date} AND {e:Date} AND {landed} GROUP BY name ORDER BY n DESC, name",
            start,
            end,
        )
        return {name: int(count) for name, count in found}

    def per_day(self, start: str, end: str) -> dict[str, int]:
        found = self._between(
            "SELECT toString(day), sum(downloads) FROM {db}.episode_days "
            "WHERE day BETWEEN {s:Date} AND {e:Date} AND {landed} GROUP BY day ORDER BY day",
            start,
            end,
        )
        return {day: int(count) for day, count in found}

    def episode_days(self, guid: str, start: str, end: str) -> dict[str, int]:
        found = self._between(
            "SELECT toString(day), sum(downloads) FROM {db}.episode_days WHERE guid = {g:String} "
            "AND day BETWEEN {s:Date} AND {e:Date} AND {landed} GROUP BY day ORDER BY day",
            start,
            end,
            g=guid,
        )
        return {day: int(count) for day, count in found}

    def span(self) -> tuple[str, str] | None:
        found = self._rows(
            "SELECT toString(min(day)), toString(max(day)), count() FROM {db}.episode_days WHERE {landed}"
        )
        return (found[0][0], found[0][1]) if found and int(found[0][2]) else None


def open_url(url: str, *, base: Path | None = None, password: str | None = None) -> ClickHouseStore:
    """Open ``clickhouse://``/``clickhouses://`` (a server) or ``chdb://PATH`` (in-process), creating the tables."""
    scheme, _, rest = url.partition("://")
    scheme = scheme.lower()
    if scheme != "chdb":
        password = password if password is not None else unquote(urlsplit(url).password or "") or None
    try:
        if scheme == "chdb":
            engine, database = _chdb(rest, base)
        else:
            engine, database = _server(url, scheme == "clickhouses", password)
    except StatsError:
        raise
    except Exception as error:  # the drivers' own errors: said without the URL
        raise StatsError(
            f"cannot open the audience database in ClickHouse: {_scrub(error, password)}"
        ) from None
    store = ClickHouseStore(engine, database)
    try:
        for statement in _schema(database):
            engine.rows(statement, {})
        found = store._rows("SELECT any(value), count() FROM {db}.meta WHERE key = 'schema'")
        if not found or not int(found[0][1]):
            engine.insert(f"{database}.meta", ["key", "value", "batch"], [("schema", SCHEMA_VERSION, "")])
        elif int(found[0][0]) != SCHEMA_VERSION:
            raise StatsError(
                f"audience database of schema {found[0][0]}; this podcaster reads {SCHEMA_VERSION}"
            )
    except StatsError:
        store.close()
        raise
    except Exception as error:
        store.close()
        raise StatsError(f"cannot prepare the audience database: {_scrub(error, password)}") from None
    return store


def _chdb(rest: str, base: Path | None) -> tuple[Engine, str]:
    path_text, _, database = rest.partition("#")
    path = Path(unquote(path_text)).expanduser()
    if base is not None and not path.is_absolute():
        path = base / path
    try:
        from chdb import session  # heavy and optional: imported only for a chdb:// store
    except ImportError:
        raise StatsError(
            "[stats] store is chdb://…: install chDB first (pip install chdb, or podcaster[test])"
        ) from None
    path.mkdir(parents=True, exist_ok=True)
    return ChdbEngine(session.Session(str(path))), _database(database or DEFAULT_DATABASE)


def _server(url: str, secure: bool, password: str | None) -> tuple[Engine, str]:
    try:
        import clickhouse_connect  # heavy and optional: imported only for a clickhouse:// store
    except ImportError:
        raise StatsError(
            "[stats] store is clickhouse://…: install the 'clickhouse' extra (pip install 'podcaster[clickhouse]')"
        ) from None
    parts = urlsplit(url)
    if not parts.hostname:
        raise StatsError(
            "[stats] store: a ClickHouse URL names its host, clickhouse://user@host:port/database"
        )
    client = clickhouse_connect.get_client(
        host=parts.hostname,
        port=parts.port or (8443 if secure else 8123),
        username=unquote(parts.username or "default"),
        password=password or "",
        secure=secure,
    )
    return ServerEngine(client), _database(parts.path.strip("/") or DEFAULT_DATABASE)


def _database(name: str) -> str:
    if not name.replace("_", "").isalnum() or not name.isascii():
        raise StatsError("[stats] store: a database name is letters, digits and '_'")
    return name


def _scrub(error: BaseException, password: str | None) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text.replace(password, "***") if password else text
