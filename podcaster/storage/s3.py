"""The S3 backend: ``s3://BUCKET[/PREFIX]`` on AWS S3 or any S3-compatible store.

The only module importing boto3. Endpoint, region and credentials come from
boto3's own chain and nowhere else: ``AWS_ENDPOINT_URL`` (or
``AWS_ENDPOINT_URL_S3``), ``AWS_DEFAULT_REGION`` (or ``AWS_REGION``, which
botocore itself ignores but other SDKs read), ``AWS_PROFILE``,
``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``~/.aws/config``…

How the client is made, and the environment it honours: :mod:`podcaster.storage.s3client`.

Every object gets ``Content-Type``, ``Cache-Control`` and ``x-amz-meta-sha256``.
A listing gives keys, sizes and ETags but no metadata, so :meth:`S3Storage.list`
reports ``sha256=None``; callers know an object is whole from its
content-hashed key and its size, and :meth:`S3Storage.head` gives the sha256
(the metadata written with the object: the store itself does not compute it).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from boto3.s3.transfer import ProgressCallbackInvoker, create_transfer_manager
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)
from s3transfer.exceptions import CancelledError

from podcaster.errors import ConfigError, StorageError
from podcaster.settings import S3Settings, TransferSettings
from podcaster.storage.base import ObjectInfo, Progress, Storage, validate_key, validate_prefix
from podcaster.storage.s3client import make_client, secrets_of, transfer_config, without_userinfo

MiB = 1 << 20
_CREDENTIALS_HINT = "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or AWS_PROFILE"
_ENDPOINT_HINT = "check AWS_ENDPOINT_URL and that the store is reachable"
_DENIED = {
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "InvalidSecurity",
    "AuthorizationHeaderMalformed",
}


class S3Storage(Storage):
    """Objects in an S3 bucket, under an optional key prefix."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        url: str | None = None,
        settings: S3Settings | None = None,
    ) -> None:
        if prefix:
            validate_key(prefix)
        self.bucket = bucket
        self.prefix = f"{prefix}/" if prefix else ""
        self.url = url or f"s3://{bucket}/{prefix}".rstrip("/")
        self.settings = settings or S3Settings()
        self.transfer = self.settings.transfer or TransferSettings()
        with self._translated(None, "connect to"):
            self._session, self._client = make_client(self.settings, self.transfer)

    @property
    def large_file_threshold(self) -> int:
        return self.transfer.threshold

    @classmethod
    def from_url(cls, url: str, *, base: Path, settings: S3Settings | None = None) -> S3Storage:
        """Open ``s3://BUCKET[/PREFIX]``; *base* is unused (keys are never local paths)."""
        parts = urlsplit(url)
        if parts.scheme.lower() != "s3":
            raise ConfigError(f"{url}: an S3 storage URL is s3://BUCKET[/PREFIX]")
        if "@" in parts.netloc or parts.password or parts.username:
            # Never echo the URL: it may hold a secret.
            raise ConfigError(
                "the S3 storage URL must not hold credentials; use AWS_ACCESS_KEY_ID / "
                "AWS_SECRET_ACCESS_KEY or AWS_PROFILE"
            )
        if parts.query or parts.fragment:
            # Not echoed either: a query is where a secret would hide.
            raise ConfigError("an S3 storage URL is s3://BUCKET[/PREFIX], with no query or fragment")
        bucket = parts.netloc
        if not _valid_bucket(bucket):
            raise ConfigError(
                f"{url}: '{bucket}' is not a valid bucket name (3-63 lower-case letters, digits, '.', '-')"
            )
        prefix = parts.path.strip("/")
        if prefix:
            try:
                validate_key(prefix)
            except StorageError as exc:
                raise ConfigError(f"{url}: unsafe prefix: {exc.problems[0].message}") from exc
        return cls(bucket, prefix, url=f"s3://{bucket}/{prefix}".rstrip("/"), settings=settings)

    # -- client --------------------------------------------------------------

    @property
    def endpoint_url(self) -> str:
        """The endpoint requests go to (without any user information)."""
        return without_userinfo(str(self._client.meta.endpoint_url))

    # -- reading -------------------------------------------------------------

    def list(self, prefix: str = "") -> dict[str, ObjectInfo]:
        validate_prefix(prefix)
        found: dict[str, ObjectInfo] = {}
        paginator = self._client.get_paginator("list_objects_v2")
        pages = paginator.paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix, PaginationConfig={"PageSize": 1000}
        )
        with self._translated(prefix or None, "list"):
            for page in pages:
                for item in page.get("Contents", ()):
                    key = item["Key"][len(self.prefix) :]
                    found[key] = ObjectInfo(
                        key=key,
                        size=int(item["Size"]),
                        sha256=None,
                        etag=str(item.get("ETag", "")).strip('"'),
                        content_type=None,
                        cache_control=None,
                    )
        return found

    def head(self, key: str) -> ObjectInfo | None:
        validate_key(key)
        try:
            with self._translated(key, "look up"):
                answer = self._client.head_object(Bucket=self.bucket, Key=self.prefix + key)
        except StorageError as exc:
            if _status(exc.__cause__) == 404:
                return None
            raise
        sha256 = answer.get("Metadata", {}).get("sha256")
        return ObjectInfo(
            key=key,
            size=int(answer["ContentLength"]),
            sha256=sha256 or None,
            etag=str(answer.get("ETag", "")).strip('"'),
            content_type=answer.get("ContentType"),
            cache_control=answer.get("CacheControl"),
        )

    def get_range(self, key: str, start: int, end: int) -> tuple[int, bytes, str | None]:
        validate_key(key)
        if start < 0 or end < start:
            raise StorageError(f"bad byte range {start}-{end} for '{key}'", path=self._where(key))
        with self._translated(key, "read"):
            answer = self._client.get_object(
                Bucket=self.bucket, Key=self.prefix + key, Range=f"bytes={start}-{end}"
            )
            with contextlib.closing(answer["Body"]) as body:
                data = body.read()
        status = int(answer["ResponseMetadata"]["HTTPStatusCode"])
        return status, data, answer.get("ContentType")

    def read(self, key: str) -> bytes:
        validate_key(key)
        with self._translated(key, "read"):
            answer = self._client.get_object(Bucket=self.bucket, Key=self.prefix + key)
            with contextlib.closing(answer["Body"]) as body:
                return bytes(body.read())

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
        before = _stat(path)
        # Hashed moments ago and untouched since (same size and mtime): reading it all again only
        # takes CPU from the upload. Otherwise the hash runs beside the upload.
        hasher = None if hashed == before else _Hasher(path)
        if hasher is not None and before[0] < self.transfer.threshold:
            hasher.check(sha256, key)  # one request: hashing first costs a few milliseconds
        subscribers = [ProgressCallbackInvoker(progress)] if progress is not None else None
        with (
            self._translated(key, "upload"),
            create_transfer_manager(self._client, transfer_config(self.transfer)) as manager,
        ):
            # A multipart object only appears once complete; a failed or cancelled transfer aborts it.
            future = manager.upload(
                str(path),
                self.bucket,
                self.prefix + key,
                extra_args={
                    "ContentType": content_type,
                    "CacheControl": cache_control,
                    "Metadata": {"sha256": sha256},
                },
                subscribers=subscribers,
            )
            try:
                # The hash runs beside the parts and ends long before them (GB/s against
                # MB/s), so a file that changed since it was probed is never completed.
                if hasher is not None:
                    hasher.check(sha256, key)
            except StorageError:
                future.cancel()
                with contextlib.suppress(CancelledError):
                    future.result()
                    # Completed before the hash was done: it must not stay under a content-hashed key.
                    self._client.delete_object(Bucket=self.bucket, Key=self.prefix + key)
                raise
            future.result()
        if _stat(path) != before:
            raise StorageError(
                f"'{path}' changed while it was uploaded to '{key}'; publish again", path=self._where(key)
            )

    def put_bytes(self, key: str, data: bytes, *, content_type: str, cache_control: str) -> ObjectInfo:
        validate_key(key)
        sha256 = hashlib.sha256(data).hexdigest()
        with self._translated(key, "upload"):
            answer = self._client.put_object(
                Bucket=self.bucket,
                Key=self.prefix + key,
                Body=data,
                ContentType=content_type,
                CacheControl=cache_control,
                Metadata={"sha256": sha256},
            )
        return ObjectInfo(
            key=key,
            size=len(data),
            sha256=sha256,
            etag=str(answer.get("ETag", "")).strip('"'),
            content_type=content_type,
            cache_control=cache_control,
        )

    def delete(self, key: str) -> None:
        validate_key(key)
        with self._translated(key, "delete"):
            self._client.delete_object(Bucket=self.bucket, Key=self.prefix + key)

    # -- errors --------------------------------------------------------------

    @contextlib.contextmanager
    def _translated(self, key: str | None, action: str) -> Iterator[None]:
        """Turn boto3's exceptions into a :class:`StorageError` naming the key, with a hint and no secret."""
        where = self._where(key) if key else self.url
        what = f"'{key}'" if key else f"the bucket '{self.bucket}'"
        try:
            yield
        except ClientError as exc:
            raise StorageError(self._scrub(self._client_message(exc, what, action)), path=where) from exc
        except (NoCredentialsError, PartialCredentialsError) as exc:
            raise StorageError(
                f"cannot {action} {what}: no usable S3 credentials; {_CREDENTIALS_HINT}", path=where
            ) from exc
        except ProfileNotFound as exc:
            raise StorageError(f"cannot {action} {what}: {exc}; check AWS_PROFILE", path=where) from exc
        except BotoConnectionError as exc:
            endpoint = self.endpoint_url if hasattr(self, "_client") else "the S3 endpoint"
            raise StorageError(
                self._scrub(
                    f"cannot {action} {what}: no answer from {endpoint} ({type(exc).__name__}); {_ENDPOINT_HINT}"
                ),
                path=where,
            ) from exc
        except BotoCoreError as exc:
            raise StorageError(self._scrub(f"cannot {action} {what}: {exc}"), path=where) from exc

    def _client_message(self, exc: ClientError, what: str, action: str) -> str:
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or "")
        status = _status(exc)
        detail = f"{code or 'error'}, HTTP {status}" if status else code or "error"
        if code == "NoSuchBucket":
            return f"cannot {action} {what}: the bucket '{self.bucket}' does not exist; create it or fix the storage URL"
        if code in ("NoSuchKey", "NotFound") or status == 404:
            return f"cannot {action} {what}: no such object ({detail})"
        if code in _DENIED or status == 403:
            return f"cannot {action} {what}: access refused ({detail}); {_CREDENTIALS_HINT}"
        if code == "InvalidRange" or status == 416:
            return f"cannot {action} {what}: byte range not satisfiable ({detail})"
        if status and status >= 500:
            return f"cannot {action} {what}: the store failed ({detail}) even after retries; try again later"
        text = str(error.get("Message") or "")[:200]
        return f"cannot {action} {what}: {detail}{' - ' + text if text else ''}"

    def _scrub(self, text: str) -> str:
        """Remove anything secret the chain gave us, should a message ever echo it."""
        session = getattr(self, "_session", None)
        for secret in secrets_of(session):
            text = text.replace(secret, "***")
        return text


class _Hasher:
    """The sha256 of a file, computed in its own thread (hashlib releases the GIL) beside its upload."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._digest: str | None = None
        self._error: OSError | None = None
        self._thread = threading.Thread(target=self._run, name="sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        digest = hashlib.sha256()
        try:
            with self._path.open("rb") as stream:
                for chunk in iter(lambda: stream.read(1 << 20), b""):
                    digest.update(chunk)
        except OSError as exc:
            self._error = exc
            return
        self._digest = digest.hexdigest()

    def check(self, sha256: str, key: str) -> None:
        """Raise :class:`StorageError` unless the file's sha256 is *sha256*."""
        self._thread.join()
        if self._error is not None:
            raise StorageError(f"cannot read the file to upload: {self._error.strerror}", path=self._path)
        if self._digest != sha256:
            raise StorageError(
                f"'{self._path}' no longer has sha256 {sha256} (changed since it was probed?); "
                f"'{key}' was not stored",
                path=self._path,
            )


def _status(exc: BaseException | None) -> int | None:
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return int(status) if status else None
    return None


def _valid_bucket(name: str) -> bool:
    return (
        3 <= len(name) <= 63
        and name.isascii()
        and all(char.islower() or char.isdigit() or char in ".-" for char in name)
        and name[0].isalnum()
        and name[-1].isalnum()
        and ".." not in name
    )


def _stat(path: Path) -> tuple[int, int]:
    try:
        status = path.stat()
    except OSError as exc:
        raise StorageError(f"cannot read the file to upload: {exc.strerror}", path=path) from exc
    return status.st_size, status.st_mtime_ns
