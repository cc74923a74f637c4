"""Chapters as Podcasting 2.0 JSON chapters (version 1.2), from the audio's tags or a chapters file.

An episode's chapters come from its front matter's ``chapters: file.json``
(a JSON chapters document, validated here) or else from the chapters the
audio's tags hold (ID3 CHAP/CTOC frames, MP4 chapters, Vorbis comments), which
:func:`podcaster.media.formats.probe` reads. Either way one document is
published (``application/json+chapters``) and the same list is shown on the
episode's page, so apps and the site agree.

Spec: https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/examples/chapters/jsonChapters.md
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from json.decoder import JSONObject  # type: ignore[attr-defined]
from json.scanner import py_make_scanner  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any, TypeGuard
from urllib.parse import urlsplit

from podcaster.errors import CatalogueError, Problem, Severity, raise_if_errors
from podcaster.media.transcripts import END_TOLERANCE, clock
from podcaster.models import Chapter, Episode, MediaInfo

CHAPTERS_TYPE = "application/json+chapters"
CHAPTERS_VERSION = "1.2"
_DOCUMENT_KEYS = {
    "version",
    "chapters",
    "author",
    "title",
    "podcastName",
    "description",
    "fileName",
    "waypoints",
}
_CHAPTER_KEYS = {"startTime", "endTime", "title", "img", "url", "toc", "location"}


@dataclass(frozen=True)
class Chapters:
    """The JSON chapters document to publish, and the chapters it shows (``toc: false`` ones left out)."""

    data: bytes
    chapters: tuple[Chapter, ...]


def chapters_document(
    chapters: Sequence[Chapter], *, title: str | None = None, podcast_name: str | None = None
) -> dict[str, Any]:
    """A JSON chapters document for *chapters*, in ascending start order as the format requires."""
    document: dict[str, Any] = {"version": CHAPTERS_VERSION}
    if title:
        document["title"] = title
    if podcast_name:
        document["podcastName"] = podcast_name
    items = []
    for chapter in sorted(chapters, key=lambda chapter: chapter.start):
        item: dict[str, Any] = {"startTime": _number(chapter.start), "title": chapter.title}
        if chapter.end is not None and chapter.end > chapter.start:
            item["endTime"] = _number(chapter.end)
        if chapter.image:
            item["img"] = chapter.image
        if chapter.url:
            item["url"] = chapter.url
        items.append(item)
    document["chapters"] = items
    return document


def dump(document: dict[str, Any]) -> bytes:
    """The bytes to publish: stable for the same document, so its content hash (and URL) is too."""
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def episode_chapters(
    episode: Episode, media: MediaInfo, *, chapters_file: Path | None = None, podcast_name: str | None = None
) -> Chapters | None:
    """The chapters to publish for an episode: from *chapters_file* if given, else the audio's tags.

    Raises :class:`CatalogueError` (file and line) if the chapters file is invalid.
    """
    if chapters_file is not None:
        document, chapters = read_chapters_file(chapters_file, duration=media.duration)
        return Chapters(dump(document), chapters)
    if not media.chapters:
        return None
    document = chapters_document(media.chapters, title=episode.title, podcast_name=podcast_name)
    return Chapters(dump(document), tuple(sorted(media.chapters, key=lambda chapter: chapter.start)))


def read_chapters_file(
    path: Path, *, duration: float | None = None
) -> tuple[dict[str, Any], tuple[Chapter, ...]]:
    """Read and validate a JSON chapters file; raise with every error in it (warnings are dropped)."""
    document, chapters, problems = parse_chapters_file(path, duration=duration)
    raise_if_errors(problems, CatalogueError)
    assert document is not None
    return document, chapters


def parse_chapters_file(
    path: Path, *, duration: float | None = None
) -> tuple[dict[str, Any] | None, tuple[Chapter, ...], list[Problem]]:
    """The document, its visible chapters and every problem found, each at its line where it can be."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, (), [Problem(path, "chapters file not found")]
    except OSError as error:
        return None, (), [Problem(path, f"cannot read the chapters file: {error.strerror}")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return None, (), [Problem(path, "not valid UTF-8: save the chapters file as UTF-8", line)]
    try:
        document = _LocatingDecoder(text).decode(text)
    except json.JSONDecodeError as error:
        return None, (), [Problem(path, f"not valid JSON: {error.msg}", error.lineno)]
    problems: list[Problem] = []
    chapters = tuple(_validate(document, text, path, duration, problems))
    problems.sort(key=lambda problem: problem.line or 0)
    return document if isinstance(document, dict) else None, chapters, problems


def chapter_time_problems(
    chapters: Sequence[Chapter], duration: float, where: Path | str
) -> Iterator[Problem]:
    """Chapters read from the audio's tags checked against its duration (the fix is in the audio's tags)."""
    for chapter in chapters:
        if chapter.start >= duration:
            yield Problem(
                where,
                f"chapter '{chapter.title}' starts at {clock(chapter.start)}, after the end of the audio "
                f"({clock(duration)}); fix the chapters in the audio's tags",
            )
        elif chapter.end is not None and chapter.end > duration + END_TOLERANCE:
            yield Problem(
                where,
                f"chapter '{chapter.title}' ends at {clock(chapter.end)}, after the end of the audio "
                f"({clock(duration)})",
                None,
                Severity.WARNING,
            )


def _validate(
    document: Any, text: str, path: Path, duration: float | None, problems: list[Problem]
) -> Iterator[Chapter]:
    lines = _Lines(text)

    def problem(message: str, line: int | None, severity: Severity = Severity.ERROR) -> None:
        problems.append(Problem(path, message, line, severity))

    if not isinstance(document, dict):
        problem('a chapters file is a JSON object: {"version": "1.2", "chapters": [...]}', 1)
        return
    top = lines.of(document)
    version = document.get("version")
    if not isinstance(version, str) or not version.strip():
        problem('"version" is required and must be text, e.g. "1.2"', lines.key(document, "version") or top)
    elif not version.startswith("1."):
        problem(
            f'"version" {version!r} is not a JSON chapters version podcaster knows (1.x)',
            lines.key(document, "version"),
        )
    for key in document:
        if key not in _DOCUMENT_KEYS and ":" not in key:
            problem(f"unknown key {key!r} (ignored by apps)", lines.key(document, key), Severity.WARNING)
    items = document.get("chapters")
    if not isinstance(items, list) or not items:
        problem(
            '"chapters" is required and must be a list of chapters', lines.key(document, "chapters") or top
        )
        return
    previous: float | None = None
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            problem(
                f"chapter {index} must be an object with startTime and title", lines.key(document, "chapters")
            )
            continue
        line = lines.of(item)
        for key in item:
            if key not in _CHAPTER_KEYS and ":" not in key:
                problem(
                    f"chapter {index}: unknown key {key!r} (ignored by apps)",
                    lines.key(item, key),
                    Severity.WARNING,
                )

        def at(key: str, item: dict[str, Any] = item, line: int | None = line) -> int | None:
            return lines.key(item, key) or line

        raw_start = item.get("startTime")
        if not _is_number(raw_start):
            problem(
                f"chapter {index}: 'startTime' is required and must be a number of seconds", at("startTime")
            )
            continue
        start = float(raw_start)
        if start < 0:
            problem(f"chapter {index}: 'startTime' must not be negative", at("startTime"))
        if previous is not None and start <= previous:
            problem(
                f"chapter {index} starts at {clock(start)}, not after the previous one ({clock(previous)}): "
                "chapters must be in ascending startTime order",
                at("startTime"),
            )
        previous = start if previous is None else max(previous, start)
        if duration is not None and start >= duration:
            problem(
                f"chapter {index} starts at {clock(start)}, after the end of the audio ({clock(duration)})",
                at("startTime"),
            )
        end = item.get("endTime")
        if end is not None:
            if not _is_number(end):
                problem(f"chapter {index}: 'endTime' must be a number of seconds", at("endTime"))
                end = None
            elif float(end) <= start:
                problem(
                    f"chapter {index}: 'endTime' ({clock(float(end))}) must come after its startTime",
                    at("endTime"),
                )
                end = None
            elif duration is not None and float(end) > duration + END_TOLERANCE:
                problem(
                    f"chapter {index} ends at {clock(float(end))}, after the end of the audio ({clock(duration)})",
                    at("endTime"),
                )
        toc = item.get("toc", True)
        if not isinstance(toc, bool):
            problem(f"chapter {index}: 'toc' must be true or false", at("toc"))
            toc = True
        title = item.get("title")
        if title is not None and (not isinstance(title, str) or not title.strip()):
            problem(f"chapter {index}: 'title' must be text", at("title"))
            title = None
        elif title is None and toc:
            problem(
                f"chapter {index} needs a 'title' (only a chapter with \"toc\": false may have none)", line
            )
        for key in ("img", "url"):
            value = item.get(key)
            if value is not None and not _is_web_url(value):
                problem(f"chapter {index}: {key!r} must be an http(s) URL, not {value!r}", at(key))
        location = item.get("location")
        if location is not None and not (
            isinstance(location, dict)
            and isinstance(location.get("name"), str)
            and isinstance(location.get("geo"), str)
        ):
            problem(
                f"chapter {index}: 'location' needs a 'name' and a 'geo' URI (geo:lat,lon)", at("location")
            )
        if toc and isinstance(title, str):
            yield Chapter(
                start=start,
                title=title.strip(),
                end=float(end) if _is_number(end) else None,
                url=item.get("url") if _is_web_url(item.get("url")) else None,
                image=item.get("img") if _is_web_url(item.get("img")) else None,
            )


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value  # not NaN


def _is_web_url(value: Any) -> bool:
    return (
        isinstance(value, str)
        and urlsplit(value).scheme in ("http", "https")
        and bool(urlsplit(value).netloc)
    )


def _number(seconds: float) -> int | float:
    rounded = round(seconds, 3)
    return int(rounded) if rounded == int(rounded) else rounded


class _Located(dict[str, Any]):
    """A JSON object that remembers where it was written (offsets into the text)."""

    span: tuple[int, int] = (0, 0)


class _LocatingDecoder(json.JSONDecoder):
    """The standard decoder, through its pure-Python scanner, noting each object's span for line numbers."""

    def __init__(self, text: str) -> None:
        super().__init__(object_pairs_hook=_Located)

        def parse_object(state: tuple[str, int], *args: Any, **kwargs: Any) -> tuple[Any, int]:
            start = state[1] - 1  # the scanner has stepped past the "{"
            value, end = JSONObject(state, *args, **kwargs)
            if isinstance(value, _Located):
                value.span = (start, end)
            return value, end

        self.parse_object = parse_object
        self.scan_once = py_make_scanner(self)


class _Lines:
    """Line numbers of objects and of their keys, found from the spans the decoder noted."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [index + 1 for index, char in enumerate(text) if char == "\n"]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def of(self, value: Any) -> int | None:
        return self.line(value.span[0]) if isinstance(value, _Located) else None

    def key(self, value: Any, key: str) -> int | None:
        if not isinstance(value, _Located):
            return None
        found = self.text.find(json.dumps(key, ensure_ascii=False), value.span[0], value.span[1])
        return self.line(found) if found >= 0 else None


def episode_chapter_problems(root: Path, episode: Episode, media: MediaInfo | None) -> Iterator[Problem]:
    """What ``check`` says of an episode's chapters: its chapters file, or its audio's chapter times."""
    duration = media.duration if media is not None and media.duration > 0 else None
    name = episode.chapters
    if name and not name.startswith(("http://", "https://")):
        root = root.resolve()
        path = (episode.path.parent / name).resolve()
        if not path.is_relative_to(root):
            yield Problem(episode.path, f"chapters {name!r} points outside the podcast folder")
        elif not path.is_file():
            yield Problem(episode.path, f"chapters file not found: {name} (looked for {path})")
        else:
            yield from parse_chapters_file(path, duration=duration)[2]
    elif not name and media is not None and duration is not None:
        yield from chapter_time_problems(media.chapters, duration, episode.path)
