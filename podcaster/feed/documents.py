"""Every public document of a show, rendered in memory: the feeds and episodes.json.

Build, publish and the site all call :func:`render_feeds`, so the three never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from podcaster.errors import Problem
from podcaster.feed.episodes_json import render_episodes_json
from podcaster.feed.public import Resolver
from podcaster.feed.rss import render_feed
from podcaster.folder.catalogue import Catalogue
from podcaster.models import PublicEpisode, PublicShow, season_feed_name


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
) -> Feeds:
    """Render feed.xml, one feed per season and episodes.json, all in memory.

    A broken episode raises, unless *skipped* is given: see :meth:`Resolver.public_episodes`.
    """
    resolver = resolver or Resolver(catalogue)
    public_show = resolver.public_show()
    episodes = resolver.public_episodes(now, skipped=skipped)
    urls = catalogue.show.urls
    documents = {
        "feed.xml": render_feed(public_show, episodes, self_url=urls.feed, now=now),
        "episodes.json": render_episodes_json(public_show, episodes, now=now),
    }
    by_season: dict[int, list[PublicEpisode]] = {}
    for item in episodes:
        by_season.setdefault(item.episode.season, []).append(item)
    for season in catalogue.show.seasons:
        in_season = by_season.get(season.number, [])
        documents[season_feed_name(season.number)] = render_feed(
            public_show, in_season, self_url=urls.season_feed_url(season.number), season=season, now=now
        )
    return Feeds(documents=documents, public_show=public_show, episodes=episodes)
