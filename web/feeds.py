"""The RSS feeds over HTTP: the files ``podcaster build`` wrote, else the same documents rendered in memory."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, abort, current_app, request

from podcaster.models import document_content_type, season_feed_name, season_number

from .http import Body, Cached, respond
from .site import Snapshot, snapshot

SHOW_FEED = "feed.xml"

bp = Blueprint("feeds", __name__)


@bp.get("/feed.xml")
def show_feed() -> Response:
    return _answer(snapshot(), SHOW_FEED)


@bp.get("/<name>.xml")
def season_feed(name: str) -> Response:
    """A season's feed, at its file name as build writes it in feeds/ and publish puts it in storage."""
    number = season_number(name)
    if number is None:
        abort(404)
    snap = snapshot()
    if snap.season(number) is None:
        abort(404)
    return _answer(snap, season_feed_name(number))


def _answer(snap: Snapshot, name: str) -> Response:
    def make() -> Cached:
        return Cached(
            feed_body(snap, name),
            current_app.config["FEED_MAX_AGE"],
            # A feed is public: web players on other sites may read it.
            always=(("Access-Control-Allow-Origin", "*"),),
            full_only=(("X-Content-Type-Options", "nosniff"),),
        )

    return respond(snap.cached(request.script_root + request.path, make))


def feed_body(snap: Snapshot, name: str) -> Body:
    """The built file when there is one (what publish uploads); else the library's document, rendered now."""
    content_type = document_content_type(name)
    path = snap.folder.feed_file(name)
    try:
        data = path.read_bytes()
        modified = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(microsecond=0)
    except FileNotFoundError:
        data = b""
    if data:  # empty: never a feed; what a crash right after a build may leave (see write_feeds)
        return Body(data, content_type, last_modified=modified)
    return Body(snap.feeds().documents[name], content_type, last_modified=snap.last_modified)
