"""Editing an episode's text fields: the form, and a save that is checked, atomic and never blind."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, redirect, request, url_for

from podcaster.errors import CatalogueError, PodcasterError
from podcaster.models import EpisodeType
from podcaster.studio import (
    Activity,
    EditRefused,
    EpisodeChanges,
    EpisodeText,
    Outcome,
    Permission,
    WallClockError,
    can,
    can_edit_episode,
    discard_all,
    from_wall_clock,
    preview_notes,
    read_episode,
    record_activity,
    save_episode,
    wall_clock,
)

from .blueprint import _snapshot_or_none, account, bp, language, page
from .episodeform import episode_values, fields_context, read_extras
from .errortexts import messages, say, worded
from .history import commit
from .texts import texts

EXPLICIT_CHOICES = {"show": None, "yes": True, "no": False}


@bp.get("/episodes/<slug>/")
def edit_episode(slug: str) -> Response:
    episode = _episode_or_404(slug)
    if not can_edit_episode(account().role, draft=episode.draft):
        abort(403)
    return _form(episode, _values(episode))


@bp.post("/episodes/<slug>/")
def save(slug: str) -> Response:
    t = texts(language())
    episode = _episode_or_404(slug)
    if not can_edit_episode(account().role, draft=episode.draft):
        abort(403)
    form = request.form
    values: dict[str, Any] = {
        "title": form.get("title", ""),
        "date": form.get("date", ""),
        "type": form.get("type", ""),
        "explicit": form.get("explicit", "show"),
        "notes": form.get("notes", ""),
    }
    errors: dict[str, list[str]] = {}
    if not values["title"].strip():
        errors["title"] = [t["title_required"]]
    zone = current_app.config["STUDIO_TIMEZONE"]
    try:
        date = from_wall_clock(values["date"], zone)
    except WallClockError as error:
        errors.setdefault("date", []).append(say(error, t))
    try:
        episode_type = EpisodeType(values["type"])
    except ValueError:
        abort(400)
    if values["explicit"] not in EXPLICIT_CHOICES:
        abort(400)
    version = form.get("version", "")
    preview = form.get("action") == "preview"
    read = read_extras(form, _season_numbers(), stage=not preview and not errors)
    values.update(read.values)
    if preview:  # the form without script: the notes as the site will show them, nothing saved
        return _form(episode, values, version=version, notes_html=_preview(values["notes"]))
    errors.update(read.errors)
    if errors or read.extras is None:
        return _form(episode, values, errors=errors, version=version, status=422)
    changes = EpisodeChanges(
        title=values["title"],
        date=date,
        type=episode_type,
        explicit=EXPLICIT_CHOICES[values["explicit"]],
        notes=values["notes"],
        extras=read.extras,
    )
    try:
        result = save_episode(
            current_app.config["ROOT"], slug, changes, version, account().role, current_app.config["CLOCK"]()
        )
    except EditRefused:
        abort(403)
    except PodcasterError as error:
        discard_all(read.extras.attach)
        return _form(episode, values, errors={"": messages(error, texts(language()))}, status=422)
    if result.outcome is Outcome.CONFLICT:
        assert result.current is not None
        return _form(
            result.current,
            values,
            conflict=(result.current.text, result.proposed),
            version=result.current.version,
            status=409,
        )
    if result.outcome is Outcome.INVALID:
        return _form(episode, values, errors=result.errors, version=version, status=422)
    if result.outcome is Outcome.SAVED:
        now = current_app.config["CLOCK"]()
        record_activity(current_app.config["ROOT"], Activity(now, account().name, "saved", slug))
        commit(result.touched, f"{slug}: edited in the studio")
    flash = "saved" if result.outcome is Outcome.SAVED else "unchanged"
    return redirect(url_for("studio.edit_episode", slug=slug, done=flash))  # type: ignore[return-value]


def _season_numbers() -> list[int]:
    snap = _snapshot_or_none()
    return [season.number for season in snap.show.seasons] if snap else []


def _seasons_named() -> list[tuple[int, str]]:
    snap = _snapshot_or_none()
    return [(season.number, season.name) for season in snap.show.seasons] if snap else []


def _preview(notes: str) -> str:
    try:
        return preview_notes(notes)
    except CatalogueError:
        return ""


def _episode_or_404(slug: str) -> EpisodeText:
    try:
        return read_episode(current_app.config["ROOT"], slug)
    except CatalogueError:
        abort(404)


def _values(episode: EpisodeText) -> dict[str, Any]:
    zone = current_app.config["STUDIO_TIMEZONE"]
    explicit = next(key for key, value in EXPLICIT_CHOICES.items() if value is episode.explicit)
    return episode_values(episode.season, episode.number, episode.persons, episode.location) | {
        "title": episode.title,
        # Seconds only when the file has some (imported feeds do): a save must not move the date.
        "date": wall_clock(episode.date, zone).strftime(
            "%Y-%m-%dT%H:%M:%S" if episode.date.second else "%Y-%m-%dT%H:%M"
        ),
        "type": episode.type.value,
        "explicit": explicit,
        "notes": episode.notes,
    }


def _form(
    episode: EpisodeText,
    values: dict[str, Any],
    *,
    errors: dict[str, list[str]] | None = None,
    conflict: tuple[str, str] | None = None,
    version: str | None = None,
    status: int = 200,
    notes_html: str | None = None,
) -> Response:
    t = texts(language())
    done = request.args.get("done") if request.method == "GET" else None
    zone = current_app.config["STUDIO_TIMEZONE"]
    local = wall_clock(episode.date, zone)
    context: dict[str, Any] = {
        "episode": episode,
        "values": values,
        "errors": worded(errors or {}, t),
        "conflict": conflict,
        "version": version or episode.version,
        "zone": zone,
        "offset": local.strftime("%z")[:3] + ":" + local.strftime("%z")[3:],
        "notice": t.get(done or "", "") if done in ("saved", "unchanged", "created") else "",
        "can_publish": can(account().role, Permission.PUBLISH),
        "types": [(kind.value, t[f"type_{kind.value}"]) for kind in EpisodeType],
        "explicit_choices": [(key, t[f"explicit_{key}"]) for key in EXPLICIT_CHOICES],
        "notes_html": notes_html,
        **fields_context(values, _seasons_named(), episode.attached),
    }
    return page("studio/episode.html", status, **context)
