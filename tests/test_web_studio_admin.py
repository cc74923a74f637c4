"""Admins in the browser: accounts, the show's settings, the activity log, and each change as a git commit."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import lxml.html
import pytest
from flask import Flask
from flask.testing import FlaskClient

from podcaster.studio import Activity, Role, add_user, load_users, recent_activity, record_activity
from tests.fixtures.audio import make_jpeg
from tests.fixtures.site import NOW
from tests.test_web_studio import HOSTILE, HTTPS, PASSWORD, _app, _client, _sign_in, _token

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def studio(site_root: Path) -> Path:
    add_user(site_root, "ada", Role.ADMIN, PASSWORD)
    add_user(site_root, "edith", Role.EDITOR, PASSWORD)
    add_user(site_root, "arthur", Role.AUTHOR, PASSWORD)
    return site_root


@pytest.fixture
def app(studio: Path) -> Flask:
    return _app(studio)


def _signed_in(app: Flask, name: str = "ada", password: str = PASSWORD) -> FlaskClient:
    client = _client(app)
    assert _sign_in(client, name, password) == 302
    return client


def _post(client: FlaskClient, path: str, data: dict[str, object], token_from: str | None = None) -> object:
    data = {"csrf_token": _token(client, token_from or path), **data}
    return client.post(path, data=data, base_url=HTTPS)


def _text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined, no-any-return]


# -- who sees what ---------------------------------------------------------------------------------

ADMIN_PAGES = ["/studio/comptes/", "/studio/comptes/edith/", "/studio/emission/"]


def test_admins_see_the_admin_pages_in_the_navigation(app: Flask) -> None:
    home = lxml.html.fromstring(_signed_in(app).get("/studio/", base_url=HTTPS).data)
    links = {a.text_content(): a.get("href") for a in home.cssselect("header nav a")}
    assert links["Comptes"] == "/studio/comptes/"
    assert links["Émission"] == "/studio/emission/"
    assert links["Journal"] == "/studio/activite/"
    for path in [*ADMIN_PAGES, "/studio/activite/"]:
        assert _signed_in(app).get(path, base_url=HTTPS).status_code == 200, path


@pytest.mark.parametrize("name", ["edith", "arthur"])
def test_editors_and_authors_get_no_link_and_a_403(app: Flask, studio: Path, name: str) -> None:
    client = _signed_in(app, name)
    home = _text(client.get("/studio/", base_url=HTTPS))
    assert "/studio/comptes/" not in home and "/studio/emission/" not in home
    assert ("/studio/activite/" in home) == (name == "edith")
    for path in ADMIN_PAGES:
        assert client.get(path, base_url=HTTPS).status_code == 403, path
    assert client.get("/studio/activite/", base_url=HTTPS).status_code == (200 if name == "edith" else 403)
    users, toml = (studio / ".podcaster/users.json").read_bytes(), (studio / "podcast.toml").read_bytes()
    token = _token(client, "/studio/")
    forged = [
        (
            "/studio/comptes/",
            {"name": "mallory", "role": "admin", "password": "x" * 12, "password2": "x" * 12},
        ),
        ("/studio/comptes/" + name + "/", {"action": "role", "role": "admin"}),
        ("/studio/comptes/ada/", {"action": "password", "password": "x" * 12, "password2": "x" * 12}),
        ("/studio/comptes/ada/", {"action": "remove", "confirm": "yes"}),
        ("/studio/emission/", {"title": "Pris", "feed": "https://evil.example/feed.xml"}),
    ]
    for path, data in forged:
        answer = client.post(path, data={"csrf_token": token, **data}, base_url=HTTPS)
        assert answer.status_code == 403, path
    assert (studio / ".podcaster/users.json").read_bytes() == users
    assert (studio / "podcast.toml").read_bytes() == toml


def test_admin_forms_need_a_fresh_csrf_token(app: Flask, studio: Path) -> None:
    client = _signed_in(app)
    users = (studio / ".podcaster/users.json").read_bytes()
    form = {"name": "mallory", "role": "admin", "password": "x" * 12, "password2": "x" * 12}
    for token in (None, "stale-or-forged"):
        data = form if token is None else {**form, "csrf_token": token}
        assert client.post("/studio/comptes/", data=data, base_url=HTTPS).status_code == 400
        removal = {"action": "remove", "confirm": "yes"} | ({} if token is None else {"csrf_token": token})
        assert client.post("/studio/comptes/edith/", data=removal, base_url=HTTPS).status_code == 400
        settings = {"title": "x"} | ({} if token is None else {"csrf_token": token})
        assert client.post("/studio/emission/", data=settings, base_url=HTTPS).status_code == 400
    assert (studio / ".podcaster/users.json").read_bytes() == users


# -- accounts --------------------------------------------------------------------------------------


def test_the_accounts_page_lists_names_and_roles(app: Flask) -> None:
    page = lxml.html.fromstring(_signed_in(app).get("/studio/comptes/", base_url=HTTPS).data)
    rows = [
        [cell.text_content().strip() for cell in row.cssselect("th, td")][:2]
        for row in page.cssselect("tbody tr")
    ]
    assert rows == [["ada (vous)", "administration"], ["arthur", "autrice ou auteur"], ["edith", "édition"]]


def test_an_admin_adds_an_account_that_can_sign_in(app: Flask, studio: Path) -> None:
    client = _signed_in(app)
    answer = _post(
        client,
        "/studio/comptes/",
        {"name": "Zoe.B", "role": "editor", "password": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert answer.status_code == 302
    listed = _text(client.get(answer.location, base_url=HTTPS))  # type: ignore[attr-defined]
    assert "Compte « zoe.b » ajouté." in listed
    assert load_users(studio)["zoe.b"].role is Role.EDITOR
    assert _sign_in(_client(app), "zoe.b", NEW_PASSWORD) == 302
    entry = recent_activity(studio)[0]
    assert (entry.who, entry.action, entry.subject, entry.detail) == ("ada", "user-added", "zoe.b", "editor")
    # The password is nowhere but as its hash.
    for path in (studio / ".podcaster").rglob("*"):
        if path.is_file():
            assert NEW_PASSWORD.encode() not in path.read_bytes(), path


@pytest.mark.parametrize(
    ("name", "password", "again", "field", "message"),
    [
        ("../edith", NEW_PASSWORD, NEW_PASSWORD, "name", "Identifiant invalide"),
        (HOSTILE, NEW_PASSWORD, NEW_PASSWORD, "name", "Identifiant invalide"),
        ("javascript:alert(1)", NEW_PASSWORD, NEW_PASSWORD, "name", "Identifiant invalide"),
        ("edith", NEW_PASSWORD, NEW_PASSWORD, "name", "Un compte « edith » existe déjà."),
        ("zoe", "petit", "petit", "password", "trop court"),
        ("zoe", "x" * 2000, "x" * 2000, "password", "trop long"),
        ("zoe", NEW_PASSWORD, NEW_PASSWORD + "!", "password", "ne sont pas identiques"),
    ],
)
def test_a_bad_new_account_is_refused_beside_its_field(
    app: Flask, studio: Path, name: str, password: str, again: str, field: str, message: str
) -> None:
    client = _signed_in(app)
    before = (studio / ".podcaster/users.json").read_bytes()
    answer = _post(
        client, "/studio/comptes/", {"name": name, "role": "author", "password": password, "password2": again}
    )
    assert answer.status_code == 422  # type: ignore[attr-defined]
    text = _text(answer)
    page = lxml.html.fromstring(text)
    assert message in page.cssselect(f"#{field}-errors")[0].text_content()
    assert page.cssselect(f"#{field}")[0].get("aria-invalid") == "true"
    assert password not in text  # never echoed back
    assert all(not field.get("value") for field in page.cssselect("input[type=password]"))
    assert not page.cssselect("script, img[onerror], [href^='javascript']")
    assert (studio / ".podcaster/users.json").read_bytes() == before


def test_an_admin_changes_a_role_resets_a_password_and_removes_an_account(app: Flask, studio: Path) -> None:
    client = _signed_in(app)
    edith = _signed_in(app, "edith")
    changed = _post(client, "/studio/comptes/edith/", {"action": "role", "role": "admin"})
    assert changed.status_code == 302  # type: ignore[attr-defined]
    assert "« edith » est maintenant : administration." in _text(client.get(changed.location, base_url=HTTPS))  # type: ignore[attr-defined]
    assert load_users(studio)["edith"].role is Role.ADMIN
    reset = _post(
        client,
        "/studio/comptes/edith/",
        {"action": "password", "password": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert reset.status_code == 302  # type: ignore[attr-defined]
    assert edith.get("/studio/", base_url=HTTPS).status_code == 302  # her old session ended
    assert _sign_in(_client(app), "edith", NEW_PASSWORD) == 302
    refused = _post(client, "/studio/comptes/edith/", {"action": "remove"})
    assert refused.status_code == 422 and "Cochez la case" in _text(refused)  # type: ignore[attr-defined]
    removed = _post(client, "/studio/comptes/edith/", {"action": "remove", "confirm": "yes"})
    assert removed.status_code == 302  # type: ignore[attr-defined]
    assert "Compte « edith » supprimé." in _text(client.get(removed.location, base_url=HTTPS))  # type: ignore[attr-defined]
    assert "edith" not in load_users(studio)
    assert _sign_in(_client(app), "edith", NEW_PASSWORD) == 401
    actions = [(a.who, a.action, a.subject, a.detail) for a in recent_activity(studio)][:3]
    assert actions == [
        ("ada", "user-removed", "edith", ""),
        ("ada", "user-password", "edith", ""),
        ("ada", "user-role", "edith", "admin"),
    ]
    log = (studio / ".podcaster/activity.jsonl").read_text(encoding="utf-8")
    assert NEW_PASSWORD not in log


def test_an_admin_resetting_their_own_password_stays_signed_in(app: Flask, studio: Path) -> None:
    client = _signed_in(app)
    mine = _post(
        client,
        "/studio/comptes/ada/",
        {"action": "password", "password": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert mine.status_code == 302  # type: ignore[attr-defined]
    assert client.get("/studio/comptes/", base_url=HTTPS).status_code == 200
    assert _sign_in(_client(app), "ada", NEW_PASSWORD) == 302


def test_no_admin_locks_the_studio_out(app: Flask, studio: Path) -> None:
    client = _signed_in(app)
    before = (studio / ".podcaster/users.json").read_bytes()
    demote = _post(client, "/studio/comptes/ada/", {"action": "role", "role": "editor"})
    assert demote.status_code == 409 and "votre propre" in _text(demote)  # type: ignore[attr-defined]
    remove = _post(client, "/studio/comptes/ada/", {"action": "remove", "confirm": "yes"})
    assert remove.status_code == 409  # type: ignore[attr-defined]
    assert (studio / ".podcaster/users.json").read_bytes() == before
    # With a second admin, each may demote the other, but not the last one left.
    add_user(studio, "basile", Role.ADMIN, PASSWORD)
    basile = _signed_in(app, "basile")
    assert _post(basile, "/studio/comptes/ada/", {"action": "role", "role": "editor"}).status_code == 302  # type: ignore[attr-defined]
    assert load_users(studio)["ada"].role is Role.EDITOR
    assert _post(basile, "/studio/comptes/basile/", {"action": "role", "role": "author"}).status_code == 409  # type: ignore[attr-defined]
    assert load_users(studio)["basile"].role is Role.ADMIN


@pytest.mark.parametrize(
    "path",
    [
        "/studio/comptes/..%2Fedith/",
        "/studio/comptes/nobody/",
        "/studio/comptes/EDITH/",
        "/studio/comptes/%00/",
    ],
)
def test_unknown_or_crafted_account_names_are_404(app: Flask, path: str) -> None:
    client = _signed_in(app)
    assert client.get(path, base_url=HTTPS).status_code == 404
    answer = client.post(
        path,
        data={"csrf_token": _token(client, "/studio/"), "action": "remove", "confirm": "yes"},
        base_url=HTTPS,
    )
    assert answer.status_code in (404, 405)  # ../ leaves /comptes/ for a GET-only route


def test_an_unknown_action_or_role_is_a_400(app: Flask) -> None:
    client = _signed_in(app)
    assert _post(client, "/studio/comptes/edith/", {"action": "explode"}).status_code == 400  # type: ignore[attr-defined]
    assert _post(client, "/studio/comptes/edith/", {"action": "role", "role": "root"}).status_code == 400  # type: ignore[attr-defined]
    add = {"name": "zoe", "role": "root", "password": NEW_PASSWORD, "password2": NEW_PASSWORD}
    assert _post(client, "/studio/comptes/", add).status_code == 400  # type: ignore[attr-defined]


# -- the show's settings --------------------------------------------------------------------------


def _settings_form(client: FlaskClient) -> dict[str, object]:
    page = lxml.html.fromstring(client.get("/studio/emission/", base_url=HTTPS).data)
    form = page.cssselect("form[action='/studio/emission/']")[0]
    values: dict[str, object] = {}
    for field in form.cssselect("input, textarea, select"):
        name = field.get("name")
        if not name or field.get("type") == "file":
            continue
        if field.get("type") == "radio":
            if field.get("checked") is not None:
                values[name] = field.get("value")
        elif field.tag == "select":
            chosen = [option.get("value") for option in field.cssselect("option[selected]")]
            values.setdefault(name, []).append(chosen[0] if chosen else "")  # type: ignore[union-attr]
        elif field.tag == "textarea":
            values[name] = field.text or ""
        else:
            values[name] = field.get("value") or ""
    return values


def test_the_settings_form_shows_the_show_as_podcast_toml_writes_it(app: Flask) -> None:
    values = _settings_form(_signed_in(app))
    assert values["title"] == "Penser le test"
    assert values["owner_email"] == "podcast@example.org"
    assert values["category"] == ["Society & Culture > Documentary", "", ""]
    assert values["feed"] == "https://podcast.example.org/feed.xml"
    assert values["explicit"] == "no"


def test_an_admin_saves_the_show_settings(app: Flask, studio: Path) -> None:
    client = _signed_in(app)
    before = (studio / "podcast.toml").read_text(encoding="utf-8")
    values = _settings_form(client)
    values.update(
        title="Penser le test, saison 2",
        description="Une description\nsur deux lignes.",
        owner_name="Making Waves",
        category=["Society & Culture > Documentary", "Government", ""],
        explicit="yes",
        site="https://www.example.org/podcast/",
    )
    saved = client.post("/studio/emission/", data=values, base_url=HTTPS)
    assert saved.status_code == 302, _text(saved)
    assert "Réglages enregistrés." in _text(client.get(saved.location, base_url=HTTPS))
    after = (studio / "podcast.toml").read_text(encoding="utf-8")
    assert 'title = "Penser le test, saison 2"' in after
    assert 'description = "Une description\\nsur deux lignes."' in after
    assert 'categories = ["Society & Culture > Documentary", "Government"]' in after
    assert "explicit = true" in after
    assert 'site = "https://www.example.org/podcast/"' in after
    assert 'name = "Making Waves"' in after
    # Everything else stays as it was written, line for line.
    untouched = [
        line
        for line in before.splitlines()
        if not line.startswith(("title", "description", "categories", 'name = "Profession'))
    ]
    assert all(line in after.splitlines() for line in untouched)
    entry = recent_activity(studio)[0]
    assert (entry.who, entry.action, entry.subject) == ("ada", "show-saved", "")
    site = _client(app).get("/", base_url=HTTPS)
    assert "Penser le test, saison 2" in _text(site)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("feed", "javascript:alert(1)", "must be an absolute http(s) URL"),
        ("site", "javascript:alert(1)", "must be an absolute http(s) URL"),
        ("feed", "ftp://podcast.example.org/feed.xml", "must be an absolute http(s) URL"),
        ("feed", "http://podcast.example.org/feed.xml", "must use HTTPS"),
        ("owner_email", "pas-une-adresse", "does not look like an e-mail address"),
        ("language", "<script>", "language tag"),
        ("title", "   ", "must not be empty"),
        ("description", "x" * 4001, "over 4000 bytes"),
        ("category", ["Pas une catégorie", "", ""], "is not in Apple's category list"),
    ],
)
def test_bad_settings_are_refused_beside_their_field(
    app: Flask, studio: Path, field: str, value: object, message: str
) -> None:
    client = _signed_in(app)
    before = (studio / "podcast.toml").read_bytes()
    values = {**_settings_form(client), field: value}
    answer = client.post("/studio/emission/", data=values, base_url=HTTPS)
    assert answer.status_code == 422, _text(answer)
    page = lxml.html.fromstring(answer.data)
    shown = "categories" if field == "category" else field
    assert message in page.cssselect(f"#{shown}-errors")[0].text_content()
    assert (studio / "podcast.toml").read_bytes() == before


def test_html_in_the_settings_is_kept_as_text(app: Flask, studio: Path) -> None:
    client = _signed_in(app)
    values = {**_settings_form(client), "title": HOSTILE, "author": HOSTILE, "description": HOSTILE}
    assert client.post("/studio/emission/", data=values, base_url=HTTPS).status_code == 302
    assert HOSTILE.replace('"', '\\"') in (studio / "podcast.toml").read_text(encoding="utf-8")
    for path in ("/studio/emission/", "/studio/"):
        page = lxml.html.fromstring(client.get(path, base_url=HTTPS).data)
        assert not page.cssselect("script, img[onerror], [href^='javascript']"), path
    public = lxml.html.fromstring(_client(app).get("/", base_url=HTTPS).data)
    assert not public.cssselect("main script, img[onerror], [href^='javascript']")


def test_a_settings_save_after_another_is_refused_and_shows_both(app: Flask, studio: Path) -> None:
    client = _signed_in(app)
    values = {**_settings_form(client), "title": "Ma version"}
    toml = studio / "podcast.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace("Penser le test", "Leur version"), encoding="utf-8"
    )
    answer = client.post("/studio/emission/", data=values, base_url=HTTPS)
    assert answer.status_code == 409
    page = lxml.html.fromstring(answer.data)
    current, mine = (pre.text_content() for pre in page.cssselect(".versions pre"))
    assert 'title = "Leur version"' in current and 'title = "Ma version"' in mine
    assert 'title = "Leur version"' in toml.read_text(encoding="utf-8")
    # The form now holds the new version: sending it again saves.
    values["version"] = page.cssselect("input[name=version]")[0].get("value")
    assert client.post("/studio/emission/", data=values, base_url=HTTPS).status_code == 302
    assert 'title = "Ma version"' in toml.read_text(encoding="utf-8")


def test_a_new_cover_is_checked_like_check_does_and_kept_beside_the_old(app: Flask, studio: Path) -> None:
    client = _signed_in(app)
    toml = studio / "podcast.toml"
    before = toml.read_bytes()
    for data, name, message in (
        (make_jpeg(64, 64), "petite.jpg", "Apple asks for 1400 to 3000 pixels"),
        (make_jpeg(1400, 1000), "large.jpg", "not square"),
        (b"GIF89a not really", "cover.gif", "JPEG or PNG"),
        (b"<svg onload=alert(1)>", "cover.png", "not a readable image"),
    ):
        values = {**_settings_form(client), "artwork": (io.BytesIO(data), name)}
        answer = client.post(
            "/studio/emission/", data=values, base_url=HTTPS, content_type="multipart/form-data"
        )
        assert answer.status_code == 422, name
        assert message in lxml.html.fromstring(answer.data).cssselect("#artwork-errors")[0].text_content()
        assert toml.read_bytes() == before
    assert sorted(p.name for p in (studio / "artwork").iterdir()) == ["cover.jpg"]
    cover = make_jpeg(1400, 1400)
    values = {**_settings_form(client), "artwork": (io.BytesIO(cover), "../../nouvelle.jpeg")}
    saved = client.post("/studio/emission/", data=values, base_url=HTTPS, content_type="multipart/form-data")
    assert saved.status_code == 302, _text(saved)
    written = re.search(
        r'^artwork = "(artwork/cover-[0-9a-f]{12}\.jpg)"$', toml.read_text(encoding="utf-8"), re.M
    )
    assert written, toml.read_text(encoding="utf-8")
    assert (studio / written.group(1)).read_bytes() == cover
    assert (studio / "artwork/cover.jpg").exists()  # the old cover is kept
    assert not list((studio / ".podcaster/uploads").glob("cover-*"))


# -- the activity log and the last publish --------------------------------------------------------


def test_the_activity_log_is_paginated_newest_first(app: Flask, studio: Path) -> None:
    for index in range(120):
        record_activity(
            studio, Activity(NOW + timedelta(minutes=index), "edith", "saved", f"episode-{index}")
        )
    client = _signed_in(app, "edith")
    first = lxml.html.fromstring(client.get("/studio/activite/", base_url=HTTPS).data)
    rows = first.cssselect("tbody tr")
    assert len(rows) == 50
    assert "episode-119" in rows[0].text_content()
    assert "a modifié" in rows[0].text_content()
    assert "Page 1 sur 3 (120 entrée(s))" in first.text_content()
    assert first.cssselect("a[rel=next]")[0].get("href") == "/studio/activite/?page=2"
    last = lxml.html.fromstring(client.get("/studio/activite/?page=3", base_url=HTTPS).data)
    assert (
        len(last.cssselect("tbody tr")) == 20 and "episode-0" in last.cssselect("tbody tr")[-1].text_content()
    )
    for page in ("0", "-1", "999999999999", "²", "abc", HOSTILE):
        assert client.get("/studio/activite/", query_string={"page": page}, base_url=HTTPS).status_code == 200


def test_the_home_says_when_the_last_publish_was_and_who_did_it(app: Flask, studio: Path) -> None:
    record_activity(studio, Activity(NOW - timedelta(days=1), "edith", "publish", ""))
    record_activity(studio, Activity(NOW, "ada", "publish-failed", "", "no network"))
    home = lxml.html.fromstring(_signed_in(app, "arthur").get("/studio/", base_url=HTTPS).data)
    line = home.cssselect("#last-publish")[0].text_content()
    # 31 May 2024 12:00 UTC is 14:00 in Paris (summer time).
    assert line == "Dernière publication le 31/05/2024 à 14:00 (heure de Paris), par edith."


# -- git --------------------------------------------------------------------------------------------


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repository(studio: Path) -> Path:
    """The test podcast as a git repository, everything but audio, public files and .podcaster/ committed."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    (studio / ".gitignore").write_text("/public/\n/audio/\n/site/\n", encoding="utf-8")
    _git(studio, "init", "-q", "-b", "main")
    _git(studio, "add", "-A")
    _git(studio, "-c", "user.name=Test", "-c", "user.email=test@example.org", "commit", "-q", "-m", "start")
    return studio


def _last_commit(root: Path) -> tuple[str, str, list[str]]:
    author, subject = _git(root, "log", "-1", "--format=%an <%ae>%n%s").splitlines()
    files = _git(root, "show", "--name-only", "--format=", "HEAD").split()
    return author, subject, files


def test_the_users_file_is_never_committed(repository: Path) -> None:
    assert ".podcaster" not in _git(repository, "ls-files")
    assert _git(repository, "check-ignore", ".podcaster/users.json").strip() == ".podcaster/users.json"
    _git(repository, "add", "-A")  # even a careless "add everything"
    assert "users.json" not in _git(repository, "diff", "--cached", "--name-only")


def test_an_episode_save_is_committed_as_its_producer(app: Flask, repository: Path) -> None:
    client = _signed_in(app, "edith")
    (repository / "notes.txt").write_text("someone else's work in progress", encoding="utf-8")
    page = lxml.html.fromstring(client.get("/studio/episodes/premier-episode/", base_url=HTTPS).data)
    form = {
        field.get("name"): field.get("value") or field.text or ""
        for field in page.cssselect(
            "form.stack input:not([type=file]):not([type=radio]):not([type=checkbox]), form.stack textarea"
        )
    }
    for select in page.cssselect("form.stack select"):  # as a browser sends them: the selected option
        chosen = select.cssselect("option[selected]") or select.cssselect("option")
        form[select.get("name")] = chosen[0].get("value")
    form.update(title="Un titre revu", explicit="show", type="full")
    assert client.post("/studio/episodes/premier-episode/", data=form, base_url=HTTPS).status_code == 302
    assert _last_commit(repository) == (
        "edith <edith@studio.invalid>",
        "premier-episode: edited in the studio",
        ["episodes/saison-1/premier-episode.md"],
    )
    assert "notes.txt" in _git(repository, "status", "--porcelain")  # left alone


def test_show_settings_and_publishes_are_committed(app: Flask, repository: Path) -> None:
    client = _signed_in(app)
    values = {
        **_settings_form(client),
        "title": "Titre commité",
        "artwork": (io.BytesIO(make_jpeg(1400, 1400)), "c.jpg"),
    }
    assert (
        client.post(
            "/studio/emission/", data=values, base_url=HTTPS, content_type="multipart/form-data"
        ).status_code
        == 302
    )
    author, subject, files = _last_commit(repository)
    assert (
        author == "ada <ada@studio.invalid>"
        and subject == "podcast.toml: show settings changed in the studio"
    )
    assert files[1] == "podcast.toml" and re.fullmatch(r"artwork/cover-[0-9a-f]{12}\.jpg", files[0])
    started = client.post(
        "/studio/publier",
        data={"csrf_token": _token(client, "/studio/"), "slug": "brouillon", "action": "publish"},
        base_url=HTTPS,
    )
    assert started.status_code == 302
    for _ in range(400):
        if "brouillon" in _last_commit(repository)[1]:
            break
        time.sleep(0.05)
    author, subject, files = _last_commit(repository)
    assert (author, subject) == ("ada <ada@studio.invalid>", "brouillon: published from the studio")
    assert "episodes/saison-2/brouillon.md" in files
    assert not any(name.startswith((".podcaster", "public/", "audio/")) for name in files)


def test_commits_can_be_switched_off(studio: Path, repository: Path) -> None:
    app = _app(studio, STUDIO_GIT_COMMITS=False)
    client = _signed_in(app)
    head = _git(repository, "rev-parse", "HEAD")
    values = {**_settings_form(client), "title": "Pas commité"}
    assert client.post("/studio/emission/", data=values, base_url=HTTPS).status_code == 302
    assert _git(repository, "rev-parse", "HEAD") == head
    assert "podcast.toml" in _git(repository, "status", "--porcelain")


def test_the_git_setting_is_read_from_the_environment(
    studio: Path, repository: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PODCASTER_STUDIO_GIT_COMMITS", "false")
    client = _signed_in(_app(studio))
    head = _git(repository, "rev-parse", "HEAD")
    assert (
        client.post(
            "/studio/emission/", data={**_settings_form(client), "title": "Non"}, base_url=HTTPS
        ).status_code
        == 302
    )
    assert _git(repository, "rev-parse", "HEAD") == head


def test_a_new_draft_is_committed_without_its_audio(app: Flask, repository: Path, sample_mp3: Path) -> None:
    client = _signed_in(app, "arthur")
    token = _token(client, "/studio/nouvel-episode/")
    sent = client.post(
        "/studio/nouvel-episode/",
        data={"csrf_token": token, "audio": (io.BytesIO(sample_mp3.read_bytes()), "nouveau.mp3")},
        base_url=HTTPS,
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302, _text(sent)
    form = {
        "csrf_token": token,
        "title": "Un brouillon commité",
        "season": "3",
        "number": "",
        "date": "2023-03-01T09:00",
        "type": "full",
    }
    created = client.post(sent.location, data=form, base_url=HTTPS)
    assert created.status_code == 302, _text(created)
    author, subject, files = _last_commit(repository)
    assert (author, subject) == (
        "arthur <arthur@studio.invalid>",
        "un-brouillon-commite: new draft from the studio",
    )
    assert "episodes/saison-3/un-brouillon-commite.md" in files
    assert not any(name.startswith("audio/") for name in files)
    assert json.loads((repository / "podcast.lock").read_text(encoding="utf-8"))


# -- hostile values, signed in ---------------------------------------------------------------------


def test_no_hostile_value_in_an_admin_form_is_a_server_error(app: Flask, studio: Path) -> None:
    from tests.test_web_hostile import VALUES

    client = _signed_in(app)
    token = _token(client, "/studio/")
    settings = _settings_form(client)
    users = (studio / ".podcaster/users.json").read_bytes()
    for value in VALUES:
        for name in (
            "title",
            "description",
            "author",
            "owner_name",
            "owner_email",
            "language",
            "feed",
            "site",
            "category",
            "explicit",
            "version",
        ):
            answer = client.post("/studio/emission/", data={**settings, name: value}, base_url=HTTPS)
            assert answer.status_code < 500, (name, value[:40])
        for data in (
            {"name": value, "role": "author", "password": value, "password2": value},
            {"name": "zoe", "role": value, "password": NEW_PASSWORD, "password2": NEW_PASSWORD},
        ):
            assert (
                client.post(
                    "/studio/comptes/", data={"csrf_token": token, **data}, base_url=HTTPS
                ).status_code
                < 500
            )
        for data in (
            {"action": value},
            {"action": "role", "role": value},
            {"action": "password", "password": value, "password2": value},
            {"action": "remove", "confirm": value},
        ):
            answer = client.post(
                "/studio/comptes/arthur/", data={"csrf_token": token, **data}, base_url=HTTPS
            )
            assert answer.status_code < 500, (data, value[:40])
        assert (
            client.get("/studio/activite/", query_string={"page": value}, base_url=HTTPS).status_code == 200
        )
        assert (
            client.get(
                "/studio/comptes/", query_string={"fait": value, "nom": value}, base_url=HTTPS
            ).status_code
            == 200
        )
        assert (
            client.get("/studio/emission/", query_string={"fait": value}, base_url=HTTPS).status_code == 200
        )
    # Valid values slipped in among the hostile ones may have been saved; nobody was added or removed.
    assert set(load_users(studio)) == {"ada", "edith", "arthur"}
    assert users  # the file was there all along


def test_a_broken_podcast_toml_is_said_not_overwritten(app: Flask, studio: Path) -> None:
    client = _signed_in(app)
    values = _settings_form(client)
    toml = studio / "podcast.toml"
    toml.write_text("[show\ntitle = cassé\n", encoding="utf-8")
    page = client.get("/studio/emission/", base_url=HTTPS)
    assert page.status_code == 200
    version = lxml.html.fromstring(page.data).cssselect("input[name=version]")[0].get("value")
    answer = client.post("/studio/emission/", data={**values, "version": version}, base_url=HTTPS)
    assert answer.status_code == 422 and "invalid TOML" in _text(answer)
    assert toml.read_text(encoding="utf-8") == "[show\ntitle = cassé\n"
