"""The studio's new episodes, previews, publishing and activity log, through the site's test client."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import re
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from podcaster.studio import (
    Role,
    UploadCut,
    UploadError,
    add_user,
    append_chunk,
    find_upload,
    recent_activity,
    start_upload,
)
from tests.fixtures.audio import make_png
from tests.fixtures.site import NOW
from tests.test_web_studio import HTTPS, PASSWORD, _app, _client, _sign_in, _token


@pytest.fixture
def studio(site_root: Path) -> Path:
    add_user(site_root, "edith", Role.EDITOR, PASSWORD)
    add_user(site_root, "arthur", Role.AUTHOR, PASSWORD)
    return site_root


@pytest.fixture
def app(studio: Path) -> Flask:
    return _app(studio, STUDIO_UPLOAD_LIMIT=5 << 20)


def _signed_in(app: Flask, name: str = "edith") -> tuple[FlaskClient, str]:
    client = _client(app)
    assert _sign_in(client, name) == 302
    return client, _token(client, "/studio/nouvel-episode/")


def _tus(
    client: FlaskClient, token: str, data: bytes, name: str = "nouveau.mp3", chunk: int = 64 << 10
) -> str:
    """Upload *data* in chunks, cutting one chunk short as a dropped connection would; the upload's URL."""
    headers = {"Tus-Resumable": "1.0.0", "X-CSRFToken": token}
    meta = "filename " + base64.b64encode(name.encode()).decode()
    created = client.post(
        "/studio/televersements/",
        headers={**headers, "Upload-Length": str(len(data)), "Upload-Metadata": meta},
        base_url=HTTPS,
    )
    assert created.status_code == 201, created.data
    location = created.headers["Location"]
    offset = 0
    cut = False
    while True:
        body = data[offset : offset + chunk]
        if not cut and offset >= len(data) // 2:
            body, cut = body[: len(body) // 3], True  # only part of this chunk arrives
        answer = client.patch(
            location,
            data=body,
            headers={
                **headers,
                "Content-Type": "application/offset+octet-stream",
                "Upload-Offset": str(offset),
            },
            base_url=HTTPS,
        )
        assert answer.status_code == 204, answer.data
        head = client.head(location, headers=headers, base_url=HTTPS)
        offset = int(head.headers["Upload-Offset"])
        assert offset == int(answer.headers["Upload-Offset"])
        if offset == len(data):
            return answer.headers["Location"]


def test_a_new_episode_from_a_resumed_upload_becomes_a_draft(
    app: Flask, studio: Path, sample_mp3: Path
) -> None:
    client, token = _signed_in(app)
    form_url = _tus(client, token, sample_mp3.read_bytes())
    page = client.get(form_url, base_url=HTTPS)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'id="probed-duration"' in text
    assert 'value="Échantillon"' in text  # the title comes from the file's tags
    form = {
        "csrf_token": token,
        "title": "Un nouvel épisode",
        "season": "2",
        "number": "",
        "date": "2023-03-01T09:00",
        "type": "full",
    }
    created = client.post(form_url, data=form, base_url=HTTPS)
    assert created.status_code == 302, created.get_data(as_text=True)
    assert created.location.endswith("/studio/episodes/un-nouvel-episode/?done=created")
    episode = (studio / "episodes/saison-2/un-nouvel-episode.md").read_text(encoding="utf-8")
    assert "draft: true" in episode
    assert 'audio: "audio/saison-2/un-nouvel-episode.mp3"' in episode
    assert (studio / "audio/saison-2/un-nouvel-episode.mp3").read_bytes() == sample_mp3.read_bytes()
    guid = re.search(r'guid: "?([^"\n]+)', episode).group(1)
    assert guid in json.loads((studio / "podcast.lock").read_text(encoding="utf-8"))["episodes"]
    assert not list((studio / ".podcaster/uploads").glob("*"))
    assert next((a.who, a.action, a.subject) for a in recent_activity(studio)) == (
        "edith",
        "created",
        "un-nouvel-episode",
    )


def test_the_form_without_script_uploads_a_small_file_whole(app: Flask, sample_mp3: Path) -> None:
    client, token = _signed_in(app)
    with sample_mp3.open("rb") as stream:
        sent = client.post(
            "/studio/nouvel-episode/",
            data={"csrf_token": token, "audio": (stream, "episode.mp3")},
            content_type="multipart/form-data",
            base_url=HTTPS,
        )
    assert sent.status_code == 302
    assert client.get(sent.location, base_url=HTTPS).status_code == 200


@pytest.mark.parametrize("spooled", [True, False], ids=["spooled-file", "stream"])
def test_a_body_is_appended_whole_or_kept_up_to_where_it_was_cut(
    studio: Path, tmp_path: Path, spooled: bool
) -> None:
    """A server's spooled body (a real file) is copied by the kernel, a stream a buffer at a time: same bytes."""
    data = bytes(range(256)) * 12_000  # 3 MB, more than one read buffer
    upload = start_upload(studio, "edith", len(data), "x.mp3", 5 << 20)
    opened = contextlib.ExitStack()

    def body(payload: bytes, skip: int = 0) -> BinaryIO:
        if not spooled:
            return io.BytesIO(payload)
        spool = opened.enter_context((tmp_path / f"spool-{skip}-{len(payload)}").open("w+b"))
        spool.write(b"\0" * skip + payload)  # a server's buffer may hold the body past its start
        spool.seek(skip)
        return spool

    first = 1_000_000
    with opened:
        _append_cut_and_resume(studio, upload.id, data, first, body)


def _append_cut_and_resume(
    studio: Path, upload_id: str, data: bytes, first: int, body: Callable[..., BinaryIO]
) -> None:
    half = append_chunk(studio, upload_id, "edith", 0, body(data[:first], skip=7), first)
    assert half.offset == first
    # A request that declared the rest but brought only part of it: what came is kept.
    with pytest.raises(UploadCut):
        append_chunk(
            studio, upload_id, "edith", first, body(data[first:2_000_000], skip=3), len(data) - first
        )
    resumed = find_upload(studio, upload_id, "edith")
    assert resumed.offset == 2_000_000
    done = append_chunk(studio, upload_id, "edith", resumed.offset, body(data[resumed.offset :]), None)
    assert done.complete
    assert done.path.read_bytes() == data
    with pytest.raises(UploadError) as refused:
        append_chunk(studio, upload_id, "edith", done.offset, body(b"more"), 4)
    assert refused.value.status == 413
    assert done.path.read_bytes() == data


def test_a_file_that_is_not_audio_is_refused_and_deleted(app: Flask, studio: Path) -> None:
    client, token = _signed_in(app)
    form_url = _tus(client, token, make_png(40, 40) * 50, name="image.mp3")
    refused = client.get(form_url, base_url=HTTPS)
    assert refused.status_code == 415
    assert "« image.mp3 » n’est pas un fichier audio" in refused.get_data(as_text=True)
    assert not list((studio / ".podcaster/uploads").glob("*"))
    sent = client.post(
        "/studio/nouvel-episode/",
        data={"csrf_token": token, "audio": (__import__("io").BytesIO(b"<html>" * 1000), "x.mp3")},
        content_type="multipart/form-data",
        base_url=HTTPS,
    )
    assert sent.status_code == 415
    assert "« x.mp3 » n’est pas un fichier audio" in sent.get_data(as_text=True)


def test_uploads_over_the_limit_or_at_a_wrong_offset_or_of_another_producer_are_refused(app: Flask) -> None:
    client, token = _signed_in(app)
    headers = {"Tus-Resumable": "1.0.0", "X-CSRFToken": token}
    big = client.post(
        "/studio/televersements/", headers={**headers, "Upload-Length": str(6 << 20)}, base_url=HTTPS
    )
    assert big.status_code == 413
    assert big.get_json() == {"error": "Le fichier dépasse la limite de 5 Mo."}  # for the page's script
    made = client.post("/studio/televersements/", headers={**headers, "Upload-Length": "100"}, base_url=HTTPS)
    location = made.headers["Location"]
    patch = {**headers, "Content-Type": "application/offset+octet-stream"}
    assert (
        client.patch(
            location, data=b"x" * 10, headers={**patch, "Upload-Offset": "5"}, base_url=HTTPS
        ).status_code
        == 409
    )
    assert (
        client.patch(
            location, data=b"x" * 200, headers={**patch, "Upload-Offset": "0"}, base_url=HTTPS
        ).status_code
        == 413
    )
    # Without the CSRF header, nothing is written.
    no_csrf = {"Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"}
    assert client.patch(location, data=b"x", headers=no_csrf, base_url=HTTPS).status_code == 400
    other, _ = _signed_in(app, "arthur")
    assert other.head(location, base_url=HTTPS).status_code == 404
    assert client.head("/studio/televersements/..%2F..%2Fusers", base_url=HTTPS).status_code == 404


def _wait(client: FlaskClient, location: str) -> dict[str, object]:
    status_url = location.rstrip("/") + ".json"
    for _ in range(200):
        data = client.get(status_url, base_url=HTTPS).get_json()
        if data["state"] != "running":
            return data
        time.sleep(0.05)
    raise AssertionError("the publish did not end")


def _ask(client: FlaskClient, token: str, action: str) -> TestResponse:
    """Ask the studio to publish or unpublish the draft episode."""
    data = {"csrf_token": token, "slug": "brouillon", "action": action}
    return client.post("/studio/publier", data=data, base_url=HTTPS)


def test_editors_publish_and_unpublish_an_episode(app: Flask, studio: Path) -> None:
    client, token = _signed_in(app)
    started = _ask(client, token, "publish")
    assert started.status_code == 302
    assert _wait(client, started.location)["state"] == "done", _wait(client, started.location)
    feed = (studio / "public/feed.xml").read_text(encoding="utf-8")
    assert "test-guid-brouillon" in feed
    page = client.get(started.location, base_url=HTTPS).get_data(as_text=True)
    assert "Publication terminée" in page
    stopped = _ask(client, token, "unpublish")
    assert _wait(client, stopped.location)["state"] == "done"
    assert "test-guid-brouillon" not in (studio / "public/feed.xml").read_text(encoding="utf-8")
    assert "draft: true" in (studio / "episodes/saison-2/brouillon.md").read_text(encoding="utf-8")
    actions = [(a.who, a.action, a.subject) for a in recent_activity(studio)]
    assert actions[:2] == [("edith", "unpublish", "brouillon"), ("edith", "publish", "brouillon")]
    home = client.get("/studio/", base_url=HTTPS).get_data(as_text=True)
    assert "Activité récente" in home and "a dépublié" in home


def test_a_publish_started_by_one_worker_is_followed_from_another(app: Flask, studio: Path) -> None:
    """Two app instances on one folder, as two worker processes: the job's progress is in the folder."""
    client, token = _signed_in(app)
    started = _ask(client, token, "publish")
    assert started.status_code == 302
    other_worker, _ = _signed_in(_app(studio, STUDIO_UPLOAD_LIMIT=5 << 20))
    ended = _wait(other_worker, started.location)
    assert ended["state"] == "done", ended
    assert "feed.xml" in ended["uploaded"]
    page = other_worker.get(started.location, base_url=HTTPS).get_data(as_text=True)
    assert "Publication terminée" in page
    saved = next((studio / ".podcaster/publish-jobs").glob("*.json"))
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600


def test_a_publish_whose_process_died_is_told_as_failed(app: Flask, studio: Path) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    jobs = studio / ".podcaster/publish-jobs"
    jobs.mkdir(parents=True)
    job = {
        "id": "abcdefghijklmnop",
        "state": "running",
        "pid": int(gone.stdout),
        "messages": [],
        "uploaded": [],
    }
    job.update(action="publish", slug="", total_bytes=10, sent_bytes=5, total_files=2, done_files=1, error="")
    (jobs / "abcdefghijklmnop.json").write_text(json.dumps(job), encoding="utf-8")
    client, _ = _signed_in(app)
    told = client.get("/studio/publications/abcdefghijklmnop.json", base_url=HTTPS).get_json()
    assert told["state"] == "failed"
    assert "publish again" in told["error"]
    assert client.get("/studio/publications/abcdefghijklmnop/", base_url=HTTPS).status_code == 200
    assert client.get("/studio/publications/..%2Fusers.json", base_url=HTTPS).status_code == 404


def test_an_author_sees_no_publish_button_and_a_forged_publish_is_refused(app: Flask, studio: Path) -> None:
    client, token = _signed_in(app, "arthur")
    assert "Publier" not in client.get("/studio/", base_url=HTTPS).get_data(as_text=True)
    assert "Publier" not in client.get("/studio/episodes/brouillon/", base_url=HTTPS).get_data(as_text=True)
    before = (studio / "episodes/saison-2/brouillon.md").read_bytes()
    forged = _ask(client, token, "publish")
    assert forged.status_code == 403
    assert (studio / "episodes/saison-2/brouillon.md").read_bytes() == before
    assert recent_activity(studio) == []


def test_a_draft_is_previewed_as_listeners_will_see_it(app: Flask, studio: Path) -> None:
    client, _ = _signed_in(app)
    assert _client(app).get("/episodes/brouillon/", base_url=HTTPS).status_code == 404  # not live
    page = client.get("/studio/apercu/brouillon/", base_url=HTTPS)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "/studio/apercu/brouillon/audio" in html
    with client.get(
        "/studio/apercu/brouillon/audio", headers={"Range": "bytes=0-9"}, base_url=HTTPS
    ) as audio:
        assert audio.status_code == 206 and len(audio.data) == 10


def test_a_guest_link_is_signed_read_only_and_expires(app: Flask, studio: Path) -> None:
    client, token = _signed_in(app)
    made = client.post("/studio/apercu/brouillon/lien", data={"csrf_token": token}, base_url=HTTPS)
    assert made.status_code == 200
    link = re.search(r'value="(https://[^"]+/studio/invite/[^"]+)"', made.get_data(as_text=True)).group(1)
    path = link.split("podcast.example.org", 1)[1]
    guest = _client(app)
    seen = guest.get(path, base_url=HTTPS)
    assert seen.status_code == 200 and "/studio/invite/" in seen.get_data(as_text=True)
    with guest.get(path + "audio", base_url=HTTPS) as audio:
        assert audio.status_code == 200
    assert guest.get("/studio/", base_url=HTTPS).status_code == 302  # the link opens nothing else
    assert guest.post(path, base_url=HTTPS).status_code in (400, 405)
    tampered = path.replace("/invite/", "/invite/x")
    assert guest.get(tampered, base_url=HTTPS).status_code == 404
    later = _app(studio, STUDIO_PREVIEW_DAYS=0)
    time.sleep(1.1)
    assert _client(later).get(path, base_url=HTTPS).status_code == 410
    assert ("edith", "preview-link", "brouillon") in [
        (a.who, a.action, a.subject) for a in recent_activity(studio)
    ]


def test_the_activity_log_is_append_only_json_lines(studio: Path) -> None:
    from podcaster.studio import Activity, record_activity

    record_activity(studio, Activity(NOW, "edith", "saved", "premier-episode"))
    log = studio / ".podcaster/activity.jsonl"
    with log.open("a", encoding="utf-8") as stream:
        stream.write('{"when": "cut sho')  # a line a crash left
    record_activity(studio, Activity(NOW, "arthur", "created", "x"))
    assert [a.who for a in recent_activity(studio)] == ["arthur", "edith"]


HUGE = "9" * 5000


def test_hostile_paths_and_headers_never_make_a_server_error(app: Flask) -> None:
    client, token = _signed_in(app)
    guest = _client(app)
    for path in (
        "/studio/invite/%2e%2e/",
        f"/studio/invite/{HUGE}/",
        "/studio/invite/x.y.z/audio",
        "/studio/invite/%00/",
    ):
        for method in ("GET", "HEAD", "POST", "OPTIONS", "PATCH"):
            assert guest.open(path, method=method, base_url=HTTPS).status_code < 500, (path[:40], method)
    hostile = {
        "X-CSRFToken": token,
        "Upload-Offset": HUGE,
        "Upload-Length": HUGE,
        "Upload-Metadata": "filename %%%,x " + HUGE,
        "Content-Type": "application/offset+octet-stream",
    }
    for path in (
        "/studio/nouvel-episode/%2e%2e/",
        f"/studio/nouvel-episode/{HUGE}/",
        "/studio/televersements/",
        f"/studio/televersements/{HUGE}",
        "/studio/televersements/%00",
        "/studio/publications/x/",
        f"/studio/publications/{HUGE}.json",
        "/studio/apercu/%2e%2e/",
        f"/studio/apercu/{HUGE}/audio",
        "/studio/apercu/premier-episode/lien",
        "/studio/publier",
    ):
        for method in ("GET", "HEAD", "POST", "OPTIONS", "PATCH"):
            with client.open(path, method=method, base_url=HTTPS, headers=hostile, data=b"x") as answer:
                assert answer.status_code < 500, (path[:40], method, answer.status_code)
    bogus = client.post("/studio/publier", data={"csrf_token": token, "action": "bogus"}, base_url=HTTPS)
    assert bogus.status_code == 400
    escape = {"csrf_token": token, "action": "publish", "slug": "../../podcast"}
    assert client.post("/studio/publier", data=escape, base_url=HTTPS).status_code == 422
