"""Every public document of a show, rendered in memory: the feeds and episodes.json.

Build, publish and the site all call :func:`render_feeds`, so the three never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from podcaster.errors import Problem
from podcaster.feed.episodes_json import episode_entries, episodes_document
from podcaster.feed.public import Resolver
from podcaster.feed.rss import ShowFeeds, render_items
from podcaster.folder.catalogue import Catalogue
from podcaster.models import PublicEpisode, PublicShow, season_feed_name
from podcaster.parallel import map_shared, worker_count

__all__ = ["PARALLEL_FROM", "Feeds", "render_feeds"]

# From this many live episodes, worker processes write the items: below it, forking
# them would cost about as much as it saves.
PARALLEL_FROM = 2000


@dataclass(frozen=True)
class Feeds:
    """Every feed document, by file name, rendered in memory before anything is written."""

    documents: dict[str, bytes]
    public_show: PublicShow
    episodes: list[PublicEpisode]


def render_feeds(
    catalogue: Catalogue,
    now: datetime,
    resolver: Resolver | None = None,
    *,
    skipped: list[Problem] | None = None,
    workers: int | None = None,
) -> Feeds:
    """Render feed.xml, one feed per season and episodes.json, all in memory.

    Each episode's item is written once for the show's feed and its season's; with many
    episodes, by one process per core (*workers* sets how many; 1: this one). A broken
    episode raises, unless *skipped* is given: see :meth:`Resolver.public_episodes`.
    """
    resolver = resolver or Resolver(catalogue)
    public_show = resolver.public_show()
    episodes = resolver.public_episodes(now, skipped=skipped)
    workers = worker_count(len(episodes), PARALLEL_FROM, workers)
    feeds = ShowFeeds(public_show, episodes, now=now)  # the feed checked before any item is written
    live = feeds.live
    with feeds.naming_unwritable_items():
        # This process writes the channels while the workers start on the items.
        parts = map_shared(
            _parts_of, (public_show, live), len(live), workers, meanwhile=feeds.render_channels
        )
    whole, seasons = feeds.assemble([item for item, _ in parts])
    documents = {
        "feed.xml": whole,
        "episodes.json": episodes_document(public_show, [entry for _, entry in parts]),
    }
    for number, document in seasons.items():
        documents[season_feed_name(number)] = document
    return Feeds(documents=documents, public_show=public_show, episodes=episodes)


def _parts_of(
    state: tuple[PublicShow, Sequence[PublicEpisode]], start: int, stop: int
) -> list[tuple[bytes, bytes]]:
    """The item and the episodes.json entry of the live episodes from *start* to *stop*."""
    public_show, live = state
    run = live[start:stop]
    return list(zip(render_items(public_show.show, run), episode_entries(public_show, run), strict=True))
