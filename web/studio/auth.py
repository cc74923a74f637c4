"""Signing in and out: ``/studio/connexion``, rate-limited, then back where the producer was going."""

from __future__ import annotations

import time

from flask import Response, current_app, redirect, request, session, url_for
from flask_limiter import RateLimitExceeded
from flask_login import current_user, login_user, logout_user

from podcaster.studio import authenticate, load_users

from .blueprint import bp, language, page
from .security import Account, limiter, safe_next
from .texts import texts

MAX_FIELD = 1024


@bp.route("/connexion", methods=["GET", "POST"])
def sign_in() -> Response:
    t = texts(language())
    target = safe_next(request.values.get("next")) or url_for("studio.home")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(target)  # type: ignore[return-value]
    message = t["expired"] if request.args.get("expired") else ""
    if request.args.get("out"):
        message = t["signed_out"]
    if request.method == "GET":
        if not load_users(current_app.config["ROOT"]):
            message = t["no_account"]
        return page("studio/signin.html", message=message, next=target, name="")
    name = request.form.get("name", "")[:MAX_FIELD]
    password = request.form.get("password", "")[: MAX_FIELD + 1]
    # Counted per client address before the password is even looked at: guessing costs time.
    with limiter().limit(current_app.config["STUDIO_SIGNIN_LIMIT"], scope="studio-sign-in"):
        user = authenticate(current_app.config["ROOT"], name, password)
    if user is None:
        return page("studio/signin.html", 401, error=t["wrong_credentials"], next=target, name=name)
    session.clear()  # a fresh session: nothing from before signing in carries over
    login_user(Account(user))
    session.permanent = True
    session["seen"] = int(time.time())
    return redirect(target)  # type: ignore[return-value]


@bp.post("/deconnexion")
def sign_out() -> Response:
    logout_user()
    session.clear()
    return redirect(url_for("studio.sign_in", out=1))  # type: ignore[return-value]


@bp.errorhandler(RateLimitExceeded)
def too_many(error: RateLimitExceeded) -> Response:
    t = texts(language())
    response = page("studio/signin.html", 429, error=t["too_many"], next=url_for("studio.home"), name="")
    response.headers["Retry-After"] = "60"
    return response
