"""The studio in a real headless Chromium: sign in, edit an episode, accessibility, keyboard only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from podcaster.studio import Role, add_user
from tests.fixtures.browser import Server, serve
from tests.fixtures.site import NOW, make_site

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


@pytest.fixture
def studio_server(tmp_path: Path, sample_mp3: Path) -> Iterator[Server]:
    """The test podcast with an editor account, served over real HTTP on loopback."""
    from web import create_app

    running, holder = serve()
    root = make_site(tmp_path / "podcast", sample_mp3, base_url=running.url)
    add_user(root, "edith", Role.EDITOR, PASSWORD)
    holder.app = create_app(
        root, {"CLOCK": lambda: NOW, "RELOAD_INTERVAL": 0, "INSTANCE_FOLDER": tmp_path / "instance"}
    )
    running.root = root
    running.thread.start()
    yield running
    running.stop()


def _sign_in(page: Any, server: Server) -> None:
    page.goto(server.url + "studio/")
    assert page.url.startswith(server.url + "studio/connexion")
    page.get_by_label("Identifiant").fill("edith")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(server.url + "studio/")


def _serious(page: Any) -> list[Any]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        (violation["id"], [node["target"] for node in violation["nodes"]])
        for violation in results.response["violations"]
    ]


def test_sign_in_and_edit_an_episode(page: Any, studio_server: Server) -> None:
    _sign_in(page, studio_server)
    assert page.get_by_role("heading", name="Accueil du studio").is_visible()
    page.get_by_role("link", name="Modifier « Premier épisode : le terrain »").click()
    page.get_by_label("Titre").fill("Le terrain, revu dans le navigateur")
    page.get_by_label("Date et heure de publication").fill("2023-02-01T08:15")
    page.get_by_label("Notes de l’épisode (Markdown)").fill("Des notes **revues**.")
    page.get_by_role("button", name="Enregistrer").click()
    assert page.get_by_role("status").inner_text() == "Modifications enregistrées."
    assert studio_server.root is not None
    text = (studio_server.root / "episodes/saison-1/premier-episode.md").read_text(encoding="utf-8")
    assert 'title: "Le terrain, revu dans le navigateur"' in text
    assert 'date: "2023-02-01T08:15:00+01:00"' in text
    page.goto(studio_server.url + "episodes/premier-episode/")
    assert "Le terrain, revu dans le navigateur" in page.title()


def test_every_studio_page_has_no_accessibility_violation(browser: Any, studio_server: Server) -> None:
    for scheme in ("light", "dark"):
        context = browser.new_context(locale="fr-FR", color_scheme=scheme)
        page = context.new_page()
        try:
            page.goto(studio_server.url + "studio/connexion")
            assert _serious(page) == [], ("sign-in", scheme)
            page.get_by_label("Identifiant").fill("edith")
            page.get_by_label("Mot de passe").fill("wrong password!")
            page.get_by_role("button", name="Se connecter").click()
            assert _serious(page) == [], ("sign-in error", scheme)
            _sign_in(page, studio_server)
            assert _serious(page) == [], ("home", scheme)
            page.goto(studio_server.url + "studio/episodes/premier-episode/")
            assert _serious(page) == [], ("episode", scheme)
            page.get_by_label("Titre").fill(" ")
            page.get_by_role("button", name="Enregistrer").click()
            assert page.locator("#title-errors").is_visible()
            assert _serious(page) == [], ("episode with errors", scheme)
        finally:
            context.close()


def test_the_studio_works_with_the_keyboard_alone(page: Any, studio_server: Server) -> None:
    page.goto(studio_server.url + "studio/connexion")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "name"
    page.keyboard.type("edith")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(studio_server.url + "studio/")
    # Tab to the first episode's edit link and follow it, then save with the keyboard.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href') || ''").startswith("/studio/episodes/"):
            break
    else:
        pytest.fail("no edit link reached with Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**/studio/episodes/**")
    page.focus("#title")
    page.keyboard.press("End")
    page.keyboard.type(" (clavier)")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Enregistrer":
            break
    else:
        pytest.fail("the save button was not reached with Tab")
    page.keyboard.press("Enter")
    assert page.get_by_role("status").inner_text() == "Modifications enregistrées."
