"""What the audience database says for a period: totals, episodes, apps, devices, countries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from podcaster.stats.counting import Target
from podcaster.stats.store import Release, StatsStore

FIRST_WEEK = 7
FIRST_MONTH = 30


@dataclass(frozen=True)
class EpisodeFigures:
    guid: str
    title: str
    released: str
    downloads: int  # in the period asked for
    first_7_days: int
    first_30_days: int
    all_time: int


@dataclass(frozen=True)
class Audience:
    """The figures of one period (``start`` to ``end``, days included)."""

    start: str
    end: str
    total: int
    episodes: list[EpisodeFigures] = field(default_factory=list)
    apps: dict[str, int] = field(default_factory=dict)
    devices: dict[str, int] = field(default_factory=dict)
    countries: dict[str, int] = field(default_factory=dict)
    days: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The shape programs read: ``{"total", "episodes": […], "apps", "countries", …}``."""
        return {
            "from": self.start,
            "to": self.end,
            "total": self.total,
            "episodes": [
                {
                    "guid": e.guid,
                    "title": e.title,
                    "released": e.released,
                    "downloads": e.downloads,
                    "first_7_days": e.first_7_days,
                    "first_30_days": e.first_30_days,
                    "all_time": e.all_time,
                }
                for e in self.episodes
            ],
            "apps": self.apps,
            "devices": self.devices,
            "countries": self.countries,
            "days": self.days,
        }


def audience(store: StatsStore, targets: Sequence[Target], start: str | None, end: str | None) -> Audience:
    """The figures from *start* to *end* (either open: from the first or to the last day counted)."""
    span = store.span()
    start = start or (span[0] if span else "0001-01-01")
    end = end or (span[1] if span else "9999-12-31")
    releases = [Release(target.guid, target.released) for target in targets]
    in_period = store.per_episode(start, end)
    all_time = store.all_time()
    week = store.first_days(releases, FIRST_WEEK)
    month = store.first_days(releases, FIRST_MONTH)
    titles = {target.guid: target for target in targets}
    episodes = [
        EpisodeFigures(
            guid,
            titles[guid].title if guid in titles else "",
            titles[guid].released if guid in titles else "",
            in_period.get(guid, 0),
            week.get(guid, 0),
            month.get(guid, 0),
            count,
        )
        for guid, count in all_time.items()
    ]
    episodes.sort(key=lambda e: (e.released, e.guid), reverse=True)
    return Audience(
        start=start,
        end=end,
        total=store.total(start, end),
        episodes=episodes,
        apps=store.per_name("app", start, end),
        devices=store.per_name("device", start, end),
        countries=store.per_name("country", start, end),
        days=store.per_day(start, end),
    )
