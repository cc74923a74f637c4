"""Shared fixtures; each real component lives in its own plugin module."""

pytest_plugins: list[str] = [
    "tests.fixtures.catalogue",
    "tests.fixtures.audio",
    "tests.fixtures.s3",
    "tests.fixtures.site",
    "tests.fixtures.browser",
    "tests.fixtures.httpserver",
]
