"""Benchmark media probing: ``python -m tests.benchmarks.bench_probe [--files N] [--minutes M]``.

Probes N files (default 1,000: copies of a few encoded sources in every
format, VBR MP3s without a Xing/VBRI header among them) and times, in the same
run and on the same files:

- ``probe()`` (Mutagen, the MPEG frame scan, sha256 of every byte);
- the target's baseline: sha256 alone of the same bytes, each file read in
  chunks. Hashing every byte is the floor of probing; probe must cost at most
  1.5 times it;
- PyAV opening each file and reading its duration, which reads only headers
  (so sha256 alone already caps how much faster than it probe can be);
- PyAV reading every packet (the cheapest exact length it can give);
- a full decode (the reference durations, on the distinct sources).

It prints each method's maximum duration error against the decoder, then
times the frame scan on one M-minute (default 35) VBR MP3 without header.
Exit status 0 when the target is met, 1 when it is missed.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import av
from mutagen import File as MutagenFile

from podcaster.media import mp3scan, probe, sha256_file
from tests.fixtures.audio import AUDIO_KINDS, decoded_duration, make_audio

TARGET = 1.5  # probe at most this many times the time of sha256 over the same bytes
_CHUNK = 1 << 20
SECONDS = 5.0  # length of each small source


def make_sources(folder: Path) -> list[Path]:
    """One short file of every kind, plus more VBR MP3s without header."""
    folder.mkdir()
    sources = [
        make_audio(folder / name, codec, SECONDS, seed=index, **options)
        for index, (codec, options, name) in enumerate(AUDIO_KINDS.values())
    ]
    for index, (seconds, channels) in enumerate([(SECONDS, 1), (2 * SECONDS, 2), (4 * SECONDS, 1)]):
        path = folder / f"noheader-{index}.mp3"
        sources.append(
            make_audio(path, "mp3", seconds, vbr=True, xing=False, channels=channels, seed=40 + index)
        )
    return sources


def spread(sources: Sequence[Path], folder: Path, count: int) -> list[Path]:
    """Copy the sources round-robin to *count* distinct paths."""
    folder.mkdir()
    copies = []
    for index in range(count):
        source = sources[index % len(sources)]
        target = folder / f"{index:05d}-{source.name}"
        shutil.copyfile(source, target)
        copies.append(target)
    return copies


def sha256_chunks(path: Path) -> str:
    """The baseline: sha256 of the file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fileobj:
        while chunk := fileobj.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def pyav_open(path: Path) -> float:
    """Open with PyAV and read the stream's duration, as a player's first look does."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        if stream.duration is not None and stream.time_base is not None:
            return float(stream.duration * stream.time_base)
        return (container.duration or 0) / av.time_base


def pyav_packets(path: Path) -> float:
    """Open with PyAV and add up every packet's duration (no decoding)."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        ticks = sum(packet.duration or 0 for packet in container.demux(stream))
        return float(ticks * stream.time_base) if stream.time_base is not None else 0.0


def mutagen_alone(path: Path) -> float:
    audio: Any = MutagenFile(path)
    return float(audio.info.length)


def best_of(runs: int, paths: Sequence[Path], function: Callable[[Path], object]) -> float:
    """The fastest of *runs* passes of *function* over every path, in seconds."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        for path in paths:
            function(path)
        best = min(best, time.perf_counter() - start)
    return best


def best_of_pair(
    runs: int, paths: Sequence[Path], first: Callable[[Path], object], second: Callable[[Path], object]
) -> tuple[float, float]:
    """The fastest passes of two functions, timed in turn so that both see the same machine load."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for function, kept in zip((first, second), times, strict=True):
            kept.append(best_of(1, paths, function))
    return min(times[0]), min(times[1])


def max_error(
    sources: Sequence[Path], reference: dict[Path, float], measure: Callable[[Path], float]
) -> float:
    return max(abs(measure(path) - reference[path]) for path in sources)


def bench_many(folder: Path, count: int, runs: int) -> tuple[float, float]:
    sources = make_sources(folder / "sources")
    paths = spread(sources, folder / "copies", count)
    size = sum(path.stat().st_size for path in paths)
    print(
        f"{count} files, {len(sources)} distinct sources (3 VBR MP3s without header), {size / 2**20:.1f} MiB"
    )

    started = time.perf_counter()
    reference = {path: decoded_duration(path) for path in sources}
    decode_each = (time.perf_counter() - started) / len(sources)

    for function in (probe, pyav_open):  # warm the page cache and the imports
        best_of(1, paths, function)
    probe_time, hash_time = best_of_pair(max(runs, 7), paths, probe, sha256_chunks)
    timings = {
        "probe()": probe_time,
        "sha256 alone (chunked reads)": hash_time,
        "sha256_file()": best_of(runs, paths, sha256_file),
        "PyAV open + stream duration": best_of(runs, paths, pyav_open),
        "PyAV open + read every packet": best_of(runs, paths, pyav_packets),
        "PyAV full decode (estimated)": decode_each * count,
    }
    errors = {
        "probe()": max_error(sources, reference, lambda path: probe(path).duration),
        "PyAV open + stream duration": max_error(sources, reference, pyav_open),
        "PyAV open + read every packet": max_error(sources, reference, pyav_packets),
        "PyAV full decode (estimated)": 0.0,
        "Mutagen alone (for the record)": max_error(sources, reference, mutagen_alone),
    }
    base = timings["probe()"]
    print(f"{'method':34} {'total ms':>9} {'per file us':>12} {'vs probe':>9} {'max error s':>12}")
    for name, seconds in timings.items():
        error = f"{errors[name]:12.4f}" if name in errors else " " * 12
        print(f"{name:34} {seconds * 1e3:9.1f} {seconds / count * 1e6:12.1f} {seconds / base:8.1f}x {error}")
    print(
        f"{'Mutagen alone (for the record)':34} {'':9} {'':12} {'':9} {errors['Mutagen alone (for the record)']:12.4f}"
    )
    opening = timings["PyAV open + stream duration"]
    # probe() must hash every byte; PyAV opening reads only headers. Hashing alone caps the ratio.
    print(f"ceiling set by sha256 alone (PyAV open / sha256): {opening / hash_time:.1f}x")
    return opening / base, probe_time / hash_time


def bench_long(folder: Path, minutes: float, runs: int) -> None:
    path = folder / "long-noheader.mp3"
    started = time.perf_counter()
    make_audio(path, "mp3", minutes * 60, vbr=True, xing=False, channels=1, seed=9)
    made = time.perf_counter() - started
    size = path.stat().st_size
    print(
        f"\n{minutes:g}-minute VBR MP3 without Xing/VBRI header: {size / 2**20:.1f} MiB (encoded in {made:.1f} s)"
    )

    info: Any = MutagenFile(path)
    scan_times = []
    for _ in range(runs):
        started = time.perf_counter()
        with path.open("rb") as fileobj:
            measured = mp3scan.measure(fileobj, info.info.frame_offset, mp3scan.audio_end(fileobj, size))
        scan_times.append(time.perf_counter() - started)
    probe_time = best_of(runs, [path], probe)
    open_time = best_of(runs, [path], pyav_open)
    started = time.perf_counter()
    decoded = decoded_duration(path)
    decode_time = time.perf_counter() - started
    print(f"  decoder (PyAV, full decode): {decoded:10.3f} s   in {decode_time * 1e3:8.1f} ms")
    print(
        f"  frame scan:                  {measured.duration:10.3f} s   in {min(scan_times) * 1e3:8.1f} ms "
        f"({measured.scan.frames if measured.scan else '?'} frames)"
    )
    print(f"  probe() (scan + sha256):     {probe(path).duration:10.3f} s   in {probe_time * 1e3:8.1f} ms")
    print(
        f"  Mutagen alone:               {info.info.length:10.3f} s   (bitrate_mode {str(info.info.bitrate_mode).split('.')[-1]})"
    )
    print(f"  PyAV open + stream duration: {pyav_open(path):10.3f} s   in {open_time * 1e3:8.1f} ms")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.bench_probe", description=__doc__)
    parser.add_argument("--files", type=int, default=1000, help="how many files to probe (default 1000)")
    parser.add_argument("--minutes", type=float, default=35.0, help="length of the long file (default 35)")
    parser.add_argument("--runs", type=int, default=3, help="timed passes; the best counts (default 3)")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-probe-") as folder:
        ratio, hash_ratio = bench_many(Path(folder), options.files, options.runs)
        bench_long(Path(folder), options.minutes, options.runs)
    print(f"\nprobe() vs PyAV opening: {ratio:.2f}x faster")
    met = hash_ratio <= TARGET
    print(
        f"probe() vs sha256 of the same bytes: {hash_ratio:.2f}x the time"
        f" (target at most {TARGET:g}x): {'met' if met else 'MISSED'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
