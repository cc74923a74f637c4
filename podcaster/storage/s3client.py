"""The S3 client: boto3's standard chain, fitted to the endpoint it resolves to.

Environment podcaster decides from (read at the edge into :class:`~podcaster.settings.S3Settings`):

``PODCASTER_S3_ADDRESSING`` = ``path`` | ``virtual`` | ``auto``
    How the bucket appears in URLs: ``https://host/BUCKET/key`` (path) or
    ``https://BUCKET.host/key`` (virtual). Default: ``path`` when a custom
    endpoint is configured (MinIO, SeaweedFS, Garage, Ceph mostly need it),
    otherwise botocore's ``auto`` (virtual-host on AWS).
``AWS_MAX_ATTEMPTS``, ``AWS_RETRY_MODE``
    botocore's own; when both are unset, the ``standard`` mode with 8
    attempts in all (exponential backoff with jitter, up to 20 s, on
    throttling, 5xx answers and dropped connections).
``AWS_REQUEST_CHECKSUM_CALCULATION``, ``AWS_RESPONSE_CHECKSUM_VALIDATION``
    botocore's own; when unset and the endpoint is not AWS, both are set to
    ``when_required``: many S3-compatible stores reject boto3's newer default
    checksum headers, or answer ranged GETs with the whole object's CRC.
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlsplit

import botocore.session
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError
from botocore.loaders import Loader, create_loader

from podcaster.errors import ConfigError
from podcaster.settings import S3Settings, TransferSettings

# The value is never echoed: an endpoint URL may carry user information (a secret).
_BAD_ENDPOINT = (
    "AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_S3, or endpoint_url in the AWS profile) is not a valid "
    "endpoint: give http(s)://HOST[:PORT]"
)
_AWS_HOST_SUFFIXES = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws")


def make_client(settings: S3Settings, transfer: TransferSettings) -> tuple[Any, Any]:
    """Make a botocore session and an S3 client from boto3's standard chain, fitted to its endpoint."""
    addressing = settings.addressing
    session = botocore.session.get_session()
    # The service model (megabytes of JSON) is parsed once per process, not once per storage.
    session.register_component("data_loader", _models())
    if session.get_config_variable("region") is None and settings.region:
        # Other AWS SDKs read AWS_REGION; botocore only AWS_DEFAULT_REGION and profiles.
        options_region: str | None = settings.region
    else:
        options_region = None
    options: dict[str, Any] = {
        "user_agent_extra": "podcaster",
        "connect_timeout": 10,
        "read_timeout": 60,
        "tcp_keepalive": True,
        # Enough for a few files uploaded at once, each with its own part threads.
        "max_pool_connections": max(32, 2 * transfer.concurrency + 2),
    }
    if not settings.own_retries:
        options["retries"] = {"mode": "standard", "total_max_attempts": 8}
    if addressing:
        options["s3"] = {"addressing_style": addressing}
    custom = dict(options)
    # A custom endpoint: path-style unless told otherwise, checksums only when required.
    custom.setdefault("s3", {"addressing_style": "path"})
    if not settings.own_request_checksums:
        custom["request_checksum_calculation"] = "when_required"
    if not settings.own_response_checksums:
        custom["response_checksum_validation"] = "when_required"
    # Fitted at once when the environment names the endpoint; else a first client tells where it goes.
    expected_custom = settings.endpoint is not None and not is_aws(settings.endpoint)
    client = _create_client(session, options_region, custom if expected_custom else options)
    if is_aws(client.meta.endpoint_url) == expected_custom:
        client.close()
        client = _create_client(session, options_region, options if expected_custom else custom)
    return session, client


def _create_client(session: Any, region: str | None, options: dict[str, Any]) -> Any:
    """An S3 client, or a :class:`ConfigError` naming the variable when the endpoint is no HTTP(S) URL."""
    try:
        client = session.create_client("s3", region_name=region, config=Config(**options))
        endpoint = urlsplit(client.meta.endpoint_url)
        endpoint.port  # noqa: B018 - urlsplit checks the port only when it is read
    except BotoCoreError:
        raise  # an invalid region, a missing profile…: the backend says which
    except ValueError:  # botocore's "Invalid endpoint: <the value>", urlsplit's "Invalid IPv6 URL"
        raise ConfigError(_BAD_ENDPOINT) from None
    if endpoint.scheme not in ("http", "https") or not endpoint.hostname:
        client.close()
        raise ConfigError(_BAD_ENDPOINT)
    return client


def transfer_config(settings: TransferSettings) -> TransferConfig:
    return TransferConfig(
        multipart_threshold=settings.threshold,
        multipart_chunksize=settings.part_size,
        max_concurrency=settings.concurrency,
        use_threads=True,
        preferred_transfer_client="classic",
    )


@functools.cache
def _models() -> Loader:
    """botocore's loader of service models, shared by every session: it caches what it parsed."""
    return create_loader()


def secrets_of(session: Any) -> tuple[str, ...]:
    if session is None:
        return ()
    try:
        credentials = session.get_credentials()  # resolved once by the client, cached since
        frozen = credentials.get_frozen_credentials() if credentials else None
    except BotoCoreError:
        return ()
    if frozen is None:
        return ()
    return tuple(secret for secret in (frozen.secret_key, frozen.token) if secret)


def is_aws(endpoint_url: str) -> bool:
    host = (urlsplit(endpoint_url).hostname or "").lower()
    return host.endswith(_AWS_HOST_SUFFIXES)


def without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return parts._replace(netloc=netloc).geturl()
