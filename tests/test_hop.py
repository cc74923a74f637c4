"""The counting hop: ``/e/<key>`` counts by the log rules and answers 302 at once, whatever the store does."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import lxml.etree
import pytest
from flask import Flask

from podcaster import HopRecorder, load_catalogue, render_feeds
from podcaster.actions.stats import audience_figures
from podcaster.folder.layout import PodcastFolder
from podcaster.stats import requested_bytes
from podcaster.stats.store import open_store
from tests.fixtures.site import NOW, make_site
from web import create_app
from web.hop import EXTENSION

APP = "Overcast/3.0 (+http://overcast.fm/; iOS podcast app)"
OTHER_APP = "AntennaPod/3.2.0"
BOT = "Googlebot/2.1 (+http://www.google.com/bot.html)"
ITEMS = "//item"


def _with_prefix(root: Path, on: bool = True) -> None:
    show = root / "podcast.toml"
    text = show.read_text("utf-8").split("\n[stats]\n")[0]
    show.write_text(text + f"\n[stats]\nprefix = {'true' if on else 'false'}\n", "utf-8")


def _items(root: Path) -> list[tuple[str, str]]:
    tree = lxml.etree.fromstring(render_feeds(load_catalogue(root), NOW).documents["feed.xml"])
    return [(item.findtext("guid"), item.find("enclosure").get("url")) for item in tree.xpath(ITEMS)]


@pytest.fixture
def site(tmp_path: Path, sample_mp3: Path) -> Path:
    root = make_site(tmp_path / "podcast", sample_mp3)
    _with_prefix(root)
    return root


@pytest.fixture
def app(site: Path) -> Flask:
    return create_app(
        site, {"TESTING": True, "CLOCK": lambda: NOW, "RELOAD_INTERVAL": 0, "HOP_FLUSH_SECONDS": 3600}
    )


def _recorder(app: Flask) -> HopRecorder:
    recorder = app.extensions[EXTENSION].recorder
    assert recorder is not None
    return recorder


def test_the_prefix_changes_enclosures_never_guids(site: Path) -> None:
    hopped = _items(site)
    _with_prefix(site, on=False)
    direct = _items(site)
    assert [guid for guid, _ in hopped] == [guid for guid, _ in direct]
    for (_, through), (_, straight) in zip(hopped, direct, strict=True):
        key = straight.split("/media/", 1)[1]
        assert through == f"https://podcast.example.org/e/{key}"


def _keys(app: Flask) -> list[tuple[str, str]]:
    with app.test_request_context():
        from web.site import snapshot

        snap = snapshot()
        urls = snap.catalogue.show.urls
        return [(p.audio_key, urls.media_url(p.audio_key)) for p in snap.episodes if p.audio_key]


def test_the_hop_redirects_and_counts_by_the_rules(app: Flask, site: Path) -> None:
    client = app.test_client()
    (key, url), (other, _) = _keys(app)[:2]
    response = client.get("/e/" + key, headers={"User-Agent": APP})
    assert response.status_code == 302
    assert response.headers["Location"] == url
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert client.get("/e/media/nothing.mp3").status_code == 404
    assert client.get("/e/https://evil.example/x.mp3").status_code == 404
    # The same listener again the same day, a probe, a bot, a HEAD, no agent: still one download.
    client.get("/e/" + key, headers={"User-Agent": APP})
    client.get("/e/" + key, headers={"User-Agent": APP, "Range": "bytes=0-1"})
    client.get("/e/" + key, headers={"User-Agent": BOT})
    client.head("/e/" + key, headers={"User-Agent": OTHER_APP})
    client.get("/e/" + key, headers={"User-Agent": ""})
    # Another listener (another address) fetching in two ranges: one download once the bytes add up.
    size = next(t.size for t in _recorder(app).index.targets if key in t.keys)
    half = size // 2
    other_client = {"REMOTE_ADDR": "198.51.100.7"}
    client.get(
        "/e/" + other,
        headers={"User-Agent": OTHER_APP, "Range": f"bytes=0-{half}"},
        environ_base=other_client,
    )
    client.get(
        "/e/" + other,
        headers={"User-Agent": OTHER_APP, "Range": f"bytes={half + 1}-"},
        environ_base=other_client,
    )
    recorder = _recorder(app)
    recorder.flush()
    figures = audience_figures(site)
    assert figures.total == 2
    assert figures.apps == {"Overcast": 1, "AntennaPod": 1}
    assert recorder.written == 2 and recorder.dropped == 0
    recorder.flush()  # nothing new: nothing added
    assert audience_figures(site).total == 2
    data = PodcastFolder(site).stats_db.read_bytes()
    for secret in (APP, OTHER_APP, "198.51.100.7", "127.0.0.1"):
        assert secret.encode() not in data


def test_the_hop_counts_into_the_store_the_show_names(site: Path) -> None:
    """With a ``[stats] store``, the hop writes where ingest, the report and the studio read."""
    show = site / "podcast.toml"
    show.write_text(
        show.read_text("utf-8").replace("[stats]\n", '[stats]\nstore = "sqlite://figures/audience.sqlite"\n'),
        "utf-8",
    )
    app = create_app(
        site, {"TESTING": True, "CLOCK": lambda: NOW, "RELOAD_INTERVAL": 0, "HOP_FLUSH_SECONDS": 3600}
    )
    key, _ = _keys(app)[0]
    assert app.test_client().get("/e/" + key, headers={"User-Agent": APP}).status_code == 302
    _recorder(app).flush()
    assert (site / "figures/audience.sqlite").is_file()
    assert not PodcastFolder(site).stats_db.exists()
    assert audience_figures(site).total == 1  # read back through the show's store


def test_a_locked_or_missing_store_never_holds_a_listener(app: Flask, site: Path) -> None:
    client = app.test_client()
    (key, _), *_ = _keys(app)
    client.get("/e/" + key, headers={"User-Agent": APP})
    recorder = _recorder(app)
    recorder.flush()
    db = PodcastFolder(site).stats_db
    locker = sqlite3.connect(db, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        started = time.perf_counter()
        for number in range(50):
            response = client.get(
                "/e/" + key, headers={"User-Agent": APP}, environ_base={"REMOTE_ADDR": f"192.0.2.{number}"}
            )
            assert response.status_code == 302
        # Waiting on the lock would cost SQLite's 5 s timeout a request (250 s): no busy machine is that slow.
        assert time.perf_counter() - started < 10
        recorder.flush()  # the store is locked: the gains wait in memory
        assert recorder.failed_writes == 1
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    recorder.flush()
    assert audience_figures(site).total == 51
    # A store that cannot even be opened: same story.
    db.rename(db.with_suffix(".moved"))
    db.mkdir()
    client.get("/e/" + key, headers={"User-Agent": APP}, environ_base={"REMOTE_ADDR": "192.0.2.200"})
    recorder.flush()
    assert recorder.failed_writes == 2
    db.rmdir()
    db.with_suffix(".moved").rename(db)
    recorder.flush()
    assert audience_figures(site).total == 52


def test_a_full_queue_drops_and_counts(app: Flask) -> None:
    client = app.test_client()
    (key, _), *_ = _keys(app)
    client.get("/e/" + key, headers={"User-Agent": APP})
    recorder = _recorder(app)
    recorder.capacity = 0
    assert client.get("/e/" + key, headers={"User-Agent": APP}).status_code == 302
    assert recorder.dropped == 1
    recorder.flush()
    store = open_store(PodcastFolder(app.extensions[EXTENSION].site.root).stats_db)
    assert store.meta_count("hop_dropped") == 1
    store.close()


def test_the_hop_is_off_unless_asked(site: Path) -> None:
    _with_prefix(site, on=False)
    app = create_app(site, {"TESTING": True, "CLOCK": lambda: NOW, "RELOAD_INTERVAL": 0})
    (key, _), *_ = _keys(app)
    assert app.test_client().get("/e/" + key).status_code == 404


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        (None, 1000, 1000),
        ("bytes=0-1", 1000, 2),
        ("bytes=100-", 1000, 900),
        ("bytes=-200", 1000, 200),
        ("bytes=0-5000", 1000, 1000),
        ("bytes=0-1,5-9", 1000, 1000),
        ("items=0-1", 1000, 1000),
        ("bytes=x-", 10, 10),
    ],
)
def test_requested_bytes(header: str | None, size: int, expected: int) -> None:
    assert requested_bytes(header, size) == expected
