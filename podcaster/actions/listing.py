"""Where each episode stands: draft, scheduled, local only, published, or changed since publishing."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from podcaster.folder.catalogue import Catalogue
from podcaster.models import Episode


class State(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    LOCAL = "local"
    PUBLISHED = "published"
    CHANGED = "changed"


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
