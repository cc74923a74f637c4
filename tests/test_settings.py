"""Settings read from the environment once, at the edge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from podcaster.errors import ConfigError
from podcaster.settings import (
    CONCURRENCY_ENV,
    PART_SIZE_ENV,
    THRESHOLD_ENV,
    S3Settings,
    Settings,
    TransferSettings,
    read_settings,
    transfer_settings,
)

MiB = 1 << 20


def test_transfer_settings_from_the_environment() -> None:
    assert transfer_settings({}) is None
    small = transfer_settings({THRESHOLD_ENV: "5M"})
    assert small == TransferSettings(threshold=5 * MiB, part_size=5 * MiB, concurrency=8)
    assert transfer_settings({THRESHOLD_ENV: "64MiB", PART_SIZE_ENV: "32m", CONCURRENCY_ENV: "4"}) == (
        TransferSettings(threshold=64 * MiB, part_size=32 * MiB, concurrency=4)
    )
    assert transfer_settings({PART_SIZE_ENV: "8388608"}) == TransferSettings(part_size=8 * MiB)
    for bad in (
        {THRESHOLD_ENV: "lots"},
        {PART_SIZE_ENV: "0"},
        {CONCURRENCY_ENV: "0"},
        {CONCURRENCY_ENV: "x"},
    ):
        with pytest.raises(ConfigError, match=next(iter(bad))):
            transfer_settings(bad)


def test_a_fixed_now_needs_its_time_zone() -> None:
    settings = read_settings({"PODCASTER_NOW": "2023-11-08T09:00:00+01:00"})
    assert settings.clock() == datetime(2023, 11, 8, 8, 0, tzinfo=UTC)
    assert settings.clock().utcoffset() == timedelta(hours=1)
    with pytest.raises(ConfigError, match="PODCASTER_NOW needs a time zone"):
        read_settings({"PODCASTER_NOW": "2023-11-08T09:00:00"})
    with pytest.raises(ConfigError, match="PODCASTER_NOW is not an ISO date"):
        read_settings({"PODCASTER_NOW": "demain"})


def test_without_a_fixed_now_the_clock_is_real() -> None:
    before = datetime.now(UTC)
    now = read_settings({}).clock()
    assert now.tzinfo is not None and before <= now <= datetime.now(UTC)


def test_s3_settings_say_what_botocore_is_left_to_decide() -> None:
    assert read_settings({}).s3 == S3Settings()
    given = read_settings(
        {
            "AWS_REGION": "fr-par",
            "AWS_MAX_ATTEMPTS": "3",
            "AWS_REQUEST_CHECKSUM_CALCULATION": "when_supported",
            "PODCASTER_S3_ADDRESSING": "Virtual",
            THRESHOLD_ENV: "8M",
        }
    ).s3
    assert given.region == "fr-par"
    assert given.own_retries and given.own_request_checksums and not given.own_response_checksums
    assert given.addressing == "virtual"
    assert given.transfer == TransferSettings(threshold=8 * MiB, part_size=8 * MiB)
    assert Settings(now=datetime(2030, 1, 1, tzinfo=UTC)).clock().year == 2030


def test_the_s3_endpoint_is_read_as_botocore_ranks_it_and_never_printed() -> None:
    secret = "https://user:secret@s3.example.org"
    assert read_settings({"AWS_ENDPOINT_URL": secret}).s3.endpoint == secret
    both = {"AWS_ENDPOINT_URL": "https://all.example.org", "AWS_ENDPOINT_URL_S3": "https://s3.example.org"}
    assert read_settings(both).s3.endpoint == "https://s3.example.org"
    assert read_settings({**both, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}).s3.endpoint is None
    assert "secret" not in repr(read_settings({"AWS_ENDPOINT_URL": secret}))
