"""Errors become pages in one place: French (or English) HTML for people, JSON for the API."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from podcaster.errors import PodcasterError

from .http import Body
from .i18n import strings
from .render import HTML_TYPE, base_context, error_response
from .site import Snapshot, snapshot

_log = logging.getLogger(__name__)
_API_BLUEPRINTS = {"api"}
_TEXTS = {
    400: ("bad_request_title", "bad_request_text"),
    404: ("not_found_title", "not_found_text"),
    405: ("method_title", "method_text"),
}


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(PodcasterError, library_error)


def http_error(error: HTTPException) -> Response:
    status = error.code or 500
    if request.blueprint in _API_BLUEPRINTS or request.path.startswith("/api/"):
        response = jsonify(error=error.description or error.name, status=status)
        response.status_code = status
        response.headers["Cache-Control"] = "no-store"
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response
    if status < 400:  # redirects (trailing slash) keep Werkzeug's answer
        return error.get_response()  # type: ignore[return-value]
    snap = _snapshot_or_none()
    language = snap.show.language if snap else "fr"
    title_key, text_key = _TEXTS.get(status, ("error_title", "error_text"))
    t = strings(language)
    context = base_context(snap) if snap else {"snap": None, "show": None, "lang": "fr", "t": t}
    page = render_template("error.html", status=status, title=t[title_key], text=t[text_key], **context)
    response = error_response(Body(page.encode("utf-8"), HTML_TYPE), snap, status)
    # Allow (405), Content-Range (416)…: what the exception knows stays in the answer.
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def library_error(error: PodcasterError) -> Response:
    """The catalogue or a feed cannot be made: say so politely; the details go to the log."""
    _log.error("%s", error)
    return http_error(ServiceUnavailable() if _snapshot_or_none() is None else InternalServerError())


def _snapshot_or_none() -> Snapshot | None:
    try:
        return snapshot()
    except PodcasterError:
        return None
