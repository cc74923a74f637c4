"""``podcaster add``: from an audio file anywhere on disk to an episode file with a GUID given once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from podcaster.errors import CatalogueError, PodcasterError
from podcaster.folder.catalogue import load_catalogue
from podcaster.folder.episodefile import render_episode_file
from podcaster.folder.layout import PodcastFolder, slugify
from podcaster.folder.lockfile import load_lock
from podcaster.media import probe, read_artwork, read_tags
from podcaster.models import EpisodeType, MediaInfo, Tags, season_name

_ARTWORK_SUFFIX = {"image/jpeg": ".jpg", "image/png": ".png"}


@dataclass(frozen=True)
class AddedEpisode:
    path: Path
    guid: str
    title: str
    number: int | None
    media: MediaInfo
    artwork: Path | None


def add_episode(
    root: Path,
    audio: Path,
    *,
    season: int,
    number: int | None = None,
    title: str | None = None,
    date: datetime | None = None,
    episode_type: EpisodeType = EpisodeType.FULL,
    draft: bool = False,
    now: datetime | None = None,
) -> AddedEpisode:
    """Probe *audio*, write ``episodes/saison-N/<slug>.md`` and record its facts; undo both on any error."""
    root = root.resolve()
    catalogue = load_catalogue(root)  # a broken catalogue is reported before anything is written
    if catalogue.show.season(season) is None:
        raise CatalogueError(
            f"unknown season {season}: add a [[seasons]] table with number = {season} first",
            path=root / "podcast.toml",
        )
    audio = audio.expanduser().resolve()
    media = probe(audio)
    tags = read_tags(audio)
    in_season = [e for e in catalogue.episodes if e.season == season]
    if number is None and episode_type is EpisodeType.FULL:
        number = max((e.number or 0 for e in in_season), default=0) + 1
    title = (title or tags.title or audio.stem.replace("_", " ")).strip()
    date = date or _tag_date(tags) or (now or datetime.now().astimezone()).replace(microsecond=0)
    if date.tzinfo is None:
        raise CatalogueError("--date needs a time zone, e.g. 2023-01-25T09:00:00+01:00")
    podcast = PodcastFolder(root)
    slug = slugify(title)
    taken = {e.slug for e in catalogue.episodes}
    if slug in taken:
        slug = (
            f"{season_name(season)}-{slug}"
            if f"{season_name(season)}-{slug}" not in taken
            else f"{slug}-{uuid.uuid4().hex[:6]}"
        )
    target = podcast.episode_file(season, slug)
    guid = str(uuid.uuid4())
    artwork = _save_artwork(root, audio, slug)
    try:
        relative_audio = audio.relative_to(root).as_posix()
    except ValueError:
        relative_audio = str(audio)  # the producer's export folder, outside the catalogue
    front = {
        "title": title,
        "season": season,
        "episode": number,
        "type": episode_type.value,
        "date": date.isoformat(),
        "guid": guid,
        "audio": relative_audio,
    }
    if artwork:
        front["image"] = Path("../..", artwork.relative_to(root)).as_posix()
    if draft:
        front["draft"] = True
    text = render_episode_file(front, (tags.comment or "").strip())

    target.parent.mkdir(parents=True, exist_ok=True)
    lock = load_lock(root)
    before = lock.to_json()
    try:
        with target.open("x", encoding="utf-8") as stream:  # never overwrite an existing episode
            stream.write(text)
    except FileExistsError:
        raise CatalogueError(
            "an episode file with this name already exists; pass another --title", path=target
        ) from None
    try:
        load_catalogue(root)
        lock.record_media(guid, relative_audio, media)
        lock.save()
    except PodcasterError:
        target.unlink(missing_ok=True)
        if artwork:
            artwork.unlink(missing_ok=True)
        if lock.to_json() != before:
            lock.path.write_text(before, encoding="utf-8")
        raise
    return AddedEpisode(path=target, guid=guid, title=title, number=number, media=media, artwork=artwork)


def _tag_date(tags: Tags) -> datetime | None:
    if not tags.date:
        return None
    try:
        parsed = datetime.fromisoformat(tags.date)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def _save_artwork(root: Path, audio: Path, slug: str) -> Path | None:
    artwork = read_artwork(audio)
    if artwork is None or artwork.mime_type not in _ARTWORK_SUFFIX:
        return None
    path = PodcastFolder(root).episode_artwork(slug, _ARTWORK_SUFFIX[artwork.mime_type])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(artwork.data)
    return path
