"""Short sample MP3s for the demo and the tests: soft chords under a speech-like murmur.

The audio is synthesised in pure Python (no numpy: it is not a runtime
dependency) and encoded by LAME through ``lameenc``, so every file is a real,
constant-bitrate MP3 whose duration any reader computes exactly. The same
arguments always give the same bytes.

The tags (title, and chapters as ID3 CHAP/CTOC frames) are written by
:func:`podcaster.media.write_tags`, as for any episode.
"""

from __future__ import annotations

import math
import os
import random
from array import array
from collections.abc import Sequence
from pathlib import Path

import lameenc

from podcaster.atomic import write_atomically
from podcaster.media import write_tags
from podcaster.models import Chapter

SAMPLE_RATE = 22_050
BITRATE_KBPS = 64
_TABLE_SIZE = 4096
_SINE = [math.sin(2 * math.pi * index / _TABLE_SIZE) for index in range(_TABLE_SIZE)]
# A major pentatonic palette: any two of these notes sound well together.
_ROOTS = (130.81, 146.83, 164.81, 196.00, 220.00)  # C3 D3 E3 G3 A3


def write_sample_audio(
    path: Path,
    *,
    seconds: float,
    title: str,
    seed: int,
    chapters: Sequence[tuple[float, str]] = (),
) -> None:
    """Write a deterministic mono MP3 of *seconds* to *path*, tagged with *title* and *chapters*."""
    if seconds <= 0:
        raise ValueError("seconds must be positive")
    pcm = synthesise(seconds, seed)
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(BITRATE_KBPS)
    encoder.set_in_sample_rate(SAMPLE_RATE)
    encoder.set_channels(1)
    encoder.set_quality(7)  # fast; the demo does not need LAME's best psychoacoustics
    audio = bytes(encoder.encode(pcm.tobytes())) + bytes(encoder.flush())
    # Tagged under a temporary name, then renamed: *path* never holds an untagged file.
    untagged = path.with_name(f".{path.name}.untagged")
    write_atomically(untagged, audio)
    try:
        ends = [start for start, _ in chapters[1:]] + [seconds] if chapters else []
        marks = [Chapter(start, name, end) for (start, name), end in zip(chapters, ends, strict=True)]
        write_tags(untagged, title=title, chapters=marks or None)
        os.replace(untagged, path)
    finally:
        untagged.unlink(missing_ok=True)


def synthesise(seconds: float, seed: int) -> array:
    """16-bit mono PCM: a slow chord progression and a murmuring 'voice' in syllables."""
    rng = random.Random(seed)
    total = int(seconds * SAMPLE_RATE)
    samples = array("h", bytes(2 * total))
    root = rng.choice(_ROOTS)
    # Four chords (I, vi, IV, V in ratios), each lasting a few seconds.
    progression = [(1.0, 1.25, 1.5), (0.84, 1.0, 1.26), (0.667, 0.84, 1.0), (0.75, 0.94, 1.125)]
    chord_length = SAMPLE_RATE * 4
    step = _TABLE_SIZE / SAMPLE_RATE
    phases = [0.0, 0.0, 0.0]
    voice_phase = 0.0
    voice_pitch = 120.0 + rng.random() * 60
    syllable_left = 0
    syllable_length = 1
    syllable_loud = 0.0
    fade = int(0.5 * SAMPLE_RATE)
    sine = _SINE
    mask = _TABLE_SIZE - 1
    for index in range(total):
        chord = progression[(index // chord_length) % 4]
        position = index % chord_length
        swell = 0.6 + 0.4 * math.sin(math.pi * position / chord_length)
        pad = 0.0
        for voice in range(3):
            phases[voice] = (phases[voice] + root * chord[voice] * step) % _TABLE_SIZE
            pad += sine[int(phases[voice]) & mask]
        if syllable_left == 0:
            # Syllables of 80–250 ms; one in five is a pause, as in speech.
            syllable_length = syllable_left = int(SAMPLE_RATE * (0.08 + rng.random() * 0.17))
            syllable_loud = 0.0 if rng.random() < 0.2 else 0.5 + rng.random() * 0.5
            voice_pitch = min(190.0, max(100.0, voice_pitch + rng.uniform(-15, 15)))
        syllable_left -= 1
        envelope = syllable_loud * sine[int(_TABLE_SIZE / 2 * syllable_left / syllable_length) & mask]
        voice_phase = (voice_phase + voice_pitch * step) % _TABLE_SIZE
        base = int(voice_phase)
        # A few harmonics with falling weights give a buzzy, vowel-like timbre.
        murmur = sine[base & mask] + 0.5 * sine[(2 * base) & mask] + 0.25 * sine[(3 * base) & mask]
        value = 0.16 * swell * pad / 3 + 0.22 * envelope * murmur / 1.75
        value *= min(1.0, index / fade, (total - index) / fade)
        samples[index] = int(value * 32767)
    return samples
