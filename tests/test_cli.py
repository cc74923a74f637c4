"""The podcaster command: exit codes, messages, and what each command leaves on disk."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from lxml import etree

from podcaster.cli.main import main
from podcaster.folder.catalogue import load_catalogue
from podcaster.folder.lockfile import load_lock
from tests.fixtures.audio import SAMPLE_CHAPTERS, SAMPLE_TAGS, copy_audio, make_audio
from tests.fixtures.catalogue import SHOW_TOML, write_episode, write_podcast

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, root: Path, *args: str, code: int = 0) -> str:
    result = runner.invoke(main, ["--root", str(root), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_every_command_has_help(runner: CliRunner) -> None:
    assert isinstance(main, click.Group)
    for name, command in main.commands.items():
        assert command.help, f"{name} has no help text"
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output
    assert set(main.commands) >= {"init", "add", "check", "build", "publish", "list", "serve", "demo"}


def test_every_option_has_help() -> None:
    for name, command in main.commands.items():
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{name} {param.opts[0]} has no help text"


def test_bad_usage_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(main, ["add"]).exit_code == 2
    assert runner.invoke(main, ["nope"]).exit_code == 2


def test_no_podcast_folder_is_a_clear_error(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 1
    assert "no podcast.toml here or in any parent folder" in result.output


def test_init_makes_a_coherent_podcast(runner: CliRunner, tmp_path: Path) -> None:
    root = tmp_path / "nouveau"
    result = runner.invoke(
        main,
        [
            "init",
            str(root),
            "--title",
            "Mon « podcast »",
            "--author",
            "Moi",
            "--feed-url",
            "https://p.example.org/feed.xml",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (root / "episodes" / "saison-1").is_dir() and (root / "feeds").is_dir()
    output = run(runner, root, "build")
    assert "0 live episodes" in output
    feed = etree.parse(str(root / "feeds" / "feed.xml"))
    assert feed.findtext("channel/title") == "Mon « podcast »"
    again = runner.invoke(
        main, ["init", str(root), "--title", "X", "--author", "Y", "--feed-url", "https://x.org/f.xml"]
    )
    assert again.exit_code == 1 and "already lives here" in again.output
    bad = runner.invoke(
        main, ["init", str(tmp_path / "b"), "--title", "X", "--author", "Y", "--feed-url", "feed.xml"]
    )
    assert bad.exit_code == 1 and "--feed-url must be an absolute URL" in bad.output


def test_add_from_anywhere_then_build_and_publish(
    runner: CliRunner, podcast: Path, tagged_mp3: Path, tmp_path: Path
) -> None:
    exports = tmp_path / "Exports"
    exports.mkdir()
    audio = copy_audio(tagged_mp3, exports, "export final.mp3")
    output = run(runner, podcast, "add", str(audio), "--season", "1", "--date", "2023-01-25T09:00:00+01:00")
    episode_file = podcast / "episodes" / "saison-1" / "habiter-la-seine-saint-denis.md"
    assert re.search(rf"^added {re.escape(str(episode_file))}$", output, re.M), output
    text = episode_file.read_text(encoding="utf-8")
    assert 'title: "' + SAMPLE_TAGS["title"] + '"' in text
    guid = re.search(r"^guid: \"(.+)\"$", text, re.M).group(1)  # type: ignore[union-attr]
    assert f'audio: "{audio}"' in text  # outside the catalogue: an absolute path
    lock = load_lock(podcast)
    assert lock.episodes[guid].media.size == audio.stat().st_size
    assert [c.title for c in lock.episodes[guid].media.chapters] == [c[2] for c in SAMPLE_CHAPTERS]

    run(runner, podcast, "build")
    feed = etree.parse(str(podcast / "feeds" / "feed.xml"))
    item = feed.find("channel/item")
    assert item is not None and item.findtext("guid") == guid
    assert item.find("enclosure").get("length") == str(audio.stat().st_size)

    public = tmp_path / "public"
    output = run(runner, podcast, "publish", "--storage", f"file://{public}")
    uploaded = re.findall(r"^uploaded (\S+) \(", output, re.M)
    assert len(uploaded) >= 5 and uploaded[-1] == "feed.xml", output  # audio, cover, 3 feeds: feed.xml last
    assert re.search(
        rf"^published to file://{re.escape(str(public))}: {len(uploaded)} uploaded, 0 unchanged, ",
        output,
        re.M,
    ), output
    key = lock.episodes[guid].media.sha256[:8]
    assert (
        public / "media" / "audio" / "saison-1" / f"habiter-la-seine-saint-denis-{key}.mp3"
    ).read_bytes() == audio.read_bytes()
    assert (public / "feed.xml").read_bytes() == (podcast / "feeds" / "feed.xml").read_bytes()
    assert "published" in run(runner, podcast, "list")


def test_guid_survives_title_date_and_audio_changes(runner: CliRunner, podcast: Path, tmp_path: Path) -> None:
    first = make_audio(tmp_path / "a.mp3", "mp3", 2.0)
    run(runner, podcast, "add", str(first), "--season", "1", "--title", "Premier titre")
    path = podcast / "episodes" / "saison-1" / "premier-titre.md"
    guid = re.search(r'^guid: "(.+)"$', path.read_text(), re.M).group(1)  # type: ignore[union-attr]
    run(runner, podcast, "build")
    old_url = etree.parse(str(podcast / "feeds" / "feed.xml")).find("channel/item/enclosure").get("url")

    second = make_audio(tmp_path / "b.mp3", "mp3", 3.0, seed=5)
    text = path.read_text()
    text = text.replace('"Premier titre"', '"Nouveau titre"')
    text = re.sub(r"^date: .*$", 'date: "2023-03-01T10:00:00+01:00"', text, flags=re.M)
    text = re.sub(r"^audio: .*$", f'audio: "{second}"', text, flags=re.M)
    path.write_text(text)
    run(runner, podcast, "build")
    item = etree.parse(str(podcast / "feeds" / "feed.xml")).find("channel/item")
    assert item.findtext("title") == "Nouveau titre"
    assert item.findtext("guid") == guid
    assert item.find("enclosure").get("url") != old_url
    assert item.find("enclosure").get("length") == str(second.stat().st_size)
    assert item.findtext(f"{{{ITUNES}}}duration") == "3"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"Ceci n'est pas un fichier audio.\n" * 20, "audio"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 40, "audio"),
    ],
    ids=["zero-byte", "text-named-mp3", "corrupt-mp3"],
)
def test_add_refuses_bad_audio_and_writes_nothing(
    runner: CliRunner, podcast: Path, tmp_path: Path, content: bytes, message: str
) -> None:
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(content)
    before = snapshot(podcast)
    result = runner.invoke(main, ["--root", str(podcast), "add", str(bad), "--season", "1"])
    assert result.exit_code == 1
    assert str(bad) in result.output and message in result.output.lower()
    assert snapshot(podcast) == before


@pytest.mark.parametrize(("language", "name"), [("fr", "Saison 7"), ("en", "Season 7")])
def test_add_to_a_new_season_declares_it(
    runner: CliRunner, podcast: Path, tmp_path: Path, language: str, name: str
) -> None:
    toml = podcast / "podcast.toml"
    toml.write_text(toml.read_text().replace('language = "fr"', f'language = "{language}"'))
    audio = make_audio(tmp_path / "a.mp3", "mp3", 1.0)
    output = run(runner, podcast, "add", str(audio), "--season", "7")
    assert f'added season 7 ("{name}") to podcast.toml' in output
    catalogue = load_catalogue(podcast)
    assert [(s.number, s.name) for s in catalogue.show.seasons] == [
        (1, "Saison 1"),
        (2, "Saison 2"),
        (7, name),
    ]
    assert [(e.season, e.number) for e in catalogue.episodes] == [(7, 1)]
    assert toml.read_text().endswith(f'[[seasons]]\nnumber = 7\nname = "{name}"\n')
    output = run(runner, podcast, "add", str(audio), "--season", "7", "--title", "Deux")
    assert "added season" not in output  # declared once


def test_add_to_a_new_season_writes_nothing_when_it_fails(runner: CliRunner, tmp_path: Path) -> None:
    # Seasons written as an inline array: a [[seasons]] table after it makes the file invalid TOML.
    root = write_podcast(tmp_path / "p", "seasons = []\n" + SHOW_TOML.split("[[seasons]]")[0])
    audio = make_audio(tmp_path / "a.mp3", "mp3", 1.0)
    before = snapshot(root)
    result = runner.invoke(main, ["--root", str(root), "add", str(audio), "--season", "3"])
    assert result.exit_code == 1 and "podcast.toml" in result.output
    assert snapshot(root) == before
    assert not (root / "episodes" / "saison-3").exists()


def test_add_refuses_what_is_not_a_regular_file(podcast: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "live.mp3"
    os.mkfifo(fifo)
    before = snapshot(podcast)
    command = [sys.executable, "-m", "podcaster", "--root", str(podcast)]
    # In a subprocess with a deadline: reading a FIFO nobody writes to would block the test run forever.
    result = subprocess.run(
        [*command, "add", str(fifo), "--season", "1"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1, result.stderr
    assert f"{fifo}: not a regular file" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(podcast) == before


def test_build_errors_leave_the_previous_feeds_untouched(
    runner: CliRunner, podcast: Path, tmp_path: Path
) -> None:
    audio = make_audio(tmp_path / "a.mp3", "mp3", 1.0)
    run(runner, podcast, "add", str(audio), "--season", "1", "--title", "Bon")
    run(runner, podcast, "build")
    feeds_before = snapshot(podcast / "feeds")
    guid = next(iter(load_lock(podcast).episodes))
    write_episode(podcast, "doublon", number=1, guid=guid, audio=str(audio), audio_bytes=None)
    write_episode(podcast, "naif", number=3, date="2023-01-25 09:00")
    output = run(runner, podcast, "build", code=1)
    assert "duplicate guid" in output and "duplicate episode number 1" in output
    assert re.search(r"naif\.md:5: 'date' .* has no time zone", output)
    assert "3 errors" in output
    assert snapshot(podcast / "feeds") == feeds_before


def test_check_reports_errors_and_warnings(runner: CliRunner, podcast: Path, tmp_path: Path) -> None:
    audio = make_audio(tmp_path / "a.ogg", "vorbis", 1.0)
    run(runner, podcast, "add", str(audio), "--season", "1", "--title", "En Ogg")
    output = run(runner, podcast, "check", code=1)
    assert "has no artwork" in output  # the test show has none: Apple requires it
    assert "audio/ogg is not accepted by Apple Podcasts" in output
    assert re.search(r"1 episode checked: \d+ errors?, \d+ warnings?", output)


def test_check_summary_comes_last_and_agrees_in_number(podcast: Path, tmp_path: Path) -> None:
    audio = make_audio(tmp_path / "a.mp3", "mp3", 1.0)
    run(CliRunner(), podcast, "add", str(audio), "--season", "1", "--title", "Seul")
    command = [sys.executable, "-m", "podcaster", "--root", str(podcast)]
    # One pipe for both streams, as a terminal or `2>&1 | less` shows them.
    result = subprocess.run(
        [*command, "check", "--no-loudness"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines = result.stdout.splitlines()
    assert result.returncode == 1
    assert any("has no artwork" in line for line in lines[:-1])  # the test show's one error
    assert len(lines) == 3 and "warning: " in lines[1]  # and the one warning: a show note to write
    assert lines[-1] == "1 episode checked: 1 error, 1 warning"


def test_list_shows_states(runner: CliRunner, podcast: Path, tmp_path: Path) -> None:
    audio = make_audio(tmp_path / "a.mp3", "mp3", 2.0)
    run(
        runner,
        podcast,
        "add",
        str(audio),
        "--season",
        "1",
        "--title",
        "Maintenant",
        "--date",
        "2023-01-01T00:00:00Z",
    )
    run(
        runner,
        podcast,
        "add",
        str(audio),
        "--season",
        "1",
        "--title",
        "Plus tard",
        "--date",
        "2099-01-01T00:00:00Z",
    )
    run(runner, podcast, "add", str(audio), "--season", "2", "--title", "Brouillon", "--draft")
    lines = run(runner, podcast, "list").splitlines()
    assert lines[0].split() == ["season", "ep", "title", "date", "duration", "state"]
    states = {re.split(r"\s{2,}", line)[2]: line.split()[-1] for line in lines[1:]}
    assert states == {"Maintenant": "local", "Plus tard": "scheduled", "Brouillon": "draft"}


def test_episodes_json_is_written_by_build(runner: CliRunner, podcast: Path, tmp_path: Path) -> None:
    audio = make_audio(tmp_path / "a.mp3", "mp3", 2.0)
    run(
        runner, podcast, "add", str(audio), "--season", "1", "--title", "Un", "--date", "2023-01-01T00:00:00Z"
    )
    run(runner, podcast, "build")
    data = json.loads((podcast / "feeds" / "episodes.json").read_text())
    assert data["episodes"][0]["title"] == "Un"
