"""For other websites: the episode list as JSON, and oEmbed for episode pages, both with CORS.

``/api/episodes.json`` answers the document ``podcaster build`` writes to
``feeds/episodes.json`` (rendered by the library's :func:`podcaster.render_feeds`
for the whole show, by :func:`podcaster.render_episodes_json` for one season with
``?season=N``; its fields are documented there and in the README).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, request

from podcaster import render_episodes_json
from podcaster.models import document_content_type

from .http import Body, Cached, cors_headers, parse_count, respond
from .render import EMBED_WIDTH, allowed_origins, embed_snippet, html_safe_json
from .site import Snapshot, snapshot

EPISODES_JSON = "episodes.json"
JSON_TYPE = "application/json; charset=utf-8"
OEMBED_WIDTH = EMBED_WIDTH

bp = Blueprint("api", __name__)


@bp.route("/api/episodes.json", methods=["GET", "OPTIONS"])
def episodes() -> Response:
    snap = snapshot()
    if request.method == "OPTIONS":
        return preflight(snap)
    season = _season_argument(snap)
    cached = snap.cached(f"api:episodes:{season}", lambda: _api_answer(_episodes_body(snap, season)))
    return respond(cached, _cors(snap))


@bp.route("/oembed", methods=["GET", "OPTIONS"])
def oembed() -> Response:
    snap = snapshot()
    if request.method == "OPTIONS":
        return preflight(snap)
    format_ = request.args.get("format", "json")
    if format_ != "json":
        abort(501)  # oEmbed says so for a format the provider does not offer
    url = request.args.get("url", "")
    if not url:
        abort(400, description="the 'url' parameter is required")
    width = min(_dimension("maxwidth") or OEMBED_WIDTH, OEMBED_WIDTH)
    max_height = _dimension("maxheight")
    target = _embeddable(snap, url)
    if width == OEMBED_WIDTH and max_height is None:
        cached = snap.cached(
            f"api:oembed:{target}", lambda: _api_answer(_oembed_body(snap, target, width, None))
        )
    else:
        # Sizes asked for are not cached: any number would do, and the cache must stay bounded.
        cached = _api_answer(_oembed_body(snap, target, width, max_height))
    return respond(cached, _cors(snap))


def preflight(snap: Snapshot) -> Response:
    """Answer a CORS preflight: allowed origins get the methods and headers they may use."""
    cors = cors_headers(request.headers.get("Origin"), allowed_origins(snap))
    if not cors:
        response = Response(status=403)
    else:
        response = Response(status=204, headers=cors)
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        requested = request.headers.get("Access-Control-Request-Headers")
        if requested:
            response.headers["Access-Control-Allow-Headers"] = requested
        response.headers["Access-Control-Max-Age"] = "86400"
    response.headers["Vary"] = "Origin, Access-Control-Request-Headers"
    return response


def _api_answer(body: Body) -> Cached:
    return Cached(
        body,
        current_app.config["API_MAX_AGE"],
        vary=("Origin",),
        full_only=(("X-Content-Type-Options", "nosniff"),),
    )


def _cors(snap: Snapshot) -> list[tuple[str, str]]:
    return list(cors_headers(request.headers.get("Origin"), allowed_origins(snap)).items())


def _season_argument(snap: Snapshot) -> int | None:
    raw = request.args.get("season")
    if raw is None:
        return None
    number = parse_count(raw)
    if number is None:
        abort(400, description="'season' must be a season number")
    if snap.season(number) is None:
        abort(404, description=f"no season {number}")
    return number


def _episodes_body(snap: Snapshot, season: int | None) -> Body:
    if season is None:
        data = snap.feeds().documents[EPISODES_JSON]
    else:
        episodes = [p for p in snap.episodes if p.episode.season == season]
        data = render_episodes_json(snap.public_show, episodes, now=snap.now)
    return Body(data, document_content_type(EPISODES_JSON), last_modified=snap.last_modified)


def _dimension(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    number = parse_count(raw)
    if not number:
        abort(400, description=f"'{name}' must be a positive number of pixels")
    return number


def _embeddable(snap: Snapshot, url: str) -> str:
    """The slug of the episode *url* names on this site ("" for the home page), or 404."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - urlsplit checks the port only when it is read
    except ValueError:  # "http://[::1": an unclosed IPv6 address, a port out of range…
        abort(400, description="'url' is not a valid URL")
    site = urlsplit(snap.show.urls.site)
    if parts.scheme not in ("http", "https") or parts.netloc not in (site.netloc, request.host):
        abort(404, description="not a page of this site")
    path = parts.path
    prefix = site.path if parts.netloc == site.netloc else request.script_root + "/"
    if not path.startswith(prefix):
        abort(404, description="not a page of this site")
    rest = path[len(prefix) :].strip("/")
    if rest == "":
        return ""
    head, _, slug = rest.partition("/")
    if head != "episodes" or not slug or "/" in slug or snap.episode(slug) is None:
        abort(404, description="no episode at this address")
    return slug


def _oembed_body(snap: Snapshot, slug: str, width: int, max_height: int | None) -> Body:
    config = current_app.config
    public = snap.episode(slug) if slug else None
    height = config["EMBED_HEIGHT"] if public else config["EMBED_LIST_HEIGHT"]
    if max_height is not None:
        height = min(height, max_height)
    document: dict[str, Any] = {
        "version": "1.0",
        "type": "rich",
        "provider_name": snap.show.title,
        "provider_url": snap.show.urls.site,
        "title": public.episode.title if public else snap.show.title,
        "author_name": snap.show.author,
        "author_url": snap.show.urls.site,
        "html": embed_snippet(snap, public, width=str(width), height=height),
        "width": width,
        "height": height,
        "cache_age": config["API_MAX_AGE"],
    }
    data = html_safe_json(document, indent=2).encode("utf-8")
    return Body(data, JSON_TYPE, last_modified=snap.last_modified)
