"""The audience as the studio shows it: a period's figures and the charts drawn from them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from podcaster.actions.stats import audience_figures, charts_of
from podcaster.settings import Settings
from podcaster.stats.charts import Chart
from podcaster.stats.figures import Audience

# The period selector's shortcuts: a name and how many days back from today (None: all that was counted).
PERIODS: tuple[tuple[str, int | None], ...] = (("30", 30), ("90", 90), ("365", 365), ("all", None))


@dataclass(frozen=True)
class AudienceView:
    figures: Audience
    charts: list[Chart]


def period_days(period: str, today: date) -> tuple[str | None, str | None]:
    """The first and last day of a shortcut period (``"30"``: the last 30 days, today included)."""
    days = dict(PERIODS).get(period)
    if days is None:
        return None, None
    return (today - timedelta(days=days - 1)).isoformat(), today.isoformat()


def audience_view(
    root: Path, start: str | None, end: str | None, language: str, settings: Settings | None = None
) -> AudienceView:
    """The figures from *start* to *end* (ISO days, open ends: all counted) and their charts.

    *settings* hold the audience store's password when the show keeps its figures on a server.
    """
    figures = audience_figures(root, start, end, settings)
    return AudienceView(figures, charts_of(figures, language))
