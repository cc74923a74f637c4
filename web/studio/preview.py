"""The episode page as listeners will see it, for a draft too, and a private link for a guest.

The preview is rendered by the public site's own page code (``episode.html``
and :func:`web.pages.episode_context`) on a copy of the current snapshot that
includes the episode, so it is the page the site will serve once the episode
is live. Its audio comes from the podcast folder (nothing is online yet).
A guest's link is signed with the site's key (itsdangerous), expires, names
one episode and only ever reads.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from flask import Response, abort, current_app, render_template, send_file, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from podcaster.errors import PodcasterError
from podcaster.models import PublicEpisode
from podcaster.studio import Activity, record_activity

from ..pages import episode_context
from ..render import HTML_TYPE, base_context, security_headers
from ..site import Snapshot, snapshot
from .blueprint import OPEN_ENDPOINTS, account, bp, language, page
from .texts import texts

SALT = "studio-guest-preview"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _preview(slug: str, audio_url: str = "") -> tuple[Snapshot, PublicEpisode, Path]:
    """A snapshot holding *slug* as if it were live, the episode as listeners will get it, its audio file."""
    snap = snapshot()
    episode = next((item for item in snap.catalogue.episodes if item.slug == slug), None)
    if episode is None or episode.audio_is_remote:
        abort(404)
    facts = snap.catalogue.lock.media(episode.guid)
    if facts is None:
        abort(404)
    try:
        public = snap.resolver.public_episode(episode, facts)
    except PodcasterError:
        abort(404)
    if audio_url:
        public = dataclasses.replace(public, audio_url=audio_url)
    others = [item for item in snap.episodes if item.episode.slug != slug]
    episodes = sorted([*others, public], key=lambda item: item.episode.date, reverse=True)
    view = Snapshot(
        catalogue=snap.catalogue,
        public_show=snap.public_show,
        episodes=tuple(episodes),
        valid_until=None,
        last_modified=snap.last_modified,
        now=snap.now,
        resolver=snap.resolver,
    )
    return view, view.by_slug[slug], episode.audio_path(snap.root)


def _render(slug: str, audio_url: str) -> Response:
    view, public, _ = _preview(slug, audio_url)
    body = render_template("episode.html", **base_context(view), **episode_context(view, public))
    response = Response(body, content_type=HTML_TYPE)
    response.headers.update(security_headers(view, embed=False))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _audio(slug: str) -> Response:
    _, public, path = _preview(slug)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=public.media.mime_type, conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/apercu/<slug>/")
def preview(slug: str) -> Response:
    return _render(slug, url_for("studio.preview_audio", slug=slug, _external=True))


@bp.get("/apercu/<slug>/audio")
def preview_audio(slug: str) -> Response:
    return _audio(slug)


@bp.post("/apercu/<slug>/lien")
def guest_link(slug: str) -> Response:
    """Make a private link to *slug*'s preview, to send to a guest."""
    t = texts(language())
    view, public, _ = _preview(slug)
    token = _serializer().dumps({"slug": slug, "guid": public.guid})
    days = int(current_app.config["STUDIO_PREVIEW_DAYS"])
    now = current_app.config["CLOCK"]()
    record_activity(view.root, Activity(now, account().name, "preview-link", slug))
    link = url_for("studio.guest_preview", token=token, _external=True)
    return page("studio/guestlink.html", title=t["guest_link_title"], link=link, days=days, episode=public)


def _slug_of(token: str) -> str:
    days = int(current_app.config["STUDIO_PREVIEW_DAYS"])
    try:
        data = _serializer().loads(token, max_age=days * 86400)
    except SignatureExpired:
        abort(410)
    except BadSignature:
        abort(404)
    slug = str(data.get("slug", "")) if isinstance(data, dict) else ""
    episode = next((item for item in snapshot().catalogue.episodes if item.slug == slug), None)
    if episode is None or episode.guid != data.get("guid"):
        abort(404)  # the episode is gone or is another one now: the link was for the old one
    return slug


@bp.get("/invite/<token>/")
def guest_preview(token: str) -> Response:
    slug = _slug_of(token)
    return _render(slug, url_for("studio.guest_audio", token=token, _external=True))


@bp.get("/invite/<token>/audio")
def guest_audio(token: str) -> Response:
    return _audio(_slug_of(token))


@bp.errorhandler(410)
def expired_link(error: Exception) -> Response:
    t = texts(language())
    return page("studio/message.html", 410, title=t["link_expired_title"], text=t["link_expired_text"])


# A guest has no account: their link is their key, and it only reads.
OPEN_ENDPOINTS.update({"studio.guest_preview", "studio.guest_audio"})
