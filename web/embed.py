"""Small pages made for an ``<iframe>`` on other sites: the episode list, and one episode's player.

They are the only pages other origins may frame: their
``Content-Security-Policy: frame-ancestors`` comes from the settings (see
:func:`web.render.frame_ancestors`; any site by default), and they send no
``X-Frame-Options``. ``?theme=light`` or ``?theme=dark`` fixes their colours;
without it they follow the visitor's system.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, request

from .render import THEMES, cached_page
from .site import snapshot

bp = Blueprint("embed", __name__, url_prefix="/embed")


def _theme() -> str | None:
    theme = request.args.get("theme")
    return theme if theme in THEMES else None


@bp.get("/")
def episode_list() -> Response:
    snap = snapshot()
    theme = _theme()
    return cached_page(
        snap, "embed/list.html", embed=True, variant=f"?theme={theme}" if theme else "",
        theme=theme, episodes=snap.episodes,
    )  # fmt: skip


@bp.get("/<slug>/")
def episode_player(slug: str) -> Response:
    snap = snapshot()
    public = snap.episode(slug)
    if public is None:
        abort(404)
    theme = _theme()
    return cached_page(
        snap, "embed/episode.html", embed=True, variant=f"?theme={theme}" if theme else "",
        theme=theme, public=public, episode=public.episode,
    )  # fmt: skip
