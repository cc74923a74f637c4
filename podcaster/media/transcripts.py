"""Transcripts: read and validate WebVTT and SRT files into cues, every problem named by file and line.

A transcript is what makes an audio page accessible, and podcast apps show
it in step with the audio, so a file that cannot be read the same way
everywhere is refused rather than guessed at: it must be UTF-8, its cue times
well formed, each cue ending after it starts, cues in time order, and none
ending after the audio does.

Transcripts are named in an episode's front matter, or found beside the
episode file by name (see :func:`discover`): ``<slug>.vtt``, ``<slug>.srt``,
``<slug>.fr.vtt``…
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from podcaster.errors import CatalogueError, Problem, raise_if_errors
from podcaster.models import Episode, Transcript

VTT_TYPE = "text/vtt"
SRT_TYPE = "application/x-subrip"
TIMED_TYPES = (
    VTT_TYPE,
    SRT_TYPE,
)  # the formats read here; JSON and HTML transcripts are passed on as they are
_SUFFIX_TYPES = {".vtt": VTT_TYPE, ".srt": SRT_TYPE}

# How far past the audio's end a cue may run: encoders and transcription tools round differently.
END_TOLERANCE = 0.5

_VTT_TIME = re.compile(r"(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})")
_SRT_TIME = re.compile(r"(\d{1,}):([0-5]\d):([0-5]\d),(\d{3})")
_VTT_HEADER = re.compile(r"^WEBVTT(?:[ \t].*)?$")
_NEWLINES = re.compile(r"\r\n|\r|\n")
_TAG = re.compile(r"<[^>]*>")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?[ \t]+([^>]+)>")
_SPACES = re.compile(r"\s+")
# <slug>.vtt, <slug>.srt, <slug>.fr.vtt, <slug>.pt-BR.srt
_BESIDE = re.compile(
    r"^(?P<slug>[a-z0-9-]+?)(?:\.(?P<lang>[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*))?\.(?P<ext>vtt|srt)$"
)


@dataclass(frozen=True)
class Cue:
    """One timed piece of a transcript; *line* is where its times are written in the file."""

    start: float
    end: float
    text: str
    speaker: str | None = None
    line: int = 0


def transcript_type(path: Path | str) -> str | None:
    """The MIME type a transcript file's name announces (its content is checked when it is read)."""
    return _SUFFIX_TYPES.get(Path(path).suffix.lower())


def read_transcript(
    path: Path, *, duration: float | None = None, mime_type: str | None = None
) -> tuple[Cue, ...]:
    """Read a WebVTT or SRT file into cues; raise :class:`CatalogueError` with every problem in it."""
    cues, problems = parse_transcript_file(path, duration=duration, mime_type=mime_type)
    raise_if_errors(problems, CatalogueError)
    return cues


def parse_transcript_file(
    path: Path, *, duration: float | None = None, mime_type: str | None = None
) -> tuple[tuple[Cue, ...], list[Problem]]:
    """The cues a file holds and every problem found in it (the cues read are kept even with errors)."""
    kind = mime_type if mime_type in TIMED_TYPES else transcript_type(path)
    if kind is None:
        return (), [Problem(path, "not a transcript format podcaster reads: use .vtt (WebVTT) or .srt (SRT)")]
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return (), [Problem(path, "transcript file not found")]
    except OSError as error:
        return (), [Problem(path, f"cannot read the transcript: {error.strerror}")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start : error.start + 1].hex()
        message = (
            f"not valid UTF-8 (byte 0x{byte}); save the transcript as UTF-8 "
            "(apps read transcripts as UTF-8 and would show broken letters)"
        )
        return (), [Problem(path, message, line)]
    if kind == VTT_TYPE:
        return parse_vtt(text, path, duration=duration)
    return parse_srt(text, path, duration=duration)


def parse_vtt(
    text: str, path: Path | str, *, duration: float | None = None
) -> tuple[tuple[Cue, ...], list[Problem]]:
    """Read WebVTT text: a ``WEBVTT`` line, then cues (``NOTE``, ``STYLE`` and ``REGION`` blocks skipped)."""
    lines = _NEWLINES.split(text)
    problems: list[Problem] = []
    if not lines or not _VTT_HEADER.match(lines[0]):
        hint = " (this looks like SRT: name it .srt)" if _looks_like_srt(lines) else ""
        return (), [Problem(path, f"a WebVTT file must start with a 'WEBVTT' line{hint}", 1)]
    raw: list[tuple[float, float, list[str], int]] = []
    blocks = _blocks(lines)
    next(blocks, None)  # the header block: WEBVTT and its metadata lines
    for first, block in blocks:
        keyword = block[0].split(maxsplit=1)[0] if block[0].split() else ""
        if keyword in ("NOTE", "STYLE", "REGION") and "-->" not in block[0]:
            continue
        if "-->" in block[0]:
            at = 0
        elif len(block) > 1 and "-->" in block[1]:
            at = 1  # a cue identifier comes first
        else:
            problems.append(Problem(path, f"expected cue times 'start --> end', found {block[0]!r}", first))
            continue
        times = _times(block[at], _VTT_TIME, path, first + at, problems, "HH:MM:SS.mmm or MM:SS.mmm")
        if times is not None:
            raw.append((*times, block[at + 1 :], first + at))
    cues = [_vtt_cue(start, end, payload, line) for start, end, payload, line in raw]
    problems.extend(_order_problems(cues, path, duration))
    if not cues and not problems:
        problems.append(Problem(path, "the transcript holds no cue", 1))
    return tuple(cues), sorted(problems, key=lambda problem: problem.line or 0)


def parse_srt(
    text: str, path: Path | str, *, duration: float | None = None
) -> tuple[tuple[Cue, ...], list[Problem]]:
    """Read SRT text: numbered cues, ``HH:MM:SS,mmm --> HH:MM:SS,mmm``, then their text."""
    lines = _NEWLINES.split(text)
    if lines and _VTT_HEADER.match(lines[0]):
        return (), [Problem(path, "this is a WebVTT file (it starts with 'WEBVTT'): name it .vtt", 1)]
    problems: list[Problem] = []
    cues: list[Cue] = []
    for first, block in _blocks(lines):
        if "-->" in block[0]:
            at = 0  # the cue number is missing; the times are what matters
        elif block[0].strip().isdigit() and len(block) > 1 and "-->" in block[1]:
            at = 1
        else:
            problems.append(
                Problem(path, f"expected a cue number, then 'start --> end' times; found {block[0]!r}", first)
            )
            continue
        times = _times(block[at], _SRT_TIME, path, first + at, problems, "HH:MM:SS,mmm")
        if times is not None:
            body = " ".join(_TAG.sub("", line).strip() for line in block[at + 1 :])
            cues.append(Cue(times[0], times[1], _SPACES.sub(" ", body).strip(), None, first + at))
    problems.extend(_order_problems(cues, path, duration))
    if not cues and not problems:
        problems.append(Problem(path, "the transcript holds no cue", 1))
    return tuple(cues), sorted(problems, key=lambda problem: problem.line or 0)


def _blocks(lines: list[str]) -> Iterator[tuple[int, list[str]]]:
    """Runs of non-blank lines with the (1-based) number of their first line."""
    block: list[str] = []
    start = 0
    for number, line in enumerate(lines, start=1):
        if line.strip():
            if not block:
                start = number
            block.append(line)
        elif block:
            yield start, block
            block = []
    if block:
        yield start, block


def _times(
    line: str, pattern: re.Pattern[str], path: Path | str, number: int, problems: list[Problem], form: str
) -> tuple[float, float] | None:
    if line.count("-->") != 1:
        problems.append(Problem(path, f"malformed cue times {line.strip()!r}: write 'start --> end'", number))
        return None
    left, right = line.split("-->")
    # WebVTT cue settings (and SRT's old X1:… coordinates) may follow the end time.
    after = right.split()
    right = after[0] if after else ""
    found = []
    for part in (left.strip(), right):
        match = pattern.fullmatch(part)
        if match is None:
            hint = ""
            if pattern is _SRT_TIME and _SRT_TIME.fullmatch(part.replace(".", ",")):
                hint = " (SRT puts a comma before the milliseconds)"
            problems.append(Problem(path, f"malformed time {part!r}: write {form}{hint}", number))
            return None
        hours, minutes, seconds, millis = match.groups()
        found.append(int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000)
    return found[0], found[1]


def _vtt_cue(start: float, end: float, payload: list[str], line: int) -> Cue:
    joined = " ".join(payload)
    voice = _VOICE.search(joined)
    speaker = html.unescape(voice.group(1)).strip() if voice else None
    text = html.unescape(_TAG.sub("", joined))
    return Cue(start, end, _SPACES.sub(" ", text).strip(), speaker or None, line)


def _order_problems(cues: Iterable[Cue], path: Path | str, duration: float | None) -> Iterator[Problem]:
    previous: Cue | None = None
    for cue in cues:
        if cue.end <= cue.start:
            yield Problem(
                path,
                f"the cue ends at {clock(cue.end)}, not after it starts ({clock(cue.start)})",
                cue.line,
            )
        if previous is not None and cue.start < previous.start:
            yield Problem(
                path,
                f"the cue starts at {clock(cue.start)}, before the previous one "
                f"({clock(previous.start)}, line {previous.line}): cues must be in time order",
                cue.line,
            )
        if duration is not None and cue.end > duration + END_TOLERANCE:
            yield Problem(
                path,
                f"the cue ends at {clock(cue.end)}, after the end of the audio ({clock(duration)})",
                cue.line,
            )
        previous = cue if previous is None or cue.start >= previous.start else previous


def _looks_like_srt(lines: list[str]) -> bool:
    return any(_SRT_TIME.match(line.strip()) for line in lines[:4])


def clock(seconds: float) -> str:
    """``1:02:03.450`` or ``02:03.450``: a time as a producer finds it in a subtitle editor."""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    text = f"{minutes:02d}:{secs:02d}.{millis:03d}"
    return f"{hours}:{text}" if hours else text


# -- transcripts of an episode ---------------------------------------------------


def discover(episode_file: Path, names: Iterable[str]) -> tuple[Transcript, ...]:
    """Transcripts found beside *episode_file* by name, among the file *names* of its folder.

    ``<slug>.vtt`` and ``<slug>.srt`` take the show's language; ``<slug>.fr.vtt``
    says its own. WebVTT comes before SRT, then by language.
    """
    slug = episode_file.stem
    found = []
    for name in names:
        match = _BESIDE.match(name)
        if match is None or match.group("slug") != slug:
            continue
        kind = VTT_TYPE if match.group("ext") == "vtt" else SRT_TYPE
        found.append(Transcript(source=name, mime_type=kind, language=match.group("lang")))
    return tuple(sorted(found, key=lambda t: (t.mime_type != VTT_TYPE, t.language or "", t.source)))


def local_path(episode: Episode, name: str) -> Path | None:
    """The file an episode names (relative to the episode file), or None for a URL."""
    if name.startswith(("http://", "https://")):
        return None
    return (episode.path.parent / name).resolve()


def episode_transcript_problems(root: Path, episode: Episode, duration: float | None) -> Iterator[Problem]:
    """What ``check`` says of an episode's transcripts: missing files, and every problem in each file."""
    root = root.resolve()
    for transcript in episode.transcripts:
        path = local_path(episode, transcript.source)
        if path is None:
            continue
        if not path.is_relative_to(root):
            yield Problem(episode.path, f"transcript {transcript.source!r} points outside the podcast folder")
        elif not path.is_file():
            yield Problem(episode.path, f"transcript file not found: {transcript.source} (looked for {path})")
        elif transcript.mime_type in TIMED_TYPES:
            yield from parse_transcript_file(path, duration=duration, mime_type=transcript.mime_type)[1]


def page_transcript(
    root: Path, episode: Episode, *, duration: float | None, language: str | None
) -> tuple[Transcript, tuple[Cue, ...]] | None:
    """The transcript to show as text on the episode's page, with its cues; None when there is none.

    WebVTT before SRT, and the show's language first: one text on a page is
    enough, the other files stay as downloads. Raises if the file is invalid.
    """
    root = root.resolve()
    timed = []
    for transcript in episode.transcripts:
        path = local_path(episode, transcript.source)
        # Only files of the podcast folder are read (the resolver refuses the others anyway).
        if transcript.mime_type in TIMED_TYPES and path is not None and path.is_relative_to(root):
            timed.append((transcript, path))
    if not timed:
        return None
    chosen, path = min(
        timed, key=lambda found: ((found[0].language or language) != language, found[0].mime_type != VTT_TYPE)
    )
    return chosen, read_transcript(path, duration=duration, mime_type=chosen.mime_type)
