"""The public site as static files, for a bucket, a CDN or any web server: no Python needed to serve it.

Every public URL is asked of the site itself through Flask's test client, at
the show's site address, so an exported page is the live page, byte for
byte: ``index.html`` for ``/``, ``saison/N/index.html``, ``episodes/<slug>/index.html``,
the widget (``embed/``), each episode's oEmbed at ``oembed/<slug>.json`` (the
address its page names for discovery), ``api/episodes.json``, the feeds as
``build`` wrote them, ``404.html``, and the site's own files under their
content-hashed names (and their plain ones). Text files of 1 KiB or more
get a gzip twin (``index.html.gz``) for servers that send pre-compressed
files (nginx ``gzip_static``, Caddy ``precompressed``).

The folder is made to match exactly: unchanged files are left alone (their
times too), files no longer part of the site are removed. The producers'
studio is never exported. ``?theme=`` variants of the widget need the live
site: a static host ignores the query.
"""

from __future__ import annotations

import gzip
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from flask import Flask

from podcaster import PodcastFolder
from podcaster.errors import PodcasterError

from .app import create_app
from .assets import assets_of
from .feeds import feed_body
from .site import EXTENSION, Site, Snapshot

# Text worth compressing ahead; media and images are compressed already.
COMPRESSED_SUFFIXES = frozenset({".html", ".css", ".js", ".svg", ".json", ".xml", ".txt", ".vtt"})
GZIP_MIN_BYTES = 1024  # as the live site: under this, gzip saves too little
GZIP_SUFFIX = ".gz"
NOT_FOUND = "404.html"
STUDIO_ASSETS = "studio"  # static/studio.css and the like: the producers' studio stays on the live site  # the error document S3 websites, Netlify, GitHub Pages and others look for


@dataclass
class ExportResult:
    folder: Path
    written: list[str] = field(default_factory=list)  # names relative to the folder
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def files(self) -> int:
        return len(self.written) + len(self.unchanged)


def export_site(root: Path, now: datetime | None = None) -> ExportResult:
    """Write the public site of the podcast in *root*, as it is at *now*, into its ``site/`` folder."""
    now = now or datetime.now(UTC)
    app = create_app(
        root,
        {
            "CLOCK": lambda: now,
            # /media/ is the storage's, not the site's: the export never holds audio.
            "SERVE_MEDIA": False,
            # No studio page is asked for; this only keeps the app from making a key it will not use.
            "SECRET_KEY": "static-export",
        },
    )
    files = dict(site_files(app))
    folder = PodcastFolder(app.config["ROOT"]).site_dir
    return _write_folder(folder, files)


def site_files(app: Flask) -> Iterator[tuple[str, bytes]]:
    """Every file of the static site, by its name relative to the site's root, with its gzip twin."""
    for name, data in _plain_files(app):
        yield name, data
        if PurePosixPath(name).suffix in COMPRESSED_SUFFIXES and len(data) >= GZIP_MIN_BYTES:
            yield name + GZIP_SUFFIX, gzip.compress(data, compresslevel=9, mtime=0)


def _plain_files(app: Flask) -> Iterator[tuple[str, bytes]]:
    site: Site = app.extensions[EXTENSION]
    snap = site.snapshot()
    base_url = snap.show.urls.site
    client = app.test_client()

    def get(path: str, *, status: int = 200) -> bytes:
        response = client.get(path, base_url=base_url)
        try:
            if response.status_code != status:
                raise PodcasterError(
                    f"the site answered {response.status_code} for {path} (expected {status}); "
                    "'podcaster serve' shows the page and its error",
                    path=snap.root,
                )
            return response.get_data()
        finally:
            response.close()

    for path in page_paths(snap):
        yield _file_name(path), get(path)
    yield NOT_FOUND, get("/" + NOT_FOUND.removesuffix(".html") + "/", status=404)
    for name in snap.feeds().documents:
        yield name, feed_body(snap, name).data
    assets = assets_of(app)
    prefix = (app.static_url_path or "/static").strip("/")
    for name in assets.files():
        if name.startswith(STUDIO_ASSETS):
            continue
        data = (assets.folder / name).read_bytes()
        yield f"{prefix}/{name}", data
        yield f"{prefix}/{assets.hashed_name(name)}", data


def page_paths(snap: Snapshot) -> list[str]:
    """The URL paths (below the site's root) of every public page and document the site answers."""
    slugs = [public.episode.slug for public in snap.episodes]
    return [
        "/",
        *(f"/saison/{season.number}/" for season in snap.show.seasons),
        *(f"/episodes/{slug}/" for slug in slugs),
        "/embed/",
        *(f"/embed/{slug}/" for slug in slugs),
        *(f"/oembed/{slug}.json" for slug in slugs),
        "/api/episodes.json",
    ]


def _file_name(path: str) -> str:
    """``/`` → ``index.html``, ``/saison/1/`` → ``saison/1/index.html``, ``/a.json`` → ``a.json``."""
    name = path.lstrip("/")
    return name + "index.html" if name.endswith("/") or not name else name


def _write_folder(folder: Path, files: dict[str, bytes]) -> ExportResult:
    """Make *folder* hold exactly *files*, writing only those that differ."""
    result = ExportResult(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in sorted(files):
        path = folder / name
        data = files[name]
        try:
            same = path.stat().st_size == len(data) and path.read_bytes() == data
        except OSError:
            same = False
        if same:
            result.unchanged.append(name)
            continue
        _replace(path, data)
        result.written.append(name)
    for path in sorted(folder.rglob("*"), reverse=True):  # files before the folders holding them
        name = path.relative_to(folder).as_posix()
        if path.is_dir() and not path.is_symlink():
            if not any(path.iterdir()):
                path.rmdir()
        elif name not in files:
            path.unlink()
            result.removed.append(name)
    return result


def _replace(path: Path, data: bytes) -> None:
    """Write through a temporary file and a rename: a server never sends half a page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
