"""Benchmark: ``publish`` to S3 (a local SeaweedFS): a no-change publish of 500 episodes, and a 200 MB episode.

Run from the repository root::

    python -m tests.benchmarks.bench_publish [--episodes 500] [--size-mb 200] [--repeat 5]

It starts its own SeaweedFS (the test fixture's helpers, without pytest) and
points boto3's environment chain at it, as a producer's shell would. Then, in
the same run:

1. **No-change publish.** A catalogue of ``--episodes`` episodes (small
   generated MP3s, two seasons) is published once through the counting proxy
   of the tests; then publish runs again with nothing changed. It prints the
   median time (target: under one second), the requests that reached the
   server by method (target: one listing per 1,000 keys, no HEAD, no PUT or
   POST), and, for comparison, what the same knowledge costs with one HEAD
   per object, measured on the same objects.
2. **A 200 MB episode.** A one-episode catalogue whose audio is a valid
   200 MB MP3 (the frames of a short LAME encoding repeated: it probes like
   any MP3) is published (upload in parts, verification, feeds, lock file),
   alternating with boto3's ``upload_file`` of the same file with every
   setting at its default (target: publish at least as fast).

Objects are deleted after each upload: SeaweedFS keeps about 1.1 GB of memory
per GB stored.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3

from podcaster.actions.build import build
from podcaster.actions.publish import publish
from podcaster.storage import open_storage
from tests.benchmarks.bench_storage import use_environment
from tests.fixtures.audio import make_audio
from tests.fixtures.catalogue import write_episode, write_podcast
from tests.fixtures.s3 import SeaweedServer, admin_client, delete_bucket, start_seaweedfs, stop_seaweedfs
from tests.fixtures.s3proxy import S3FaultProxy

MiB = 1 << 20
NO_CHANGE_TARGET = 1.0  # seconds
UPLOAD_TARGET = 1.0  # publish / upload_file, in MiB/s
NOW = datetime(2024, 1, 1, tzinfo=UTC)
SHOW = """\
[show]
title = "Penser le 9-3"
description = "Le podcast de Profession Banlieue."
language = "fr"
author = "Profession Banlieue"
type = "serial"

[show.owner]
name = "Profession Banlieue"
email = "podcast@example.org"

[urls]
feed = "https://podcast.example.org/feed.xml"

[[seasons]]
number = 1
name = "Saison 1"

[[seasons]]
number = 2
name = "Saison 2"
"""


def write_catalogue(root: Path, episodes: int, audio: bytes) -> None:
    """*episodes* episodes over two seasons, each with its own copy of *audio*."""
    write_podcast(root, SHOW)
    start = datetime(2023, 1, 25, 9, tzinfo=UTC)
    for index in range(episodes):
        season = 1 + index % 2
        write_episode(
            root,
            f"episode-{index:04d}",
            season=season,
            number=index // 2 + 1,
            title=f"Épisode {index + 1}",
            date=(start + timedelta(hours=index)).isoformat(),
            guid=f"bench-{index:04d}",
            audio=f"audio/episode-{index:04d}.mp3",
            audio_bytes=audio,
        )


def repeated_mp3(path: Path, size: int, work: Path) -> None:
    """A valid CBR MP3 of at least *size* bytes: one short LAME encoding's frames, repeated."""
    frames = make_audio(work / "seed.mp3", "mp3", 5.0, xing=False).read_bytes()
    block = frames * max(1, (8 * MiB) // len(frames))
    with path.open("wb") as stream:
        written = 0
        while written < size:
            stream.write(block)
            written += len(block)


def counted(proxy: S3FaultProxy, run: Callable[[], object]) -> tuple[float, Counter[str], int]:
    """Seconds *run* took, the requests it made by method, and how many of them were listings."""
    proxy.reset()
    start = time.perf_counter()
    run()
    elapsed = time.perf_counter() - start
    return elapsed, proxy.counts, sum(1 for seen in proxy.requests if seen.is_list)


def bench_no_change(server: SeaweedServer, work: Path, episodes: int, repeat: int) -> bool:
    root = work / "catalogue"
    write_catalogue(root, episodes, make_audio(work / "short.mp3", "mp3", 0.5, xing=False).read_bytes())
    bucket = "bench-publish"
    admin = admin_client(server)
    admin.create_bucket(Bucket=bucket)
    url = f"s3://{bucket}/show"
    proxy = S3FaultProxy(server.endpoint)
    os.environ["AWS_ENDPOINT_URL"] = proxy.url
    try:
        first, first_counts, _ = counted(proxy, lambda: publish(root, storage_url=url, now=NOW))
        keys = len(open_storage(url).list())
        print(f"a catalogue of {episodes} episodes, {keys} objects in storage")
        print(
            f"  first publish (probe, upload, verify): {first:6.2f} s  {dict(sorted(first_counts.items()))}"
        )

        runs = [counted(proxy, lambda: publish(root, storage_url=url, now=NOW)) for _ in range(repeat)]
        seconds = statistics.median(run[0] for run in runs)
        methods = runs[-1][1]
        listings = runs[-1][2]
        expected_listings = math.ceil(keys / 1000)
        print(
            f"  no-change publish, in process:         {seconds:6.3f} s  (median of {repeat}; "
            f"each run: {' '.join(f'{run[0]:.3f}' for run in runs)})"
        )
        print(f"    requests: {dict(sorted(methods.items()))}; {listings} listing(s) for {keys} keys")
        command = [sys.executable, "-c", "import sys; from podcaster.cli.main import main; sys.exit(main())"]
        command += ["--root", str(root), "publish", "--storage", url]
        env = {**os.environ, "PODCASTER_NOW": NOW.isoformat()}
        proxy.reset()
        start = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        fresh = time.perf_counter() - start
        print(
            f"  no-change 'podcaster publish' command: {fresh:6.3f} s  (a fresh process: imports included;"
            f" requests {dict(sorted(proxy.counts.items()))})"
        )

        storage = open_storage(url)
        media = [key for key in storage.list() if key.startswith("media/")]
        listing, _, _ = counted(proxy, storage.list)
        heads, head_counts, _ = counted(proxy, lambda: [storage.head(key) for key in media])
        print(
            f"  knowing what is stored: one listing     {listing * 1000:7.1f} ms (1 request per 1,000 keys)"
        )
        print(
            f"                          a HEAD per object {heads * 1000:7.1f} ms "
            f"({head_counts['HEAD']} requests, x{heads / listing:.0f} the listing)"
        )
        met = (
            seconds < NO_CHANGE_TARGET
            and listings == expected_listings
            and set(methods) == {"GET"}
            and methods["GET"] == listings
        )
        print(
            f"  target: under {NO_CHANGE_TARGET:.0f} s, {expected_listings} listing(s), no HEAD/PUT/POST: "
            + ("met" if met else "MISSED")
        )
        return met
    finally:
        os.environ["AWS_ENDPOINT_URL"] = server.endpoint
        proxy.close()
        delete_bucket(admin, bucket)
        admin.close()


def bench_large_episode(server: SeaweedServer, work: Path, size_mb: int, repeat: int) -> bool:
    root = work / "one-episode"
    write_podcast(root, SHOW.split("\n[[seasons]]\nnumber = 2")[0])
    audio = root / "audio" / "long.mp3"
    audio.parent.mkdir(parents=True)
    start = time.perf_counter()
    repeated_mp3(audio, size_mb * 1_000_000, work)
    made = time.perf_counter() - start
    write_episode(root, "long-entretien", guid="bench-long", audio="audio/long.mp3", audio_bytes=None)
    start = time.perf_counter()
    build(root, NOW)  # probes the audio once (sha256 and frame scan), as 'podcaster add' would
    probed = time.perf_counter() - start
    size = audio.stat().st_size

    bucket = "bench-large"
    admin = admin_client(server)
    admin.create_bucket(Bucket=bucket)
    baseline = boto3.session.Session().client("s3")  # every setting at its default

    def empty() -> None:
        for key in [item["Key"] for item in admin.list_objects_v2(Bucket=bucket).get("Contents", [])]:
            admin.delete_object(Bucket=bucket, Key=key)

    def ours() -> Any:
        return publish(root, storage_url=f"s3://{bucket}/show", now=NOW)

    def theirs() -> None:
        baseline.upload_file(str(audio), bucket, "baseline/long.mp3")

    try:
        print(f"\na {size / 1e6:.0f} MB episode (made in {made:.1f} s, probed in {probed:.1f} s):")
        for run in (ours, theirs):  # warm-up: connections, thread pools, the bucket's first volumes
            run()
            empty()
        times: dict[str, list[float]] = {"publish": [], "upload_file": []}
        for number in range(repeat):
            order = [("publish", ours), ("upload_file", theirs)]
            for name, run in order if number % 2 == 0 else reversed(order):
                start = time.perf_counter()
                result = run()
                times[name].append(time.perf_counter() - start)
                if name == "publish":
                    assert result.uploaded[0].startswith("media/audio/"), result.uploaded
                empty()
        rates = {name: size / MiB / statistics.median(values) for name, values in times.items()}
        labels = {
            "publish": "podcaster publish (upload, verify, feeds, lock)",
            "upload_file": "boto3 upload_file, defaults                    ",
        }
        for name, values in times.items():
            each = " ".join(f"{size / MiB / value:.0f}" for value in values)
            print(f"  {labels[name]}  {rates[name]:6.1f} MiB/s  (median of {repeat}; each run: {each})")
        ratio = rates["publish"] / rates["upload_file"]
        met = ratio >= UPLOAD_TARGET
        print(
            f"  ratio publish / upload_file: {ratio:.2f} (target >= {UPLOAD_TARGET}: {'met' if met else 'MISSED'})"
        )
        return met
    finally:
        baseline.close()
        delete_bucket(admin, bucket)
        admin.close()


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.bench_publish", description=__doc__)
    parser.add_argument("--episodes", type=int, default=500, help="episodes in the catalogue (default 500)")
    parser.add_argument("--size-mb", type=int, default=200, help="size of the long episode (default 200)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each (default 5)")
    args = parser.parse_args(list(argv))

    with tempfile.TemporaryDirectory(prefix="bench-publish-") as folder:
        work = Path(folder)
        server = start_seaweedfs(work / "seaweedfs")
        try:
            use_environment(server)
            for name in (
                "PODCASTER_S3_MULTIPART_THRESHOLD",
                "PODCASTER_S3_PART_SIZE",
                "PODCASTER_S3_CONCURRENCY",
            ):
                os.environ.pop(name, None)  # the tuned defaults
            no_change = bench_no_change(server, work, args.episodes, args.repeat)
            large = bench_large_episode(server, work, args.size_mb, args.repeat)
        finally:
            stop_seaweedfs(server)
    return 0 if no_change and large else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
