"""``podcaster tag``: write each episode's facts into its audio file's own tags before it goes out.

A downloaded file is then complete in any player: title, show, season and
episode numbers, date, cover and chapters. Once an episode is published its
audio is never rewritten silently: new tags change the file's length and
checksum, which breaks resumed downloads (a byte range of the old file glued
to the new one) and makes apps download it again; only ``force`` does it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from podcaster.errors import CatalogueError, Problem, raise_if_errors
from podcaster.feed.public import Resolver
from podcaster.folder.catalogue import Catalogue, load_catalogue
from podcaster.folder.mediafacts import ProbeCache, refresh_media
from podcaster.media import derive_artwork, file_signature, probe, read_chapters_file, write_tags
from podcaster.models import Artwork, Chapter, Episode, MediaInfo

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Tagged:
    """One episode whose file was looked at: its media facts before and after (the same if unchanged)."""

    episode: Episode
    path: Path
    before: MediaInfo | None  # from the lock file, if it knew the file
    after: MediaInfo
    changed: bool  # False when the file already carried exactly these tags


def is_published(catalogue: Catalogue, episode: Episode) -> bool:
    entry = catalogue.lock.episodes.get(episode.guid)
    return entry is not None and entry.publication is not None


def tag_episodes(
    root: Path,
    slugs: Sequence[str] = (),
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> list[Tagged]:
    """Write the tags of the episodes named by *slugs* (default: every one not yet published).

    Named episodes already published are refused unless *force*; without names they are
    left alone. Each file is probed again afterwards and the lock file updated. Raises
    :class:`CatalogueError` naming every refused or unknown episode before writing anything.
    """
    catalogue = load_catalogue(root)
    lock_before = catalogue.lock.to_json()
    episodes = _select(catalogue, slugs, force)
    refresh_media(catalogue, progress)  # the facts "before" are the file's as it is now
    results = []
    for episode in episodes:
        if progress:
            progress(f"tagging {episode.audio}")
        results.append(tag_episode(catalogue, episode))
    if catalogue.lock.to_json() != lock_before:
        catalogue.lock.save()
    return results


def _select(catalogue: Catalogue, slugs: Sequence[str], force: bool) -> list[Episode]:
    if not slugs:
        return [
            episode
            for episode in catalogue.episodes
            if not episode.audio_is_remote
            and not is_published(catalogue, episode)
            and episode.audio_path(catalogue.root).is_file()
        ]
    problems = []
    chosen = []
    for slug in dict.fromkeys(slugs):
        episode = catalogue.episode(slug)
        if episode is None:
            known = ", ".join(sorted(e.slug for e in catalogue.episodes)) or "none yet"
            problems.append(Problem(catalogue.root / "episodes", f"no episode '{slug}' (episodes: {known})"))
        elif episode.audio_is_remote:
            problems.append(Problem(episode.path, f"its audio is online ({episode.audio}), not a file here"))
        elif not episode.audio_path(catalogue.root).is_file():
            problems.append(Problem(episode.path, f"audio file not found: {episode.audio}"))
        elif is_published(catalogue, episode) and not force:
            problems.append(
                Problem(
                    episode.path,
                    "already published: writing its tags would change the audio's length and checksum,"
                    " which breaks downloads resumed from the old file and makes apps download it again;"
                    " pass --force to rewrite it anyway",
                )
            )
        else:
            chosen.append(episode)
    raise_if_errors(problems, CatalogueError)
    return chosen


def tag_episode(catalogue: Catalogue, episode: Episode) -> Tagged:
    """Write one episode's tags, probe the file again and record its new facts in the (unsaved) lock.

    Chapters come from the episode's chapters file when it names one; otherwise the
    file keeps the chapters it has. The cover is the feed image publish derives.
    """
    show = catalogue.show
    path = episode.audio_path(catalogue.root)
    before = catalogue.lock.media(episode.guid)
    resolver = Resolver(catalogue)
    chapters: Sequence[Chapter] | None = None  # None leaves the file's own chapters as they are
    if episode.chapters and not episode.chapters.startswith(("http://", "https://")):
        source = resolver.resolve_local(episode, episode.chapters)
        _, chapters = read_chapters_file(source, duration=before.duration if before else None)
    signature = file_signature(path)
    write_tags(
        path,
        title=episode.title,
        show=show.title,
        artist=show.author,
        season=episode.season,
        episode=episode.number,
        date=episode.date,
        artwork=_cover(catalogue, episode, resolver),
        chapters=chapters,
    )
    if before is not None and file_signature(path) == signature:
        return Tagged(episode, path, before, before, changed=False)  # it already carried these tags
    after = probe(path)
    catalogue.lock.record_media(episode.guid, episode.audio, after)
    # Tell build's probe cache, so the next build does not hash the file again.
    cache = ProbeCache(catalogue.folder.probe_cache)
    cache.remember(path, file_signature(path), after.sha256)
    cache.save()
    return Tagged(episode, path, before, after, changed=True)


def _cover(catalogue: Catalogue, episode: Episode, resolver: Resolver) -> Artwork | None:
    """The feed image derived from the episode's own image, else its season's, else the show's."""
    source: Path | None = None
    if episode.image and not episode.image.startswith(("http://", "https://")):
        source = resolver.resolve_local(episode, episode.image)
    if source is None:
        season = catalogue.show.season(episode.season)
        source = (season.artwork if season else None) or catalogue.show.artwork
    if source is None or not source.is_file():
        return None
    feed = derive_artwork(source, catalogue.folder.artwork_cache).feed
    return Artwork(mime_type=feed.mime_type, data=feed.path.read_bytes())
