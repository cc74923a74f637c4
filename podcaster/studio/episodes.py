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
from podcaster.atomic import exclusive
from podcaster.errors import CatalogueError, PodcasterError, Problem
from podcaster.folder.catalogue import load_catalogue, parse_front_matter
from podcaster.folder.episodefile import SLUG
from podcaster.folder.frontmatter import render_episode_file
from podcaster.folder.layout import PodcastFolder
from podcaster.folder.lockfile import load_lock
from podcaster.folder.notes import render_notes
from podcaster.models import EpisodeType, Location
from podcaster.studio.form import (
    MAX_GUESTS,
    MAX_TEXT,
    Attached,
    Extras,
    FileChanges,
    Guest,
    Kind,
    discard_all,
    extras_problems,
    staged_problems,
)
from podcaster.studio.form.extras import apply_extras, read_attached, read_guests, read_place, same_extras
from podcaster.studio.form.placing import place_files
from podcaster.studio.roles import Role, can_edit_episode

FIELDS = ("title", "date", "type", "explicit", "notes")
# The front matter's keys, by the form field that sets them.
KEY_FIELDS = {
    **{name: name for name in FIELDS},
    "season": "season",
    "episode": "number",
    "persons": "persons",
    "location": "location",
    "transcripts": Kind.TRANSCRIPT.value,
    "chapters": Kind.CHAPTERS.value,
    "image": Kind.ARTWORK.value,
}
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
    guid: str = ""
    season: int = 1
    number: int | None = None
    persons: tuple[Guest, ...] = ()
    location: Location | None = None
    attached: Attached = field(default_factory=Attached)


@dataclass(frozen=True)
class EpisodeChanges:
    title: str
    date: datetime
    type: EpisodeType
    explicit: bool | None
    notes: str
    extras: Extras | None = None  # None: season, number, guests, place and files stay as they are


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
    touched: tuple[Path, ...] = ()  # every file the save wrote, moved or removed


def find_episode_file(root: Path, slug: str) -> Path:
    """The file of the episode *slug*; a name that is not a plain slug is never looked up."""
    if not SLUG.match(slug):
        raise CatalogueError(f"no episode named {slug!r}", code="no_episode", values={"slug": slug})
    for path in PodcastFolder(root).episode_files():
        if path.stem == slug:
            return path
    raise CatalogueError(f"no episode named {slug!r}", code="no_episode", values={"slug": slug})


def read_episode(root: Path, slug: str) -> EpisodeText:
    """The editable fields of *slug*'s file, as written there."""
    path = find_episode_file(root.resolve(), slug)
    return _read(path)


def save_episode(
    root: Path, slug: str, changes: EpisodeChanges, version: str, role: Role, now: datetime
) -> SaveResult:
    """Rewrite *slug*'s file with *changes* if it is still at *version*, *role* may, and check agrees.

    With :attr:`EpisodeChanges.extras`, a new season is declared in podcast.toml,
    received files are placed and others removed, and the file moves to its
    season's folder, all under the same lock and all undone if ``check`` objects.
    """
    root = root.resolve()
    try:
        _check_lengths(changes)
        with exclusive(PodcastFolder(root).edit_lock):
            path = find_episode_file(root, slug)
            current = _read(path)
            if not can_edit_episode(role, draft=current.draft):
                raise EditRefused(
                    "only editors and admins may change an episode that is not a draft", path=path
                )
            data, _, notes, _ = parse_front_matter(path)
            if current.version != version:
                proposed = _render(data, notes, current, changes, {})
                return SaveResult(Outcome.CONFLICT, current=current, proposed=proposed)
            if _same(current, changes):
                return SaveResult(Outcome.UNCHANGED, current=current)
            refused = _refused_files(root, current, changes.extras)
            if refused:
                return SaveResult(Outcome.INVALID, errors=refused)
            return _write_checked(root, path, current, (data, notes), changes, now)
    finally:
        if changes.extras is not None:
            discard_all(changes.extras.attach)


def _refused_files(root: Path, current: EpisodeText, extras: Extras | None) -> dict[str, list[str]]:
    """What loading and ``check`` would say of the guests, the place and each received file, before writing."""
    if extras is None:
        return {}
    found = extras_problems(extras)
    media = load_lock(root).media(current.guid) if extras.attach else None
    duration = media.duration if media is not None and media.duration > 0 else None
    for staged in extras.attach:
        for message in staged_problems(staged, duration):
            found.setdefault(staged.kind.value, []).append(message)
    return found


def _write_checked(
    root: Path,
    path: Path,
    current: EpisodeText,
    parsed: tuple[dict[str, Any], str],
    changes: EpisodeChanges,
    now: datetime,
) -> SaveResult:
    folder = PodcastFolder(root)
    extras = changes.extras
    target = path
    if extras is not None and extras.season != current.season:
        target = folder.episode_file(extras.season, path.stem)
    before = {_key(problem, path, target) for problem in _problems(root, now)}
    files = FileChanges()
    try:
        placed: dict[Kind, str] = {}
        fields: dict[Path, Kind] = {}
        if extras is not None:
            placed, fields = place_files(folder, files, path, target, extras, current.attached)
        proposed = _render(*parsed, current, changes, placed)
        files.write(target, proposed.encode("utf-8"))
        if target != path:
            files.remove(path)
        after = _problems(root, now)
        fresh = [p for p in after if p.is_error and _key(p, path, target) not in before]
        if fresh:
            files.undo()
            return SaveResult(
                Outcome.INVALID, errors=_by_field(fresh, proposed, target, folder, fields), proposed=proposed
            )
    except BaseException:
        files.undo()
        raise
    warnings = [p for p in after if not p.is_error and _same_file(p.path, target)]
    return SaveResult(Outcome.SAVED, warnings=warnings, current=_read(target), touched=files.touched)


def preview_notes(markdown: str) -> str:
    """The notes as the site and the feeds show them: the same renderer and sanitiser."""
    if len(markdown) > MAX_NOTES:
        raise _too_long("the notes are", "notes_too_long", MAX_NOTES)
    return render_notes(_clean_notes(markdown))


def wall_clock(moment: datetime, zone: str) -> datetime:
    """*moment* as a clock in *zone* shows it."""
    return moment.astimezone(ZoneInfo(zone))


def from_wall_clock(text: str, zone: str) -> datetime:
    """The moment a clock in *zone* shows as *text* (``2024-03-31T10:00``); refuse times that never occur."""
    try:
        naive = datetime.fromisoformat(text.strip())
    except ValueError:
        raise WallClockError(
            f"not a date and time: {text!r}", code="date_unreadable", values={"text": text}
        ) from None
    if naive.tzinfo is not None:
        raise WallClockError("give the time as the clock shows it, no offset", code="date_with_offset")
    naive = naive.replace(microsecond=0)
    local = naive.replace(tzinfo=ZoneInfo(zone))
    if local.astimezone(UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None) != naive:
        raise WallClockError(
            f"{naive:%H:%M} does not exist on that day in {zone} (the clocks go forward)",
            code="date_skipped",
            values={"time": f"{naive:%H:%M}"},
        )
    return local


class WallClockError(PodcasterError, ValueError):
    """A time :func:`from_wall_clock` refuses: to its callers, a value that is not a date."""


def _read(path: Path) -> EpisodeText:
    raw = path.read_bytes()
    data, _, notes, _ = parse_front_matter(path)
    try:
        date = datetime.fromisoformat(str(data.get("date", "")).strip())
    except ValueError:
        raise CatalogueError(
            "the 'date' cannot be read; fix it in the file", path=path, code="date_in_file"
        ) from None
    try:
        episode_type = EpisodeType(data.get("type", "full"))
    except ValueError:
        episode_type = EpisodeType.FULL
    explicit = data.get("explicit")
    season, number = data.get("season"), data.get("episode")
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
        guid=str(data.get("guid", "")),
        season=season if isinstance(season, int) and not isinstance(season, bool) else 1,
        number=number if isinstance(number, int) and not isinstance(number, bool) else None,
        persons=read_guests(data.get("persons")),
        location=read_place(data.get("location")),
        attached=read_attached(data, path),
    )


def _check_lengths(changes: EpisodeChanges) -> None:
    if len(changes.title) > MAX_TITLE:
        raise _too_long("the title is", "title_too_long", MAX_TITLE)
    if len(changes.notes) > MAX_NOTES:
        raise _too_long("the notes are", "notes_too_long", MAX_NOTES)
    if changes.date.tzinfo is None:
        raise CatalogueError("the date needs a time zone")
    extras = changes.extras
    if extras is None:
        return
    if len(extras.persons) > MAX_GUESTS:
        raise CatalogueError(
            f"more than {MAX_GUESTS} guests", code="too_many_guests", values={"limit": MAX_GUESTS}
        )
    texts = [text for guest in extras.persons for text in (guest.name, guest.role, guest.href, guest.img)]
    if extras.location:
        texts += [extras.location.name, extras.location.geo, extras.location.osm]
    if extras.new_season:
        texts.append(extras.new_season.name)
    if any(text and len(text) > MAX_TEXT for text in texts):
        raise _too_long("a guest, place or season field is", "field_too_long", MAX_TEXT)


def _too_long(what_is: str, code: str, limit: int) -> CatalogueError:
    return CatalogueError(f"{what_is} over {limit} characters", code=code, values={"limit": limit})


def _same(current: EpisodeText, changes: EpisodeChanges) -> bool:
    return (
        current.title == _clean_title(changes.title)
        and current.date == changes.date
        and current.type is changes.type
        and current.explicit == changes.explicit
        and current.notes == _clean_notes(changes.notes)
        and (
            changes.extras is None
            or same_extras(
                changes.extras,
                current.attached,
                current.season,
                current.number,
                current.persons,
                current.location,
            )
        )
    )


def _clean_title(title: str) -> str:
    return " ".join(title.split())  # one line: a feed's <title> has no line breaks


def _clean_notes(notes: str) -> str:
    return notes.replace("\r\n", "\n").replace("\r", "\n").strip("\n")


def _render(
    data: dict[str, Any], notes: str, current: EpisodeText, changes: EpisodeChanges, placed: dict[Kind, str]
) -> str:
    front = dict(data)
    front["title"] = _clean_title(changes.title)
    if changes.date != current.date:  # the same moment keeps its text, whatever offset it was written with
        front["date"] = changes.date.isoformat()
    if "type" in front or changes.type is not EpisodeType.FULL:
        front["type"] = changes.type.value
    front["explicit"] = changes.explicit  # None drops the key: the show's setting applies
    if changes.extras is not None:
        apply_extras(front, changes.extras, current.attached, placed, data)
    body = _clean_notes(changes.notes)
    lead = notes[: len(notes) - len(notes.lstrip("\n"))]  # keep the blank line the author left, if any
    return render_episode_file(front, lead + body if body else "")


def _problems(root: Path, now: datetime) -> list[Problem]:
    """Every error and warning ``check`` (without audio) finds in the folder."""
    try:
        catalogue = load_catalogue(root)
    except PodcasterError as error:
        return list(error.problems)
    return check_catalogue(catalogue, now)


def _key(problem: Problem, old: Path, new: Path) -> tuple[str, str]:
    """A problem as it reads with the episode at its new place: one the save did not bring is not new."""
    where = str(Path(problem.path).resolve()) if problem.path is not None else ""
    return where.replace(str(old), str(new)), problem.message.replace(str(old), str(new))


def _same_file(where: Path | str | None, path: Path) -> bool:
    return where is not None and Path(where).resolve() == path.resolve()


def _by_field(
    problems: list[Problem], text: str, target: Path, folder: PodcastFolder, files: dict[Path, Kind]
) -> dict[str, list[str]]:
    """Each problem beside the field it is about: by the line of its key, else by its file or what it names."""
    lines = {
        line_number: line.split(":", 1)[0]
        for line_number, line in enumerate(text.splitlines(), start=1)
        if ":" in line and not line.startswith((" ", "-"))
    }
    found: dict[str, list[str]] = {}
    for problem in problems:
        where = Path(problem.path).resolve() if problem.path is not None else None
        key = ""
        if where is not None and where in files:
            key = files[where].value
        elif where is not None and where == folder.show_file.resolve():
            key = "season"
        elif where is not None and where == target.resolve() and problem.line and problem.line > 1:
            key = KEY_FIELDS.get(lines.get(problem.line, ""), "")
        if not key:
            key = _field_named(problem.message)
        found.setdefault(key, []).append(problem.message)
    return found


def _field_named(message: str) -> str:
    named = (
        ("type", ("'episode'", "full episode")),
        ("number", ("episode number",)),
        ("notes", ("notes",)),
        ("date", ("'date'", "scheduled")),
        ("title", ("'title'",)),
        ("season", ("season",)),
        ("artwork", ("artwork", "image")),
        ("chapters", ("chapter",)),
        ("transcript", ("transcript", "cue")),
        ("persons", ("person",)),
        ("location", ("location",)),
    )
    return next((field for field, words in named if any(word in message for word in words)), "")
