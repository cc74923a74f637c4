"""The transcript in a real headless Chromium: cues shown as text, a cue's time seeks the player,
the cue being heard is marked while it plays, and the links still work without JavaScript."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.browser import Server
from tests.fixtures.site import CHAPTERS, CUES

pytestmark = pytest.mark.browser

EPISODE = "episodes/premier-episode/"
CURRENT_CUE = "() => [...document.querySelectorAll('[data-cues] li')].findIndex(li => li.getAttribute('aria-current') === 'true')"


def test_cues_render_as_text(page: Any, live_server: Server) -> None:
    page.goto(live_server.url + EPISODE)
    items = page.locator("[data-cues] li")
    assert items.count() == len(CUES)
    for index, (_start, _end, speaker, text) in enumerate(CUES):
        shown = items.nth(index).locator("p").inner_text()
        assert shown == f"{speaker} {text}"  # the "<script>" in a cue is text, shown as written
    assert page.locator("[data-cues] script").count() == 0
    assert page.locator("[data-cues]").is_visible()


def test_a_cue_time_seeks_the_player_and_the_cue_heard_is_marked(page: Any, live_server: Server) -> None:
    page.goto(live_server.url + EPISODE)
    assert page.evaluate(CURRENT_CUE) == -1  # nothing marked before playing
    start = CUES[1][0]
    page.locator("[data-cues] li").nth(1).locator("a.time").click()
    page.wait_for_function(
        f"() => {{ const a = document.querySelector('audio'); return !a.paused && Math.abs(a.currentTime - {start}) < 0.8; }}",
        timeout=10_000,
    )
    assert page.url == live_server.url + EPISODE  # the script seeked instead of following the link
    page.wait_for_function(f"() => ({CURRENT_CUE})() === 1", timeout=5_000)
    # Playing on, the next cue is marked in its turn, and only one at a time.
    page.wait_for_function(f"() => ({CURRENT_CUE})() === 2", timeout=10_000)
    assert page.locator("[data-cues] li[aria-current='true']").count() == 1
    page.locator("audio").evaluate("player => player.pause()")


def test_clicking_the_last_cue_lands_near_its_start(page: Any, live_server: Server) -> None:
    page.goto(live_server.url + EPISODE)
    start = CUES[2][0]
    page.locator("[data-cues] a.time").nth(2).click()
    page.wait_for_function(
        f"() => Math.abs(document.querySelector('audio').currentTime - {start}) < 0.8", timeout=10_000
    )
    page.locator("audio").evaluate("player => player.pause()")
    # The chapters keep their own marker: the chapter holding that moment, not a cue's index.
    expected = max(index for index, (chapter_start, _) in enumerate(CHAPTERS) if chapter_start <= start)
    page.wait_for_function(
        f"() => document.querySelectorAll('.chapters a')[{expected}].getAttribute('aria-current') === 'true'",
        timeout=5_000,
    )
    assert page.locator(".chapters a[aria-current='true']").count() == 1


def test_cue_times_are_media_fragment_links_without_javascript(browser: Any, live_server: Server) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + EPISODE)
        audio_url = page.locator("audio").get_attribute("src")
        hrefs = page.locator("[data-cues] a.time").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
        assert hrefs == [f"{audio_url}#t={start:g}" for start, *_ in CUES]
        assert page.locator("[data-cues] li").first.is_visible()
    finally:
        context.close()
