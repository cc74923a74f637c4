"""The embed as another website uses it: its code pasted into a page served by ``python -m http.server``
on another loopback port, framed there at the height the code states, and played."""

from __future__ import annotations

import html
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from tests.fixtures.browser import Server

pytestmark = pytest.mark.browser


@pytest.fixture
def other_site(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served by ``python -m http.server`` on a free loopback port: (folder, base URL)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base, timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield tmp_path, base
    finally:
        server.terminate()
        server.wait(timeout=5)


def _embed_code(page: Any, live_server: Server) -> str:
    page.goto(live_server.url + "episodes/premier-episode/")
    return page.locator("#code-integration").input_value()


@pytest.mark.parametrize("theme", ["", "dark"])
def test_the_embed_code_plays_on_another_site(
    page: Any, live_server: Server, other_site: tuple[Path, str], artifacts: Path, theme: str
) -> None:
    folder, base = other_site
    code = _embed_code(page, live_server)
    frame = lxml.html.fragment_fromstring(code)
    height = int(frame.get("height"))
    if theme:
        code = code.replace('/" title=', f'/?theme={theme}" title=', 1)
    list_code = code.replace("embed/premier-episode/", "embed/").replace(f'height="{height}"', 'height="480"')
    (folder / "index.html").write_text(
        f'<!doctype html><html lang="fr"><title>Un autre site</title><main><h1>{html.escape(base)}</h1>'
        f"{code}{list_code}</main></html>",
        encoding="utf-8",
    )
    page.goto(base + "index.html")
    assert page.url.startswith(base) and not base.startswith(live_server.url)
    player = page.frame_locator("iframe").nth(0)
    player.locator("h1").wait_for(timeout=10_000)
    assert player.locator("h1").inner_text() == "Premier épisode : le terrain"
    # The frame's own document fits the height the code states: nothing cut, no scroll bar.
    assert player.locator("html").evaluate("root => root.scrollHeight") <= height
    player.locator("audio").evaluate("audio => audio.play()")
    player.locator("audio").evaluate(
        "audio => new Promise(done => { const look = () => audio.currentTime > 0.3 ? done() : setTimeout(look, 50); look(); })"
    )

    # The list: one player, a play button per episode, the one playing marked.
    playlist = page.frame_locator("iframe").nth(1)
    items = playlist.locator("[data-playlist] li")
    items.nth(1).locator("a[data-play]").click()
    assert items.nth(1).get_attribute("aria-current") == "true"
    assert items.nth(0).get_attribute("aria-current") is None
    playlist.locator("audio").evaluate(
        "audio => new Promise(done => { const look = () => audio.currentTime > 0.3 ? done() : setTimeout(look, 50); look(); })"
    )
    assert playlist.locator("audio").evaluate("audio => audio.src") == items.nth(1).get_attribute("data-src")
    assert playlist.locator("audio").count() == 1
    page.screenshot(
        path=str(artifacts / f"embed-elsewhere{'-' + theme if theme else ''}.png"), full_page=True
    )


def test_the_playlist_plays_the_next_episode_at_the_end(page: Any, live_server: Server) -> None:
    page.goto(live_server.url + "embed/")
    items = page.locator("[data-playlist] li")
    audio = page.locator("audio")
    items.nth(0).locator("a[data-play]").click()
    audio.evaluate(
        "audio => new Promise(done => audio.readyState >= 1 ? done() : audio.addEventListener('loadedmetadata', done))"
    )
    audio.evaluate("audio => { audio.currentTime = audio.duration - 0.3; }")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-playlist] li')[1].getAttribute('aria-current') === 'true'",
        timeout=10_000,
    )
    assert audio.evaluate("audio => audio.src") == items.nth(1).get_attribute("data-src")
