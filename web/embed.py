"""Small pages made for an ``<iframe>`` on other sites: the episode list, and one episode's player.

They are the only pages other origins may frame: their
``Content-Security-Policy: frame-ancestors`` comes from the settings (see
:func:`web.render.frame_ancestors`), and they send no ``X-Frame-Options``.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort

from .render import cached_page
from .site import snapshot

bp = Blueprint("embed", __name__, url_prefix="/embed")


@bp.get("/")
def episode_list() -> Response:
    snap = snapshot()
    return cached_page(snap, "embed/list.html", embed=True, episodes=snap.episodes)


@bp.get("/<slug>/")
def episode_player(slug: str) -> Response:
    snap = snapshot()
    public = snap.episode(slug)
    if public is None:
        abort(404)
    return cached_page(snap, "embed/episode.html", embed=True, public=public, episode=public.episode)
