"""Shared fixtures; each real component lives in its own plugin module."""

pytest_plugins: list[str] = [
    "tests.fixtures.strict",  # first: the others import it
    "tests.fixtures.catalogue",
    "tests.fixtures.audio",
    "tests.fixtures.s3",
    "tests.fixtures.site",
    "tests.fixtures.browser",
    "tests.fixtures.httpserver",
]
