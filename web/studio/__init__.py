"""The producers' studio under ``/studio/``: sign-in, the episodes at a glance, editing an episode.

One blueprint, its views by job (:mod:`.auth`, :mod:`.home`, :mod:`.episodes`),
its guards in :mod:`.blueprint` (sign-in, CSRF, roles through
``podcaster.studio.can``) and its session machinery in :mod:`.security`.
Uploading, previews and publishing from the browser are to come as more
modules on the same blueprint.
"""

from flask import Flask

from . import audience, auth, episodes, home  # noqa: F401  (their routes register on the blueprint)
from .blueprint import bp
from .security import init_security


def init_app(app: Flask) -> None:
    """Add the studio to *app*: its session machinery, then its routes."""
    init_security(app)
    app.register_blueprint(bp)


__all__ = ["bp", "init_app"]
