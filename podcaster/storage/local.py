"""The local-folder backend: ``file://PATH``, the embedded default the site serves itself.

Every object is written to a temporary file in its final folder, flushed to
disk and renamed over the key (readers see the old file or the whole new
one). Folders are walked one at a time from the root with ``O_NOFOLLOW``
directory handles, so no key and no symbolic link planted inside the root
can make a read or a write land outside it.

Each object's content type, cache control and sha256 are kept beside it in
``ROOT/.podcaster-meta/KEY.json`` (hidden names are never valid keys). The
record also holds the size and modification time the file had when written:
if the file was changed by hand since, its sha256 is no longer vouched for.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from urllib.parse import unquote

from podcaster.errors import ConfigError, StorageError
from podcaster.settings import S3Settings
from podcaster.storage.base import Leftovers, ObjectInfo, Progress, Storage, validate_key, validate_prefix
from podcaster.storage.localfiles import (
    DIR_FLAGS,
    META_FOLDER,
    create,
    is_link,
    remove_temporaries,
    temporary_name,
    write_all,
)

_CHUNK = 1 << 20


class LocalStorage(Storage):
    """Objects as files under one root folder."""

    def __init__(self, root: Path, *, url: str | None = None) -> None:
        # The root itself may be a symbolic link (a configured place); links inside it are refused.
        self.root = Path(os.path.realpath(root))
        self.url = url or self.root.as_uri()

    @classmethod
    def from_url(cls, url: str, *, base: Path, settings: S3Settings | None = None) -> LocalStorage:
        """Open ``file://PATH`` (``file:///abs/path``, or ``file://relative/path`` from *base*)."""
        scheme, _, rest = url.partition("://")
        if scheme.lower() != "file" or "?" in rest or "#" in rest:
            raise ConfigError("a local storage URL is file://PATH, with no query or fragment")
        if rest.startswith("localhost/"):
            rest = rest[len("localhost") :]
        path = unquote(rest)
        if not path or "\x00" in path:
            raise ConfigError(f"{url}: the storage URL names no folder; use file://PATH")
        return cls(base / path, url=url)

    # -- reading -------------------------------------------------------------

    def list(self, prefix: str = "") -> dict[str, ObjectInfo]:
        validate_prefix(prefix)
        found: dict[str, ObjectInfo] = {}
        for key, path in self._walk():
            if key.startswith(prefix):
                try:
                    status = path.lstat()
                except FileNotFoundError:
                    continue  # removed while listing
                found[key] = self._info(key, status)
        return dict(sorted(found.items()))

    def head(self, key: str) -> ObjectInfo | None:
        validate_key(key)
        with self._folder(key, create=False) as (folder, name):
            if folder is None:
                return None
            try:
                status = os.stat(name, dir_fd=folder, follow_symlinks=False)
            except FileNotFoundError:
                return None
            except OSError as exc:
                raise self._error(key, "cannot read", exc) from exc
        if stat.S_ISLNK(status.st_mode):
            raise StorageError(f"'{key}' is a symbolic link; refusing to follow it", path=self._path(key))
        if not stat.S_ISREG(status.st_mode):
            return None
        return self._info(key, status)

    def get_range(self, key: str, start: int, end: int) -> tuple[int, bytes, str | None]:
        if start < 0 or end < start:
            raise StorageError(f"bad byte range {start}-{end} for '{key}'", path=self._path(key))
        with self._open_object(key) as handle:
            size = os.fstat(handle).st_size
            if start >= size:
                raise StorageError(
                    f"byte range {start}-{end} is past the end of '{key}' ({size} bytes)",
                    path=self._path(key),
                )
            data = os.pread(handle, min(end, size - 1) - start + 1, start)
        content_type = self._meta(key).get("content_type")
        return 206, data, content_type if isinstance(content_type, str) else None

    def read(self, key: str) -> bytes:
        with self._open_object(key) as handle, os.fdopen(os.dup(handle), "rb") as stream:
            return stream.read()

    def public_path(self, key: str) -> Path:
        """The file serving *key*, proved to lie inside the root (no symbolic link on the way)."""
        validate_key(key)
        path = self._path(key)
        if Path(os.path.realpath(path)) != path:
            raise StorageError(f"'{key}' goes through a symbolic link; refusing to serve it", path=path)
        return path

    # -- writing -------------------------------------------------------------

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
        del hashed  # the copy is hashed as it is written, at no extra cost: always checked
        try:
            source = path.open("rb")
        except OSError as exc:
            raise StorageError(f"cannot read the file to upload: {exc.strerror}", path=path) from exc
        with source:
            chunks = iter(lambda: source.read(_CHUNK), b"")
            self._write(
                key,
                chunks,
                content_type=content_type,
                cache_control=cache_control,
                sha256=sha256,
                progress=progress,
                source=path,
            )

    def put_bytes(self, key: str, data: bytes, *, content_type: str, cache_control: str) -> ObjectInfo:
        validate_key(key)
        sha256 = hashlib.sha256(data).hexdigest()
        self._write(key, [data], content_type=content_type, cache_control=cache_control, sha256=sha256)
        info = self.head(key)
        if info is None:  # only if someone removed it in between
            raise StorageError(f"'{key}' vanished right after it was written", path=self._path(key))
        return info

    def delete(self, key: str) -> None:
        validate_key(key)
        for segments in (key.split("/"), [META_FOLDER, *f"{key}.json".split("/")]):
            with self._folder("/".join(segments), create=False) as (folder, name):
                if folder is None:
                    continue
                try:
                    os.unlink(name, dir_fd=folder)
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    raise self._error(key, "cannot delete", exc) from exc
            self._prune(segments[:-1])

    def _write(
        self,
        key: str,
        chunks: Iterable[bytes],
        *,
        content_type: str,
        cache_control: str,
        sha256: str,
        progress: Progress | None = None,
        source: Path | None = None,
    ) -> None:
        """Write *chunks* under *key* through a temporary file, check their sha256, then rename."""
        with self._temporary(key, key) as (folder, name, temporary):
            try:
                handle = create(temporary, folder)
                try:
                    digest = hashlib.sha256()
                    for chunk in chunks:
                        digest.update(chunk)
                        write_all(handle, chunk)
                        if progress is not None:
                            progress(len(chunk))
                    os.fsync(handle)
                    written = os.fstat(handle)
                finally:
                    os.close(handle)
                if digest.hexdigest() != sha256:
                    raise StorageError(
                        f"'{source or key}' no longer has sha256 {sha256} (changed since it was probed?); "
                        "nothing was stored",
                        path=source or self._path(key),
                    )
                # The record first: if we stop between the two renames, the old file
                # does not match the record's size and time, so its sha256 is not vouched for.
                meta = {
                    "content_type": content_type,
                    "cache_control": cache_control,
                    "sha256": sha256,
                    "size": written.st_size,
                    "mtime_ns": written.st_mtime_ns,
                }
                self._write_meta(key, meta)
                os.replace(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
                os.fsync(folder)
            except OSError as exc:
                raise self._error(key, "cannot write", exc) from exc

    def _write_meta(self, key: str, meta: dict[str, object]) -> None:
        data = json.dumps(meta, sort_keys=True).encode()
        with self._temporary(f"{META_FOLDER}/{key}.json", key) as (folder, name, temporary):
            handle = create(temporary, folder)
            try:
                write_all(handle, data)
                os.fsync(handle)
            finally:
                os.close(handle)
            os.replace(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
            os.fsync(folder)

    @contextlib.contextmanager
    def _temporary(self, path_key: str, key: str) -> Iterator[tuple[int, str, str]]:
        """A fresh temporary name in *path_key*'s folder (made if needed), removed unless renamed away."""
        with self._folder(path_key, create=True) as (folder, name):
            if folder is None:
                raise StorageError(
                    f"cannot write '{key}': its folder vanished while created", path=self._path(key)
                )
            temporary = temporary_name()
            try:
                yield folder, name, temporary
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temporary, dir_fd=folder)

    def remove_leftovers(self, *, before_ns: int) -> Leftovers:
        """Delete the temporary files a killed writer left, last written before *before_ns*."""
        return remove_temporaries(self.root, before_ns=before_ns)

    # -- helpers -------------------------------------------------------------

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*key.split("/"))

    def _where(self, key: str) -> str:
        return str(self._path(key))

    def _error(self, key: str, action: str, exc: OSError) -> StorageError:
        reason = exc.strerror or type(exc).__name__
        if exc.errno == errno.ENOTDIR:
            reason = "a file stands where a folder is needed"
        return StorageError(f"{action} '{key}': {reason}", path=self._path(key))

    @contextlib.contextmanager
    def _folder(self, key: str, *, create: bool) -> Iterator[tuple[int | None, str]]:
        """A handle on the folder holding *key* (walked without following links) and the last name.

        The handle is ``None`` when a folder on the way is missing and *create* is false.
        """
        *parents, name = key.split("/")
        folder = self._open_folder(key, parents, create=create)
        try:
            yield folder, name
        finally:
            if folder is not None:
                os.close(folder)

    def _open_folder(self, key: str, parents: Sequence[str], *, create: bool) -> int | None:
        if create:
            try:
                self.root.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(
                    f"cannot create the storage folder: {exc.strerror}", path=self.root
                ) from exc
        try:
            folder = os.open(self.root, DIR_FLAGS)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(f"cannot open the storage folder: {exc.strerror}", path=self.root) from exc
        for depth, segment in enumerate(parents):
            try:
                if create:
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(segment, 0o755, dir_fd=folder)
                inner = os.open(segment, DIR_FLAGS, dir_fd=folder)
            except FileNotFoundError:
                os.close(folder)
                return None
            except OSError as exc:
                where = "/".join(parents[: depth + 1])
                link = exc.errno in (errno.ELOOP, errno.ENOTDIR) and is_link(segment, folder)
                os.close(folder)
                if link:
                    raise StorageError(
                        f"'{where}' is a symbolic link inside the storage folder; "
                        f"refusing to follow it for '{key}'",
                        path=self.root / where,
                    ) from exc
                raise self._error(key, "cannot reach", exc) from exc
            os.close(folder)
            folder = inner
        return folder

    @contextlib.contextmanager
    def _open_object(self, key: str) -> Iterator[int]:
        validate_key(key)
        with self._folder(key, create=False) as (folder, name):
            if folder is None:
                raise StorageError(f"no object '{key}' in storage", path=self._path(key))
            try:
                handle = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder)
            except FileNotFoundError as exc:
                raise StorageError(f"no object '{key}' in storage", path=self._path(key)) from exc
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise StorageError(
                        f"'{key}' is a symbolic link; refusing to follow it", path=self._path(key)
                    ) from exc
                raise self._error(key, "cannot read", exc) from exc
        try:
            if not stat.S_ISREG(os.fstat(handle).st_mode):
                raise StorageError(f"no object '{key}' in storage (a folder)", path=self._path(key))
            yield handle
        finally:
            os.close(handle)

    def _meta(self, key: str) -> dict[str, object]:
        """The metadata record of *key*, or ``{}`` when missing or unreadable."""
        with self._folder(f"{META_FOLDER}/{key}.json", create=False) as (folder, name):
            if folder is None:
                return {}
            try:
                handle = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder)
            except OSError:
                return {}
        with os.fdopen(handle, "rb") as stream:
            try:
                meta = json.loads(stream.read(64 * 1024))
            except ValueError:
                return {}
        return meta if isinstance(meta, dict) else {}

    def _info(self, key: str, status: os.stat_result) -> ObjectInfo:
        meta = self._meta(key)
        sha256 = meta.get("sha256")
        unchanged = meta.get("size") == status.st_size and meta.get("mtime_ns") == status.st_mtime_ns
        sha = sha256 if unchanged and isinstance(sha256, str) else None
        content_type = meta.get("content_type")
        cache_control = meta.get("cache_control")
        return ObjectInfo(
            key=key,
            size=status.st_size,
            sha256=sha,
            etag=sha or f"{status.st_mtime_ns:x}-{status.st_size:x}",
            content_type=content_type if isinstance(content_type, str) else None,
            cache_control=cache_control if isinstance(cache_control, str) else None,
        )

    def _walk(self) -> Iterator[tuple[str, Path]]:
        """Every regular file under the root as (key, path), skipping hidden names and links."""
        for top, folders, files in os.walk(self.root, followlinks=False):
            folders[:] = sorted(name for name in folders if not name.startswith("."))
            relative = Path(top).relative_to(self.root).parts
            for name in files:
                if name.startswith("."):
                    continue
                path = Path(top, name)
                if path.is_symlink():
                    continue
                yield "/".join((*relative, name)), path

    def _prune(self, parents: Sequence[str]) -> None:
        """Remove the folders of *parents* that a delete left empty, deepest first."""
        for depth in range(len(parents), 0, -1):
            try:
                os.rmdir(self.root.joinpath(*parents[:depth]))
            except OSError:
                return
