"""Load the catalogue: ``podcast.toml`` and one Markdown file per episode, all validated at once."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from podcaster.errors import CatalogueError, ConfigError, Problem, Severity, did_you_mean, raise_if_errors
from podcaster.folder.layout import PodcastFolder
from podcaster.folder.lockfile import Lock, load_lock
from podcaster.folder.notes import render_notes, summarize
from podcaster.folder.showfile import load_show
from podcaster.media import discover
from podcaster.models import (
    Episode,
    EpisodeType,
    Location,
    Person,
    Show,
    Transcript,
    location_from_mapping,
    person_from_mapping,
    season_number,
)

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

_EPISODE_KEYS = {
    "title", "season", "episode", "type", "date", "guid", "audio", "explicit", "persons", "location",
    "image", "transcripts", "chapters", "draft", "summary", "keywords",
}  # fmt: skip
_REQUIRED_KEYS = ("title", "season", "date", "guid", "audio")
_TRANSCRIPT_TYPES = {
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".json": "application/json",
    ".html": "text/html",
}


_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is ~10x faster on large catalogues


class _FrontMatterLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """YAML that keeps dates as text, so a missing time zone can be refused rather than guessed."""


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class Catalogue:
    root: Path
    show: Show
    episodes: tuple[Episode, ...]
    lock: Lock
    warnings: tuple[Problem, ...] = ()

    @property
    def folder(self) -> PodcastFolder:
        return PodcastFolder(self.root)

    def live_episodes(self, now: datetime, season: int | None = None) -> list[Episode]:
        """Episodes listeners may see at *now*, newest first."""
        live = [e for e in self.episodes if e.is_live(now) and (season is None or e.season == season)]
        return sorted(live, key=lambda episode: episode.date, reverse=True)

    def next_release(self, now: datetime) -> datetime | None:
        """When the next scheduled episode goes live after *now*: what listeners see changes then."""
        upcoming = [e.date for e in self.episodes if not e.draft and e.date > now]
        return min(upcoming, default=None)

    def episode(self, slug: str) -> Episode | None:
        for episode in self.episodes:
            if episode.slug == slug:
                return episode
        return None


def load_catalogue(root: Path) -> Catalogue:
    """Load and validate the whole catalogue in *root*; raise with every problem found."""
    root = root.resolve()
    problems: list[Problem] = []
    try:
        show = load_show(root)
    except ConfigError as error:
        # Report the episode files' problems too, so one run shows everything to fix.
        problems.extend(error.problems)
        show = None
    lock = load_lock(root)
    episodes: list[Episode] = []
    lines: dict[Path, dict[str, int]] = {}
    listings: dict[Path, list[str]] = {}  # each season folder's transcript files, listed once
    for path in PodcastFolder(root).episode_files():
        episode, key_lines = _load_episode(path, show, lock, problems, listings)
        lines[path] = key_lines
        if episode is not None:
            episodes.append(episode)
    problems.extend(_cross_checks(episodes, lines))
    raise_if_errors(problems, CatalogueError)
    assert show is not None
    ordered = sorted(episodes, key=lambda e: (e.season, e.number or 0, e.date))
    warnings = tuple(problem for problem in problems if not problem.is_error)
    return Catalogue(root=root, show=show, episodes=tuple(ordered), lock=lock, warnings=warnings)


def parse_front_matter(path: Path) -> tuple[dict[str, Any], dict[str, int], str, int]:
    """Split an episode file into its front matter, the line of each key, the notes and their first line."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise CatalogueError(f"not valid UTF-8 ({error.reason}); save the file as UTF-8", path=path) from None
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise CatalogueError(
            "the file must start with '---' and a YAML front matter block", path=path, line=1
        )
    try:
        end = next(index for index in range(1, len(lines)) if lines[index].strip() == "---")
    except StopIteration:
        raise CatalogueError("the front matter is not closed by a '---' line", path=path, line=1) from None
    source = "".join(lines[1:end])
    loader = _FrontMatterLoader(source)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark is not None else None
        reason = getattr(error, "problem", None) or str(error)
        raise CatalogueError(f"invalid front matter: {reason}", path=path, line=line) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise CatalogueError("the front matter must be a set of 'key: value' lines", path=path, line=2)
    key_lines = {key.value: key.start_mark.line + 2 for key, _ in node.value} if node is not None else {}
    return data, key_lines, "".join(lines[end + 1 :]), end + 2


def _load_episode(
    path: Path,
    show: Show | None,
    lock: Lock,
    problems: list[Problem],
    listings: dict[Path, list[str]] | None = None,
) -> tuple[Episode | None, dict[str, int]]:
    try:
        data, key_lines, notes, _ = parse_front_matter(path)
    except CatalogueError as error:
        problems.extend(error.problems)
        return None, {}
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
        if not audio_path.is_file():
            if lock.media(str(guid)) is None:
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

    problems.extend(found)
    if any(p.is_error for p in found):
        return None, key_lines
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
    )


def _cross_checks(episodes: list[Episode], lines: dict[Path, dict[str, int]]) -> list[Problem]:
    problems = []
    by_guid: dict[str, Episode] = {}
    by_number: dict[tuple[int, int], Episode] = {}
    by_slug: dict[str, Episode] = {}
    for episode in episodes:
        key_lines = lines.get(episode.path, {})
        first = by_guid.setdefault(episode.guid, episode)
        if first is not episode:
            problems.append(
                Problem(
                    episode.path,
                    f"duplicate guid {episode.guid!r}: already used by {first.path}",
                    key_lines.get("guid"),
                )
            )
        if episode.number is not None and episode.type is EpisodeType.FULL:
            first = by_number.setdefault((episode.season, episode.number), episode)
            if first is not episode:
                problems.append(
                    Problem(
                        episode.path,
                        f"duplicate episode number {episode.number} in season {episode.season}: already used by {first.path}",
                        key_lines.get("episode"),
                    )
                )
        first = by_slug.setdefault(episode.slug, episode)
        if first is not episode:
            problems.append(
                Problem(
                    episode.path,
                    f"duplicate slug '{episode.slug}': already used by {first.path}; rename one file",
                )
            )
    return problems


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
        mime = item.get("type") or _TRANSCRIPT_TYPES.get(suffix)
        if mime is None:
            problem(f"unknown transcript format '{suffix}': use .vtt, .srt, .json or .html", "transcripts")
            continue
        transcripts.append(
            Transcript(source=source, mime_type=mime, language=item.get("language"), rel=item.get("rel"))
        )
    return tuple(transcripts)


def _transcripts_beside(path: Path, listings: dict[Path, list[str]] | None) -> tuple[Transcript, ...]:
    """``<slug>.vtt``, ``<slug>.srt``, ``<slug>.fr.vtt``… beside an episode whose front matter names none."""
    folder = path.parent
    names = listings.get(folder) if listings is not None else None
    if names is None:
        with os.scandir(folder) as entries:
            names = [entry.name for entry in entries if entry.name.endswith((".vtt", ".srt"))]
        if listings is not None:
            listings[folder] = names
    return discover(path, names)
