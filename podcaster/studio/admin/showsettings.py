"""The show's settings from the studio: ``podcast.toml`` rewritten value by value, checked, never blind.

As an episode's save (:mod:`podcaster.studio.episodes`): the form carries the
file's *version* (a hash of its bytes) and a save is refused, with both texts,
when the file changed since; it runs under the folder's edit lock; the file
is replaced atomically, through :func:`~podcaster.folder.tomlfile.with_values`
so only the values that changed are rewritten and every comment stays; and a
save that makes ``check`` report a new error is undone, its errors returned
by field. A new cover is checked by the same rules (square, 1400 to 3000 px,
a readable JPEG or PNG) and kept beside the old one under a name made from its
content, so undoing a save never loses an image.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tomllib
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from podcaster.actions.check import MAX_DESCRIPTION_BYTES, check_artwork, check_catalogue
from podcaster.atomic import exclusive, write_atomically
from podcaster.errors import PodcasterError, Problem
from podcaster.feed.categories import APPLE_CATEGORIES
from podcaster.folder.catalogue import load_catalogue
from podcaster.folder.layout import PodcastFolder
from podcaster.folder.tomlfile import TomlDocument, TomlValue, with_values
from podcaster.models import is_web_url
from podcaster.studio.episodes import Outcome

MAX_TEXT = 4000  # bytes, Apple's limit for a description; the other fields are far shorter
MAX_ARTWORK = 20 << 20
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$")
ARTWORK_SUFFIXES = (".jpg", ".jpeg", ".png")
# Each form field and where it lives in podcast.toml.
WHERE: dict[str, tuple[str, str]] = {
    "title": ("show", "title"),
    "description": ("show", "description"),
    "author": ("show", "author"),
    "owner_name": ("show.owner", "name"),
    "owner_email": ("show.owner", "email"),
    "language": ("show", "language"),
    "categories": ("show", "categories"),
    "explicit": ("show", "explicit"),
    "site": ("urls", "site"),
    "feed": ("urls", "feed"),
    "artwork": ("show", "artwork"),
}


@dataclass(frozen=True)
class ShowSettings:
    title: str = ""
    description: str = ""
    author: str = ""
    owner_name: str = ""
    owner_email: str = ""
    language: str = "fr"
    categories: tuple[str, ...] = ()  # "Society & Culture > Documentary"
    explicit: bool = False
    site: str = ""  # "": follows from the feed's address
    feed: str = ""
    artwork: str = ""  # relative to the folder, as podcast.toml writes it


@dataclass(frozen=True)
class ShowText:
    settings: ShowSettings
    version: str
    text: str


@dataclass(frozen=True)
class NewArtwork:
    """A cover image as the browser sent it: its file name (for the extension only) and its bytes."""

    name: str
    stream: IO[bytes]


@dataclass(frozen=True)
class ShowSaveResult:
    outcome: Outcome
    errors: dict[str, list[str]] = field(default_factory=dict)  # by form field; "" for the whole file
    warnings: list[Problem] = field(default_factory=list)
    current: ShowText | None = None
    proposed: str = ""
    paths: tuple[Path, ...] = ()  # what the save wrote, to commit


def category_choices() -> list[tuple[str, list[str]]]:
    """Apple's categories as the form offers them: each one, then each of its subcategories."""
    return [
        (name, [name, *(f"{name} > {sub}" for sub in sorted(APPLE_CATEGORIES[name]))])
        for name in sorted(APPLE_CATEGORIES)
    ]


def read_show_settings(root: Path) -> ShowText:
    """The editable settings as ``podcast.toml`` writes them, and the version they were read at."""
    path = PodcastFolder(root).show_file
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        data = {}  # the form still opens: the errors are on the home page, and a save will say
    defaults = ShowSettings()
    values: dict[str, Any] = {}
    for name, (table, key) in WHERE.items():
        found: Any = data
        for part in (*table.split("."), key):
            found = found.get(part) if isinstance(found, dict) else None
        if name == "categories" and isinstance(found, list):
            found = tuple(str(item) for item in found)
        # A value of the wrong type (check reports it) shows as the default: the form stays usable.
        values[name] = found if isinstance(found, type(getattr(defaults, name))) else getattr(defaults, name)
    settings = ShowSettings(**values)
    return ShowText(settings, hashlib.sha256(raw).hexdigest(), raw.decode("utf-8", errors="replace"))


def save_show_settings(
    root: Path, changes: ShowSettings, version: str, now: datetime, artwork: NewArtwork | None = None
) -> ShowSaveResult:
    """Write *changes* into ``podcast.toml`` if it is still at *version* and ``check`` agrees."""
    root = root.resolve()
    folder = PodcastFolder(root)
    changes = _cleaned(changes)
    early = _early_errors(changes)
    with exclusive(folder.edit_lock):
        current = read_show_settings(root)
        cover: Path | None = None
        made = False  # whether the cover is a file this save made (and so removes when undone)
        if artwork is not None and not early:
            cover, made, problem = _store_artwork(folder, artwork)
            if problem:
                early["artwork"] = [problem]
            elif cover is not None:
                changes = replace(changes, artwork=folder.relative(cover))
        try:
            proposed = _render(current, changes)
        except PodcasterError as error:
            _drop(cover, made)
            return ShowSaveResult(Outcome.INVALID, errors={"": [p.message for p in error.problems]})
        if current.version != version:
            _drop(cover, made)
            return ShowSaveResult(Outcome.CONFLICT, current=current, proposed=proposed)
        if early:
            _drop(cover, made)
            return ShowSaveResult(Outcome.INVALID, errors=early, proposed=proposed)
        if proposed == current.text:
            return ShowSaveResult(Outcome.UNCHANGED, current=current)
        before, _ = _problems_of(root, now)
        old = folder.show_file.read_bytes()
        write_atomically(folder.show_file, proposed.encode("utf-8"))
        after, warnings = _problems_of(root, now)
        known = {problem.message for problem in before}
        fresh = [problem for problem in after if problem.message not in known]
        if fresh:
            write_atomically(folder.show_file, old)
            _drop(cover, made)
            return ShowSaveResult(
                Outcome.INVALID, errors=_by_field(fresh, proposed, folder), proposed=proposed
            )
        written = (folder.show_file, *((cover,) if cover is not None else ()))
        return ShowSaveResult(
            Outcome.SAVED, warnings=warnings, current=read_show_settings(root), paths=written
        )


def _cleaned(changes: ShowSettings) -> ShowSettings:
    def line(text: str) -> str:
        return " ".join(text.split())  # one line: a feed's <title> and <itunes:author> have no breaks

    description = changes.description.replace("\r\n", "\n").replace("\r", "\n").strip()
    return replace(
        changes,
        title=line(changes.title),
        description=description,
        author=line(changes.author),
        owner_name=line(changes.owner_name),
        owner_email=changes.owner_email.strip(),
        language=changes.language.strip(),
        categories=tuple(dict.fromkeys(item.strip() for item in changes.categories if item.strip())),
        site=changes.site.strip(),
        feed=changes.feed.strip(),
    )


def _early_errors(changes: ShowSettings) -> dict[str, list[str]]:
    """What is refused before the file is touched: sizes, a language tag, a URL's scheme."""
    errors: dict[str, list[str]] = {}
    for item in fields(ShowSettings):
        value = getattr(changes, item.name)
        if isinstance(value, str) and len(value.encode("utf-8")) > MAX_TEXT:
            errors.setdefault(item.name, []).append(f"over {MAX_TEXT} bytes")
    if len(changes.description.encode("utf-8")) > MAX_DESCRIPTION_BYTES:
        errors.setdefault("description", []).append(
            f"the show description is over {MAX_DESCRIPTION_BYTES} bytes, Apple's limit"
        )
    if not LANGUAGE.match(changes.language):
        errors.setdefault("language", []).append(
            f"'language' must be a language tag such as fr, en or fr-BE, not {changes.language!r}"
        )
    for name in ("feed", "site"):
        value = getattr(changes, name)
        if (value or name == "feed") and not is_web_url(value):
            errors.setdefault(name, []).append(f"'{name}' must be an absolute http(s) URL, not {value!r}")
    if len(changes.categories) > 10:
        errors.setdefault("categories", []).append("at most 10 categories")
    return errors


def _render(current: ShowText, changes: ShowSettings) -> str:
    """The text of podcast.toml with every changed value rewritten, table by table."""
    text = current.text
    tables: dict[str, dict[str, TomlValue | None]] = {}
    for name, (table, key) in WHERE.items():
        value = getattr(changes, name)
        if value == getattr(current.settings, name):
            continue
        written: TomlValue | None = list(value) if isinstance(value, tuple) else value
        if written == "" or written == []:
            written = None if name in ("site", "owner_name", "owner_email", "artwork", "categories") else ""
        tables.setdefault(table, {})[key] = written
    for table, values in tables.items():
        text = with_values(text, table, values)
    return text


def _store_artwork(folder: PodcastFolder, artwork: NewArtwork) -> tuple[Path | None, bool, str]:
    """The new cover saved under ``artwork/`` (named by its content), whether it is new there, or why not."""
    suffix = Path(artwork.name).suffix.lower()
    if suffix not in ARTWORK_SUFFIXES:
        return None, False, "the cover must be a JPEG or PNG image (.jpg, .jpeg or .png)"
    folder.uploads_dir.mkdir(parents=True, exist_ok=True)
    temporary = folder.uploads_dir / f"cover-{secrets.token_hex(8)}{suffix}"
    digest = hashlib.sha256()
    size = 0
    try:
        with temporary.open("wb") as out:
            while chunk := artwork.stream.read(1 << 16):
                size += len(chunk)
                if size > MAX_ARTWORK:
                    return None, False, f"the cover is over {MAX_ARTWORK >> 20} MB"
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            return None, False, "the cover file is empty"
        errors = [p.message for p in check_artwork(temporary, folder.show_file) if p.is_error]
        if errors:
            return (
                None,
                False,
                "; ".join(
                    message.replace(temporary.name, Path(artwork.name).name[:100]) for message in errors
                ),
            )
        target = folder.show_cover(digest.hexdigest()[:12], ".jpg" if suffix == ".jpeg" else suffix)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            return target, False, ""
        os.replace(temporary, target)
        return target, True, ""
    finally:
        temporary.unlink(missing_ok=True)


def _drop(cover: Path | None, made: bool) -> None:
    if cover is not None and made:
        cover.unlink(missing_ok=True)


def _problems_of(root: Path, now: datetime) -> tuple[list[Problem], list[Problem]]:
    """The errors and warnings ``check`` (without audio) finds in podcast.toml."""
    show_file = PodcastFolder(root).show_file.resolve()
    try:
        catalogue = load_catalogue(root)
    except PodcasterError as error:
        problems = error.problems
    else:
        problems = check_catalogue(catalogue, now)
    mine = [p for p in problems if p.path is not None and Path(p.path).resolve() == show_file]
    return [p for p in mine if p.is_error], [p for p in mine if not p.is_error]


def _by_field(problems: list[Problem], text: str, folder: PodcastFolder) -> dict[str, list[str]]:
    """Each problem beside its field: by the line of its key, else by what its message names."""
    document = TomlDocument(folder.show_file, tomllib.loads(text), tuple(text.splitlines()))
    lines = {document.line_of(table, key): name for name, (table, key) in WHERE.items()}
    lines.pop(None, None)
    words = (
        ("artwork", "artwork"),
        ("categor", "categories"),
        ("email", "owner_email"),
        ("owner", "owner_name"),
        ("description", "description"),
        ("feed URL", "feed"),
        ("site URL", "site"),
        ("media URL", "feed"),
    )
    found: dict[str, list[str]] = {}
    for problem in problems:
        name = lines.get(problem.line) if problem.line else None
        if name is None:
            name = next((field for word, field in words if word in problem.message), "")
        found.setdefault(name, []).append(problem.message)
    return found
