"""What the studio's home shows: every episode's state, the checks at a glance, the last publish."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from podcaster.actions.check import check
from podcaster.actions.listing import EpisodeRow, State, list_episodes
from podcaster.errors import PodcasterError, Problem
from podcaster.models import Episode


@dataclass(frozen=True)
class Overview:
    """The catalogue as producers see it; *broken* holds why it did not load, and then nothing else."""

    rows: list[EpisodeRow] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    broken: list[Problem] = field(default_factory=list)
    last_published: Episode | None = None  # the newest episode listeners have, as published
    published_count: int = 0

    def problems_of(self, episode: Episode) -> tuple[int, int]:
        """How many errors and warnings ``check`` found in *episode*'s file."""
        path = episode.path.resolve()

        def mine(problem: Problem) -> bool:
            return problem.path is not None and Path(problem.path).resolve() == path

        return sum(map(mine, self.errors)), sum(map(mine, self.warnings))


def studio_overview(root: Path, now: datetime) -> Overview:
    """Every episode of *root* with its state, and what ``check`` (without audio) says; never raises on a bad file."""
    try:
        listed = list_episodes(root, now)
        checked = check(root, now, audio=False)
    except PodcasterError as error:
        return Overview(broken=error.problems)
    published = [row.episode for row in listed.rows if row.state in (State.PUBLISHED, State.CHANGED)]
    return Overview(
        rows=sorted(listed.rows, key=lambda row: row.episode.date, reverse=True),
        errors=checked.errors,
        warnings=[*listed.warnings, *checked.warnings],
        last_published=max(published, key=lambda episode: episode.date, default=None),
        published_count=len(published),
    )
