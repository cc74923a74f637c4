"""The site is a shell over the library: it imports only the public API, and a page request never writes."""

from __future__ import annotations

import ast
import shutil
from collections import deque
from pathlib import Path
from urllib.parse import urldefrag, urlencode, urlsplit

import lxml.html
import pytest
from flask.testing import FlaskClient

from podcaster import build
from podcaster.models import document_content_type, media_content_type
from tests.fixtures.site import LIVE, NOW, make_site
from web import create_app

WEB = Path(__file__).resolve().parent.parent / "web"
SITE = "https://podcast.example.org/"
# The library's public face: its top level and the modules it documents as public.
PUBLIC = {
    "podcaster",
    "podcaster.models",
    "podcaster.errors",
    "podcaster.feed",
    "podcaster.folder",
    "podcaster.storage",
    "podcaster.settings",
    "podcaster.studio",
}
# Where a page may send the crawler: every attribute that holds one of the site's addresses.
LINKS = ("a[href]", "link[href]", "img[src]", "audio[src]", "iframe[src]", "script[src]", "source[srcset]")


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def test_the_site_imports_only_the_public_api() -> None:
    modules = sorted(WEB.rglob("*.py"))
    assert modules, WEB
    private = [
        f"{path.name}:{line}: {module}"
        for path in modules
        for line, module in _imported_modules(path)
        if module.split(".")[0] == "podcaster" and module not in PUBLIC
    ]
    assert private == []


def test_published_files_have_one_content_type_table() -> None:
    assert media_content_type("media/audio/saison-1/a-1a2b3c4d.mp3") == "audio/mpeg"
    assert media_content_type("x.M4A") == "audio/mp4"
    assert media_content_type("artwork/cover-1a2b3c4d-320.webp") == "image/webp"
    assert media_content_type("transcripts/a.vtt") == "text/vtt"
    assert media_content_type("README") == "application/octet-stream"
    assert document_content_type("saison-2.xml") == "application/rss+xml; charset=utf-8"
    assert document_content_type("episodes.json") == "application/json; charset=utf-8"


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under *root*, with its modification time and size."""
    tree = {}
    for path in [root, *root.rglob("*")]:
        status = path.lstat()
        tree[path.relative_to(root).as_posix()] = (status.st_mtime_ns, status.st_size)
    return tree


def _crawl(client: FlaskClient) -> set[str]:
    """Ask for every page, feed, document and file the site links to, from the home page down."""
    start = ["/", "/feed.xml", "/api/episodes.json", "/api/episodes.json?season=1", "/embed/"]
    start += ["/oembed?" + urlencode({"url": SITE + f"episodes/{slug}/"}) for slug in LIVE]
    queue, seen = deque(start), set(start)
    while queue:
        path = queue.popleft()
        response = client.get(path)
        body = response.get_data()
        response.close()
        assert response.status_code == 200, path
        if not response.content_type.startswith("text/html"):
            continue
        page = lxml.html.fromstring(body)
        for element in page.cssselect(", ".join(LINKS)):
            for value in (element.get("href"), element.get("src"), element.get("srcset")):
                for candidate in (value or "").split(","):
                    url = urldefrag(candidate.strip().split(" ")[0]).url
                    if url.startswith(SITE):
                        url = "/" + url.removeprefix(SITE)
                    if url.startswith("/") and not url.startswith("//") and url not in seen:
                        seen.add(url)
                        queue.append(url)
    return seen


@pytest.fixture
def built(tmp_path: Path, sample_mp3: Path) -> Path:
    """The test podcast as a fresh checkout holds it once built: nothing left from publish's work folder."""
    root = make_site(tmp_path / "podcast", sample_mp3)
    shutil.rmtree(root / ".podcaster")
    shutil.rmtree(root / "feeds")
    build(root, now=NOW)
    return root


def test_serving_every_page_of_a_built_catalogue_writes_nothing(built: Path) -> None:
    before = _tree(built)
    client = create_app(built, {"TESTING": True, "CLOCK": lambda: NOW, "RELOAD_INTERVAL": 0}).test_client()
    seen = _crawl(client)
    assert {"/saison-1.xml", "/saison/2/", f"/episodes/{LIVE[0]}/"} <= {urlsplit(url).path for url in seen}
    assert any(url.startswith("/media/artwork/") for url in seen)  # build derived the thumbnails
    assert _tree(built) == before


def test_artwork_not_derived_yet_is_left_out_not_made(built: Path) -> None:
    shutil.rmtree(built / ".podcaster")
    before = _tree(built)
    client = create_app(built, {"TESTING": True, "CLOCK": lambda: NOW, "RELOAD_INTERVAL": 0}).test_client()
    seen = _crawl(client)
    assert _tree(built) == before
    assert not any(url.startswith("/media/artwork/") for url in seen)
    # Once build has derived it, the site shows it without a restart.
    build(built, now=NOW)
    page = lxml.html.fromstring(client.get("/").data)
    assert page.cssselect("img.artwork")[0].get("src").startswith(SITE + "media/artwork/cover-")
