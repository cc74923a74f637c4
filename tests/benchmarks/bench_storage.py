"""Benchmark: uploading a large episode to S3 (a local SeaweedFS) with our put_file and with boto3.

Run from the repository root::

    python -m tests.benchmarks.bench_storage [--size-mb 200] [--repeat 5] [--sweep]

It starts its own SeaweedFS (the test fixture's helpers, without pytest),
then, in the same run and alternating, uploads one file of ``--size-mb`` MB:

- with :meth:`podcaster.storage.S3Storage.put_file` opened from
  ``s3://bench`` through boto3's environment chain, exactly as ``publish``
  does: tuned multipart, sha256 hashed beside the upload, then verified (a
  HEAD and a ranged GET);
- with boto3's ``upload_file`` and every setting left at its default (the
  baseline: 8 MB parts, 10 threads, boto3's default checksums).

It prints the median MiB/s of each and their ratio (target: ours at least as
fast, ratio >= 1.0), with the CPU time each side used: the server's
dominates, so on a busy machine the CPU figures are steadier than the
rates. ``--sweep`` also times other part sizes and thread
counts (how :class:`~podcaster.storage.s3.TransferSettings` was tuned).
Each object is deleted after its upload: SeaweedFS holds about 1.1 GB of
memory per GB stored.

A second figure: finding what is stored for 500 objects with one listing
against one HEAD per object (what a no-change publish must avoid).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3

from podcaster.settings import read_s3_settings
from podcaster.storage import S3Storage, TransferSettings, open_storage
from tests.fixtures.s3 import SeaweedServer, admin_client, start_seaweedfs, stop_seaweedfs

MiB = 1 << 20
BUCKET = "bench"
TARGET_RATIO = 1.0
SWEEP = [(part, threads) for part in (8, 16, 32, 64) for threads in (4, 8)]


def make_file(path: Path, size: int) -> str:
    """Write *size* bytes of random data (incompressible, like audio); return their sha256."""
    digest = hashlib.sha256()
    with path.open("wb") as stream:
        remaining = size
        while remaining:
            chunk = os.urandom(min(4 * MiB, remaining))
            stream.write(chunk)
            digest.update(chunk)
            remaining -= len(chunk)
    return digest.hexdigest()


def server_cpu(pid: int) -> float:
    """CPU seconds used so far by the server process (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(upload: Callable[[], object], admin: Any, key: str, pid: int) -> tuple[float, float, float]:
    """Wall seconds, our CPU seconds and the server's CPU seconds for *upload*; the object is deleted after."""
    cpu, server = time.process_time(), server_cpu(pid)
    start = time.perf_counter()
    upload()
    elapsed = time.perf_counter() - start
    cpu, server = time.process_time() - cpu, server_cpu(pid) - server
    admin.delete_object(Bucket=BUCKET, Key=key)
    return elapsed, cpu, server


def use_environment(server: SeaweedServer) -> None:
    """Point boto3's chain at the server, as a producer's shell would."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL_S3", "PODCASTER_S3_ADDRESSING", "AWS_MAX_ATTEMPTS"):
        os.environ.pop(name, None)
    os.environ.update(
        AWS_ENDPOINT_URL=server.endpoint,
        AWS_ACCESS_KEY_ID=server.access_key,
        AWS_SECRET_ACCESS_KEY=server.secret_key,
        AWS_DEFAULT_REGION=server.region,
        AWS_EC2_METADATA_DISABLED="true",
    )


def bench_upload(server: SeaweedServer, path: Path, sha256: str, repeat: int) -> float:
    admin = admin_client(server)
    size = path.stat().st_size
    ours = open_storage(f"s3://{BUCKET}", settings=read_s3_settings(os.environ))  # as the CLI opens it
    baseline = boto3.session.Session().client("s3")  # every setting at its default

    def put_ours() -> None:
        ours.put_file(
            "audio/ours.mp3", path, content_type="audio/mpeg", cache_control="max-age=1", sha256=sha256
        )

    def put_baseline() -> None:
        baseline.upload_file(str(path), BUCKET, "audio/baseline.mp3")

    # A warm-up each: connections, thread pools, the bucket's first volumes.
    timed(put_ours, admin, "audio/ours.mp3", server.pid)
    timed(put_baseline, admin, "audio/baseline.mp3", server.pid)
    runs: dict[str, list[tuple[float, float, float]]] = {"boto3 default": [], "ours": []}
    for round_number in range(repeat):
        order = [("ours", put_ours, "audio/ours.mp3"), ("boto3 default", put_baseline, "audio/baseline.mp3")]
        if round_number % 2:
            order.reverse()
        for name, upload, key in order:
            runs[name].append(timed(upload, admin, key, server.pid))

    rates = {name: size / MiB / statistics.median(run[0] for run in values) for name, values in runs.items()}
    settings = ours.transfer if isinstance(ours, S3Storage) else None
    print(f"upload of {size / 1e6:.0f} MB, median of {repeat} (alternating), same server:")
    labels = {"boto3 default": "boto3 upload_file, defaults ", "ours": "podcaster put_file (+verify)"}
    for name, values in runs.items():
        every = " ".join(f"{size / MiB / run[0]:.0f}" for run in values)
        client = statistics.median(run[1] for run in values)
        store = statistics.median(run[2] for run in values)
        print(
            f"  {labels[name]}  {rates[name]:6.1f} MiB/s  (cpu: ours {client:.2f} s, server {store:.2f} s;"
            f" each run: {every})"
        )
    print(f"  our settings: {settings}")
    ratio = rates["ours"] / rates["boto3 default"]
    verdict = "met" if ratio >= TARGET_RATIO else "MISSED"
    print(f"  ratio ours / boto3: {ratio:.2f} (target >= {TARGET_RATIO}: {verdict})")
    baseline.close()
    admin.close()
    return ratio


def bench_sweep(server: SeaweedServer, path: Path, sha256: str) -> None:
    admin = admin_client(server)
    size = path.stat().st_size
    print("sweep (one upload each, verify included):")
    for part_mb, threads in SWEEP:
        settings = TransferSettings(threshold=16 * MiB, part_size=part_mb * MiB, concurrency=threads)
        storage = S3Storage.from_url(
            f"s3://{BUCKET}",
            base=Path.cwd(),
            settings=replace(read_s3_settings(os.environ), transfer=settings),
        )
        upload = functools.partial(
            storage.put_file,
            "audio/sweep.mp3",
            path,
            content_type="audio/mpeg",
            cache_control="max-age=1",
            sha256=sha256,
        )
        elapsed, _, _ = timed(upload, admin, "audio/sweep.mp3", server.pid)
        print(f"  parts {part_mb:3d} MiB x {threads:2d} threads  {size / MiB / elapsed:7.1f} MiB/s")
    admin.close()


def bench_listing(server: SeaweedServer, count: int = 500) -> None:
    admin = admin_client(server)
    storage = open_storage(f"s3://{BUCKET}/listing")
    keys = [f"audio/saison-1/episode-{number:04d}-1a2b3c4d.mp3" for number in range(count)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda key: admin.put_object(Bucket=BUCKET, Key=f"listing/{key}", Body=b"x"), keys))
    storage.list()  # warm-up
    start = time.perf_counter()
    listed = storage.list()
    listing = time.perf_counter() - start
    start = time.perf_counter()
    for key in keys:
        storage.head(key)
    heads = time.perf_counter() - start
    assert len(listed) == count
    print(f"what is stored, {count} objects: one listing {listing * 1000:6.1f} ms (1 request)")
    print(
        f"                              a HEAD each {heads * 1000:6.1f} ms ({count} requests, x{heads / listing:.0f})"
    )
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda key: admin.delete_object(Bucket=BUCKET, Key=f"listing/{key}"), keys))
    admin.close()


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.bench_storage", description=__doc__)
    parser.add_argument("--size-mb", type=int, default=200, help="size of the uploaded file (default 200)")
    parser.add_argument("--repeat", type=int, default=5, help="timed uploads of each kind (default 5)")
    parser.add_argument("--sweep", action="store_true", help="also time other part sizes and thread counts")
    args = parser.parse_args(list(argv))

    with tempfile.TemporaryDirectory(prefix="bench-storage-") as folder:
        work = Path(folder)
        server = start_seaweedfs(work / "seaweedfs")
        try:
            use_environment(server)
            admin_client(server).create_bucket(Bucket=BUCKET)
            path = work / "episode.mp3"
            sha256 = make_file(path, args.size_mb * 1_000_000)
            ratio = bench_upload(server, path, sha256, args.repeat)
            if args.sweep:
                bench_sweep(server, path, sha256)
            bench_listing(server)
        finally:
            stop_seaweedfs(server)
    return 0 if ratio >= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
