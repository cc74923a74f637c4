"""The episode form's fields both pages share (season, number, guests, place, files) and the notes' preview.

What a field may hold is the library's to say (it runs the catalogue's own
rules on the result); here the form's text is only read into values: whole
numbers, rows of guests, files streamed to the uploads folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, jsonify, request
from werkzeug.datastructures import FileStorage, ImmutableMultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from podcaster.errors import CatalogueError
from podcaster.models import Location
from podcaster.studio import (
    LIMITS,
    MAX_ARTWORK,
    MAX_GUESTS,
    Attached,
    AttachmentError,
    Extras,
    Guest,
    Kind,
    NewSeason,
    Staged,
    discard_all,
    preview_notes,
    stage_attachment,
)

from .blueprint import bp, language, page
from .errortexts import say
from .security import limiter
from .texts import texts

NEW_SEASON = "nouvelle"
BLANK_GUESTS = 2  # empty rows under the guests already named; save to get more
ROLES = ("guest", "host", "co-host", "interviewer", "producer", "writer", "reporter", "composer")
FORM_ENDPOINTS = {"studio.save", "studio.describe_upload"}
# Room for the three files and the text fields of one form; anything bigger is refused before it is read.
TEXT_LIMIT = 1 << 20  # a form of text fields only: sign-in, publish, accounts, the notes' preview
FORM_LIMIT = sum(LIMITS.values()) + TEXT_LIMIT
STREAMED = {"studio.upload_whole", "studio.tus_create", "studio.tus_append"}  # the audio, under its own limit
PREVIEW_LIMIT = "120 per minute"
READ_SIZE = 1 << 16


@dataclass(frozen=True)
class FormRead:
    values: dict[str, Any]
    errors: dict[str, list[str]]
    extras: Extras | None  # None when a field could not be read


def episode_values(
    season: int, number: int | None, guests: tuple[Guest, ...], place: Location | None
) -> dict[str, Any]:
    """The shared fields' values as the form shows them first."""
    return {
        "season": str(season),
        "new_season_number": "",
        "new_season_name": "",
        "number": "" if number is None else str(number),
        "guests": [_guest_row(guest) for guest in guests],
        "place_name": place.name if place else "",
        "place_geo": (place.geo or "") if place else "",
        "place_osm": (place.osm or "") if place else "",
        "remove_transcripts": [],
        "remove_chapters": False,
        "remove_artwork": False,
    }


def read_extras(form: ImmutableMultiDict[str, str], seasons: list[int], *, stage: bool) -> FormRead:
    """The shared fields of a posted form; with *stage*, the files sent are received into the uploads folder."""
    t = texts(language())
    values: dict[str, Any] = {
        "season": form.get("season", ""),
        "new_season_number": form.get("new_season_number", "").strip(),
        "new_season_name": " ".join(form.get("new_season_name", "").split()),
        "number": form.get("number", "").strip(),
        "guests": _guest_rows(form),
        "place_name": form.get("place_name", "").strip(),
        "place_geo": form.get("place_geo", "").strip(),
        "place_osm": form.get("place_osm", "").strip(),
        "remove_transcripts": form.getlist("remove_transcript"),
        "remove_chapters": form.get("remove_chapters") == "1",
        "remove_artwork": form.get("remove_artwork") == "1",
    }
    errors: dict[str, list[str]] = {}
    new_season = None
    if values["season"] == NEW_SEASON:
        season = _whole(values["new_season_number"])
        if season is None:
            errors.setdefault("season", []).append(t["season_number_invalid"])
        elif season in seasons:
            errors.setdefault("season", []).append(t["season_exists"].format(number=season))
        if not values["new_season_name"]:
            errors.setdefault("season", []).append(t["season_name_required"])
        if season is not None and values["new_season_name"]:
            new_season = NewSeason(season, values["new_season_name"])
    else:
        season = _whole(values["season"])
        if season not in seasons:
            errors.setdefault("season", []).append(t["season_unknown"])
    number = _whole(values["number"])
    if values["number"] and number is None:
        errors["number"] = [t["number_invalid"]]
    guests = tuple(
        Guest(
            row["name"], row["role"] or "guest", row["href"] or None, row["img"] or None, row["group"] or None
        )
        for row in values["guests"]
        if any(row[key] for key in ("name", "href", "img"))
    )
    place = None
    if values["place_name"] or values["place_geo"] or values["place_osm"]:
        place = Location(values["place_name"], values["place_geo"] or None, values["place_osm"] or None)
    staged: list[Staged] = []
    if stage:
        for kind in Kind:
            sent = request.files.get(kind.value)
            if sent is None or not sent.filename:
                continue
            try:
                staged.append(
                    stage_attachment(current_app.config["ROOT"], kind, sent.filename, _chunks(sent))
                )
            except AttachmentError as error:
                errors.setdefault(kind.value, []).extend(error.messages)
    if errors or season is None:
        discard_all(staged)
        return FormRead(values, errors, None)
    extras = Extras(
        season=season,
        number=number,
        persons=guests,
        location=place,
        new_season=new_season,
        attach=tuple(staged),
        remove_transcripts=frozenset(values["remove_transcripts"]),
        remove_chapters=values["remove_chapters"],
        remove_artwork=values["remove_artwork"],
    )
    return FormRead(values, errors, extras)


def fields_context(
    values: dict[str, Any], seasons: list[tuple[int, str]], attached: Attached | None
) -> dict[str, Any]:
    """What the shared fields' template needs besides the values."""
    t = texts(language())
    rows = [row for row in values["guests"] if any(row[key] for key in ("name", "href", "img"))]
    rows += [_guest_row(Guest(""))] * BLANK_GUESTS
    roles = [(role, t.get(f"role_{role.replace('-', '_')}", role)) for role in ROLES]
    known = {role for role, _ in roles}
    roles += [(row["role"], row["role"]) for row in rows if row["role"] and row["role"] not in known]
    return {
        "seasons": seasons,
        "new_season": NEW_SEASON,
        "guest_rows": rows[:MAX_GUESTS],
        "guest_roles": list(dict(roles).items()),
        "attached": attached,
        "limits": {kind.value: LIMITS[kind] // (1 << 20) for kind in Kind},
    }


@bp.post("/notes/apercu")
def notes_preview() -> Response:
    """The notes rendered and sanitised exactly as the site shows them, for the form's live preview."""
    with limiter().limit(PREVIEW_LIMIT, scope="studio-notes-preview"):
        try:
            html = preview_notes(request.form.get("notes", ""))
        except CatalogueError as error:
            response = jsonify(error=say(error, texts(language())))
            response.status_code = 413
            return response
    response = Response(html, content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.before_app_request
def limit_form() -> None:
    """Refuse a studio form bigger than what it may carry before its body is read (CSRF reads it first).

    The audio uploads stream their bodies to disk under their own limit; every
    other form is text, or text and one image.
    """
    if request.method != "POST" or request.blueprint != bp.name or request.endpoint in STREAMED:
        return
    if request.endpoint in FORM_ENDPOINTS:
        request.max_content_length = FORM_LIMIT
    elif request.endpoint == "studio.save_show":
        request.max_content_length = MAX_ARTWORK + TEXT_LIMIT
    else:
        request.max_content_length = TEXT_LIMIT


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> Response:
    t = texts(language())
    limit = request.max_content_length or FORM_LIMIT
    text = t["form_too_large"].format(limit=max(1, limit // (1 << 20)))
    return page("studio/message.html", 413, title=t["form_too_large_title"], text=text)


def _guest_rows(form: ImmutableMultiDict[str, str]) -> list[dict[str, str]]:
    rows = []
    for index in range(MAX_GUESTS + BLANK_GUESTS):
        if f"guest-{index}-name" not in form:
            break
        rows.append(
            {
                key: " ".join(form.get(f"guest-{index}-{key}", "").split())
                for key in ("name", "role", "href", "img", "group")
            }
        )
    return rows


def _guest_row(guest: Guest) -> dict[str, str]:
    return {
        "name": guest.name,
        "role": guest.role if guest.name else "guest",
        "href": guest.href or "",
        "img": guest.img or "",
        "group": guest.group or "",
    }


def _whole(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) < 6 else None


def _chunks(sent: FileStorage) -> Any:
    while chunk := sent.stream.read(READ_SIZE):
        yield chunk
