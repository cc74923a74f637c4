"""The application factory: settings, the catalogue, blueprints, template helpers, error pages."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from . import api, assets, embed, errors, feeds, hop, media, pages, studio
from .config import configure
from .http import Compressor, CountConverter, FastPath
from .i18n import clock_time, duration_text, long_date, role_label, size_text
from .site import EXTENSION, Site, cached_answer


def create_app(root: Path | None = None, test_config: Mapping[str, Any] | None = None) -> Flask:
    """Make the site for the podcast in *root* (else ROOT / PODCASTER_ROOT / the nearest podcast.toml)."""
    app = Flask(__name__, instance_relative_config=True)
    configure(app, root, test_config)
    site = Site(app.config["ROOT"], app.config["CLOCK"], float(app.config["RELOAD_INTERVAL"]))
    app.extensions[EXTENSION] = site
    app.url_map.converters["count"] = CountConverter
    for blueprint in (pages.bp, feeds.bp, api.bp, embed.bp, media.bp):
        app.register_blueprint(blueprint)
    # Inside the studio's ProxyFix (set up next), so the hop sees the listener's address, not the proxy's.
    app.wsgi_app = hop.HopPath(  # type: ignore[method-assign]
        app.wsgi_app,
        site,
        app.config["CLOCK"],
        float(app.config.get("HOP_FLUSH_SECONDS", 2.0)),
        app.config["LIBRARY_SETTINGS"],
    )
    app.extensions[hop.EXTENSION] = app.wsgi_app
    studio.init_app(app)
    errors.register(app)
    # Text the cached answers did not compress already; never media, nor the studio's pages.
    app.after_request(Compressor(frozenset({media.bp.name, "studio"})))
    _template_helpers(app)
    app.wsgi_app = FastPath(app.wsgi_app, cached_answer(site))  # type: ignore[method-assign]
    return app


def _template_helpers(app: Flask) -> None:
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters["long_date"] = long_date
    app.jinja_env.filters["duration"] = duration_text
    app.jinja_env.filters["clock"] = clock_time
    app.jinja_env.filters["size"] = size_text
    app.jinja_env.filters["role"] = role_label
    assets.init_app(app)
    if app.config.get("SEND_FILE_MAX_AGE_DEFAULT") is None:
        app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 31_536_000  # static URLs carry their content hash
