"""The site's settings: defaults, then an instance file, then ``PODCASTER_*`` variables, then tests'.

Every setting has a default that is safe in production. The public site keeps
no session and sets no cookie; only the studio (``/studio/``) does, signed
with ``SECRET_KEY``: when none is configured, a random one is made on first
use and kept in the instance folder with mode 0600 (see ``web/studio``), so
no development value can ever reach production.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask

from podcaster import PodcastFolder, find_root
from podcaster.errors import ConfigError
from podcaster.settings import ENV_PREFIX, parse_moment, read_settings


def utc_now() -> datetime:
    """The real clock; tests replace it through the ``CLOCK`` setting."""
    return datetime.now(UTC)


# name -> (default, parser for a value coming from the environment)
SETTINGS: dict[str, tuple[Any, Callable[[str], Any] | None]] = {
    # The podcast folder; when unset, the nearest folder upward from the working one holding podcast.toml.
    "ROOT": (None, Path),
    # The local storage folder /media/ serves; when unset, the show's file:// storage URL.
    "MEDIA_DIR": (None, Path),
    # Serve /media/: None means "when the show's storage is a local folder".
    "SERVE_MEDIA": (None, lambda text: _boolean(text)),
    # Origins allowed to read the JSON API and oEmbed, added to podcast.toml's [website] allowed_origins.
    "ALLOWED_ORIGINS": ((), lambda text: _words(text)),
    # Who may frame /embed/; when unset, [website] frame_ancestors, else any site (*).
    "FRAME_ANCESTORS": (None, lambda text: _words(text)),
    # Seconds between two looks at the catalogue files (0: on every request, for development).
    "RELOAD_INTERVAL": (1.0, float),
    "PAGE_MAX_AGE": (300, int),
    "FEED_MAX_AGE": (300, int),
    "API_MAX_AGE": (300, int),
    "MEDIA_MAX_AGE": (31_536_000, int),
    # Height in pixels of the embed iframe for one episode, and for the list.
    "EMBED_HEIGHT": (200, int),
    "EMBED_LIST_HEIGHT": (480, int),
    # A function returning the aware "now": scheduled episodes appear when it passes their date.
    "CLOCK": (utc_now, None),
    # A fixed "now" (ISO 8601 with a time zone) to preview a release date. PODCASTER_NOW, which the
    # CLI reads too, is read once with the library's settings (see configure), not here.
    "NOW": (None, None),
    # The studio's session signing key; when unset, a random one kept in the instance folder.
    "SECRET_KEY": (None, str),
    # Minutes without a request after which a studio session ends.
    "STUDIO_IDLE_MINUTES": (60, int),
    # Sign-in attempts allowed per client address (Flask-Limiter's notation, ';' between limits).
    "STUDIO_SIGNIN_LIMIT": ("5 per minute;30 per hour", str),
    # The clock the studio shows and reads dates in; files keep the offset.
    "STUDIO_TIMEZONE": ("Europe/Paris", str),
    # The largest audio file the studio accepts, in bytes, and the size of the chunks its page sends.
    "STUDIO_UPLOAD_LIMIT": (1 << 30, int),
    "STUDIO_UPLOAD_CHUNK": (8 << 20, int),
    # Days a guest's private preview link stays valid.
    "STUDIO_PREVIEW_DAYS": (7, int),
    # Commit each studio change when the podcast folder is a git repository; None: as
    # PODCASTER_STUDIO_GIT_COMMITS says (read by podcaster.settings), which is on unless set false.
    "STUDIO_GIT_COMMITS": (None, None),
    # Reverse proxies in front of the site whose X-Forwarded-For/-Proto/-Host are trusted (0: none).
    "TRUSTED_PROXIES": (0, int),
    # Studio cookies' Secure flag: None sets it unless the site is reached on a loopback address.
    "SESSION_COOKIE_SECURE": (None, lambda text: _boolean(text)),
}


def configure(app: Flask, root: Path | None, test_config: Mapping[str, Any] | None) -> None:
    """Fill ``app.config``, each layer overriding the one before; *root* (the caller's choice) wins."""
    for name, (default, _) in SETTINGS.items():
        app.config[name] = default
    app.config["JSON_SORT_KEYS"] = False
    app.config["INSTANCE_FOLDER"] = instance_folder(app)
    _load_instance_file(app)
    app.config.update(from_environment(os.environ))
    # What the library takes from the environment (S3, the audience store's password, git commits,
    # a fixed now), read once here as the CLI reads it: publishing, the hop and the audience page
    # are handed it, and its now is the environment's layer of the site's NOW.
    library = read_settings(os.environ)
    if library.now is not None:
        app.config["NOW"] = library.now
    if test_config is not None:
        app.config.update(test_config)
    if root is not None:
        app.config["ROOT"] = root
    app.config["ROOT"] = resolve_root(app.config["ROOT"])
    if app.config["MEDIA_DIR"] is not None:
        app.config["MEDIA_DIR"] = Path(app.config["MEDIA_DIR"])
    fixed = app.config["NOW"]
    if fixed is not None and app.config["CLOCK"] is utc_now:
        fixed = parse_moment(fixed, "NOW") if isinstance(fixed, str) else fixed
        app.config["CLOCK"] = lambda: fixed
    if not callable(app.config["CLOCK"]):
        raise ConfigError("CLOCK must be a function returning an aware datetime")
    app.config.setdefault("LIBRARY_SETTINGS", library)


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings given as ``PODCASTER_NAME`` variables, parsed; a bad value names its variable."""
    found: dict[str, Any] = {}
    for name, (_, parse) in SETTINGS.items():
        variable = ENV_PREFIX + name
        if parse is None or variable not in environ:
            continue
        try:
            found[name] = parse(environ[variable])
        except ValueError as error:
            raise ConfigError(f"{variable}={environ[variable]!r}: {error}", path=variable) from None
    return found


def resolve_root(value: object) -> Path:
    """The podcast folder: the given one, or the nearest upward from the working folder."""
    if value is not None:
        root = Path(str(value)).expanduser().resolve()
        show_file = PodcastFolder(root).show_file
        if not show_file.is_file():
            raise ConfigError(f"no {show_file.name} in {root}", path=root)
        return root
    return find_root(Path.cwd())


def instance_folder(app: Flask) -> Path:
    """Flask's instance folder, or ``PODCASTER_INSTANCE_PATH``: settings and the studio's secret key."""
    return Path(os.environ.get(ENV_PREFIX + "INSTANCE_PATH") or app.instance_path)


def _load_instance_file(app: Flask) -> None:
    """Read ``instance/config.toml`` (keys in any case) or ``instance/config.py``, if there."""
    folder = instance_folder(app)
    toml_file = folder / "config.toml"
    if toml_file.is_file():
        try:
            data = tomllib.loads(toml_file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"invalid TOML: {error}", path=toml_file) from None
        unknown = sorted(key for key in data if key.upper() not in SETTINGS)
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(unknown)}", path=toml_file)
        app.config.update({key.upper(): value for key, value in data.items()})
    python_file = folder / "config.py"
    if python_file.is_file():
        app.config.from_pyfile(str(python_file))


def _boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected true or false")


def _words(text: str) -> tuple[str, ...]:
    """A list from a variable: items separated by commas or spaces."""
    return tuple(word for word in text.replace(",", " ").split() if word)
