"""The static site in a publish: the files ``build`` exported into ``site/``, read for the plan.

They go to the storage's root beside the feeds, at the paths the live site
answers (``index.html``, ``episodes/<slug>/index.html``, ``static/…``), so
the bucket, or a CDN in front of it, serves the same addresses.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from podcaster.models import document_content_type, media_content_type

GZIP_SUFFIX = ".gz"
# By suffix, for what the site holds beyond feeds and media: pages, its own styles, scripts and icons.
_SITE_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
    ".ico": "image/vnd.microsoft.icon",
    ".woff2": "font/woff2",
    GZIP_SUFFIX: "application/gzip",
}
_HASH_LENGTH = 10  # the hex digits of its sha256 a content-hashed name carries: ``site.3fa2b1c9d0.css``


@dataclass(frozen=True)
class SiteFile:
    key: str
    data: bytes
    sha256: str
    content_type: str
    immutable: bool  # its name holds its content hash: it never changes under that name


def site_content_type(name: str) -> str:
    """What a file of the static site is served as, by its suffix."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in _SITE_TYPES:
        return _SITE_TYPES[suffix]
    if suffix in (".xml", ".json"):
        return document_content_type(name)
    return media_content_type(name)


def read_site(folder: Path, *, compressed: bool, skip: frozenset[str] = frozenset()) -> list[SiteFile]:
    """Every file under *folder* (none if it is missing), content-hashed assets first, then the pages.

    Keys in *skip* (the feeds, which publish sends last from memory) are left
    out; so are gzip twins unless *compressed* (a web server can send them from
    a local folder; a bucket cannot choose between the two).
    """
    if not folder.is_dir():
        return []
    found: dict[str, SiteFile] = {}
    for path in sorted(folder.rglob("*")):
        key = path.relative_to(folder).as_posix()
        if not path.is_file() or key in skip or any(part.startswith(".") for part in key.split("/")):
            continue  # dot files: temporaries of an export under way
        if key.endswith(GZIP_SUFFIX) and not compressed:
            continue
        data = path.read_bytes()
        sha256 = hashlib.sha256(data).hexdigest()
        found[key] = SiteFile(key, data, sha256, site_content_type(key), _names_its_hash(key, sha256))
    for key, item in found.items():
        twin = found.get(key.removesuffix(GZIP_SUFFIX)) if key.endswith(GZIP_SUFFIX) else None
        if twin is not None and twin.immutable:
            found[key] = SiteFile(key, item.data, item.sha256, item.content_type, True)
    # Assets first: a page that names one goes up once it is there.
    return sorted(found.values(), key=lambda item: (not item.immutable, item.key))


def _names_its_hash(key: str, sha256: str) -> bool:
    return f".{sha256[:_HASH_LENGTH]}." in PurePosixPath(key).name
