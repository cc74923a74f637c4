"""Listening in a real headless Chromium: episode cards as a playlist on the home and season pages,
the transcript used with the keyboard alone, and buttons named by what they show."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.browser import Server
from tests.fixtures.site import CUES

pytestmark = pytest.mark.browser

EPISODE = "episodes/premier-episode/"
PLAYING = "audio => new Promise(done => { const look = () => audio.currentTime > 0.3 && !audio.paused ? done() : setTimeout(look, 50); look(); })"
READY = "audio => new Promise(done => audio.readyState >= 1 ? done() : audio.addEventListener('loadedmetadata', done))"


@pytest.mark.parametrize("path", ["", "saison/1/"])
def test_episode_cards_play_in_the_page_one_after_the_other(
    browser: Any, live_server: Server, artifacts: Path, path: str
) -> None:
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(live_server.url + path)
        cards = page.locator("[data-playlist] [data-src]")
        assert cards.count() >= 2
        assert page.locator("audio").count() == 1
        bar = page.locator("[data-list-player]")
        assert not bar.is_visible()  # no empty 0:00 player before anything plays
        assert page.locator("[aria-current='true'][data-src]").count() == 0

        cards.nth(0).locator("a[data-play]").click()
        audio = page.locator("audio[data-player]")
        audio.evaluate(PLAYING)
        assert page.url == live_server.url + path  # the page stayed; the audio file was not opened
        assert bar.is_visible()
        assert cards.nth(0).get_attribute("aria-current") == "true"
        assert audio.evaluate("audio => audio.src") == cards.nth(0).get_attribute("data-src")
        title = cards.nth(0).get_attribute("data-title")
        assert page.locator("[data-now]").inner_text() == title
        assert "playing" in (cards.nth(0).get_attribute("class") or "")
        page.screenshot(
            path=str(artifacts / f"listen-{path.strip('/').replace('/', '-') or 'home'}-phone.png")
        )

        # At the end, the next card plays and is marked in its place.
        audio.evaluate(READY)
        audio.evaluate("audio => { audio.currentTime = audio.duration - 0.3; }")
        page.wait_for_function(
            "() => document.querySelectorAll('[data-playlist] [data-src]')[1].getAttribute('aria-current') === 'true'",
            timeout=10_000,
        )
        assert cards.nth(0).get_attribute("aria-current") is None
        assert audio.evaluate("audio => audio.src") == cards.nth(1).get_attribute("data-src")
        audio.evaluate(PLAYING)

        # Its link pressed again pauses it.
        cards.nth(1).locator("a[data-play]").click()
        page.wait_for_function("() => document.querySelector('audio').paused", timeout=5_000)
        # The card's pause sign goes with the "pause" event, queued just after.
        page.wait_for_function(
            "() => !document.querySelectorAll('[data-playlist] [data-src]')[1].classList.contains('playing')",
            timeout=5_000,
        )
        assert cards.nth(1).get_attribute("aria-current") == "true"  # still the episode in the player
    finally:
        context.close()


def test_cards_show_cover_and_duration_and_play_links_open_the_audio_without_javascript(
    browser: Any, live_server: Server
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url)
        cards = page.locator("[data-playlist] [data-src]")
        for index in range(cards.count()):
            card = cards.nth(index)
            assert card.locator("a[data-play]").get_attribute("href") == card.get_attribute("data-src")
            assert card.locator("a[data-play]").is_visible()
            cover = card.locator("img.artwork")
            assert cover.get_attribute("width") == "64" and cover.get_attribute("alt") == ""
            assert card.locator(".meta").inner_text().strip().endswith("s")  # « … · 6 s », from the catalogue
        assert not page.locator("[data-list-player]").is_visible()
    finally:
        context.close()


def test_a_cue_plays_from_there_and_keeps_focus_and_scroll(page: Any, live_server: Server) -> None:
    page.emulate_media(reduced_motion="reduce")  # no smooth scrolling: the position is settled at once
    page.goto(live_server.url + EPISODE)
    cue = page.locator("[data-cues] a.time").nth(1)
    cue.focus()
    scrolled = page.evaluate("() => window.scrollY")
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"() => {{ const a = document.querySelector('audio'); return !a.paused && Math.abs(a.currentTime - {CUES[1][0]}) < 0.8; }}",
        timeout=10_000,
    )
    assert page.evaluate("() => document.activeElement.getAttribute('data-seek')") == str(CUES[1][0])
    assert page.evaluate("() => window.scrollY") == scrolled
    # The next cue is marked as playback reaches it, and the focus stays put.
    page.wait_for_function(
        "() => document.querySelectorAll('[data-cues] li')[2].getAttribute('aria-current') === 'true'",
        timeout=10_000,
    )
    assert page.evaluate("() => document.activeElement.getAttribute('data-seek')") == str(CUES[1][0])
    page.locator("audio").evaluate("audio => audio.pause()")
    # The next cue is one Tab away.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.getAttribute('data-seek')") == str(CUES[2][0])


def test_the_transcript_can_be_skipped_with_the_keyboard(page: Any, live_server: Server) -> None:
    page.goto(live_server.url + EPISODE)
    page.locator(".transcript-files a").last.focus()
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-block")
    assert page.evaluate("() => document.activeElement.className") == "skip-block"
    assert skip.inner_text() == "Passer la transcription"
    assert skip.bounding_box()["width"] > 50  # shown once reached
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    inside = page.evaluate("() => !!document.activeElement.closest('.transcript')")
    assert not inside
    assert page.evaluate("() => !!document.activeElement.closest('.share')")


def test_the_transcript_filter_keeps_the_cues_holding_the_words(page: Any, live_server: Server) -> None:
    page.goto(live_server.url + EPISODE)
    page.locator(".transcript-files a").last.focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "filtre-transcription"
    page.keyboard.type("a BIENTOT")  # case and accents ignored
    shown = page.locator("[data-cues] li:visible")
    assert shown.count() == 1
    assert shown.first.locator("p").inner_text().endswith(CUES[2][3])
    assert page.locator("[data-cue-count]").inner_text() == "1 passage sur 3"
    page.keyboard.press("Control+A")
    page.keyboard.type("bonjour")
    assert shown.count() == 2
    assert page.locator("[data-cue-count]").inner_text() == "2 passages sur 3"
    page.keyboard.press("Control+A")
    page.keyboard.type("introuvable")
    assert shown.count() == 0
    assert page.locator("[data-cue-count]").inner_text() == "Aucun passage ne contient ce texte"
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    assert shown.count() == len(CUES)


def test_player_buttons_are_named_by_what_they_show(page: Any, live_server: Server) -> None:
    page.goto(live_server.url + EPISODE)
    for button in page.locator("[data-skip]").all():
        visible = button.inner_text().strip()
        assert visible in ("−15 s", "+30 s")
        snapshot = button.evaluate("b => b.getAttribute('aria-label')")
        assert snapshot is None
        assert page.get_by_role("button", name=visible, exact=True).count() == 1
