"""What the audience database says for a period: totals, episodes, apps, devices, countries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from podcaster.stats.counting import Target
from podcaster.stats.store import Release, StatsStore

FIRST_WEEK = 7
FIRST_MONTH = 30
CURVES = 12  # episodes whose first month is drawn against the others: the latest released in the period


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
    # guid -> downloads on each of its first 30 days (None: not yet lived), for the latest released in the period
    curves: dict[str, list[int | None]] = field(default_factory=dict)

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
            "first_30_days_curves": self.curves,
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
        curves=_curves(store, targets, start, end, span[1] if span else None),
    )


def _curves(
    store: StatsStore, targets: Sequence[Target], start: str, end: str, last: str | None
) -> dict[str, list[int | None]]:
    """Daily downloads of each episode's first month, for the latest episodes released from *start* to *end*."""
    released = sorted((t for t in targets if start <= t.released <= end), key=lambda t: (t.released, t.guid))
    curves: dict[str, list[int | None]] = {}
    for target in released[-CURVES:]:
        first = date.fromisoformat(target.released)
        days = [(first + timedelta(days=n)).isoformat() for n in range(FIRST_MONTH)]
        counts = store.episode_days(target.guid, days[0], days[-1])
        curves[target.guid] = [counts.get(day, 0) if last and day <= last else None for day in days]
    return curves
