"""Every path of a podcast folder, known in one place.

A podcast folder holds the show (``podcast.toml``), the ledger of what was
learnt and published (``podcast.lock``), one Markdown file per episode under
``episodes/saison-N/``, the feeds ``build`` writes in ``feeds/``, the public
site as static files in ``site/`` (not committed), and a local, uncommitted
working folder ``.podcaster/`` (caches, the build manifest, the publish lock,
the studio's accounts, uploads and activity log). Any other module that spells
one of these paths is a bug.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from podcaster.errors import ConfigError
from podcaster.models import season_name, season_number

SHOW_FILE = "podcast.toml"
LOCK_FILE = "podcast.lock"
IMPORT_RECORD_FILE = "podcast.import.json"
EPISODES_DIR = "episodes"
FEEDS_DIR = "feeds"
SITE_DIR = "site"
ARTWORK_DIR = "artwork"
AUDIO_DIR = "audio"
WORK_DIR = ".podcaster"


def slugify(text: str) -> str:
    """An ASCII slug: « Épisode 1 : la ville » → ``episode-1-la-ville``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:80].rstrip("-") or "episode"


@dataclass(frozen=True)
class PodcastFolder:
    """A podcast folder on disk: the paths of everything it holds."""

    root: Path

    @classmethod
    def find(cls, start: Path) -> PodcastFolder:
        """Find the nearest folder upward from *start* holding podcast.toml, as git finds .git."""
        start = start.resolve()
        for folder in (start, *start.parents):
            if (folder / SHOW_FILE).is_file():
                return cls(folder)
        raise ConfigError(
            f"no {SHOW_FILE} here or in any parent folder; run 'podcaster init', pass --root or set PODCASTER_ROOT",
            path=start,
        )

    @property
    def show_file(self) -> Path:
        return self.root / SHOW_FILE

    @property
    def lock_file(self) -> Path:
        return self.root / LOCK_FILE

    @property
    def import_record(self) -> Path:
        """What ``import`` remembers of the show it brought home (committed beside the catalogue)."""
        return self.root / IMPORT_RECORD_FILE

    @property
    def episodes_dir(self) -> Path:
        return self.root / EPISODES_DIR

    @property
    def feeds_dir(self) -> Path:
        return self.root / FEEDS_DIR

    @property
    def site_dir(self) -> Path:
        """The public site as static files, written by build and published beside the feeds (not committed)."""
        return self.root / SITE_DIR

    @property
    def artwork_dir(self) -> Path:
        return self.root / ARTWORK_DIR

    def show_cover(self, digest: str, suffix: str) -> Path:
        """Where the studio keeps a new show cover: named by its content, so the old one is never overwritten."""
        return self.artwork_dir / f"cover-{digest}{suffix}"

    def season_dir(self, number: int) -> Path:
        return self.episodes_dir / season_name(number)

    def episode_file(self, season: int, slug: str) -> Path:
        return self.season_dir(season) / f"{slug}.md"

    def episode_files(self) -> Iterator[Path]:
        """Yield every episode file, season folders in number order, then file names."""
        if not self.episodes_dir.is_dir():
            return
        # os.scandir: a catalogue can hold thousands of files, and Path.glob builds a Path for each.
        with os.scandir(self.episodes_dir) as entries:
            folders = [
                (number, entry.name)
                for entry in entries
                if entry.is_dir() and (number := season_number(entry.name)) is not None
            ]
        for _, name in sorted(folders):
            folder = self.episodes_dir / name
            with os.scandir(folder) as entries:
                files = sorted(entry.name for entry in entries if entry.name.endswith(".md"))
            yield from (folder / file for file in files)

    def episode_artwork(self, slug: str, suffix: str) -> Path:
        """Where ``add`` saves the cover found in an episode's audio tags."""
        return self.artwork_dir / "episodes" / f"{slug}{suffix}"

    def episode_transcript(self, season: int, slug: str, suffix: str) -> Path:
        """Where the studio keeps an episode's transcript: beside its file, as ``<slug>.vtt`` or ``.srt``."""
        return self.season_dir(season) / f"{slug}{suffix}"

    def episode_chapters(self, season: int, slug: str) -> Path:
        """Where the studio keeps an episode's JSON chapters file: beside its file."""
        return self.season_dir(season) / f"{slug}.chapters.json"

    def rehosted_audio_dir(self, season: int) -> Path:
        """Where ``import --rehost`` keeps the audio it downloads for a season."""
        return self.root / AUDIO_DIR / season_name(season)

    def feed_file(self, name: str) -> Path:
        return self.feeds_dir / name

    # The local, uncommitted working folder.

    @property
    def artwork_cache(self) -> Path:
        """Derived artwork (the feed JPEG, thumbnails), made by build and publish, read by the site."""
        return self.root / WORK_DIR / "artwork"

    @property
    def probe_cache(self) -> Path:
        return self.root / WORK_DIR / "probe-cache.json"

    @property
    def loudness_cache(self) -> Path:
        return self.root / WORK_DIR / "loudness.json"

    @property
    def build_manifest(self) -> Path:
        return self.root / WORK_DIR / "build-manifest.json"

    @property
    def publish_lock(self) -> Path:
        return self.root / WORK_DIR / "publish.lock"

    @property
    def users_file(self) -> Path:
        """The studio's accounts and password hashes: never committed, never published, mode 0600."""
        return self.root / WORK_DIR / "users.json"

    @property
    def edit_lock(self) -> Path:
        """Held while the studio, or any save of ``podcast.lock``, rewrites a file, so two saves never interleave."""
        return self.root / WORK_DIR / "edit.lock"

    @property
    def work_gitignore(self) -> Path:
        """Tells git to leave the whole working folder out, whatever the folder's own .gitignore says."""
        return self.root / WORK_DIR / ".gitignore"

    @property
    def stats_db(self) -> Path:
        """The audience figures (daily aggregates only), kept out of git and out of anything published."""
        return self.root / WORK_DIR / "stats.sqlite"

    @property
    def uploads_dir(self) -> Path:
        """Audio the studio is receiving, chunk by chunk, until it becomes an episode's (same disk: a move)."""
        return self.root / WORK_DIR / "uploads"

    @property
    def publish_jobs_dir(self) -> Path:
        """The studio's publishes' progress, one JSON file each, so every worker process can show it."""
        return self.root / WORK_DIR / "publish-jobs"

    @property
    def activity_log(self) -> Path:
        """The studio's append-only record of who did what, one JSON object a line."""
        return self.root / WORK_DIR / "activity.jsonl"

    def relative(self, path: Path) -> str:
        """Name *path* relative to the folder, as the catalogue and the lock file write it."""
        return Path(os.path.relpath(path, self.root)).as_posix()

    def inside(self, name: str, base: Path | None = None) -> Path | None:
        """Resolve *name* against *base* (default the root); ``None`` when it leaves the folder."""
        path = ((base or self.root) / name).resolve()
        return path if path.is_relative_to(self.root.resolve()) else None


def ignore_work_dir(folder: PodcastFolder) -> None:
    """Make ``.podcaster/`` invisible to git (accounts, uploads, logs are never committed), if not already."""
    path = folder.work_gitignore
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            "# Written by podcaster: nothing in this folder is ever committed.\n*\n", encoding="utf-8"
        )


def find_root(start: Path) -> Path:
    """The nearest folder upward from *start* holding podcast.toml."""
    return PodcastFolder.find(start).root
