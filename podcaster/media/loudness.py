"""Integrated loudness (EBU R128 / ITU-R BS.1770-4), sample peak and clipping, measured while decoding.

PyAV decodes the audio one packet at a time; the samples go, a second at a
time, through the K-weighting filter (pyloudnorm's coefficients, run by
``scipy.signal.sosfilt`` with its state carried from one piece to the next)
and are summed into 100 ms slices. A 400 ms gating block is four slices in a
row, so the blocks overlap by 75 % as BS.1770 asks, and the whole file is
never in memory: a 2-hour episode keeps 72,000 numbers, not 600 MB of samples.
The two gates (absolute at −70 LUFS, relative at −10 LU) are applied at the end.

A :class:`LoudnessCache` keeps the results by the audio's sha256 (the podcast
folder's ``.podcaster/loudness.json``), so ``check`` and ``list --audio``
decode a file only once.
"""

from __future__ import annotations

import json
import math
from array import array
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
from pyloudnorm.iirfilter import IIRfilter
from scipy.signal import sosfilt

from podcaster.atomic import write_atomically
from podcaster.errors import MediaError

__all__ = ["Loudness", "LoudnessCache", "LoudnessMeter", "measure_loudness"]

ABSOLUTE_GATE = -70.0  # LUFS
RELATIVE_GATE = -10.0  # LU below the loudness of the blocks over the absolute gate
# Samples at or beyond the largest 16-bit value count as clipped.
FULL_SCALE = 32767 / 32768
_SLICES_PER_SECOND = 10  # 100 ms: a quarter of a 400 ms block, the 75 % overlap's step
_BLOCK_SLICES = 4
_CHUNK_SECONDS = 1.0  # samples filtered at a time: large enough for numpy, small enough for memory
# BS.1770 channel weights by FFmpeg channel name; the LFE channel is left out.
_SURROUND = {"BL", "BR", "SL", "SR", "LS", "RS"}
_VERSION = 1

Progress = Callable[[float], None]  # seconds decoded so far


@dataclass(frozen=True)
class Loudness:
    """What a decoder makes of a file: loudness, peak and clipping."""

    integrated: float | None  # LUFS; None when every block is under −70 LUFS (silence)
    sample_peak: float | None  # dBFS of the largest sample; None for digital silence
    clipped: int  # samples at or beyond full scale
    channels: int
    sample_rate: int
    duration: float  # seconds decoded


class LoudnessMeter:
    """BS.1770-4 integrated loudness, fed piece by piece: memory grows by one number per 100 ms."""

    def __init__(self, sample_rate: int, weights: list[float]) -> None:
        self.sample_rate = sample_rate
        self.weights = np.asarray(weights, dtype=np.float64)
        stages = (
            IIRfilter(4.0, 1 / np.sqrt(2), 1500.0, sample_rate, "high_shelf"),  # the head's effect
            IIRfilter(0.0, 0.5, 38.0, sample_rate, "high_pass"),  # RLB weighting
        )
        self._sos = np.array([np.concatenate([stage.b, stage.a]) / stage.a[0] for stage in stages])
        # One filter state per channel, starting at rest (silence before the first sample).
        self._state = np.zeros((self._sos.shape[0], len(weights), 2))
        self._slices = array("d")  # weighted energy of each complete 100 ms slice
        self._carry = 0.0  # energy of the slice under way
        self._done = 0  # samples seen
        self._slice_index = 0  # slices completed
        self.peak = 0.0
        self.clipped = 0

    def add(self, samples: np.ndarray) -> None:
        """Add *samples*, shaped (channels, count), as floats where 1.0 is full scale."""
        count = samples.shape[1]
        if count == 0:
            return
        magnitude = np.abs(samples)
        self.peak = max(self.peak, float(magnitude.max()))
        self.clipped += int(np.count_nonzero(magnitude >= FULL_SCALE))
        filtered, self._state = sosfilt(self._sos, samples, axis=1, zi=self._state)
        energy = np.einsum("c,cn->n", self.weights, filtered * filtered)
        start, end = self._done, self._done + count
        # Slice k ends at sample floor(k * rate / 10): exact for any rate, 11,025 Hz included.
        last = ((end + 1) * _SLICES_PER_SECOND - 1) // self.sample_rate
        ends = np.arange(self._slice_index + 1, last + 1) * self.sample_rate // _SLICES_PER_SECOND - start
        running = np.concatenate(([0.0], np.cumsum(energy)))
        if len(ends):
            sums = np.diff(running[np.concatenate(([0], ends))])
            sums[0] += self._carry
            self._slices.extend(sums.tolist())
            self._carry = float(running[-1] - running[ends[-1]])
            self._slice_index = last
        else:
            self._carry += float(running[-1])
        self._done = end

    @property
    def duration(self) -> float:
        """Seconds of audio added so far."""
        return self._done / self.sample_rate

    def blocks(self) -> np.ndarray:
        """Mean weighted energy of every complete 400 ms block, one every 100 ms."""
        slices = np.frombuffer(self._slices, dtype=np.float64)
        if len(slices) < _BLOCK_SLICES:
            return np.zeros(0)
        summed = sum(slices[i : len(slices) - _BLOCK_SLICES + 1 + i] for i in range(_BLOCK_SLICES))
        return np.asarray(summed) / (self.sample_rate * _BLOCK_SLICES / _SLICES_PER_SECOND)

    def integrated(self) -> float | None:
        """The gated loudness in LUFS, or None when nothing is over the absolute gate."""
        energies = self.blocks()
        with np.errstate(divide="ignore"):
            loudness = -0.691 + 10 * np.log10(energies)
        kept = energies[loudness >= ABSOLUTE_GATE]
        if len(kept) == 0:
            return None
        relative = -0.691 + 10 * math.log10(float(kept.mean())) + RELATIVE_GATE
        gated = energies[(loudness > relative) & (loudness > ABSOLUTE_GATE)]
        return -0.691 + 10 * math.log10(float(gated.mean()))


def measure_loudness(path: Path | str, progress: Progress | None = None) -> Loudness:
    """Decode the audio at *path* once, as a stream, and measure it. Raises MediaError if it cannot."""
    path = Path(path)
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise MediaError("no audio stream to measure", path=path)
            stream = container.streams.audio[0]
            meter: LoudnessMeter | None = None
            for chunk, layout, rate in _chunks(container, stream):
                if meter is None:
                    meter = LoudnessMeter(rate, _weights(layout))
                meter.add(chunk)
                if progress:
                    progress(meter.duration)
    except av.error.FFmpegError as error:
        raise MediaError(
            f"cannot decode the audio to measure it ({error}): export it again", path=path
        ) from error
    if meter is None:
        raise MediaError("the audio holds no samples to measure", path=path)
    return Loudness(
        integrated=_rounded(meter.integrated()),
        sample_peak=_rounded(20 * math.log10(meter.peak)) if meter.peak > 0 else None,
        clipped=meter.clipped,
        channels=len(meter.weights),
        sample_rate=meter.sample_rate,
        duration=meter.duration,
    )


def _chunks(container: Any, stream: Any) -> Iterator[tuple[np.ndarray, Any, int]]:
    """Decoded samples as float64 arrays (channels, count) of about a second each."""
    resampler = av.AudioResampler(format="dblp")  # planar doubles, same layout and rate
    pending: list[np.ndarray] = []
    held = 0
    layout, rate = None, 0
    for packet in container.demux(stream):
        try:
            frames = packet.decode()
        except av.error.InvalidDataError:
            continue  # a damaged packet: a player skips it and plays on
        for frame in frames:
            for converted in resampler.resample(frame):
                layout, rate = converted.layout, converted.sample_rate
                pending.append(converted.to_ndarray())
                held += converted.samples
                if held >= _CHUNK_SECONDS * rate:
                    yield np.concatenate(pending, axis=1), layout, rate
                    pending, held = [], 0
    for converted in resampler.resample(None):
        pending.append(converted.to_ndarray())
    if pending and layout is not None:
        yield np.concatenate(pending, axis=1), layout, rate


def _weights(layout: Any) -> list[float]:
    names = [channel.name for channel in layout.channels]
    return [0.0 if name == "LFE" else 1.41 if name in _SURROUND else 1.0 for name in names]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


class LoudnessCache:
    """Measurements by the audio's sha256, in a local, uncommitted file at *path*."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
            self.entries: dict[str, dict[str, Any]] = (
                document["measurements"] if document.get("version") == _VERSION else {}
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self.entries = {}
        self.changed = False

    def get(self, sha256: str) -> Loudness | None:
        raw = self.entries.get(sha256)
        try:
            return Loudness(**raw) if raw else None
        except TypeError:
            return None

    def measure(self, path: Path, sha256: str, progress: Progress | None = None) -> Loudness:
        """The cached measurement for this content, else a new one (remembered; call save())."""
        found = self.get(sha256)
        if found is None:
            found = measure_loudness(path, progress)
            self.entries[sha256] = asdict(found)
            self.changed = True
        return found

    def save(self) -> None:
        if self.changed:
            document = {"version": _VERSION, "measurements": self.entries}
            write_atomically(self.path, json.dumps(document, indent=1, sort_keys=True).encode("utf-8"))
            self.changed = False
