"""The RSS feeds over HTTP: the files ``podcaster build`` wrote, else rendered by the library in memory."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, abort, current_app, request

from podcaster.feed.rss import render_feed
from podcaster.models import Season

from .http import Body, Cached, respond
from .site import FEEDS_DIR, Snapshot, current_site, snapshot

RSS_TYPE = "application/rss+xml; charset=utf-8"

bp = Blueprint("feeds", __name__)


@bp.get("/feed.xml")
def show_feed() -> Response:
    return _answer(snapshot(), "feed.xml", None)


@bp.get("/saison-<int:number>.xml")
def season_feed(number: int) -> Response:
    snap = snapshot()
    season = snap.season(number)
    if season is None:
        abort(404)
    return _answer(snap, f"saison-{number}.xml", season)


def _answer(snap: Snapshot, name: str, season: Season | None) -> Response:
    def make() -> Cached:
        return Cached(
            feed_body(snap, name, season),
            current_app.config["FEED_MAX_AGE"],
            # A feed is public: web players on other sites may read it.
            always=(("Access-Control-Allow-Origin", "*"),),
            full_only=(("X-Content-Type-Options", "nosniff"),),
        )

    return respond(snap.cached(request.script_root + request.path, make))


def feed_body(snap: Snapshot, name: str, season: Season | None) -> Body:
    """The built file when there is one (what publish uploads); else the same feed rendered now."""
    path = snap.root / FEEDS_DIR / name
    try:
        data = path.read_bytes()
        modified = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(microsecond=0)
        return Body(data, RSS_TYPE, last_modified=modified)
    except FileNotFoundError:
        pass
    urls = snap.show.urls
    episodes = [p for p in snap.episodes if season is None or p.episode.season == season.number]
    data = render_feed(
        snap.public_show,
        episodes,
        self_url=urls.season_feed_url(season.number) if season else urls.feed,
        season=season,
        now=current_site().clock(),
    )
    return Body(data, RSS_TYPE, last_modified=snap.last_modified)
