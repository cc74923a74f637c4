"""``podcaster stats``: read access logs into audience figures, and tell them for a period."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from podcaster.errors import ConfigError
from podcaster.folder.catalogue import load_catalogue
from podcaster.stats.counting import targets_of
from podcaster.stats.figures import Audience, audience
from podcaster.stats.ingest import RETENTION_MONTHS, IngestSummary, ingest
from podcaster.stats.store import open_store


def ingest_logs(
    root: Path,
    paths: Sequence[Path],
    *,
    log_format: str | None,
    now: datetime,
    progress: Callable[[str], None] | None = None,
) -> IngestSummary:
    """Count the downloads in the access logs *paths* into the folder's audience database."""
    catalogue = load_catalogue(root)
    settings = catalogue.show.stats
    geo_db = settings.get("geo_db")
    if geo_db is not None and not isinstance(geo_db, str):
        raise ConfigError("[stats] geo_db must be the path of an .mmdb file", path=catalogue.folder.show_file)
    months = settings.get("retention_months", RETENTION_MONTHS)
    if not isinstance(months, int) or isinstance(months, bool) or months < 1:
        raise ConfigError(
            "[stats] retention_months must be a whole number of months", path=catalogue.folder.show_file
        )
    store = open_store(catalogue.folder.stats_db)
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


def audience_figures(root: Path, start: str | None = None, end: str | None = None) -> Audience:
    """The audience from *start* to *end* (ISO days, both included; open ends: all that was counted)."""
    catalogue = load_catalogue(root)
    store = open_store(catalogue.folder.stats_db)
    try:
        return audience(store, targets_of(catalogue), start, end)
    finally:
        store.close()
