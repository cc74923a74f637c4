"""The studio in a real headless Chromium: sign in, edit an episode, accessibility, keyboard only."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from podcaster.studio import Role, add_user
from tests.fixtures.browser import Server, serve
from tests.fixtures.site import NOW, make_site

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


@contextlib.contextmanager
def served_studio(tmp_path: Path, sample_mp3: Path, prepare: Callable[[Path], None]) -> Iterator[Server]:
    """The test podcast, readied by *prepare* (its accounts…), served over real HTTP on loopback."""
    from web import create_app

    running, holder = serve()
    root = make_site(tmp_path / "podcast", sample_mp3, base_url=running.url)
    prepare(root)
    holder.app = create_app(
        root, {"CLOCK": lambda: NOW, "RELOAD_INTERVAL": 0, "INSTANCE_FOLDER": tmp_path / "instance"}
    )
    running.root = root
    running.thread.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def studio_server(tmp_path: Path, sample_mp3: Path) -> Iterator[Server]:
    """The test podcast with an editor account, served over real HTTP on loopback."""
    with served_studio(
        tmp_path, sample_mp3, lambda root: add_user(root, "edith", Role.EDITOR, PASSWORD)
    ) as running:
        yield running


def _sign_in(page: Any, server: Server) -> None:
    _sign_in_as(page, server.url, "edith")


def _serious(page: Any) -> list[Any]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        (violation["id"], [node["target"] for node in violation["nodes"]])
        for violation in results.response["violations"]
    ]


def test_sign_in_and_edit_an_episode(page: Any, studio_server: Server) -> None:
    _sign_in(page, studio_server)
    assert page.get_by_role("heading", name="Accueil du studio").is_visible()
    page.get_by_role("link", name="Modifier « Premier épisode : le terrain »").click()
    page.get_by_label("Titre").fill("Le terrain, revu dans le navigateur")
    page.get_by_label("Date et heure de publication").fill("2023-02-01T08:15")
    page.get_by_label("Notes de l’épisode (Markdown)").fill("Des notes **revues**.")
    page.get_by_role("button", name="Enregistrer").click()
    assert page.get_by_role("status").inner_text() == "Modifications enregistrées."
    assert studio_server.root is not None
    text = (studio_server.root / "episodes/saison-1/premier-episode.md").read_text(encoding="utf-8")
    assert 'title: "Le terrain, revu dans le navigateur"' in text
    assert 'date: "2023-02-01T08:15:00+01:00"' in text
    page.goto(studio_server.url + "episodes/premier-episode/")
    assert "Le terrain, revu dans le navigateur" in page.title()


def test_every_studio_page_has_no_accessibility_violation(browser: Any, studio_server: Server) -> None:
    for scheme in ("light", "dark"):
        context = browser.new_context(locale="fr-FR", color_scheme=scheme)
        page = context.new_page()
        try:
            page.goto(studio_server.url + "studio/connexion")
            assert _serious(page) == [], ("sign-in", scheme)
            page.get_by_label("Identifiant").fill("edith")
            page.get_by_label("Mot de passe").fill("wrong password!")
            page.get_by_role("button", name="Se connecter").click()
            assert _serious(page) == [], ("sign-in error", scheme)
            _sign_in(page, studio_server)
            assert _serious(page) == [], ("home", scheme)
            page.goto(studio_server.url + "studio/episodes/premier-episode/")
            assert _serious(page) == [], ("episode", scheme)
            page.get_by_label("Titre").fill(" ")
            page.get_by_role("button", name="Enregistrer").click()
            assert page.locator("#title-errors").is_visible()
            assert _serious(page) == [], ("episode with errors", scheme)
        finally:
            context.close()


def test_the_preview_guest_link_and_error_pages_have_no_accessibility_violation(
    browser: Any, studio_server: Server
) -> None:
    for scheme in ("light", "dark"):
        context = browser.new_context(
            locale="fr-FR", color_scheme=scheme, viewport={"width": 390, "height": 844}
        )
        page = context.new_page()
        try:
            _sign_in(page, studio_server)
            page.goto(studio_server.url + "studio/episodes/brouillon/")
            page.get_by_role("link", name="Voir l’aperçu de la page de l’épisode").click()
            assert _serious(page) == [], ("preview of a draft", scheme)
            page.go_back()
            page.get_by_role("button", name="Créer un lien d’aperçu pour un invité").click()
            link = page.get_by_label("Lien à envoyer").input_value()
            assert _serious(page) == [], ("guest link made", scheme)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, ("guest link page", overflow)
            page.goto(studio_server.url + "studio/pas-une-page/")
            assert _serious(page) == [], ("studio not found", scheme)
            guest = browser.new_context(locale="fr-FR", color_scheme=scheme)
            try:
                invited = guest.new_page()
                invited.goto(link)
                assert "Un brouillon" in invited.title()
                assert _serious(invited) == [], ("guest's read-only preview", scheme)
            finally:
                guest.close()
        finally:
            context.close()


def test_the_studio_works_with_the_keyboard_alone(page: Any, studio_server: Server) -> None:
    page.goto(studio_server.url + "studio/connexion")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "name"
    page.keyboard.type("edith")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(studio_server.url + "studio/")
    # Tab to the first episode's edit link and follow it, then save with the keyboard.
    tab_until(
        page, "(element.getAttribute('href') || '').startsWith('/studio/episodes/')", "an edit link", 40
    )
    page.keyboard.press("Enter")
    page.wait_for_url("**/studio/episodes/**")
    page.focus("#title")
    page.keyboard.press("End")
    page.keyboard.type(" (clavier)")
    tab_until(page, "element.textContent === 'Enregistrer'", "the save button", 30)
    page.keyboard.press("Enter")
    assert page.get_by_role("status").inner_text() == "Modifications enregistrées."


@pytest.fixture(scope="module")
def episode_mp3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 35-minute MP3, as long as an episode of the show (8 kHz mono keeps it to 4 MB and seconds to make)."""
    from tests.fixtures.audio import add_tags, make_audio

    path = make_audio(
        tmp_path_factory.mktemp("episode") / "penser-le-93.mp3",
        "mp3",
        2100,
        channels=1,
        sample_rate=8000,
        bitrate=16000,
        seed=3,
    )
    add_tags(path, title="La ville en partage")
    return path


@pytest.fixture
def s3_studio(
    tmp_path: Path, sample_mp3: Path, s3_bucket: str, s3_env: Any
) -> Iterator[tuple[Server, Any, str]]:
    """The test podcast publishing to SeaweedFS, served behind a proxy that can drop a connection."""
    from tests.fixtures.cutproxy import CutProxy
    from web import create_app

    running, holder = serve()
    proxy = CutProxy(running.server.server_port)
    root = make_site(tmp_path / "podcast", sample_mp3, base_url=proxy.url)
    show = root / "podcast.toml"
    text = show.read_text(encoding="utf-8").replace('url = "file://public"', f'url = "s3://{s3_bucket}"')
    media = f'media = "{s3_env.endpoint}/{s3_bucket}/media/"'
    show.write_text(text.replace("[urls]\n", f"[urls]\n{media}\n", 1), encoding="utf-8")
    add_user(root, "edith", Role.EDITOR, PASSWORD)
    add_user(root, "arthur", Role.AUTHOR, PASSWORD)
    holder.app = create_app(
        root,
        {
            "CLOCK": lambda: NOW,
            "RELOAD_INTERVAL": 0,
            "INSTANCE_FOLDER": tmp_path / "instance",
            "STUDIO_UPLOAD_CHUNK": 512 << 10,
        },
    )
    running.root = root
    running.thread.start()
    yield running, proxy, s3_bucket
    proxy.close()
    running.stop()


def tab_until(page: Any, reached: str, what: str, presses: int) -> None:
    """Press Tab, at most *presses* times, until *reached* (JavaScript about ``element``, the focus) holds."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate(f"(element => {reached})(document.activeElement)"):
            return
    pytest.fail(f"{what} was not reached with Tab")


def _sign_in_as(page: Any, url: str, name: str) -> None:
    page.goto(url + "studio/")
    assert page.url.startswith(url + "studio/connexion")  # a visitor not signed in is sent to sign in
    page.get_by_label("Identifiant").fill(name)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(url + "studio/")


def test_an_editor_uploads_resumes_previews_and_publishes_to_s3(
    browser: Any, s3_studio: tuple[Server, Any, str], episode_mp3: Path, s3_env: Any
) -> None:
    import feedparser

    from tests.fixtures.s3 import admin_client

    server, proxy, bucket = s3_studio
    context = browser.new_context(locale="fr-FR", viewport={"width": 1200, "height": 900})
    page = context.new_page()
    try:
        _sign_in_as(page, proxy.url, "edith")
        page.get_by_role("link", name="Nouvel épisode").first.click()
        assert _serious(page) == [], "upload page"
        page.get_by_label("Fichier audio").set_input_files(str(episode_mp3))
        proxy.cut_after(episode_mp3.stat().st_size // 2)  # the connection drops halfway through
        page.get_by_role("button", name="Envoyer le fichier").click()
        page.wait_for_url("**/studio/nouvel-episode/*/", timeout=60_000)
        assert proxy.cuts == 1
        assert "35" in page.locator("#probed-duration").inner_text()
        assert page.get_by_label("Titre").input_value() == "La ville en partage"  # from the file's tags
        assert _serious(page) == [], "new episode form"
        page.get_by_label("Saison de l’épisode").select_option("2")
        page.get_by_label("Date et heure de publication").fill("2023-11-08T08:00")
        page.get_by_role("button", name="Créer le brouillon").click()
        page.wait_for_url("**/studio/episodes/la-ville-en-partage/?done=created")
        assert server.root is not None
        stored = server.root / "audio/saison-2/la-ville-en-partage.mp3"
        assert stored.read_bytes() == episode_mp3.read_bytes()  # whole, despite the cut
        assert _serious(page) == [], "episode with publish actions"

        page.get_by_role("link", name="Voir l’aperçu de la page de l’épisode").click()
        assert "La ville en partage" in page.title()
        page.go_back()

        page.get_by_role("button", name="Publier cet épisode").click()
        page.wait_for_url("**/studio/publications/*/")
        page.get_by_text("Publication terminée").wait_for(timeout=60_000)
        assert _serious(page) == [], "publish page"

        client = admin_client(s3_env)
        feed = feedparser.parse(client.get_object(Bucket=bucket, Key="feed.xml")["Body"].read())
        entry = next(item for item in feed.entries if item.title == "La ville en partage")
        enclosure = entry.enclosures[0]
        assert int(enclosure.length) == episode_mp3.stat().st_size
        key = enclosure.href.split(f"/{bucket}/", 1)[1]
        ranged = client.get_object(Bucket=bucket, Key=key, Range="bytes=0-1023")
        assert ranged["ResponseMetadata"]["HTTPStatusCode"] == 206
        assert ranged["Body"].read() == episode_mp3.read_bytes()[:1024]
        client.close()
        page.goto(proxy.url + "studio/")
        assert page.get_by_text("a publié").first.is_visible()
        assert _serious(page) == [], "home with activity"
    finally:
        context.close()


def test_an_author_sees_no_publish_button_and_cannot_forge_one(
    browser: Any, s3_studio: tuple[Server, Any, str]
) -> None:
    _, proxy, _ = s3_studio
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    try:
        _sign_in_as(page, proxy.url, "arthur")
        assert page.get_by_role("button", name="Publier maintenant").count() == 0
        page.goto(proxy.url + "studio/episodes/brouillon/")
        assert page.get_by_role("button", name="Publier cet épisode").count() == 0
        token = page.locator("input[name=csrf_token]").first.input_value()
        forged = page.request.post(
            proxy.url + "studio/publier", form={"csrf_token": token, "slug": "brouillon", "action": "publish"}
        )
        assert forged.status == 403
    finally:
        context.close()
