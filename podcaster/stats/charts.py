"""The audience as charts: SVG drawn here with pygal, each with the table of the numbers it shows.

The same charts serve the printed report and the studio, so neither needs a
browser to draw them, and each comes with its data as a table (for screen
readers, and to check a chart against the figures). Charts carry no script.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from podcaster.stats.figures import FIRST_MONTH, Audience

_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)
TOP = 10  # bars in a ranking; the rest are summed as "others"
_TEXTS = {
    "fr": {
        "days": "Téléchargements par jour",
        "downloads": "Téléchargements",
        "release": "Sortie d’un épisode",
        "day": "Jour",
        "released": "Épisode sorti",
        "first_month": "Les 30 premiers jours de chaque épisode (cumul)",
        "day_n": "Jour",
        "episode": "Épisode",
        "apps": "Applications",
        "app": "Application",
        "devices": "Appareils",
        "device": "Appareil",
        "countries": "Pays",
        "country": "Pays",
        "others": "Autres",
        "unknown": "Inconnu",
    },
    "en": {
        "days": "Downloads per day",
        "downloads": "Downloads",
        "release": "Episode release",
        "day": "Day",
        "released": "Episode released",
        "first_month": "Each episode's first 30 days (cumulative)",
        "day_n": "Day",
        "episode": "Episode",
        "apps": "Apps",
        "app": "App",
        "devices": "Devices",
        "device": "Device",
        "countries": "Countries",
        "country": "Country",
        "others": "Others",
        "unknown": "Unknown",
    },
}
_COLOURS = ("#1f5f8b", "#c0392b", "#2e7d32", "#8e44ad", "#b9770e", "#00838f", "#6d4c41", "#ad1457")


@dataclass(frozen=True)
class Chart:
    """One chart: its SVG, and the numbers it draws as a table (``columns`` then ``rows``)."""

    name: str
    title: str
    svg: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    @property
    def data_uri(self) -> str:
        """The SVG as an image address: drawn as an image, its own styles need no page permission."""
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode("utf-8")).decode("ascii")


def texts_for(language: str) -> dict[str, str]:
    return _TEXTS["en"] if language.lower().startswith("en") else _TEXTS["fr"]


def number(value: int, language: str = "fr") -> str:
    """12345 → ``12 345`` in French (a narrow no-break space), ``12,345`` in English."""
    return f"{value:,}".replace(",", "\u202f" if not language.lower().startswith("en") else ",")


def audience_charts(figures: Audience, language: str = "fr") -> list[Chart]:
    """The four charts of a period: days with releases, first months, apps and devices, countries."""
    t = texts_for(language)
    charts = [_days(figures, t, language), _first_month(figures, t, language)]
    for name, label, counts in (
        ("apps", "app", figures.apps),
        ("devices", "device", figures.devices),
        ("countries", "country", figures.countries),
    ):
        charts.append(_ranking(name, t[name], t[label], counts, t, language))
    return charts


def _style() -> Any:
    # Imported here: only a report or the studio's audience page draws charts.
    from pygal.style import Style

    return Style(
        background="white",
        plot_background="white",
        foreground="#222",
        foreground_strong="#111",
        foreground_subtle="#666",
        colors=_COLOURS,
        font_family="DejaVu Sans, Helvetica, Arial, sans-serif",
        label_font_size=11,
        major_label_font_size=11,
        legend_font_size=11,
        title_font_size=14,
        value_font_size=10,
    )


def _options(title: str) -> dict[str, Any]:
    # The page gives each chart its heading; the SVG keeps its name for whoever opens it alone.
    return {
        "title": None,
        "include_x_axis": True,
        "style": _style(),
        "js": [],
        "disable_xml_declaration": True,
        "width": 800,
        "height": 360,
        "legend_at_bottom": True,
        "show_minor_x_labels": False,
        "truncate_legend": 40,
        "no_data_text": "—",
        "margin": 12,
    }


def _render(chart: Any) -> str:
    svg: str = chart.render(is_unicode=True)
    # pygal always writes its tooltips' configuration as a script; the charts are drawings, nothing runs.
    return _SCRIPT.sub("", svg)


def _period_days(figures: Audience) -> list[str]:
    if not figures.days:
        return []
    first = max(date.fromisoformat(figures.start), date.fromisoformat(min(figures.days)))
    last = min(date.fromisoformat(figures.end), date.fromisoformat(max(figures.days)))
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def _days(figures: Audience, t: dict[str, str], language: str) -> Chart:
    import pygal

    days = _period_days(figures)
    released: dict[str, list[str]] = {}
    for episode in figures.episodes:
        if episode.released in figures.days or (days and days[0] <= episode.released <= days[-1]):
            released.setdefault(episode.released, []).append(episode.title)
    # Tiny dots: each carries its value, so the drawing can be checked against the figures.
    chart = pygal.Line(**_options(t["days"]), dots_size=1, fill=True, x_label_rotation=30)
    chart.x_labels = days
    chart.x_labels_major_every = max(1, len(days) // 12)
    chart.add(t["downloads"], [figures.days.get(day, 0) for day in days])
    chart.add(
        t["release"],
        [
            {"value": figures.days.get(day, 0), "label": " · ".join(released[day])}
            if day in released
            else None
            for day in days
        ],
        stroke=False,
        show_dots=True,
        dots_size=5,
        fill=False,
    )
    rows = tuple(
        (day, number(figures.days.get(day, 0), language), " · ".join(released.get(day, ()))) for day in days
    )
    return Chart("days", t["days"], _render(chart), (t["day"], t["downloads"], t["released"]), rows)


def _first_month(figures: Audience, t: dict[str, str], language: str) -> Chart:
    import pygal

    chart = pygal.Line(**_options(t["first_month"]), dots_size=2)
    chart.x_labels = [str(n) for n in range(1, FIRST_MONTH + 1)]
    chart.x_labels_major_every = 5
    titles = {episode.guid: episode.title for episode in figures.episodes}
    rows = []
    for guid, daily in figures.curves.items():
        total = 0
        cumulative: list[int | None] = []
        for count in daily:
            if count is None:
                cumulative.append(None)
            else:
                total += count
                cumulative.append(total)
        title = titles.get(guid, guid)
        chart.add(title, cumulative)
        known = [value for value in cumulative if value is not None]
        rows.append(
            (
                title,
                number(known[6] if len(known) > 6 else (known[-1] if known else 0), language),
                number(known[-1] if known else 0, language),
            )
        )
    columns = (t["episode"], f"{t['day_n']} 7", f"{t['day_n']} {FIRST_MONTH}")
    return Chart("first_month", t["first_month"], _render(chart), columns, tuple(rows))


def _ranking(
    name: str, title: str, label: str, counts: dict[str, int], t: dict[str, str], language: str
) -> Chart:
    import pygal

    ranked = [(t["unknown"] if key in ("unknown", "??") else key, count) for key, count in counts.items()]
    shown = ranked[:TOP]
    rest = sum(count for _, count in ranked[TOP:])
    if rest:
        shown.append((t["others"], rest))
    total = sum(counts.values()) or 1
    chart = pygal.HorizontalBar(**_options(title), show_legend=False, print_values=True)
    chart.x_labels = [key for key, _ in reversed(shown)]
    chart.add(t["downloads"], [count for _, count in reversed(shown)])
    rows = tuple(
        (
            key,
            number(count, language),
            f"{100 * count / total:.1f}\u202f%".replace(".", "," if language != "en" else "."),
        )
        for key, count in shown
    )
    return Chart(name, title, _render(chart), (label, t["downloads"], "%"), rows)
