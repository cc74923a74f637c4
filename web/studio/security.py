"""The studio's session and its guards: signing key, cookie, Flask-Login, CSRF, sign-in limits.

Sessions exist under ``/studio/`` only: anywhere else the session is a
null one, so the public site reads no cookie and sets none, and pages stay
cacheable. The signing key comes from ``SECRET_KEY``; when none is set, a
random key is made the first time a studio page is asked for and kept in the
instance folder with mode 0600 — a development default can never ship.
"""

from __future__ import annotations

import os
import secrets
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, Request, current_app, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from podcaster.errors import ConfigError
from podcaster.studio import Role, User, find_user

PREFIX = "/studio"
SECRET_FILE = "secret_key"
LIMITER = "studio_limiter"
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
_secret_lock = threading.Lock()


class Account(UserMixin):
    """A signed-in producer, as Flask-Login knows them."""

    def __init__(self, user: User) -> None:
        self.name = user.name
        self.role: Role = user.role
        self.stamp = user.stamp

    def get_id(self) -> str:
        # The stamp changes with the password: a new password or a removed account ends old sessions.
        return f"{self.name}:{self.stamp}"


def in_studio(req: Request) -> bool:
    return req.path == PREFIX or req.path.startswith(PREFIX + "/")


class StudioSessions(SecureCookieSessionInterface):
    """Signed-cookie sessions for the studio's paths only, with the cookie scoped to them."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not in_studio(request):
            return None  # Flask makes a null session: nothing read, nothing written
        ensure_secret_key(app)
        return super().open_session(app, request)

    def get_cookie_path(self, app: Flask) -> str:
        return request.script_root + PREFIX + "/"

    def get_cookie_secure(self, app: Flask) -> bool:
        configured = app.config.get("SESSION_COOKIE_SECURE")
        if configured is not None:
            return bool(configured)
        return request.host.rsplit(":", 1)[0] not in _LOOPBACK


def ensure_secret_key(app: Flask) -> None:
    """Give *app* a signing key: the configured one, else the instance folder's, made there if absent."""
    if app.config.get("SECRET_KEY"):
        return
    with _secret_lock:
        if not app.config.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = _stored_secret(Path(app.config["INSTANCE_FOLDER"]) / SECRET_FILE)


def _stored_secret(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes starting at once agree on the one key the first one wrote.
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(handle, "w", encoding="ascii") as stream:
            stream.write(secrets.token_hex(32) + "\n")
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise ConfigError("the studio's secret key file is too short; delete it to make a new one", path=path)
    return key


def init_security(app: Flask) -> None:
    """Install the session interface, Flask-Login, CSRF protection and the sign-in limiter on *app*."""
    app.session_interface = StudioSessions()
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies:
        # Behind a proxy every client would share its address, and one guesser would lock all out.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    app.config["SESSION_COOKIE_NAME"] = "studio_session"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=int(app.config["STUDIO_IDLE_MINUTES"]))
    app.config["SESSION_REFRESH_EACH_REQUEST"] = True
    # CSRF is checked by the studio's own before_request, so the public site pays nothing for it.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 3600)
    CSRFProtect(app)
    logins = LoginManager(app)
    logins.session_protection = "basic"  # "strong" is skipped for permanent sessions anyway
    logins.user_loader(_load_account)
    app.extensions[LIMITER] = Limiter(
        get_remote_address,
        app=app,
        storage_uri="memory://",
        default_limits=[],
        headers_enabled=True,
        key_prefix="studio",
    )


def _load_account(user_id: str) -> Account | None:
    name, _, stamp = user_id.partition(":")
    user = find_user(current_app.config["ROOT"], name)
    if user is None or user.stamp != stamp:
        return None
    return Account(user)


def limiter() -> Limiter:
    found: Limiter = current_app.extensions[LIMITER]
    return found


def safe_next(target: Any) -> str | None:
    """A place to go after signing in: a studio path of this site, never another site."""
    if not isinstance(target, str) or not target.startswith(PREFIX + "/") or "//" in target or "\\" in target:
        return None
    return target
