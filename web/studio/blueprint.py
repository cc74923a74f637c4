"""The studio blueprint and what its views share: language, rendering, the sign-in and role guards."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.wrappers import Response as BaseResponse

from podcaster.errors import PodcasterError
from podcaster.studio import Permission, can

from ..render import security_headers
from ..site import Snapshot, snapshot
from .security import PREFIX, Account, safe_next
from .texts import texts

bp = Blueprint("studio", __name__, url_prefix=PREFIX)
# Views a visitor reaches without signing in.
OPEN_ENDPOINTS = {"studio.sign_in"}
F = TypeVar("F", bound=Callable[..., Any])


def _snapshot_or_none() -> Snapshot | None:
    try:
        return snapshot()
    except PodcasterError:
        return None


def language() -> str:
    snap = _snapshot_or_none()
    return snap.show.language if snap else "fr"


def account() -> Account:
    user: Account = current_user._get_current_object()
    return user


def page(template: str, status: int = 200, **context: Any) -> Response:
    """A studio page: never cached, never framed, our own scripts and styles only."""
    snap = _snapshot_or_none()
    show_language = snap.show.language if snap else "fr"
    t = texts(show_language)
    signed_in = current_user.is_authenticated
    body = render_template(
        template,
        t=t,
        lang="en" if t is texts("en") else "fr",
        show=snap.show if snap else None,
        account=account() if signed_in else None,
        **context,
    )
    response = Response(body, status=status, content_type="text/html; charset=utf-8")
    response.headers.update(security_headers(snap, embed=False))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.before_request
def guard() -> BaseResponse | None:
    """Every studio URL but the sign-in page needs a live session; every form needs its CSRF token."""
    idle = int(current_app.config["STUDIO_IDLE_MINUTES"]) * 60
    seen = session.get("seen")
    now = int(time.time())
    if current_user.is_authenticated and isinstance(seen, int) and now - seen > idle:
        logout_user()
        session.clear()
        return redirect(url_for("studio.sign_in", expired=1, next=safe_next(request.path)))
    if request.endpoint not in OPEN_ENDPOINTS and not current_user.is_authenticated:
        return redirect(url_for("studio.sign_in", next=safe_next(request.full_path.rstrip("?"))))
    if current_user.is_authenticated:
        session.permanent = True
        session["seen"] = now
    csrf: CSRFProtect = current_app.extensions["csrf"]
    csrf.protect()
    return None


@bp.errorhandler(CSRFError)
def stale_form(error: CSRFError) -> Response:
    return page("studio/message.html", 400, title=texts(language())["csrf"], text="")


@bp.errorhandler(403)
def forbidden(error: Exception) -> Response:
    t = texts(language())
    return page("studio/message.html", 403, title=t["forbidden_title"], text=t["forbidden_text"])


@bp.errorhandler(404)
def not_found(error: Exception) -> Response:
    t = texts(language())
    return page("studio/message.html", 404, title=t["not_found_title"], text=t["not_found_text"])


def require(permission: Permission) -> Callable[[F], F]:
    """Refuse the view (403) to an account whose role lacks *permission*."""

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not can(account().role, permission):
                abort(403)
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate
