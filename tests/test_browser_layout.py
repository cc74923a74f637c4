"""The layout measured in Chromium at a phone, a tablet and a desktop width.

Bounding boxes, not pixels: the cover sits beside the title on wide screens
and above it on phones; nothing is wider than the viewport; no two elements
overlap. Each page is saved as a screenshot in ``test-artifacts/`` for review.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.browser import Server

pytestmark = pytest.mark.browser

WIDTHS = (390, 768, 1280)
PHONE = 640  # below this (the stylesheet's 40rem), covers go above titles
# name -> (path, cover stays beside the title even on phones, the block whose content edge the cover starts at)
PAGES = {
    "home": ("", False, "#abonnement"),
    "season": ("saison/1/", False, ".breadcrumb ol"),
    "episode": ("episodes/premier-episode/", False, ".breadcrumb ol"),
    "embed-episode": ("embed/premier-episode/", True, "main"),
    "embed-list": ("embed/", True, "main"),
}

# Elements whose boxes must not cross: the visible blocks a listener reads or presses.
MEASURED = (
    "img.artwork, h1, h2, h3, p, audio, button, select, input, textarea, .pill, "
    ".episode-item, .pager-link, .directory, nav li"
)

OVERLAPS = """selector => {
  const visible = element => {
    const box = element.getBoundingClientRect();
    const style = getComputedStyle(element);
    const folded = element.closest('details:not([open]) > :not(summary)');
    return box.width > 1 && box.height > 1 && style.visibility !== 'hidden' && !element.closest('[hidden]') && !folded;
  };
  const elements = [...document.querySelectorAll(selector)].filter(visible);
  const name = element => element.tagName.toLowerCase()
    + (element.id ? '#' + element.id : '') + (element.className ? '.' + String(element.className).split(' ').join('.') : '')
    + ' «' + (element.textContent || element.alt || '').trim().slice(0, 30) + '»';
  const found = [];
  for (let i = 0; i < elements.length; i += 1) {
    for (let j = i + 1; j < elements.length; j += 1) {
      const a = elements[i], b = elements[j];
      if (a.contains(b) || b.contains(a)) continue;
      const p = a.getBoundingClientRect(), q = b.getBoundingClientRect();
      const width = Math.min(p.right, q.right) - Math.max(p.left, q.left);
      const height = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
      if (width > 1 && height > 1) found.push(name(a) + ' × ' + name(b));
    }
  }
  return found;
}"""

TOO_WIDE = """width => [...document.querySelectorAll('body *')]
  .filter(element => {
    const box = element.getBoundingClientRect();
    return box.width > 1 && box.height > 1 && (box.right > width + 0.5 || box.left < -0.5)
      && !element.closest('.visually-hidden, .skip-link, [data-cues], pre');
  })
  .map(element => element.tagName.toLowerCase() + '.' + String(element.className))"""


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not shown"
    return dict(box)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(PAGES))
def test_layout(browser: Any, live_server: Server, artifacts: Path, name: str, width: int) -> None:
    path, always_beside, edge = PAGES[name]
    # Embeds are measured in a viewport of the height their code states (200 px, 480 px for the list).
    height = {"embed-episode": 200, "embed-list": 480}.get(name, 900)
    context = browser.new_context(locale="fr-FR", viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        page.goto(live_server.url + path)
        page.wait_for_load_state("load")
        page.screenshot(path=str(artifacts / f"layout-{name}-{width}.png"), full_page=True)

        assert page.evaluate("document.documentElement.scrollWidth") <= width
        if name.startswith("embed"):
            assert page.evaluate("document.documentElement.scrollHeight") <= height, (
                "the embed overflows its frame"
            )
        assert page.evaluate(TOO_WIDE, width) == []
        assert page.evaluate(OVERLAPS, MEASURED) == []

        cover, title = _box(page, "img.artwork"), _box(page, "h1")
        assert cover["width"] >= 48, cover
        left = page.locator(edge).first.evaluate(
            "block => block.getBoundingClientRect().left + parseFloat(getComputedStyle(block).paddingLeft)"
        )
        assert abs(cover["x"] - left) <= 1, ("the cover is shifted", cover, left)
        if width >= PHONE or always_beside:
            # Beside: the cover ends before the title starts, and they share a band of height.
            assert cover["x"] + cover["width"] <= title["x"], (cover, title)
            assert cover["y"] < title["y"] + title["height"] and title["y"] < cover["y"] + cover["height"]
        else:
            assert cover["y"] + cover["height"] <= title["y"], (cover, title)
            assert abs(cover["x"] - title["x"]) <= 1, (cover, title)  # aligned on the same left edge
        if name == "home" and width >= PHONE:
            # The text column takes the room left by the cover, not a cover-wide strip.
            text = _box(page, ".hero-text")
            assert text["width"] >= min(width, 1100) - cover["width"] - 200, text
    finally:
        context.close()
