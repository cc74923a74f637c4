"""The static export: the live site's pages as files, published beside the feeds, served with no Python app."""

from __future__ import annotations

import gzip
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

import lxml.html
import pytest
from click.testing import CliRunner

from podcaster.cli.main import main
from podcaster.storage import open_storage
from tests.fixtures.site import DRAFT, LIVE, NOW, SCHEDULED, make_site
from web import create_app
from web.export import export_site, page_paths
from web.site import EXTENSION

SITE = "https://podcast.example.org/"
ENV = {"PODCASTER_NOW": NOW.isoformat()}


def run(root: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--root", str(root), *args], env=ENV, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def file_for(path: str) -> str:
    name = path.lstrip("/")
    return name + "index.html" if name.endswith("/") or not name else name


@pytest.fixture
def exported(tmp_path: Path, sample_mp3: Path) -> Path:
    root = make_site(tmp_path / "podcast", sample_mp3)
    export_site(root, NOW)
    return root


def test_every_exported_page_is_the_live_page(exported: Path) -> None:
    app = create_app(exported, {"TESTING": True, "CLOCK": lambda: NOW})
    client = app.test_client()
    paths = page_paths(app.extensions[EXTENSION].snapshot())
    assert {f"/episodes/{slug}/" for slug in LIVE} | {"/saison/3/", "/embed/", "/api/episodes.json"} <= set(
        paths
    )
    site = exported / "site"
    for path in paths:
        live = client.get(path)
        assert live.status_code == 200, path
        assert (site / file_for(path)).read_bytes() == live.data, path
    for name in ("feed.xml", "saison-1.xml"):
        assert (site / name).read_bytes() == (exported / "feeds" / name).read_bytes()
    names = {path.relative_to(site).as_posix() for path in site.rglob("*") if path.is_file()}
    assert not any("studio" in name for name in names)
    assert not any(slug in name for name in names for slug in (DRAFT, SCHEDULED))
    assert "404.html" in names and b"404" in (site / "404.html").read_bytes()
    # Pre-compressed twins: the same bytes, for servers that send them as they are.
    twins = [name for name in names if name.endswith(".gz")]
    assert "index.html.gz" in twins and not any(name.startswith("oembed/") for name in twins)
    for twin in twins:
        assert gzip.decompress((site / twin).read_bytes()) == (site / twin.removesuffix(".gz")).read_bytes()


def test_every_link_of_the_export_leads_to_a_file(exported: Path) -> None:
    site = exported / "site"
    pages = [path for path in site.rglob("*.html")]
    targets: set[str] = set()
    for page in pages:
        tree = lxml.html.fromstring(page.read_bytes())
        for element in tree.cssselect("a[href], link[href], script[src], iframe[src], img[src]"):
            url = urldefrag(element.get("href") or element.get("src") or "").url
            if url.startswith(SITE):
                url = "/" + url.removeprefix(SITE)
            if url.startswith("/") and not url.startswith("//"):
                targets.add(urlsplit(url).path)
    assert "/oembed/premier-episode.json" in targets and any(
        re.fullmatch(r"/static/site\.[0-9a-f]{10}\.css", url) for url in targets
    )
    public = exported / "public"  # media are the storage's, beside the site once published
    missing = [
        url
        for url in targets
        if not (site / file_for(url)).is_file() and not (public / url.lstrip("/")).is_file()
    ]
    assert missing == []


def test_a_second_export_writes_nothing_and_a_withdrawn_page_goes(exported: Path) -> None:
    again = export_site(exported, NOW)
    assert again.written == [] and again.removed == [] and again.files > 20
    page = exported / "episodes" / "saison-2" / "saison-2-debut.md"
    page.write_text(
        page.read_text(encoding="utf-8").replace("---\n", "---\ndraft: true\n", 1), encoding="utf-8"
    )
    (exported / "site" / "stray.txt").write_text("left by hand", encoding="utf-8")
    changed = export_site(exported, NOW)
    assert "episodes/saison-2-debut/index.html" in changed.removed and "stray.txt" in changed.removed
    assert not (exported / "site" / "episodes" / "saison-2-debut").exists()


def test_build_exports_and_publish_puts_the_site_beside_the_feeds(tmp_path: Path, sample_mp3: Path) -> None:
    root = make_site(tmp_path / "podcast", sample_mp3)
    assert "site: " in run(root, "build")
    assert "site is up to date" in run(root, "build")
    output = run(root, "publish", "--no-verify")
    assert re.search(r"published to .*: [1-9]\d* uploaded", output), output
    storage = open_storage("file://public", base=root)
    page = storage.head("episodes/premier-episode/index.html")
    assert page is not None and page.content_type == "text/html; charset=utf-8"
    assert page.cache_control == "public, max-age=300"
    css = next(key for key in storage.list() if re.fullmatch(r"static/site\.[0-9a-f]{10}\.css", key))
    info = storage.head(css)
    assert info is not None and info.cache_control == "public, max-age=31536000, immutable"
    assert storage.head(css + ".gz") is not None  # a local folder keeps the twins a web server can send
    assert "0 uploaded" in run(root, "publish", "--no-verify")
    assert not any(key.startswith("studio") for key in storage.list())


@pytest.mark.s3
def test_publish_to_s3_uploads_the_site_once(tmp_path: Path, sample_mp3: Path, s3_bucket: str) -> None:
    root = make_site(tmp_path / "podcast", sample_mp3)
    run(root, "build")
    url = f"s3://{s3_bucket}/show"
    first = run(root, "publish", "--storage", url, "--no-verify")
    storage = open_storage(url, base=root)
    keys = set(storage.list())
    expected = {file_for(path) for path in ("/", "/saison/1/", "/embed/", f"/episodes/{LIVE[0]}/")}
    assert expected <= keys and {"feed.xml", "oembed/premier-episode.json"} <= keys
    assert not any(key.endswith(".gz") for key in keys)  # a bucket cannot choose between the two
    home = storage.head("index.html")
    assert home is not None and home.content_type == "text/html; charset=utf-8"
    assert storage.read("index.html") == (root / "site" / "index.html").read_bytes()
    assert "uploaded" in first
    assert re.search(r": 0 uploaded, \d+ unchanged", run(root, "publish", "--storage", url, "--no-verify"))


# -- served as files by python -m http.server, in Chromium ----------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def static_host(tmp_path: Path, sample_mp3: Path) -> Iterator[str]:
    """The test podcast built, exported and published to file://public, served by ``python -m http.server``."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}/"
    root = make_site(tmp_path / "podcast", sample_mp3, base_url=base)
    run(root, "build")
    run(root, "publish", "--no-verify")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "http.server",
            str(port),
            "--bind",
            "127.0.0.1",
            "--directory",
            str(root / "public"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.05)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=5)


@pytest.mark.browser
def test_the_published_export_works_from_a_plain_file_server(page: Any, static_host: str) -> None:
    failed: list[str] = []
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    page.goto(static_host)
    assert page.title().startswith("Penser le test")
    assert page.locator("img.artwork").first.evaluate("image => image.naturalWidth") > 0
    assert page.evaluate("() => document.styleSheets[0].cssRules.length") > 0  # the hashed stylesheet

    page.goto(static_host + "episodes/premier-episode/")
    assert page.locator("h1").inner_text() == "Premier épisode : le terrain"
    _loads_metadata(page)
    oembed = page.locator('link[type="application/json+oembed"]').get_attribute("href")
    assert oembed == static_host + "oembed/premier-episode.json"
    document = page.request.get(oembed).json()
    assert f'src="{static_host}embed/premier-episode/"' in document["html"]

    page.goto(static_host + "embed/premier-episode/")
    _loads_metadata(page)
    feed = page.request.get(static_host + "feed.xml")
    assert feed.status == 200 and b"<rss" in feed.body()
    assert page.request.get(static_host + "api/episodes.json").json()["episodes"]
    assert failed == []
    assert page.request.get(static_host + "studio/").status == 404


def _loads_metadata(page: Any) -> None:
    """The player reads the audio's length from the file server (which knows nothing of ranges)."""
    audio = page.locator("audio").first
    audio.evaluate("player => { player.preload = 'metadata'; player.load(); }")
    page.wait_for_function("() => document.querySelector('audio').duration > 5", timeout=10_000)
