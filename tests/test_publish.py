"""Publishing: one suite over a local folder and S3 (SeaweedFS through boto3, the production path).

Every test drives the ``podcaster`` command on a podcast folder made in
tmp_path, with audio from a real encoder. On S3, ``AWS_ENDPOINT_URL`` points
at the fault proxy, which counts every request that reaches the server and
injects faults; the checks read the bucket straight from the server, around
the proxy, so they never add to the counts.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from lxml import etree
from rich.console import Console

from podcaster.actions.publish import (
    FEED_CACHE,
    MEDIA_CACHE,
    MEDIA_PREFIX,
    PlannedObject,
    PublishReporter,
    publish,
    publishing_lock,
)
from podcaster.cli.main import main
from podcaster.cli.publishbars import BarReporter
from podcaster.feed.public import asset_key
from podcaster.folder.lockfile import load_lock
from podcaster.settings import CONCURRENCY_ENV, THRESHOLD_ENV
from podcaster.storage import LocalStorage, Storage, open_storage, validate_key
from podcaster.studio import last_publish, recent_activity
from tests.fixtures.audio import make_audio, make_png
from tests.fixtures.catalogue import write_podcast
from tests.fixtures.s3 import SeaweedServer, admin_client
from tests.fixtures.s3proxy import S3FaultProxy

SITE = "https://podcast.example.org/"
ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
MiB = 1 << 20
ARTWORK = "artwork/Pochette « été » 2023.png"
DATE = "2023-01-25T09:00:00+01:00"
# One season only: a season with no live episode has a feed dated "now", which changes every run.
SHOW = f"""\
[show]
title = "Penser le test"
description = "Un podcast pour les tests de publication."
language = "fr"
author = "Profession Banlieue"
categories = ["Society & Culture > Documentary"]
artwork = "{ARTWORK}"

[show.owner]
name = "Profession Banlieue"
email = "podcast@example.org"

[urls]
feed = "{SITE}feed.xml"

[[seasons]]
number = 1
name = "Saison 1"
"""


# -- where it is published ------------------------------------------------------


@dataclass
class Target:
    """A storage to publish to: its URL for --storage, a way to read it, and the proxy for S3."""

    url: str
    storage: Storage  # reads around the proxy
    proxy: S3FaultProxy | None = None
    bucket: str = ""
    server: SeaweedServer | None = None

    def admin(self) -> Any:
        """A plain boto3 client on the server itself, for what podcaster does not do (multipart listings)."""
        assert self.server is not None
        return admin_client(self.server)


def _s3_target(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Target:
    bucket = request.getfixturevalue("s3_bucket")
    storage = open_storage(f"s3://{bucket}/show", base=tmp_path)  # straight to the server
    proxy = request.getfixturevalue("s3_proxy")  # from here on AWS_ENDPOINT_URL is the proxy
    # botocore's own settings, which podcaster honours: a lasting fault gives up after one retry.
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    server = request.getfixturevalue("seaweedfs")
    return Target(url=f"s3://{bucket}/show", storage=storage, proxy=proxy, bucket=bucket, server=server)


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def target(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Target:
    if request.param == "local":
        public = tmp_path / "public"
        return Target(url=public.as_uri(), storage=LocalStorage(public))
    return _s3_target(request, tmp_path, monkeypatch)


@pytest.fixture
def s3_target(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Target:
    return _s3_target(request, tmp_path, monkeypatch)


# -- the podcast, driven through the command --------------------------------------


class Podcast:
    """A podcast folder in tmp_path, with its audio sources beside it."""

    def __init__(self, tmp_path: Path) -> None:
        self.root = write_podcast(tmp_path / "podcast", SHOW)
        (self.root / ARTWORK).parent.mkdir(parents=True, exist_ok=True)
        (self.root / ARTWORK).write_bytes(make_png(8, 8))
        self.sources = tmp_path / "sources"
        self.sources.mkdir()
        self.runner = CliRunner()

    def run(self, *args: str, code: int = 0) -> str:
        result = self.runner.invoke(main, ["--root", str(self.root), *args], catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    def publish(self, target: Target, *args: str, code: int = 0) -> str:
        return self.run("publish", "--storage", target.url, *args, code=code)

    def add(
        self, title: str, *, seconds: float = 1.0, seed: int = 0, size: int = 0, draft: bool = False
    ) -> Path:
        """Add an episode of generated audio (at least *size* bytes when given); return its file."""
        audio = self.sources / f"{len(list(self.sources.iterdir()))}.mp3"
        write_mp3(audio, seconds=seconds, seed=seed, size=size)
        draft_flag = ["--draft"] if draft else []
        output = self.run("add", str(audio), "--season", "1", "--title", title, "--date", DATE, *draft_flag)
        found = re.search(r"^added (.+\.md)$", output, re.M)
        assert found, output
        return Path.cwd() / found.group(1)  # shown relative to the current folder when below it

    def guid(self, episode: Path) -> str:
        found = re.search(r'^guid: "?([^"\n]+)"?$', episode.read_text(encoding="utf-8"), re.M)
        assert found
        return found.group(1)

    def audio(self, episode: Path) -> Path:
        found = re.search(r'^audio: "?([^"\n]+)"?$', episode.read_text(encoding="utf-8"), re.M)
        assert found
        return Path(found.group(1))

    def audio_key(self, episode: Path) -> str:
        """The storage key of the episode's audio, as the last publish recorded it."""
        publication = load_lock(self.root).episodes[self.guid(episode)].publication
        assert publication is not None
        return publication.key


@pytest.fixture
def podcast(tmp_path: Path) -> Podcast:
    return Podcast(tmp_path)


def write_mp3(path: Path, *, seconds: float = 1.0, seed: int = 0, size: int = 0) -> Path:
    """A real CBR MP3 (LAME); with *size*, its frames repeated up to that many bytes (probes exactly)."""
    make_audio(path, "mp3", seconds, xing=False, seed=seed)
    if size:
        frames = path.read_bytes()
        path.write_bytes(frames * (size // len(frames) + 1))
    return path


# -- reading what is live ----------------------------------------------------------


def enclosures(feed: bytes) -> dict[str, tuple[str, int]]:
    """GUID -> (enclosure URL, length) for every item of a feed."""
    channel = etree.fromstring(feed).find("channel")
    assert channel is not None
    found = {}
    for item in channel.iterfind("item"):
        enclosure = item.find("enclosure")
        assert enclosure is not None
        found[item.findtext("guid") or ""] = (enclosure.get("url") or "", int(enclosure.get("length") or -1))
    return found


def key_of(url: str) -> str:
    """The storage key behind a public URL: feeds at the storage root, media under media/."""
    assert url.startswith(SITE), url
    return validate_key(url.removeprefix(SITE))


def assert_live_feeds_whole(storage: Storage) -> None:
    """Every live feed names only objects that are in storage, whole (enclosure length = size)."""
    feeds = [key for key in storage.list() if key.endswith(".xml")]
    assert "feed.xml" in feeds
    for name in feeds:
        document = storage.read(name)
        for url, length in enclosures(document).values():
            info = storage.head(key_of(url))
            assert info is not None, f"{name} names {url}, which is not in storage"
            assert info.size == length, f"{name}: {url} holds {info.size} bytes, the feed says {length}"
        channel = etree.fromstring(document).find("channel")
        assert channel is not None
        for image in channel.iter(f"{{{ITUNES}}}image"):
            assert storage.head(key_of(image.get("href") or "")) is not None


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under *folder* with its inode and modification time: any rewrite shows."""
    return {
        str(path.relative_to(folder)): (path.stat().st_ino, path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


# -- publishing, and publishing again ----------------------------------------------


def test_publish_then_publish_again_sends_nothing(podcast: Podcast, target: Target) -> None:
    first = podcast.add("Premier épisode", seed=1)
    second = podcast.add("Deuxième épisode", seed=2)

    output = podcast.publish(target)

    stored = len(target.storage.list())  # two audio files, the artwork, four feeds
    assert re.search(rf"published to .+: {stored} uploaded, 0 unchanged, 0 deleted", output), output
    assert f"uploaded {podcast.audio_key(first)} (" in output
    assert_live_feeds_whole(target.storage)
    live = enclosures(target.storage.read("feed.xml"))
    assert set(live) == {podcast.guid(first), podcast.guid(second)}
    assert target.storage.read("feed.xml") == (podcast.root / "feeds" / "feed.xml").read_bytes()
    audio = target.storage.head(podcast.audio_key(first))
    assert audio is not None
    assert (audio.content_type, audio.cache_control) == ("audio/mpeg", MEDIA_CACHE)
    assert audio.sha256 == hashlib.sha256(podcast.audio(first).read_bytes()).hexdigest()
    artwork = list(target.storage.list(MEDIA_PREFIX + "artwork/"))
    assert artwork and all(key.startswith("media/artwork/pochette-ete-2023-") for key in artwork)
    for key in artwork:
        cover = target.storage.head(key)
        assert cover is not None and cover.cache_control == MEDIA_CACHE
        assert (cover.content_type or "").startswith("image/")
    for name, kind in (("feed.xml", "application/rss+xml"), ("episodes.json", "application/json")):
        feed = target.storage.head(name)
        assert feed is not None
        assert (feed.content_type, feed.cache_control) == (f"{kind}; charset=utf-8", FEED_CACHE)

    lock_file = podcast.root / "podcast.lock"
    lock_before = lock_file.stat().st_mtime_ns
    if target.proxy is not None:
        # 1,005 more keys under the prefix: the plan must list them in two pages, not HEAD them.
        def put_old(number: int) -> None:
            key = f"media/old/k-{number:04d}.txt"
            target.storage.put_bytes(key, b"x", content_type="text/plain", cache_control=FEED_CACHE)

        with ThreadPoolExecutor(16) as pool:
            list(pool.map(put_old, range(1005)))
        target.proxy.reset()
    else:
        before = snapshot(Path(target.url.removeprefix("file://")))

    output = podcast.publish(target)

    assert re.search(rf"published to .+: 0 uploaded, {stored} unchanged, 0 deleted", output), output
    assert "uploaded media" not in output
    assert lock_file.stat().st_mtime_ns == lock_before  # nothing new to record: not even rewritten
    if target.proxy is not None:
        assert dict(target.proxy.counts) == {"GET": 2}  # two listing pages for 1,011 keys, and nothing else
        assert all(seen.is_list for seen in target.proxy.requests)
        assert len(target.storage.list("media/old/")) == 1005  # kept: no --prune
    else:
        assert snapshot(Path(target.url.removeprefix("file://"))) == before


def test_dry_run_prints_the_plan_and_touches_nothing(podcast: Podcast, target: Target) -> None:
    episode = podcast.add("Premier épisode", seed=1)
    size = podcast.audio(episode).stat().st_size

    output = podcast.publish(target, "--dry-run")

    lines = output.splitlines()
    audio_line = rf"\s+new\s+media/audio/saison-1/premier-episode-[0-9a-f]{{8}}\.mp3\s+{size:,} bytes"
    assert any(re.fullmatch(audio_line, line) for line in lines), output
    assert any(re.fullmatch(r"\s+new\s+feed\.xml\s+[\d,]+ bytes", line) for line in lines), output
    planned = [line for line in lines if re.match(r"\s+new\s", line)]
    assert f"{len(planned)} objects to upload" in output and "nothing was sent" in output
    assert target.storage.list() == {}
    assert load_lock(podcast.root).episodes[podcast.guid(episode)].publication is None
    if target.proxy is not None:
        assert dict(target.proxy.counts) == {"GET": 1} and target.proxy.requests[0].is_list

    podcast.publish(target)
    assert len(target.storage.list()) == len(planned)
    old_key = podcast.audio_key(episode)
    write_mp3(podcast.audio(episode), seconds=2.0, seed=7)
    stored = {key: info.etag for key, info in target.storage.list().items()}
    if target.proxy is not None:
        target.proxy.reset()

    output = podcast.publish(target, "--dry-run")

    new_size = podcast.audio(episode).stat().st_size
    assert re.search(
        rf"new\s+media/audio/saison-1/premier-episode-[0-9a-f]{{8}}\.mp3\s+{new_size:,} bytes", output
    )
    assert re.search(r"unchanged\s+media/artwork/pochette-ete-2023-", output)
    assert re.search(r"changed\s+feed\.xml", output)
    assert old_key not in output  # kept, but no longer part of the show: not in the plan without --prune
    assert {key: info.etag for key, info in target.storage.list().items()} == stored
    assert podcast.audio_key(episode) == old_key  # the lock file still records what is live
    if target.proxy is not None:
        assert dict(target.proxy.counts) == {"GET": 1}


def test_changed_audio_gets_a_new_key_and_the_feed_follows(podcast: Podcast, target: Target) -> None:
    episode = podcast.add("Premier épisode", seed=1)
    guid = podcast.guid(episode)
    podcast.publish(target)
    old_key = podcast.audio_key(episode)
    old_url, old_length = enclosures(target.storage.read("feed.xml"))[guid]
    write_mp3(podcast.audio(episode), seconds=2.5, seed=9)  # the producer re-exports the episode
    new_size = podcast.audio(episode).stat().st_size
    assert new_size != old_length
    if target.proxy is not None:
        target.proxy.reset()

    output = podcast.publish(target)

    new_key = podcast.audio_key(episode)
    assert new_key != old_key
    assert re.search(r": 4 uploaded, ", output), output  # audio, 2 feeds, episodes.json; not the artwork
    url, length = enclosures(target.storage.read("feed.xml"))[guid]  # the same GUID
    assert url == SITE + new_key and url != old_url
    assert length == new_size
    info = target.storage.head(new_key)
    assert info is not None and info.size == new_size
    assert info.sha256 == hashlib.sha256(podcast.audio(episode).read_bytes()).hexdigest()
    assert target.storage.head(old_key) is not None  # kept until --prune: caches and old feeds still name it
    assert_live_feeds_whole(target.storage)
    if target.proxy is not None:
        sent = sorted(seen.path.split("/show/", 1)[1] for seen in target.proxy.seen("PUT"))
        assert sent == sorted([new_key, "episodes.json", "feed.xml", "saison-1.xml"])


def test_list_shows_local_published_and_changed(podcast: Podcast, tmp_path: Path) -> None:
    target = Target(url=(tmp_path / "public").as_uri(), storage=LocalStorage(tmp_path / "public"))
    episode = podcast.add("Premier épisode", seed=1)
    podcast.add("Brouillon", seed=2, draft=True)

    def states() -> dict[str, str]:
        rows = podcast.run("list").splitlines()[1:]
        return {row.split()[2]: row.split()[-1] for row in rows}

    assert states() == {"Premier": "local", "Brouillon": "draft"}
    podcast.publish(target)
    assert states() == {"Premier": "published", "Brouillon": "draft"}
    write_mp3(podcast.audio(episode), seconds=2.0, seed=5)
    podcast.run("build")  # 'list' reads the lock file; build (or check, or publish) probes the new audio
    assert states() == {"Premier": "changed", "Brouillon": "draft"}
    podcast.publish(target)
    assert states() == {"Premier": "published", "Brouillon": "draft"}


def test_unpublished_episodes_leave_the_feeds_and_prune_removes_their_audio(
    podcast: Podcast, target: Target
) -> None:
    kept = podcast.add("Gardé", seed=1)
    drafted = podcast.add("Mis en brouillon", seed=2)
    removed = podcast.add("Supprimé", seed=3)
    podcast.publish(target)
    episodes = {"kept": kept, "drafted": drafted, "removed": removed}
    keys = {name: podcast.audio_key(path) for name, path in episodes.items()}
    text = drafted.read_text(encoding="utf-8")
    drafted.write_text(text.replace("\n---\n", "\ndraft: true\n---\n", 1), encoding="utf-8")
    removed.unlink()

    output = podcast.publish(target)

    assert re.search(r": 3 uploaded, \d+ unchanged, 0 deleted", output), output  # the feeds
    assert set(enclosures(target.storage.read("feed.xml"))) == {podcast.guid(kept)}
    assert set(enclosures(target.storage.read("saison-1.xml"))) == {podcast.guid(kept)}
    assert all(target.storage.head(key) is not None for key in keys.values())  # audio kept without --prune

    output = podcast.publish(target, "--prune", "--dry-run")
    assert re.search(rf"delete\s+{re.escape(keys['drafted'])}", output)
    assert re.search(rf"delete\s+{re.escape(keys['removed'])}", output)
    assert all(target.storage.head(key) is not None for key in keys.values())

    output = podcast.publish(target, "--prune")

    assert re.search(r": 0 uploaded, \d+ unchanged, 2 deleted", output), output
    assert target.storage.head(keys["drafted"]) is None and target.storage.head(keys["removed"]) is None
    assert target.storage.head(keys["kept"]) is not None
    assert_live_feeds_whole(target.storage)


def test_audio_kept_only_in_storage(podcast: Podcast, target: Target) -> None:
    episode = podcast.add("Premier épisode", seed=1)
    podcast.publish(target)
    podcast.audio(episode).unlink()  # another machine: the lock file and storage hold what is needed

    output = podcast.publish(target)

    assert re.search(r": 0 uploaded, \d+ unchanged", output), output
    target.storage.delete(podcast.audio_key(episode))
    feed = target.storage.read("feed.xml")

    output = podcast.publish(target, code=1)

    assert "is not on this machine and" in output and "not in storage" in output
    assert "premier-episode.md" in output
    assert target.storage.read("feed.xml") == feed


# -- file names, keys and the local root ---------------------------------------------


def test_producers_file_names_become_safe_keys(podcast: Podcast, target: Target) -> None:
    episode = podcast.add("Premier épisode", seed=1)
    folder = episode.parent
    (folder / "Photo de l'invité « Zoé ».png").write_bytes(make_png(4, 4, (10, 200, 10)))
    (folder / "transcription du 25 janvier.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nBonjour.\n")
    text = episode.read_text(encoding="utf-8")
    extra = (
        'image: "Photo de l\'invité « Zoé ».png"\ntranscripts:\n  - file: "transcription du 25 janvier.vtt"\n'
    )
    episode.write_text(text.replace("\n---\n", f"\n{extra}---\n", 1), encoding="utf-8")

    podcast.publish(target)

    media = sorted(key for key in target.storage.list() if key.startswith(MEDIA_PREFIX))
    for key in media:  # plain ASCII, URL-safe, under its folder, each with a content hash
        assert re.fullmatch(
            r"media/(artwork|audio/saison-1|transcripts)/[a-z0-9-]+-[0-9a-f]{8}[a-z0-9-]*\.[a-z0-9]+", key
        )
    starts = {re.sub(r"-[0-9a-f]{8}[a-z0-9-]*\.[a-z0-9]+$", "", key) for key in media}
    assert starts == {
        "media/artwork/photo-de-l-invite-zoe",
        "media/artwork/pochette-ete-2023",
        "media/audio/saison-1/premier-episode",
        "media/transcripts/transcription-du-25-janvier",
    }
    named = set(re.findall(re.escape(SITE) + r'(media/[^"<\s]+)', target.storage.read("feed.xml").decode()))
    assert named <= set(media)
    assert any(key.startswith("media/transcripts/") for key in named)
    assert any(key.startswith("media/artwork/photo-de-l-invite-zoe-") for key in named)
    assert_live_feeds_whole(target.storage)


@pytest.mark.parametrize(
    "name",
    [
        "mon épisode.png",
        "« épisode ».png",
        "../../outside.png",
        "/etc/passwd",
        "C:\\Users\\x\\cover.png",
        "bell\x07and\nnewline\x1b[31m.png",
        "\u202eevil.png",
        "..",
        ".hidden",
        "",
    ],
)
def test_asset_keys_are_safe_whatever_the_name(name: str) -> None:
    key = asset_key(name, "artwork", "0123abcd" * 8)
    assert validate_key(key) == key
    assert key.startswith("artwork/") and key.count("/") == 1
    assert "0123abcd" in key


def test_nothing_is_written_outside_the_podcast_and_the_local_root(podcast: Podcast, tmp_path: Path) -> None:
    public = tmp_path / "public"
    target = Target(url=public.as_uri(), storage=LocalStorage(public))
    episode = podcast.add("Premier épisode", seed=1)
    (tmp_path / "outside.png").write_bytes(make_png(2, 2))
    text = episode.read_text(encoding="utf-8")
    before = snapshot(tmp_path)

    for image in ("../../../outside.png", str(tmp_path / "outside.png")):
        episode.write_text(text.replace("\n---\n", f'\nimage: "{image}"\n---\n', 1), encoding="utf-8")
        output = podcast.publish(target, code=1)
        assert "points outside the podcast folder" in output and "premier-episode.md" in output
    episode.write_text(text, encoding="utf-8")
    assert not public.exists()

    podcast.publish(target)

    written = set(snapshot(tmp_path)) - set(before)
    allowed = ("podcast/feeds/", "podcast/.podcaster/", "podcast/podcast.lock", "public/")
    assert written and all(name.startswith(allowed) for name in written), written
    for path in public.rglob("*"):
        assert Path(os.path.realpath(path)).is_relative_to(public)


# -- one publish at a time -------------------------------------------------------------


def test_a_second_publish_at_once_refuses_naming_the_lock(podcast: Podcast, target: Target) -> None:
    podcast.add("Premier épisode", seed=1)

    with publishing_lock(podcast.root):
        output = podcast.publish(target, code=1)
        assert "another publish of this podcast is running (pid " in output
        assert ".podcaster/publish.lock" in output
        assert target.storage.list() == {}
        podcast.publish(target, "--dry-run")  # a dry run only reads: it does not wait for the lock

    podcast.publish(target)  # released: the next one goes through
    assert_live_feeds_whole(target.storage)


def test_a_publish_from_the_terminal_is_in_the_studio_log_unless_it_sent_nothing(
    podcast: Podcast, target: Target
) -> None:
    podcast.add("Premier épisode", seed=1)
    podcast.publish(target, "--no-verify")
    last = last_publish(podcast.root)
    assert last is not None and last.who.endswith("(terminal)") and last.action == "publish"
    podcast.publish(target, "--no-verify")  # nothing to send: as a cron run every five minutes
    assert [entry.action for entry in recent_activity(podcast.root)] == ["publish"]


def test_an_episode_added_while_a_publish_runs_keeps_its_facts_in_the_lock(
    podcast: Podcast, target: Target
) -> None:
    """A producer adds an episode (the studio, another terminal) while a publish uploads: both saves stay."""
    first = podcast.add("Premier épisode", seed=1)

    class AddsMidway(PublishReporter):
        added: Path | None = None
        once = threading.Lock()  # files start in several upload threads at once

        def file_started(self, item: PlannedObject) -> None:
            with self.once:
                if self.added is None:  # the publish read the lock already; it saves it at the end
                    self.added = podcast.add("Ajouté pendant la publication", seed=2, draft=True)

    reporter = AddsMidway()
    publish(podcast.root, storage_url=target.url, reporter=reporter)

    assert reporter.added is not None
    lock = load_lock(podcast.root)
    assert lock.episodes[podcast.guid(first)].publication is not None  # the publish's own record
    added = lock.episodes[podcast.guid(reporter.added)]  # and the other writer's, kept
    assert added.media.size == (podcast.root / podcast.audio(reporter.added)).stat().st_size
    assert added.publication is None


# -- faults on S3 ------------------------------------------------------------------------


def _small_parts(monkeypatch: pytest.MonkeyPatch, concurrency: int = 2) -> None:
    # 5 MiB parts (S3's minimum): an 11 MiB episode goes up in three parts.
    monkeypatch.setenv(THRESHOLD_ENV, "5M")
    monkeypatch.setenv(CONCURRENCY_ENV, str(concurrency))


def _published_then_a_long_episode(podcast: Podcast, target: Target) -> tuple[bytes, Path]:
    """Publish one short episode, then add an 11 MiB one; return the live feed and the new episode."""
    podcast.add("Premier épisode", seed=1)
    podcast.publish(target)
    long_episode = podcast.add("Long entretien", seed=2, size=11 * MiB)
    return target.storage.read("feed.xml"), long_episode


def _planned_key(podcast: Podcast, episode: Path) -> str:
    facts = load_lock(podcast.root).episodes[podcast.guid(episode)].media
    return f"media/audio/saison-1/{episode.stem}-{facts.sha256[:8]}.mp3"


@pytest.mark.s3
def test_a_failed_part_is_retried_and_publish_completes(
    podcast: Podcast, s3_target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert s3_target.proxy is not None
    _small_parts(monkeypatch)
    _, long_episode = _published_then_a_long_episode(podcast, s3_target)
    s3_target.proxy.reset()
    s3_target.proxy.fail_part(2, status=500, times=1)

    podcast.publish(s3_target)

    parts = sorted(seen.status or 0 for seen in s3_target.proxy.seen("PUT") if seen.is_part)
    assert parts == [200, 200, 200, 500]
    key = podcast.audio_key(long_episode)
    assert (s3_target.storage.head(key) or pytest.fail("missing")).size == podcast.audio(
        long_episode
    ).stat().st_size
    assert_live_feeds_whole(s3_target.storage)


@pytest.mark.s3
@pytest.mark.parametrize("fault", ["part answers 500", "connection dropped"])
def test_an_upload_failing_for_good_keeps_the_old_feed(
    podcast: Podcast, s3_target: Target, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    proxy = s3_target.proxy
    assert proxy is not None
    _small_parts(monkeypatch)
    old_feed, long_episode = _published_then_a_long_episode(podcast, s3_target)
    key = _planned_key(podcast, long_episode)
    proxy.reset()
    if fault == "part answers 500":
        proxy.fail_part(2, status=500, times=1000)
    else:
        proxy.drop_put(re.escape(key.rsplit("/", 1)[1]), after=MiB, times=1000)

    output = podcast.publish(s3_target, code=1)

    assert key in output
    assert "publish stopped (0 of 4 uploads done); no feed was changed" in output
    assert "Run publish again to finish" in output
    assert s3_target.storage.read("feed.xml") == old_feed
    assert s3_target.storage.head(key) is None
    assert_live_feeds_whole(s3_target.storage)
    assert not [seen for seen in proxy.seen("PUT") if not seen.is_part and seen.path.endswith(".xml")]
    uploads = s3_target.admin().list_multipart_uploads(Bucket=s3_target.bucket)
    assert uploads.get("Uploads", []) == []  # aborted, not left to cost storage

    proxy.reset()
    podcast.publish(s3_target)

    guid = podcast.guid(long_episode)
    assert enclosures(s3_target.storage.read("feed.xml"))[guid] == (
        SITE + key,
        podcast.audio(long_episode).stat().st_size,
    )
    assert_live_feeds_whole(s3_target.storage)


@pytest.mark.s3
def test_one_small_file_failing_among_several_stops_before_the_feeds(
    podcast: Podcast, s3_target: Target
) -> None:
    proxy = s3_target.proxy
    assert proxy is not None
    podcast.add("Premier épisode", seed=1)
    podcast.publish(s3_target)
    old_feed = s3_target.storage.read("feed.xml")
    added = [podcast.add(f"Nouvel épisode {number}", seed=10 + number) for number in range(4)]
    failing = _planned_key(podcast, added[2])
    proxy.reset()
    proxy.fail_put(re.escape(failing) + "$", status=503, times=1000)

    output = podcast.publish(s3_target, code=1)

    assert f"cannot upload '{failing}'" in output and "HTTP 503" in output
    assert "no feed was changed" in output
    assert s3_target.storage.read("feed.xml") == old_feed
    assert s3_target.storage.head(failing) is None
    assert_live_feeds_whole(s3_target.storage)
    arrived = {key for key in (_planned_key(podcast, path) for path in added) if s3_target.storage.head(key)}

    proxy.reset()
    podcast.publish(s3_target)

    sent = {seen.path.split("/show/", 1)[1] for seen in proxy.seen("PUT")}
    assert sent == {*(_planned_key(podcast, path) for path in added)} - arrived | {
        "feed.xml",
        "saison-1.xml",
        "episodes.json",
    }
    assert failing in sent
    assert set(enclosures(s3_target.storage.read("feed.xml"))) >= {podcast.guid(path) for path in added}
    assert_live_feeds_whole(s3_target.storage)


@pytest.mark.s3
def test_a_503_on_the_feed_keeps_the_old_feed_then_publish_finishes(
    podcast: Podcast, s3_target: Target
) -> None:
    proxy = s3_target.proxy
    assert proxy is not None
    podcast.add("Premier épisode", seed=1)
    podcast.publish(s3_target)
    old_feed = s3_target.storage.read("feed.xml")
    second = podcast.add("Deuxième épisode", seed=2)
    lock_before = (podcast.root / "podcast.lock").read_bytes()
    proxy.reset()
    proxy.fail_put(r"/feed\.xml$", status=503, times=1000)

    output = podcast.publish(s3_target, code=1)

    assert "cannot upload 'feed.xml'" in output and "HTTP 503" in output
    assert (
        "episodes.json, saison-1.xml already updated (all they name is online); feed.xml not changed"
        in output
    )
    assert s3_target.storage.read("feed.xml") == old_feed
    assert podcast.guid(second) in enclosures(s3_target.storage.read("saison-1.xml"))
    assert_live_feeds_whole(s3_target.storage)
    assert (podcast.root / "podcast.lock").read_bytes() == lock_before  # written last, only on success
    assert [seen.status for seen in proxy.seen("PUT", pattern=r"/feed\.xml$")] == [503, 503]

    proxy.reset()
    output = podcast.publish(s3_target)

    assert re.search(r": 1 uploaded, ", output), output
    assert [seen.path for seen in proxy.seen("PUT")] == [f"/{s3_target.bucket}/show/feed.xml"]
    assert podcast.guid(second) in enclosures(s3_target.storage.read("feed.xml"))
    assert_live_feeds_whole(s3_target.storage)


_CLI = "import sys; from podcaster.cli.main import main; sys.exit(main())"


@pytest.mark.s3
def test_a_publish_killed_in_the_middle_of_a_large_upload(
    podcast: Podcast, s3_target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = s3_target.proxy
    assert proxy is not None
    _small_parts(monkeypatch, concurrency=1)  # one part after the other: a long window to kill in
    old_feed, long_episode = _published_then_a_long_episode(podcast, s3_target)
    key = _planned_key(podcast, long_episode)
    lock_before = (podcast.root / "podcast.lock").read_bytes()
    proxy.reset()
    proxy.throttle(4 * MiB)  # a 5 MiB part takes over a second
    repository = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(repository)}
    command = [sys.executable, "-c", _CLI, "--root", str(podcast.root), "publish", "--storage", s3_target.url]
    publisher = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while publisher.poll() is None and time.monotonic() < deadline:
            if any(seen.is_part and seen.status == 200 for seen in proxy.seen("PUT")):
                break
            time.sleep(0.01)
        assert publisher.poll() is None, publisher.communicate()
        # Meanwhile, a second publish of the same podcast refuses, naming the lock and its holder.
        output = podcast.publish(s3_target, code=1)
        assert f"another publish of this podcast is running (pid {publisher.pid}," in output
        assert ".podcaster/publish.lock" in output
    finally:
        publisher.send_signal(signal.SIGKILL)
        publisher.communicate()
    assert publisher.returncode == -signal.SIGKILL

    # Killed mid-upload: the object is not there, the live feed is the old one and whole.
    assert s3_target.storage.head(key) is None
    assert s3_target.storage.read("feed.xml") == old_feed
    assert_live_feeds_whole(s3_target.storage)
    assert (podcast.root / "podcast.lock").read_bytes() == lock_before
    # The unfinished multipart upload stays until a lifecycle rule aborts it (see the README).
    uploads = s3_target.admin().list_multipart_uploads(Bucket=s3_target.bucket)
    assert [upload["Key"] for upload in uploads.get("Uploads", [])] == [f"show/{key}"]

    proxy.throttle(None)
    proxy.reset()
    output = podcast.publish(s3_target)

    assert re.search(r": 4 uploaded, ", output), output  # the first episode and artwork not re-sent
    sent = {seen.path.split("/show/", 1)[1] for seen in proxy.seen("PUT")}
    assert sent == {key, "feed.xml", "saison-1.xml", "episodes.json"}
    guid = podcast.guid(long_episode)
    assert enclosures(s3_target.storage.read("feed.xml"))[guid] == (
        SITE + key,
        podcast.audio(long_episode).stat().st_size,
    )
    assert_live_feeds_whole(s3_target.storage)


# Publishes in a process of its own, and stops for good (until killed) once the audio and its metadata
# record are both written to temporary files, before either is renamed: the worst moment to be killed.
_PAUSED_PUBLISH = """
import sys, time
from pathlib import Path
import podcaster.storage.local as local
from podcaster.actions.publish import publish

root, url, marker = sys.argv[1:]
write_all = local.write_all

def write_then_wait(handle, data):
    write_all(handle, data)
    if data.startswith(b'{"cache_control"'):  # the record of the first large file sent
        Path(marker).touch()
        time.sleep(3600)

local.write_all = write_then_wait
publish(Path(root), storage_url=url)
"""


def _temporaries(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob(".tmp-*"))


def test_a_publish_killed_outright_leaves_temporaries_the_next_one_removes(
    podcast: Podcast, tmp_path: Path
) -> None:
    public = tmp_path / "public"
    target = Target(url=public.as_uri(), storage=LocalStorage(public))
    podcast.add("Premier épisode", seed=1)
    podcast.publish(target)
    old_feed = target.storage.read("feed.xml")
    long_episode = podcast.add("Long entretien", seed=2, size=11 * MiB)
    marker = tmp_path / "paused"
    repository = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(repository)}
    command = [sys.executable, "-c", _PAUSED_PUBLISH, str(podcast.root), target.url, str(marker)]
    publisher = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120  # a bound on a hang, not a wait: the marker ends it
        while not marker.exists() and publisher.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert marker.exists(), publisher.communicate()
    finally:
        publisher.send_signal(signal.SIGKILL)
        publisher.communicate()
    assert publisher.returncode == -signal.SIGKILL

    # Killed between writing and renaming: the whole audio and its record lie in hidden temporary files.
    left = _temporaries(public)
    assert [Path(name).parent.parts[0] for name in left] == [".podcaster-meta", "media"], left
    assert max((public / name).stat().st_size for name in left) >= 11 * MiB
    assert target.storage.read("feed.xml") == old_feed
    # Not ours, or newer than the next publish's lock (a writer still under way): kept.
    (public / "media" / ".tmp-notours").write_bytes(b"x")
    (public / ".git").mkdir()
    (public / ".git" / ".tmp-0123456789abcdef").write_bytes(b"x")
    future = public / "media" / ".tmp-fedcba9876543210"
    future.write_bytes(b"x")
    later = time.time() + 3600
    os.utime(future, (later, later))

    output = podcast.publish(target)

    assert re.search(r"removed 2 temporary files \([\d,]+ bytes\) left by an interrupted publish", output)
    assert _temporaries(public) == [
        ".git/.tmp-0123456789abcdef",
        "media/.tmp-fedcba9876543210",
        "media/.tmp-notours",
    ]
    assert podcast.guid(long_episode) in enclosures(target.storage.read("feed.xml"))
    assert_live_feeds_whole(target.storage)


# -- settings ------------------------------------------------------------------------------


def test_progress_bars_follow_parallel_uploads(podcast: Podcast, tmp_path: Path) -> None:
    for number in range(4):
        podcast.add(f"Épisode {number}", seed=number)
    console = Console(file=io.StringIO(), force_terminal=True, width=100)

    with BarReporter(console) as bars:
        result = publish(podcast.root, storage_url=(tmp_path / "public").as_uri(), reporter=bars)

    shown = console.file.getvalue()  # type: ignore[attr-defined]
    assert len(result.uploaded) == len(result.plan.uploads) >= 8  # 4 audio, the artwork, 3 feeds
    for key in result.uploaded:
        assert f"uploaded {key} (" in shown
    assert not bars.tasks
