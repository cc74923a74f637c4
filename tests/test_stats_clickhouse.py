"""The ClickHouse audience store, run in-process through chDB: retention, parallel runs, errors that name no secret."""

from __future__ import annotations

import random
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from podcaster.actions.stats import audience_figures, ingest_logs
from podcaster.errors import StatsError
from podcaster.settings import read_settings
from podcaster.stats.store import LogMark, open_store
from podcaster.stats.store.clickhouse import ClickHouseStore
from tests.statslog import first_day, make_events, make_show, reference, write_log

pytest.importorskip("chdb")


def _on_chdb(root: Path, name: str = "chdb") -> None:
    show = root / "podcast.toml"
    show.write_text(show.read_text("utf-8") + f'\n[stats]\nstore = "chdb://.podcaster/{name}"\n', "utf-8")


def test_first_days_and_retention(tmp_path: Path) -> None:
    root = tmp_path / "podcast"
    day = datetime(2024, 3, 1, tzinfo=UTC)
    episodes = make_show(root, 1, day)
    _on_chdb(root)
    rng = random.Random(3)
    lines = []
    for offset in (0, 6, 7, 29, 30, 400):
        stamp = (day + timedelta(days=offset, hours=12)).strftime("%d/%b/%Y:%H:%M:%S +0000")
        lines.append(
            f'198.51.100.{rng.randint(1, 250)} - - [{stamp}] "GET /{episodes[0].key} HTTP/1.1" 200 '
            f'{episodes[0].size} "-" "Overcast/3.0 (+http://overcast.fm/; iOS podcast app)"\n'
        )
    log = tmp_path / "a.log"
    log.write_text("".join(lines))
    ingest_logs(root, [log], log_format=None, now=day + timedelta(days=401))
    figures = audience_figures(root).episodes[0]
    assert (figures.first_7_days, figures.first_30_days, figures.all_time) == (2, 4, 6)
    assert not (root / ".podcaster" / "stats.sqlite").exists()
    ingest_logs(root, [], log_format=None, now=day + timedelta(days=900))
    assert audience_figures(root).total == 1


def test_machines_reading_one_day_each_add_up(tmp_path: Path) -> None:
    # Stateless ingestion: each run keeps its listener key in memory only; split by day, runs add up exactly.
    root = tmp_path / "podcast"
    now = datetime.now(UTC)
    day = first_day(now)
    episodes = make_show(root, 3, day - timedelta(days=2))
    _on_chdb(root)
    events = make_events(episodes, day, listeners=600)
    for n, when in enumerate(sorted({e.moment.date() for e in events})):
        log = write_log(tmp_path / f"day{n}.log", [e for e in events if e.moment.date() == when], "combined")
        ingest_logs(root, [log], log_format="combined", now=now)
    days, apps, _ = reference(events)
    figures = audience_figures(root)
    assert figures.total == sum(days.values()) > 100
    assert figures.apps == dict(apps)


def test_a_run_racing_another_on_the_same_file_counts_nothing(tmp_path: Path) -> None:
    store = open_store(f"chdb://{tmp_path / 'db'}")
    assert isinstance(store, ClickHouseStore)
    try:
        other = ClickHouseStore(store.engine, store.db)  # a second machine, as far as the tables can tell
        assert store.mark("f1") is None and other.mark("f1") is None
        with other.transaction():
            other.add("episode_days", Counter({("2024-01-01", "g"): 5}))
            other.save_mark(LogMark("f1", 1, 2, 100), "2024-01-02")
        with pytest.raises(StatsError, match="another run read the same log file"), store.transaction():
            store.add("episode_days", Counter({("2024-01-01", "g"): 5}))
            store.save_mark(LogMark("f1", 1, 2, 100), "2024-01-02")
        assert store.total("2024-01-01", "2024-01-01") == 5
        assert store.mark("f1") == LogMark("f1", 1, 2, 100)
        with store.transaction():  # having looked again, it may go on from there
            store.add("episode_days", Counter({("2024-01-02", "g"): 1}))
            store.save_mark(LogMark("f1", 1, 2, 150), "2024-01-02")
        assert store.all_time() == {"g": 6}
    finally:
        store.close()


def test_a_crash_inside_a_run_lands_nothing(tmp_path: Path) -> None:
    store = open_store(f"chdb://{tmp_path / 'db'}")
    try:
        with pytest.raises(RuntimeError), store.transaction():
            store.add("episode_days", Counter({("2024-01-01", "g"): 5}))
            store.add_to_meta("hop_dropped", 3)
            raise RuntimeError("power cut")
        assert (store.total("0001-01-01", "9999-12-31"), store.meta_count("hop_dropped"), store.span()) == (
            0,
            0,
            None,
        )
    finally:
        store.close()


def test_missing_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "clickhouse_connect", None)  # as if the extra were not installed
    with pytest.raises(StatsError, match=r"podcaster\[clickhouse\]"):
        open_store("clickhouse://user@127.0.0.1:1/podcaster")


def test_the_password_is_never_told() -> None:
    pytest.importorskip("clickhouse_connect")
    for url, password in (
        ("clickhouse://u:s3cr%40t@127.0.0.1:1/db", None),
        ("clickhouse://u@127.0.0.1:1/db", "s3cr@t"),
    ):
        with pytest.raises(StatsError) as error:
            open_store(url, password=password)
        assert "s3cr" not in str(error.value)
    settings = read_settings({"PODCASTER_CLICKHOUSE_PASSWORD": "s3cr@t"})
    assert settings.stats_password == "s3cr@t" and "s3cr" not in repr(settings)


def test_unknown_store_kind_is_refused() -> None:
    with pytest.raises(StatsError, match="unknown kind of store 'postgres'"):
        open_store("postgres://u:pw@host/db")
