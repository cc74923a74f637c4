"""What each public page weighs before any audio, measured in Chromium on the bundled catalogue.

Everything the browser fetches for the page (HTML, CSS, JS, covers, icons), as sent over the wire,
after scrolling to the end so lazy covers load too, on a phone (3× pixels) and a desktop (2×). No
page may pass 100 KB. Audio is never fetched before a play (``preload="none"``).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.browser import Server, serve

pytestmark = pytest.mark.browser

LIMIT = 100 * 1024
REPOSITORY = Path(__file__).resolve().parents[1]
VIEWPORTS = {"phone": ({"width": 390, "height": 844}, 3), "desktop": ({"width": 1280, "height": 900}, 2)}


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``podcaster demo`` on the bundled catalogue, served by the site over real HTTP."""
    from podcaster.actions.demo import run_demo
    from web import create_app

    running, holder = serve()
    result = run_demo(REPOSITORY, tmp_path_factory.mktemp("demo"), running.url)
    holder.app = create_app(result.root, {"RELOAD_INTERVAL": 3600})
    running.thread.start()
    yield running
    running.stop()


def _pages(site: Server) -> list[str]:
    with urllib.request.urlopen(site.url + "api/episodes.json", timeout=10) as answer:
        episodes = json.load(answer)["episodes"]
    # The heaviest episode page: the one with the most to show (transcript, chapters, notes).
    slug = max(episodes, key=lambda item: (len(item["transcripts"] or []), len(item["notes_html"] or "")))[
        "slug"
    ]
    return ["", "saison/1/", "saison/2/", f"episodes/{slug}/", "embed/", f"embed/{slug}/"]


def _weigh(browser: Any, url: str, viewport: dict[str, int], scale: int) -> int:
    """Bytes received for *url* and all it loads, scrolled to the end, in a fresh context (no cache)."""
    context = browser.new_context(locale="fr-FR", viewport=viewport, device_scale_factor=scale)
    page = context.new_page()
    fetched: list[Any] = []
    page.on("requestfinished", lambda request: fetched.append(request))
    try:
        page.goto(url, wait_until="networkidle")
        page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
        page.wait_for_timeout(300)  # lazy covers scrolled into view start after a frame
        page.wait_for_load_state("networkidle")
        total = 0
        for request in fetched:
            response = request.response()
            kind = response.headers.get("content-type", "") if response else ""
            assert not kind.startswith("audio/"), f"{url} loaded audio before a play: {request.url}"
            sizes = request.sizes()
            total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        assert any(request.resource_type == "image" for request in fetched), url  # covers were counted
        return total
    finally:
        context.close()


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_no_page_weighs_more_than_100_kb_before_audio(browser: Any, demo_site: Server, device: str) -> None:
    viewport, scale = VIEWPORTS[device]
    weights = {
        path or "/": _weigh(browser, demo_site.url + path, viewport, scale) for path in _pages(demo_site)
    }
    print(device, {path: f"{weight / 1024:.1f} KB" for path, weight in weights.items()})
    heavy = {path: weight for path, weight in weights.items() if weight > LIMIT}
    assert not heavy, f"pages over 100 KB on a {device}: {heavy}"
