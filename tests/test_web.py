"""The site through Flask's test client: every route, status code and header, on a published test podcast."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from flask import Flask
from flask.testing import FlaskClient

from podcaster.errors import ConfigError
from podcaster.storage import open_storage
from tests.fixtures.site import (
    ALLOWED_ORIGIN,
    AUDIO_SECONDS,
    CHAPTERS,
    DRAFT,
    HOSTILE,
    LIVE,
    NOW,
    SCHEDULED,
    make_site,
)
from web import create_app
from web.i18n import clock_time, duration_text, iso_duration, long_date, size_text

SITE = "https://podcast.example.org/"
PAGES = ("/", "/saison/1/", "/saison/2/", *(f"/episodes/{slug}/" for slug in LIVE), "/embed/")
PAGES += tuple(f"/embed/{slug}/" for slug in LIVE)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, sample_mp3: Path) -> Path:
    """One published podcast shared by the read-only tests of this module."""
    return make_site(tmp_path_factory.mktemp("web") / "podcast", sample_mp3)


def make_app(root: Path, clock: Callable[[], datetime] = lambda: NOW, **config: Any) -> Flask:
    return create_app(root, {"TESTING": True, "CLOCK": clock, "RELOAD_INTERVAL": 0, **config})


@pytest.fixture(scope="module")
def client(published: Path) -> FlaskClient:
    return make_app(published).test_client()


def fetch(client: FlaskClient, path: str, **kwargs: Any) -> Any:
    """GET a file (static or media) and close it: send_file's open file must not outlive the test."""
    method = kwargs.pop("method", "GET")
    response = client.open(path, method=method, **kwargs)
    response.get_data()
    response.close()
    return response


def html(response: Any) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.get_data(as_text=True))


def audio_key(root: Path, slug: str) -> str:
    """The media path (under /media/) of an episode's audio, as publish stored it."""
    storage = open_storage("file://public", base=root)
    keys = [key for key in storage.list("media/audio/") if f"/{slug}-" in key]
    assert len(keys) == 1, keys
    return keys[0].removeprefix("media/")


# -- pages -------------------------------------------------------------------------------------------


def test_home_shows_the_show_its_seasons_and_live_episodes_only(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    page = html(response)
    assert page.get("lang") == "fr"
    assert page.findtext(".//h1") == "Penser le test"
    seasons = [h2.text_content().strip() for h2 in page.cssselect("section.season h2")]
    assert seasons == ["Saison 3", "Saison 2", "Saison 1"]
    titles = [a.text_content() for a in page.cssselect(".episode-title a")]
    assert "Premier épisode : le terrain" in titles and "La saison 2 commence" in titles
    assert "Un épisode programmé" not in titles and "Un brouillon" not in titles
    assert "arrivent bientôt" in page.cssselect("#saison-3")[0].getparent().getparent().text_content()
    artwork = page.cssselect("img.artwork")[0]
    assert artwork.get("alt") == "Visuel du podcast Penser le test"
    assert artwork.get("src").startswith(SITE + "media/artwork/cover-")


def test_home_offers_the_feed_to_copy_and_the_directories(client: FlaskClient) -> None:
    page = html(client.get("/"))
    field = page.get_element_by_id("adresse-rss")
    assert field.get("value") == SITE + "feed.xml" and field.get("readonly") is not None
    assert page.cssselect("label[for=adresse-rss]")
    assert page.cssselect("button[data-copy=adresse-rss]")[0].get("hidden") is not None  # shown by JS
    links = {a.text_content(): a.get("href") for a in page.cssselect(".directories a")}
    assert links["Apple Podcasts"] == "https://podcasts.apple.com/fr/podcast/id000000"
    assert list(links) == [
        "Apple Podcasts", "Spotify", "Deezer", "Amazon Music", "YouTube Music", "Pocket Casts",
        "AntennaPod", "Overcast", "Podcast Addict", "Podcast Index",
    ]  # fmt: skip
    # Each button shows its platform's icon, decorative beside the name that labels the link.
    for link in page.cssselect(".directories a"):
        icon = link.cssselect("svg")[0]
        assert icon.get("aria-hidden") == "true" and icon.cssselect("path, circle, rect")
    assert page.cssselect(".open-app a")[0].get("href") == "podcast://" + SITE.split("://")[1] + "feed.xml"
    alternates = page.cssselect('link[rel=alternate][type="application/rss+xml"]')
    assert [link.get("href") for link in alternates][:2] == [SITE + "feed.xml", SITE + "saison-1.xml"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_accessible_in_structure_and_light(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert len(response.data) < 100_000
    page = html(response)
    assert page.get("lang") == "fr"
    assert page.find(".//title").text_content().strip()
    assert len(page.cssselect("main")) == 1
    assert len(page.cssselect("h1")) == 1
    for image in page.cssselect("img"):
        assert image.get("alt") is not None
    for field in page.cssselect("input, textarea, select"):
        labelled = field.get("id") and page.cssselect(f"label[for={field.get('id')}]")
        assert labelled or field.getparent().tag == "label"
    if not path.startswith("/embed/"):
        assert page.cssselect("header") and page.cssselect("nav") and page.cssselect("footer")
        skip = page.cssselect("a.skip-link")[0]
        assert page.get_element_by_id(skip.get("href")[1:]).tag == "main"


def test_pages_with_their_assets_stay_under_100_kb(client: FlaskClient) -> None:
    assets = 0
    for path in ("/", *(f"/episodes/{slug}/" for slug in LIVE)):
        page = html(client.get(path))
        sources = [el.get("href") for el in page.cssselect("link[rel=stylesheet]")]
        sources += [el.get("src") for el in page.cssselect("script[src]")]
        assets = sum(len(fetch(client, source).data) for source in sources)
        assert len(client.get(path).data) + assets < 100_000, path
    assert assets > 0


def test_episode_page_has_player_chapters_notes_transcript_and_people(
    client: FlaskClient, published: Path
) -> None:
    response = client.get("/episodes/premier-episode/")
    assert response.status_code == 200
    page = html(response)
    assert page.findtext(".//h1") == "Premier épisode : le terrain"
    audio = page.cssselect("audio")[0]
    media_url = SITE + "media/" + audio_key(published, "premier-episode")
    assert audio.get("src") == media_url
    assert audio.get("preload") == "none" and audio.get("controls") is not None
    assert page.cssselect("time")[0].text == "25 janvier 2023"
    assert (
        f"Durée : {duration_text(AUDIO_SECONDS, 'fr')}"
        in page.cssselect(".episode-head .meta")[0].text_content()
    )
    chapters = page.cssselect(".chapters a")
    assert [a.get("href") for a in chapters] == [f"{media_url}#t={start:g}" for start, _ in CHAPTERS]
    assert [float(a.get("data-seek")) for a in chapters] == [start for start, _ in CHAPTERS]
    assert [a.cssselect(".chapter-title")[0].text for a in chapters] == [title for _, title in CHAPTERS]
    assert page.cssselect(".notes strong")[0].text == "rencontre"
    transcript = page.cssselect(".transcript a")[0]
    assert transcript.get("href").startswith(SITE + "media/transcripts/premier-episode-")
    assert transcript.get("type") == "text/vtt"
    guest = page.cssselect(".people a")[0]
    assert (guest.text, guest.get("href")) == ("Fatima Benali", "https://www.example.org/fatima")
    download = page.cssselect(".download a")[0]
    assert download.get("href") == media_url and download.get("download") is not None
    assert "MP3" in page.cssselect(".download")[0].text_content()
    pager = page.cssselect(".pager a[rel=next]")[0]
    assert pager.get("href") == "/episodes/episode-hostile/"


def test_episode_page_meta_tags_and_structured_data(client: FlaskClient, published: Path) -> None:
    page = html(client.get("/episodes/premier-episode/"))
    meta = {el.get("property") or el.get("name"): el.get("content") for el in page.cssselect("meta")}
    page_url = SITE + "episodes/premier-episode/"
    media_url = SITE + "media/" + audio_key(published, "premier-episode")
    assert meta["og:title"] == "Premier épisode : le terrain"
    assert meta["og:url"] == page_url
    assert meta["og:audio"] == media_url
    assert meta["og:image"].startswith(SITE + "media/artwork/")
    assert meta["twitter:card"] == "player"
    assert meta["twitter:player"] == SITE + "embed/premier-episode/"
    assert meta["twitter:player:stream"] == media_url
    assert page.cssselect("link[rel=canonical]")[0].get("href") == page_url
    oembed = page.cssselect('link[type="application/json+oembed"]')[0].get("href")
    # A fixed address, so a static host serves it as a file; the same document as /oembed?url=…
    assert oembed == SITE + "oembed/premier-episode.json"
    same = client.get("/oembed", query_string={"url": page_url}).get_json()
    assert fetch(client, oembed).get_json() == same
    data = json.loads(page.cssselect('script[type="application/ld+json"]')[0].text)
    assert data["@type"] == "PodcastEpisode"
    assert data["name"] == "Premier épisode : le terrain"
    assert data["datePublished"] == "2023-01-25T09:00:00+01:00"
    assert data["associatedMedia"]["contentUrl"] == media_url
    assert data["partOfSeries"]["@type"] == "PodcastSeries"
    assert data["partOfSeries"]["webFeed"] == SITE + "feed.xml"
    assert data["partOfSeason"]["seasonNumber"] == 1 and data["episodeNumber"] == 1
    assert data["timeRequired"] == iso_duration(AUDIO_SECONDS)


def test_home_structured_data_is_a_podcast_series(client: FlaskClient) -> None:
    data = json.loads(html(client.get("/")).cssselect('script[type="application/ld+json"]')[0].text)
    assert data["@type"] == "PodcastSeries" and data["webFeed"] == SITE + "feed.xml"


def test_episode_page_shows_the_embed_snippet_to_copy(client: FlaskClient) -> None:
    page = html(client.get("/episodes/premier-episode/"))
    snippet = page.get_element_by_id("code-integration").text
    frame = lxml.html.fragment_fromstring(snippet)
    assert frame.tag == "iframe"
    assert frame.get("src") == SITE + "embed/premier-episode/"
    assert frame.get("title") == "Premier épisode : le terrain — Lecteur audio"
    assert frame.get("height") == "200"


def test_season_page_lists_its_episodes_in_order(client: FlaskClient) -> None:
    page = html(client.get("/saison/1/"))
    assert page.findtext(".//h1") == "Saison 1"
    titles = [a.text_content() for a in page.cssselect(".episode-title a")]
    assert titles == ["Premier épisode : le terrain", HOSTILE]
    feed = page.cssselect('link[rel=alternate][type="application/rss+xml"]')
    assert SITE + "saison-1.xml" in [link.get("href") for link in feed]


@pytest.mark.parametrize(
    "path", ["/saison/9/", "/episodes/nope/", f"/episodes/{SCHEDULED}/", f"/episodes/{DRAFT}/", "/nope"]
)
def test_unknown_and_unpublished_pages_are_a_french_404(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.content_type == "text/html; charset=utf-8"
    page = html(response)
    assert page.get("lang") == "fr"
    assert page.findtext(".//h1") == "Page introuvable"
    assert page.cssselect("a.button")[0].get("href") == "/"


def test_scheduled_episode_appears_when_its_date_comes(published: Path) -> None:
    moment = [NOW]
    app = make_app(published, clock=lambda: moment[0])
    client = app.test_client()
    assert client.get(f"/episodes/{SCHEDULED}/").status_code == 404
    moment[0] = datetime(2030, 1, 1, 8, 0, 1, tzinfo=UTC)  # 09:00:01 in Paris
    assert client.get(f"/episodes/{SCHEDULED}/").status_code == 200
    assert "Un épisode programmé" in client.get("/").get_data(as_text=True)
    assert client.get(f"/episodes/{DRAFT}/").status_code == 404


def test_wrong_method_is_405_with_allow(client: FlaskClient) -> None:
    response = client.post("/")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert html(response).findtext(".//h1") == "Méthode non autorisée"


def test_pages_revalidate_and_compress(client: FlaskClient) -> None:
    first = client.get("/episodes/premier-episode/")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    again = client.get("/episodes/premier-episode/", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    zipped = client.get("/episodes/premier-episode/", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == first.data
    head = client.head("/episodes/premier-episode/")
    assert head.status_code == 200 and head.data == b""
    assert int(head.headers["Content-Length"]) == len(first.data)


def test_static_files_are_versioned_and_cached_long(client: FlaskClient) -> None:
    page = html(client.get("/"))
    stylesheet = page.cssselect("link[rel=stylesheet]")[0].get("href")
    # The name holds the content hash: a bucket or CDN, which ignore queries, can cache it for good.
    assert re.fullmatch(r"/static/site\.[0-9a-f]{10}\.css", stylesheet), stylesheet
    response = fetch(client, stylesheet)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.data == fetch(client, "/static/site.css").data
    assert "immutable" not in fetch(client, "/static/site.css").headers["Cache-Control"]
    assert fetch(client, stylesheet.replace(".css", "x.css")).status_code == 404
    assert fetch(client, "/static/site.0000000000.css").status_code == 404  # not its hash


def test_english_show_gets_an_english_interface(tmp_path: Path, sample_mp3: Path) -> None:
    root = make_site(tmp_path / "en", sample_mp3, language="en")
    client = make_app(root).test_client()
    page = html(client.get("/episodes/premier-episode/"))
    assert page.get("lang") == "en"
    assert page.cssselect("time")[0].text == "25 January 2023"
    assert page.cssselect(".chapters h2")[0].text == "Chapters"
    missing = html(client.get("/nope"))
    assert missing.get("lang") == "en" and missing.findtext(".//h1") == "Page not found"


# -- security headers and embeds -----------------------------------------------------------------------


def test_pages_may_only_be_framed_by_the_site_itself(client: FlaskClient) -> None:
    response = client.get("/episodes/premier-episode/")
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy and ALLOWED_ORIGIN not in policy
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/embed/", "/embed/premier-episode/"])
def test_embeds_may_be_framed_by_the_configured_ancestors(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert "X-Frame-Options" not in response.headers
    policy = response.headers["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {ALLOWED_ORIGIN}" in policy  # as the show's [website] restricts it


def test_frame_ancestors_setting_overrides_the_catalogue(published: Path) -> None:
    client = make_app(published, FRAME_ANCESTORS=["https://partenaire.example"]).test_client()
    policy = client.get("/embed/").headers["Content-Security-Policy"]
    assert "frame-ancestors https://partenaire.example" in policy


def test_embeds_may_be_framed_by_any_site_unless_the_show_restricts_it(
    tmp_path: Path, sample_mp3: Path
) -> None:
    root = make_site(tmp_path / "podcast", sample_mp3)
    toml = root / "podcast.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(
        "\n".join(line for line in text.splitlines() if "frame_ancestors" not in line), encoding="utf-8"
    )
    client = make_app(root).test_client()
    assert "frame-ancestors *" in client.get("/embed/premier-episode/").headers["Content-Security-Policy"]
    # The site's own pages stay unframeable by others.
    assert "frame-ancestors 'self'" in client.get("/").headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/embed/", "/embed/premier-episode/"])
def test_embed_themes_by_query(client: FlaskClient, path: str) -> None:
    for theme in ("light", "dark"):
        page = html(client.get(path, query_string={"theme": theme}))
        assert page.cssselect(f"body.embed.theme-{theme}")
        assert page.cssselect("meta[name=color-scheme]")[0].get("content") == theme
    # Without a theme, or an unknown one, the embed follows the visitor's system.
    for query in ({}, {"theme": "<b>"}):
        page = html(client.get(path, query_string=query))
        assert page.cssselect("body")[0].get("class") == "embed"
    assert html(client.get(path)).cssselect("body")[0].get("class") == "embed"  # not the cached dark one


def test_the_embed_code_offered_is_exactly_oembeds(client: FlaskClient) -> None:
    page = html(client.get("/episodes/premier-episode/"))
    offered = page.get_element_by_id("code-integration").text_content()
    data = client.get("/oembed", query_string={"url": SITE + "episodes/premier-episode/"}).get_json()
    assert offered == data["html"]
    frame = lxml.html.fragment_fromstring(offered)
    assert frame.get("height") == "200" and frame.get("src") == SITE + "embed/premier-episode/"


def test_the_embed_list_is_one_player_and_a_playlist(client: FlaskClient) -> None:
    page = html(client.get("/embed/"))
    assert len(page.cssselect("audio")) == 1
    items = page.cssselect("[data-playlist] li[data-src]")
    assert len(items) == len(LIVE) and items[0].get("aria-current") == "true"
    # Without JavaScript a play link opens the episode's audio.
    assert [item.cssselect("a[data-play]")[0].get("href") for item in items] == [
        item.get("data-src") for item in items
    ]


def test_embed_player_is_compact_and_links_to_the_site(client: FlaskClient) -> None:
    page = html(client.get("/embed/premier-episode/"))
    assert page.cssselect("body.embed audio[preload=none]")
    link = page.cssselect("h1 a")[0]
    assert link.get("href") == "/episodes/premier-episode/" and link.get("target") == "_blank"
    assert "noopener" in link.get("rel")
    listing = html(client.get("/embed/"))
    assert len(listing.cssselect(".embed-list li")) == len(LIVE)
    assert client.get(f"/embed/{SCHEDULED}/").status_code == 404


# -- feeds ---------------------------------------------------------------------------------------------


def test_feed_is_the_built_file_with_validators(client: FlaskClient, published: Path) -> None:
    response = client.get("/feed.xml")
    assert response.status_code == 200
    assert response.content_type == "application/rss+xml; charset=utf-8"
    assert response.data == (published / "feeds" / "feed.xml").read_bytes()
    assert response.headers["ETag"].startswith('"') and not response.headers["ETag"].startswith("W/")
    assert response.headers["Last-Modified"].endswith("GMT")
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert "Accept-Encoding" in response.headers["Vary"]


def test_feed_answers_304_to_revalidation(client: FlaskClient) -> None:
    first = client.get("/feed.xml")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    by_etag = client.get("/feed.xml", headers={"If-None-Match": etag})
    assert by_etag.status_code == 304 and by_etag.data == b""
    assert by_etag.headers["ETag"] == etag
    assert client.get("/feed.xml", headers={"If-None-Match": f'"other", {etag}'}).status_code == 304
    by_date = client.get("/feed.xml", headers={"If-Modified-Since": modified})
    assert by_date.status_code == 304
    stale = client.get("/feed.xml", headers={"If-None-Match": '"not-it"'})
    assert stale.status_code == 200 and stale.data == first.data
    old = format_datetime(datetime(2000, 1, 1, tzinfo=UTC), usegmt=True)
    assert client.get("/feed.xml", headers={"If-Modified-Since": old}).status_code == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110).
    mixed = client.get("/feed.xml", headers={"If-None-Match": '"not-it"', "If-Modified-Since": modified})
    assert mixed.status_code == 200


def test_feed_head_and_gzip(client: FlaskClient) -> None:
    plain = client.get("/feed.xml")
    head = client.head("/feed.xml")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == str(len(plain.data))
    assert head.headers["ETag"] == plain.headers["ETag"]
    zipped = client.get("/feed.xml", headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    assert zipped.headers["ETag"] != plain.headers["ETag"]
    assert client.get("/feed.xml", headers={"If-None-Match": zipped.headers["ETag"]}).status_code == 304
    refused = client.get("/feed.xml", headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers


def test_season_feeds(client: FlaskClient, published: Path) -> None:
    response = client.get("/saison-2.xml")
    assert response.status_code == 200
    assert response.data == (published / "feeds" / "saison-2.xml").read_bytes()
    assert client.get("/saison-9.xml").status_code == 404


def test_feed_is_rendered_by_the_library_when_not_built(tmp_path: Path, sample_mp3: Path) -> None:
    root = make_site(tmp_path / "unbuilt", sample_mp3, build_feeds=False)
    client = make_app(root).test_client()
    response = client.get("/feed.xml")
    assert response.status_code == 200
    assert response.content_type == "application/rss+xml; charset=utf-8"
    document = lxml.etree.fromstring(response.data)
    titles = document.xpath("/rss/channel/item/title/text()")
    assert sorted(titles) == sorted(["Premier épisode : le terrain", HOSTILE, "La saison 2 commence"])
    assert document.xpath(
        "/rss/channel/atom:link/@href", namespaces={"atom": "http://www.w3.org/2005/Atom"}
    ) == [SITE + "feed.xml"]
    season = lxml.etree.fromstring(client.get("/saison-1.xml").data)
    assert len(season.xpath("/rss/channel/item")) == 2
    again = client.get("/feed.xml", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_an_empty_built_feed_is_not_served(tmp_path: Path, sample_mp3: Path) -> None:
    # What a crash right after a build may leave (the feeds are not written durably): never a feed.
    root = make_site(tmp_path / "crashed", sample_mp3)
    (root / "feeds" / "feed.xml").write_bytes(b"")
    response = make_app(root).test_client().get("/feed.xml")
    assert response.status_code == 200
    titles = lxml.etree.fromstring(response.data).xpath("/rss/channel/item/title/text()")
    assert sorted(titles) == sorted(["Premier épisode : le terrain", HOSTILE, "La saison 2 commence"])


# -- media ---------------------------------------------------------------------------------------------


def test_media_serves_the_published_audio_with_ranges(client: FlaskClient, published: Path) -> None:
    key = audio_key(published, "premier-episode")
    data = (published / "public" / "media" / key).read_bytes()
    full = fetch(client, f"/media/{key}")
    assert full.status_code == 200 and full.data == data
    assert full.content_type == "audio/mpeg"
    assert full.headers["Accept-Ranges"] == "bytes"
    assert full.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert full.headers["Content-Length"] == str(len(data))
    part = fetch(client, f"/media/{key}", headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.data == data[:100]
    assert part.headers["Content-Range"] == f"bytes 0-99/{len(data)}"
    tail = fetch(client, f"/media/{key}", headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.data == data[-10:]
    middle = fetch(client, f"/media/{key}", headers={"Range": f"bytes=1000-{len(data) + 50}"})
    assert middle.status_code == 206 and middle.data == data[1000:]
    past = fetch(client, f"/media/{key}", headers={"Range": f"bytes={len(data) + 10}-"})
    assert past.status_code == 416
    assert past.headers["Content-Range"] == f"bytes */{len(data)}"
    head = fetch(client, f"/media/{key}", method="HEAD")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == str(len(data))
    assert fetch(client, f"/media/{key}", headers={"If-None-Match": full.headers["ETag"]}).status_code == 304


def test_media_content_types_come_from_storage(client: FlaskClient, published: Path) -> None:
    page = html(fetch(client, "/"))
    artwork = page.cssselect("img.artwork")[0].get("src").removeprefix(SITE)
    response = fetch(client, "/" + artwork)
    assert response.status_code == 200 and response.content_type == "image/jpeg"
    transcript = html(fetch(client, "/episodes/premier-episode/")).cssselect(".transcript a")[0].get("href")
    served = fetch(client, "/" + transcript.removeprefix(SITE))
    assert served.status_code == 200 and served.content_type.startswith("text/vtt")
    assert served.data.startswith(b"WEBVTT")


@pytest.mark.parametrize(
    "path",
    [
        "/media/../podcast.toml",
        "/media/%2e%2e/podcast.toml",
        "/media/..%2fpodcast.toml",
        "/media/.podcaster-meta/x.json",
        "/media/audio/nope.mp3",
        "/media/",
        "/media//etc/passwd",
        "/media/%2fetc/passwd",
    ],
)
def test_media_never_serves_outside_the_storage(client: FlaskClient, path: str) -> None:
    response = fetch(client, path, follow_redirects=True)  # "//" is merged by a redirect, then refused
    assert response.status_code == 404
    assert b"[show]" not in response.data and b"root:" not in response.data


def test_media_refuses_links_out_of_the_storage(tmp_path: Path, sample_mp3: Path) -> None:
    root = make_site(tmp_path / "linked", sample_mp3)
    (root / "public" / "media" / "escape.toml").symlink_to(root / "podcast.toml")
    assert fetch(make_app(root).test_client(), "/media/escape.toml").status_code == 404


def test_media_is_off_when_disabled(published: Path) -> None:
    client = make_app(published, SERVE_MEDIA=False).test_client()
    assert fetch(client, f"/media/{audio_key(published, 'premier-episode')}").status_code == 404


def test_media_dir_setting_names_another_folder(published: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(published / "public", elsewhere)
    client = make_app(published, MEDIA_DIR=elsewhere).test_client()
    key = audio_key(published, "premier-episode")
    (published / "public" / "media" / key).rename(tmp_path / "moved.mp3")
    try:
        assert fetch(client, f"/media/{key}").status_code == 200
    finally:
        (tmp_path / "moved.mp3").rename(published / "public" / "media" / key)


# -- JSON API and oEmbed -------------------------------------------------------------------------------


def test_api_lists_live_episodes_as_json(client: FlaskClient, published: Path) -> None:
    response = client.get("/api/episodes.json")
    assert response.status_code == 200
    assert response.content_type == "application/json; charset=utf-8"
    document = response.get_json()
    assert document["version"] == 1
    assert document["show"]["title"] == "Penser le test" and document["show"]["feed"] == SITE + "feed.xml"
    episodes = document["episodes"]
    assert [episode["slug"] for episode in episodes] == [
        "saison-2-debut",
        "episode-hostile",
        "premier-episode",
    ]
    first = episodes[-1]
    assert first["url"] == SITE + "episodes/premier-episode/"
    assert first["audio"]["url"] == SITE + "media/" + audio_key(published, "premier-episode")
    assert first["date"] == "2023-01-25T09:00:00+01:00"
    # The same document podcaster build wrote for the whole show.
    assert response.data == (published / "feeds" / "episodes.json").read_bytes()
    assert response.headers["ETag"]
    again = client.get("/api/episodes.json", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_api_filters_by_season(client: FlaskClient) -> None:
    document = client.get("/api/episodes.json?season=2").get_json()
    assert [episode["slug"] for episode in document["episodes"]] == ["saison-2-debut"]
    assert client.get("/api/episodes.json?season=3").get_json()["episodes"] == []
    bad = client.get("/api/episodes.json?season=deux")
    assert bad.status_code == 400 and bad.content_type == "application/json"
    assert "error" in bad.get_json()
    assert client.get("/api/episodes.json?season=9").status_code == 404


def test_api_cors_for_allowed_origins_only(client: FlaskClient) -> None:
    allowed = client.get("/api/episodes.json", headers={"Origin": ALLOWED_ORIGIN})
    assert allowed.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "Origin" in allowed.headers["Vary"]
    denied = client.get("/api/episodes.json", headers={"Origin": "https://evil.example"})
    assert denied.status_code == 200
    assert "Access-Control-Allow-Origin" not in denied.headers
    assert "Origin" in denied.headers["Vary"]


def test_api_cors_preflight(client: FlaskClient) -> None:
    preflight = client.options(
        "/api/episodes.json",
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "If-None-Match",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Headers"] == "If-None-Match"
    denied = client.options(
        "/api/episodes.json",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert denied.status_code == 403
    assert "Access-Control-Allow-Origin" not in denied.headers


def test_allowed_origins_setting_adds_origins(published: Path) -> None:
    client = make_app(published, ALLOWED_ORIGINS=["https://autre.example"]).test_client()
    response = client.get("/api/episodes.json", headers={"Origin": "https://autre.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://autre.example"
    response = client.get("/api/episodes.json", headers={"Origin": ALLOWED_ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN


def test_oembed_for_an_episode(client: FlaskClient) -> None:
    url = SITE + "episodes/premier-episode/"
    response = client.get(
        "/oembed", query_string={"url": url, "format": "json"}, headers={"Origin": ALLOWED_ORIGIN}
    )
    assert response.status_code == 200
    assert response.content_type == "application/json; charset=utf-8"
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    data = response.get_json()
    assert data["version"] == "1.0" and data["type"] == "rich"
    assert data["title"] == "Premier épisode : le terrain"
    assert data["provider_name"] == "Penser le test" and data["provider_url"] == SITE
    assert isinstance(data["width"], int) and isinstance(data["height"], int)
    frame = lxml.html.fragment_fromstring(data["html"])
    assert frame.tag == "iframe" and frame.get("src") == SITE + "embed/premier-episode/"
    assert frame.get("width") == str(data["width"]) and frame.get("height") == str(data["height"])


def test_oembed_sizes_the_frame_and_covers_the_home_page(client: FlaskClient) -> None:
    url = SITE + "episodes/premier-episode/"
    small = client.get("/oembed", query_string={"url": url, "maxwidth": "300", "maxheight": "150"}).get_json()
    assert (small["width"], small["height"]) == (300, 150)
    home = client.get("/oembed", query_string={"url": SITE}).get_json()
    assert lxml.html.fragment_fromstring(home["html"]).get("src") == SITE + "embed/"


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"url": SITE + "episodes/nope/"}, 404),
        ({"url": SITE + f"episodes/{SCHEDULED}/"}, 404),
        ({"url": "https://ailleurs.example/episodes/premier-episode/"}, 404),
        ({"url": SITE + "saison/1/"}, 404),
        ({"url": "javascript:alert(1)"}, 404),
        ({"url": SITE + "episodes/premier-episode/", "format": "xml"}, 501),
        ({}, 400),
        ({"url": SITE, "maxwidth": "large"}, 400),
    ],
)
def test_oembed_errors(client: FlaskClient, query: dict[str, str], status: int) -> None:
    response = client.get("/oembed", query_string=query)
    assert response.status_code == status
    assert response.content_type == "application/json"


# -- user-written text is never markup -----------------------------------------------------------------


@pytest.mark.parametrize("path", [*PAGES, "/episodes/episode-hostile/", "/embed/episode-hostile/"])
def test_hostile_text_is_shown_as_text(client: FlaskClient, path: str) -> None:
    page = html(client.get(path))
    for script in page.iter("script"):
        assert "alert" not in (script.get("src") or "")
        if script.get("type") == "application/ld+json":
            json.loads(script.text)  # still valid: nothing broke out of it
        else:
            assert not (script.text or "").strip()
    for element in page.iter():
        if not isinstance(element.tag, str):
            continue
        assert not any(name.startswith("on") for name in element.attrib), lxml.html.tostring(element)
        for name in ("href", "src"):
            assert not (element.get(name) or "").strip().lower().startswith("javascript:")
    if path in ("/", "/saison/1/", "/episodes/episode-hostile/", "/embed/", "/embed/episode-hostile/"):
        assert HOSTILE in page.text_content()


def test_hostile_title_in_structured_data_cannot_close_the_script(client: FlaskClient) -> None:
    text = client.get("/episodes/episode-hostile/").get_data(as_text=True)
    assert '</script> "' not in text
    page = html(client.get("/episodes/episode-hostile/"))
    data = json.loads(page.cssselect('script[type="application/ld+json"]')[0].text)
    assert data["name"] == HOSTILE


def test_hostile_text_in_json_is_data(client: FlaskClient) -> None:
    response = client.get("/api/episodes.json")
    assert b"<script>" not in response.data  # escaped as \\u003c, so even inlined in HTML it stays text
    titles = [episode["title"] for episode in response.get_json()["episodes"]]
    assert HOSTILE in titles
    url = SITE + "episodes/episode-hostile/"
    data = client.get("/oembed", query_string={"url": url}).get_json()
    assert data["title"] == HOSTILE
    frame = lxml.html.fragment_fromstring(data["html"])
    assert frame.get("title") == f"{HOSTILE} — Lecteur audio"
    assert len(lxml.html.fragment_fromstring(f"<div>{data['html']}</div>")) == 1  # one element: the iframe


# -- reloading and errors ------------------------------------------------------------------------------


def test_edits_show_up_without_a_restart(tmp_path: Path, sample_mp3: Path) -> None:
    root = make_site(tmp_path / "edited", sample_mp3)
    client = make_app(root).test_client()
    assert "Premier épisode : le terrain" in client.get("/").get_data(as_text=True)
    path = root / "episodes" / "saison-1" / "premier-episode.md"
    path.write_text(path.read_text(encoding="utf-8").replace("le terrain", "la ville"), encoding="utf-8")
    assert "Premier épisode : la ville" in client.get("/").get_data(as_text=True)
    # A broken edit keeps the last good catalogue online.
    path.write_text("---\ntitle: [oops\n---\n", encoding="utf-8")
    response = client.get("/")
    assert response.status_code == 200 and "Premier épisode : la ville" in response.get_data(as_text=True)


def test_rebuilt_feed_is_served_at_once(tmp_path: Path, sample_mp3: Path) -> None:
    root = make_site(tmp_path / "rebuilt", sample_mp3)
    client = make_app(root).test_client()
    etag = client.get("/feed.xml").headers["ETag"]
    feed = root / "feeds" / "feed.xml"
    feed.write_bytes(feed.read_bytes().replace(b"Penser le test", b"Penser le test bis"))
    response = client.get("/feed.xml", headers={"If-None-Match": etag})
    assert response.status_code == 200 and b"Penser le test bis" in response.data


def test_reload_interval_throttles_file_checks(tmp_path: Path, sample_mp3: Path) -> None:
    root = make_site(tmp_path / "throttled", sample_mp3)
    client = make_app(root, RELOAD_INTERVAL=3600).test_client()
    assert client.get("/episodes/premier-episode/").status_code == 200
    path = root / "episodes" / "saison-1" / "premier-episode.md"
    path.write_text(path.read_text(encoding="utf-8").replace("le terrain", "la ville"), encoding="utf-8")
    assert "le terrain" in client.get("/episodes/premier-episode/").get_data(as_text=True)


def test_a_catalogue_that_never_loaded_is_a_french_503(tmp_path: Path, sample_mp3: Path) -> None:
    root = make_site(tmp_path / "broken", sample_mp3)
    (root / "episodes" / "saison-1" / "premier-episode.md").write_text("---\ntitle: [oops\n---\n")
    client = make_app(root).test_client()
    response = client.get("/")
    assert response.status_code == 503
    page = html(response)
    assert page.get("lang") == "fr" and page.findtext(".//h1") == "Une erreur est survenue"
    assert "oops" not in response.get_data(as_text=True)  # details go to the log, not to the public
    assert client.get("/api/episodes.json").status_code == 503


# -- configuration -------------------------------------------------------------------------------------


def test_settings_come_from_the_environment(
    published: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PODCASTER_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("PODCASTER_ROOT", str(published))
    monkeypatch.setenv("PODCASTER_ALLOWED_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("PODCASTER_RELOAD_INTERVAL", "0")
    monkeypatch.setenv("PODCASTER_SERVE_MEDIA", "no")
    app = create_app()
    assert app.config["ROOT"] == published.resolve()
    assert app.config["ALLOWED_ORIGINS"] == ("https://a.example", "https://b.example")
    assert app.config["RELOAD_INTERVAL"] == 0.0 and app.config["SERVE_MEDIA"] is False
    assert app.config.get("SECRET_KEY") is None  # no sessions, no secret, no dev default


def test_podcaster_now_previews_a_release(
    published: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PODCASTER_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("PODCASTER_NOW", "2030-01-01T09:00:00+01:00")
    app = create_app(published)
    assert app.test_client().get(f"/episodes/{SCHEDULED}/").status_code == 200
    # Read once: the site's clock is the moment the library's settings hold (publish, the hop…).
    assert app.config["CLOCK"]() == app.config["LIBRARY_SETTINGS"].now == datetime(2030, 1, 1, 8, tzinfo=UTC)
    monkeypatch.setenv("PODCASTER_NOW", "2030-01-01T09:00:00")
    with pytest.raises(ConfigError, match=r"PODCASTER_NOW.*time zone"):
        create_app(published)


def test_a_bad_environment_value_names_the_variable(
    published: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PODCASTER_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("PODCASTER_RELOAD_INTERVAL", "souvent")
    with pytest.raises(ConfigError, match="PODCASTER_RELOAD_INTERVAL"):
        create_app(published)


def test_instance_file_then_environment_then_test_config(
    published: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "config.toml").write_text("page_max_age = 60\nfeed_max_age = 61\napi_max_age = 62\n")
    monkeypatch.setenv("PODCASTER_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("PODCASTER_FEED_MAX_AGE", "71")
    app = create_app(published, {"API_MAX_AGE": 82})
    assert (app.config["PAGE_MAX_AGE"], app.config["FEED_MAX_AGE"], app.config["API_MAX_AGE"]) == (60, 71, 82)
    (tmp_path / "config.toml").write_text("colour = 'blue'\n")
    with pytest.raises(ConfigError, match="colour"):
        create_app(published)


def test_no_podcast_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PODCASTER_ROOT", raising=False)
    monkeypatch.setenv("PODCASTER_INSTANCE_PATH", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"podcast\.toml"):
        create_app()
    with pytest.raises(ConfigError, match=r"podcast\.toml"):
        create_app(tmp_path)


# -- French, by hand -----------------------------------------------------------------------------------


def test_dates_durations_and_sizes_in_french_and_english() -> None:
    assert long_date(datetime(2023, 1, 25, 9, tzinfo=UTC), "fr") == "25 janvier 2023"
    assert long_date(datetime(2023, 3, 1, tzinfo=UTC), "fr-FR") == "1er mars 2023"
    assert long_date(datetime(2023, 8, 1, tzinfo=UTC), "en-GB") == "1 August 2023"
    assert duration_text(35 * 60 + 12, "fr") == "35 min"
    assert duration_text(65 * 60, "fr") == "1 h 05"
    assert duration_text(65 * 60, "en") == "1 h 5 min"
    assert duration_text(120 * 60, "fr") == "2 h"
    assert duration_text(44.6, "fr") == "45 s"
    assert clock_time(754.9) == "12:34" and clock_time(3723) == "1:02:03"
    assert iso_duration(2112) == "PT35M12S" and iso_duration(3600) == "PT1H" and iso_duration(0) == "PT0S"
    assert size_text(32_400_000, "fr") == "32,4 Mo" and size_text(32_000_000, "en") == "32 MB"
    assert size_text(48_685, "fr") == "49 ko"


def test_month_names_do_not_depend_on_the_system_locale(client: FlaskClient) -> None:
    # The pages were rendered above under whatever locale this machine has; the month is still French.
    assert "novembre 2023" in client.get("/saison/2/").get_data(as_text=True)
