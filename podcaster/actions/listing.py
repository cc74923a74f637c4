"""``podcaster list``: where each episode stands (draft, scheduled, local, published, changed), and its audio."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from podcaster.actions.check import measure_episodes
from podcaster.errors import PodcasterError, Problem
from podcaster.folder.catalogue import Catalogue, load_catalogue
from podcaster.folder.mediafacts import refresh_media
from podcaster.models import Episode, MediaInfo

if TYPE_CHECKING:
    from podcaster.media.loudness import Loudness

Progress = Callable[[str], None]


class State(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    LOCAL = "local"
    PUBLISHED = "published"
    CHANGED = "changed"


@dataclass(frozen=True)
class EpisodeRow:
    """One episode, its state, its media facts (None when unknown) and, when asked, its loudness."""

    episode: Episode
    state: State
    media: MediaInfo | None
    loudness: Loudness | None = None  # None when not asked, or its audio is neither here nor measured before


@dataclass(frozen=True)
class ListResult:
    rows: list[EpisodeRow] = field(default_factory=list)
    audio: bool = False  # loudness was measured: show the audio figures
    warnings: list[Problem] = field(default_factory=list)


def episode_state(catalogue: Catalogue, episode: Episode, now: datetime) -> State:
    if episode.draft:
        return State.DRAFT
    entry = catalogue.lock.episodes.get(episode.guid)
    if entry is None or entry.publication is None:
        return State.SCHEDULED if episode.date > now else State.LOCAL
    if entry.publication.sha256 != entry.media.sha256:
        return State.CHANGED
    return State.SCHEDULED if episode.date > now else State.PUBLISHED


def episode_states(catalogue: Catalogue, now: datetime) -> list[tuple[Episode, State]]:
    return [(episode, episode_state(catalogue, episode, now)) for episode in catalogue.episodes]


def list_episodes(
    root: Path, now: datetime, *, audio: bool = False, progress: Progress | None = None
) -> ListResult:
    """Every episode of *root* with its state; with *audio*, also probe what is new and measure loudness.

    The lock file is not saved: listing never changes the folder (the loudness cache aside).
    """
    catalogue = load_catalogue(root)
    warnings: list[Problem] = []
    measured: dict[str, Loudness] = {}
    if audio:
        try:
            refresh_media(catalogue)  # facts for audio added since the last build
        except PodcasterError as error:
            warnings.extend(error.problems)
        measured, problems = measure_episodes(catalogue, progress)
        warnings.extend(problems)
    rows = [
        EpisodeRow(episode, state, catalogue.lock.media(episode.guid), measured.get(episode.guid))
        for episode, state in episode_states(catalogue, now)
    ]
    return ListResult(rows=rows, audio=audio, warnings=warnings)
