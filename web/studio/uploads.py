"""A new episode from an audio file: a resumable upload (tus 1.0 core and creation), then its form.

The page's script (``static/studio-upload.js``) sends the file in chunks with
tus's requests: ``POST`` makes an upload, ``PATCH`` appends at
``Upload-Offset``, ``HEAD`` tells where to resume after a dropped connection.
Without script, the same page's form sends the whole file in one request.
Either way the audio is streamed to ``.podcaster/uploads/``, probed as
``add`` probes it, and the form that follows is filled from its tags.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import IO, Any

from flask import Response, abort, current_app, jsonify, redirect, request, url_for
from werkzeug.exceptions import ClientDisconnected

from podcaster.errors import PodcasterError
from podcaster.models import EpisodeType
from podcaster.studio import (
    Activity,
    EpisodeChanges,
    Outcome,
    Permission,
    Probed,
    UploadCut,
    UploadError,
    WallClockError,
    append_chunk,
    create_draft,
    discard_all,
    extras_problems,
    find_upload,
    from_wall_clock,
    preview_notes,
    probe_upload,
    read_episode,
    record_activity,
    save_episode,
    staged_problems,
    start_upload,
    store_whole,
    wall_clock,
)

from .blueprint import _snapshot_or_none, account, bp, language, page, require
from .episodeform import episode_values, fields_context, read_extras
from .episodes import _form as episode_form
from .episodes import _values as episode_form_values
from .errortexts import messages, say, worded
from .history import commit_new_draft
from .texts import texts

EXPLICIT_CHOICES = {"show": None, "yes": True, "no": False}
TUS_VERSION = "1.0.0"
READ_SIZE = 1 << 20


def _tus_headers(response: Response) -> Response:
    response.headers["Tus-Resumable"] = TUS_VERSION
    response.headers["Cache-Control"] = "no-store"
    return response


def _refusal(error: UploadError) -> Response:
    """The refusal as JSON, for the page's script to show; its status says what kind."""
    response = jsonify(error=say(error, texts(language())))
    response.status_code = error.status
    return _tus_headers(response)


@bp.get("/nouvel-episode/")
@require(Permission.EDIT_DRAFT)
def new_episode() -> Response:
    return _upload_page()


def _upload_page(error: str = "", status: int = 200) -> Response:
    return page(
        "studio/upload.html",
        status,
        error=error,
        limit=int(current_app.config["STUDIO_UPLOAD_LIMIT"]),
        chunk=int(current_app.config["STUDIO_UPLOAD_CHUNK"]),
    )


@bp.post("/nouvel-episode/")
@require(Permission.EDIT_DRAFT)
def upload_whole() -> Response:
    """The form without script: the whole file in one multipart request, streamed to disk."""
    t = texts(language())
    limit = int(current_app.config["STUDIO_UPLOAD_LIMIT"])
    if request.content_length is not None and request.content_length > limit + READ_SIZE:
        return _upload_page(t["upload_too_large"].format(limit=limit // (1 << 20)), 413)
    sent = request.files.get("audio")
    if sent is None or not sent.filename:
        return _upload_page(t["upload_missing"], 422)
    try:
        upload = store_whole(
            current_app.config["ROOT"], account().name, sent.filename, _chunks(sent.stream), limit
        )
        probe_upload(current_app.config["ROOT"], upload.id, account().name)
    except UploadError as error:
        return _upload_page(say(error, t), error.status)
    return redirect(url_for("studio.describe_upload", upload_id=upload.id))  # type: ignore[return-value]


@bp.route("/televersements/", methods=["OPTIONS"])
def tus_options() -> Response:
    response = Response(status=204)
    response.headers["Tus-Version"] = TUS_VERSION
    response.headers["Tus-Extension"] = "creation"
    response.headers["Tus-Max-Size"] = str(current_app.config["STUDIO_UPLOAD_LIMIT"])
    return _tus_headers(response)


@bp.post("/televersements/")
@require(Permission.EDIT_DRAFT)
def tus_create() -> Response:
    try:
        length = int(request.headers.get("Upload-Length", ""))
    except ValueError:
        return _refusal(UploadError("Upload-Length is required", "upload_protocol"))
    name = _metadata(request.headers.get("Upload-Metadata", "")).get("filename", "audio")
    try:
        upload = start_upload(
            current_app.config["ROOT"],
            account().name,
            length,
            name,
            int(current_app.config["STUDIO_UPLOAD_LIMIT"]),
        )
    except UploadError as error:
        return _refusal(error)
    response = Response(status=201)
    response.headers["Location"] = url_for("studio.tus_upload", upload_id=upload.id)
    response.headers["Upload-Offset"] = "0"
    return _tus_headers(response)


@bp.route("/televersements/<upload_id>", methods=["HEAD"])
@require(Permission.EDIT_DRAFT)
def tus_upload(upload_id: str) -> Response:
    """Where the upload stands: the client resumes from ``Upload-Offset``."""
    try:
        upload = find_upload(current_app.config["ROOT"], upload_id, account().name)
    except UploadError as error:
        return _tus_headers(Response(status=error.status))
    response = Response(status=200)
    response.headers["Upload-Offset"] = str(upload.offset)
    response.headers["Upload-Length"] = str(upload.length)
    return _tus_headers(response)


@bp.route("/televersements/<upload_id>", methods=["PATCH"])
@require(Permission.EDIT_DRAFT)
def tus_append(upload_id: str) -> Response:
    if request.mimetype != "application/offset+octet-stream":
        return _tus_headers(Response(status=415))
    try:
        offset = int(request.headers.get("Upload-Offset", ""))
    except ValueError:
        return _tus_headers(Response(status=400))
    root = current_app.config["ROOT"]
    length = request.content_length
    # With a declared length the server's own input is read as is (bounded by it): a server that
    # spooled the body to a file lets the kernel copy it. Without one, Werkzeug's stream de-chunks.
    body = request.environ["wsgi.input"] if length is not None else request.stream
    try:
        # Probed on the next page, not here: a 100 MB file's probe takes as long as its upload.
        upload = append_chunk(root, upload_id, account().name, offset, body, length)
    except (ClientDisconnected, UploadCut):
        # What arrived is kept; the client is gone, and will ask for the offset when it comes back.
        return _tus_headers(Response(status=400))
    except UploadError as error:
        return _refusal(error)
    response = Response(status=204)
    response.headers["Upload-Offset"] = str(upload.offset)
    if upload.complete:
        response.headers["Location"] = url_for("studio.describe_upload", upload_id=upload_id)
    return _tus_headers(response)


@bp.route("/nouvel-episode/<upload_id>/", methods=["GET", "POST"])
@require(Permission.EDIT_DRAFT)
def describe_upload(upload_id: str) -> Response:
    """The new episode's form, filled from the file's tags; saving writes it as a draft."""
    t = texts(language())
    root = current_app.config["ROOT"]
    try:
        probed = probe_upload(root, upload_id, account().name)
    except UploadError as error:
        if error.status == 404:
            abort(404)
        return _upload_page(say(error, t), error.status)
    snap = _snapshot_or_none()
    seasons = [(season.number, season.name) for season in snap.show.seasons] if snap else []
    zone = current_app.config["STUDIO_TIMEZONE"]
    if request.method == "GET":
        return _describe_page(probed, seasons, _initial(probed, zone, [number for number, _ in seasons]))
    form = request.form
    values: dict[str, Any] = {key: form.get(key, "").strip() for key in ("title", "date", "type", "explicit")}
    values["notes"] = form.get("notes", "")
    values["explicit"] = form.get("explicit", "show")
    errors: dict[str, list[str]] = {}
    if not values["title"]:
        errors["title"] = [t["title_required"]]
    if values["explicit"] not in EXPLICIT_CHOICES:
        abort(400)
    try:
        episode_type = EpisodeType(values["type"])
    except ValueError:
        abort(400)
    date: datetime | None = None
    try:
        date = from_wall_clock(values["date"], zone)
    except WallClockError as error:
        errors["date"] = [say(error, t)]
    preview = form.get("action") == "preview"
    read = read_extras(form, [number for number, _ in seasons], stage=not preview and not errors)
    values.update(read.values)
    if preview:  # the form without script: the notes as the site will show them, nothing saved
        return _describe_page(probed, seasons, values, notes_html=_preview(values["notes"]))
    errors.update(read.errors)
    extras = read.extras
    if extras is not None:
        # The catalogue's own rules, before anything is written: guests, place, and each file sent.
        for field, found in extras_problems(extras).items():
            errors.setdefault(field, []).extend(found)
        for staged in extras.attach:
            for message in staged_problems(staged, probed.media.duration):
                errors.setdefault(staged.kind.value, []).append(message)
    if errors or date is None or extras is None:
        if extras is not None:
            discard_all(extras.attach)
        return _describe_page(probed, seasons, values, errors, 422)
    try:
        added = create_draft(
            root,
            upload_id,
            account().name,
            season=extras.season,
            title=values["title"],
            date=date,
            number=extras.number,
            episode_type=episode_type,
            new_season=extras.new_season,
        )
    except PodcasterError as error:
        discard_all(extras.attach)
        field = "season" if extras.new_season else ""
        return _describe_page(probed, seasons, values, {field: messages(error, t)}, 422)
    slug = added.path.stem
    now = current_app.config["CLOCK"]()
    record_activity(root, Activity(now, account().name, "created", slug, added.title))
    # The rest of the form (notes, explicit, guests, place, files) through the one save, as the edit form does.
    draft = read_episode(root, slug)
    changes = EpisodeChanges(
        title=draft.title,
        date=draft.date,
        type=draft.type,
        explicit=EXPLICIT_CHOICES[values["explicit"]],
        notes=values["notes"],
        extras=replace(extras, season=draft.season, number=draft.number, new_season=None),
    )
    result = save_episode(root, slug, changes, draft.version, account().role, now)
    if (
        result.outcome is Outcome.INVALID
    ):  # the draft is there; what its form still refuses is shown beside it
        draft = read_episode(root, slug)
        kept = {
            key: values[key]
            for key in ("notes", "explicit", "guests", "place_name", "place_geo", "place_osm")
        }
        return episode_form(draft, episode_form_values(draft) | kept, errors=result.errors, status=422)
    commit_new_draft(added, result.touched)
    return redirect(url_for("studio.edit_episode", slug=slug, done="created"))  # type: ignore[return-value]


def _preview(notes: str) -> str:
    try:
        return preview_notes(notes)
    except PodcasterError:
        return ""


def _initial(probed: Probed, zone: str, seasons: list[int]) -> dict[str, str]:
    tags = probed.tags
    moment = current_app.config["CLOCK"]()
    if tags.date:
        try:
            tagged = datetime.fromisoformat(tags.date)
        except ValueError:
            tagged = None
        if tagged is not None and tagged.tzinfo is not None:
            moment = tagged
    stem = probed.upload.name.rsplit(".", 1)[0].replace("_", " ")
    return episode_values(max(seasons, default=1), None, (), None) | {
        "title": (tags.title or stem).strip(),
        "date": wall_clock(moment, zone).strftime("%Y-%m-%dT%H:%M"),
        "type": EpisodeType.FULL.value,
        "explicit": "show",
        "notes": (tags.comment or "").strip(),
    }


def _describe_page(
    probed: Probed,
    seasons: list[tuple[int, str]],
    values: dict[str, Any],
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
    notes_html: str | None = None,
) -> Response:
    t = texts(language())
    return page(
        "studio/describe.html",
        status,
        probed=probed,
        values=values,
        errors=worded(errors or {}, t),
        zone=current_app.config["STUDIO_TIMEZONE"],
        types=[(kind.value, t[f"type_{kind.value}"]) for kind in EpisodeType],
        explicit_choices=[(key, t[f"explicit_{key}"]) for key in EXPLICIT_CHOICES],
        notes_html=notes_html,
        **fields_context(values, seasons, None),
    )


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(READ_SIZE):
        yield chunk


def _metadata(header: str) -> dict[str, str]:
    """tus's ``Upload-Metadata``: comma-separated ``key base64value`` pairs."""
    found = {}
    for pair in header.split(",")[:20]:
        key, _, value = pair.strip().partition(" ")
        try:
            found[key] = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            continue
    return found
