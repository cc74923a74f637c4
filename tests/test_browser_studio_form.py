"""The episode form in a real Chromium: live notes preview, new season by keyboard, axe, phone layout."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import pytest

from podcaster.studio import store_whole
from tests import test_browser_studio
from tests.fixtures.browser import Server
from tests.test_browser_studio import _serious, _sign_in, tab_until

pytestmark = pytest.mark.browser
studio_server = test_browser_studio.studio_server  # the same served podcast with an editor account

EDIT = "studio/episodes/premier-episode/"
WIDTHS = (390, 1280)


def _new_episode_url(server: Server, sample_mp3: Path) -> str:
    assert server.root is not None
    upload = store_whole(server.root, "edith", "entretien.mp3", [sample_mp3.read_bytes()], 5 << 20)
    return server.url + f"studio/nouvel-episode/{upload.id}/"


def test_the_notes_preview_is_live_sanitised_and_never_runs_a_script(
    page: Any, studio_server: Server
) -> None:
    _sign_in(page, studio_server)
    page.goto(studio_server.url + EDIT)
    assert page.locator("#notes-preview strong").first.inner_text() == "rencontre"  # the notes as they are
    assert not page.get_by_role("button", name="Actualiser l’aperçu des notes").is_visible()  # script: live
    notes = page.get_by_label("Notes de l’épisode (Markdown)")
    notes.fill(
        "## Un titre\n\nDu **gras**. <script>window.pwned = 1</script>"
        '<img src=x onerror="window.pwned = 2"> [lien](javascript:window.pwned=3)'
    )
    page.locator("#notes-preview h2").wait_for()
    assert page.locator("#notes-preview h2").inner_text() == "Un titre"
    assert page.locator("#notes-preview strong").inner_text() == "gras"
    assert (
        page.locator("#notes-preview script, #notes-preview img, #notes-preview [href^=javascript]").count()
        == 0
    )
    page.wait_for_timeout(300)
    assert page.evaluate("window.pwned") is None
    assert studio_server.root is not None
    assert "Un titre" not in (studio_server.root / "episodes/saison-1/premier-episode.md").read_text()


def test_a_new_season_chosen_and_saved_with_the_keyboard_alone(page: Any, studio_server: Server) -> None:
    _sign_in(page, studio_server)
    page.goto(studio_server.url + EDIT)
    assert page.locator("#new-season").is_hidden()  # shown only for a new season
    page.focus("#season")
    page.keyboard.press("End")  # "Nouvelle saison…" is the last choice
    assert page.locator("#new-season").is_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "new_season_number"
    page.keyboard.type("4")
    page.keyboard.press("Tab")
    page.keyboard.type("Saison quatre")
    tab_until(page, "element.textContent === 'Enregistrer'", "the save button", 80)
    page.keyboard.press("Enter")
    assert page.get_by_role("status").inner_text() == "Modifications enregistrées."
    assert studio_server.root is not None
    show = tomllib.loads((studio_server.root / "podcast.toml").read_text(encoding="utf-8"))
    assert {"number": 4, "name": "Saison quatre"} in show["seasons"]
    assert (studio_server.root / "episodes/saison-4/premier-episode.md").is_file()


def test_the_forms_have_no_accessibility_violation_and_fit_a_phone(
    browser: Any, studio_server: Server, sample_mp3: Path
) -> None:
    shots = os.environ.get("STUDIO_SCREENSHOTS")  # a folder to keep screenshots in, to look at them
    for width in WIDTHS:
        for scheme in ("light", "dark"):
            context = browser.new_context(
                locale="fr-FR", color_scheme=scheme, viewport={"width": width, "height": 900}
            )
            page = context.new_page()
            try:
                _sign_in(page, studio_server)
                pages = {"edit": studio_server.url + EDIT, "new": _new_episode_url(studio_server, sample_mp3)}
                for name, url in pages.items():
                    page.goto(url)
                    assert _serious(page) == [], (name, width, scheme)
                    overflow = page.evaluate(
                        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                    )
                    assert overflow <= 0, (name, width, overflow)
                    if shots:
                        page.screenshot(path=f"{shots}/{name}-{width}-{scheme}.png", full_page=True)
                # With errors beside the fields, too.
                page.goto(pages["edit"])
                page.get_by_label("Nom (1)").fill("Fatima Benali")
                page.get_by_label("Page web (1)").fill("javascript:alert(1)")
                page.locator("#chapters").set_input_files(
                    files=[{"name": "c.json", "mimeType": "application/json", "buffer": b"{}"}]
                )
                page.get_by_role("button", name="Enregistrer").click()
                assert page.locator("#guest-0-errors").is_visible()
                assert page.locator("#chapters-errors").is_visible()
                assert _serious(page) == [], ("errors", width, scheme)
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                assert overflow <= 0, ("errors", width, overflow)
                if shots:
                    page.screenshot(path=f"{shots}/errors-{width}-{scheme}.png", full_page=True)
            finally:
                context.close()
