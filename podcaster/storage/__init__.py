"""Where published objects live: one small interface, a local-folder and an S3 backend.

A storage is opened from a URL (``file://PATH`` or ``s3://BUCKET[/PREFIX]``)
and holds objects under *keys*: ``/``-separated relative names such as
``audio/saison-1/mon-episode-1a2b3c4d.mp3``. Every backend refuses the same
unsafe keys (see :func:`validate_key`), so a key that works on one works on
the other and never escapes its root.

Keys are restricted to the URL-safe ASCII set (RFC 3986 "unreserved":
letters, digits, ``-``, ``.``, ``_``, ``~``): spaces and accents are refused
rather than silently rewritten, because a key is also a public URL and must
be the same on every store and file system. :func:`safe_key` turns a
producer's name (« mon épisode ») into such a key (``mon-episode``).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podcaster.errors import ConfigError
from podcaster.settings import S3Settings, TransferSettings
from podcaster.storage.base import (
    ObjectInfo,
    Progress,
    Storage,
    check_sha256,
    safe_key,
    validate_key,
    validate_prefix,
)

if TYPE_CHECKING:
    from podcaster.storage.local import LocalStorage
    from podcaster.storage.s3 import S3Storage

# Each backend is imported when a URL first names it: the S3 one brings boto3, which a
# build, the site on local storage or a module that only needs safe_key should not load.
BACKENDS: dict[str, tuple[str, str]] = {
    "file": ("podcaster.storage.local", "LocalStorage"),
    "s3": ("podcaster.storage.s3", "S3Storage"),
}


def backend(scheme: str) -> type[Storage] | None:
    """The backend class for a URL scheme, imported on first use; ``None`` for an unknown scheme."""
    found = BACKENDS.get(scheme.lower())
    if found is None:
        return None
    module, name = found
    backend_class: type[Storage] = getattr(importlib.import_module(module), name)
    return backend_class


def open_storage(url: str, *, base: Path | None = None, settings: S3Settings | None = None) -> Storage:
    """Open the storage *url* names (``file://PATH``, ``s3://BUCKET[/PREFIX]``).

    A relative ``file://`` path is taken from *base* (the catalogue root;
    the current directory when not given); *settings* tune the S3 client.
    """
    scheme, sep, _rest = url.partition("://")
    backend_class = backend(scheme) if sep else None
    if backend_class is None:
        known = ", ".join(f"{name}://" for name in BACKENDS)
        shown = url if sep and "@" not in url else "the storage URL"
        raise ConfigError(f"{shown}: unknown storage scheme; use one of {known}")
    return backend_class.from_url(url, base=base if base is not None else Path.cwd(), settings=settings)


def __getattr__(name: str) -> Any:
    # `from podcaster.storage import S3Storage` loads boto3 only when someone asks for it.
    for module, class_name in BACKENDS.values():
        if name == class_name:
            return getattr(importlib.import_module(module), class_name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BACKENDS",
    "LocalStorage",
    "ObjectInfo",
    "Progress",
    "S3Settings",
    "S3Storage",
    "Storage",
    "TransferSettings",
    "backend",
    "check_sha256",
    "open_storage",
    "safe_key",
    "validate_key",
    "validate_prefix",
]
