"""One episode file, read and checked: an Episode, or every problem found in it."""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Container
from datetime import datetime
from pathlib import Path
from typing import Any

from podcaster.errors import CatalogueError, Problem, Severity, did_you_mean
from podcaster.folder.frontmatter import parse_front_matter
from podcaster.folder.notes import render_notes, summarize
from podcaster.media import discover
from podcaster.models import (
    Episode,
    EpisodeType,
    Location,
    Person,
    Show,
    Transcript,
    location_from_mapping,
    media_content_type,
    person_from_mapping,
    season_number,
)

__all__ = ["SLUG", "FileSeen", "load_episode"]

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# What loading saw of a file by its path: its size and modification time (ns), or None: not there.
FileSeen = tuple[int, int] | None

_EPISODE_KEYS = {
    "title", "season", "episode", "type", "date", "guid", "audio", "explicit", "persons", "location",
    "image", "transcripts", "chapters", "draft", "summary", "keywords",
}  # fmt: skip
_REQUIRED_KEYS = ("title", "season", "date", "guid", "audio")
# The transcript formats an episode may name; each is served as the one table of content types says.
_TRANSCRIPT_SUFFIXES = frozenset({".vtt", ".srt", ".json", ".html"})


def load_episode(
    path: Path,
    show: Show | None,
    recorded: Container[str],
    listings: dict[str, list[str]] | None = None,
    seen: dict[str, FileSeen] | None = None,
) -> tuple[Episode | None, dict[str, int], list[Problem]]:
    """Read and check one episode file: the episode (None if in error), its keys' lines, its problems.

    *recorded* holds the GUIDs the lock file has media facts for: they stand in for missing audio.
    *listings* keeps each season folder's transcript file names between calls. *seen*, if
    given, is told what the file and its audio were when looked at (see :data:`FileSeen`).
    """
    if seen is not None:
        _look_at(str(path), seen)
    try:
        data, key_lines, notes, _ = parse_front_matter(path)
    except CatalogueError as error:
        return None, {}, list(error.problems)
    found: list[Problem] = []

    def problem(message: str, key: str | None = None, severity: Severity = Severity.ERROR) -> None:
        found.append(Problem(path, message, key_lines.get(key, 1) if key else 1, severity))

    for key in data:
        if key not in _EPISODE_KEYS:
            problem(f"unknown key '{key}'{did_you_mean(str(key), _EPISODE_KEYS)}", str(key))
    for key in _REQUIRED_KEYS:
        if key not in data:
            problem(f"missing '{key}'", None)

    slug = path.stem
    if not SLUG.match(slug):
        problem(
            f"the file name '{path.name}' must be a slug: lower-case letters, digits and hyphens, e.g. 'mon-episode.md'"
        )

    title = data.get("title")
    if "title" in data and (not isinstance(title, str) or not title.strip()):
        problem("'title' must not be empty", "title")
    season = _whole_number(data.get("season"), "season", problem, minimum=1)
    folder_season = season_number(path.parent.name)
    if season is not None and folder_season is not None and folder_season != season:
        problem(
            f"'season: {season}' but the file is in {path.parent.name}/; move it or fix the number", "season"
        )
    if season is not None and show is not None and show.season(season) is None:
        problem(f"unknown season {season}: declare it with a [[seasons]] table in podcast.toml", "season")
    number = _whole_number(data.get("episode"), "episode", problem, minimum=1)

    try:
        episode_type = EpisodeType(data.get("type", "full"))
    except ValueError:
        problem(f"'type' must be full, trailer or bonus, not {data.get('type')!r}", "type")
        episode_type = EpisodeType.FULL
    if episode_type is EpisodeType.FULL and number is None and "episode" not in data:
        problem("a full episode needs an 'episode' number", None)

    date = _date(data.get("date"), problem) if "date" in data else None
    guid = data.get("guid")
    if "guid" in data and guid is not None and not isinstance(guid, str):
        # YAML reads guid: 0123 as 83 and 12:30 as 750: apps would see a new episode.
        problem(
            f"'guid' must be quoted text: YAML reads this one as {guid!r}, not as written; "
            "put the value in quotes, exactly as it was published",
            "guid",
        )
    elif "guid" in data and (not isinstance(guid, str) or not guid.strip()):
        problem("'guid' must not be empty: it identifies the episode in every app, forever", "guid")
    audio = data.get("audio")
    if "audio" in data and (not isinstance(audio, str) or not audio.strip()):
        problem("'audio' must name the audio file", "audio")
    elif (
        isinstance(audio, str)
        and isinstance(guid, str | int)
        and not audio.startswith(("http://", "https://"))
    ):
        audio_path = (show.root if show else path.parents[2]) / audio
        if not _is_file(audio_path, seen):
            if str(guid) not in recorded:
                problem(f"audio file not found: {audio_path}", "audio")
            else:
                problem(
                    f"audio file not found: {audio_path}; using the facts recorded in the lock file",
                    "audio",
                    Severity.WARNING,
                )

    explicit = data.get("explicit")
    if explicit is not None and not isinstance(explicit, bool):
        problem("'explicit' must be true or false", "explicit")
        explicit = None
    draft = data.get("draft", False)
    if not isinstance(draft, bool):
        problem("'draft' must be true or false", "draft")
        draft = False
    persons = _persons(data.get("persons", []), problem)
    location = _location(data.get("location"), problem)
    transcripts = _transcripts(data.get("transcripts", []), problem)
    if "transcripts" not in data:
        transcripts = _transcripts_beside(path, listings)
    for key in ("image", "chapters", "summary"):
        if data.get(key) is not None and not isinstance(data[key], str):
            problem(f"'{key}' must be text", key)
    keywords = data.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(word, str) for word in keywords):
        problem("'keywords' must be a list of words", "keywords")
        keywords = []

    if any(p.is_error for p in found):
        return None, key_lines, found
    notes_html = render_notes(notes)
    summary = data.get("summary") or summarize(notes_html)
    assert isinstance(title, str) and season is not None and date is not None
    return (
        Episode(
            slug=slug,
            path=path,
            title=title.strip(),
            season=season,
            number=number,
            type=episode_type,
            date=date,
            guid=str(guid).strip(),
            audio=str(audio).strip(),
            notes_markdown=notes,
            notes_html=notes_html,
            explicit=explicit,
            persons=persons,
            location=location,
            image=data.get("image"),
            transcripts=transcripts,
            chapters=data.get("chapters"),
            draft=draft,
            summary=summary,
            keywords=tuple(keywords),
        ),
        key_lines,
        found,
    )


def _is_file(path: Path, seen: dict[str, FileSeen] | None) -> bool:
    """``path.is_file()``, telling *seen* what was found."""
    if seen is None:
        return path.is_file()
    name = str(path)
    if name != os.path.normpath(name):  # named only as normpath names it (see BuildManifest)
        return path.is_file()
    try:
        return _look_at(name, seen)
    except OSError as error:
        if error.errno in (errno.ENOTDIR, errno.EBADF, errno.ELOOP):  # what is_file() takes for "no"
            return False
        raise
    except ValueError:  # a name the system cannot take
        return False


def _look_at(name: str, seen: dict[str, FileSeen]) -> bool:
    """Note in *seen* the size and modification time of the file *name*, or None if absent; is it a file?"""
    try:
        status = os.stat(name)
    except FileNotFoundError:
        seen[name] = None
        return False
    if not stat.S_ISREG(status.st_mode):
        return False
    seen[name] = (status.st_size, status.st_mtime_ns)
    return True


def _whole_number(value: Any, key: str, problem: Any, minimum: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        problem(f"'{key}' must be a whole number from {minimum}, not {value!r}", key)
        return None
    return value


def _date(value: Any, problem: Any) -> datetime | None:
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        problem(f"'date' is not a date and time: {text!r}; write it like 2023-01-25T10:00:00+01:00", "date")
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        problem(f"'date' {text!r} has no time zone; add one, e.g. {parsed.isoformat()}+01:00", "date")
        return None
    return parsed


def _persons(raw: Any, problem: Any) -> tuple[Person, ...]:
    if not isinstance(raw, list):
        problem("'persons' must be a list of {name, role, href, img}", "persons")
        return ()
    persons = (
        person_from_mapping(
            _table(item), lambda text, _: problem(text, "persons"), where="a person", default_role="guest"
        )
        for item in raw
    )
    return tuple(person for person in persons if person is not None)


def _location(raw: Any, problem: Any) -> Location | None:
    if raw is None:
        return None
    if not isinstance(raw, str | dict):
        problem("'location' must be a name, or {name, geo, osm}", "location")
        return None
    return location_from_mapping(_table(raw), lambda text, _: problem(text, "location"), where="'location'")


def _table(item: Any) -> dict[str, Any]:
    """A person or a location written as a bare name stands for ``{name: …}``."""
    return {"name": item} if isinstance(item, str) else item if isinstance(item, dict) else {}


def _transcripts(raw: Any, problem: Any) -> tuple[Transcript, ...]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        problem("'transcripts' must be a list of files", "transcripts")
        return ()
    transcripts = []
    for item in raw:
        if isinstance(item, str):
            item = {"file": item}
        source = item.get("file") if isinstance(item, dict) else None
        if not isinstance(source, str):
            problem("each transcript needs a 'file'", "transcripts")
            continue
        suffix = Path(source).suffix.lower()
        mime = item.get("type") or (media_content_type(source) if suffix in _TRANSCRIPT_SUFFIXES else None)
        if mime is None:
            problem(f"unknown transcript format '{suffix}': use .vtt, .srt, .json or .html", "transcripts")
            continue
        transcripts.append(
            Transcript(source=source, mime_type=mime, language=item.get("language"), rel=item.get("rel"))
        )
    return tuple(transcripts)


def _transcripts_beside(path: Path, listings: dict[str, list[str]] | None) -> tuple[Transcript, ...]:
    """``<slug>.vtt``, ``<slug>.srt``, ``<slug>.fr.vtt``… beside an episode whose front matter names none."""
    folder = os.path.dirname(path)
    names = listings.get(folder) if listings is not None else None
    if names is None:
        with os.scandir(folder) as entries:
            names = [entry.name for entry in entries if entry.name.endswith((".vtt", ".srt"))]
        if listings is not None:
            listings[folder] = names
    return discover(path, names) if names else ()
