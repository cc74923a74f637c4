"""The storage interface every backend implements, and the rules keys follow.

Keys are restricted to the URL-safe ASCII set (RFC 3986 "unreserved":
letters, digits, ``-``, ``.``, ``_``, ``~``): spaces and accents are refused
rather than silently rewritten, because a key is also a public URL and must
be the same on every store and file system. :func:`safe_key` turns a
producer's name (« mon épisode ») into such a key (``mon-episode``).
"""

from __future__ import annotations

import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from podcaster.errors import StorageError
from podcaster.settings import S3Settings, TransferSettings

Progress = Callable[[int], None]
"""Called with the number of bytes sent since the last call: from worker threads, and negative
when a part is sent again after an error."""

# S3 allows 1,024 bytes per key; file systems 255 bytes per name, and the local
# backend needs room beside each name for its metadata file (``NAME.json``).
MAX_KEY_BYTES = 1024
MAX_SEGMENT_BYTES = 200
_SEGMENT = re.compile(r"[A-Za-z0-9_~-][A-Za-z0-9._~-]*")
_SHA256 = re.compile(r"[0-9a-f]{64}")

SAMPLE = 64 * 1024
"""Bytes read back from each end of an upload to compare with the file."""

Leftovers = list[tuple[str, int]]
"""What a sweep removed: each leftover as (where, bytes)."""


@dataclass(frozen=True)
class ObjectInfo:
    """What a storage knows of one object.

    ``sha256`` and ``content_type``/``cache_control`` may be ``None`` when
    the backend cannot tell without one request per object (S3 listings).
    ``etag`` is the backend's opaque version tag, without quotes.
    """

    key: str
    size: int
    sha256: str | None
    etag: str
    content_type: str | None
    cache_control: str | None


def validate_key(key: str) -> str:
    """Return *key* if it is a safe object key, else raise :class:`StorageError` naming it.

    Refused: empty keys, absolute keys, backslashes, control or non-ASCII
    characters (spaces and accents included), empty segments (``a//b``,
    trailing ``/``), segments starting with a dot (``.``, ``..``, hidden
    names, which the local backend keeps for itself), and keys too long for
    S3 or a file system.
    """
    problem = _key_problem(key)
    if problem:
        raise StorageError(f"unsafe storage key {key!r}: {problem}", path=key if _printable(key) else None)
    return key


def validate_prefix(prefix: str) -> str:
    """Return *prefix* if it is a safe listing prefix: "" or a key, possibly ending with ``/`` or partial."""
    if prefix == "":
        return prefix
    body = prefix[:-1] if prefix.endswith("/") else prefix
    problem = _key_problem(body)
    if problem:
        raise StorageError(f"unsafe storage prefix {prefix!r}: {problem}")
    return prefix


def safe_key(name: str) -> str:
    """Make a key from a producer's name: accents dropped, spaces and other signs turned into ``-``.

    ``safe_key("Saison 1/« Mon épisode ».mp3") == "saison-1/mon-episode.mp3"``. Raises
    :class:`StorageError` if nothing usable is left (``..``, ``/``, ``""``).
    """
    segments = []
    for segment in name.replace("\\", "/").split("/"):
        ascii_text = unicodedata.normalize("NFKD", segment).encode("ascii", "ignore").decode("ascii")
        stem, dot, suffix = ascii_text.rpartition(".")
        if not dot:
            stem, suffix = suffix, ""
        stem = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
        suffix = re.sub(r"[^a-z0-9]+", "", suffix.lower())
        if stem:
            segments.append(f"{stem}.{suffix}" if suffix else stem)
    return validate_key("/".join(segments))


def _key_problem(key: object) -> str | None:
    if not isinstance(key, str) or key == "":
        return "a key must be a non-empty string"
    if key.startswith("/"):
        return "a key must be relative (no leading '/')"
    if "\\" in key:
        return "a key must not hold a backslash"
    if any(unicodedata.category(char)[0] == "C" for char in key):
        return "a key must not hold control characters"
    if not key.isascii():
        return "a key must be plain ASCII (no accents); use safe_key() to make one"
    if " " in key:
        return "a key must not hold spaces; use safe_key() to make one"
    if len(key.encode()) > MAX_KEY_BYTES:
        return f"a key must be at most {MAX_KEY_BYTES} bytes"
    for segment in key.split("/"):
        if segment == "":
            return "a key must not have an empty segment ('//' or a trailing '/')"
        if segment.startswith("."):
            return "a key segment must not start with '.' ('.', '..' and hidden names are refused)"
        if len(segment) > MAX_SEGMENT_BYTES:
            return f"a key segment must be at most {MAX_SEGMENT_BYTES} bytes"
        if not _SEGMENT.fullmatch(segment):
            return "a key may only hold letters, digits, '-', '_', '.', '~' and '/'"
    return None


def _printable(text: str) -> bool:
    return isinstance(text, str) and text.isprintable()


def check_sha256(sha256: str, key: str) -> str:
    """Return *sha256* if it is 64 lower-case hex digits, else raise naming *key*."""
    if not _SHA256.fullmatch(sha256):
        raise StorageError(f"sha256 for '{key}' must be 64 lower-case hex digits", path=key)
    return sha256


class Storage(ABC):
    """A place holding objects by key; every method raises :class:`StorageError` on failure."""

    #: The URL this storage was opened with, holding no secret.
    url: str

    @property
    def large_file_threshold(self) -> int:
        """Files this large or larger go up one at a time: the backend already sends their parts in parallel."""
        return TransferSettings().threshold

    @classmethod
    @abstractmethod
    def from_url(cls, url: str, *, base: Path, settings: S3Settings | None = None) -> Storage:
        """Open the storage *url* names; relative paths are taken from *base*."""

    @abstractmethod
    def list(self, prefix: str = "") -> dict[str, ObjectInfo]:
        """Every object whose key starts with *prefix*, by key, in as few requests as the store allows."""

    @abstractmethod
    def head(self, key: str) -> ObjectInfo | None:
        """What is known of *key*, with its metadata, or ``None`` when there is no such object."""

    @abstractmethod
    def _upload_file(
        self,
        key: str,
        path: Path,
        *,
        content_type: str,
        cache_control: str,
        sha256: str,
        progress: Progress | None,
        hashed: tuple[int, int] | None = None,
    ) -> None:
        """Store the file at *path* under *key*, atomically: readers see the old object or the whole new one.

        *hashed* is as in :meth:`put_file`.
        """

    @abstractmethod
    def put_bytes(self, key: str, data: bytes, *, content_type: str, cache_control: str) -> ObjectInfo:
        """Store *data* under *key* in one request (feeds, small files) and return what was stored."""

    @abstractmethod
    def get_range(self, key: str, start: int, end: int) -> tuple[int, bytes, str | None]:
        """Bytes *start* to *end* (inclusive, as in HTTP) of *key*: HTTP status, data, content type."""

    @abstractmethod
    def read(self, key: str) -> bytes:
        """The whole of *key* (small objects only, such as feeds)."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove *key*; removing a missing key is not an error."""

    def remove_leftovers(self, *, before_ns: int) -> Leftovers:
        """Delete what a killed upload of this backend left behind, older than *before_ns* (ns since the epoch).

        Return each leftover removed, as (where, bytes). The caller vouches that none
        of its own uploads started before *before_ns* is still under way.
        """
        del before_ns
        return []

    def public_path(self, key: str) -> Path | None:
        """The local file holding *key*, when the backend is a local folder; ``None`` otherwise."""
        validate_key(key)
        return None

    def put_file(
        self,
        key: str,
        path: Path,
        *,
        content_type: str,
        cache_control: str,
        sha256: str,
        progress: Progress | None = None,
        hashed: tuple[int, int] | None = None,
    ) -> ObjectInfo:
        """Upload the file at *path* under *key*, then verify it as a listener's app would fetch it.

        *hashed* is the file's (size, mtime_ns) when *sha256* was just computed
        from its bytes: a backend that would hash it again beside the upload
        (S3) trusts *sha256* instead while the file still has that signature.

        The verification is a HEAD (size equal to the file's, sha256 metadata
        equal to *sha256*) and ranged GETs of the first and the last 64 KiB
        (the whole of a smaller file), answering 206 with *content_type* and
        the very bytes of the file there. A failure raises :class:`StorageError` naming
        the key; the object is then left as it is (it may be the one a live
        feed already names, with the same content-hashed key).
        """
        validate_key(key)
        check_sha256(sha256, key)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise StorageError(f"cannot read the file to upload: {exc.strerror}", path=path) from exc
        self._upload_file(
            key,
            path,
            content_type=content_type,
            cache_control=cache_control,
            sha256=sha256,
            progress=progress,
            hashed=hashed,
        )
        return self.verify(key, size=size, sha256=sha256, content_type=content_type, source=path)

    def verify(
        self, key: str, *, size: int, sha256: str, content_type: str, source: Path | None = None
    ) -> ObjectInfo:
        """Check that *key* holds *size* bytes with this sha256 and serves byte ranges with *content_type*.

        The sha256 is what the store says (on S3, the metadata written with the
        object: the store does not compute it). With *source*, the local file
        uploaded, the first and last :data:`SAMPLE` bytes served are compared
        with the file's own: wrong content at either end, a part out of place
        at the start or the end, or a stale object are caught without reading
        it all back. Without it, the first two bytes are fetched.
        """
        where = self._where(key)
        ranges = _sample_ranges(size) if source is not None else [(0, min(size, 2) - 1)] if size else []
        # Round trips that need nothing from each other: the ranged GETs go out beside the HEAD.
        with ThreadPoolExecutor(2, thread_name_prefix="verify") as pool:
            ranged = [pool.submit(self.get_range, key, start, end) for start, end in ranges]
            info = self.head(key)  # leaving the block waits for the GETs; their errors are raised in turn
        if info is None:
            raise StorageError(f"'{key}' is missing right after its upload", path=where)
        if info.size != size:
            raise StorageError(f"'{key}' holds {info.size} bytes after upload, expected {size}", path=where)
        if info.sha256 != sha256:
            raise StorageError(
                f"'{key}' has sha256 metadata {info.sha256 or 'none'} after upload, expected {sha256}",
                path=where,
            )
        for (start, end), answer in zip(ranges, ranged, strict=True):
            status, data, served_type = answer.result()
            if status != 206 or len(data) != end - start + 1:
                raise StorageError(
                    f"'{key}' does not serve byte ranges (HTTP {status} for bytes={start}-{end}, expected "
                    "206); podcast apps need them to seek",
                    path=where,
                )
            if served_type != content_type:
                raise StorageError(
                    f"'{key}' is served as {served_type!r}, expected {content_type!r}", path=where
                )
            if source is not None and data != _read_range(source, start, end):
                raise StorageError(
                    f"'{key}' serves other bytes than '{source}' at bytes {start}-{end} after upload "
                    "(its sha256 metadata is right: the store holds something else)",
                    path=where,
                )
        return info

    def _where(self, key: str) -> str:
        """How messages name *key*: the storage URL and the key."""
        return f"{self.url.rstrip('/')}/{key}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url}>"


def _sample_ranges(size: int) -> list[tuple[int, int]]:
    """The byte ranges (inclusive) read back to check an upload: its start and its end, once each."""
    if size == 0:
        return []
    head = (0, min(size, SAMPLE) - 1)
    return [head] if size <= SAMPLE else [head, (max(SAMPLE, size - SAMPLE), size - 1)]


def _read_range(path: Path, start: int, end: int) -> bytes:
    try:
        with path.open("rb") as stream:
            stream.seek(start)
            return stream.read(end - start + 1)
    except OSError as exc:
        raise StorageError(f"cannot read the uploaded file again: {exc.strerror}", path=path) from exc
