"""The funders' report: a French, printable audience report, as HTML and as PDF (WeasyPrint).

The page is a Jinja2 template (``data/report/``) filled with the figures and
the charts of :mod:`podcaster.stats.charts`; WeasyPrint lays it out, so the
report needs no browser. The counting method is stated in one paragraph.
"""

from __future__ import annotations

import base64
import mimetypes
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

from jinja2 import Environment, select_autoescape

from podcaster.stats.charts import audience_charts, number
from podcaster.stats.figures import Audience

_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
# Charts whose table is short enough to print under them; the daily one is the per-episode table's business.
TABLED = ("first_month", "apps", "devices", "countries")
METHOD = (
    "Les téléchargements sont comptés selon les règles de mesure des podcasts de l’IAB (Podcast "
    "Measurement Technical Guidelines, version 2.2), à partir des journaux du serveur qui diffuse les "
    "fichiers audio : seules comptent les requêtes GET réussies (réponses 2xx, 206 comprise) qui "
    "demandent au moins une minute d’audio au-delà des métadonnées du fichier ; les sondages de "
    "deux octets, les robots, les bibliothèques de téléchargement et les requêtes sans agent sont "
    "écartés (listes ouvertes d’OPAWG) ; les morceaux d’un même fichier demandés par un même "
    "auditeur un même jour (adresse IP, réduite à son /64 en IPv6, et logiciel) font un seul "
    "téléchargement par épisode et par jour UTC. Ces chiffres sont donc plus bas qu’un simple "
    "nombre de requêtes. Aucune adresse IP ni aucun agent n’est conservé : un auditeur n’est connu "
    "que par une empreinte chiffrée dont la clé, tirée au hasard, est détruite en fin de traitement ; "
    "seuls des totaux par jour, par épisode, par application, par appareil et par pays sont gardés."
)


@dataclass(frozen=True)
class ReportShow:
    """What the cover says about the show."""

    title: str
    author: str = ""
    artwork: Path | None = None


def french_day(day: str) -> str:
    """``2023-01-01`` → ``1er janvier 2023``."""
    value = date.fromisoformat(day)
    return f"{'1er' if value.day == 1 else value.day} {_MONTHS[value.month - 1]} {value.year}"


def _data_file(name: str) -> str:
    return resources.files("podcaster.stats").joinpath("data", "report", name).read_text("utf-8")


def _artwork_uri(path: Path | None) -> str | None:
    if path is None or not path.is_file():
        return None
    kind = mimetypes.guess_type(path.name)[0] or "image/jpeg"
    return f"data:{kind};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def key_figures(figures: Audience) -> list[tuple[str, str]]:
    """The cover page's numbers, labelled in French."""
    released = [e for e in figures.episodes if figures.start <= e.released <= figures.end]
    days = (
        (date.fromisoformat(figures.end) - date.fromisoformat(figures.start)).days + 1 if figures.days else 0
    )
    if figures.days:
        days = (
            min(date.fromisoformat(figures.end), date.fromisoformat(max(figures.days)))
            - max(date.fromisoformat(figures.start), date.fromisoformat(min(figures.days)))
        ).days + 1
    keys = [
        ("Téléchargements sur la période", number(figures.total)),
        ("Épisodes sortis sur la période", number(len(released))),
    ]
    if released:
        average = round(sum(e.first_30_days for e in released) / len(released))
        keys.append(("Moyenne des 30 premiers jours d’un épisode", number(average)))
    if days:
        keys.append(("Moyenne par jour", number(round(figures.total / days))))
    if figures.apps:
        app, count = next(iter(figures.apps.items()))
        keys.append(("Première application", f"{app} ({_share(count, figures.total)})"))
    if figures.countries:
        country, count = next(iter(figures.countries.items()))
        keys.append(("Premier pays", f"{country} ({_share(count, figures.total)})"))
    return keys


def _share(count: int, total: int) -> str:
    return f"{round(100 * count / total) if total else 0}\u202f%"


def report_html(figures: Audience, show: ReportShow, made: date) -> str:
    """The report as one self-contained HTML page (artwork and charts inline)."""
    environment = Environment(autoescape=select_autoescape(default=True), keep_trailing_newline=True)
    template = environment.from_string(_data_file("report.html"))
    episodes = [
        {
            "title": e.title or e.guid,
            "released": e.released,
            "downloads": number(e.downloads),
            "first_7_days": number(e.first_7_days),
            "first_30_days": number(e.first_30_days),
            "all_time": number(e.all_time),
        }
        for e in figures.episodes
    ]
    return template.render(
        css=_data_file("report.css"),
        title=show.title,
        author=show.author,
        artwork=_artwork_uri(show.artwork),
        period=f"du {french_day(figures.start)} au {french_day(figures.end)}",
        made=french_day(made.isoformat()),
        keys=key_figures(figures),
        charts=audience_charts(figures, "fr"),
        tabled=TABLED,
        episodes=episodes,
        method=METHOD,
    )


def report_pdf(html: str) -> bytes:
    """Lay *html* out as a PDF; it is self-contained, so nothing is fetched."""
    # Imported here: WeasyPrint is heavy and only the report needs it.
    from weasyprint import HTML, URLFetcher

    # data: only: a title or note holding an address must not make the report reach the network.
    fetcher = URLFetcher(allowed_protocols=["data"])
    pdf: bytes = HTML(string=html, url_fetcher=fetcher).write_pdf()
    return pdf
