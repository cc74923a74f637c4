"""``podcaster stats``: read access logs into audience figures, and tell them for a period."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path

from podcaster.errors import ConfigError
from podcaster.folder.catalogue import Catalogue, load_catalogue
from podcaster.settings import Settings
from podcaster.stats.charts import Chart, audience_charts
from podcaster.stats.counting import targets_of
from podcaster.stats.figures import Audience, audience
from podcaster.stats.ingest import RETENTION_MONTHS, IngestSummary, ingest
from podcaster.stats.report import ReportShow, report_html, report_pdf
from podcaster.stats.store import StatsStore, open_store


def audience_store(catalogue: Catalogue, settings: Settings | None = None) -> tuple[Path | str, str | None]:
    """Where the show's audience is kept: ``[stats] store`` when given (its password from *settings*), else SQLite.

    The one choice for everything that reads or writes the figures: ingest,
    the report, the studio's page and the site's counting hop.
    """
    url = catalogue.show.stats.get("store")
    if not isinstance(url, str) or not url:
        return catalogue.folder.stats_db, None
    return url, settings.stats_password if settings else None


def open_audience_store(catalogue: Catalogue, settings: Settings | None = None) -> StatsStore:
    """The show's audience store (see :func:`audience_store`), open."""
    where, password = audience_store(catalogue, settings)
    return open_store(where, base=catalogue.folder.root, password=password)


def ingest_logs(
    root: Path,
    paths: Sequence[Path],
    *,
    log_format: str | None,
    now: datetime,
    progress: Callable[[str], None] | None = None,
    settings: Settings | None = None,
) -> IngestSummary:
    """Count the downloads in the access logs *paths* into the folder's audience database."""
    catalogue = load_catalogue(root)
    options = catalogue.show.stats
    geo_db = options.get("geo_db")
    if geo_db is not None and not isinstance(geo_db, str):
        raise ConfigError("[stats] geo_db must be the path of an .mmdb file", path=catalogue.folder.show_file)
    months = options.get("retention_months", RETENTION_MONTHS)
    if not isinstance(months, int) or isinstance(months, bool) or months < 1:
        raise ConfigError(
            "[stats] retention_months must be a whole number of months", path=catalogue.folder.show_file
        )
    store = open_audience_store(catalogue, settings)
    try:
        return ingest(
            store,
            targets_of(catalogue),
            paths,
            log_format=log_format,
            now=now,
            geo_db=(root / geo_db) if geo_db else None,
            retention_months=months,
            progress=progress,
        )
    finally:
        store.close()


def audience_figures(
    root: Path, start: str | None = None, end: str | None = None, settings: Settings | None = None
) -> Audience:
    """The audience from *start* to *end* (ISO days, both included; open ends: all that was counted)."""
    catalogue = load_catalogue(root)
    store = open_audience_store(catalogue, settings)
    try:
        return audience(store, targets_of(catalogue), start, end)
    finally:
        store.close()


def audience_report(
    root: Path, start: str | None, end: str | None, *, today: date, settings: Settings | None = None
) -> bytes:
    """The funders' report from *start* to *end* as a PDF: cover, key figures, charts, episodes, method."""
    catalogue = load_catalogue(root)
    show = catalogue.show
    store = open_audience_store(catalogue, settings)
    try:
        figures = audience(store, targets_of(catalogue), start, end)
    finally:
        store.close()
    artwork = (root / show.artwork) if show.artwork else None
    return report_pdf(report_html(figures, ReportShow(show.title, show.author, artwork), today))


def charts_of(figures: Audience, language: str) -> list[Chart]:
    """The audience's charts (SVG, each with its data table), labelled in *language*."""
    return audience_charts(figures, language)
