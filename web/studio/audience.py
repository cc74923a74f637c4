"""``/studio/audience``: downloads for a period, as charts each with its data table, and a period selector."""

from __future__ import annotations

from datetime import date

from flask import Response, current_app, request

from podcaster.errors import PodcasterError
from podcaster.studio import PERIODS, audience_view, number, period_days

from ..i18n import interface_language
from .blueprint import bp, language, page

# The page's own words; the rest of the studio's are in texts.py.
WORDS = {
    "fr": {
        "title": "Audience",
        "period": "Période",
        "shortcuts": "Périodes courantes",
        "30": "30 derniers jours",
        "90": "3 derniers mois",
        "365": "12 derniers mois",
        "all": "Tout",
        "from": "Du",
        "to": "Au",
        "show": "Afficher",
        "bad_day": "« {value} » n’est pas une date : choisissez un jour dans le calendrier.",
        "total": "Téléchargements du {start} au {end} : {total}",
        "nothing": "Aucun téléchargement compté sur cette période. Les chiffres viennent de « podcaster stats ingest ».",
        "data": "Les chiffres de ce graphique",
        "chart_alt": "{title} (les chiffres sont dans le tableau qui suit)",
        "episodes": "Épisode par épisode",
        "episode": "Épisode",
        "released": "Sortie",
        "downloads": "Sur la période",
        "first_7_days": "7 premiers jours",
        "first_30_days": "30 premiers jours",
        "all_time": "Depuis la sortie",
        "report": "Le rapport imprimable pour les financeurs : « podcaster stats report --from {start} --to {end} ».",
        "unavailable": "Les chiffres d’audience ne peuvent pas être lus : {error}",
    },
    "en": {
        "title": "Audience",
        "period": "Period",
        "shortcuts": "Usual periods",
        "30": "Last 30 days",
        "90": "Last 3 months",
        "365": "Last 12 months",
        "all": "All",
        "from": "From",
        "to": "To",
        "show": "Show",
        "bad_day": "“{value}” is not a date: pick a day in the calendar.",
        "total": "Downloads from {start} to {end}: {total}",
        "nothing": "No download counted in this period. Figures come from “podcaster stats ingest”.",
        "data": "This chart's figures",
        "chart_alt": "{title} (the figures are in the table below)",
        "episodes": "Episode by episode",
        "episode": "Episode",
        "released": "Released",
        "downloads": "In the period",
        "first_7_days": "First 7 days",
        "first_30_days": "First 30 days",
        "all_time": "Since release",
        "report": "The printable report for funders: “podcaster stats report --from {start} --to {end}”.",
        "unavailable": "The audience figures cannot be read: {error}",
    },
}


def _day(name: str, words: dict[str, str], errors: list[str]) -> str | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        errors.append(words["bad_day"].format(value=value))
        return None


@bp.get("/audience")
def audience() -> Response:
    show_language = language()
    words = WORDS[interface_language(show_language)]
    errors: list[str] = []
    period = request.args.get("periode", "")
    if period in dict(PERIODS):
        start, end = period_days(period, current_app.config["CLOCK"]().date())
    else:
        start, end = _day("du", words, errors), _day("au", words, errors)
        period = "" if start or end else "all"
    if start and end and start > end:
        start, end = end, start
    try:
        view = audience_view(
            current_app.config["ROOT"], start, end, show_language, current_app.config["LIBRARY_SETTINGS"]
        )
    except PodcasterError as error:
        errors.append(words["unavailable"].format(error=error))
        view = None
    return page(
        "studio/audience.html",
        400 if errors and view is None else 200,
        w=words,
        view=view,
        errors=errors,
        periods=[name for name, _ in PERIODS],
        period=period,
        start=start or "",
        end=end or "",
        number=lambda n: number(n, show_language),
    )
