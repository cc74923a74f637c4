"""The plan of an import: which items are episodes, their GUID, season, number, file, and text.

Pure functions over the feed's records and the catalogue already on disk; they
report what they had to decide through a list of warnings, and write nothing.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Literal
from urllib.parse import urlsplit

from podcaster.errors import Problem, Severity
from podcaster.folder.frontmatter import render_episode_file
from podcaster.folder.layout import PodcastFolder, slugify
from podcaster.importing.htmlmd import html_to_notes
from podcaster.importing.items import SourceFeed, SourceItem
from podcaster.importing.record import ImportState
from podcaster.models import Episode, EpisodeType, MediaInfo

SeasonFrom = Literal["tags", "order"]
_IMAGE_SUFFIXES = (".jpg", ".png")  # what Apple accepts at the end of an image URL


@dataclass
class Existing:
    """An episode file already in the catalogue."""

    path: Path
    episode: Episode
    text: str


@dataclass
class Planned:
    item: SourceItem
    guid: str
    title: str
    date: datetime
    season: int = 1
    number: int | None = None
    existing: Existing | None = None
    path: Path | None = None
    audio: str = ""
    media: MediaInfo | None = None
    local_audio: str | None = None
    text: str = ""
    derived: bool = False  # the feed gave no GUID
    conflict: Existing | None = None  # a catalogue episode with this number and another GUID


def select(
    feed: SourceFeed,
    state: ImportState,
    existing: dict[str, Existing],
    warnings: list[Problem],
    failed: list[Problem],
) -> list[Planned]:
    """The items that are episodes, each GUID once, oldest first; *failed* gets those that cannot be."""
    plans: list[Planned] = []
    seen: dict[str, SourceItem] = {}
    earlier = _earlier_guids(state, existing)
    for item in feed.items:
        label = item.label

        def warn(message: str, item: SourceItem = item) -> None:
            warnings.append(Problem(feed.url, message, item.line, Severity.WARNING))

        if item.enclosure is None and item.enclosure_problem:
            guid_note = f" (GUID {item.guid!r})" if item.guid else ""
            failed.append(
                Problem(
                    feed.url,
                    f"{label}{guid_note}: its enclosure URL {item.enclosure_problem}: not imported; "
                    "import again once the feed is fixed",
                    item.line,
                )
            )
            continue
        if item.enclosure is None:
            warn(f"{label} has no audio enclosure: not an episode, left out")
            continue
        title = item.title.strip()
        if not title:
            title = PurePosixPath(urlsplit(item.enclosure.url).path).stem or "episode"
            warn(f"{label} has no title: named {title!r} after its audio file")
        date = item.date
        if date is None:
            date = datetime.now(UTC).replace(microsecond=0)
            warn(f"{label} has no readable date: dated {date.isoformat()}; edit it")
        guid = item.guid
        derived = not guid
        if not guid:
            guid = _guid_for(item.enclosure.url, title, date, earlier)
        if guid in seen:
            first = seen[guid]
            warn(
                f"{label} repeats the GUID {guid!r} of item {first.index + 1} (line {first.line}): "
                "only the first is imported"
            )
            continue
        seen[guid] = item
        plans.append(Planned(item=item, guid=guid, title=title, date=date, derived=derived))
    plans.sort(key=lambda plan: (plan.date, -plan.item.index))
    return plans


def _earlier_guids(state: ImportState, existing: dict[str, Existing]) -> dict[object, str]:
    """GUIDs an earlier import gave, by enclosure URL and by (title, date)."""
    index: dict[object, str] = {}
    for guid, record in state.episodes.items():
        index.setdefault(record.enclosure, guid)
        known = existing.get(guid)
        if known is not None and guid == record.enclosure:  # a GUID derived by an earlier import
            index.setdefault((known.episode.title, known.episode.date), guid)
    return index


def _guid_for(url: str, title: str, date: datetime, earlier: dict[object, str]) -> str:
    """A GUID for an item without one, given once and then found again in the catalogue.

    Apps that met the item without a GUID know it by its enclosure URL, so that URL is the
    GUID that keeps their downloads; an earlier import of the same item (same title and
    date, if its URL has changed since) keeps the GUID it was given then.
    """
    return earlier.get(url) or earlier.get((title, date)) or url


def assign_numbers(
    plans: list[Planned],
    existing: dict[str, Existing],
    season_from: SeasonFrom,
    where: str,
    warnings: list[Problem],
) -> None:
    """Seasons and episode numbers: the feed's tags (or none, by order), the catalogue's when it has them."""
    in_source = {plan.guid for plan in plans}
    local: dict[tuple[int, int], Existing] = {
        (known.episode.season, known.episode.number): known
        for guid, known in existing.items()
        if known.episode.number is not None
        and guid not in in_source
        and known.episode.type is EpisodeType.FULL
    }
    used = set(local)
    for plan in plans:
        known = existing.get(plan.guid)
        plan.existing = known
        tagged = season_from == "tags"
        plan.season = (plan.item.season if tagged else None) or (known.episode.season if known else 1)
        number = plan.item.number if tagged else None
        if number is None and known and known.episode.season == plan.season:
            number = known.episode.number  # an earlier import's number stays put
        if number is not None and plan.item.type is EpisodeType.FULL:
            holder = local.get((plan.season, number))
            if holder is not None and known is None:
                # Most likely the same episode, added here by hand before the import: never a duplicate.
                plan.conflict, plan.number = holder, number
                continue
            if (plan.season, number) in used:
                warnings.append(
                    Problem(
                        where,
                        f"{plan.title!r}: episode number {number} of season {plan.season} is taken; "
                        "a new number is given",
                        plan.item.line,
                        Severity.WARNING,
                    )
                )
                number = None
            else:
                used.add((plan.season, number))
        plan.number = number
    highest: dict[int, int] = {}
    for season, number in used:
        highest[season] = max(highest.get(season, 0), number)
    for plan in plans:
        if plan.number is None and plan.conflict is None and plan.item.type is EpisodeType.FULL:
            plan.number = highest[plan.season] = highest.get(plan.season, 0) + 1


def place(plans: list[Planned], slugs: set[str], root: Path) -> None:
    """Each episode's file: its name kept if it exists (in its season's folder), else a new unique slug."""
    for plan in plans:
        folder = PodcastFolder(root).season_dir(plan.season)
        if plan.existing is not None:
            plan.path = folder / plan.existing.path.name
            continue
        base = slugify(plan.title)
        slug, counter = base, 1
        while slug in slugs:
            counter += 1
            slug = f"{base[:74]}-{counter}"
        slugs.add(slug)
        plan.path = folder / f"{slug}.md"


def external_media(plan: Planned, where: str, warnings: list[Problem]) -> MediaInfo:
    """Media facts for audio left where it is: what the feed says of it (sha256 "": never seen)."""
    enclosure = plan.item.enclosure
    assert enclosure is not None

    def warn(message: str) -> None:
        warnings.append(Problem(where, f"{plan.title!r}: {message}", plan.item.line, Severity.WARNING))

    mime_type = enclosure.mime_type
    if not mime_type or "/" not in mime_type:
        guessed, _ = mimetypes.guess_type(urlsplit(enclosure.url).path)
        mime_type = guessed if guessed and guessed.startswith(("audio/", "video/")) else "audio/mpeg"
        warn(f"the enclosure has no type: {mime_type} written (from its name); --rehost probes the real one")
    if enclosure.length is None or enclosure.length <= 0:
        warn("the enclosure gives no length: 0 written; --rehost measures the real size")
    if plan.item.duration is None:
        warn("no itunes:duration: 0 written; --rehost probes the real duration")
    return MediaInfo(
        size=enclosure.length or 0,
        sha256="",  # never seen these bytes
        duration=plan.item.duration or 0.0,
        mime_type=mime_type,
        bitrate=0,
        sample_rate=0,
        channels=0,
        codec="",
    )


def episode_text(plan: Planned) -> str:
    """The episode file: front matter as the catalogue reads it, notes in Markdown (or sanitised HTML)."""
    item = plan.item
    front: dict[str, object] = {
        "title": plan.title,
        "season": plan.season,
        "episode": plan.number,
        "type": item.type.value,
        "date": plan.date.isoformat(),
        "guid": plan.guid,
        "audio": plan.audio,
        "explicit": item.explicit,
        "image": item.image if item.image and _image_ok(item.image) else None,
        "transcripts": [
            _filled({"file": t.source, "type": t.mime_type, "language": t.language, "rel": t.rel})
            for t in item.transcripts
        ]
        or None,
        "chapters": item.chapters or None,
        "persons": [_filled(vars(person)) for person in item.persons] or None,
        "location": _filled(vars(item.location)) if item.location else None,
        "keywords": list(item.keywords) or None,
    }
    return render_episode_file(front, html_to_notes(item.notes_html).text)


def _filled(fields: dict[str, str | None]) -> dict[str, str]:
    return {key: value for key, value in fields.items() if value}


def _image_ok(url: str) -> bool:
    return urlsplit(url).path.lower().endswith(_IMAGE_SUFFIXES) and url.lower().endswith(_IMAGE_SUFFIXES)
