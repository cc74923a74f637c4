"""The episode form's other fields: season (a new one too), number, guests, place, attached files.

Read from an episode file's front matter as the form shows them, and written
back into it key by key; what they may hold is decided by the catalogue's own
loading and ``check``, which the save runs on the result (see
:func:`podcaster.studio.episodes.save_episode`), not by a second set of rules.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podcaster.folder.tomlfile import with_season
from podcaster.media import discover
from podcaster.models import FieldReport, Location, location_from_mapping, person_from_mapping
from podcaster.studio.form.attachments import Kind, Staged

MAX_GUESTS = 40
MAX_TEXT = 500  # any one guest, place or season field


@dataclass(frozen=True)
class Guest:
    """A ``podcast:person`` of the episode."""

    name: str
    role: str = "guest"
    href: str | None = None
    img: str | None = None
    group: str | None = None


@dataclass(frozen=True)
class NewSeason:
    """A season the form declares in podcast.toml as the episode is saved into it."""

    number: int
    name: str


@dataclass(frozen=True)
class Attached:
    """The files an episode names, as written in its front matter (relative to the episode file)."""

    transcripts: tuple[str, ...] = ()
    chapters: str | None = None
    image: str | None = None
    transcripts_listed: bool = False  # named by a 'transcripts' key, not found beside the file by name


@dataclass(frozen=True)
class Extras:
    """What the form sets beyond the text fields; files to attach are already received (:class:`Staged`)."""

    season: int
    number: int | None
    persons: tuple[Guest, ...] = ()
    location: Location | None = None
    new_season: NewSeason | None = None
    attach: tuple[Staged, ...] = ()
    remove_transcripts: frozenset[str] = field(default_factory=frozenset)
    remove_chapters: bool = False
    remove_artwork: bool = False

    @property
    def touches_files(self) -> bool:
        return bool(
            self.new_season
            or self.attach
            or self.remove_transcripts
            or self.remove_chapters
            or self.remove_artwork
        )


def read_guests(raw: Any) -> tuple[Guest, ...]:
    """The persons of a front matter, as text whatever they hold (the form shows what is written)."""
    if not isinstance(raw, list):
        return ()
    guests = []
    for item in raw:
        item = {"name": item} if isinstance(item, str) else item
        if isinstance(item, dict):
            text = {key: _text(item.get(key)) for key in ("name", "role", "href", "img", "group")}
            guests.append(
                Guest(text["name"] or "", text["role"] or "guest", text["href"], text["img"], text["group"])
            )
    return tuple(guests)


def read_place(raw: Any) -> Location | None:
    raw = {"name": raw} if isinstance(raw, str) else raw
    if not isinstance(raw, dict):
        return None
    return Location(_text(raw.get("name")) or "", _text(raw.get("geo")), _text(raw.get("osm")))


def read_attached(data: Mapping[str, Any], episode_file: Path) -> Attached:
    raw = data.get("transcripts")
    listed = "transcripts" in data
    if listed:
        items = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
        names = tuple(
            str(item.get("file")) if isinstance(item, dict) else str(item)
            for item in items
            if isinstance(item, str | dict)
        )
    else:
        with os.scandir(episode_file.parent) as entries:
            beside = [entry.name for entry in entries if entry.name.endswith((".vtt", ".srt"))]
        names = tuple(transcript.source for transcript in discover(episode_file, beside))
    chapters, image = data.get("chapters"), data.get("image")
    return Attached(
        names,
        chapters if isinstance(chapters, str) else None,
        image if isinstance(image, str) else None,
        listed,
    )


def same_extras(
    extras: Extras,
    attached: Attached,
    season: int,
    number: int | None,
    persons: tuple[Guest, ...],
    place: Location | None,
) -> bool:
    """Whether saving *extras* would change nothing (removing a file the episode does not name changes nothing)."""
    removes = (
        bool(extras.remove_transcripts & set(attached.transcripts))
        or (extras.remove_chapters and attached.chapters is not None)
        or (extras.remove_artwork and attached.image is not None)
    )
    return not (extras.new_season or extras.attach or removes) and (
        extras.season,
        extras.number,
        extras.persons,
        extras.location,
    ) == (season, number, persons, place)


def apply_extras(
    front: dict[str, Any],
    extras: Extras,
    attached: Attached,
    placed: Mapping[Kind, str],
    data: Mapping[str, Any],
) -> None:
    """Set *front*'s keys from *extras*; *placed* names each attached file as the episode file will."""
    front["season"] = extras.season
    if extras.number is not None or "episode" in front:
        front["episode"] = extras.number  # None drops the key: trailers and bonuses may have none
    front["persons"] = [_guest(guest) for guest in extras.persons] or None
    front["location"] = _place(extras.location) if extras.location else None
    transcripts = [name for name in attached.transcripts if name not in extras.remove_transcripts]
    if Kind.TRANSCRIPT in placed:
        new = placed[Kind.TRANSCRIPT]
        transcripts = [name for name in transcripts if Path(name).name != new] + [new]
    if attached.transcripts_listed or transcripts != list(attached.transcripts):
        kept = {_source(item): item for item in _listed(data.get("transcripts"))}
        front["transcripts"] = [kept.get(name, name) for name in transcripts] if transcripts else None
    if Kind.CHAPTERS in placed:
        front["chapters"] = placed[Kind.CHAPTERS]
    elif extras.remove_chapters:
        front["chapters"] = None
    if Kind.ARTWORK in placed:
        front["image"] = placed[Kind.ARTWORK]
    elif extras.remove_artwork:
        front["image"] = None


def extras_problems(extras: Extras) -> dict[str, list[str]]:
    """What loading the episode file would refuse in its guests and place, by form field, before writing it.

    The very functions the catalogue reads persons and locations with say it.
    """
    found: dict[str, list[str]] = {}
    for index, guest in enumerate(extras.persons):
        # Keyed by the guest's row (the form shows the guests in this order), so it is said beside it.
        person_from_mapping(
            _guest(guest), _noting(found, f"guest-{index}"), where=f"guest {index + 1}", default_role="guest"
        )
    if extras.location is not None:
        location_from_mapping(
            _place(extras.location),
            lambda text, _: found.setdefault("location", []).append(text),
            where="the place",
        )
    return found


def _noting(found: dict[str, list[str]], field: str) -> FieldReport:
    """A report that files each message under *field*."""

    def note(text: str, key: str | None) -> None:
        found.setdefault(field, []).append(text)

    return note


def show_with_season(text: str, new: NewSeason) -> str:
    """podcast.toml's *text* with the form's new season declared after the last one."""
    return with_season(text, new.number, new.name)


def _guest(guest: Guest) -> dict[str, str]:
    values = {
        "name": guest.name,
        "role": guest.role,
        "group": guest.group,
        "href": guest.href,
        "img": guest.img,
    }
    return {key: value for key, value in values.items() if value}


def _place(place: Location) -> dict[str, str]:
    values = {"name": place.name, "geo": place.geo, "osm": place.osm}
    return {key: value for key, value in values.items() if value}


def _listed(raw: Any) -> list[Any]:
    return [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []


def _source(item: Any) -> str:
    return str(item.get("file")) if isinstance(item, dict) else str(item)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text.strip() or None
