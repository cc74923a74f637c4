"""The site in a real headless Chromium: pages, the player, chapter seeking, embeds, accessibility."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.fixtures.browser import Server
from tests.fixtures.site import CHAPTERS, HOSTILE, LIVE

pytestmark = pytest.mark.browser

EPISODE = "episodes/premier-episode/"
EMBED = "embed/premier-episode/"


def test_home_lists_seasons_one_and_two(page: Any, live_server: Server) -> None:
    page.goto(live_server.url)
    assert page.title().startswith("Penser le test")
    seasons = page.locator("section.season h2").all_inner_texts()
    assert "Saison 1" in seasons and "Saison 2" in seasons
    titles = page.locator(".episode-title a").all_inner_texts()
    assert "Premier épisode : le terrain" in titles and HOSTILE in titles
    assert page.locator(".hero img.artwork").evaluate("image => image.naturalWidth") > 0
    # The copy button exists only where JavaScript runs.
    assert page.locator("button[data-copy=adresse-rss]").is_visible()


def test_player_plays_and_a_chapter_link_seeks(page: Any, live_server: Server, artifacts: Path) -> None:
    page.goto(live_server.url + EPISODE)
    audio = page.locator("audio[data-player]")
    page.locator("h1").click()  # a user gesture, as a listener's first click would be
    audio.evaluate("player => player.play()")
    page.wait_for_function("() => document.querySelector('audio').currentTime > 0.5", timeout=10_000)
    assert audio.evaluate("player => !player.paused")

    start, title = CHAPTERS[2]
    link = page.locator(".chapters a").nth(2)
    assert link.inner_text().endswith(title)
    link.click()
    page.wait_for_function(
        f"() => Math.abs(document.querySelector('audio').currentTime - {start}) < 1", timeout=10_000
    )
    assert page.url == live_server.url + EPISODE  # the page stayed: JS seeked instead of following the link
    page.wait_for_function(
        "() => document.querySelectorAll('.chapters a')[2].getAttribute('aria-current') === 'true'",
        timeout=5_000,
    )
    audio.evaluate("player => player.pause()")
    page.screenshot(path=str(artifacts / "episode.png"), full_page=True)


def test_player_tools_change_speed_and_skip(page: Any, live_server: Server) -> None:
    page.goto(live_server.url + EPISODE)
    assert page.locator("[data-player-tools]").is_visible()
    page.select_option("select[data-speed]", "1.5")
    assert page.locator("audio").evaluate("player => player.playbackRate") == 1.5
    audio = page.locator("audio")
    audio.evaluate("player => { player.preload = 'metadata'; player.load(); }")  # the page preloads nothing
    page.wait_for_function("() => document.querySelector('audio').readyState >= 1", timeout=10_000)
    audio.evaluate("player => { player.currentTime = 1; }")
    page.wait_for_function("() => Math.abs(document.querySelector('audio').currentTime - 1) < 0.1")
    # +30 s from 1 s goes past the end of this 6 s file: the button stops at its duration.
    page.locator("[data-skip='30']").click()
    page.wait_for_function(
        "() => { const a = document.querySelector('audio'); return Math.abs(a.currentTime - a.duration) < 0.1; }",
        timeout=5_000,
    )
    assert audio.evaluate("player => player.duration") > 5
    # −15 s from the end of a 6 s file: back to the start, not before it.
    page.locator("[data-skip='-15']").click()
    page.wait_for_function("() => document.querySelector('audio').currentTime === 0", timeout=5_000)


def test_copy_button_copies_the_feed_address(browser: Any, live_server: Server) -> None:
    context = browser.new_context(locale="fr-FR")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url.rstrip("/"))
    page = context.new_page()
    try:
        page.goto(live_server.url)
        page.locator("button[data-copy=adresse-rss]").click()
        page.wait_for_function("() => document.querySelector('.copy-status').textContent === 'Copié'")
        assert page.evaluate("navigator.clipboard.readText()") == live_server.url + "feed.xml"
    finally:
        context.close()


def test_pages_work_without_javascript(browser: Any, live_server: Server) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + EPISODE)
        assert page.locator("audio").is_visible()
        assert not page.locator("button[data-copy]").first.is_visible()  # nothing that would not work
        assert not page.locator("[data-player-tools]").is_visible()
        href = page.locator(".chapters a").nth(1).get_attribute("href")
        assert href.endswith(f"#t={CHAPTERS[1][0]:g}")  # opens the audio there, as a media fragment
    finally:
        context.close()


def test_embed_renders_in_an_iframe_of_another_origin(
    page: Any, live_server: Server, other_origin: Server, artifacts: Path
) -> None:
    assert other_origin.url != live_server.url
    query = urlencode([("src", live_server.url + EMBED), ("src", live_server.url + EPISODE)], doseq=True)
    # The episode page itself may only be framed by the site: Chromium shows its error page instead.
    refused = "chrome-error://chromewebdata/"
    with page.expect_event("framenavigated", predicate=lambda frame: frame.url == refused, timeout=10_000):
        page.goto(other_origin.url + "?" + query)
    embed = page.frame_locator("iframe[title='embed 0']")
    heading = embed.locator("h1")
    heading.wait_for(timeout=10_000)
    assert heading.inner_text() == "Premier épisode : le terrain"
    assert embed.locator("audio").is_visible()
    urls = [frame.url for frame in page.frames]
    assert live_server.url + EPISODE not in urls
    assert refused in urls
    page.screenshot(path=str(artifacts / "embed-other-origin.png"))


@pytest.mark.parametrize("path", ["", EPISODE, "episodes/episode-hostile/", EMBED, "embed/"])
def test_no_serious_accessibility_violation(page: Any, live_server: Server, path: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page.goto(live_server.url + path)
    results = Axe().run(page)
    serious = [
        (violation["id"], violation["impact"], [node["target"] for node in violation["nodes"]])
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert serious == [], serious


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_contrast_violation_in_either_colour_scheme(
    browser: Any, live_server: Server, scheme: str
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    try:
        for path in ("", EPISODE):
            page.goto(live_server.url + path)
            results = Axe().run(page)
            ids = [violation["id"] for violation in results.response["violations"]]
            assert "color-contrast" not in ids, (scheme, path)
    finally:
        context.close()


def test_keyboard_reaches_the_skip_link_then_the_content(page: Any, live_server: Server) -> None:
    page.goto(live_server.url + EPISODE)
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip-link"
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"


def test_every_live_episode_page_loads_without_console_errors(page: Any, live_server: Server) -> None:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    for slug in LIVE:
        page.goto(live_server.url + f"episodes/{slug}/")
    assert errors == []
