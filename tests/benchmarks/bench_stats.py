"""Benchmark: ``podcaster stats ingest`` of a large access log, and the dashboard's queries.

Run from the repository root::

    python -m tests.benchmarks.bench_stats [--lines 1000000]

Measured in the same run:

- ingestion of a combined-format log of *lines* lines (real app and bot agents, IPv4 and IPv6,
  ranges, probes, whole files, other paths) for a show of 100 episodes, in a child process pinned
  to one core: lines per second (target ≥ 200,000), the child's peak memory (target < 200 MB),
  and the ratio to ``wc -l`` of the same file, the floor of reading it at all;
- the dashboard's figures for a period (total, per episode with its first 7 and 30 days, apps,
  devices, countries, per day) over two years of 100 episodes' aggregates: median time (target
  < 50 ms) and its ratio to a bare SQLite ``SELECT sum(downloads)`` over the same table.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from podcaster.folder.catalogue import load_catalogue
from podcaster.folder.layout import PodcastFolder
from podcaster.stats.counting import targets_of
from podcaster.stats.figures import audience
from podcaster.stats.store import open_store
from tests.statslog import agent_pool, make_show

LINES_TARGET = 200_000  # lines per second
MEMORY_TARGET = 200  # MB
QUERY_TARGET = 0.050  # seconds
EPISODES = 100


def write_log(path: Path, episodes: list, lines: int, start: datetime) -> None:
    """*lines* lines over two days, in time order, the mix of a real audio server's log."""
    rng = random.Random(7)
    apps, bots = agent_pool()
    listeners = []
    for index in range(lines // 8):
        agent = rng.choice(apps)[1]
        ip = (
            f"2001:db8:{index:x}:1:"
            if index % 4 == 0
            else f"10.{index >> 16 & 255}.{index >> 8 & 255}.{index & 255}"
        )
        listeners.append((ip, agent))
    step = 2 * 86400 / lines
    with path.open("w", encoding="utf-8") as out:
        batch = []
        for n in range(lines):
            moment = start + timedelta(seconds=n * step)
            stamp = moment.strftime("%d/%b/%Y:%H:%M:%S +0000")
            ip, agent = rng.choice(listeners)
            if ip.endswith(":"):
                ip += f"{rng.getrandbits(16):x}:{rng.getrandbits(16):x}:1"
            episode = rng.choice(episodes)
            kind = rng.random()
            if kind < 0.08:
                agent = rng.choice(bots)
                request, status, size = f"GET /{episode.key}", 200, episode.size
            elif kind < 0.15:
                request, status, size = f"GET /{episode.key}", 206, 2
            elif kind < 0.20:
                request, status, size = "GET /feed.xml", 200, 80_000
            elif kind < 0.60:
                request, status, size = f"GET /{episode.key}", 206, rng.randint(100_000, 1_000_000)
            else:
                request, status, size = f"GET /{episode.key}", 200, episode.size
            batch.append(f'{ip} - - [{stamp}] "{request} HTTP/1.1" {status} {size} "-" "{agent}"\n')
            if len(batch) == 10_000:
                out.write("".join(batch))
                batch.clear()
        out.write("".join(batch))


def child(root: Path, log: Path) -> None:
    """Ingest *log* into *root* on one core; print seconds and peak memory as JSON."""
    from podcaster.actions.stats import ingest_logs

    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    summary = ingest_logs(root, [log], log_format=None, now=datetime.now(UTC))
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    figures = {"seconds": seconds, "cpu": cpu, "peak_mb": after.ru_maxrss / 1024}
    print(json.dumps({**figures, "downloads": summary.tallies.downloads}))


def fill_two_years(root: Path) -> None:
    """Two years of aggregates for 100 episodes, one released every week."""
    rng = random.Random(11)
    catalogue = load_catalogue(root)
    targets = targets_of(catalogue)
    store = open_store(PodcastFolder(root).stats_db)
    first = date.fromisoformat(targets[0].released)
    days = [(first + timedelta(days=n)).isoformat() for n in range(730)]
    episodes: Counter[tuple[str, str]] = Counter()
    names: dict[str, Counter[tuple[str, str]]] = {"app": Counter(), "device": Counter(), "country": Counter()}
    for target in targets:
        out = date.fromisoformat(target.released)
        for day in days:
            age = (date.fromisoformat(day) - out).days
            if age >= 0:
                episodes[day, target.guid] += max(1, int(400 / (1 + age)))
    for day in days:
        for dimension, count in (("app", 60), ("device", 15), ("country", 40)):
            for index in range(count):
                names[dimension][day, f"{dimension}-{index}"] += rng.randint(1, 200)
    with store.transaction():
        store.add("episode_days", episodes)
        for dimension, counts in names.items():
            store.add(f"{dimension}_days", counts)
    store.close()


def median_time(action, repeat: int = 15) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=2, metavar=("ROOT", "LOG"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]))
        return 0
    work = Path(tempfile.mkdtemp(prefix="bench-stats-"))
    try:
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        root = work / "show"
        episodes = make_show(root, EPISODES, today - timedelta(days=EPISODES * 7))
        log = work / "access.log"
        write_log(log, episodes, args.lines, today - timedelta(days=3))
        size_mb = log.stat().st_size / 1e6
        wc = min(_wall(["wc", "-l", str(log)]) for _ in range(3))
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
        command = [sys.executable, "-m", "tests.benchmarks.bench_stats", "--child", str(root), str(log)]
        result = json.loads(
            subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
        )
        # The machine is shared: CPU seconds of the pinned child say what one core does, wall time what it got.
        rate = args.lines / result["cpu"]

        PodcastFolder(root).stats_db.unlink()
        fill_two_years(root)
        targets = targets_of(load_catalogue(root))
        store = open_store(PodcastFolder(root).stats_db)
        end = max(t.released for t in targets)
        start = (date.fromisoformat(end) - timedelta(days=365)).isoformat()
        dashboard = median_time(lambda: audience(store, targets, start, end))
        db = sqlite3.connect(PodcastFolder(root).stats_db)
        bare = median_time(lambda: db.execute("SELECT sum(downloads) FROM episode_days").fetchone())
        rows = db.execute("SELECT count(*) FROM episode_days").fetchone()[0]
        store.close()
        db.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{args.lines:,} lines ({size_mb:.0f} MB), {result['downloads']:,} downloads counted")
    print(f"  wc -l (baseline)            {wc:6.2f} s")
    print(
        f"  ingest, one core            {result['cpu']:6.2f} s CPU  {result['cpu'] / wc:5.1f}×  "
        f"{rate:,.0f} lines/s (target ≥ {LINES_TARGET:,})"
    )
    print(
        f"  ingest, wall clock          {result['seconds']:6.2f} s  {args.lines / result['seconds']:,.0f} lines/s"
    )
    print(f"  ingest peak memory          {result['peak_mb']:6.0f} MB (target < {MEMORY_TARGET})")
    print(f"two years of {EPISODES} episodes ({rows:,} episode-day rows)")
    print(f"  bare SELECT sum (baseline)  {bare * 1000:6.1f} ms")
    print(
        f"  dashboard, one year         {dashboard * 1000:6.1f} ms  {dashboard / bare:5.1f}× "
        f"(target < {QUERY_TARGET * 1000:.0f} ms)"
    )
    met = rate >= LINES_TARGET and result["peak_mb"] < MEMORY_TARGET and dashboard < QUERY_TARGET
    return 0 if met else 1


def _wall(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
