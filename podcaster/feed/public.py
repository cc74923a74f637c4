"""Resolve a loaded catalogue into what listeners see: public URLs and storage keys.

Media keys carry a short content hash (``audio/saison-1/slug-1a2b3c4d.mp3``):
a changed file gets a new URL, so the long immutable cache given to media
never serves stale audio, while the episode GUID stays the same.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from podcaster.errors import CatalogueError, PodcasterError, Problem, raise_if_errors
from podcaster.folder.catalogue import Catalogue
from podcaster.media import (
    CHAPTERS_TYPE,
    TIMED_TYPES,
    Chapters,
    DerivedArtwork,
    derive_artwork,
    episode_chapters,
    find_derived_artwork,
    read_transcript,
)
from podcaster.models import (
    Episode,
    MediaInfo,
    PublicEpisode,
    PublicShow,
    Thumbnail,
    Transcript,
    media_content_type,
    season_name,
)

HOP_PREFIX = "e/"  # the site's counting hop: /e/<storage key> answers 302 to the key's media URL


@dataclass(frozen=True)
class Asset:
    """A file beside the catalogue (artwork, transcript, chapters) and where it goes."""

    source: Path
    key: str
    content_type: str
    sha256: str
    size: int
    data: bytes | None = None  # generated in memory (chapters JSON), put from these bytes


def audio_key(episode: Episode, media: MediaInfo) -> str:
    return f"audio/{season_name(episode.season)}/{episode.slug}-{media.sha256[:8]}{media.extension}"


def asset_for(path: Path, folder: str) -> Asset:
    """Describe a local asset file and give it a content-addressed key under *folder*."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    sha = digest.hexdigest()
    content_type = media_content_type(path.name)
    return Asset(path, asset_key(path.name, folder, sha), content_type, sha, path.stat().st_size)


def asset_key(name: str, folder: str, sha256: str) -> str:
    """The storage key for a file called *name*: URL-safe, under *folder*, with a short content hash.

    « Pochette été 2023.PNG » becomes ``artwork/pochette-ete-2023-1a2b3c4d.png``: a key is also a
    public URL, so accents, spaces and control characters are turned into plain ASCII, and the
    hash keeps two files whose names fold to the same text apart.
    """
    # Imported here: the storage package loads boto3, which building feeds alone never needs.
    from podcaster.storage import safe_key

    stem, dot, suffix = PurePosixPath(name.replace("\\", "/")).name.rpartition(".")
    if not dot:
        stem, suffix = suffix, ""
    # Dots inside the stem become hyphens, so the only dot left is the suffix's.
    return safe_key(f"{folder}/{stem.replace('.', '-')}-{sha256[:8]}" + (f".{suffix}" if suffix else ""))


class Resolver:
    """Turns episodes into public episodes, computing each asset's key once.

    With ``derive=False`` nothing is ever written: artwork is taken from the copies build
    and publish derived (in the podcast folder's artwork cache), and left out until they have.
    """

    def __init__(self, catalogue: Catalogue, *, derive: bool = True) -> None:
        self.catalogue = catalogue
        self.derive = derive
        self.urls = catalogue.show.urls
        self._assets: dict[Path, Asset] = {}
        self._generated: dict[str, Asset] = {}  # by storage key
        self._chapters: dict[str, tuple[str | None, Chapters | None]] = {}  # by episode slug
        self._artwork: dict[Path, DerivedArtwork | None] = {}
        self.missing_artwork: list[Path] = []  # covers not derived yet, when not deriving

    def asset(self, path: Path, folder: str) -> Asset:
        if path not in self._assets:
            self._assets[path] = asset_for(path, folder)
        return self._assets[path]

    def assets(self) -> list[Asset]:
        """Every local asset resolved so far (resolve the show and episodes first)."""
        return [*self._assets.values(), *self._generated.values()]

    def artwork(self, path: Path) -> tuple[str | None, tuple[Thumbnail, ...]]:
        """The feed image's URL and the thumbnails derived from a cover, each an asset to publish."""
        if path not in self._artwork:
            cache = self.catalogue.folder.artwork_cache
            if self.derive:
                derived: DerivedArtwork | None = derive_artwork(path, cache)
            else:
                derived = find_derived_artwork(path, cache)
                if derived is None:
                    self.missing_artwork.append(path)
            self._artwork[path] = derived
            for image in derived.images if derived else ():
                self._assets[image.path] = Asset(
                    image.path, image.key, image.mime_type, image.sha256, image.size
                )
        derived = self._artwork[path]
        if derived is None:
            return None, ()
        thumbnails = tuple(
            Thumbnail(self.urls.media_url(image.key), image.width, image.height, image.mime_type)
            for image in derived.thumbnails
        )
        return self.urls.media_url(derived.feed.key), thumbnails

    def public_show(self) -> PublicShow:
        show = self.catalogue.show
        artwork_url, thumbnails = self.artwork(show.artwork) if show.artwork else (None, ())
        seasons = {season.number: self.artwork(season.artwork) for season in show.seasons if season.artwork}
        return PublicShow(
            show=show,
            artwork_url=artwork_url,
            season_artwork_urls={number: url for number, (url, _) in seasons.items() if url},
            artwork_thumbnails=thumbnails,
            season_artwork_thumbnails={number: small for number, (url, small) in seasons.items() if url},
        )

    def public_episode(self, episode: Episode, media: MediaInfo) -> PublicEpisode:
        if episode.audio_is_remote:
            key, audio_url = "", episode.audio
        else:
            key = audio_key(episode, media)
            audio_url = self.urls.media_url(key)
            if self.catalogue.show.stats.get("prefix") is True:
                # Through the site's counting hop, which answers 302 to the URL above; the GUID stays.
                audio_url = self.urls.site_url(HOP_PREFIX + key)
        image_url, image_thumbnails = self._image(episode)
        chapters_url, chapters = self._episode_chapters(episode, media)
        return PublicEpisode(
            episode=episode,
            media=media,
            audio_key=key,
            audio_url=audio_url,
            image_url=image_url,
            chapters_url=chapters_url,
            transcripts=tuple(
                Transcript(
                    source=self._transcript_url(episode, transcript, media) or transcript.source,
                    mime_type=transcript.mime_type,
                    language=transcript.language or self.catalogue.show.language,
                    rel=transcript.rel,
                )
                for transcript in episode.transcripts
            ),
            image_thumbnails=image_thumbnails,
            chapters=chapters.chapters if chapters else (),
        )

    def public_episodes(
        self, now: datetime, season: int | None = None, *, skipped: list[Problem] | None = None
    ) -> list[PublicEpisode]:
        """Live episodes, newest first, with their media facts from the lock file.

        An episode that cannot be resolved raises, unless *skipped* is given: it is then
        left out, and why is added to *skipped* (the site stays up while one episode is broken).
        """
        problems = []
        resolved = []
        for episode in self.catalogue.live_episodes(now, season):
            media = self.catalogue.lock.media(episode.guid)
            if media is None:
                problems.append(
                    Problem(
                        episode.path,
                        "no media facts for this episode yet: run 'podcaster build' where its audio is",
                    )
                )
                continue
            if skipped is None:
                resolved.append(self.public_episode(episode, media))
                continue
            try:
                resolved.append(self.public_episode(episode, media))
            except PodcasterError as error:
                skipped.extend(error.problems)
        if skipped is not None:
            skipped.extend(problems)
        else:
            raise_if_errors(problems, CatalogueError)
        return resolved

    def _image(self, episode: Episode) -> tuple[str | None, tuple[Thumbnail, ...]]:
        """An episode's own image: kept if already a URL, else derived like the show's cover."""
        if not episode.image:
            return None, ()
        if episode.image.startswith(("http://", "https://")):
            return episode.image, ()
        return self.artwork(self.resolve_local(episode, episode.image))

    def _file_url(self, episode: Episode, name: str | None, folder: str) -> str | None:
        """A URL for a file named in front matter: kept if already a URL, else published under *folder*."""
        if not name:
            return None
        if name.startswith(("http://", "https://")):
            return name
        path = self.resolve_local(episode, name)
        return self.urls.media_url(self.asset(path, folder).key)

    def _transcript_url(self, episode: Episode, transcript: Transcript, media: MediaInfo) -> str | None:
        """A transcript's URL; a WebVTT or SRT file is read first, and refused with file and line if invalid."""
        name = transcript.source
        if transcript.mime_type in TIMED_TYPES and not name.startswith(("http://", "https://")):
            path = self.resolve_local(episode, name)
            if path not in self._assets:
                read_transcript(path, duration=media.duration, mime_type=transcript.mime_type)
        return self._file_url(episode, name, "transcripts")

    def _episode_chapters(self, episode: Episode, media: MediaInfo) -> tuple[str | None, Chapters | None]:
        """The JSON chapters URL and what it lists, from the chapters file or the audio's tags.

        The document is generated (``chapters/<slug>-<sha8>.json``) and published from memory
        as ``application/json+chapters``; a chapters file given as a URL is kept as it is.
        """
        if episode.chapters and episode.chapters.startswith(("http://", "https://")):
            return episode.chapters, None
        if episode.slug not in self._chapters:
            source = self.resolve_local(episode, episode.chapters) if episode.chapters else None
            found = episode_chapters(
                episode, media, chapters_file=source, podcast_name=self.catalogue.show.title
            )
            url = None
            if found is not None:
                sha = hashlib.sha256(found.data).hexdigest()
                key = f"chapters/{episode.slug}-{sha[:8]}.json"
                self._generated[key] = Asset(
                    source or episode.path, key, CHAPTERS_TYPE, sha, len(found.data), found.data
                )
                url = self.urls.media_url(key)
            self._chapters[episode.slug] = (url, found)
        return self._chapters[episode.slug]

    def resolve_local(self, episode: Episode, name: str) -> Path:
        """A file named in an episode's front matter, beside the episode file, never outside the podcast."""
        root = self.catalogue.root
        path = (episode.path.parent / name).resolve()
        if not path.is_relative_to(root):
            raise CatalogueError(f"{name!r} points outside the podcast folder", path=episode.path)
        if not path.is_file():
            raise CatalogueError(f"file not found: {name} (looked for {path})", path=episode.path)
        return path
