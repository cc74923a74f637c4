"""The studio's episode form: seasons (new ones too), number, guests, place, attached files, notes preview."""

from __future__ import annotations

import io
import json
import tomllib
from pathlib import Path
from typing import Any

import feedparser
import lxml.etree
import lxml.html
import pytest
from flask import Flask
from flask.testing import FlaskClient

from podcaster.actions.check import check
from podcaster.actions.publish import publish
from podcaster.studio import Role, add_user, store_whole
from tests.fixtures.audio import make_jpeg, make_png
from tests.fixtures.site import NOW
from tests.test_web_studio import HTTPS, PASSWORD, _app, _client, _sign_in, _token

PODCAST = "https://podcastindex.org/namespace/1.0"
EDIT = "/studio/episodes/premier-episode/"
VTT = "WEBVTT\n\n00:00.000 --> 00:02.000\nBonjour.\n\n00:02.000 --> 00:05.000\nÀ bientôt.\n"
CHAPTERS = json.dumps({"version": "1.2", "chapters": [{"startTime": 0, "title": "Début"}]})


@pytest.fixture
def studio(site_root: Path) -> Path:
    add_user(site_root, "edith", Role.EDITOR, PASSWORD)
    return site_root


@pytest.fixture
def app(studio: Path) -> Flask:
    return _app(studio, STUDIO_UPLOAD_LIMIT=5 << 20)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    client = _client(app)
    assert _sign_in(client, "edith") == 302
    return client


def _form(client: FlaskClient, path: str = EDIT) -> dict[str, Any]:
    page = lxml.html.fromstring(client.get(path, base_url=HTTPS).data)
    values = dict(page.cssselect("form.stack")[0].form_values())
    values.setdefault("explicit", "show")
    return values


def _tree(root: Path) -> dict[str, bytes]:
    """Every file of the podcast folder but the studio's working ones, with its bytes."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".podcaster" not in path.parts
    }


def _errors(root: Path) -> list[str]:
    """What check finds wrong in the episodes (the test show's small cover is wrong from the start)."""
    return [p.message for p in check(root, NOW, audio=False).errors if Path(p.path).name != "podcast.toml"]


def _post(client: FlaskClient, form: dict[str, Any], path: str = EDIT) -> Any:
    return client.post(path, data=form, base_url=HTTPS, content_type="multipart/form-data")


def test_a_new_season_from_the_edit_form_is_declared_and_the_file_moves_to_it(
    client: FlaskClient, studio: Path
) -> None:
    form = _form(client)
    form.update(
        season="nouvelle", new_season_number="4", new_season_name="Saison 4 : la banlieue", number="7"
    )
    response = _post(client, form)
    assert response.status_code == 302, response.get_data(as_text=True)
    show = tomllib.loads((studio / "podcast.toml").read_text(encoding="utf-8"))
    assert {"number": 4, "name": "Saison 4 : la banlieue"} in show["seasons"]
    assert not (studio / "episodes/saison-1/premier-episode.md").exists()
    text = (studio / "episodes/saison-4/premier-episode.md").read_text(encoding="utf-8")
    assert "season: 4" in text and "episode: 7" in text
    # Its transcript, named beside it, went with it.
    assert (studio / "episodes/saison-4/premier-episode.vtt").is_file()
    assert _errors(studio) == []
    page = lxml.html.fromstring(client.get(EDIT, base_url=HTTPS).data)
    assert page.cssselect("#season option[selected]")[0].get("value") == "4"


def test_a_new_season_that_exists_or_has_no_name_is_refused_beside_the_field(
    client: FlaskClient, studio: Path
) -> None:
    before = _tree(studio)
    form = _form(client)
    for number, name in (("2", "Encore la 2"), ("5", "  "), ("cinq", "Cinq")):
        response = _post(
            client, {**form, "season": "nouvelle", "new_season_number": number, "new_season_name": name}
        )
        assert response.status_code == 422
        page = lxml.html.fromstring(response.data)
        assert page.cssselect("#season-errors li"), (number, name)
    assert _tree(studio) == before


def test_a_duplicate_number_is_refused_beside_the_number(client: FlaskClient, studio: Path) -> None:
    before = _tree(studio)
    response = _post(client, {**_form(client), "number": "2"})  # the hostile episode is number 2 of season 1
    assert response.status_code == 422
    page = lxml.html.fromstring(response.data)
    assert "duplicate episode number" in page.cssselect("#number-errors")[0].text_content()
    assert page.cssselect("#number")[0].get("aria-invalid") == "true"
    assert _tree(studio) == before


def test_guests_and_place_reach_the_feed(client: FlaskClient, studio: Path) -> None:
    form = _form(client)
    form.update(
        {
            "guest-0-name": "Fatima Benali",
            "guest-0-href": "https://www.example.org/fatima",
            "guest-1-name": "Awa Diallo",
            "guest-1-role": "interviewer",
            "guest-1-img": "https://www.example.org/awa.jpg",
            "place_name": "Cité de l'Abreuvoir, Bobigny",
            "place_geo": "geo:48.9066,2.4497",
            "place_osm": "W45067925",
            "explicit": "no",
        }
    )
    assert _post(client, form).status_code == 302
    publish(studio, now=NOW)  # as the studio's publish button does, to the local storage folder
    feed = (studio / "public/feed.xml").read_bytes()
    item = next(
        node
        for node in lxml.etree.fromstring(feed).iter("item")
        if node.findtext("guid") == "test-guid-premier-episode"
    )
    persons = [
        (p.text, p.get("role"), p.get("href"), p.get("img")) for p in item.iter(f"{{{PODCAST}}}person")
    ]
    assert persons == [
        ("Fatima Benali", "guest", "https://www.example.org/fatima", None),
        ("Awa Diallo", "interviewer", None, "https://www.example.org/awa.jpg"),
    ]
    location = item.find(f"{{{PODCAST}}}location")
    assert (location.text, location.get("geo"), location.get("osm")) == (
        "Cité de l'Abreuvoir, Bobigny",
        "geo:48.9066,2.4497",
        "W45067925",
    )
    assert item.findtext("{http://www.itunes.com/dtds/podcast-1.0.dtd}explicit") == "false"
    parsed = feedparser.parse(feed)
    entry = next(e for e in parsed.entries if e.id == "test-guid-premier-episode")
    assert entry.title == "Premier épisode : le terrain" and not parsed.bozo
    # And back into the form, as written.
    again = _form(client)
    assert (again["guest-1-name"], again["guest-1-role"], again["place_osm"]) == (
        "Awa Diallo",
        "interviewer",
        "W45067925",
    )


@pytest.mark.parametrize(
    ("fields", "field", "said"),
    [
        (
            {"guest-0-name": "X", "guest-0-href": "javascript:alert(1)"},
            "guest-0",
            "« javascript:alert(1) » n’est pas une adresse web : écrivez-la en entier, en commençant par https://.",
        ),
        (
            {"guest-0-name": "X", "guest-0-img": "data:text/html,<script>alert(1)</script>"},
            "guest-0",
            "« data:text/html,<script>alert(1)</script> » n’est pas une adresse web",
        ),
        (
            {"guest-0-name": "X", "guest-0-href": "www.example.org/x"},
            "guest-0",
            "« www.example.org/x » n’est pas",
        ),
        (
            {"guest-0-name": "", "guest-0-href": "https://www.example.org/"},
            "guest-0",
            "Donnez un nom.",
        ),  # no name
        ({"place_geo": "geo:48.9,2.4"}, "location", "Donnez un nom."),  # a place without a name
    ],
)
def test_bad_guests_and_places_are_refused_and_nothing_is_written(
    client: FlaskClient, studio: Path, fields: dict[str, str], field: str, said: str
) -> None:
    before = _tree(studio)
    response = _post(client, {**_form(client), **fields})
    assert response.status_code == 422
    page = lxml.html.fromstring(response.data)
    assert page.cssselect(f"#{field}-errors li")
    # In the studio's language: the catalogue's rule says it in English for the command line.
    assert said in page.get_element_by_id(f"{field}-errors").text_content()
    if field.startswith("guest-"):  # said beside the guest's own row, and tied to its fields
        name = page.get_element_by_id(f"{field}-name")
        assert f"{field}-errors" in name.get("aria-describedby", "").split()
        assert name.get("aria-invalid") == "true"
        assert page.get_element_by_id("guest-1-name").get("aria-invalid") is None
    assert not page.cssselect("[href^='javascript'], [src^='data:'], img[onerror]")
    assert _tree(studio) == before


def test_transcript_chapters_and_artwork_are_attached_then_removed(client: FlaskClient, studio: Path) -> None:
    form = _form(client)
    form.update(
        transcript=(io.BytesIO(VTT.encode()), "../../podcast.toml.vtt"),
        chapters=(io.BytesIO(CHAPTERS.encode()), "chapitres.json"),
        artwork=(io.BytesIO(make_jpeg(1400, 1400)), "couverture.jpg"),
    )
    response = _post(client, form)
    assert response.status_code == 302, response.get_data(as_text=True)
    folder = studio / "episodes/saison-1"
    assert (folder / "premier-episode.vtt").read_text(
        encoding="utf-8"
    ) == VTT  # its own name, never the one sent
    assert (folder / "premier-episode.chapters.json").read_text(encoding="utf-8") == CHAPTERS
    assert (studio / "artwork/episodes/premier-episode.jpg").is_file()
    text = (folder / "premier-episode.md").read_text(encoding="utf-8")
    assert 'chapters: "premier-episode.chapters.json"' in text
    assert 'image: "../../artwork/episodes/premier-episode.jpg"' in text
    assert "podcast.toml" not in text
    assert _errors(studio) == []
    assert not list((studio / ".podcaster/uploads").glob("form-*"))
    page = lxml.html.fromstring(client.get(EDIT, base_url=HTTPS).data)
    attached = [code.text for code in page.cssselect(".attached code")]
    assert attached == [
        "premier-episode.vtt",
        "premier-episode.chapters.json",
        "../../artwork/episodes/premier-episode.jpg",
    ]
    # Removing them: the references go, and the episode's own files with them.
    form = _form(client)
    form.update(remove_transcript="premier-episode.vtt", remove_chapters="1", remove_artwork="1")
    assert _post(client, form).status_code == 302
    text = (folder / "premier-episode.md").read_text(encoding="utf-8")
    assert "chapters" not in text and "image" not in text and "transcripts" not in text
    assert not (folder / "premier-episode.chapters.json").exists()
    assert not (studio / "artwork/episodes/premier-episode.jpg").exists()
    assert not (folder / "premier-episode.vtt").exists()


BAD_FILES = [
    (
        "transcript",
        "t.vtt",
        b"WEBVTT\n\n00:00.000 --> 00:09.000\nAfter the audio ends.\n",
        "after the end of the audio",
    ),
    ("transcript", "t.vtt", b"00:00:00,000 --> 00:00:01,000\nSRT named vtt\n", "WEBVTT"),
    ("transcript", "t.srt", b"1\n00:00:02,000 --> 00:00:01,000\nBackwards\n", "not after it starts"),
    ("transcript", "t.txt", b"plain text", ".vtt or .srt"),
    ("transcript", "t.vtt", b"", "empty"),
    (
        "chapters",
        "c.json",
        b'{"version": "1.2", "chapters": [{"startTime": 99, "title": "Late"}]}',
        "after the end",
    ),
    ("chapters", "c.json", b"{not json", "not valid JSON"),
    (
        "chapters",
        "c.json",
        b'{"version": "1.2", "chapters": [{"startTime": 0, "url": "javascript:x"}]}',
        "title",
    ),
    ("artwork", "a.jpg", None, "not square"),
    ("artwork", "a.png", b"<svg onload=alert(1)>", "JPEG or PNG"),
    ("artwork", "small.png", b"SMALL", "1400"),
]


@pytest.mark.parametrize(("field", "name", "data", "message"), BAD_FILES, ids=range(len(BAD_FILES)))
def test_bad_files_are_refused_beside_their_field_and_nothing_changes(
    client: FlaskClient, studio: Path, field: str, name: str, data: bytes | None, message: str
) -> None:
    if data is None:
        data = make_jpeg(1600, 1400)
    elif data == b"SMALL":
        data = make_png(600, 600)
    before = _tree(studio)
    form = {**_form(client), "title": "Un titre qui ne sera pas enregistré", field: (io.BytesIO(data), name)}
    if field != "chapters":  # a good file beside a bad one is not kept either
        form["chapters"] = (io.BytesIO(CHAPTERS.encode()), "c.json")
    response = _post(client, form)
    assert response.status_code == 422
    page = lxml.html.fromstring(response.data)
    errors = page.cssselect(f"#{field}-errors")
    assert errors and message in errors[0].text_content(), response.get_data(as_text=True)
    described = page.cssselect(f"#{field}")[0]
    assert f"{field}-errors" in described.get("aria-describedby") and described.get("aria-invalid") == "true"
    assert _tree(studio) == before
    assert not list((studio / ".podcaster/uploads").glob("form-*"))


def test_a_form_over_its_size_limit_is_refused_before_it_is_read(client: FlaskClient, studio: Path) -> None:
    before = _tree(studio)
    token = _token(client, EDIT)
    # The body built by hand (in memory): the server answers before reading it.
    body = (
        (
            f'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            '--b\r\nContent-Disposition: form-data; name="artwork"; filename="huge.png"\r\n\r\n'
        ).encode()
        + b"\0" * (15 << 20)
        + b"\r\n--b--\r\n"
    )
    response = client.post(EDIT, data=body, content_type="multipart/form-data; boundary=b", base_url=HTTPS)
    assert response.status_code == 413
    assert "Rien n’a été enregistré" in response.get_data(as_text=True)
    assert _tree(studio) == before


def test_names_with_dots_never_leave_the_folder(client: FlaskClient, studio: Path) -> None:
    before = _tree(studio)
    form = {**_form(client), "remove_transcript": ["../../podcast.toml", "/etc/passwd", "premier-episode.md"]}
    assert _post(client, form).status_code == 302
    assert _tree(studio) == before  # nothing named there was attached: nothing removed, nothing rewritten


def test_the_notes_preview_is_the_sites_sanitised_html(app: Flask, client: FlaskClient) -> None:
    token = _token(client, EDIT)
    notes = "**gras** <script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1))"
    response = client.post(
        "/studio/notes/apercu", data={"notes": notes}, headers={"X-CSRFToken": token}, base_url=HTTPS
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    fragment = lxml.html.fragment_fromstring(response.get_data(as_text=True), create_parent="div")
    assert fragment.cssselect("strong")[0].text == "gras"
    assert not fragment.cssselect("script, img[onerror], [href^='javascript']")
    # No token, or not signed in: refused.
    assert client.post("/studio/notes/apercu", data={"notes": notes}, base_url=HTTPS).status_code == 400
    anonymous = _client(app).post("/studio/notes/apercu", data={"notes": notes}, base_url=HTTPS)
    assert anonymous.status_code == 302
    huge = client.post(
        "/studio/notes/apercu", data={"notes": "a" * 100_001}, headers={"X-CSRFToken": token}, base_url=HTTPS
    )
    assert huge.status_code == 413


def test_the_notes_preview_is_rate_limited(studio: Path) -> None:
    app = _app(studio)
    client = _client(app)
    assert _sign_in(client, "edith") == 302
    token = _token(client, EDIT)
    codes = [
        client.post(
            "/studio/notes/apercu", data={"notes": "x"}, headers={"X-CSRFToken": token}, base_url=HTTPS
        ).status_code
        for _ in range(121)
    ]
    assert codes[:120] == [200] * 120 and codes[120] == 429


def test_the_preview_button_works_without_script_and_saves_nothing(client: FlaskClient, studio: Path) -> None:
    before = _tree(studio)
    form = {**_form(client), "notes": "Une *note* <script>alert(1)</script>", "action": "preview"}
    response = _post(client, form)
    assert response.status_code == 200
    page = lxml.html.fromstring(response.data)
    assert page.cssselect("#notes-preview em")[0].text == "note"
    assert not page.cssselect("#notes-preview script")
    assert page.cssselect("#notes")[0].text == "Une *note* <script>alert(1)</script>"  # kept as text to edit
    assert _tree(studio) == before


def test_a_new_episode_with_a_new_season_guests_place_and_files(
    client: FlaskClient, studio: Path, sample_mp3: Path
) -> None:
    upload = store_whole(studio, "edith", "entretien.mp3", [sample_mp3.read_bytes()], 5 << 20)
    path = f"/studio/nouvel-episode/{upload.id}/"
    form = _form(client, path)
    assert form["season"] == "3"
    form.update(
        {
            "title": "Un entretien",
            "season": "nouvelle",
            "new_season_number": "4",
            "new_season_name": "Saison 4",
            "number": "1",
            "date": "2023-12-01T09:00",
            "notes": "Des **notes**.",
            "guest-0-name": "Awa Diallo",
            "place_name": "Bobigny",
            "explicit": "yes",
            "transcript": (io.BytesIO(VTT.encode()), "entretien.vtt"),
        }
    )
    response = _post(client, form, path)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.location.endswith("/studio/episodes/un-entretien/?done=created")
    text = (studio / "episodes/saison-4/un-entretien.md").read_text(encoding="utf-8")
    for written in (
        "season: 4",
        "episode: 1",
        "explicit: true",
        '"name": "Awa Diallo"',
        '"Bobigny"',
        "Des **notes**.",
    ):
        assert written in text, written
    assert (studio / "episodes/saison-4/un-entretien.vtt").read_text(encoding="utf-8") == VTT
    show = tomllib.loads((studio / "podcast.toml").read_text(encoding="utf-8"))
    assert {"number": 4, "name": "Saison 4"} in show["seasons"]
    assert _errors(studio) == []


def test_a_new_episode_with_a_bad_file_writes_nothing(
    client: FlaskClient, studio: Path, sample_mp3: Path
) -> None:
    upload = store_whole(studio, "edith", "entretien.mp3", [sample_mp3.read_bytes()], 5 << 20)
    path = f"/studio/nouvel-episode/{upload.id}/"
    before = _tree(studio)
    form = {
        **_form(client, path),
        "season": "nouvelle",
        "new_season_number": "4",
        "new_season_name": "Saison 4",
        "guest-0-name": "X",
        "guest-0-href": "javascript:alert(1)",
        "chapters": (io.BytesIO(b"{}"), "c.json"),
    }
    response = _post(client, form, path)
    assert response.status_code == 422
    page = lxml.html.fromstring(response.data)
    assert page.cssselect("#guest-0-errors li") and page.cssselect("#chapters-errors li")
    assert _tree(studio) == before
    assert (studio / f".podcaster/uploads/{upload.id}.part").is_file()  # the audio waits for the form again
