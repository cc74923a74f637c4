"""The producers' studio under ``/studio/``: sign-in, the episodes, new ones, previews, publishing.

One blueprint, its views by job (:mod:`.auth`, :mod:`.home`, :mod:`.episodes`,
:mod:`.uploads`, :mod:`.publishing`, :mod:`.preview`), its guards in
:mod:`.blueprint` (sign-in, CSRF, roles through ``podcaster.studio.can``) and
its session machinery in :mod:`.security`.
"""

from flask import Flask

from . import (  # noqa: F401  (their routes register on the blueprint)
    accounts,
    audience,
    auth,
    episodeform,
    episodes,
    history,
    home,
    preview,
    show,
    uploads,
)
from .blueprint import bp
from .publishing import init_publishing
from .security import init_security


def init_app(app: Flask) -> None:
    """Add the studio to *app*: its session machinery, its publish jobs, then its routes."""
    init_security(app)
    init_publishing(app)
    app.register_blueprint(bp)


__all__ = ["bp", "init_app"]
