"""Load the catalogue: ``podcast.toml`` and one Markdown file per episode, all validated at once."""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from podcaster.errors import CatalogueError, ConfigError, Problem, raise_if_errors
from podcaster.folder.episodefile import FileSeen, load_episode
from podcaster.folder.frontmatter import parse_front_matter
from podcaster.folder.layout import PodcastFolder
from podcaster.folder.lockfile import Lock, read_lock
from podcaster.folder.showfile import load_show
from podcaster.models import Episode, EpisodeType, Show
from podcaster.parallel import map_shared, worker_count

__all__ = ["PARALLEL_FROM", "Catalogue", "load_catalogue", "parse_front_matter"]

# From this many episode files, worker processes read them (about 0.1 ms each here): below
# it, starting them would cost about as much as it saves.
PARALLEL_FROM = 1000


@dataclass(frozen=True)
class Catalogue:
    root: Path
    show: Show
    episodes: tuple[Episode, ...]
    lock: Lock
    warnings: tuple[Problem, ...] = ()
    # The episode files and their local audio as loading found them, by absolute path: what
    # the build's manifest records of them, without looking again (see FileSeen).
    files: Mapping[str, FileSeen] = field(default_factory=dict)

    def has_no_file(self, path: str) -> bool:
        """Whether loading looked for a file at *path* (absolute, normalised) and found none."""
        return path in self.files and self.files[path] is None

    @property
    def folder(self) -> PodcastFolder:
        return PodcastFolder(self.root)

    def live_episodes(self, now: datetime, season: int | None = None) -> list[Episode]:
        """Episodes listeners may see at *now*, newest first."""
        live = [e for e in self.episodes if e.is_live(now) and (season is None or e.season == season)]
        return sorted(live, key=lambda episode: episode.date, reverse=True)

    def next_release(self, now: datetime) -> datetime | None:
        """When the next scheduled episode goes live after *now*: what listeners see changes then."""
        upcoming = [e.date for e in self.episodes if not e.draft and e.date > now]
        return min(upcoming, default=None)

    def episode(self, slug: str) -> Episode | None:
        for episode in self.episodes:
            if episode.slug == slug:
                return episode
        return None


def load_catalogue(root: Path, *, workers: int | None = None) -> Catalogue:
    """Load and validate the whole catalogue in *root*; raise with every problem found.

    Large catalogues are read by one process per core; *workers* sets how many (1: this one).
    """
    root = root.resolve()
    problems: list[Problem] = []
    try:
        show = load_show(root)
    except ConfigError as error:
        # Report the episode files' problems too, so one run shows everything to fix.
        problems.extend(error.problems)
        show = None
    lock_text = read_lock(root)
    paths = list(PodcastFolder(root).episode_files())
    # Reading, parsing and rendering take the time: for large catalogues, this process and
    # forked workers share the files, each loading a run of neighbours (their folder listings).
    # The episode files need only the lock's GUIDs: its records are built here meanwhile.
    workers = worker_count(len(paths), PARALLEL_FROM, workers)
    state = (paths, show, lock_text.guids)
    built: list[Lock] = []
    loaded = map_shared(
        _load_run, state, len(paths), workers, meanwhile=lambda: built.append(lock_text.load())
    )
    lock = built[0]
    episodes: list[Episode] = []
    lines: list[dict[str, int]] = []  # the line of each key in each episode's file
    files: dict[str, FileSeen] = {}
    for episode, key_lines, found, seen in loaded:
        problems.extend(found)
        files.update(seen)
        if episode is not None:
            episodes.append(episode)
            lines.append(key_lines)
    problems.extend(_cross_checks(episodes, lines))
    raise_if_errors(problems, CatalogueError)
    assert show is not None
    ordered = sorted(episodes, key=lambda e: (e.season, e.number or 0, e.date))
    warnings = tuple(problem for problem in problems if not problem.is_error)
    return Catalogue(root=root, show=show, episodes=tuple(ordered), lock=lock, warnings=warnings, files=files)


def _load_run(
    state: tuple[Sequence[Path], Show | None, Container[str]], start: int, stop: int
) -> list[tuple[Episode | None, dict[str, int], list[Problem], dict[str, FileSeen]]]:
    paths, show, recorded = state
    listings: dict[str, list[str]] = {}  # each season folder's transcript files, listed once
    loaded = []
    for path in paths[start:stop]:
        seen: dict[str, FileSeen] = {}
        loaded.append((*load_episode(path, show, recorded, listings, seen), seen))
    return loaded


def _cross_checks(episodes: list[Episode], lines: list[dict[str, int]]) -> list[Problem]:
    problems = []
    by_guid: dict[str, Episode] = {}
    by_number: dict[tuple[int, int], Episode] = {}
    by_slug: dict[str, Episode] = {}
    for episode, key_lines in zip(episodes, lines, strict=True):
        first = by_guid.setdefault(episode.guid, episode)
        if first is not episode:
            problems.append(
                Problem(
                    episode.path,
                    f"duplicate guid {episode.guid!r}: already used by {first.path}",
                    key_lines.get("guid"),
                )
            )
        if episode.number is not None and episode.type is EpisodeType.FULL:
            first = by_number.setdefault((episode.season, episode.number), episode)
            if first is not episode:
                problems.append(
                    Problem(
                        episode.path,
                        f"duplicate episode number {episode.number} in season {episode.season}: already used by {first.path}",
                        key_lines.get("episode"),
                    )
                )
        first = by_slug.setdefault(episode.slug, episode)
        if first is not episode:
            problems.append(
                Problem(
                    episode.path,
                    f"duplicate slug '{episode.slug}': already used by {first.path}; rename one file",
                )
            )
    return problems
