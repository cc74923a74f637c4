"""Benchmark: ``publish`` to S3 (a local SeaweedFS): a no-change publish of 500 episodes, and one new episode.

Run from the repository root::

    python -m tests.benchmarks.bench_publish [--episodes 500] [--minutes 35] [--kbps 160] [--repeat 7]

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
2. **One new episode.** A published catalogue of 50 episodes gets one new
   episode whose audio is a valid 35-minute MP3 (42 MB at 160 kbps: the frames
   of a few seconds encoded by LAME, repeated, so it probes like any MP3).
   ``publish`` takes it live end to end: probe (sha256 and frame scan), one
   listing, the upload with its verification, the feeds, the lock file. Each
   run adds another new episode and alternates with boto3's ``upload_file`` of
   the same file, every setting at its default. It prints min and median per
   side and the median of the per-pair ratios publish / upload_file (target:
   at most 1.1).
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

import boto3
import lameenc

from podcaster.actions.publish import publish
from podcaster.settings import settings_from_environment
from podcaster.storage import open_storage
from tests.benchmarks.bench_storage import use_environment
from tests.fixtures.audio import iter_pcm, make_audio
from tests.fixtures.catalogue import write_episode, write_podcast
from tests.fixtures.s3 import SeaweedServer, admin_client, delete_bucket, start_seaweedfs, stop_seaweedfs
from tests.fixtures.s3proxy import S3FaultProxy

MiB = 1 << 20
NO_CHANGE_TARGET = 1.0  # seconds
NEW_EPISODE_TARGET = 1.1  # seconds of publish / seconds of upload_file
NEW_EPISODE_CATALOGUE = 50  # episodes already published when the new one is added
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


def long_mp3(path: Path, minutes: float, kbps: int, seed: int) -> None:
    """A valid CBR MP3 of *minutes* at *kbps*: a few seconds encoded by LAME, their frames repeated.

    It probes like any MP3 (every frame is scanned); *seed* changes the sound, so the sha256 too.
    """
    encoder = lameenc.Encoder()
    encoder.set_channels(2)
    encoder.set_in_sample_rate(44100)
    encoder.set_bit_rate(kbps)
    encoder.set_quality(7)
    frames = b"".join(encoder.encode(piece) for piece in iter_pcm(5.0, seed=seed)) + encoder.flush()
    size = int(minutes * 60 * kbps * 1000 / 8)
    block = frames * max(1, (8 * MiB) // len(frames))
    with path.open("wb") as stream:
        written = 0
        while written < size:
            # Whole frames only: stop at the first frame boundary past the size.
            piece = block if size - written >= len(block) else frames * -(-(size - written) // len(frames))
            stream.write(piece)
            written += len(piece)


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
        first, first_counts, _ = counted(
            proxy, lambda: publish(root, storage_url=url, now=NOW, settings=settings_from_environment())
        )
        keys = len(open_storage(url).list())
        print(f"a catalogue of {episodes} episodes, {keys} objects in storage")
        print(
            f"  first publish (probe, upload, verify): {first:6.2f} s  {dict(sorted(first_counts.items()))}"
        )

        runs = [
            counted(
                proxy, lambda: publish(root, storage_url=url, now=NOW, settings=settings_from_environment())
            )
            for _ in range(repeat)
        ]
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


def bench_new_episode(
    server: SeaweedServer, work: Path, episodes: int, minutes: float, kbps: int, repeat: int
) -> bool:
    """Publish one new episode end to end, against boto3's ``upload_file`` of its audio; in turns."""
    root = work / "new-episode"
    write_catalogue(root, episodes, make_audio(work / "short.mp3", "mp3", 0.5, xing=False).read_bytes())
    bucket = "bench-new-episode"
    admin = admin_client(server)
    admin.create_bucket(Bucket=bucket)
    url = f"s3://{bucket}/show"
    baseline = boto3.session.Session().client("s3")  # every setting at its default
    added = 0

    def add_episode() -> Path:
        """A new episode whose audio was never probed nor sent (its own sound, so its own sha256)."""
        nonlocal added
        added += 1
        audio = root / "audio" / f"nouveau-{added:02d}.mp3"
        long_mp3(audio, minutes, kbps, seed=100 + added)
        write_episode(
            root,
            f"nouveau-{added:02d}",
            season=1,
            number=1000 + added,
            title=f"Nouvel épisode {added}",
            date=(NOW - timedelta(days=1, minutes=added)).isoformat(),
            guid=f"bench-new-{added:02d}",
            audio=audio.relative_to(root).as_posix(),
            audio_bytes=None,
        )
        return audio

    def ours(audio: Path) -> None:
        result = publish(root, storage_url=url, now=NOW, settings=settings_from_environment())
        new_media = [key for key in result.uploaded if key.startswith("media/")]
        assert len(new_media) == 1 and new_media[0].endswith(".mp3"), result.uploaded
        assert result.uploaded[-1] == "feed.xml", result.uploaded

    def theirs(audio: Path) -> None:
        baseline.upload_file(str(audio), bucket, f"baseline/{audio.name}")

    try:
        publish(
            root, storage_url=url, now=NOW, settings=settings_from_environment()
        )  # the catalogue as it was before the new episode
        audio = add_episode()
        size = audio.stat().st_size
        print(
            f"\none new {minutes:g}-minute episode ({size / 1e6:.1f} MB MP3 at {kbps} kbps) added to "
            f"{episodes} published episodes: publish (probe, listing, upload, verify, feeds, lock)"
        )
        ours(audio)  # warm-up: connections, thread pools, the bucket's first volumes
        theirs(audio)
        admin.delete_object(Bucket=bucket, Key=f"baseline/{audio.name}")
        times: dict[str, list[float]] = {"publish": [], "upload_file": []}
        ratios = []
        for number in range(repeat):
            audio = add_episode()
            order = [("publish", ours), ("upload_file", theirs)]
            pair = {}
            for name, run in order if number % 2 == 0 else reversed(order):
                start = time.perf_counter()
                run(audio)
                pair[name] = time.perf_counter() - start
                times[name].append(pair[name])
            ratios.append(pair["publish"] / pair["upload_file"])
            admin.delete_object(Bucket=bucket, Key=f"baseline/{audio.name}")
        labels = {
            "publish": "podcaster publish, end to end",
            "upload_file": "boto3 upload_file, defaults  ",
        }
        for name, values in times.items():
            each = " ".join(f"{value:.3f}" for value in values)
            print(
                f"  {labels[name]}  min {min(values):.3f} s  median {statistics.median(values):.3f} s  "
                f"({size / MiB / statistics.median(values):.0f} MiB/s; each run: {each})"
            )
        ratio = statistics.median(ratios)
        met = ratio <= NEW_EPISODE_TARGET
        print(
            f"  ratio publish / upload_file, median of {repeat} pairs: {ratio:.2f} "
            f"(each pair: {' '.join(f'{value:.2f}' for value in ratios)}; "
            f"target <= {NEW_EPISODE_TARGET}: {'met' if met else 'MISSED'})"
        )
        return met
    finally:
        baseline.close()
        delete_bucket(admin, bucket)
        admin.close()


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.bench_publish", description=__doc__)
    parser.add_argument("--episodes", type=int, default=500, help="episodes in the catalogue (default 500)")
    parser.add_argument("--minutes", type=float, default=35, help="length of the new episode (default 35)")
    parser.add_argument("--kbps", type=int, default=160, help="its MP3 bitrate (default 160)")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs of each (default 7)")
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
            new_episode = bench_new_episode(
                server, work, NEW_EPISODE_CATALOGUE, args.minutes, args.kbps, args.repeat
            )
        finally:
            stop_seaweedfs(server)
    return 0 if no_change and new_episode else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
