"""``podcaster add``: from an audio file anywhere on disk to an episode file with a GUID given once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from podcaster.atomic import write_atomically
from podcaster.errors import CatalogueError, MediaError, PodcasterError
from podcaster.folder.catalogue import load_catalogue
from podcaster.folder.frontmatter import render_episode_file
from podcaster.folder.layout import PodcastFolder, slugify
from podcaster.folder.lockfile import load_lock
from podcaster.folder.tomlfile import season_name_for, with_season
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
    new_season: str | None = None  # the name of the season added to podcast.toml for it, if any


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
    probed: tuple[MediaInfo, Tags] | None = None,
) -> AddedEpisode:
    """Probe *audio*, write ``episodes/saison-N/<slug>.md`` and record its facts; undo both on any error.

    *probed* is the file's facts and tags when the caller has just read them
    from this very file (the studio probes an upload before its form).
    """
    root = root.resolve()
    catalogue = load_catalogue(root)  # a broken catalogue is reported before anything is written
    audio = audio.expanduser().resolve()
    if not audio.is_file():
        # A FIFO, a device or a folder: reading one blocks forever or makes no sense as an episode.
        raise MediaError("not a regular file: give the audio file itself", path=audio)
    media, tags = probed if probed is not None else (probe(audio), read_tags(audio))
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

    new_folder = not target.parent.exists()
    target.parent.mkdir(parents=True, exist_ok=True)
    lock = load_lock(root)
    show_file = podcast.show_file
    show_text = show_file.read_text(encoding="utf-8")
    new_season = None
    written = False
    try:
        if catalogue.show.season(season) is None:
            new_season = season_name_for(season, catalogue.show.language)
            write_atomically(show_file, with_season(show_text, season, new_season).encode("utf-8"))
        try:
            with target.open("x", encoding="utf-8") as stream:  # never overwrite an existing episode
                written = True
                stream.write(text)
        except FileExistsError:
            raise CatalogueError(
                "an episode file with this name already exists; pass another --title", path=target
            ) from None
        load_catalogue(root)
        lock.record_media(guid, relative_audio, media)
        lock.save()
    except PodcasterError:
        if written:
            target.unlink(missing_ok=True)
        if artwork:
            artwork.unlink(missing_ok=True)
        if new_season:
            write_atomically(show_file, show_text.encode("utf-8"))
        if new_folder:
            target.parent.rmdir()
        raise
    return AddedEpisode(
        path=target,
        guid=guid,
        title=title,
        number=number,
        media=media,
        artwork=artwork,
        new_season=new_season,
    )


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
