"""Settings from the environment, read once at the edge (the CLI, the app factory) and passed down.

The library itself never reads ``os.environ``: what it needs arrives as a
:class:`Settings`, so a test gives the values it wants instead of patching the
process environment. boto3 still reads its own standard chain (endpoint,
credentials, profiles) itself; only what podcaster decides from those
variables is gathered here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from podcaster.errors import ConfigError

ENV_PREFIX = "PODCASTER_"
NOW_ENV = "PODCASTER_NOW"
ROOT_ENV = "PODCASTER_ROOT"
# How large files are cut for S3. The defaults suit audio; tests and slow or flaky uplinks may want smaller parts.
THRESHOLD_ENV = "PODCASTER_S3_MULTIPART_THRESHOLD"
PART_SIZE_ENV = "PODCASTER_S3_PART_SIZE"
CONCURRENCY_ENV = "PODCASTER_S3_CONCURRENCY"
ADDRESSING_ENV = "PODCASTER_S3_ADDRESSING"
ADDRESSING_STYLES = ("path", "virtual", "auto")
# The password of a ClickHouse audience store ([stats] store = "clickhouse://user@host/db"), kept out of podcast.toml.
CLICKHOUSE_PASSWORD_ENV = "PODCASTER_CLICKHOUSE_PASSWORD"
# Whether the studio commits each change when the podcast folder is a git repository (on unless "0", "false"…).
GIT_COMMITS_ENV = "PODCASTER_STUDIO_GIT_COMMITS"
_YES = ("1", "true", "yes", "on")
_NO = ("0", "false", "no", "off")

MiB = 1 << 20
_SIZE = re.compile(r"(\d+)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


@dataclass(frozen=True)
class TransferSettings:
    """How large files are cut and sent to S3 (boto3's transfer manager).

    Audio files are tens to hundreds of MB: 16 MiB parts sent 8 at a time
    keep a few parts in flight per core without holding much memory, and
    stay far below S3's 10,000-part limit. Tuned with
    ``python -m tests.benchmarks.bench_storage --sweep``. S3 refuses parts
    under 5 MiB (except the last), so boto3 raises smaller part sizes to that.
    """

    threshold: int = 16 * MiB
    part_size: int = 16 * MiB
    concurrency: int = 8


@dataclass(frozen=True)
class S3Settings:
    """What the S3 backend decides from the environment, beside what boto3 reads itself."""

    addressing: str | None = None  # path, virtual or auto; None: path-style off AWS, boto3's choice on it
    region: str | None = None  # AWS_REGION, which other AWS SDKs read and botocore does not
    own_retries: bool = False  # AWS_MAX_ATTEMPTS or AWS_RETRY_MODE given: botocore's retry settings stand
    own_request_checksums: bool = False  # AWS_REQUEST_CHECKSUM_CALCULATION given
    own_response_checksums: bool = False  # AWS_RESPONSE_CHECKSUM_VALIDATION given
    transfer: TransferSettings | None = None  # None: the tuned defaults
    # The endpoint the environment names (AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL), so the client is
    # fitted to it at once; one from an AWS profile is learnt from a first client. Never printed: a URL
    # may hold user information.
    endpoint: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Settings:
    """Everything the library takes from the environment."""

    now: datetime | None = None  # a fixed "now", to preview a release date
    root: Path | None = None  # the podcast folder, when not found upward from the working folder
    s3: S3Settings = field(default_factory=S3Settings)
    stats_password: str | None = field(default=None, repr=False)  # never printed with the settings
    git_commits: bool = True  # the studio commits its changes when the folder is a git repository

    def clock(self) -> datetime:
        """Tell the time: the fixed moment when one was given, else the real clock (UTC)."""
        return self.now or datetime.now(UTC)


def settings_from_environment() -> Settings:
    """Read the process environment: the one place the library looks at it."""
    return read_settings(os.environ)


def read_settings(environ: Mapping[str, str]) -> Settings:
    """Read the settings from *environ*; a bad value raises ConfigError naming its variable."""
    now = parse_moment(environ[NOW_ENV], NOW_ENV) if environ.get(NOW_ENV, "").strip() else None
    root = Path(environ[ROOT_ENV]).expanduser() if environ.get(ROOT_ENV, "").strip() else None
    password = environ.get(CLICKHOUSE_PASSWORD_ENV) or None
    git = environ.get(GIT_COMMITS_ENV, "").strip().lower()
    if git and git not in _YES + _NO:
        raise ConfigError(f"{GIT_COMMITS_ENV}={git!r}: give true or false")
    return Settings(
        now=now,
        root=root,
        s3=read_s3_settings(environ),
        stats_password=password,
        git_commits=git not in _NO,
    )


def read_s3_settings(environ: Mapping[str, str]) -> S3Settings:
    addressing = environ.get(ADDRESSING_ENV, "").strip().lower() or None
    if addressing is not None and addressing not in ADDRESSING_STYLES:
        raise ConfigError(f"{ADDRESSING_ENV}={addressing!r}: use one of {', '.join(ADDRESSING_STYLES)}")
    return S3Settings(
        addressing=addressing,
        region=environ.get("AWS_REGION") or None,
        own_retries=bool(environ.get("AWS_MAX_ATTEMPTS") or environ.get("AWS_RETRY_MODE")),
        own_request_checksums=bool(environ.get("AWS_REQUEST_CHECKSUM_CALCULATION")),
        own_response_checksums=bool(environ.get("AWS_RESPONSE_CHECKSUM_VALIDATION")),
        transfer=transfer_settings(environ),
        endpoint=_configured_endpoint(environ),
    )


def _configured_endpoint(environ: Mapping[str, str]) -> str | None:
    """The S3 endpoint the environment gives botocore, as botocore ranks the variables."""
    if environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").strip().lower() == "true":
        return None
    return (
        environ.get("AWS_ENDPOINT_URL_S3", "").strip() or environ.get("AWS_ENDPOINT_URL", "").strip() or None
    )


def parse_moment(text: str, name: str) -> datetime:
    """Read an ISO 8601 date and time that carries its time zone."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"{name} is not an ISO date and time: {text!r}") from None
    if value.tzinfo is None:
        raise ConfigError(f"{name} needs a time zone, e.g. 2023-01-25T09:00:00+01:00")
    return value


def transfer_settings(environ: Mapping[str, str]) -> TransferSettings | None:
    """Multipart settings from ``PODCASTER_S3_*`` variables, or ``None`` to keep the tuned defaults.

    Sizes are bytes, or a number with ``K``/``M``/``G`` (binary: ``5M`` is 5 MiB).
    Given only a threshold, parts are no larger than it. S3 refuses parts under
    5 MiB (but the last), so smaller part sizes are raised to 5 MiB.
    """
    given = {name: environ.get(name, "").strip() for name in (THRESHOLD_ENV, PART_SIZE_ENV, CONCURRENCY_ENV)}
    if not any(given.values()):
        return None
    default = TransferSettings()
    threshold = _size(THRESHOLD_ENV, given[THRESHOLD_ENV]) if given[THRESHOLD_ENV] else default.threshold
    part_size = (
        _size(PART_SIZE_ENV, given[PART_SIZE_ENV])
        if given[PART_SIZE_ENV]
        else min(default.part_size, threshold)
    )
    concurrency = default.concurrency
    if given[CONCURRENCY_ENV]:
        if not given[CONCURRENCY_ENV].isdigit() or not 1 <= int(given[CONCURRENCY_ENV]) <= 64:
            raise ConfigError(f"{CONCURRENCY_ENV}={given[CONCURRENCY_ENV]!r}: give a number from 1 to 64")
        concurrency = int(given[CONCURRENCY_ENV])
    return TransferSettings(threshold=threshold, part_size=part_size, concurrency=concurrency)


def _size(name: str, text: str) -> int:
    match = _SIZE.fullmatch(text)
    if match is None or int(match.group(1)) == 0:
        raise ConfigError(f"{name}={text!r}: give a size in bytes, or with K, M or G (e.g. 16M)")
    unit = (match.group(2) or "").lower()[:1]
    return int(match.group(1)) * _UNITS[unit]
