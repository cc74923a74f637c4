"""No request to the site answers 5xx: hostile paths and query strings thrown at every route."""

from __future__ import annotations

import random
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.fixtures.site import NOW, make_site
from web import create_app

SITE = "https://podcast.example.org/"
HUGE = "9" * 5000
# Values a hostile user types into any parameter: Unicode digits, numbers past int()'s digit limit,
# signs, NULs, broken URLs and percent-escapes, markup and schemes.
VALUES = (
    "",
    "²",
    "٣",
    "１",
    "𝟗",
    "Ⅻ",
    HUGE,
    "-1",
    "+1",
    "0",
    " 1",
    "1.5",
    "1e9",
    "0x10",
    "\x00",
    "%00",
    "%ff",
    "http://[::1",
    "http://%5B::1",
    "http://[::1]:99999/",
    "http://[v1.x]/",
    "https://podcast.example.org:99999999999/",
    "https://podcast.example.org:-1/",
    "https://podcast.example.org/episodes/" + HUGE + "/",
    SITE + "episodes/../../etc/passwd",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "//evil.example/",
    "<script>alert(1)</script>",
    "'\"><img src=x onerror=alert(1)>",
    "a" * 10_000,
)
PARAMETERS = ("season", "url", "maxwidth", "maxheight", "format", "callback", "v", "page")
PATHS = (
    "/",
    "/saison/1/",
    "/saison/" + HUGE + "/",
    "/saison/-1/",
    "/saison/²/",
    "/saison/٣/",
    "/episodes/premier-episode/",
    "/episodes/../../etc/passwd/",
    "/episodes/%00/",
    "/episodes/" + "a" * 5000 + "/",
    "/feed.xml",
    "/saison-1.xml",
    "/saison-" + HUGE + ".xml",
    "/saison-٣.xml",
    "/saison-².xml",
    "/saison--1.xml",
    "/%00.xml",
    "/api/episodes.json",
    "/oembed",
    "/oembed/premier-episode.json",
    "/oembed/%00.json",
    "/oembed/%2e%2e.json",
    "/oembed/" + HUGE + ".json",
    "/embed/",
    "/embed/premier-episode/",
    "/embed/%2e%2e/",
    "/studio/",
    "/studio/connexion",
    "/studio/deconnexion",
    "/studio/audience",
    "/studio/audience?from=" + HUGE + "&to=%ff",
    "/studio/episodes/premier-episode/",
    "/studio/episodes/%2e%2e/",
    "/studio/" + HUGE,
    "/studio/../users.json",
    "/studio/nouvel-episode/",
    "/studio/nouvel-episode/%2e%2e/",
    "/studio/notes/apercu",
    "/studio/notes/%2e%2e",
    "/studio/televersements/",
    "/studio/televersements/" + HUGE,
    "/studio/publier",
    "/studio/publications/x/",
    "/studio/publications/%00.json",
    "/studio/apercu/premier-episode/",
    "/studio/apercu/%2e%2e/audio",
    "/studio/apercu/premier-episode/lien",
    "/studio/invite/not-a-token/",
    "/studio/invite/" + HUGE + "/audio",
    "/studio/comptes/",
    "/studio/comptes/edith/",
    "/studio/comptes/..%2F..%2Fusers/",
    "/studio/comptes/%00/",
    "/studio/comptes/" + HUGE + "/",
    "/studio/emission/",
    "/studio/activite/",
    "/studio/activite/?page=" + HUGE,
    "/studio/activite/?page=%ff",
    "/media/",
    "/media/../podcast.toml",
    "/media/%2e%2e/podcast.toml",
    "/media/audio/%00.mp3",
    "/media/" + "a/" * 2000 + "x.mp3",
    "/media/%ed%b3%bf",
    "/api/episodes.json?season=%ff%fe",
    "/oembed?url=http%3A%2F%2F%5B%3A%3A1&maxwidth=%ff",
    "/static/../app.py",
    "/static/%2e%2e/app.py",
    "/static/" + HUGE,
    "/%ff%fe",
    "//evil.example/",
    "/" + HUGE,
)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, sample_mp3: Path) -> Flask:
    root = make_site(tmp_path_factory.mktemp("hostile") / "podcast", sample_mp3)
    return create_app(root, {"TESTING": True, "CLOCK": lambda: NOW, "RELOAD_INTERVAL": 0})


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def status(client: FlaskClient, path: str, method: str = "GET", **kwargs: object) -> int:
    """The status of a request, or 200 for oEmbed's 501, the answer its specification gives a format it lacks."""
    response = client.open(path, method=method, **kwargs)  # type: ignore[arg-type]
    response.get_data()
    response.close()
    if response.status_code == 501 and path == "/oembed":
        assert response.get_json()["status"] == 501
        return 200
    return response.status_code


def test_the_battery_covers_every_route(app: Flask) -> None:
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert rules == {
        "/",
        "/saison/<count:number>/",
        "/episodes/<slug>/",
        "/feed.xml",
        "/<name>.xml",
        "/api/episodes.json",
        "/oembed",
        "/oembed/<slug>.json",
        "/embed/",
        "/embed/<slug>/",
        "/studio/",
        "/studio/<path:rest>",
        "/studio/connexion",
        "/studio/deconnexion",
        "/studio/audience",
        "/studio/episodes/<slug>/",
        "/studio/nouvel-episode/",
        "/studio/nouvel-episode/<upload_id>/",
        "/studio/notes/apercu",
        "/studio/televersements/",
        "/studio/televersements/<upload_id>",
        "/studio/publier",
        "/studio/publications/<job_id>/",
        "/studio/publications/<job_id>.json",
        "/studio/apercu/<slug>/",
        "/studio/apercu/<slug>/audio",
        "/studio/apercu/<slug>/lien",
        "/studio/invite/<token>/",
        "/studio/invite/<token>/audio",
        "/studio/comptes/",
        "/studio/comptes/<name>/",
        "/studio/emission/",
        "/studio/activite/",
        "/media/<path:key>",
        "/static/<path:filename>",
    }, "a new route: add hostile paths for it above"


@pytest.mark.parametrize("path", PATHS, ids=range(len(PATHS)))
@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "POST"])
def test_no_hostile_path_is_a_server_error(client: FlaskClient, path: str, method: str) -> None:
    assert status(client, path, method) < 500


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
@pytest.mark.parametrize("path", ["/api/episodes.json", "/oembed", "/", "/feed.xml", "/embed/"])
def test_no_hostile_query_value_is_a_server_error(client: FlaskClient, path: str, value: str) -> None:
    for name in PARAMETERS:
        assert status(client, path, query_string={name: value}) < 500, name
    # And beside valid values, where the code goes further before it looks at the hostile one.
    valid = {"url": SITE + "episodes/premier-episode/", "maxwidth": "300", "maxheight": "200", "season": "1"}
    for name in ("url", "maxwidth", "maxheight", "season"):
        assert status(client, path, query_string={**valid, name: value}) < 500, name


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("season=%C2%B2", "'season' must be a season number"),
        ("season=" + HUGE, "'season' must be a season number"),
        ("season=%D9%A3", "'season' must be a season number"),
    ],
    ids=["superscript", "5000-digits", "arabic-indic"],
)
def test_api_answers_400_with_a_short_message_to_a_bad_season(
    client: FlaskClient, query: str, message: str
) -> None:
    response = client.get("/api/episodes.json?" + query)
    assert response.status_code == 400
    assert response.get_json() == {"error": message, "status": 400}


@pytest.mark.parametrize("name", ["maxwidth", "maxheight"])
@pytest.mark.parametrize("value", ["²", HUGE, "٣"], ids=["superscript", "5000-digits", "arabic-indic"])
def test_oembed_answers_400_to_a_bad_dimension(client: FlaskClient, name: str, value: str) -> None:
    response = client.get("/oembed", query_string={"url": SITE, name: value})
    assert response.status_code == 400
    assert response.get_json()["error"] == f"'{name}' must be a positive number of pixels"


@pytest.mark.parametrize("url", ["http://%5B::1", "http://[::1", "http://[::1]:99999/"])
def test_oembed_answers_400_to_a_malformed_url(client: FlaskClient, url: str) -> None:
    response = client.get("/oembed?url=" + quote(url, safe="%:/"))
    assert response.status_code == 400
    assert response.get_json()["error"] == "'url' is not a valid URL"


def test_season_feed_with_a_huge_or_foreign_number_is_404(client: FlaskClient) -> None:
    assert status(client, "/saison-" + HUGE + ".xml") == 404
    assert status(client, "/saison-٣.xml") == 404  # only ASCII digits name a season


def _character(rng: random.Random) -> str:
    code = rng.randrange(0x110000 - 0x800)
    return chr(code if code < 0xD800 else code + 0x800)  # no lone surrogates: no client can send one


def _random_text(rng: random.Random) -> str:
    """Up to 40 characters from anywhere in Unicode (surrogates and controls included), often digits."""
    alphabet = rng.choice(["0123456789²٣１𝟗", "/.%?&=#[]:@", "<>\"'\x00\n", ""])
    return "".join(
        rng.choice(alphabet) if alphabet and rng.random() < 0.6 else _character(rng)
        for _ in range(rng.randrange(41))
    )


# Seeded: the same thousand requests every run, so a failure can be run again.
_RNG = random.Random(10)
_QUERIES = [
    {rng_name: _random_text(_RNG) for rng_name in _RNG.sample(PARAMETERS, _RNG.randrange(1, 4))}
    for _ in range(200)
]
_PATHS = [
    _RNG.choice(["/", "/saison/", "/episodes/", "/embed/", "/media/", "/static/", "/saison-"])
    + _random_text(_RNG)
    for _ in range(200)
]


@pytest.mark.parametrize("path", ["/api/episodes.json", "/oembed", "/", "/embed/", "/feed.xml"])
def test_random_query_strings_are_never_a_server_error(client: FlaskClient, path: str) -> None:
    for query in _QUERIES:
        assert status(client, path, query_string=query) < 500, query


def test_random_paths_are_never_a_server_error(client: FlaskClient) -> None:
    for path in _PATHS:
        assert status(client, quote(path, safe="/%", errors="surrogatepass")) < 500, path
