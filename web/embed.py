"""Small pages made for an ``<iframe>`` on other sites: the episode list, and one episode's player.

They are the only pages other origins may frame: their
``Content-Security-Policy: frame-ancestors`` comes from the settings (see
:func:`web.render.frame_ancestors`), and they send no ``X-Frame-Options``.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, request

from .render import html_response, page_body
from .site import snapshot

bp = Blueprint("embed", __name__, url_prefix="/embed")


@bp.get("/")
def episode_list() -> Response:
    snap = snapshot()
    key = "embed:" + request.script_root + request.path
    body = snap.body(key, lambda: page_body(snap, "embed/list.html", episodes=snap.episodes))
    return html_response(body, snap, embed=True)


@bp.get("/<slug>/")
def episode_player(slug: str) -> Response:
    snap = snapshot()
    public = snap.episode(slug)
    if public is None:
        abort(404)
    key = "embed:" + request.script_root + request.path
    body = snap.body(
        key, lambda: page_body(snap, "embed/episode.html", public=public, episode=public.episode)
    )
    return html_response(body, snap, embed=True)
