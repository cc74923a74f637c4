"""Benchmark loudness measurement: ``python -m tests.benchmarks.bench_loudness [--hours H] [--minutes M]``.

Makes an M-minute (default 10) stereo 44.1 kHz MP3 of speech-like sound, and
an H-hour (default 2) file of the same frames repeated, then measures, each in
a fresh Python process so that its peak memory is its own:

1. ``measure_loudness()`` on the long file: peak resident memory, read with
   ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` once the process is done
   (the target: under 200 MB, since decoding is streamed);
2. on the short file, in the same run: ``measure_loudness()`` beside the
   baseline, pyloudnorm's ``Meter.integrated_loudness`` on the whole signal
   decoded into memory (its time, its memory, and that both give the same LUFS).

Exit status 0 when every target is met, 1 when one is missed.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.fixtures.audio import make_audio

MEMORY_TARGET_MB = 200.0
AGREEMENT_LU = 0.05  # streaming and whole-signal meters must agree this closely

_STREAMING = """
import json, resource, sys, time
from podcaster.media.loudness import measure_loudness
start = time.perf_counter()
result = measure_loudness(sys.argv[1])
print(json.dumps({"lufs": result.integrated, "seconds": time.perf_counter() - start,
                  "duration": result.duration,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

# The baseline: decode everything into one array, then pyloudnorm's meter on the whole signal.
_WHOLE_SIGNAL = """
import json, resource, sys, time
import av, numpy as np, pyloudnorm
start = time.perf_counter()
with av.open(sys.argv[1]) as container:
    stream = container.streams.audio[0]
    resampler = av.AudioResampler(format="dblp")
    pieces = [converted.to_ndarray() for frame in container.decode(stream) for converted in resampler.resample(frame)]
    pieces += [converted.to_ndarray() for converted in resampler.resample(None)]
    rate = stream.rate
signal = np.concatenate(pieces, axis=1)
del pieces
decoded = time.perf_counter() - start
lufs = pyloudnorm.Meter(rate).integrated_loudness(signal.T)
print(json.dumps({"lufs": float(lufs), "seconds": time.perf_counter() - start, "decode_seconds": decoded,
                  "duration": signal.shape[1] / rate,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_child(script: str, path: Path) -> dict[str, float]:
    """Run *script* on *path* in a fresh interpreter and return what it printed."""
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], check=True, capture_output=True, text=True
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


def make_files(folder: Path, minutes: float, hours: float) -> tuple[Path, Path]:
    """The short MP3 (LAME, constant bitrate, no header) and the long one: its frames over and over."""
    started = time.perf_counter()
    short = make_audio(folder / "short.mp3", "mp3", minutes * 60, xing=False, channels=2, seed=9)
    frames = short.read_bytes()
    copies = max(1, round(hours * 60 / minutes))
    long = folder / "long.mp3"
    with long.open("wb") as out:
        for _ in range(copies):
            out.write(frames)  # MPEG frames simply follow one another: a valid, longer stream
    print(
        f"made a {minutes:g}-minute MP3 ({short.stat().st_size / 1e6:.1f} MB) and a {copies * minutes / 60:g}-hour"
        f" one ({long.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - started:.1f} s"
    )
    return short, long


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.bench_loudness", description=__doc__)
    parser.add_argument("--hours", type=float, default=2.0, help="length of the long file (default 2)")
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the short file (default 10)")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-loudness-") as folder:
        short, long = make_files(Path(folder), options.minutes, options.hours)
        # First child of this process: RUSAGE_CHILDREN's peak is this measurement's alone.
        streamed = run_child(_STREAMING, long)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        ours = run_child(_STREAMING, short)
        baseline = run_child(_WHOLE_SIGNAL, short)
    hours = streamed["duration"] / 3600
    print(
        f"\n{hours:.2f} h file, streamed: {streamed['lufs']:.2f} LUFS in {streamed['seconds']:.1f} s"
        f" ({streamed['duration'] / streamed['seconds']:.0f}x real time), peak memory {peak_mb:.0f} MB"
    )
    minutes = ours["duration"] / 60
    print(f"\n{minutes:.1f} min file          LUFS      time   peak memory")
    print(f"  streamed (ours)   {ours['lufs']:8.2f}  {ours['seconds']:6.2f} s  {ours['rss_mb']:6.0f} MB")
    print(
        f"  pyloudnorm whole  {baseline['lufs']:8.2f}  {baseline['seconds']:6.2f} s  {baseline['rss_mb']:6.0f} MB"
        f"   (of which decoding {baseline['decode_seconds']:.2f} s)"
    )
    print(
        f"  ratio: {baseline['seconds'] / ours['seconds']:.1f}x faster,"
        f" {baseline['rss_mb'] / ours['rss_mb']:.1f}x less memory than the whole-signal meter"
    )
    agreement = abs(ours["lufs"] - baseline["lufs"])
    memory_met = peak_mb < MEMORY_TARGET_MB
    agree_met = agreement <= AGREEMENT_LU
    print(
        f"\npeak memory on the {hours:.2f} h file: {peak_mb:.0f} MB (target < {MEMORY_TARGET_MB:g} MB):"
        f" {'met' if memory_met else 'MISSED'}"
    )
    print(
        f"agreement with pyloudnorm: {agreement:.3f} LU (target <= {AGREEMENT_LU} LU):"
        f" {'met' if agree_met else 'MISSED'}"
    )
    return 0 if memory_met and agree_met else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
