"""Turning a snapshot into HTML responses: template context, absolute URLs, security headers."""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import urlsplit

from flask import Response, current_app, render_template, request, url_for
from markupsafe import Markup

from podcaster.models import PublicEpisode

from .http import Body, Cached, respond
from .i18n import DIRECTORIES, strings
from .site import Snapshot

HTML_TYPE = "text/html; charset=utf-8"
EMBED_WIDTH = (
    640  # the embed code's width, the page's and oEmbed's alike; max-width keeps it inside narrower columns
)
THEMES = ("light", "dark")  # ?theme= of the embeds; without it they follow the visitor's system


def page_body(snap: Snapshot, template: str, **context: Any) -> Body:
    """Render *template* with what every page needs, as a cacheable body."""
    text = render_template(template, **base_context(snap), **context)
    return Body(text.encode("utf-8"), HTML_TYPE, last_modified=snap.last_modified)


def base_context(snap: Snapshot) -> dict[str, Any]:
    show = snap.show
    return {
        "snap": snap,
        "show": show,
        "public_show": snap.public_show,
        "lang": snap.language,
        "t": strings(show.language),
        "directories": [(key, DIRECTORIES[key], show.links[key]) for key in DIRECTORIES if key in show.links],
        "app_url": app_url(show.urls.feed),
    }


def app_url(feed: str) -> str:
    """The ``podcast://`` address phones hand to the podcast app installed (Apple Podcasts and others)."""
    return "podcast://" + feed.split("://", 1)[1]


def cached_page(
    snap: Snapshot, template: str, *, embed: bool = False, variant: str = "", **context: Any
) -> Response:
    """The page for this URL (and *variant*, a query it depends on), rendered once per snapshot, with its headers."""

    def make() -> Cached:
        body = page_body(snap, template, **context)
        headers = tuple(security_headers(snap, embed=embed).items())
        return Cached(body, current_app.config["PAGE_MAX_AGE"], full_only=headers)

    return respond(snap.cached(request.script_root + request.path + variant, make))


def error_response(body: Body, snap: Snapshot | None, status: int) -> Response:
    response = Response(body.data, status=status, content_type=body.content_type)
    response.headers["Cache-Control"] = "public, max-age=60" if status == 404 else "no-store"
    response.headers.update(security_headers(snap, embed=False))
    return response


def security_headers(snap: Snapshot | None, *, embed: bool) -> dict[str, str]:
    """CSP and friends: only our own scripts and styles; media and images from our media origin too."""
    media = _origin(snap.show.urls.media) if snap else ""
    ancestors = " ".join(frame_ancestors(snap)) if embed else "'self'"
    policy = (
        "default-src 'none'; script-src 'self'; style-src 'self'; "
        f"img-src 'self' data: https: {media}; media-src 'self' https: {media}; connect-src 'self'; "
        f"base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
    )
    headers = {
        "Content-Security-Policy": " ".join(policy.split()),
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Content-Type-Options": "nosniff",
    }
    if not embed:
        # For browsers that predate frame-ancestors; embed pages must not send it.
        headers["X-Frame-Options"] = "SAMEORIGIN"
    return headers


def frame_ancestors(snap: Snapshot | None) -> list[str]:
    """Who may frame /embed/: FRAME_ANCESTORS, else [website] frame_ancestors, else anyone."""
    configured = current_app.config["FRAME_ANCESTORS"]
    if configured is None and snap is not None:
        configured = snap.show.website.get("frame_ancestors")
    if configured is None:
        return ["*"]  # the embed code is offered to any site
    return [str(source) for source in _as_list(configured)] or ["'none'"]


def allowed_origins(snap: Snapshot | None) -> frozenset[str]:
    """Origins allowed to read the API: [website] allowed_origins and the ALLOWED_ORIGINS setting."""
    listed = snap.show.website.get("allowed_origins", []) if snap else []
    extra = current_app.config["ALLOWED_ORIGINS"]
    origins = [*_as_list(listed), *_as_list(extra)]
    return frozenset(str(origin).rstrip("/") for origin in origins)


def _as_list(value: object) -> list[object]:
    """A setting given as one string or as a list of them."""
    if isinstance(value, str):
        return [value]
    return list(value) if isinstance(value, list | tuple) else []


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def absolute_url(snap: Snapshot, endpoint: str, **values: Any) -> str:
    """The public URL of a page of this site, from the show's site URL (what the feed names)."""
    path = url_for(endpoint, **values)[len(request.script_root) :]
    return snap.show.urls.site_url(path)


def embed_snippet(snap: Snapshot, public: PublicEpisode | None, *, width: str, height: int) -> str:
    """The copy-paste ``<iframe>`` for an episode's player (or the episode list when *public* is None)."""
    if public is None:
        src = absolute_url(snap, "embed.episode_list")
        title = snap.show.title
    else:
        src = absolute_url(snap, "embed.episode_player", slug=public.episode.slug)
        title = public.episode.title
    label = f"{title} — {strings(snap.show.language)['player']}"
    return (
        f'<iframe src="{html.escape(src)}" title="{html.escape(label)}" width="{html.escape(width)}" '
        f'height="{height}" loading="lazy" style="border:0;max-width:100%" allow="autoplay"></iframe>'
    )


def json_ld(data: dict[str, Any]) -> Markup:
    """JSON for a ``<script type="application/ld+json">``: no ``<``, ``>`` or ``&`` can close the element."""
    return Markup(html_safe_json(data, separators=(",", ":")))


def html_safe_json(data: object, **options: Any) -> str:
    """JSON with ``<``, ``>`` and ``&`` as ``\\u`` escapes: the same data, inert if inlined in HTML."""
    text = json.dumps(data, ensure_ascii=False, **options)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return text
