"""The audience page in a real headless Chromium: the charts draw, the period selector works, axe finds nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.browser import Server
from tests.test_browser_studio import _serious, _sign_in, studio_server  # noqa: F401  (the fixture)
from tests.test_web_studio_audience import add_downloads

pytestmark = pytest.mark.browser


def test_the_audience_page_draws_and_passes_axe(browser: Any, studio_server: Server) -> None:  # noqa: F811
    assert studio_server.root is not None
    add_downloads(studio_server.root)
    for scheme in ("light", "dark"):
        context = browser.new_context(locale="fr-FR", color_scheme=scheme)
        page = context.new_page()
        try:
            _sign_in(page, studio_server)
            page.get_by_role("link", name="Audience").click()
            page.wait_for_url(studio_server.url + "studio/audience")
            assert page.get_by_role("heading", name="Audience", level=1).is_visible()
            images = page.locator("section.chart img")
            assert images.count() == 5
            # Each SVG was decoded and drawn (a broken image has no natural width).
            assert page.evaluate(
                "[...document.querySelectorAll('section.chart img')].every(i => i.naturalWidth > 0)"
            )
            assert _serious(page) == [], ("audience", scheme)
            page.locator("section.chart details summary").first.click()
            assert page.get_by_role("table", name="Téléchargements par jour").is_visible()
            assert _serious(page) == [], ("audience with a table open", scheme)
            page.get_by_label("Du", exact=True).fill("2023-02-01")
            page.get_by_label("Au", exact=True).fill("2023-02-28")
            page.get_by_role("button", name="Afficher").click()
            page.wait_for_url("**du=2023-02-01**")
            assert "2023-02-01" in page.get_by_role("status").inner_text()
            page.get_by_role("link", name="12 derniers mois").click()
            assert _serious(page) == [], ("audience, last 12 months", scheme)
        finally:
            context.close()


@pytest.mark.parametrize("counted", [True, False], ids=["with-downloads", "none-yet"])
def test_the_audience_page_fits_a_phone(browser: Any, studio_server: Server, counted: bool) -> None:  # noqa: F811
    assert studio_server.root is not None
    if counted:
        add_downloads(studio_server.root)
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        _sign_in(page, studio_server)
        page.goto(studio_server.url + "studio/audience")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        wide = page.evaluate(
            "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)"
            ".slice(0, 5).map(e => e.tagName + '.' + e.className)"
        )
        assert overflow == 0, wide
        charts = page.locator("section.chart img")
        assert charts.count() == (5 if counted else 0)  # nothing counted: a sentence, not five empty charts
        for index in range(charts.count()):
            box = charts.nth(index).bounding_box()
            assert box is not None and box["width"] <= 390 and box["height"] > 100
        status = page.get_by_role("status").inner_text()
        assert ("0001" not in status) and ("9999" not in status)
    finally:
        context.close()
