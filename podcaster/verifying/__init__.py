"""``podcaster verify``: fetch the live feed and check it the way podcast apps' crawlers will.

What Apple's, Spotify's and the open apps' crawlers do with a feed, over real
HTTP from the public URLs (not through the storage, which publish already
checked): the feed answers and parses; every enclosure answers ``HEAD`` with
its ``length`` and ``type`` and a ranged ``GET`` with ``206``; artwork,
transcripts and chapters answer with a type an app accepts; and, from the
lock file, no GUID changed since the last publish, since an app takes a new
GUID for a new episode (listed twice, played twice, downloaded twice).

Everything found goes into a :class:`VerifyReport`; nothing is printed. The
feed's URLs are checked concurrently, each request with a timeout and all of
them within one deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from podcaster.folder.catalogue import Catalogue, load_catalogue
from podcaster.net import Client, FetchError
from podcaster.verifying.document import read_feed
from podcaster.verifying.guids import compare_guids, is_fresh, season_of
from podcaster.verifying.report import (
    Check,
    Finding,
    Findings,
    Level,
    VerifyReport,
    VerifySettings,
    redirect_notes,
)
from podcaster.verifying.urls import run_checks, url_checks

__all__ = [
    "Check",
    "Finding",
    "Level",
    "VerifyReport",
    "VerifySettings",
    "user_agent",
    "verify_feed",
    "verify_podcast",
]

Progress = Callable[[str], None]


def verify_podcast(
    root: Path,
    feed_url: str | None = None,
    *,
    now: datetime | None = None,
    settings: VerifySettings | None = None,
    progress: Progress | None = None,
) -> VerifyReport:
    """Verify *feed_url* (default: the show's configured feed) against the podcast folder *root*."""
    catalogue = load_catalogue(root)
    return verify_feed(
        feed_url or catalogue.show.urls.feed,
        catalogue=catalogue,
        now=now,
        settings=settings,
        progress=progress,
    )


def verify_feed(
    feed_url: str,
    *,
    catalogue: Catalogue | None = None,
    now: datetime | None = None,
    settings: VerifySettings | None = None,
    progress: Progress | None = None,
) -> VerifyReport:
    """Fetch *feed_url* and check it like a crawler; with a *catalogue*, compare GUIDs with its lock file."""
    settings = settings or VerifySettings()
    now = now or datetime.now(UTC)
    started = time.monotonic()
    # The user's own feed, as they name it, often on their own machine (the demo serves 127.0.0.1):
    # private addresses are allowed. Verify keeps nothing it fetches; it only reports what answered.
    crawler = Client(
        user_agent=settings.user_agent or user_agent(), timeout=settings.timeout, allow_private=True
    )
    out = Findings()
    if progress:
        progress(f"fetching {feed_url}")
    try:
        answer = crawler.fetch(
            feed_url,
            headers={"Accept": "application/rss+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"},
            limit=settings.feed_limit,
            gzip=True,
        )
    except FetchError as error:
        if error.is_network:
            return VerifyReport(feed_url, unreachable=str(error.args[0]), seconds=time.monotonic() - started)
        out.add(Level.ERROR, Check.FEED, feed_url, f"the feed cannot be fetched: {error.args[0]}")
        return _report(feed_url, out, started, urls=1)
    redirect_notes(answer, Check.FEED, out)
    feed = read_feed(answer, settings, out)
    if feed is None:
        return _report(feed_url, out, started, urls=1)
    artwork, items = feed
    tasks = url_checks(artwork, items, crawler, settings)
    if progress:
        progress(f"{len(items)} episodes in the feed; checking {len(tasks)} URLs")
    run_checks(tasks, settings, out)
    if catalogue is not None:
        fresh = is_fresh(answer.body, catalogue)
        compare_guids(items, catalogue, now, season_of(feed_url), fresh, feed_url, out)
    return _report(
        feed_url, out, started, urls=1 + len(tasks), items=len(items), guids_compared=catalogue is not None
    )


def user_agent() -> str:
    """How verify names itself to servers, the way podcast apps' crawlers do."""
    try:
        release = version("podcaster")
    except PackageNotFoundError:
        release = "0"
    return f"podcaster-verify/{release} (podcast feed crawler check)"


def _report(
    feed_url: str, out: Findings, started: float, *, urls: int, items: int = 0, guids_compared: bool = False
) -> VerifyReport:
    return VerifyReport(
        feed_url,
        tuple(out.findings),
        items=items,
        urls_checked=urls,
        seconds=time.monotonic() - started,
        guids_compared=guids_compared,
    )
