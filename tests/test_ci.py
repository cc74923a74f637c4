"""CI checks every page: under CI=true a missing browser (or any skip) fails the run instead of passing it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent

# A test file of its own, run by a pytest of its own with the suite's plugins, where Chromium is "missing".
_WITHOUT_CHROMIUM = """
import pytest
import tests.fixtures.browser as browser_fixtures

browser_fixtures.CHROMIUM = "/nonexistent/chromium"

def test_a_page(browser):
    pass

def test_skipped_by_hand():
    pytest.skip("no encoder here")

@pytest.mark.xfail(reason="a known failure, not a skip", strict=True)
def test_known_failure():
    assert False
"""


def _run(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_without_chromium.py").write_text(_WITHOUT_CHROMIUM, encoding="utf-8")
    env = {name: value for name, value in os.environ.items() if name != "CI"}
    if ci is not None:
        env["CI"] = ci
    env["PYTHONPATH"] = str(REPOSITORY)
    plugins = ["-p", "tests.fixtures.strict", "-p", "tests.fixtures.browser"]
    command = [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", *plugins]
    return subprocess.run(
        [*command, "--rootdir", str(tmp_path), "-c", os.devnull, str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_ci_a_missing_browser_skips(tmp_path: Path) -> None:
    run = _run(tmp_path, None)
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"2 skipped, 1 xfailed", run.stdout), run.stdout


@pytest.mark.parametrize("ci", ["true", "1"])
def test_under_ci_a_missing_browser_or_any_skip_fails(tmp_path: Path, ci: str) -> None:
    run = _run(tmp_path, ci)
    assert run.returncode == 1, run.stdout + run.stderr
    # The browser fixture fails (an error in set-up), the skip by hand fails; an expected failure stays one.
    assert re.search(r"1 failed, 1 xfailed, 1 error", run.stdout), run.stdout
    assert "/nonexistent/chromium is not installed" in run.stdout
    assert "under CI=true a missing component fails the run" in run.stdout
    assert "skipped under CI=true, which allows no skip: no encoder here" in run.stdout


def test_ci_runs_the_readme_command_with_ci_set() -> None:
    # .ci/run calls exactly the README's command; CI=true holds whoever calls scripts/test (it installs
    # every component first, so a skip there can only mean an installation went wrong).
    run = (REPOSITORY / ".ci" / "run").read_text(encoding="utf-8")
    assert "bash scripts/test" in (REPOSITORY / "README.md").read_text(encoding="utf-8")
    assert re.search(r"^exec bash scripts/test$", run, re.M)
    assert re.search(r"^export CI=true$", run, re.M)
    script = (REPOSITORY / "scripts" / "test").read_text(encoding="utf-8")
    assert re.search(r'^export CI="\$\{CI:-true\}"$', script, re.M)
