"""The site's own files (``static/``) under names that hold their content hash: ``site.3fa2b1c9d0.css``.

A hashed name changes when the file does, so it can be cached for a year
(``immutable``) by browsers and by any CDN or bucket in front of the static
export, which ignore a ``?v=`` query. The live site serves the same names,
so its pages and the exported ones are the same bytes; the plain name
(``site.css``) still answers, cached briefly, for anything that names it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from flask import Flask, Response, current_app, send_from_directory, url_for

HASH_LENGTH = 10
_HASHED = re.compile(rf"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{{{HASH_LENGTH}}})(?P<suffix>\.[^./]+)$")


class Assets:
    """The static folder's files and their hashed names, each file hashed once."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._digests: dict[str, str] = {}

    def digest(self, filename: str) -> str:
        found = self._digests.get(filename)
        if found is None:
            found = hashlib.sha256((self.folder / filename).read_bytes()).hexdigest()[:HASH_LENGTH]
            self._digests[filename] = found
        return found

    def hashed_name(self, filename: str) -> str:
        """``css/site.css`` → ``css/site.<hash>.css``."""
        path = PurePosixPath(filename)
        return str(path.with_name(f"{path.stem}.{self.digest(filename)}{path.suffix}"))

    def plain_name(self, requested: str) -> str | None:
        """The file a hashed name stands for, if its hash is the file's current one; else None."""
        path = PurePosixPath(requested)
        match = _HASHED.match(path.name)
        if match is None:
            return None
        filename = str(path.with_name(match["stem"] + match["suffix"]))
        if not (self.folder / filename).is_file() or self.digest(filename) != match["digest"]:
            return None
        return filename

    def files(self) -> Iterator[str]:
        """Every file of the static folder, as a ``/``-separated name."""
        for path in sorted(self.folder.rglob("*")):
            if path.is_file():
                yield path.relative_to(self.folder).as_posix()


def init_app(app: Flask) -> None:
    """Name static files by content hash in templates (``asset('site.css')``) and serve those names."""
    assets = Assets(Path(app.static_folder or ""))
    app.extensions["podcaster.assets"] = assets

    def asset(filename: str) -> str:
        return url_for("static", filename=assets.hashed_name(filename))

    def static(filename: str) -> Response:
        plain = assets.plain_name(filename)
        if plain is None:
            return send_from_directory(assets.folder, filename, max_age=current_app.config["PAGE_MAX_AGE"])
        response = send_from_directory(assets.folder, plain, max_age=current_app.config["MEDIA_MAX_AGE"])
        # The name holds the content hash: a changed file gets a new name, so this one never changes.
        response.headers["Cache-Control"] = (
            f"public, max-age={current_app.config['MEDIA_MAX_AGE']}, immutable"
        )
        return response

    app.jinja_env.globals["asset"] = asset
    if "static" not in app.view_functions:
        raise RuntimeError("the site needs Flask's static route (the app has a static folder)")
    app.view_functions["static"] = static


def assets_of(app: Flask) -> Assets:
    found: Assets = app.extensions["podcaster.assets"]
    return found
