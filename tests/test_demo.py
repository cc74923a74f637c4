"""The demo's preparation: a copy of a catalogue pointed at a local server, with sample audio."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from podcaster.actions.demo import DEMO_STORAGE, bundled_catalogue, demo_toml, prepare_demo
from podcaster.cli.main import main
from podcaster.errors import ConfigError
from podcaster.folder.catalogue import load_catalogue
from tests.fixtures.catalogue import SHOW_TOML, write_episode, write_podcast

REPO = Path(__file__).resolve().parent.parent


def test_prepare_demo_copies_the_catalogue_and_makes_its_audio(tmp_path: Path) -> None:
    source = write_podcast(tmp_path / "source", SHOW_TOML + '\n[storage]\nurl = "s3://bucket/prefix"\n')
    write_episode(source, "premier", audio="audio/premier.mp3", audio_bytes=None)
    write_episode(source, "second", number=2, audio="audio/second.mp3", audio_bytes=None)
    root = prepare_demo(source, tmp_path / "work", "http://127.0.0.1:8093")
    catalogue = load_catalogue(root)
    urls = catalogue.show.urls
    assert (urls.feed, urls.media, urls.site) == (
        "http://127.0.0.1:8093/feed.xml",
        "http://127.0.0.1:8093/media/",
        "http://127.0.0.1:8093/",
    )
    assert catalogue.show.storage == DEMO_STORAGE
    assert catalogue.warnings == ()
    for episode in catalogue.episodes:
        assert episode.audio_path(root).read_bytes()[:3] == b"ID3"
    assert not (source / "audio").exists()  # the source catalogue is left alone
    assert not (root / "podcast.lock").exists()


def test_prepare_demo_keeps_audio_made_by_an_earlier_run(tmp_path: Path) -> None:
    source = write_podcast(tmp_path / "source")
    write_episode(source, "premier", audio="audio/premier.mp3", audio_bytes=None)
    root = prepare_demo(source, tmp_path / "work", "http://127.0.0.1:8093/")
    audio = root / "audio" / "premier.mp3"
    made = audio.stat().st_mtime_ns
    prepare_demo(source, tmp_path / "work", "http://127.0.0.1:8093/")
    assert audio.stat().st_mtime_ns == made


def test_demo_toml_rewrites_only_urls_and_storage() -> None:
    text = '[show]\ntitle = "T"\n[urls]\nfeed = "https://a/feed.xml"\nmedia = "https://cdn/"\nsite = "https://a/"\n'
    text += '[storage]\nurl = "s3://b"\n[[seasons]]\nnumber = 1\n'
    rewritten = demo_toml(text, "http://127.0.0.1:1/feed.xml")
    assert 'feed = "http://127.0.0.1:1/feed.xml"' in rewritten
    assert "cdn" not in rewritten and 'site = "https://a/"' not in rewritten
    assert 'url = "file://public"' in rewritten and "s3://" not in rewritten
    assert '[show]\ntitle = "T"' in rewritten and "[[seasons]]\nnumber = 1" in rewritten


def test_prepare_demo_needs_an_http_base_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="base URL"):
        prepare_demo(tmp_path, tmp_path / "work", "ftp://example.org/")


def test_without_the_demo_extra_the_demo_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "lameenc", None)  # as if the demo extra were not installed
    for module in ("podcaster.actions.demo", "podcaster.actions.sample_audio"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    result = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path / "demo"), "--no-serve"])
    assert result.exit_code == 1
    assert "podcaster demo needs the sample-audio encoder: pip install 'podcaster[demo]'" in result.output
    assert not (tmp_path / "demo").exists()


def test_the_library_and_the_other_commands_never_load_the_encoder() -> None:
    code = (
        "import sys, podcaster, podcaster.actions, podcaster.cli, web;"
        " assert 'lameenc' not in sys.modules, 'lameenc loaded'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_demo_opens_the_studio_with_an_editor_account(tmp_path: Path) -> None:
    from podcaster.studio import Role, authenticate

    source = write_podcast(tmp_path / "source")
    write_episode(source, "premier", audio="audio/premier.mp3", audio_bytes=None)
    work = tmp_path / "demo"
    passwords = []
    for _ in range(2):  # a second run in the same folder makes a new password for the same account
        result = CliRunner().invoke(main, ["--root", str(source), "demo", "--dir", str(work), "--no-serve"])
        assert result.exit_code == 0, result.output
        line = next(line for line in result.output.splitlines() if line.startswith("studio"))
        assert "http://127.0.0.1:8093/studio/" in line and "account demo" in line
        passwords.append(line.split("password ")[1].split(":")[0])
    assert passwords[0] != passwords[1]
    assert authenticate(work, "demo", passwords[0]) is None
    user = authenticate(work, "demo", passwords[1])
    assert user is not None and user.role is Role.EDITOR


def test_the_bundled_catalogue_is_the_repository_root_in_a_checkout() -> None:
    assert bundled_catalogue() == REPO  # an editable install or a checkout reads the catalogue's home


def test_a_plain_install_runs_the_demo_from_any_folder(tmp_path: Path) -> None:
    """``pip install .`` (not editable) in a fresh venv, then ``podcaster demo`` from an empty folder."""
    source = tmp_path / "source"  # a copy: an in-tree build leaves build/ and *.egg-info behind
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "podcast.toml"):
        shutil.copy2(REPO / name, source / name)
    for name in ("podcaster", "web", "episodes", "artwork"):
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    (source / "podcast.lock").write_text("{}")  # never shipped, nor audio
    (source / "audio").mkdir()
    (source / "audio" / "x.mp3").write_bytes(b"ID3")
    venv = tmp_path / "venv"
    # The venv sees the system's packages for the dependencies; podcaster itself is installed into it.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check", str(source)],
        check=True,
        env=environment,
        timeout=600,
    )
    anywhere = tmp_path / "anywhere"  # not this checkout, whose podcaster/ `python -c` would import
    anywhere.mkdir()
    code = "import podcaster, pathlib; print(pathlib.Path(podcaster.__file__).parent)"
    package = Path(
        subprocess.run(
            [python, "-c", code], cwd=anywhere, env=environment, capture_output=True, text=True, check=True
        ).stdout.strip()
    )
    assert package.is_relative_to(venv)  # the installed copy, not this checkout
    shipped = sorted(
        path.relative_to(package / "demo_catalogue").as_posix()
        for path in (package / "demo_catalogue").rglob("*")
        if path.is_file()
    )
    assert shipped == sorted(
        path.relative_to(REPO).as_posix()
        for path in (REPO / "podcast.toml", *(REPO / "episodes").rglob("*.md"), *(REPO / "artwork").iterdir())
    )
    result = subprocess.run(
        [venv / "bin" / "podcaster", "demo", "--dir", "D", "--no-serve"],
        cwd=anywhere,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "published" in result.stdout
    feed = (anywhere / "D" / "public" / "feed.xml").read_text(encoding="utf-8")
    assert "Penser le 9-3" in feed and "http://127.0.0.1:8093/feed.xml" in feed
