"""verify: a published podcast fetched over real HTTP the way podcast apps' crawlers fetch it.

Against the site (Flask, byte ranges), a public-read SeaweedFS bucket (the S3
endpoint itself serving the objects), and a tiny static host that can be made
to misbehave (no byte ranges, wrong types, redirects, silence).
"""

from __future__ import annotations

import hashlib
import json
import socket
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from podcaster.actions.publish import publish
from podcaster.cli.main import main
from podcaster.verifying import Check, Level, VerifyReport, VerifySettings, verify_feed, verify_podcast
from tests.fixtures.browser import Server
from tests.fixtures.s3 import SeaweedServer, admin_client
from tests.fixtures.site import NOW, make_site
from tests.fixtures.staticserver import StaticServer

FAST = VerifySettings(timeout=5.0, deadline=20.0)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # urllib honours proxy variables; these tests talk to 127.0.0.1 only.
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def static(tmp_path: Path, sample_mp3: Path) -> Iterator[tuple[StaticServer, Path]]:
    """The test podcast published to a local folder that a tiny static host serves."""
    server = StaticServer()
    root = make_site(tmp_path / "podcast", sample_mp3, base_url=server.url("/"))
    server.folder = root / "public"
    try:
        yield server, root
    finally:
        server.close()


@pytest.fixture
def s3_site(
    s3_bucket: str, seaweedfs: SeaweedServer, tmp_path: Path, sample_mp3: Path
) -> Iterator[tuple[Path, Any, str]]:
    """The test podcast published to a bucket that anyone may read, its URLs those of the S3 endpoint."""
    client = admin_client(seaweedfs)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["s3:GetObject"],
                "Resource": [f"arn:aws:s3:::{s3_bucket}/*"],
            }
        ],
    }
    client.put_bucket_policy(Bucket=s3_bucket, Policy=json.dumps(policy))
    root = make_site(tmp_path / "podcast", sample_mp3, base_url=f"{seaweedfs.endpoint}/{s3_bucket}/")
    publish(root, storage_url=f"s3://{s3_bucket}", now=NOW)
    try:
        yield root, client, s3_bucket
    finally:
        client.close()


def cli(*args: str, code: int) -> Result:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def messages(report: VerifyReport, level: Level = Level.ERROR) -> list[str]:
    return [str(finding) for finding in report.findings if finding.level is level]


def first_audio(root: Path) -> str:
    """The storage key of one published episode's audio."""
    return sorted(
        str(p.relative_to(root / "public")) for p in (root / "public" / "media" / "audio").rglob("*.mp3")
    )[0]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- everything right ------------------------------------------------------------------


def test_the_site_passes_every_check(live_server: Server) -> None:
    assert live_server.root is not None
    report = verify_podcast(live_server.root, settings=FAST)
    assert report.ok, [str(finding) for finding in report.findings]
    assert report.findings == ()
    assert report.items == 3 and report.urls_checked >= 6  # feed, 3 enclosures, artwork, transcript
    assert report.guids_compared
    result = cli("--root", str(live_server.root), "verify", code=0)
    assert "3 episodes" in result.stdout and "0 errors" in result.stdout


@pytest.mark.s3
def test_a_public_bucket_passes_every_check(s3_site: tuple[Path, Any, str], seaweedfs: SeaweedServer) -> None:
    root, _client, bucket = s3_site
    report = verify_podcast(root, settings=FAST)
    assert report.ok, [str(finding) for finding in report.findings]
    assert report.feed_url == f"{seaweedfs.endpoint}/{bucket}/feed.xml"
    assert report.items == 3
    cli("--root", str(root), "verify", code=0)


def test_requests_look_like_a_crawlers(static: tuple[StaticServer, Path]) -> None:
    server, root = static
    assert verify_podcast(root, settings=FAST).ok
    seen = server.requests()
    assert all(headers["User-Agent"].startswith("podcaster-verify/") for _, _, headers in seen)
    audio = "/" + first_audio(root)
    asked = [(method, headers.get("Range")) for method, path, headers in seen if path == audio]
    assert sorted(asked, key=str) == [("GET", "bytes=0-1"), ("HEAD", None)]
    feed = [headers for method, path, headers in seen if path == "/feed.xml"]
    assert len(feed) == 1 and feed[0]["Accept-Encoding"] == "gzip"


# -- what a host gets wrong ---------------------------------------------------------------


@pytest.mark.s3
def test_a_wrong_content_type_is_reported(s3_site: tuple[Path, Any, str], seaweedfs: SeaweedServer) -> None:
    root, client, bucket = s3_site
    key = first_audio(root)
    client.put_object(
        Bucket=bucket, Key=key, Body=(root / "public" / key).read_bytes(), ContentType="text/plain"
    )
    report = verify_podcast(root, settings=FAST)
    url = f"{seaweedfs.endpoint}/{bucket}/{key}"
    assert messages(report) == [
        f"{url}: served as 'text/plain', expected 'audio/mpeg' (the enclosure's type)"
    ]
    result = cli("--root", str(root), "verify", code=1)
    assert f"{url}: served as 'text/plain'" in result.stderr
    assert "1 error" in result.stdout


@pytest.mark.s3
def test_a_truncated_object_is_reported(s3_site: tuple[Path, Any, str], seaweedfs: SeaweedServer) -> None:
    root, client, bucket = s3_site
    key = first_audio(root)
    data = (root / "public" / key).read_bytes()
    client.put_object(Bucket=bucket, Key=key, Body=data[:-1000], ContentType="audio/mpeg")
    report = verify_podcast(root, settings=FAST)
    url = f"{seaweedfs.endpoint}/{bucket}/{key}"
    short, full = f"{len(data) - 1000:,}", f"{len(data):,}"
    assert messages(report) == [
        f"{url}: size HEAD Content-Length {short}; ranged GET Content-Range total {short}; expected {full} "
        "bytes (the enclosure's length): a truncated or replaced file, or a wrong length in the feed"
    ]
    cli("--root", str(root), "verify", code=1)


def test_a_server_without_byte_ranges_is_reported(static: tuple[StaticServer, Path]) -> None:
    server, root = static
    server.ranges = False
    report = verify_podcast(root, settings=FAST)
    assert not report.ok
    enclosures = [finding for finding in report.findings if finding.check is Check.ENCLOSURE]
    assert len(enclosures) == 3  # one line per episode
    assert all("answered 200 with the whole file, expected 206" in finding.message for finding in enclosures)
    assert all(finding.where.endswith(".mp3") for finding in enclosures)
    result = cli("--root", str(root), "verify", code=1)
    assert result.stderr.count("expected 206") == 3


def test_a_missing_accept_ranges_header_is_reported(static: tuple[StaticServer, Path]) -> None:
    server, root = static
    server.accept_ranges = False  # answers 206 to a range, but never says it takes them
    report = verify_podcast(root, settings=FAST)
    assert len(report.errors) == 3
    assert all(
        finding.message
        == "no 'Accept-Ranges: bytes' header (on HEAD or the ranged GET), which Apple Podcasts "
        "expects"
        for finding in report.errors
    )


def test_artwork_transcripts_and_chapters_are_checked(static: tuple[StaticServer, Path]) -> None:
    server, root = static
    feed = (root / "public" / "feed.xml").read_text(encoding="utf-8")
    chapters = server.url("/media/chapters/premier.json")
    feed = feed.replace(
        "<podcast:transcript ",
        f'<podcast:chapters url="{chapters}" type="application/json+chapters"/><podcast:transcript ',
        1,
    )
    server.override("/feed.xml", data=feed.encode())
    document = {"version": "1.2.0", "chapters": [{"startTime": 0, "title": "Ouverture"}]}
    server.override("/media/chapters/premier.json", data=json.dumps(document).encode())
    report = verify_feed(server.url("/feed.xml"), settings=FAST)
    assert report.ok, messages(report)

    cover = next(p for p in (root / "public" / "media" / "artwork").iterdir() if p.name.startswith("cover"))
    transcript = next((root / "public" / "media" / "transcripts").iterdir())
    server.override(f"/media/artwork/{cover.name}", content_type="text/html")
    server.override(f"/media/transcripts/{transcript.name}", status=404)
    server.override("/media/chapters/premier.json", data=b"{ not json", content_type="application/json")
    report = verify_feed(server.url("/feed.xml"), settings=FAST)
    found = {finding.check: finding for finding in report.errors}
    assert set(found) == {Check.ARTWORK, Check.TRANSCRIPT, Check.CHAPTERS}
    assert found[Check.ARTWORK].message == "served as 'text/html', expected 'image/jpeg' or 'image/png'"
    assert found[Check.TRANSCRIPT].message == "GET answered 404, expected 200"
    assert found[Check.CHAPTERS].message.startswith("not JSON")
    assert found[Check.CHAPTERS].where == chapters

    # A JPEG name on PNG bytes, and chapters that are JSON but not chapters.
    server.override(
        f"/media/artwork/{cover.name}", content_type="image/jpeg", data=b"\x89PNG\r\n\x1a\n" + b"0" * 32
    )
    server.override(
        "/media/transcripts/" + transcript.name, content_type="text/vtt", data=b"1\n00:00 --> 00:01\n"
    )
    server.override("/media/chapters/premier.json", data=b'{"version": "1.2.0"}', content_type="text/html")
    report = verify_feed(server.url("/feed.xml"), settings=FAST)
    assert sorted(finding.message for finding in report.errors) == [
        'not Podcasting 2.0 JSON chapters: no "chapters" list',
        "not a WebVTT file: it does not start with 'WEBVTT'",
        "served as 'image/jpeg' but the file is a PNG image",
        "served as 'text/html', expected 'application/json+chapters'",
    ]


def test_a_feed_that_does_not_parse_or_lacks_required_tags(static: tuple[StaticServer, Path]) -> None:
    server, root = static
    feed = (root / "public" / "feed.xml").read_bytes()
    server.override("/feed.xml", data=feed.replace(b"<language>fr</language>", b""))
    report = verify_feed(server.url("/feed.xml"), settings=FAST)
    assert messages(report) == [
        f"{server.url('/feed.xml')}: the channel has no <language>, which Apple Podcasts requires"
    ]

    server.override("/feed.xml", data=feed[: len(feed) // 2])
    report = verify_feed(server.url("/feed.xml"), settings=FAST)
    assert report.urls_checked == 1
    assert any("feedparser does not read the feed cleanly" in message for message in messages(report))
    assert any("not well-formed XML" in message for message in messages(report))

    # The same hardened parser as import's: a feed declaring entities is refused, not half-read.
    declared = feed.replace(b"<rss", b'<!DOCTYPE rss [<!ENTITY show "Penser">]>\n<rss', 1)
    server.override("/feed.xml", data=declared)
    report = verify_feed(server.url("/feed.xml"), settings=FAST)
    assert any("the feed declares XML entities" in message for message in messages(report))

    server.override("/feed.xml", status=404)
    report = verify_feed(server.url("/feed.xml"), settings=FAST)
    assert messages(report) == [f"{server.url('/feed.xml')}: the feed answered 404, expected 200"]


def test_a_permanent_redirect_is_reported_as_info(static: tuple[StaticServer, Path]) -> None:
    server, root = static
    server.override("/old.xml", location=server.url("/feed.xml"), status=301)
    server.override("/moved.xml", location=server.url("/feed.xml"), status=302)
    report = verify_podcast(root, server.url("/old.xml"), settings=FAST)
    assert report.ok
    assert messages(report, Level.INFO) == [
        f"{server.url('/old.xml')}: info: moved permanently (301) to {server.url('/feed.xml')}: "
        "apps will use the new URL from now on"
    ]
    assert verify_podcast(root, server.url("/moved.xml"), settings=FAST).findings == ()


def _bounded(check: Callable[[], VerifyReport]) -> VerifyReport:
    """Run *check*, failing (not hanging) if it never returns: the guard is far above any bound tested."""
    pool = ThreadPoolExecutor(1)
    try:
        return pool.submit(check).result(timeout=120)
    finally:
        pool.shutdown(wait=False)


def test_a_silent_server_is_bounded_in_time(static: tuple[StaticServer, Path]) -> None:
    server, root = static
    key = "/" + first_audio(root)
    server.override(key, hang=True)
    # The bound is proved by what ends the checks (the timeout, then the deadline), named in the
    # findings, not by a stopwatch: on a busy machine a second more says nothing. A hang fails the test.
    # A timeout the answering checks meet even on a busy machine.
    report = _bounded(lambda: verify_podcast(root, settings=VerifySettings(timeout=1.5, deadline=60)))
    assert [finding.message for finding in report.errors] == [
        "HEAD failed: no answer from 127.0.0.1 within 1.5 s",
        "a ranged GET (Range: bytes=0-1) failed: no answer from 127.0.0.1 within 1.5 s",
    ]
    # A deadline the other checks meet even on a busy machine, well before the 5 s timeout.
    report = _bounded(lambda: verify_podcast(root, settings=VerifySettings(timeout=5, deadline=2)))
    assert [finding.message for finding in report.errors] == [
        "not checked: no answer within the 2 s given to all the checks"
    ]


# -- GUIDs --------------------------------------------------------------------------------


def _set_guid(root: Path, slug: str, guid: str) -> Path:
    path = root / "episodes" / "saison-1" / f"{slug}.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(f"guid: test-guid-{slug}", f"guid: {guid}"), encoding="utf-8")
    return path


def test_a_guid_changed_in_the_catalogue_is_reported_before_and_after_publishing(
    static: tuple[StaticServer, Path],
) -> None:
    _server, root = static
    _set_guid(root, "premier-episode", "une-autre-guid")
    where = "episodes/saison-1/premier-episode.md"
    report = verify_podcast(root, settings=FAST)
    assert messages(report) == [
        f"{where}: GUID changed since the last publish: the feed has 'test-guid-premier-episode', the "
        "episode file says 'une-autre-guid'; publishing it would make apps list the episode twice. "
        "Put the old GUID back in its front matter"
    ]
    publish(root, now=NOW)
    report = verify_podcast(root, settings=FAST)
    assert messages(report) == [
        f"{where}: GUID changed since the last publish: it was 'test-guid-premier-episode', it is "
        "'une-autre-guid' now; apps will list the episode twice. Put the old GUID back in its front matter"
    ]
    cli("--root", str(root), "verify", code=1)


@pytest.mark.s3
def test_a_feed_guid_unknown_to_the_lock_is_reported(
    s3_site: tuple[Path, Any, str], seaweedfs: SeaweedServer
) -> None:
    root, client, bucket = s3_site
    feed = (root / "public" / "feed.xml").read_bytes().replace(b"test-guid-premier-episode<", b"autre-chose<")
    client.put_object(Bucket=bucket, Key="feed.xml", Body=feed, ContentType="application/rss+xml")
    report = verify_podcast(root, settings=FAST)
    url = f"{seaweedfs.endpoint}/{bucket}/feed.xml"
    assert messages(report) == [
        f"{url}: «Premier épisode : le terrain» has the GUID 'autre-chose', which podcast.lock does not know: "
        "GUID changed? Apps would take it for a new episode"
    ]
    # The live episode published under its GUID is gone from the feed; since the feed served is not the
    # one publish sent, a cache may be at fault: a warning.
    [warning] = messages(report, Level.WARNING)
    assert "'test-guid-premier-episode', but no item of the feed has it" in warning
    assert "a cache may still hold an older copy" in warning


def test_a_live_episode_missing_from_the_feed_is_an_error(static: tuple[StaticServer, Path]) -> None:
    server, root = static
    # The host serves an old feed.xml without one live episode, while the lock says it was sent.
    feed = (root / "public" / "feed.xml").read_text(encoding="utf-8")
    start = feed.index("<item>")
    end = feed.index("</item>") + len("</item>")
    trimmed = (feed[:start] + feed[end:]).encode()
    (root / "public" / "feed.xml").write_bytes(trimmed)
    lock = json.loads((root / "podcast.lock").read_text(encoding="utf-8"))
    lock["feeds"]["feed.xml"] = hashlib.sha256(trimmed).hexdigest()  # as if publish had sent this one
    (root / "podcast.lock").write_text(json.dumps(lock), encoding="utf-8")
    report = verify_podcast(root, settings=FAST)
    assert len(report.errors) == 1
    assert (
        "(episodes/saison-2/saison-2-debut.md) is live, and was published with the GUID"
        in report.errors[0].message
    )
    # A season feed only answers for its own season.
    assert verify_podcast(root, server.url("/saison-1.xml"), settings=FAST).ok


# -- unreachable, and publish -----------------------------------------------------------------


def test_an_unreachable_feed_fails_verify_but_only_warns_after_publish(
    tmp_path: Path, sample_mp3: Path
) -> None:
    port = closed_port()
    root = make_site(tmp_path / "podcast", sample_mp3, base_url=f"http://127.0.0.1:{port}/")
    report = verify_podcast(root, settings=FAST)
    assert not report.ok and report.findings == ()
    assert report.unreachable == "connection refused by 127.0.0.1: nothing listens there"
    result = cli("--root", str(root), "verify", code=1)
    assert (
        f"http://127.0.0.1:{port}/feed.xml: the feed cannot be fetched: connection refused" in result.stderr
    )

    result = cli("--root", str(root), "publish", "--quiet", code=0)
    assert f"warning: the public feed http://127.0.0.1:{port}/feed.xml could not be reached" in result.stderr
    assert "the publish stands" in result.stderr
    assert "published to" in result.stdout


def test_publish_fails_when_the_public_side_fails(static: tuple[StaticServer, Path]) -> None:
    server, root = static
    result = cli("--root", str(root), "publish", "--quiet", code=0)
    assert "0 errors" in result.stdout
    server.ranges = False
    result = cli("--root", str(root), "publish", "--quiet", code=1)
    assert result.stderr.count("expected 206") == 3
    assert "the storage holds everything, but the public side fails" in result.stderr
    before = len(server.requests())
    cli("--root", str(root), "publish", "--quiet", "--no-verify", code=0)
    assert len(server.requests()) == before


def test_verify_outside_a_podcast_folder_checks_all_but_guids(
    static: tuple[StaticServer, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, _root = static
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = cli("verify", server.url("/feed.xml"), code=0)
    assert "GUIDs not compared" in result.stdout
    assert cli("verify", code=1).output.count("no podcast.toml") == 1
