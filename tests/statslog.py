"""Access logs made up for the stats tests and benchmark, and an independent reference count of them.

The requests come from real user agents (opawg's examples: apps, players, browsers, bots, HTTP
libraries), over IPv4 and IPv6 (whose low 64 bits change from request to request), as whole
files, ranges, ``bytes=0-1`` probes, HEADs, errors and other paths, around UTC midnights. The
reference applies the counting rules to the events themselves, not to the rendered lines.
"""

from __future__ import annotations

import gzip
import json
import random
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

from podcaster.folder.lockfile import load_lock
from podcaster.models import MediaInfo
from tests.fixtures.catalogue import write_episode, write_podcast

OPAWG = Path(__file__).parent / "data" / "opawg"
SRC = Path(__file__).parent.parent / "podcaster" / "stats" / "data" / "opawg"
BITRATE = 128_000
MINUTE_BYTES = BITRATE * 60 // 8


def examples(name: str) -> list[tuple[str, str]]:
    """(expected entry name, user agent) pairs from one opawg examples file."""
    document = json.loads((OPAWG / f"{name}.examples.json").read_text("utf-8"))
    return [(entry["name"], example) for entry in document["entries"] for example in entry["examples"]]


def agent_pool() -> tuple[list[tuple[str, str]], list[str]]:
    """Listeners' agents as (app name, agent), and bots' agents."""
    bot_libraries = {
        entry["name"]
        for entry in json.loads((SRC / "libraries.json").read_text("utf-8"))["entries"]
        if entry.get("category") == "bot"
    }
    listeners = [(name, ua) for name, ua in examples("apps") + examples("browsers") if _greppable(ua, name)]
    listeners += [(n, ua) for n, ua in examples("libraries") if n not in bot_libraries and _greppable(ua, n)]
    bots = [ua for _, ua in examples("bots") if _greppable(ua)]
    bots += [ua for n, ua in examples("libraries") if n in bot_libraries and _greppable(ua)]
    return listeners, [*bots, "SomeNewCrawler/0.1 (+https://crawler.example)"]


def _greppable(ua: str, name: str = "") -> bool:
    # Long enough that finding it in a file means the agent itself was written, not an app's name.
    return (
        ua not in name
        and len(ua) >= 16
        and '"' not in ua
        and "\\" not in ua
        and "\t" not in ua
        and ua.isprintable()
    )


@dataclass(frozen=True)
class Episode:
    guid: str
    slug: str
    title: str
    size: int
    duration: float
    key: str
    released: date

    @property
    def threshold(self) -> int:
        tag = self.size - int(self.duration * BITRATE / 8)
        return min(tag + MINUTE_BYTES, self.size)


@dataclass(frozen=True)
class Event:
    moment: datetime  # UTC
    ip: str
    agent: str  # "" for none
    method: str
    status: int
    path: str
    size: int
    episode: Episode | None
    bot: bool
    app: str
    country: str


def make_show(root: Path, count: int, released: datetime) -> list[Episode]:
    """A podcast folder of *count* episodes whose lock file knows their audio (no audio needed)."""
    write_podcast(root)
    lock = load_lock(root)
    episodes = []
    for number in range(1, count + 1):
        slug = f"episode-{number}"
        guid = str(uuid.UUID(int=number))
        out = released + timedelta(days=number - 1)
        write_episode(root, slug, number=number, title=f"Épisode {number}", guid=guid, date=out.isoformat())
        duration = 600.0 + 60 * number
        size = int(duration * BITRATE / 8) + 150_000 + 1000 * number  # audio plus an ID3 tag with artwork
        sha = f"{number:08x}" + "0" * 56
        lock.record_media(
            guid, f"audio/{slug}.mp3", MediaInfo(size, sha, duration, "audio/mpeg", BITRATE, 44100, 2, "mp3")
        )
        episodes.append(
            Episode(
                guid,
                slug,
                f"Épisode {number}",
                size,
                duration,
                f"audio/saison-1/{slug}-{sha[:8]}.mp3",
                out.astimezone(UTC).date(),
            )
        )
    lock.save()
    return episodes


COUNTRY_NETS = {"198.51.100.": "FR", "203.0.113.": "BE", "2001:db8:1:": "CA"}


def make_events(
    episodes: list[Episode], first_day: datetime, *, listeners: int, seed: int = 13
) -> list[Event]:
    """Requests of *listeners* listeners and some bots over three UTC days, sorted by time."""
    rng = random.Random(seed)
    apps, bots = agent_pool()
    people = []
    for index in range(listeners):
        name, agent = rng.choice(apps)
        if index % 3 == 0:
            ip = f"2001:db8:{rng.choice(['1', '2'])}:{index:x}:"  # a /64 prefix; the rest changes per request
        else:
            ip = f"{rng.choice(['198.51.100', '203.0.113', '192.0.2'])}.{index % 250 + 1}"
        people.append((ip, name, agent, False))
    for index in range(max(5, listeners // 20)):
        people.append((f"192.0.2.{200 + index % 50}", "", rng.choice(bots), True))
    people.append(("192.0.2.250", "", "", False))  # no user agent at all
    events: list[Event] = []
    for ip, name, agent, bot in people:
        for _ in range(rng.randint(1, 6)):
            episode = rng.choice(episodes)
            moment = first_day + timedelta(days=rng.randint(0, 2), hours=23, minutes=rng.randint(0, 20))
            moment += timedelta(seconds=rng.randint(0, 59), minutes=rng.choice([0, 0, 30]))  # across midnight
            events.extend(_session(rng, ip, name, agent, bot, episode, moment))
    events.sort(key=lambda event: event.moment)
    return events


def _session(
    rng: random.Random, ip: str, name: str, agent: str, bot: bool, episode: Episode, moment: datetime
) -> list[Event]:
    def event(
        method: str, status: int, size: int, path: str = "", seconds: int = 0, counted: bool = True
    ) -> Event:
        address = ip + ":".join(f"{rng.getrandbits(16):x}" for _ in range(4)) if ip.endswith(":") else ip
        country = next((code for prefix, code in COUNTRY_NETS.items() if address.startswith(prefix)), "??")
        return Event(
            moment + timedelta(seconds=seconds),
            address,
            agent,
            method,
            status,
            path or "/" + episode.key,
            size,
            episode if counted else None,
            bot,
            name,
            country,
        )

    kind = rng.random()
    if kind < 0.3:  # a probe, then the whole file
        return [event("GET", 206, 2), event("GET", 200, episode.size, seconds=1)]
    if kind < 0.55:  # a player fetching in ranges, maybe stopping before a minute
        return [
            event("GET", 206, rng.randint(100_000, 400_000), seconds=i * 5) for i in range(rng.randint(1, 8))
        ]
    if kind < 0.65:
        return [event("HEAD", 200, 0), event("GET", 304, 0, seconds=2)]
    if kind < 0.72:
        return [
            event("GET", 404, 300, path="/audio/saison-1/missing.mp3", counted=False),
            event("GET", 200, 9000, path="/feed.xml", counted=False),
        ]
    if kind < 0.8:  # an older upload of the same episode (another content hash), with a query string
        old = "/" + episode.key.replace(episode.key[-12:-4], "deadbeef") + "?from=feed"
        return [event("GET", 200, episode.size, path=old)]
    return [event("GET", 200, rng.randint(episode.threshold - 1000, episode.size))]


def reference(events: list[Event]) -> tuple[Counter[tuple[str, str]], Counter[str], Counter[str]]:
    """Downloads by (day, guid), by app and by country, by the rules applied to the events."""
    fetched: Counter[tuple[str, str, str, str]] = Counter()
    who: dict[tuple[str, str, str, str], Event] = {}
    for e in events:
        if (
            e.method != "GET"
            or not 200 <= e.status < 300
            or e.episode is None
            or e.size <= 2
            or not e.agent
            or e.bot
        ):
            continue
        network = ":".join(e.ip.split(":")[:4]) if ":" in e.ip else e.ip
        key = (e.moment.date().isoformat(), network, e.agent, e.episode.guid)
        fetched[key] += e.size
        thresholds = e.episode.threshold
        if key not in who and fetched[key] >= thresholds:
            who[key] = e
    days: Counter[tuple[str, str]] = Counter()
    apps: Counter[str] = Counter()
    countries: Counter[str] = Counter()
    for (day, _, _, guid), e in who.items():
        days[day, guid] += 1
        apps[e.app] += 1
        countries[e.country] += 1
    return days, apps, countries


ZONES = (
    UTC,
    timezone(timedelta(hours=2)),
    timezone(timedelta(hours=-5)),
    timezone(timedelta(hours=5, minutes=30)),
)


def combined_line(e: Event, rng: random.Random) -> str:
    zone = rng.choice(ZONES)
    stamp = e.moment.astimezone(zone).strftime("%d/%b/%Y:%H:%M:%S %z")
    return f'{e.ip} - - [{stamp}] "{e.method} {e.path} HTTP/1.1" {e.status} {e.size} "-" "{e.agent or "-"}"\n'


def s3_line(e: Event, rng: random.Random) -> str:
    stamp = e.moment.strftime("%d/%b/%Y:%H:%M:%S +0000")
    key = quote(e.path.split("?")[0].lstrip("/"))
    op = f"REST.{e.method}.OBJECT"
    return (
        f"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be podcast-bucket [{stamp}] {e.ip} - "
        f'3E57427F3EXAMPLE {op} {key} "{e.method} {e.path} HTTP/1.1" {e.status} - {e.size} {e.size} 70 10 '
        f'"-" "{e.agent or "-"}" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= '
        f"SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader podcast-bucket.s3.amazonaws.com TLSv1.2 - -\n"
    )


def cloudfront_line(e: Event, rng: random.Random) -> str:
    agent = quote(e.agent, safe="/();,:.+=").replace("%", "%25") if e.agent else "-"
    stem, _, query = e.path.partition("?")
    values = [
        e.moment.strftime("%Y-%m-%d"),
        e.moment.strftime("%H:%M:%S"),
        "CDG50-C1",
        str(e.size),
        e.ip,
        e.method,
        "d111111abcdef8.cloudfront.net",
        stem,
        str(e.status),
        "-",
        agent,
        query or "-",
        "-",
        "Hit",
        "SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==",
        "podcast.example.org",
        "https",
        "23",
        "0.001",
        "-",
        "TLSv1.3",
        "TLS_AES_128_GCM_SHA256",
        "Hit",
        "HTTP/2.0",
        "-",
        "-",
        "11040",
        "0.001",
        "Hit",
        "audio/mpeg",
        str(e.size),
        "-",
        "-",
    ]
    return "\t".join(values) + "\n"


CLOUDFRONT_HEADER = (
    "#Version: 1.0\n#Fields: "
    + " ".join(
        [
            "date",
            "time",
            "x-edge-location",
            "sc-bytes",
            "c-ip",
            "cs-method",
            "cs(Host)",
            "cs-uri-stem",
            "sc-status",
            "cs(Referer)",
            "cs(User-Agent)",
            "cs-uri-query",
            "cs(Cookie)",
            "x-edge-result-type",
            "x-edge-request-id",
            "x-host-header",
            "cs-protocol",
            "cs-bytes",
            "time-taken",
            "x-forwarded-for",
            "ssl-protocol",
            "ssl-cipher",
            "x-edge-response-result-type",
            "cs-protocol-version",
            "fle-status",
            "fle-encrypted-fields",
            "c-port",
            "time-to-first-byte",
            "x-edge-detailed-result-type",
            "sc-content-type",
            "sc-content-len",
            "sc-range-start",
            "sc-range-end",
        ]
    )
    + "\n"
)
RENDER = {"combined": combined_line, "s3": s3_line, "cloudfront": cloudfront_line}


def write_log(
    path: Path, events: list[Event], log_format: str, *, seed: int = 1, compress: bool = False
) -> Path:
    rng = random.Random(seed)
    text = (CLOUDFRONT_HEADER if log_format == "cloudfront" else "") + "".join(
        RENDER[log_format](e, rng) for e in events
    )
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def first_day(today: datetime | None = None) -> datetime:
    """Three days ending yesterday, so the retention never reaches them."""
    now = today or datetime.now(UTC)
    return datetime(now.year, now.month, now.day, tzinfo=UTC) - timedelta(days=4)
