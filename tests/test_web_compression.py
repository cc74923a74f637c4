"""Compressed answers: every text the site sends (pages, feeds, JSON, CSS, JS, error pages) comes in
brotli or gzip when asked, with ``Vary: Accept-Encoding``; media files never do."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import brotli
import pytest
from flask.testing import FlaskClient

from tests.test_web import audio_key, client, fetch, make_app, published  # noqa: F401  (fixtures)

TEXT = (
    "/",
    "/saison/1/",
    "/episodes/premier-episode/",
    "/embed/",
    "/embed/premier-episode/",
    "/feed.xml",
    "/api/episodes.json",
    "/episodes/nothing-here/",  # the 404 page
)
DECODE = {"br": brotli.decompress, "gzip": gzip.decompress}


def _assets(client: FlaskClient) -> list[str]:  # noqa: F811
    page = client.get("/").get_data(as_text=True)
    found = re.findall(r'(/static/[^"?]+\.[0-9a-f]{10}\.(?:css|js))"', page)
    assert len(found) == 2, found
    return found


@pytest.mark.parametrize("coding", ["br", "gzip"])
def test_every_text_answer_is_compressed_when_asked(client: FlaskClient, coding: str) -> None:  # noqa: F811
    accept = "gzip, deflate, br" if coding == "br" else "gzip, deflate"
    for path in (*TEXT, *_assets(client)):
        plain = fetch(client, path)
        packed = fetch(client, path, headers={"Accept-Encoding": accept})
        assert packed.status_code == plain.status_code, path
        assert packed.headers.get("Content-Encoding") == coding, path
        assert "Accept-Encoding" in packed.headers["Vary"], path
        assert "Accept-Encoding" in plain.headers["Vary"], path
        assert plain.headers.get("Content-Encoding") is None, path
        assert DECODE[coding](packed.data) == plain.data, path
        assert int(packed.headers["Content-Length"]) == len(packed.data) < len(plain.data) / 2, path


def test_brotli_refused_gives_gzip_and_nothing_accepted_gives_identity(client: FlaskClient) -> None:  # noqa: F811
    css = _assets(client)[0]
    for path in ("/", css):
        assert (
            fetch(client, path, headers={"Accept-Encoding": "br;q=0, gzip"}).headers["Content-Encoding"]
            == "gzip"
        )
        refused = fetch(client, path, headers={"Accept-Encoding": "identity"})
        assert refused.headers.get("Content-Encoding") is None


def test_a_small_answer_stays_plain_and_still_varies(client: FlaskClient) -> None:  # noqa: F811
    url = "/oembed?url=https%3A%2F%2Fpodcast.example.org%2Fepisodes%2Fpremier-episode%2F"
    small = fetch(client, url, headers={"Accept-Encoding": "br, gzip"})
    assert len(small.data) < 1024  # compressing it would save a few bytes for the CPU it costs
    assert small.headers.get("Content-Encoding") is None
    assert "Accept-Encoding" in small.headers["Vary"]


def test_a_compressed_answer_revalidates(client: FlaskClient) -> None:  # noqa: F811
    for path in ("/", _assets(client)[1]):
        first = fetch(client, path, headers={"Accept-Encoding": "br"})
        etag = first.headers["ETag"]
        again = fetch(client, path, headers={"Accept-Encoding": "br", "If-None-Match": etag})
        assert again.status_code == 304, path
        # The same content in another coding is the same resource (weak comparison).
        other = fetch(client, path, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
        assert other.status_code == 304, path


def test_media_is_never_compressed(client: FlaskClient, published: Path) -> None:  # noqa: F811
    key = audio_key(published, "premier-episode")
    audio = fetch(client, f"/media/{key}", headers={"Accept-Encoding": "gzip, br"})
    assert audio.status_code == 200 and audio.headers.get("Content-Encoding") is None
    assert audio.data == (published / "public" / "media" / key).read_bytes()
    # Text in media/ too (a transcript): byte ranges must keep meaning the file's bytes.
    text = published / "public" / "media" / "transcripts" / "long.vtt"
    text.parent.mkdir(parents=True, exist_ok=True)
    text.write_text("WEBVTT\n\n" + "00:00.000 --> 00:01.000\nBonjour.\n\n" * 200, encoding="utf-8")
    whole = fetch(client, "/media/transcripts/long.vtt", headers={"Accept-Encoding": "gzip, br"})
    assert whole.status_code == 200 and whole.headers.get("Content-Encoding") is None
    assert whole.data == text.read_bytes()
    part = fetch(
        client, "/media/transcripts/long.vtt", headers={"Accept-Encoding": "gzip", "Range": "bytes=0-5"}
    )
    assert part.status_code == 206 and part.data == b"WEBVTT"


def test_studio_pages_are_not_compressed(published: Path) -> None:  # noqa: F811
    studio = make_app(published).test_client()
    answer = studio.get("/studio/connexion", headers={"Accept-Encoding": "gzip, br"})
    assert answer.status_code == 200 and b"csrf" in answer.data.lower()
    assert answer.headers.get("Content-Encoding") is None
