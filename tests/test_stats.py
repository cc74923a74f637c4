"""Audience figures: user agents, log formats, and counts that match an independent reference."""

from __future__ import annotations

import gzip
import json
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from podcaster.actions.stats import audience_figures, ingest_logs
from podcaster.cli.main import main
from podcaster.errors import StatsError
from podcaster.folder.layout import PodcastFolder
from podcaster.stats.agents import _first, classify, referrer
from podcaster.stats.counting import minute_threshold
from podcaster.stats.logs import combined_parser, detect_format, s3_parser
from tests.statslog import (
    COUNTRY_NETS,
    examples,
    first_day,
    make_events,
    make_show,
    reference,
    write_log,
)

NOW = datetime.now(UTC)

# --- user agents: every real example opawg ships must name its own entry -------------------------------


@pytest.mark.parametrize("kind", ["bots", "apps", "libraries", "browsers"])
def test_every_opawg_example_names_its_entry(kind: str) -> None:
    wrong = [(ua, name, classify(ua).name) for name, ua in examples(kind) if classify(ua).name != name]
    assert wrong == []


def test_bots_examples_are_bots_and_apps_examples_are_listeners() -> None:
    assert all(classify(ua).is_bot for _, ua in examples("bots"))
    assert not any(classify(ua).is_bot for _, ua in examples("apps"))


def test_every_device_example_matches_its_entry() -> None:
    # Devices are tried in file order like the rest; opawg's own checks only ask that an example
    # match its entry's pattern, and one watch example also matches the iPhone entry listed first.
    for name, ua in examples("devices"):
        entry = _first("devices", ua)
        assert entry is not None
        assert entry.name == name or (name, entry.name) == ("Apple Watch", "Apple iPhone"), ua


def test_every_referrer_example_names_its_entry() -> None:
    assert [(ref, name) for name, ref in examples("referrers") if referrer(ref) != name] == []


def test_agents_nobody_knows() -> None:
    assert classify("MyOwnCrawler/1.0").is_bot
    assert classify("").is_bot
    unknown = classify("SomePlayer/2.0 (Linux; Android 14)")
    assert (unknown.kind, unknown.name, unknown.device) == ("unknown", "unknown", "Android Phone")


# --- formats ---------------------------------------------------------------------------------------


def test_combined_line_with_escaped_quote_and_time_zone() -> None:
    parse = combined_parser()
    line = '203.0.113.9 - - [31/Dec/2023:23:30:00 -0200] "GET /a.mp3?x=1 HTTP/2.0" 206 4096 "-" "Odd \\"Agent\\" 1.0"'
    assert parse(line) == ("203.0.113.9", "2024-01-01", "GET", "206", "/a.mp3?x=1", 4096, 'Odd "Agent" 1.0')
    assert parse("garbage") is None


def test_s3_line_reads_the_key() -> None:
    line = (
        "owner bucket [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E57427F3EXAMPLE REST.GET.OBJECT audio/%C3%A9t%C3%A9.mp3 "
        '"GET /audio/%C3%A9t%C3%A9.mp3 HTTP/1.1" 200 - 2662992 3462992 70 10 "-" "curl/7.15.1" - s9lz= SigV4 '
        "ECDHE-RSA-AES128-GCM-SHA256 AuthHeader bucket.s3.amazonaws.com TLSv1.2 - -"
    )
    assert s3_parser()(line) == (
        "192.0.2.3",
        "2019-02-06",
        "GET",
        "200",
        "/audio/été.mp3",
        2662992,
        "curl/7.15.1",
    )
    assert detect_format(line) == "s3"
    assert (
        detect_format('192.0.2.1 - - [06/Feb/2019:00:00:38 +0000] "GET / HTTP/1.1" 200 1 "-" "x"')
        == "combined"
    )
    assert detect_format("#Version: 1.0") == "cloudfront"
    assert detect_format("hello") is None


def test_one_minute_past_the_tag() -> None:
    # 10 minutes at 128 kbps (9,600,000 bytes) behind a 200,000-byte tag: 200,000 + 960,000 bytes make a minute.
    assert minute_threshold(9_800_000, 600.0, 128_000) == 1_160_000
    assert minute_threshold(500_000, 30.0, 128_000) == 500_000  # shorter than a minute: the whole file


# --- acceptance: tens of thousands of lines, counted exactly as the reference does ---------------------


def _mmdb(path: Path) -> Path:
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(ip_version=6, database_type="GeoIP2-Country", ipv4_compatible=True)
    for prefix, code in COUNTRY_NETS.items():
        network = prefix + "0/24" if "." in prefix else prefix + ":/48"
        writer.insert_network(IPSet([network]), {"country": {"iso_code": code}})
    writer.to_db_file(str(path))
    return path


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    base = tmp_path_factory.mktemp("stats")
    day = first_day(NOW)
    root = base / "podcast"
    episodes = make_show(root, 8, day - timedelta(days=6))
    _mmdb(root / "geo.mmdb")
    show = (root / "podcast.toml").read_text("utf-8") + '\n[stats]\ngeo_db = "geo.mmdb"\n'
    (root / "podcast.toml").write_text(show, "utf-8")
    events = make_events(episodes, day, listeners=4000)
    return {"root": root, "base": base, "events": events, "episodes": episodes}


STORES = ["sqlite", "chdb"]
_fresh_count = iter(range(1_000_000))


def _fresh_store(root: Path, kind: str) -> None:
    """Start the show on an empty store of *kind*: its SQLite file, or a new chDB folder in [stats] store."""
    PodcastFolder(root).stats_db.unlink(missing_ok=True)
    show = root / "podcast.toml"
    text = show.read_text("utf-8").split("\nstore = ")[0].rstrip("\n") + "\n"
    if kind == "chdb":  # [stats] is the file's last table: the line lands in it
        text += f'store = "chdb://.podcaster/chdb-{next(_fresh_count)}"\n'
    show.write_text(text, "utf-8")


def _expected(events: list) -> dict[str, object]:
    days, apps, countries = reference(events)
    return {"days": days, "apps": apps, "countries": countries}


def _check(root: Path, events: list) -> dict:
    want = _expected(events)
    figures = audience_figures(root).to_json()
    released = {e.episode.guid: e.episode.released for e in events if e.episode}
    per_guid: Counter[str] = Counter()
    per_day: Counter[str] = Counter()
    week: Counter[str] = Counter()
    month: Counter[str] = Counter()
    for (day, guid), count in want["days"].items():  # type: ignore[attr-defined]
        per_guid[guid] += count
        per_day[day] += count
        age = (date.fromisoformat(day) - released[guid]).days
        week[guid] += count if 0 <= age < 7 else 0
        month[guid] += count if 0 <= age < 30 else 0
    assert {e["guid"]: e["first_7_days"] for e in figures["episodes"]} == dict(week)
    assert {e["guid"]: e["first_30_days"] for e in figures["episodes"]} == dict(month)
    assert 0 < sum(week.values()) < sum(month.values())
    assert figures["total"] == sum(per_guid.values()) > 1000
    assert {e["guid"]: e["downloads"] for e in figures["episodes"]} == dict(per_guid)
    assert figures["apps"] == dict(want["apps"])  # type: ignore[call-overload]
    assert figures["countries"] == dict(want["countries"])  # type: ignore[call-overload]
    assert figures["days"] == dict(per_day)
    return figures


@pytest.mark.parametrize("store", STORES)
@pytest.mark.parametrize("log_format", ["combined", "s3", "cloudfront"])
def test_counts_match_the_reference(scenario: dict, log_format: str, store: str, tmp_path: Path) -> None:
    events = scenario["events"]
    assert len(events) > 20_000
    root = scenario["root"]
    _fresh_store(root, store)
    log = write_log(tmp_path / f"access.{log_format}.log", events, log_format)
    summary = ingest_logs(root, [log], log_format=None, now=NOW)
    assert summary.files[0].format == log_format
    assert summary.tallies.bots > 0 and summary.tallies.probes > 0 and summary.tallies.no_agent > 0
    figures = _check(root, events)
    again = ingest_logs(root, [log], log_format=None, now=NOW)
    assert again.tallies.lines == 0 and again.files[0].new_bytes == 0
    assert audience_figures(root).to_json() == figures


@pytest.mark.parametrize("store", STORES)
def test_incremental_rotated_and_compressed(scenario: dict, store: str, tmp_path: Path) -> None:
    events, root = scenario["events"], scenario["root"]
    _fresh_store(root, store)
    # Logs are cut at UTC midnight: a day's requests are read in one run (see the README).
    days = sorted({e.moment.date() for e in events})
    before = [e for e in events if e.moment.date() < days[-1]]
    log = write_log(tmp_path / "access.log", before, "combined")
    ingest_logs(root, [log], log_format="combined", now=NOW)
    whole = write_log(tmp_path / "whole.log", events, "combined").read_bytes()
    log.write_bytes(
        whole[: len(log.read_bytes())] + whole[len(log.read_bytes()) :] + b"192.0.2.1 - - [01/Jan/20"
    )
    rotated = tmp_path / "access.log.1.gz"
    rotated.write_bytes(gzip.compress(log.read_bytes()))
    summary = ingest_logs(root, [rotated, log], log_format=None, now=NOW)
    assert summary.files[1].new_bytes == 0  # the same content, already read through the .gz
    _check(root, events)
    assert ingest_logs(root, [rotated, log], log_format=None, now=NOW).tallies.lines == 0


@pytest.mark.parametrize("store", STORES)
def test_nothing_personal_is_written(scenario: dict, store: str, tmp_path: Path) -> None:
    events, root = scenario["events"], scenario["root"]
    _fresh_store(root, store)
    before = {p for p in root.rglob("*") if p.is_file() and p.name != "podcast.toml"}
    log = write_log(tmp_path / "access.log", events, "combined")
    result = CliRunner().invoke(main, ["--root", str(root), "stats", "ingest", str(log)])
    assert result.exit_code == 0, result.output
    written = [
        p for p in root.rglob("*") if p.is_file() and (p not in before or p.suffix in {".sqlite", ".lock"})
    ]
    if store == "sqlite":
        assert PodcastFolder(root).stats_db in written
    else:
        assert any("chdb-" in str(p) for p in written)
    secrets = {e.ip for e in events} | {e.agent for e in events if e.agent}
    secrets |= {":".join(ip.split(":")[:4]) for ip in secrets if ip.startswith("2001:")}
    for path in written:
        data = path.read_bytes()
        found = [s for s in secrets if s.encode() in data]
        assert found == [], path


def test_cli_prints_figures(scenario: dict, tmp_path: Path) -> None:
    events, root = scenario["events"], scenario["root"]
    _fresh_store(root, "sqlite")
    log = write_log(tmp_path / "access.log.gz", events, "s3", compress=True)
    runner = CliRunner()
    result = runner.invoke(main, ["--root", str(root), "stats", "ingest", "--format", "s3", str(log)])
    assert result.exit_code == 0, result.output
    assert "downloads" in result.output
    as_json = json.loads(runner.invoke(main, ["--root", str(root), "stats", "--json"]).output)
    assert set(as_json) >= {"total", "episodes", "apps", "countries"}
    assert set(as_json["episodes"][0]) >= {"guid", "title", "downloads", "first_7_days", "first_30_days"}
    day = min(as_json["days"])
    one = json.loads(
        runner.invoke(main, ["--root", str(root), "stats", "--json", "--from", day, "--to", day]).output
    )
    assert one["total"] == as_json["days"][day]
    text = runner.invoke(main, ["--root", str(root), "stats"]).output
    assert f"{as_json['total']:,}" in text and "Épisode 1" in text
    table = runner.invoke(main, ["--root", str(root), "stats", "--csv"]).output.splitlines()
    assert table[0].startswith("guid,title") and len(table) == len(as_json["episodes"]) + 1
    bad = runner.invoke(main, ["--root", str(root), "stats", "--from", "yesterday"])
    assert bad.exit_code == 2


def test_first_days_and_retention(tmp_path: Path) -> None:
    root = tmp_path / "podcast"
    day = datetime(2024, 3, 1, tzinfo=UTC)
    episodes = make_show(root, 1, day)
    rng = random.Random(3)
    lines = []
    for offset in (0, 6, 7, 29, 30, 400):
        moment = day + timedelta(days=offset, hours=12)
        stamp = moment.strftime("%d/%b/%Y:%H:%M:%S +0000")
        ip = f"198.51.100.{rng.randint(1, 250)}"
        lines.append(
            f'{ip} - - [{stamp}] "GET /{episodes[0].key} HTTP/1.1" 200 {episodes[0].size} "-" "Overcast/3.0 (+http://overcast.fm/; iOS podcast app)"\n'
        )
    log = tmp_path / "a.log"
    log.write_text("".join(lines))
    ingest_logs(root, [log], log_format=None, now=day + timedelta(days=401))
    figures = audience_figures(root).episodes[0]
    assert (figures.first_7_days, figures.first_30_days, figures.all_time) == (2, 4, 6)
    # Thirty months later, only what is younger than 25 months is kept.
    ingest_logs(root, [], log_format=None, now=day + timedelta(days=900))
    assert audience_figures(root).total == 1


def test_unreadable_log_is_an_error(tmp_path: Path) -> None:
    root = tmp_path / "podcast"
    make_show(root, 1, datetime(2024, 3, 1, tzinfo=UTC))
    log = tmp_path / "x.log"
    log.write_text("hello world\n")
    with pytest.raises(StatsError, match="not a log format"):
        ingest_logs(root, [log], log_format=None, now=NOW)
