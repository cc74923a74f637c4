"""Loudness measured while decoding, against BS.1770's own definition and pyloudnorm's whole-signal meter."""

from __future__ import annotations

import math
import re
import shutil
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pyloudnorm
import pytest
from click.testing import CliRunner
from pyloudnorm.iirfilter import IIRfilter
from scipy.signal import sosfreqz

from podcaster.actions.check import check_audio
from podcaster.cli.main import main
from podcaster.errors import MediaError
from podcaster.folder.catalogue import load_catalogue
from podcaster.folder.layout import PodcastFolder
from podcaster.media.loudness import LoudnessCache, LoudnessMeter, measure_loudness
from tests.fixtures.audio import make_audio, make_pcm
from tests.fixtures.catalogue import write_episode, write_podcast

_CONTAINERS = {"flac": "flac", "libmp3lame": "mp3", "aac": "ipod"}


def encode(path: Path, signal: np.ndarray, rate: int, encoder: str = "flac", bitrate: int = 128_000) -> Path:
    """Encode *signal* (channels, samples; 1.0 is full scale) with a real encoder."""
    layout = "mono" if signal.shape[0] == 1 else "stereo"
    pcm = np.clip(np.round(signal.T * 32767), -32768, 32767).astype("<i2")  # interleaved 16-bit
    with av.open(str(path), "w", format=_CONTAINERS[encoder]) as container:
        stream: Any = container.add_stream(encoder, rate=rate)
        stream.layout = layout
        if encoder != "flac":
            stream.codec_context.bit_rate = bitrate
        context = stream.codec_context
        resampler = av.AudioResampler(
            format=context.codec.audio_formats[0].name,
            layout=layout,
            rate=rate,
            frame_size=context.frame_size or None,
        )
        step = rate // 10
        for start in range(0, pcm.shape[0], step):
            piece = pcm[start : start + step]
            frame = av.AudioFrame(format="s16", layout=layout, samples=piece.shape[0])
            frame.planes[0].update(piece.tobytes())
            frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
            for converted in resampler.resample(frame):
                container.mux(stream.encode(converted))
        for converted in resampler.resample(None):
            container.mux(stream.encode(converted))
        container.mux(stream.encode(None))
    return path


def tone(
    level_db: float, seconds: float, rate: int = 48_000, channels: int = 2, frequency: float = 1000
) -> np.ndarray:
    times = np.arange(round(seconds * rate)) / rate
    wave = 10 ** (level_db / 20) * np.sin(2 * np.pi * frequency * times)
    return np.tile(wave, (channels, 1))


def k_weighting_gain_db(frequency: float, rate: int) -> float:
    """The K-weighting filter's gain at *frequency*, from pyloudnorm's own coefficients."""
    stages = (
        IIRfilter(4.0, 1 / np.sqrt(2), 1500.0, rate, "high_shelf"),
        IIRfilter(0.0, 0.5, 38.0, rate, "high_pass"),
    )
    sos = np.array([np.concatenate([s.b, s.a]) / s.a[0] for s in stages])
    _, response = sosfreqz(sos, worN=[frequency], fs=rate)
    return float(20 * np.log10(abs(response[0])))


def expected_sine_lufs(level_db: float, channels: int, rate: int) -> float:
    """BS.1770 for a steady sine: −0.691 + 10·log10(Σ channels · mean square after K-weighting)."""
    mean_square = 10 ** (level_db / 10) / 2
    return -0.691 + 10 * math.log10(channels * mean_square) + k_weighting_gain_db(1000, rate)


@pytest.mark.parametrize(("level", "channels"), [(-20.0, 2), (-20.0, 1), (-3.0, 2), (-35.0, 2)])
def test_a_1_khz_tone_measures_what_bs1770_says(tmp_path: Path, level: float, channels: int) -> None:
    path = encode(tmp_path / "tone.flac", tone(level, 5.0, channels=channels), 48_000)
    measured = measure_loudness(path)
    # BS.1770 calibrates K-weighting so that a 1 kHz sine at 0 dBFS in one channel reads −3.01 LKFS:
    # a stereo sine therefore reads its own level, a mono one 3.01 LU less.
    theory = level - 10 * math.log10(2 / channels)
    assert measured.integrated is not None
    assert measured.integrated == pytest.approx(theory, abs=0.5)
    # pyloudnorm's filter (the RBJ cookbook design) is 0.035 dB under the spec at 1 kHz: the exact figure.
    assert measured.integrated == pytest.approx(expected_sine_lufs(level, channels, 48_000), abs=0.02)
    assert measured.sample_peak == pytest.approx(level, abs=0.01)
    assert (measured.clipped, measured.channels, measured.sample_rate) == (0, channels, 48_000)
    assert measured.duration == pytest.approx(5.0)


def test_lossy_encodings_measure_within_half_a_lu(tmp_path: Path) -> None:
    signal = tone(-20.0, 6.0, rate=44_100)
    for encoder, name in (("libmp3lame", "tone.mp3"), ("aac", "tone.m4a")):
        measured = measure_loudness(encode(tmp_path / name, signal, 44_100, encoder))
        assert measured.integrated == pytest.approx(-20.0, abs=0.5), encoder


def pcm_array(seconds: float, rate: int, channels: int) -> np.ndarray:
    """The fixtures' sound (silence, tones, quiet and loud noise) as floats (channels, samples)."""
    raw = np.frombuffer(make_pcm(seconds, sample_rate=rate, channels=channels), dtype="<i2")
    return raw.reshape(-1, channels).T / 32768


@pytest.mark.parametrize(("rate", "channels"), [(44_100, 2), (48_000, 1), (11_025, 1), (22_050, 2)])
def test_streaming_meter_equals_pyloudnorm_on_the_whole_signal(rate: int, channels: int) -> None:
    signal = pcm_array(8.0, rate, channels)
    meter = LoudnessMeter(rate, [1.0] * channels)
    for start in range(0, signal.shape[1], 1153):  # pieces that never line up with the 100 ms slices
        meter.add(signal[:, start : start + 1153])
    reference = pyloudnorm.Meter(rate).integrated_loudness(signal.T if channels > 1 else signal[0])
    assert meter.integrated() == pytest.approx(reference, abs=0.01)
    assert meter.duration == pytest.approx(8.0)


def test_a_decoded_file_equals_pyloudnorm_on_the_same_samples(tmp_path: Path) -> None:
    signal = pcm_array(6.0, 44_100, 2)
    path = encode(tmp_path / "speech.flac", signal, 44_100)
    decoded = signal.round(5)  # FLAC is lossless: the decoder gives back these 16-bit samples
    reference = pyloudnorm.Meter(44_100).integrated_loudness(decoded.T)
    assert measure_loudness(path).integrated == pytest.approx(reference, abs=0.01)


def test_gates_leave_silence_out(tmp_path: Path) -> None:
    signal = np.concatenate([tone(-20.0, 4.0), np.zeros((2, 48_000 * 8)), tone(-50.0, 4.0)], axis=1)
    measured = measure_loudness(encode(tmp_path / "gaps.flac", signal, 48_000))
    # The silence is under the absolute gate, the −50 dB part under the relative one (−30 LUFS here).
    # What is left: the tone's 37 whole blocks, and the 3 blocks that overlap its end by 3/4, 2/4, 1/4.
    kept = 10 * math.log10((37 + 0.75 + 0.5 + 0.25) / 40)
    assert measured.integrated == pytest.approx(expected_sine_lufs(-20.0, 2, 48_000) + kept, abs=0.02)


def test_silence_peak_and_clipping(tmp_path: Path) -> None:
    silent = measure_loudness(encode(tmp_path / "silent.flac", np.zeros((2, 48_000 * 2)), 48_000))
    assert (silent.integrated, silent.sample_peak, silent.clipped) == (None, None, 0)
    loud = np.clip(tone(6.0, 2.0), -1.0, 1.0)  # a sine 6 dB too hot, flattened at full scale
    clipped = measure_loudness(encode(tmp_path / "clipped.flac", loud, 48_000))
    assert clipped.clipped > 1000
    assert clipped.sample_peak == pytest.approx(0.0, abs=0.01)


def test_what_is_not_audio_is_a_media_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp3"
    path.write_text("pas du son", encoding="utf-8")
    with pytest.raises(MediaError) as raised:
        measure_loudness(path)
    assert raised.value.path == path


def test_the_cache_measures_each_content_once(tmp_path: Path) -> None:
    path = encode(tmp_path / "tone.flac", tone(-20.0, 2.0), 48_000)
    cache_file = PodcastFolder(tmp_path).loudness_cache
    cache = LoudnessCache(cache_file)
    first = cache.measure(path, "abc")
    cache.save()
    path.unlink()  # from now on only the cache can answer
    again = LoudnessCache(cache_file)
    assert again.measure(path, "abc") == first
    assert cache_file.is_file()
    with pytest.raises(MediaError):
        again.measure(path, "another content")


# -- check and list --audio ------------------------------------------------------


def podcast(tmp_path: Path) -> Path:
    root = write_podcast(tmp_path / "podcast")
    (root / "audio").mkdir()
    # In target: stereo at −16 LUFS, 48 kHz, 128 kbps.
    encode(root / "audio" / "bien.mp3", tone(-16.0, 4.0), 48_000, "libmp3lame")
    # Too loud and clipped (lossy decoding gives samples over full scale), mono at 48 kbps.
    hot = np.clip(tone(6.0, 4.0, rate=44_100, channels=1), -1.0, 1.0)
    encode(root / "audio" / "fort.mp3", hot, 44_100, "libmp3lame", bitrate=48_000)
    # Too quiet, at 32 kHz.
    encode(root / "audio" / "rare.mp3", tone(-30.0, 4.0, rate=32_000), 32_000, "libmp3lame")
    write_episode(root, "bien", number=1, audio="audio/bien.mp3", audio_bytes=None)
    write_episode(root, "fort", number=2, audio="audio/fort.mp3", audio_bytes=None)
    write_episode(root, "rare", number=3, audio="audio/rare.mp3", audio_bytes=None)
    return root


def test_check_warns_on_loudness_clipping_bitrate_and_sample_rate(tmp_path: Path) -> None:
    root = podcast(tmp_path)
    result = CliRunner().invoke(main, ["--root", str(root), "check"], catch_exceptions=False)
    lines = [line for line in result.output.splitlines() if "warning: audio" in line]
    assert not any("bien.md" in line for line in lines), lines
    fort = "\n".join(line for line in lines if "fort.md" in line)
    assert "aim for -19 ± 1 LUFS in mono (lower it by" in fort
    assert "samples clipped (peak +" in fort
    assert re.search(r"4[78] kbps is low for mono MP3: export at 64 kbps or more", fort)
    rare = "\n".join(line for line in lines if "rare.md" in line)
    assert "aim for -16 ± 1 LUFS in stereo (raise it by 14." in rare
    assert "sample rate 32,000 Hz: podcast apps expect 44,100 or 48,000 Hz" in rare
    assert "clipped" not in rare and "kbps" not in rare
    assert "measuring the loudness of audio/fort.mp3" in result.output
    # The second time, nothing is decoded again.
    again = CliRunner().invoke(main, ["--root", str(root), "check"], catch_exceptions=False)
    assert "measuring" not in again.output
    assert [line for line in again.output.splitlines() if "warning: audio" in line] == lines
    skipped = CliRunner().invoke(
        main, ["--root", str(root), "check", "--no-loudness"], catch_exceptions=False
    )
    assert "LUFS" not in skipped.output and "sample rate 32,000 Hz" not in skipped.output


def test_check_audio_works_from_the_lock_without_the_audio(tmp_path: Path) -> None:
    root = podcast(tmp_path)
    CliRunner().invoke(main, ["--root", str(root), "build"], catch_exceptions=False)
    shutil.rmtree(root / "audio")
    problems = check_audio(load_catalogue(root))
    messages = [problem.message for problem in problems]
    assert any("sample rate 32,000 Hz" in message for message in messages)  # from the lock's facts
    assert not any("LUFS" in message for message in messages)  # never measured, nothing to decode


def test_list_audio_shows_the_figures(tmp_path: Path) -> None:
    root = podcast(tmp_path)
    result = CliRunner().invoke(main, ["--root", str(root), "list", "--audio"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    table = [line.split() for line in result.output.splitlines() if not line.startswith("measuring")]
    assert table[0][-5:] == ["LUFS", "peak", "kbps", "kHz", "ch"]
    bien = next(row for row in table if row[0] == "1" and row[1] == "1")
    assert float(bien[-5]) == pytest.approx(-16.0, abs=0.5)
    assert float(bien[-4]) == pytest.approx(-16.0, abs=0.6)  # the sine's peak, give or take MP3's ripple
    assert bien[-3:] == ["128", "48", "2"]
    fort = next(row for row in table if row[0] == "1" and row[1] == "2")
    assert fort[-2:] == ["44.1", "1"] and float(fort[-4]) > 0  # over full scale
    rare = next(row for row in table if row[0] == "1" and row[1] == "3")
    assert rare[-2:] == ["32", "2"]


def test_make_audio_files_are_measured_whatever_the_format(audio_files: dict[str, Path]) -> None:
    for kind, path in audio_files.items():
        measured = measure_loudness(path)
        assert measured.integrated is not None and -30 < measured.integrated < 0, kind
        assert measured.duration == pytest.approx(3.0, abs=0.1), kind


def test_a_long_mono_file_in_pieces(tmp_path: Path) -> None:
    path = make_audio(tmp_path / "long.mp3", "mp3", 20.0, channels=1)
    measured = measure_loudness(path)
    assert measured.channels == 1 and measured.duration == pytest.approx(20.0, abs=0.05)
