"""Edit an episode's text fields from the studio: one atomic rewrite, checked like ``check``, never blind.

The form is loaded with the file's *version* (a hash of its bytes); a save
is refused when the file changed since (another producer, the CLI, a git
pull), and the caller is given both texts. A save that would add an error
``check`` reports is undone and the errors are returned by field; errors the
file already had do not block fixing something else.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from podcaster.actions.check import check_catalogue
from podcaster.atomic import write_atomically
from podcaster.errors import CatalogueError, PodcasterError, Problem
from podcaster.folder.catalogue import load_catalogue, parse_front_matter
from podcaster.folder.episodefile import SLUG
from podcaster.folder.frontmatter import render_episode_file
from podcaster.folder.layout import PodcastFolder
from podcaster.models import EpisodeType
from podcaster.studio.locking import edit_lock
from podcaster.studio.roles import Role, can_edit_episode

FIELDS = ("title", "date", "type", "explicit", "notes")
MAX_TITLE = 500
MAX_NOTES = 100_000


class EditRefused(PodcasterError):
    """The account's role does not allow this edit."""


@dataclass(frozen=True)
class EpisodeText:
    """An episode file as the form shows it, and the version it was read at."""

    slug: str
    path: Path
    title: str
    date: datetime
    type: EpisodeType
    explicit: bool | None  # None: as the show says
    notes: str
    draft: bool
    version: str
    text: str


@dataclass(frozen=True)
class EpisodeChanges:
    title: str
    date: datetime
    type: EpisodeType
    explicit: bool | None
    notes: str


class Outcome(StrEnum):
    SAVED = "saved"
    UNCHANGED = "unchanged"
    INVALID = "invalid"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class SaveResult:
    outcome: Outcome
    errors: dict[str, list[str]] = field(default_factory=dict)  # by form field; "" for the whole file
    warnings: list[Problem] = field(default_factory=list)
    current: EpisodeText | None = None  # the file as it is now
    proposed: str = ""  # the text this save would have written (shown beside the current on a conflict)


def find_episode_file(root: Path, slug: str) -> Path:
    """The file of the episode *slug*; a name that is not a plain slug is never looked up."""
    if not SLUG.match(slug):
        raise CatalogueError(f"no episode named {slug!r}")
    for path in PodcastFolder(root).episode_files():
        if path.stem == slug:
            return path
    raise CatalogueError(f"no episode named {slug!r}")


def read_episode(root: Path, slug: str) -> EpisodeText:
    """The editable fields of *slug*'s file, as written there."""
    path = find_episode_file(root.resolve(), slug)
    return _read(path)


def save_episode(
    root: Path, slug: str, changes: EpisodeChanges, version: str, role: Role, now: datetime
) -> SaveResult:
    """Rewrite *slug*'s file with *changes* if it is still at *version*, *role* may, and check agrees."""
    root = root.resolve()
    _check_lengths(changes)
    with edit_lock(PodcastFolder(root).edit_lock):
        path = find_episode_file(root, slug)
        current = _read(path)
        if not can_edit_episode(role, draft=current.draft):
            raise EditRefused("only editors and admins may change an episode that is not a draft", path=path)
        data, _, notes, _ = parse_front_matter(path)
        proposed = _render(data, notes, current, changes)
        if current.version != version:
            return SaveResult(Outcome.CONFLICT, current=current, proposed=proposed)
        if _same(current, changes):
            return SaveResult(Outcome.UNCHANGED, current=current)
        before, _ = _problems_of(root, path, now)
        old = path.read_bytes()
        write_atomically(path, proposed.encode("utf-8"))
        after, warnings = _problems_of(root, path, now)
        known = {problem.message for problem in before}
        fresh = [problem for problem in after if problem.message not in known]
        if fresh:
            write_atomically(path, old)
            return SaveResult(Outcome.INVALID, errors=_by_field(fresh, proposed), proposed=proposed)
        return SaveResult(Outcome.SAVED, warnings=warnings, current=_read(path))


def wall_clock(moment: datetime, zone: str) -> datetime:
    """*moment* as a clock in *zone* shows it."""
    return moment.astimezone(ZoneInfo(zone))


def from_wall_clock(text: str, zone: str) -> datetime:
    """The moment a clock in *zone* shows as *text* (``2024-03-31T10:00``); refuse times that never occur."""
    try:
        naive = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not a date and time: {text!r}") from None
    if naive.tzinfo is not None:
        raise ValueError("give the time as the clock shows it, without an offset")
    naive = naive.replace(microsecond=0)
    local = naive.replace(tzinfo=ZoneInfo(zone))
    if local.astimezone(UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None) != naive:
        raise ValueError(f"{naive:%H:%M} does not exist on that day in {zone} (the clocks go forward)")
    return local


def _read(path: Path) -> EpisodeText:
    raw = path.read_bytes()
    data, _, notes, _ = parse_front_matter(path)
    try:
        date = datetime.fromisoformat(str(data.get("date", "")).strip())
    except ValueError:
        raise CatalogueError("the 'date' cannot be read; fix it in the file", path=path) from None
    try:
        episode_type = EpisodeType(data.get("type", "full"))
    except ValueError:
        episode_type = EpisodeType.FULL
    explicit = data.get("explicit")
    return EpisodeText(
        slug=path.stem,
        path=path,
        title=str(data.get("title", "")),
        date=date,
        type=episode_type,
        explicit=explicit if isinstance(explicit, bool) else None,
        notes=notes.strip("\n"),
        draft=data.get("draft") is True,
        version=hashlib.sha256(raw).hexdigest(),
        text=raw.decode("utf-8"),
    )


def _check_lengths(changes: EpisodeChanges) -> None:
    if len(changes.title) > MAX_TITLE:
        raise CatalogueError(f"the title is over {MAX_TITLE} characters")
    if len(changes.notes) > MAX_NOTES:
        raise CatalogueError(f"the notes are over {MAX_NOTES} characters")
    if changes.date.tzinfo is None:
        raise CatalogueError("the date needs a time zone")


def _same(current: EpisodeText, changes: EpisodeChanges) -> bool:
    return (
        current.title == _clean_title(changes.title)
        and current.date == changes.date
        and current.type is changes.type
        and current.explicit == changes.explicit
        and current.notes == _clean_notes(changes.notes)
    )


def _clean_title(title: str) -> str:
    return " ".join(title.split())  # one line: a feed's <title> has no line breaks


def _clean_notes(notes: str) -> str:
    return notes.replace("\r\n", "\n").replace("\r", "\n").strip("\n")


def _render(data: dict[str, Any], notes: str, current: EpisodeText, changes: EpisodeChanges) -> str:
    front = dict(data)
    front["title"] = _clean_title(changes.title)
    if changes.date != current.date:  # the same moment keeps its text, whatever offset it was written with
        front["date"] = changes.date.isoformat()
    if "type" in front or changes.type is not EpisodeType.FULL:
        front["type"] = changes.type.value
    front["explicit"] = changes.explicit  # None drops the key: the show's setting applies
    body = _clean_notes(changes.notes)
    lead = notes[: len(notes) - len(notes.lstrip("\n"))]  # keep the blank line the author left, if any
    return render_episode_file(front, lead + body if body else "")


def _problems_of(root: Path, path: Path, now: datetime) -> tuple[list[Problem], list[Problem]]:
    """The errors and warnings ``check`` (without audio) finds in *path*."""
    try:
        catalogue = load_catalogue(root)
    except PodcasterError as error:
        problems = error.problems
    else:
        problems = check_catalogue(catalogue, now)
    mine = [problem for problem in problems if _same_file(problem.path, path)]
    return [p for p in mine if p.is_error], [p for p in mine if not p.is_error]


def _same_file(where: Path | str | None, path: Path) -> bool:
    return where is not None and Path(where).resolve() == path.resolve()


def _by_field(problems: list[Problem], text: str) -> dict[str, list[str]]:
    """Each problem beside the field it is about: by the line of its key, else by what it names."""
    lines = {
        line_number: line.split(":", 1)[0]
        for line_number, line in enumerate(text.splitlines(), start=1)
        if ":" in line and not line.startswith((" ", "-"))
    }
    found: dict[str, list[str]] = {}
    for problem in problems:
        key = lines.get(problem.line or 0, "") if problem.line and problem.line > 1 else ""
        if key not in FIELDS:
            message = problem.message
            key = (
                "type"
                if "'episode'" in message or "full episode" in message
                else "notes"
                if "notes" in message
                else "date"
                if "'date'" in message or "scheduled" in message
                else "title"
                if "'title'" in message
                else ""
            )
        found.setdefault(key, []).append(problem.message)
    return found
