"""The studio in the site: sign-in and its guards, roles, the home, editing, and nothing leaking out."""

from __future__ import annotations

import re
import stat
import time
from pathlib import Path

import lxml.html
import pytest
from flask import Flask
from flask.testing import FlaskClient

from podcaster.errors import CatalogueError, PodcasterError, Problem
from podcaster.studio import (
    Role,
    UploadCut,
    UploadError,
    WallClockError,
    add_user,
    from_wall_clock,
    set_password,
)
from tests.fixtures.site import DRAFT, NOW, make_site
from tests.test_web_boundary import _crawl
from web import create_app
from web.studio.errortexts import ERROR_TEXTS, messages, say
from web.studio.texts import texts

PASSWORD = "correct horse battery"
HTTPS = "https://podcast.example.org"
HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(1)> javascript:alert(1)'


def _app(root: Path, **config: object) -> Flask:
    settings = {"TESTING": True, "CLOCK": lambda: NOW, "RELOAD_INTERVAL": 0, "SECRET_KEY": "k" * 64}
    settings.update(config)
    return create_app(root, settings)


def _client(app: Flask) -> FlaskClient:
    client = app.test_client()
    # Over HTTPS, Flask-WTF wants a same-origin Referer, as a browser sends.
    client.environ_base.update({"HTTP_REFERER": HTTPS + "/studio/", "wsgi.url_scheme": "https"})
    return client


def _token(client: FlaskClient, path: str = "/studio/connexion") -> str:
    page = client.get(path, base_url=HTTPS)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert found, page.get_data(as_text=True)
    return found.group(1)


def _sign_in(client: FlaskClient, name: str, password: str = PASSWORD) -> int:
    data = {"csrf_token": _token(client), "name": name, "password": password}
    return client.post("/studio/connexion", data=data, base_url=HTTPS).status_code


@pytest.fixture
def studio(site_root: Path) -> Path:
    add_user(site_root, "edith", Role.EDITOR, PASSWORD)
    add_user(site_root, "arthur", Role.AUTHOR, PASSWORD)
    return site_root


@pytest.fixture
def app(studio: Path) -> Flask:
    return _app(studio)


@pytest.mark.parametrize(
    "path", ["/studio/", "/studio", "/studio/episodes/premier-episode/", "/studio/nulle-part", "/studio/x/y"]
)
def test_every_studio_url_sends_a_visitor_to_sign_in(app: Flask, path: str) -> None:
    response = _client(app).get(path, base_url=HTTPS, follow_redirects=False)
    assert response.status_code in (301, 302, 308)
    if response.status_code == 302:
        assert response.location.startswith("/studio/connexion")
    assert b"premier" not in response.data.replace(b"premier-episode", b"")


def test_the_sign_in_page_is_french_and_labelled(app: Flask) -> None:
    page = lxml.html.fromstring(_client(app).get("/studio/connexion", base_url=HTTPS).data)
    labels = {label.text_content().strip(): label.get("for") for label in page.cssselect("label")}
    assert labels == {"Identifiant": "name", "Mot de passe": "password"}
    assert page.get("lang") == "fr"
    assert page.cssselect("#password")[0].get("type") == "password"


def test_an_english_show_gets_english(tmp_path: Path, sample_mp3: Path) -> None:
    root = make_site(tmp_path / "en", sample_mp3, language="en")
    text = _client(_app(root)).get("/studio/connexion", base_url=HTTPS).get_data(as_text=True)
    assert "Username" in text and "Password" in text and 'lang="en"' in text


def test_signing_in_and_out(app: Flask) -> None:
    client = _client(app)
    response = client.post(
        "/studio/connexion",
        data={"csrf_token": _token(client), "name": "Edith", "password": PASSWORD, "next": "/studio/"},
        base_url=HTTPS,
    )
    assert response.status_code == 302 and response.location == "/studio/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    assert "Path=/studio/" in cookie
    home = client.get("/studio/", base_url=HTTPS)
    assert home.status_code == 200 and home.headers["Cache-Control"] == "no-store"
    assert "edith" in home.get_data(as_text=True)
    token = _token(client, "/studio/")
    assert client.post("/studio/deconnexion", data={"csrf_token": token}, base_url=HTTPS).status_code == 302
    assert client.get("/studio/", base_url=HTTPS).status_code == 302


def test_the_cookie_is_not_secure_on_loopback_only(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/studio/connexion", base_url="http://127.0.0.1:8093")
    assert "Secure" not in response.headers["Set-Cookie"]


@pytest.mark.parametrize(
    ("name", "password"),
    [
        ("edith", "wrong password!"),
        ("nobody", PASSWORD),
        ("../edith", PASSWORD),
        ("", ""),
        (HOSTILE, PASSWORD),
    ],
)
def test_wrong_credentials_are_refused(app: Flask, name: str, password: str) -> None:
    client = _client(app)
    data = {"csrf_token": _token(client), "name": name, "password": password}
    response = client.post("/studio/connexion", data=data, base_url=HTTPS)
    assert response.status_code == 401
    text = response.get_data(as_text=True)
    assert "Identifiant ou mot de passe incorrect." in text
    assert "<script>alert" not in text
    assert client.get("/studio/", base_url=HTTPS).status_code == 302


def test_missing_or_stale_csrf_tokens_are_refused(app: Flask) -> None:
    client = _client(app)
    data = {"name": "edith", "password": PASSWORD}
    missing = client.post("/studio/connexion", data=data, base_url=HTTPS)
    assert missing.status_code == 400
    assert "Rechargez la page" in missing.get_data(as_text=True)
    # A token from another session (another browser, or before signing out) is no good here.
    other = _token(_client(app))
    stale = client.post("/studio/connexion", data={**data, "csrf_token": other}, base_url=HTTPS)
    assert stale.status_code == 400
    assert client.get("/studio/", base_url=HTTPS).status_code == 302
    # Signed in, a form without its token changes nothing.
    assert _sign_in(client, "edith") == 302
    path = app.config["ROOT"] / "episodes/saison-1/premier-episode.md"
    before = path.read_bytes()
    form = _edit_form(client, "premier-episode")
    form.pop("csrf_token")
    assert client.post("/studio/episodes/premier-episode/", data=form, base_url=HTTPS).status_code == 400
    assert path.read_bytes() == before


def test_sign_in_attempts_are_rate_limited(studio: Path) -> None:
    app = _app(studio, STUDIO_SIGNIN_LIMIT="3 per minute")
    client = _client(app)
    codes = [_sign_in(client, "edith", "wrong password!") for _ in range(3)]
    assert codes == [401, 401, 401]
    blocked = client.post(
        "/studio/connexion",
        data={"csrf_token": _token(client), "name": "edith", "password": PASSWORD},
        base_url=HTTPS,
    )
    assert blocked.status_code == 429
    assert "Trop de tentatives" in blocked.get_data(as_text=True)
    assert client.get("/studio/", base_url=HTTPS).status_code == 302  # even the right password waits


def test_a_session_ends_after_inactivity(app: Flask) -> None:
    client = _client(app)
    assert _sign_in(client, "edith") == 302
    with client.session_transaction("/studio/", base_url=HTTPS) as session:
        session["seen"] = int(time.time()) - 61 * 60
    response = client.get("/studio/", base_url=HTTPS)
    assert response.status_code == 302 and "expired=1" in response.location
    assert client.get("/studio/", base_url=HTTPS).status_code == 302


def test_a_new_password_ends_other_sessions(app: Flask) -> None:
    client = _client(app)
    assert _sign_in(client, "edith") == 302
    assert client.get("/studio/", base_url=HTTPS).status_code == 200
    set_password(app.config["ROOT"], "edith", "a brand new password")
    assert client.get("/studio/", base_url=HTTPS).status_code == 302


def test_sign_in_never_redirects_to_another_site(app: Flask) -> None:
    client = _client(app)
    for target in ("https://evil.example/", "//evil.example/studio/", "/studio/..//evil", "/"):
        data = {"csrf_token": _token(client), "name": "edith", "password": PASSWORD, "next": target}
        response = client.post("/studio/connexion", data=data, base_url=HTTPS)
        assert response.location == "/studio/", target
        client.post("/studio/deconnexion", data={"csrf_token": _token(client, "/studio/")}, base_url=HTTPS)


def test_the_home_shows_states_checks_and_the_last_publish(app: Flask) -> None:
    client = _client(app)
    _sign_in(client, "edith")
    page = lxml.html.fromstring(client.get("/studio/", base_url=HTTPS).data)
    rows = {row.cssselect("th")[0].text_content().strip(): row for row in page.cssselect("tbody tr")}
    state = {title: row.cssselect(".state")[0].text_content() for title, row in rows.items()}
    assert state["Un brouillon"] == "Brouillon"
    assert state["Un épisode programmé"] == "Programmé"
    assert state["La saison 2 commence"] == "Publié"
    assert "Dernier épisode publié : « La saison 2 commence »" in page.text_content()
    assert page.cssselect("#checks-title")
    assert all(row.cssselect("a[href*='/studio/episodes/']") for row in rows.values())


def test_authors_see_and_edit_drafts_only(app: Flask) -> None:
    client = _client(app)
    _sign_in(client, "arthur")
    page = lxml.html.fromstring(client.get("/studio/", base_url=HTTPS).data)
    links = [a.get("href") for a in page.cssselect("tbody a")]
    assert links == [f"/studio/episodes/{DRAFT}/"]
    assert client.get("/studio/episodes/premier-episode/", base_url=HTTPS).status_code == 403
    path = app.config["ROOT"] / "episodes/saison-1/premier-episode.md"
    before = path.read_bytes()
    # A forged save (the form of a draft, posted to a published episode) is refused too.
    form = _edit_form(client, DRAFT)
    forged = client.post("/studio/episodes/premier-episode/", data=form, base_url=HTTPS)
    assert forged.status_code == 403 and path.read_bytes() == before
    form["title"] = "Brouillon revu par Arthur"
    saved = client.post(f"/studio/episodes/{DRAFT}/", data=form, base_url=HTTPS)
    assert saved.status_code == 302
    assert "Brouillon revu par Arthur" in (app.config["ROOT"] / f"episodes/saison-2/{DRAFT}.md").read_text()


def _edit_form(client: FlaskClient, slug: str) -> dict[str, str]:
    page = lxml.html.fromstring(client.get(f"/studio/episodes/{slug}/", base_url=HTTPS).data)
    form = page.cssselect("form.stack")[0]
    values = dict(form.form_values())
    values.setdefault("explicit", "show")
    return values


def test_editing_an_episode(app: Flask) -> None:
    client = _client(app)
    _sign_in(client, "edith")
    form = _edit_form(client, "premier-episode")
    assert form["date"] == "2023-01-25T09:00"  # shown in Paris time
    form.update(title="Le terrain, revu", date="2023-06-01T18:30", type="bonus", explicit="yes")
    response = client.post("/studio/episodes/premier-episode/", data=form, base_url=HTTPS)
    assert response.status_code == 302 and "done=saved" in response.location
    text = (app.config["ROOT"] / "episodes/saison-1/premier-episode.md").read_text()
    assert (
        'date: "2023-06-01T18:30:00+02:00"' in text and 'type: "bonus"' in text and "explicit: true" in text
    )
    page = client.get(response.location, base_url=HTTPS).get_data(as_text=True)
    assert "Modifications enregistrées." in page
    # The public site shows it at its next look at the files.
    assert "Le terrain, revu" in app.test_client().get("/episodes/premier-episode/").get_data(as_text=True)


def test_bad_values_are_shown_beside_their_field(app: Flask) -> None:
    client = _client(app)
    _sign_in(client, "edith")
    path = app.config["ROOT"] / "episodes/saison-1/premier-episode.md"
    before = path.read_bytes()
    form = _edit_form(client, "premier-episode")
    shown = {}
    for changes, field in (({"title": "  "}, "title"), ({"date": "2024-03-31T02:30"}, "date")):
        response = client.post("/studio/episodes/premier-episode/", data={**form, **changes}, base_url=HTTPS)
        assert response.status_code == 422
        page = lxml.html.fromstring(response.data)
        assert page.cssselect(f"#{field}-errors li"), field
        assert page.cssselect(f"#{field}")[0].get("aria-invalid") == "true"
        shown[field] = page.cssselect(f"#{field}-errors li")[0].text_content()
    # In the studio's language, though the library refuses the time in English (the clocks go forward).
    assert shown["date"].endswith(": Date invalide : 02:30 n’existe pas ce jour-là (on avance l’heure).")
    assert path.read_bytes() == before
    for bad in ({"type": "javascript:alert(1)"}, {"explicit": "<b>"}):
        assert (
            client.post("/studio/episodes/premier-episode/", data={**form, **bad}, base_url=HTTPS).status_code
            == 400
        )
    assert path.read_bytes() == before


def test_a_file_changed_since_the_form_was_loaded_is_not_overwritten(app: Flask) -> None:
    client = _client(app)
    _sign_in(client, "edith")
    form = _edit_form(client, "premier-episode")
    path = app.config["ROOT"] / "episodes/saison-1/premier-episode.md"
    theirs = path.read_text().replace("Premier épisode", "Changé ailleurs")
    path.write_text(theirs)
    form["title"] = "Mon titre à moi"
    response = client.post("/studio/episodes/premier-episode/", data=form, base_url=HTTPS)
    assert response.status_code == 409
    page = lxml.html.fromstring(response.data)
    versions = [pre.text_content() for pre in page.cssselect(".versions pre")]
    assert "Changé ailleurs" in versions[0] and "Mon titre à moi" in versions[1]
    assert path.read_text() == theirs


def test_hostile_text_is_kept_as_text_and_never_runs(app: Flask) -> None:
    client = _client(app)
    _sign_in(client, "edith")
    form = _edit_form(client, "premier-episode")
    form.update(
        title=HOSTILE, notes=f'{HOSTILE}\n\n[lien](javascript:alert(1)) <a href="javascript:alert(2)">x</a>'
    )
    assert client.post("/studio/episodes/premier-episode/", data=form, base_url=HTTPS).status_code == 302
    for path in ("/studio/", "/studio/episodes/premier-episode/"):
        page = lxml.html.fromstring(client.get(path, base_url=HTTPS).data)
        assert not page.cssselect("img[onerror], [href^='javascript']"), path
        # Only the studio's own scripts, from its static folder.
        assert all(script.get("src", "").startswith("/static/studio") for script in page.cssselect("script"))
    public = lxml.html.fromstring(app.test_client().get("/episodes/premier-episode/").data)
    assert not public.cssselect("main script, img[onerror], [href^='javascript']")


@pytest.mark.parametrize(
    "path",
    [
        "/.podcaster/users.json",
        "/studio/../.podcaster/users.json",
        "/media/../.podcaster/users.json",
        "/media/..%2F.podcaster%2Fusers.json",
        "/media/%2e%2e/.podcaster/users.json",
        "/media/..%252F.podcaster%252Fusers.json",
        "/static/../.podcaster/users.json",
        "/static/..%2F..%2F.podcaster/users.json",
        "/studio/episodes/..%2F..%2F.podcaster%2Fusers/",
        "/studio/.podcaster/users.json",
        "/episodes/..%2F..%2F.podcaster%2Fusers.json/",
        "/users.json",
        "/media/users.json",
    ],
)
def test_the_users_file_is_never_served(app: Flask, path: str) -> None:
    for client in (app.test_client(), _signed_in(app)):
        response = client.get(path, base_url=HTTPS)
        assert b"argon2" not in response.data and b'"users"' not in response.data, path
        assert response.status_code in (302, 308, 400, 404), (path, response.status_code)


def _signed_in(app: Flask) -> FlaskClient:
    client = _client(app)
    _sign_in(client, "edith")
    return client


def test_a_users_file_inside_the_storage_folder_is_still_not_the_one_served(app: Flask) -> None:
    # /media/ serves the publish target only: the users file is never in it.
    published = app.config["ROOT"] / "public"
    assert not list(published.rglob("users.json"))


def test_the_public_site_knows_nothing_of_the_studio(app: Flask) -> None:
    client = app.test_client()
    seen = _crawl(client)
    assert not [url for url in seen if "studio" in url]
    for url in seen:
        response = client.get(url)
        assert "Set-Cookie" not in response.headers, url
        if response.content_type.startswith(("text/", "application/")):
            assert b"/studio" not in response.data, url
        response.close()


def test_a_secret_key_is_made_once_in_the_instance_folder(studio: Path, tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    first = _app(studio, SECRET_KEY=None, INSTANCE_FOLDER=instance)
    client = _client(first)
    assert _sign_in(client, "edith") == 302
    key_file = instance / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key_file.read_text().strip()) >= 64
    assert first.config["SECRET_KEY"] == key_file.read_text().strip()
    # A restart reads the same key: sessions survive it.
    second = _app(studio, SECRET_KEY=None, INSTANCE_FOLDER=instance)
    second_client = second.test_client()
    second_client.environ_base.update(client.environ_base)
    for cookie in client._cookies.values():
        second_client.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    assert second_client.get("/studio/", base_url=HTTPS).status_code == 200
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    # The public site alone never makes one.
    untouched = tmp_path / "untouched"
    _app(studio, SECRET_KEY=None, INSTANCE_FOLDER=untouched).test_client().get("/")
    assert not untouched.exists()


def test_behind_a_trusted_proxy_limits_count_each_client(studio: Path) -> None:
    app = _app(studio, STUDIO_SIGNIN_LIMIT="2 per minute", TRUSTED_PROXIES=1)
    guesser, producer = _client(app), _client(app)
    guesser.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.7"
    producer.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.2"
    assert [_sign_in(guesser, "edith", "wrong password!") for _ in range(3)] == [401, 401, 429]
    assert _sign_in(producer, "edith") == 302


def test_forms_bigger_than_they_may_carry_are_refused_before_they_are_read(app: Flask, studio: Path) -> None:
    client = _client(app)
    token = _token(client)
    users = (studio / ".podcaster/users.json").read_bytes()
    big = {"csrf_token": token, "name": "edith", "password": "x" * (2 << 20)}
    answer = client.post("/studio/connexion", data=big, base_url=HTTPS)
    assert answer.status_code == 413
    assert "Rien n’a été enregistré" in answer.get_data(as_text=True)
    assert _sign_in(client, "edith") == 302  # the refusal cost nothing: signing in still works
    token = _token(client, "/studio/")
    huge = {"csrf_token": token, "action": "publish", "slug": "x" * (2 << 20)}
    assert client.post("/studio/publier", data=huge, base_url=HTTPS).status_code == 413
    assert (studio / ".podcaster/users.json").read_bytes() == users


def test_the_library_s_refusals_are_worded_in_the_studio_s_language() -> None:
    french, english = texts("fr"), texts("en")
    assert set(ERROR_TEXTS["fr"]) == set(ERROR_TEXTS["en"])
    cut = UploadCut(1_048_576, 2_000_000)
    assert say(cut, french) == (
        "La connexion s’est interrompue après 1\u202f048\u202f576 octets : l’envoi reprend là où il s’était arrêté."
    )
    assert say(cut, english).startswith("The connection dropped after 1,048,576 bytes:")
    assert str(cut) == "the request ended after 1,048,576 of 2,000,000 bytes"  # the CLI's and the logs' words
    refused = UploadError("x.mp3 is not an audio file", "upload_not_audio", status=415, name="<x>.mp3")
    assert say(refused, french).startswith("« <x>.mp3 » n’est pas un fichier audio")  # escaped by the page
    # A refusal without a text here keeps the library's words, every one of them.
    several = CatalogueError("two", problems=[Problem("a.md", "first"), Problem("b.md", "second")])
    assert messages(several, french) == ["first", "second"]
    assert say(PodcasterError("something else", code="unknown_here"), french) == "something else"
    with pytest.raises(WallClockError) as caught:
        from_wall_clock("demain", "Europe/Paris")
    assert isinstance(caught.value, ValueError)
    assert messages(caught.value, french) == ["Date invalide : « demain » n’est pas une date et une heure."]
