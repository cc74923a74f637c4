"""The admins' pages in a real Chromium: accounts, show settings, the activity log; axe, keyboard, layout."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from podcaster.studio import Activity, Role, add_user, load_users, record_activity
from tests.fixtures.browser import Server
from tests.fixtures.site import NOW
from tests.test_browser_layout import OVERLAPS, TOO_WIDE
from tests.test_browser_studio import PASSWORD, _serious, _sign_in_as, served_studio, tab_until

pytestmark = pytest.mark.browser

PAGES = {
    "accounts": "studio/comptes/",
    "account": "studio/comptes/edith/",
    "show": "studio/emission/",
    "activity": "studio/activite/",
}
MEASURED = "h1, h2, p, button, select, input, textarea, label, nav li, th, td"


@pytest.fixture
def admin_server(tmp_path: Path, sample_mp3: Path) -> Iterator[Server]:
    def prepare(root: Path) -> None:
        add_user(root, "ada", Role.ADMIN, PASSWORD)
        add_user(root, "edith", Role.EDITOR, PASSWORD)
        for index in range(60):
            record_activity(
                root, Activity(NOW + timedelta(minutes=index), "edith", "saved", "premier-episode")
            )
        record_activity(root, Activity(NOW, "edith", "publish", ""))

    with served_studio(tmp_path, sample_mp3, prepare) as running:
        yield running


def _sign_in(page: Any, server: Server, name: str = "ada") -> None:
    _sign_in_as(page, server.url, name)


def test_the_admin_pages_have_no_accessibility_violation(browser: Any, admin_server: Server) -> None:
    for scheme in ("light", "dark"):
        context = browser.new_context(locale="fr-FR", color_scheme=scheme)
        page = context.new_page()
        try:
            _sign_in(page, admin_server)
            assert _serious(page) == [], ("home with the last publish", scheme)
            for name, path in PAGES.items():
                page.goto(admin_server.url + path)
                assert _serious(page) == [], (name, scheme)
            page.goto(admin_server.url + "studio/comptes/")
            page.get_by_label("Identifiant").fill("../x")
            page.get_by_label("Mot de passe", exact=True).fill("court")
            page.get_by_role("button", name="Ajouter le compte").click()
            assert page.locator("#name-errors").is_visible() and page.locator("#password-errors").is_visible()
            assert _serious(page) == [], ("accounts with errors", scheme)
            page.goto(admin_server.url + "studio/emission/")
            page.get_by_label("Adresse du flux RSS").fill("javascript:alert(1)")
            page.get_by_role("button", name="Enregistrer les réglages").click()
            assert page.locator("#feed-errors").is_visible()
            assert _serious(page) == [], ("settings with errors", scheme)
        finally:
            context.close()


def test_an_admin_adds_an_account_with_the_keyboard_alone(page: Any, admin_server: Server) -> None:
    _sign_in(page, admin_server)
    tab_until(page, "element.textContent === 'Comptes'", "the accounts link", 30)
    page.keyboard.press("Enter")
    page.wait_for_url("**/studio/comptes/")
    tab_until(page, "element.id === 'name'", "the name field", 30)
    page.keyboard.type("zoe")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # author -> editor
    page.keyboard.press("Tab")
    page.keyboard.type("une phrase de passe")
    page.keyboard.press("Tab")
    page.keyboard.type("une phrase de passe")
    page.keyboard.press("Enter")
    page.wait_for_url("**/studio/comptes/?fait=added&nom=zoe")
    assert page.get_by_role("status").inner_text() == "Compte « zoe » ajouté."
    assert admin_server.root is not None
    assert load_users(admin_server.root)["zoe"].role is Role.EDITOR


def test_an_admin_edits_the_show_and_an_editor_sees_no_admin_link(browser: Any, admin_server: Server) -> None:
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    try:
        _sign_in(page, admin_server)
        page.get_by_role("link", name="Émission").click()
        page.get_by_label("Titre de l’émission").fill("Penser le test, revu")
        page.get_by_label("Deuxième catégorie").select_option("Government")
        page.get_by_role("button", name="Enregistrer les réglages").click()
        assert page.get_by_role("status").inner_text() == "Réglages enregistrés."
        assert admin_server.root is not None
        text = (admin_server.root / "podcast.toml").read_text(encoding="utf-8")
        assert 'title = "Penser le test, revu"' in text
        assert 'categories = ["Society & Culture > Documentary", "Government"]' in text
        page.get_by_role("link", name="Journal").click()
        assert "a modifié les réglages de" in page.locator("tbody tr").first.inner_text()
    finally:
        context.close()
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    try:
        _sign_in(page, admin_server, "edith")
        assert page.get_by_role("link", name="Comptes").count() == 0
        assert page.get_by_role("link", name="Émission").count() == 0
        assert page.get_by_role("link", name="Journal").count() == 1
        assert page.goto(admin_server.url + "studio/comptes/").status == 403
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("name", ["home", *PAGES])
def test_admin_pages_fit_phones_and_desktops(
    browser: Any, admin_server: Server, artifacts: Path, name: str, width: int
) -> None:
    context = browser.new_context(locale="fr-FR", viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        _sign_in(page, admin_server)
        page.goto(admin_server.url + PAGES.get(name, "studio/"))
        page.wait_for_load_state("load")
        page.screenshot(path=str(artifacts / f"studio-admin-{name}-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        wide = [
            found
            for found in page.evaluate(TOO_WIDE, width)
            if not found.startswith(
                ("table", "tr", "th", "td", "thead", "tbody", "a.", "time", "span", "caption")
            )
        ]
        assert wide == []
        assert page.evaluate(OVERLAPS, MEASURED) == []
    finally:
        context.close()
