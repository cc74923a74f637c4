"""``podcaster import`` fed what a hostile or careless host serves (issue 10, items 1, 2, 4, 5 and 9).

An import keeps every item with its GUID, or exits 1 having written nothing and
saying why; an item that cannot be imported this time (a dead or malformed
enclosure) is named with its line, the rest is imported, the command exits 1,
and a rerun picks it up. No input gives a traceback. Feeds come from a real
local HTTP server.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from podcaster.actions.build import build
from podcaster.cli.main import main
from podcaster.errors import SourceError
from podcaster.folder.catalogue import load_catalogue
from podcaster.importing.htmlmd import html_to_notes
from tests.fixtures.httpserver import LocalServer
from tests.test_import import NEW_FEED, NOW, import_feed, read_built, rehost_feed
from tests.test_import import enclosures as enclosures

CONTENT = "http://purl.org/rss/1.0/modules/content/"
ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
CHANNEL = (
    "<title>Hostile</title><description>D</description><language>en</language>"
    "<itunes:owner><itunes:name>O</itunes:name><itunes:email>o@example.org</itunes:email></itunes:owner>"
)


def item(n: int, *, title: str | None = None, notes: str = "notes", extra: str = "", url: str = "") -> str:
    return (
        f"<item><title>{title if title is not None else f'Episode {n}'}</title><guid>guid-{n}</guid>"
        f"<pubDate>Wed, {10 + n:02d} Jan 2024 10:00:00 +0000</pubDate>"
        f"<content:encoded><![CDATA[{notes}]]></content:encoded>"
        f'<enclosure url="{url or f"https://cdn.example.net/{n}.mp3"}" length="1000" type="audio/mpeg"/>'
        f"<itunes:duration>60</itunes:duration>{extra}</item>\n"
    )


def feed(items: str, *, declare: bool = True, channel_extra: str = "") -> bytes:
    namespaces = f' xmlns:content="{CONTENT}" xmlns:itunes="{ITUNES}" xmlns:podcast="{PODCAST}"'
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"{namespaces if declare else ""}>'
        f"<channel>{CHANNEL}{channel_extra}\n{items}</channel></rss>"
    ).encode()


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def written(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def assert_one_line_error(result: Result, *needles: str) -> None:
    assert result.exit_code == 1, result.output
    assert ("Traceback" not in result.output and result.exception is None) or isinstance(
        result.exception, SystemExit
    ), result.output
    for needle in needles:
        assert needle in result.output, result.output


# -- 1: big text is kept whole or refused by name, never read in part ------------------------


@pytest.mark.parametrize(
    ("field", "make"),
    [
        ("content:encoded", lambda: item(2, notes="x" * (11 << 20))),
        ("title", lambda: item(2, title="t" * (10 << 20))),
    ],
)
def test_a_field_past_its_limit_refuses_the_feed_by_item_and_field(
    field: str, make: object, http_server: LocalServer, tmp_path: Path
) -> None:
    items = item(1) + make() + item(3) + item(4)  # type: ignore[operator]
    url = http_server.serve("/big.xml", feed(items), "application/rss+xml")
    root = tmp_path / "show"
    result = cli("--root", str(root), "import", url, "--feed-url", NEW_FEED, "--allow-private")
    assert_one_line_error(result, "item 2", f"<{field}> holds", "refused, nothing imported")
    assert f"{url}:4: " in result.output  # the feed's line of the field
    assert written(root) == []


def test_big_notes_under_the_limit_are_kept_whole(http_server: LocalServer, tmp_path: Path) -> None:
    notes = "<p>" + "word " * 600_000 + "</p>"  # 3 MB, above any real feed's
    url = http_server.serve("/big.xml", feed(item(1) + item(2, notes=notes) + item(3)), "application/rss+xml")
    root = tmp_path / "show"
    result = import_feed(root, url, feed_url=NEW_FEED)
    assert len(result.added) == 3
    episode = next(e for e in load_catalogue(root).episodes if e.guid == "guid-2")
    assert episode.notes_markdown.count("word") == 600_000


def test_a_lenient_reading_that_loses_an_item_or_a_guid_is_refused(
    http_server: LocalServer, tmp_path: Path
) -> None:
    broken = item(2, title="Deux</b>")  # a stray end tag: lenient parsing loses this item's GUID
    url = http_server.serve("/broken.xml", feed(item(1) + broken + item(3)), "application/rss+xml")
    root = tmp_path / "show"
    with pytest.raises(SourceError, match=r"read leniently, it would lose 1 of its 3 GUIDs: refused"):
        import_feed(root, url, feed_url=NEW_FEED)
    assert written(root) == []


def test_notes_nested_past_any_editor_are_kept_as_html() -> None:
    nested = "<blockquote>" * 2000 + "deep" + "</blockquote>" * 2000
    notes = html_to_notes(nested)
    assert not notes.is_markdown and "deep" in notes.text


# -- 2: undeclared prefixes ----------------------------------------------------------------


def test_undeclared_itunes_and_podcast_prefixes_are_read_as_apps_read_them(
    http_server: LocalServer, tmp_path: Path
) -> None:
    extra = (
        "<itunes:episodeType>bonus</itunes:episodeType><itunes:season>2</itunes:season>"
        '<podcast:transcript url="https://cdn.example.net/1.vtt" type="text/vtt"/>'
    )
    data = feed(item(1, extra=extra) + item(2), declare=False).replace(b"<content:encoded>", b"<description>")
    data = data.replace(b"</content:encoded>", b"</description>")
    url = http_server.serve("/undeclared.xml", data, "application/rss+xml")
    root = tmp_path / "show"
    result = import_feed(root, url, feed_url=NEW_FEED)
    assert len(result.added) == 2
    assert any("uses itunes:, podcast: without declaring it" in w.message for w in result.warnings)
    catalogue = load_catalogue(root)
    assert catalogue.show.owner.email == "o@example.org"
    one = next(e for e in catalogue.episodes if e.guid == "guid-1")
    assert one.type.value == "bonus" and one.season == 2
    assert one.transcripts[0].mime_type == "text/vtt"
    assert catalogue.lock.media("guid-1").duration == 60


# -- 4: one dead enclosure fails its item only ------------------------------------------------


def test_a_dead_enclosure_fails_only_its_item_and_a_rerun_picks_it_up(
    http_server: LocalServer, enclosures: dict[str, Path], tmp_path: Path
) -> None:
    url = rehost_feed(http_server, enclosures, drop_first=False)
    m4a = http_server.routes.pop("/cdn/two.m4a")
    root = tmp_path / "show"
    first = cli("--root", str(root), "import", url, "--feed-url", NEW_FEED, "--rehost", "--allow-private")
    assert first.exit_code == 1, first.output
    assert "Traceback" not in first.output
    assert "/rehost.xml:6: item 2 ('Deux'), GUID 'rehost-2': audio " in first.output
    assert "404" in first.output and "1 added, 0 updated, 0 unchanged, 0 skipped, 1 failed" in first.output
    assert [e.guid for e in load_catalogue(root).episodes] == ["rehost-1"]
    assert (root / "audio" / "saison-1" / "un.mp3").is_file()

    http_server.routes["/cdn/two.m4a"] = m4a  # the host is back: the next run brings what is missing
    again = cli("--root", str(root), "import", "--rehost", "--allow-private")
    assert again.exit_code == 0, again.output
    catalogue = load_catalogue(root)
    assert sorted(e.guid for e in catalogue.episodes) == ["rehost-1", "rehost-2"]
    two = next(e for e in catalogue.episodes if e.guid == "rehost-2")
    assert (root / two.audio).read_bytes() == enclosures["m4a"].read_bytes()
    assert len(http_server.requests_for("/cdn/one.mp3", "GET")) == 1  # not downloaded twice


# -- 5: seasons and the show's podcast:guid ---------------------------------------------------


def test_seasons_out_of_range_are_reported_and_never_written(
    http_server: LocalServer, tmp_path: Path
) -> None:
    seasons = ["0", "-5", "99999999999999999999999", "3"]
    items = "".join(
        item(n, extra=f"<itunes:season>{season}</itunes:season>") for n, season in enumerate(seasons, 1)
    )
    url = http_server.serve("/seasons.xml", feed(items), "application/rss+xml")
    root = tmp_path / "show"
    result = import_feed(root, url, feed_url=NEW_FEED)
    messages = [w.message for w in result.warnings]
    for season in ("0", "-5", "99999999999999999999999"):
        assert any(f"the itunes:season {season} is not from 1 to 2,147,483,647" in m for m in messages), (
            season,
            messages,
        )
    declared = tomllib.loads((root / "podcast.toml").read_text(encoding="utf-8"))["seasons"]
    assert sorted(season["number"] for season in declared) == [1, 3]
    by_guid = {e.guid: e.season for e in load_catalogue(root).episodes}
    assert by_guid == {"guid-1": 1, "guid-2": 1, "guid-3": 1, "guid-4": 3}
    build(root, now=NOW)
    assert b"99999999999999999999999" not in read_built(root)


@pytest.mark.parametrize(
    ("given", "kept", "message"),
    [
        ("show-42", None, "'show-42' is not a UUID"),
        (
            "9B024349-CCF0-5F69-A609-6B82873EAB3C",
            "9b024349-ccf0-5f69-a609-6b82873eab3c",
            "is written '9b024349-ccf0-5f69-a609-6b82873eab3c', the same UUID",
        ),
        ("9b024349-ccf0-5f69-a609-6b82873eab3c", "9b024349-ccf0-5f69-a609-6b82873eab3c", None),
    ],
)
def test_the_podcast_guid_is_kept_or_the_import_says_why_not(
    given: str, kept: str | None, message: str | None, http_server: LocalServer, tmp_path: Path
) -> None:
    url = http_server.serve(
        "/guid.xml",
        feed(item(1), channel_extra=f"<podcast:guid>{given}</podcast:guid>"),
        "application/rss+xml",
    )
    root = tmp_path / "show"
    result = import_feed(root, url, feed_url=NEW_FEED)
    guid = load_catalogue(root).show.podcast_guid
    about_guid = [w.message for w in result.warnings if "podcast:guid" in w.message]
    if message is None:
        assert guid == kept and about_guid == []
        return
    assert len(about_guid) == 1 and message in about_guid[0]
    if kept is None:
        assert guid != given and f"guid = {guid!r} is written instead" in about_guid[0]
    else:
        assert guid == kept


# -- 9: malformed URLs ----------------------------------------------------------------------

BAD = "http://[::1/x.mp3"


def test_a_malformed_enclosure_url_fails_its_item_only(http_server: LocalServer, tmp_path: Path) -> None:
    url = http_server.serve("/bad.xml", feed(item(1) + item(2, url=BAD) + item(3)), "application/rss+xml")
    root = tmp_path / "show"
    result = cli("--root", str(root), "import", url, "--feed-url", NEW_FEED, "--allow-private")
    assert_one_line_error(
        result,
        f"/bad.xml:4: item 2 ('Episode 2') (GUID 'guid-2'): its enclosure URL '{BAD}' is not a valid URL",
        "2 added",
        "1 failed",
    )
    assert sorted(e.guid for e in load_catalogue(root).episodes) == ["guid-1", "guid-3"]


def test_malformed_urls_everywhere_give_one_line_errors(
    http_server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # verify outside a podcast folder
    root = tmp_path / "show"
    assert_one_line_error(
        cli("--root", str(root), "import", "http://[::1/feed.xml", "--feed-url", NEW_FEED),
        "not a valid URL: 'http://[::1/feed.xml' (Invalid IPv6 URL)",
    )
    good = http_server.serve("/good.xml", feed(item(1)), "application/rss+xml")
    assert_one_line_error(
        cli("--root", str(root), "import", good, "--feed-url", "http://[::1/feed.xml", "--allow-private"),
        "--feed-url 'http://[::1/feed.xml' is not a valid URL (Invalid IPv6 URL)",
    )
    moved = http_server.redirect("/moved.xml", "http://[::1/feed.xml")
    assert_one_line_error(
        cli("--root", str(root), "import", moved, "--feed-url", NEW_FEED, "--allow-private"),
        "it redirects to 'http://[::1/feed.xml', not a valid URL",
    )
    assert written(root) == []
    assert_one_line_error(cli("verify", "http://[::1/feed.xml"), "not a valid URL")

    served = http_server.serve("/served.xml", feed(item(1, url=BAD)), "application/rss+xml")
    assert_one_line_error(cli("verify", served), f"the enclosure URL '{BAD}' is not a valid URL")

    assert cli("--root", str(root), "import", good, "--feed-url", NEW_FEED, "--allow-private").exit_code == 0
    toml = root / "podcast.toml"
    text = toml.read_text(encoding="utf-8")
    assert f'feed = "{NEW_FEED}"' in text
    toml.write_text(text.replace(f'feed = "{NEW_FEED}"', 'feed = "http://[::1/feed.xml"'), encoding="utf-8")
    line = next(n for n, row in enumerate(toml.read_text().splitlines(), 1) if row.startswith("feed ="))
    for command in (["check"], ["build"], ["import"], ["verify"]):
        assert_one_line_error(
            cli("--root", str(root), *command),
            f"podcast.toml:{line}: 'feed' is not a valid URL: 'http://[::1/feed.xml' (Invalid IPv6 URL)",
        )


@pytest.mark.parametrize("text", ["1e999", "inf", "99999999999:00:00"])
def test_a_duration_no_episode_has_is_reported_not_kept(
    text: str, http_server: LocalServer, tmp_path: Path
) -> None:
    data = feed(item(1).replace("<itunes:duration>60<", f"<itunes:duration>{text}<"))
    root = tmp_path / "show"
    result = import_feed(root, http_server.serve("/long.xml", data, "application/rss+xml"), feed_url=NEW_FEED)
    assert any(f"cannot read itunes:duration {text!r}" in w.message for w in result.warnings)
    build(root, now=NOW)  # infinity once broke the feed's <itunes:duration>
    assert load_catalogue(root).lock.media("guid-1").duration == 0
