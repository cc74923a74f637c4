"""``podcaster import``: feeds shaped like the main hosts', served by a real local HTTP server.

After import and build, every GUID, date and enclosure URL must be what the
source said, read back with feedparser and podcastparser; --rehost must bring
the audio home byte for byte (resuming a dropped download); re-import must
add, update and leave edited files alone; hostile input must be refused with
memory bounded (measured in a subprocess).
"""

from __future__ import annotations

import calendar
import email.utils
import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import feedparser
import podcastparser
import pytest
from click.testing import CliRunner
from lxml import etree

from podcaster.actions.build import build
from podcaster.actions.publish import PublishReporter, publish
from podcaster.cli.main import main
from podcaster.errors import CatalogueError, ConfigError, SourceError
from podcaster.folder.catalogue import load_catalogue, parse_front_matter
from podcaster.folder.lockfile import load_lock
from podcaster.folder.notes import render_notes
from podcaster.importing import importer
from podcaster.importing.feedvalues import parse_date, parse_duration
from podcaster.importing.feedxml import parse_xml
from podcaster.importing.htmlmd import html_to_notes
from podcaster.importing.importer import ImportReporter, ImportResult, _commit
from podcaster.importing.record import load_state
from podcaster.importing.source import download
from tests.fixtures.audio import decoded_duration, make_audio, make_jpeg, make_png
from tests.fixtures.catalogue import write_episode, write_podcast
from tests.fixtures.httpserver import LocalServer

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
HOSTS = ["ausha", "acast", "anchor", "buzzsprout", "castopod", "powerpress", "messy"]
NEW_FEED = "https://podcast.example.org/feed.xml"
NOW = datetime(2030, 1, 1, tzinfo=UTC)
ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
ITUNES_ODD = "http://www.itunes.com/DTDs/Podcast-1.0.dtd"  # as some feeds write it
ATOM = "http://www.w3.org/2005/Atom"
PODCAST = "https://podcastindex.org/namespace/1.0"


def import_feed(root: Path, source: str | None = None, **options: Any) -> ImportResult:
    """Import as the tests do: their server listens on 127.0.0.1, an address import refuses by default."""
    return importer.import_feed(root, source, allow_private=True, **options)


def serve_feed(server: LocalServer, name: str, data: bytes | None = None) -> str:
    """Serve a fixture feed (and the covers it names) from the local server; return its URL."""
    data = data if data is not None else (FEEDS / f"{name}.xml").read_bytes()
    data = data.replace(b"@BASE@", server.url("").rstrip("/").encode())
    for image in ("ausha-cover.png", "castopod-cover.jpg"):
        server.serve(f"/images/{image}", make_png(8, 8) if image.endswith(".png") else make_jpeg(8, 8))
    for host in ("acast", "anchor", "buzzsprout", "powerpress"):
        server.serve(f"/images/{host}-cover.jpg", make_jpeg(8, 8), "image/jpeg")
    server.serve("/feeds/cover.png", make_png(4, 4), "image/png")
    return server.serve(f"/feeds/{name}.xml", data, "application/rss+xml")


def plain_source(host: str, server: LocalServer) -> bytes:
    """The fixture as plain UTF-8 XML any parser reads (the messy one declares Latin-1, uses HTML entities)."""
    data = (FEEDS / f"{host}.xml").read_bytes().replace(b"@BASE@", server.url("").rstrip("/").encode())
    if host == "messy":
        text = data.decode("iso-8859-1").replace('encoding="ISO-8859-1"', 'encoding="UTF-8"')
        for name, char in (("eacute", "é"), ("Eacute", "É"), ("nbsp", "\xa0"), ("rsquo", "’")):
            text = text.replace(f"&{name};", char)
        data = text.encode()
    return data


def source_episodes(data: bytes, base: str) -> dict[str, dict[str, object]]:
    """What the source feed says of each episode, read independently with lxml and email.utils."""
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    episodes: dict[str, dict[str, object]] = {}
    for item in root.iter("item"):
        enclosure = item.find("enclosure")
        if enclosure is None:
            continue
        url = urljoin(base, enclosure.get("url"))
        guid = (item.findtext("guid") or "").strip() or url
        if guid in episodes:
            continue  # a duplicate: only the first is imported
        length = enclosure.get("length")
        episodes[guid] = {
            "date": (item.findtext("pubDate") or "").strip(),
            "url": url,
            "length": int(length) if length else 0,
            "type": enclosure.get("type"),
        }
    return episodes


def read_built(root: Path) -> bytes:
    return (root / "feeds" / "feed.xml").read_bytes()


def import_and_build(root: Path, url: str, **options: object) -> tuple[bytes, object]:
    result = import_feed(root, url, feed_url=NEW_FEED, **options)  # type: ignore[arg-type]
    build(root, now=NOW)
    return read_built(root), result


# -- the main hosts' feeds -----------------------------------------------------

MESSY_DATES = {
    "messy-1": datetime(2023, 3, 5, 14, 30, tzinfo=timezone(timedelta(hours=1))),
    "/media/ep2.mp3": datetime(2023, 3, 5, 9, 15, tzinfo=timezone(timedelta(hours=1))),
    "messy-3": datetime(2023, 3, 12, 18, 0, tzinfo=timezone(timedelta(hours=1))),
    "https://messy.example/?p=6": datetime(2023, 3, 15, 10, 0, tzinfo=UTC),
    "messy-7": datetime(2023, 3, 18, 10, 0, tzinfo=UTC),
    "messy-8": datetime(2023, 3, 23, 8, 0, tzinfo=timezone(timedelta(hours=-4))),
}


def expected_date(guid: str, text: str) -> datetime:
    for key, value in MESSY_DATES.items():
        if guid.endswith(key):
            return value
    return email.utils.parsedate_to_datetime(text)


@pytest.mark.parametrize("host", HOSTS)
def test_guids_dates_and_enclosures_survive_import_and_build(
    host: str, http_server: LocalServer, tmp_path: Path
) -> None:
    url = serve_feed(http_server, host)
    expected = source_episodes(plain_source(host, http_server), url)
    root = tmp_path / "show"
    built, _ = import_and_build(root, url)

    parsed = feedparser.parse(built)
    assert not parsed.bozo, parsed.get("bozo_exception")
    got = {entry.id: entry for entry in parsed.entries}
    assert set(got) == set(expected)
    for guid, source in expected.items():
        entry = got[guid]
        assert entry.enclosures[0].href == source["url"]
        assert int(entry.enclosures[0].length) == source["length"]
        when = expected_date(guid, str(source["date"]))
        assert calendar.timegm(entry.published_parsed) == int(when.timestamp())
    # The date keeps its own offset, not only its instant.
    items = etree.fromstring(built).iter("item")
    for item in items:
        guid = item.findtext("guid")
        assert email.utils.parsedate_to_datetime(item.findtext("pubDate")) == expected_date(
            guid, str(expected[guid]["date"])
        )

    podcast = podcastparser.parse(NEW_FEED, io.BytesIO(built))
    by_guid = {episode["guid"]: episode for episode in podcast["episodes"]}
    assert set(by_guid) == set(expected)
    for guid, source in expected.items():
        assert by_guid[guid]["enclosures"][0]["url"] == source["url"]
        assert by_guid[guid]["published"] == int(expected_date(guid, str(source["date"])).timestamp())


@pytest.mark.parametrize("host", HOSTS)
def test_durations_seasons_and_numbers(host: str, http_server: LocalServer, tmp_path: Path) -> None:
    url = serve_feed(http_server, host)
    root = tmp_path / "show"
    import_feed(root, url, feed_url=NEW_FEED)
    catalogue = load_catalogue(root)
    source = etree.fromstring(plain_source(host, http_server))
    durations = {}
    for item in source.iter("item"):
        text = item.findtext(f"{{{ITUNES}}}duration") or item.findtext(f"{{{ITUNES_ODD}}}duration")
        guid = (item.findtext("guid") or "").strip()
        if guid and text and guid not in durations:
            durations[guid] = parse_duration(text) or 0.0
    for episode in catalogue.episodes:
        if episode.guid in durations:
            assert catalogue.lock.media(episode.guid).duration == durations[episode.guid]
    full = [(e.season, e.number) for e in catalogue.episodes if e.type.value == "full"]
    assert len(full) == len(set(full)), "episode numbers are unique in each season"
    assert all(number is not None for _, number in full)


def test_ausha_show_and_notes(http_server: LocalServer, tmp_path: Path) -> None:
    url = serve_feed(http_server, "ausha")
    root = tmp_path / "show"
    result = import_feed(root, url, feed_url=NEW_FEED)
    assert result.show_status == "created"
    catalogue = load_catalogue(root)
    show = catalogue.show
    assert show.title == "Penser le 9-3"
    assert show.podcast_guid == "5f8c3a34-9c4c-5b0e-8f0e-4a3d1f3c2b1a"  # kept, not derived from the new URL
    assert show.urls.old_feed == url
    assert show.urls.new_feed == NEW_FEED
    assert show.type.value == "serial"
    assert [(c.name, c.subcategory) for c in show.categories] == [
        ("Society & Culture", "Documentary"),
        ("Government", None),
    ]
    assert show.owner.email == "podcast@professionbanlieue.org"
    assert show.artwork is not None and show.artwork.read_bytes() == make_png(8, 8)
    assert [season.number for season in show.seasons] == [1]

    by_guid = {e.guid: e for e in catalogue.episodes}
    second = by_guid["ausha-yXyWpH8rzB9N"]
    assert second.number == 2 and second.season == 1
    assert second.keywords == ("logement", "banlieue", "grands ensembles")
    assert "- La Courneuve\n- Clichy-sous-Bois" in second.notes_markdown
    assert "*habiter*" in second.notes_markdown and "**Marie Dupont**" in second.notes_markdown
    assert "<p><br>" not in second.notes_markdown
    assert second.image is None  # .jpeg with a query: Apple wants .jpg or .png, so left out
    trailer = by_guid["ausha-Wd0oPZzB8qJm"]
    assert trailer.type.value == "trailer" and trailer.number is None
    assert by_guid["ausha-q5GbNhKPzGgP"].image == "https://image.ausha.co/a1b2c3_1400x1400.jpg"

    built = read_built_after(root)
    channel = etree.fromstring(built)[0]
    assert channel.findtext(f"{{{ITUNES}}}new-feed-url") == NEW_FEED
    assert channel.findtext(f"{{{PODCAST}}}guid") == "5f8c3a34-9c4c-5b0e-8f0e-4a3d1f3c2b1a"


def read_built_after(root: Path) -> bytes:
    build(root, now=NOW)
    return read_built(root)


def test_castopod_podcasting20_tags(http_server: LocalServer, tmp_path: Path) -> None:
    root = tmp_path / "show"
    import_feed(root, serve_feed(http_server, "castopod"), feed_url=NEW_FEED)
    catalogue = load_catalogue(root)
    assert catalogue.show.seasons[0].name == "Les usines"
    assert catalogue.show.location and catalogue.show.location.osm == "R1621520"
    assert [p.name for p in catalogue.show.persons] == ["Lucie Martin"]
    assert catalogue.show.funding[0].url == "https://liberapay.com/memoires"
    episode = next(e for e in catalogue.episodes if e.number == 2)
    assert [(t.source, t.mime_type, t.language) for t in episode.transcripts] == [
        (
            "https://podcast.memoires.example/media/podcasts/memoires/usine-a-gaz.srt",
            "application/x-subrip",
            "fr",
        )
    ]
    assert (
        episode.chapters
        == "https://podcast.memoires.example/media/podcasts/memoires/usine-a-gaz-chapters.json"
    )
    assert [p.role for p in episode.persons] == ["guest", "host"]
    assert episode.location and episode.location.name == "Le Landy, Saint-Denis"
    assert (
        "### Invités" in episode.notes_markdown and "> On ne voyait jamais le jour." in episode.notes_markdown
    )
    item = etree.fromstring(read_built_after(root))[0].find("item")
    assert item.find(f"{{{PODCAST}}}transcript").get("url").endswith("usine-a-gaz.srt")
    assert item.find(f"{{{PODCAST}}}chapters").get("url").endswith("usine-a-gaz-chapters.json")


def test_buzzsprout_transcripts_without_a_suffix_keep_their_type(
    http_server: LocalServer, tmp_path: Path
) -> None:
    root = tmp_path / "show"
    result = import_feed(root, serve_feed(http_server, "buzzsprout"), feed_url=NEW_FEED)
    catalogue = load_catalogue(root)
    episode = next(e for e in catalogue.episodes if e.guid == "Buzzsprout-13890123")
    assert [t.mime_type for t in episode.transcripts] == [
        "text/html",
        "application/json",
        "application/x-subrip",
        "text/vtt",
    ]
    assert "1. Fatou, jardinière\n2. Karim, *maraîcher*" in episode.notes_markdown
    # The deprecated "Technology > Podcasting" is not in Apple's list: the main category stays.
    assert [(c.name, c.subcategory) for c in catalogue.show.categories] == [
        ("Science", "Nature"),
        ("Technology", None),
    ]
    assert any("Podcasting" in w.message for w in result.warnings)
    assert catalogue.show.keywords == ("écologie", "quartiers", "transition")


def test_powerpress_skips_posts_and_keeps_unconvertible_notes_as_safe_html(
    http_server: LocalServer, tmp_path: Path
) -> None:
    root = tmp_path / "show"
    result = import_feed(root, serve_feed(http_server, "powerpress"), feed_url=NEW_FEED)
    assert any("no audio enclosure" in w.message for w in result.warnings)
    catalogue = load_catalogue(root)
    assert len(catalogue.episodes) == 2
    assert catalogue.show.owner.email == "podcast@radio-exemple.fr"  # from managingEditor
    assert catalogue.show.language == "fr-FR"
    assert catalogue.show.locked is False
    journal = next(e for e in catalogue.episodes if e.guid.endswith("?p=4512"))
    assert journal.explicit is False  # "clean"
    assert "<table>" in journal.notes_markdown and "<img" not in journal.notes_markdown
    assert "<td>Lundi</td>" in journal.notes_html  # passed through as raw HTML
    other = next(e for e in catalogue.episodes if e.guid.endswith("?p=4470"))
    assert other.notes_markdown.strip().endswith("**Samia** & *Lucas*.")


def test_messy_feed(http_server: LocalServer, tmp_path: Path) -> None:
    serve_feed(http_server, "messy")
    url = http_server.redirect("/old/messy", http_server.url("/feeds/messy.xml"), 301)
    root = tmp_path / "show"
    result = import_feed(root, url, feed_url=NEW_FEED)
    messages = [w.message for w in result.warnings]
    assert any("redirected permanently (301)" in m for m in messages)
    assert any("repeats the GUID 'messy-3'" in m for m in messages)
    assert any("no audio enclosure" in m for m in messages)
    assert any("has no title" in m for m in messages)
    assert any("no time zone" in m for m in messages)
    assert any("cannot read itunes:duration 'longtemps'" in m for m in messages)
    assert any("'ep7' is not a whole number" in m for m in messages)
    assert any("number 1 of season 1 is taken" in m for m in messages)
    assert any("'Podcasting Stuff' is not in Apple's list" in m for m in messages)
    derived = http_server.url("/media/ep2.mp3")
    assert [guid for _, guid in result.derived_guids] == [derived]

    catalogue = load_catalogue(root)
    show = catalogue.show
    assert show.title == "Café des débats"
    assert show.description == "Un café, des débats\xa0: l’actualité de la ville, à Bagnolet."
    assert show.owner.email == "cafe@messy.example"
    assert show.urls.old_feed == url  # what subscribers hold, not where it redirects
    assert show.artwork and show.artwork.read_bytes() == make_png(4, 4)  # relative to the final URL
    by_guid = {e.guid: e for e in catalogue.episodes}
    assert set(by_guid) == {
        "messy-1", derived, "messy-3", "https://messy.example/?p=6", "messy-7", "messy-8"
    }  # fmt: skip
    assert by_guid["messy-1"].title == "Épisode 1 : le marché"
    assert by_guid["messy-1"].audio == http_server.url("/feeds/audio/ep1.mp3")
    assert by_guid["https://messy.example/?p=6"].title == "sans-titre"
    assert by_guid["messy-8"].explicit is True
    assert by_guid["messy-8"].number not in (1, None)
    assert (
        "<script" not in by_guid["messy-3"].notes_markdown
        and "alert" not in by_guid["messy-3"].notes_markdown
    )
    assert by_guid["messy-1"].notes_markdown.startswith("Le marché & ses **commerçants**.\\\nDeuxième ligne.")
    lock = catalogue.lock
    assert lock.media("messy-3").size == 0 and lock.media("messy-3").mime_type == "audio/mpeg"
    assert lock.media("https://messy.example/?p=6").duration == pytest.approx(1862.5)
    assert lock.media("messy-7").duration == 0
    # The GUID written down is found again: a second import changes nothing.
    again = import_feed(root, url)
    assert not again.added and not again.updated and not again.derived_guids


def test_cp1252_declared_as_utf8_is_read_as_windows_1252(http_server: LocalServer, tmp_path: Path) -> None:
    data = (FEEDS / "anchor.xml").read_bytes().replace(b"Bobigny.", "Bobigny – « ici ».".encode("cp1252"))
    root = tmp_path / "show"
    result = import_feed(root, serve_feed(http_server, "anchor", data), feed_url=NEW_FEED)
    assert any("not valid UTF-8" in w.message for w in result.warnings)
    assert load_catalogue(root).show.description == "Le podcast des habitants de Bobigny – « ici »."


def test_utf16_feed(tmp_path: Path) -> None:
    text = (
        (FEEDS / "castopod.xml").read_text(encoding="utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    )
    source = tmp_path / "feed.xml"
    source.write_bytes(text.encode("utf-16"))
    root = tmp_path / "show"
    result = import_feed(root, str(source), feed_url=NEW_FEED)
    assert len(result.added) == 2
    assert load_catalogue(root).show.title == "Mémoires ouvrières"


def test_a_feed_of_several_thousand_items(http_server: LocalServer, tmp_path: Path) -> None:
    count = 3000
    items = "".join(
        f"<item><title>Épisode {n}</title><guid>big-{n}</guid>"
        f"<pubDate>{email.utils.format_datetime(datetime(2015, 1, 1, tzinfo=UTC) + timedelta(days=n))}</pubDate>"
        f'<enclosure url="https://cdn.example.net/big/{n}.mp3" length="{1000 + n}" type="audio/mpeg"/>'
        f"<itunes:duration>{n % 3600}</itunes:duration><itunes:episode>{n}</itunes:episode>"
        f"<description><![CDATA[<p>Notes de l'épisode <b>{n}</b>.</p>]]></description></item>"
        for n in range(1, count + 1)
    )
    data = (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">'
        "<channel><title>Grand</title><description>Un très grand flux.</description><language>fr</language>"
        "<itunes:owner><itunes:name>G</itunes:name><itunes:email>g@example.org</itunes:email></itunes:owner>"
        f"{items}</channel></rss>"
    ).encode()
    url = http_server.serve("/big.xml", data, "application/rss+xml")
    root = tmp_path / "show"
    # Its speed is measured by tests/benchmarks/bench_import.py, not asserted on a shared machine.
    result = import_feed(root, url, feed_url=NEW_FEED)
    assert len(result.added) == count
    build(root, now=NOW)
    parsed = feedparser.parse(read_built(root))
    assert len(parsed.entries) == count and not parsed.bozo
    again = import_feed(root, url)
    assert len(again.unchanged) == count and not again.added and not again.updated


# -- re-import -----------------------------------------------------------------


def test_reimport_adds_updates_and_leaves_edits_alone(http_server: LocalServer, tmp_path: Path) -> None:
    original = (FEEDS / "buzzsprout.xml").read_bytes()
    url = serve_feed(http_server, "buzzsprout", original)
    root = tmp_path / "show"
    first = import_feed(root, url, feed_url=NEW_FEED)
    assert len(first.added) == 2
    (edited_path,) = [p for p in first.added if "compost" in p.name]
    edited_text = edited_path.read_text(encoding="utf-8").replace("Un composteur", "Un grand composteur")
    edited_path.write_text(edited_text, encoding="utf-8")

    new_item = b"""<item><title>Les toits de Romainville</title>
    <enclosure url="https://www.buzzsprout.com/2012345/14000000-toits.mp3" length="1000" type="audio/mpeg" />
    <guid isPermaLink="false">Buzzsprout-14000000</guid><pubDate>Mon, 11 Dec 2023 06:00:00 -0500</pubDate>
    <itunes:duration>600</itunes:duration><itunes:episode>3</itunes:episode></item>
  <item>"""
    changed = original.replace(b"<item>", new_item, 1)
    changed = changed.replace(b"<title>Jardins partag", b"<title>Les jardins partag")
    changed = changed.replace(b"Un composteur collectif", b"Un composteur collectif, enfin")
    serve_feed(http_server, "buzzsprout", changed)

    second = import_feed(root)  # the source is remembered
    assert [p.name for p in second.added] == ["les-toits-de-romainville.md"]
    assert [p.name for p in second.updated] == ["jardins-partages-a-aubervilliers.md"]
    assert [p.path for p in second.skipped] == [edited_path]
    assert "edited since the last import" in second.skipped[0].message
    assert edited_path.read_text(encoding="utf-8") == edited_text
    files = sorted(p.name for p in (root / "episodes").rglob("*.md"))
    assert files == [
        "jardins-partages-a-aubervilliers.md",
        "le-compost-au-pied-des-tours.md",
        "les-toits-de-romainville.md",
    ]
    catalogue = load_catalogue(root)
    assert len({e.guid for e in catalogue.episodes}) == 3
    assert next(e for e in catalogue.episodes if e.guid == "Buzzsprout-13890123").title.startswith(
        "Les jardins"
    )

    third = import_feed(root)
    assert not third.added and not third.updated and len(third.unchanged) == 2
    assert [p.path for p in third.skipped] == [edited_path]

    forced = import_feed(root, force=True)
    assert forced.updated == [edited_path]
    assert "enfin" in edited_path.read_text(encoding="utf-8")


def test_an_episode_added_by_hand_is_not_duplicated(http_server: LocalServer, tmp_path: Path) -> None:
    root = write_podcast(tmp_path / "show")
    mine = write_episode(root, "premier", number=1, title="Premier épisode", guid="local-guid-1")
    result = import_feed(root, serve_feed(http_server, "ausha"))
    assert result.show_status == "kept"
    hint = next(w.message for w in result.warnings if "not written by an import" in w.message)
    assert "new_feed_url = true" in hint and 'guid = "5f8c3a34-9c4c-5b0e-8f0e-4a3d1f3c2b1a"' in hint
    assert [p.path for p in result.skipped] == [mine]
    assert 'write guid: "ausha-q5GbNhKPzGgP" in this file' in result.skipped[0].message
    assert sorted(p.name for p in result.added) == [
        "bande-annonce.md",
        "episode-2-habiter-les-grands-ensembles.md",
    ]
    mine.write_text(
        mine.read_text(encoding="utf-8").replace("local-guid-1", "ausha-q5GbNhKPzGgP"), encoding="utf-8"
    )
    again = import_feed(root, http_server.url("/feeds/ausha.xml"))
    assert not again.added and [p.path for p in again.skipped] == [mine]
    assert "not written by an import" in again.skipped[0].message
    assert len(load_catalogue(root).episodes) == 3


def test_a_deleted_episode_is_not_brought_back(http_server: LocalServer, tmp_path: Path) -> None:
    url = serve_feed(http_server, "castopod")
    root = tmp_path / "show"
    first = import_feed(root, url, feed_url=NEW_FEED)
    first.added[0].unlink()
    again = import_feed(root)
    assert not again.added and "deleted since the last import" in again.skipped[0].message


def test_edited_podcast_toml_keeps_its_fields_but_gains_new_seasons(
    http_server: LocalServer, tmp_path: Path
) -> None:
    original = (FEEDS / "anchor.xml").read_bytes()
    url = serve_feed(http_server, "anchor", original)
    root = tmp_path / "show"
    import_feed(root, url, feed_url=NEW_FEED)
    toml = root / "podcast.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace("Quartiers libres", "Quartiers libres !", 1),
        encoding="utf-8",
    )
    serve_feed(
        http_server,
        "anchor",
        original.replace(b"<itunes:season>2</itunes:season>", b"<itunes:season>3</itunes:season>"),
    )
    result = import_feed(root, url, force=True)
    assert result.show_status == "kept" and result.seasons_added == [3]
    catalogue = load_catalogue(root)
    assert catalogue.show.title == "Quartiers libres !"
    assert [s.number for s in catalogue.show.seasons] == [1, 2, 3]
    assert {e.season for e in catalogue.episodes} == {1, 3}
    assert not (root / "episodes" / "saison-2").exists() or not list(
        (root / "episodes" / "saison-2").glob("*.md")
    )


def test_a_broken_catalogue_is_reported_before_anything_is_fetched(
    http_server: LocalServer, tmp_path: Path
) -> None:
    url = serve_feed(http_server, "castopod")
    root = tmp_path / "show"
    import_feed(root, url, feed_url=NEW_FEED)
    toml = root / "podcast.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n[oops]\n", encoding="utf-8")
    fetches = len(http_server.requests_for("/feeds/castopod.xml"))
    with pytest.raises(CatalogueError, match="unknown key 'oops'"):
        import_feed(root)
    assert len(http_server.requests_for("/feeds/castopod.xml")) == fetches


def test_files_written_are_put_back_when_the_catalogue_does_not_load(
    http_server: LocalServer, tmp_path: Path
) -> None:
    root = tmp_path / "show"
    result = import_feed(root, serve_feed(http_server, "castopod"), feed_url=NEW_FEED)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    existing, new = result.added[0], result.added[0].with_name("nouveau.md")
    state = load_state(root)
    state.source = "changed"
    writes = {existing: b"---\ntitle: broken\n---\n", new: before[existing]}
    with pytest.raises(CatalogueError, match="nothing was changed"):
        _commit(root, writes, state)
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


# -- --rehost ------------------------------------------------------------------


class Recorder(ImportReporter):
    def __init__(self) -> None:
        self.started: list[tuple[str, int | None, int]] = []
        self.received = 0
        self.messages: list[str] = []

    def message(self, text: str) -> None:
        self.messages.append(text)

    def download_started(self, name: str, total: int | None, done: int) -> None:
        self.started.append((name, total, done))

    def bytes_received(self, name: str, count: int) -> None:
        self.received += count


@pytest.fixture(scope="module")
def enclosures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("enclosures")
    return {
        "mp3": make_audio(folder / "one.mp3", "mp3", 4.0, seed=1),
        "m4a": make_audio(folder / "two.m4a", "aac", 3.0, seed=2),
    }


def rehost_feed(server: LocalServer, enclosures: dict[str, Path], *, drop_first: bool = True) -> str:
    mp3 = enclosures["mp3"].read_bytes()
    m4a = enclosures["m4a"].read_bytes()
    server.serve("/cdn/one.mp3", mp3, "audio/mpeg", drop_after=len(mp3) // 2, drops=1 if drop_first else 0)
    server.redirect("/track/two", server.url("/cdn/two.m4a"), 302)
    server.serve("/cdn/two.m4a", m4a, "audio/mp4")
    data = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="{ITUNES}"><channel><title>Rehost</title><description>D</description>
<language>fr</language><itunes:owner><itunes:name>O</itunes:name><itunes:email>o@example.org</itunes:email></itunes:owner>
<item><title>Un</title><guid>rehost-1</guid><pubDate>Wed, 25 Jan 2023 10:00:00 +0100</pubDate>
<enclosure url="{server.url("/cdn/one.mp3")}" length="{len(mp3)}" type="audio/mpeg"/><itunes:duration>99</itunes:duration></item>
<item><title>Deux</title><guid>rehost-2</guid><pubDate>Wed, 01 Feb 2023 10:00:00 +0100</pubDate>
<enclosure url="{server.url("/track/two")}" length="1" type="audio/x-m4a"/></item>
</channel></rss>""".encode()
    return server.serve("/rehost.xml", data, "application/rss+xml")


def test_rehost_downloads_resumes_and_probes(
    http_server: LocalServer, enclosures: dict[str, Path], tmp_path: Path
) -> None:
    url = rehost_feed(http_server, enclosures)
    root = tmp_path / "show"
    reporter = Recorder()
    result = import_feed(root, url, feed_url=NEW_FEED, rehost=True, reporter=reporter)
    assert len(result.downloaded) == 2
    catalogue = load_catalogue(root)
    by_guid = {e.guid: e for e in catalogue.episodes}
    one, two = by_guid["rehost-1"], by_guid["rehost-2"]
    assert one.audio == "audio/saison-1/un.mp3" and two.audio == "audio/saison-1/deux.m4a"
    assert (root / one.audio).read_bytes() == enclosures["mp3"].read_bytes()
    assert (root / two.audio).read_bytes() == enclosures["m4a"].read_bytes()
    assert not list((root / "audio").rglob("*.download*"))
    # The connection dropped half-way the first time: the second request asked for the rest.
    gets = http_server.requests_for("/cdn/one.mp3", "GET")
    assert len(gets) == 2 and "Range" not in gets[0].headers
    half = len(enclosures["mp3"].read_bytes()) // 2
    assert gets[1].headers["Range"] == f"bytes={half}-" and gets[1].headers.get("If-Range")
    assert ("audio/saison-1/un.mp3", len(enclosures["mp3"].read_bytes()), half) in reporter.started
    assert reporter.received == sum(p.stat().st_size for p in enclosures.values())

    lock = catalogue.lock
    assert lock.media("rehost-1").duration == pytest.approx(decoded_duration(enclosures["mp3"]), abs=0.05)
    assert lock.media("rehost-2").duration == pytest.approx(decoded_duration(enclosures["m4a"]), abs=0.05)
    assert lock.media("rehost-2").size == enclosures["m4a"].stat().st_size  # not the feed's wrong "1"
    assert lock.media("rehost-1").sha256

    built = read_built_after(root)
    parsed = feedparser.parse(built)
    assert not parsed.bozo
    assert {e.id for e in parsed.entries} == {"rehost-1", "rehost-2"}
    for entry in parsed.entries:
        assert entry.enclosures[0].href.startswith("https://podcast.example.org/media/audio/saison-1/")

    # Nothing is downloaded again; without --rehost the local copies stay.
    again = import_feed(root, rehost=True)
    assert not again.downloaded and len(again.unchanged) == 2
    plain = import_feed(root)
    assert len(plain.unchanged) == 2
    assert len(http_server.requests_for("/cdn/one.mp3", "GET")) == 2


def test_publish_uploads_rehosted_audio_and_leaves_external_audio_where_it_is(
    http_server: LocalServer, enclosures: dict[str, Path], tmp_path: Path
) -> None:
    root = tmp_path / "show"
    import_feed(root, rehost_feed(http_server, enclosures, drop_first=False), feed_url=NEW_FEED, rehost=True)
    storage = tmp_path / "public"
    publish(root, storage_url=f"file://{storage}", now=NOW)
    published = etree.fromstring((storage / "feed.xml").read_bytes())[0]
    for item in published.iter("item"):
        url = item.find("enclosure").get("url")
        key = url.removeprefix("https://podcast.example.org/")
        assert (storage / key).read_bytes() in (
            enclosures["mp3"].read_bytes(),
            enclosures["m4a"].read_bytes(),
        )
    assert {item.findtext("guid") for item in published.iter("item")} == {"rehost-1", "rehost-2"}

    external = tmp_path / "external"
    import_feed(external, serve_feed(http_server, "castopod"), feed_url=NEW_FEED)
    publish(external, storage_url=f"file://{tmp_path / 'public2'}", now=NOW)
    assert not list((tmp_path / "public2").rglob("*.mp3"))
    feed = etree.fromstring((tmp_path / "public2" / "feed.xml").read_bytes())[0]
    assert {item.find("enclosure").get("url") for item in feed.iter("item")} == {
        "https://podcast.memoires.example/audio/@memoires/usine-a-gaz-du-landy.mp3",
        "https://podcast.memoires.example/audio/@memoires/cheminots.mp3",
    }


def test_an_interrupted_download_resumes_in_the_next_run(tmp_path: Path, http_server: LocalServer) -> None:
    body = bytes(range(256)) * 4096
    url = http_server.serve("/big.bin", body, drop_after=300_000, drops=2)
    target = tmp_path / "big.bin"
    with pytest.raises(SourceError, match="run the import again to resume"):
        download(url, target, attempts=1, pause=0, allow_private=True)
    assert (tmp_path / "big.bin.download").stat().st_size == 300_000
    got = download(url, target, attempts=2, pause=0, allow_private=True)
    assert got.resumed and target.read_bytes() == body
    ranges = [r.headers.get("Range") for r in http_server.requests_for("/big.bin")]
    assert ranges == [None, "bytes=300000-", "bytes=600000-"]  # dropped twice, resumed twice


def test_a_changed_file_is_downloaded_again_from_the_start(tmp_path: Path, http_server: LocalServer) -> None:
    url = http_server.serve("/f.bin", b"a" * 100_000, drop_after=50_000, drops=1)
    target = tmp_path / "f.bin"
    with pytest.raises(SourceError):
        download(url, target, attempts=1, pause=0, allow_private=True)
    http_server.serve("/f.bin", b"b" * 80_000)  # a new ETag: If-Range gets the whole new file
    download(url, target, attempts=1, pause=0, allow_private=True)
    assert target.read_bytes() == b"b" * 80_000


# -- hostile input -------------------------------------------------------------

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
]>
<rss version="2.0"><channel><title>&g;</title><description>&g;</description></channel></rss>"""

_CHILD = """
import json, resource, sys
from pathlib import Path
from podcaster.importing.importer import import_feed
from podcaster.errors import PodcasterError


def status(key):
    with open("/proc/self/status") as lines:
        return int(next(line for line in lines if line.startswith(key)).split()[1])


# Start the peak afresh once the modules are loaded: only the import itself is measured.
with open("/proc/self/clear_refs", "w") as clear:
    clear.write("5")
before = status("VmRSS:")
try:
    import_feed(Path(sys.argv[1]), sys.argv[2], feed_url="https://podcast.example.org/feed.xml",
                allow_private=True)
    error = None
except PodcasterError as exc:
    error = str(exc)
print(json.dumps({"error": error, "before_kb": before, "peak_kb": status("VmHWM:"),
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def run_import_in_child(root: Path, source: str) -> dict[str, object]:
    completed = subprocess.run(
        [sys.executable, "-c", _CHILD, str(root), source],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parent.parent,
        check=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("bomb", "declares XML entities"),
        ("external-entity", "declares XML entities"),
        ("oversized", "over the 52,428,800-byte limit"),
        ("oversized-unannounced", "goes past the 52,428,800-byte limit"),
    ],
)
def test_hostile_input_is_refused_with_memory_bounded(
    case: str, message: str, http_server: LocalServer, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    if case == "bomb":
        url = http_server.serve("/feed.xml", BOMB, "application/rss+xml")
    elif case == "external-entity":
        xxe = (
            f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">]>'
            '<rss version="2.0"><channel><title>&x;</title><description>d</description></channel></rss>'
        ).encode()
        url = http_server.serve("/feed.xml", xxe, "application/rss+xml")
    else:
        url = http_server.generate("/feed.xml", 500 * 1024 * 1024, with_length=case == "oversized")
    root = tmp_path / "show"
    outcome = run_import_in_child(root, url)
    assert outcome["error"] and message in str(outcome["error"]), outcome
    growth_mb = (int(outcome["peak_kb"]) - int(outcome["before_kb"])) / 1024  # type: ignore[call-overload]
    # At most the 50 MB cap is ever buffered (nothing at all when Content-Length says too much).
    assert growth_mb < 80, f"peak memory grew by {growth_mb:.0f} MB"
    assert not root.exists() or not any(root.rglob("*.md"))
    for path in tmp_path.rglob("*"):
        if path.is_file() and path != secret:
            assert b"TOP-SECRET-VALUE" not in path.read_bytes()


def test_parse_xml_refuses_entities_even_late_in_a_long_prolog() -> None:
    padding = b"<!-- " + b"x" * (2 << 20) + b" -->"
    document = b'<?xml version="1.0"?>' + padding + b'<!DOCTYPE rss [<!ENTITY a "b">]><rss><channel/></rss>'
    with pytest.raises(SourceError, match="declares XML entities"):
        parse_xml(document, "feed.xml")


def test_not_a_feed(http_server: LocalServer, tmp_path: Path) -> None:
    url = http_server.serve("/page", b"<!DOCTYPE html><html><body>hello</body></html>", "text/html")
    with pytest.raises(SourceError, match="not an RSS feed"):
        import_feed(tmp_path / "show", url, feed_url=NEW_FEED)
    with pytest.raises(SourceError, match="404"):
        import_feed(tmp_path / "show", http_server.url("/missing.xml"), feed_url=NEW_FEED)
    with pytest.raises(SourceError, match=r"give an http\(s\) URL or a file path"):
        import_feed(tmp_path / "show", "ftp://example.org/feed.xml", feed_url=NEW_FEED)


def test_redirect_loops_and_other_schemes_are_refused(http_server: LocalServer, tmp_path: Path) -> None:
    http_server.redirect("/a", http_server.url("/b"))
    http_server.redirect("/b", http_server.url("/a"))
    with pytest.raises(SourceError, match="a redirect loop"):
        import_feed(tmp_path / "show", http_server.url("/a"), feed_url=NEW_FEED)
    for scheme_url in ("file:///etc/passwd", "ftp://example.org/feed.xml"):
        http_server.redirect("/elsewhere", scheme_url)
        with pytest.raises(SourceError, match=r"not http\(s\): refused|not an http\(s\) URL: refused"):
            import_feed(tmp_path / "show", http_server.url("/elsewhere"), feed_url=NEW_FEED)


def test_a_download_redirected_to_another_scheme_is_refused_at_once(
    http_server: LocalServer, tmp_path: Path
) -> None:
    url = http_server.redirect("/cdn/one.mp3", "file:///etc/passwd", 302)
    with pytest.raises(SourceError, match=r"not an http\(s\) URL: refused"):
        download(url, tmp_path / "one.mp3", attempts=5, pause=0, allow_private=True)
    assert len(http_server.requests_for("/cdn/one.mp3")) == 1  # not retried
    assert not (tmp_path / "one.mp3").exists()


def test_private_addresses_are_refused_unless_allowed(http_server: LocalServer, tmp_path: Path) -> None:
    url = serve_feed(http_server, "castopod")
    root = tmp_path / "show"
    with pytest.raises(SourceError, match=r"127\.0\.0\.1 is a loopback address: refused") as refused:
        importer.import_feed(root, url, feed_url=NEW_FEED)
    assert "--allow-private" in str(refused.value)
    assert http_server.requests == []  # refused before connecting
    assert not root.exists() or not any(root.iterdir())

    runner = CliRunner()
    refused_cli = runner.invoke(main, ["--root", str(root), "import", url, "--feed-url", NEW_FEED])
    assert refused_cli.exit_code == 1 and "--allow-private" in refused_cli.output
    assert http_server.requests == []
    allowed = runner.invoke(
        main, ["--root", str(root), "import", url, "--feed-url", NEW_FEED, "--allow-private"]
    )
    assert allowed.exit_code == 0, allowed.output


def test_a_feed_file_cannot_make_rehost_fetch_from_private_addresses(
    http_server: LocalServer, enclosures: dict[str, Path], tmp_path: Path
) -> None:
    # The feed comes from disk; its enclosures and its cover point at this machine.
    rehost_feed(http_server, enclosures, drop_first=False)
    feed = tmp_path / "feed.xml"
    data = http_server.routes["/rehost.xml"].data
    feed.write_bytes(
        data.replace(
            b"<language>",
            b"<image><url>" + http_server.url("/cover.png").encode() + b"</url></image><language>",
        )
    )
    root = tmp_path / "show"
    refused = importer.import_feed(root, str(feed), feed_url=NEW_FEED, rehost=True)
    assert [(problem.line, "loopback address: refused" in problem.message) for problem in refused.failed] == [
        (4, True),
        (6, True),
    ]  # each item, by its line in the feed; neither is imported
    assert http_server.requests == []
    assert not refused.added and not list(root.rglob("*.md")) and not list(root.rglob("*.mp3"))

    result = importer.import_feed(root, str(feed), feed_url=NEW_FEED)  # without --rehost: nothing fetched
    assert len(result.added) == 2 and http_server.requests == []
    assert any(
        "the cover could not be downloaded" in str(w) and "loopback" in str(w) for w in result.warnings
    )


def test_a_first_import_needs_the_new_feed_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--feed-url"):
        import_feed(tmp_path, str(FEEDS / "ausha.xml"))


# -- WebSub --------------------------------------------------------------------


def test_publish_pings_the_hubs(http_server: LocalServer, tmp_path: Path) -> None:
    root = tmp_path / "show"
    import_feed(root, serve_feed(http_server, "castopod"), feed_url=NEW_FEED)
    hub = http_server.hub("/hub", 204)
    failing = http_server.hub("/broken-hub", 500)
    toml = root / "podcast.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8") + f'\n[websub]\nhubs = ["{hub}", "{failing}"]\n', encoding="utf-8"
    )

    class Messages(PublishReporter):
        def __init__(self) -> None:
            self.lines: list[str] = []

        def message(self, text: str) -> None:
            self.lines.append(text)

    reporter = Messages()
    result = publish(root, storage_url=f"file://{tmp_path / 'public'}", now=NOW, reporter=reporter)
    assert "feed.xml" in result.uploaded
    pings = http_server.requests_for("/hub", "POST")
    topics = sorted(body for body in (r.body.decode() for r in pings))
    assert topics == sorted(
        [
            "hub.mode=publish&hub.url=https%3A%2F%2Fpodcast.example.org%2Fsaison-1.xml",
            "hub.mode=publish&hub.url=https%3A%2F%2Fpodcast.example.org%2Ffeed.xml",
        ]
    )
    assert pings[0].headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert any("WebSub ping" in line and "500" in line for line in reporter.lines)
    channel = etree.fromstring((tmp_path / "public" / "feed.xml").read_bytes())[0]
    assert [link.get("href") for link in channel.iter(f"{{{ATOM}}}link") if link.get("rel") == "hub"] == [
        hub,
        failing,
    ]

    # Nothing changed: nothing uploaded, nobody pinged.
    publish(root, storage_url=f"file://{tmp_path / 'public'}", now=NOW, reporter=reporter)
    assert len(http_server.requests_for("/hub", "POST")) == 2


def test_an_unreachable_hub_is_a_warning(http_server: LocalServer, tmp_path: Path) -> None:
    root = tmp_path / "show"
    import_feed(root, serve_feed(http_server, "anchor"), feed_url=NEW_FEED)
    toml = root / "podcast.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8") + '\n[websub]\nhubs = ["http://127.0.0.1:9/"]\n', encoding="utf-8"
    )
    lines: list[str] = []

    class Lines(PublishReporter):
        def message(self, text: str) -> None:
            lines.append(text)

    result = publish(root, storage_url=f"file://{tmp_path / 'public'}", now=NOW, reporter=Lines())
    assert "feed.xml" in result.uploaded
    assert any("could not be reached" in line for line in lines)


# -- the command ---------------------------------------------------------------


def test_cli_import(http_server: LocalServer, tmp_path: Path) -> None:
    url = serve_feed(http_server, "messy")
    runner = CliRunner()
    root = tmp_path / "show"
    missing = runner.invoke(main, ["--root", str(root), "import", url])
    assert missing.exit_code == 1 and "--feed-url" in missing.output
    done = runner.invoke(
        main, ["--root", str(root), "import", url, "--feed-url", NEW_FEED, "--allow-private"]
    )
    assert done.exit_code == 0, done.output
    assert "6 added, 0 updated, 0 unchanged, 0 skipped" in done.output
    assert "its enclosure URL is its GUID now" in done.output
    assert "repeats the GUID" in done.output
    again = runner.invoke(main, ["--root", str(root), "import", "--season-from", "order", "--allow-private"])
    assert again.exit_code == 0, again.output
    assert "0 added" in again.output
    built = runner.invoke(main, ["--root", str(root), "build"])
    assert built.exit_code == 0, built.output


# -- the pieces ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wed, 25 Jan 2023 10:00:00 +0100", "2023-01-25T10:00:00+01:00"),
        ("Wed, 25 Jan 2023 10:00:00 GMT", "2023-01-25T10:00:00+00:00"),
        ("Wed, 25 Jan 2023 10:00:00 CEST", "2023-01-25T10:00:00+02:00"),
        ("25 Jan 2023 10:00 PST", "2023-01-25T10:00:00-08:00"),
        ("Wed, 25 Jan 23 10:00:00 +0100", "2023-01-25T10:00:00+01:00"),
        ("Wednesday, 25 January 2023 10:00:00 +01:00", "2023-01-25T10:00:00+01:00"),
        ("mer., 25 janv. 2023 10:00:00 +0100", "2023-01-25T10:00:00+01:00"),
        ("Jan 25, 2023 10:00:00 EST", "2023-01-25T10:00:00-05:00"),
        ("2023-01-25T10:00:00Z", "2023-01-25T10:00:00+00:00"),
        ("Wed, 5 Jan 2023 9:05:00 +0530 (IST)", "2023-01-05T09:05:00+05:30"),
        ("Wed, 25 Jan 2023 10:00:00", "2023-01-25T10:00:00+00:00"),
    ],
)
def test_parse_date(text: str, expected: str) -> None:
    parsed, _ = parse_date(text)
    assert parsed is not None and parsed.isoformat() == expected


@pytest.mark.parametrize("text", ["", "soon", "Wed, 31 Feb 2023 10:00:00 +0100", "25 Foo 2023 10:00 +0100"])
def test_unreadable_dates(text: str) -> None:
    assert parse_date(text)[0] is None


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("2105", 2105), ("35:05", 2105), ("0:35:05", 2105), ("01:02:03", 3723), ("35:05.5", 2105.5),
     ("35m 5s", 2105), ("1h", 3600), ("abc", None), ("1:2:3:4", None)],
)  # fmt: skip
def test_parse_duration(text: str, seconds: float | None) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "html",
    [
        "<p>Un <strong>gras</strong>, un <em>italique</em> et un <a href='https://example.org/a b'>lien</a>.</p>",
        "<h2>Titre</h2><p>1. pas une liste</p><p># pas un titre</p><blockquote>cité</blockquote>",
        "<ul><li>un</li><li>deux<ul><li>sous</li></ul></li></ul><ol><li>a</li><li>b</li></ol>",
        "Texte nu <b>gras</b><br>ligne 2",
        "<p>a*b_c [d] `e` &lt;f&gt; &amp;amp;</p><hr><p>fin</p>",
    ],
)
def test_html_to_markdown_renders_back_the_same(html: str) -> None:
    notes = html_to_notes(html)
    assert notes.is_markdown
    from podcaster.folder.notes import sanitize_html
    from podcaster.importing.htmlmd import _same, _tidy, _tree

    assert _same(_tree(render_notes(notes.text)), _tidy(_tree(sanitize_html(html))))


def test_html_the_converter_cannot_follow_stays_sanitised_html() -> None:
    notes = html_to_notes(
        "<p>Avant</p><table><tr><td>x</td></tr></table>\n\n<p onclick='evil()'>Après <img src=x></p>"
    )
    assert not notes.is_markdown
    assert "onclick" not in notes.text and "<img" not in notes.text and "\n\n" not in notes.text
    assert "<td>x</td>" in render_notes(notes.text)
    inline = html_to_notes("Texte <sup>2</sup> *pas* de Markdown")
    assert not inline.is_markdown and render_notes(inline.text).count("*pas*") == 1


def test_plain_text_notes_keep_their_lines() -> None:
    notes = html_to_notes("Ligne 1\nLigne 2\n\n- pas une liste\n1. non plus")
    assert render_notes(notes.text) == "<p>Ligne 1<br>\nLigne 2</p>\n<p>- pas une liste<br>\n1. non plus</p>"


def test_episode_files_are_valid_front_matter(http_server: LocalServer, tmp_path: Path) -> None:
    root = tmp_path / "show"
    result = import_feed(root, serve_feed(http_server, "castopod"), feed_url=NEW_FEED)
    for path in result.added:
        data, _, _, _ = parse_front_matter(path)
        assert list(data)[:7] == ["title", "season", "episode", "type", "date", "guid", "audio"]
    lock = load_lock(root)
    assert all(entry.media.sha256 == "" for entry in lock.episodes.values())


def test_podcast_toml_names_the_move_and_the_hubs(tmp_path: Path) -> None:
    root = write_podcast(tmp_path / "show")
    toml = root / "podcast.toml"
    base = toml.read_text(encoding="utf-8")
    toml.write_text(
        base.replace(
            '[urls]\nfeed = "https://podcast.example.org/feed.xml"\n',
            '[urls]\nfeed = "https://podcast.example.org/feed.xml"\nold_feed = "https://feed.ausha.co/x"\n'
            'new_feed_url = "https://elsewhere.example.net/rss"\n',
        )
        + '\n[websub]\nhubs = ["https://pubsubhubbub.appspot.com/"]\n',
        encoding="utf-8",
    )
    show = load_catalogue(root).show
    assert show.urls.old_feed == "https://feed.ausha.co/x"
    assert show.urls.new_feed == "https://elsewhere.example.net/rss"
    assert show.hubs == ("https://pubsubhubbub.appspot.com/",)
    toml.write_text(
        base.replace('type = "serial"', 'type = "serial"\nguid = "not-a-uuid"').replace(
            'feed = "https://podcast.example.org/feed.xml"',
            'feed = "https://podcast.example.org/feed.xml"\nnew_feed_url = 3',
        )
        + '\n[websub]\nhubs = ["ftp://hub.example.org/"]\nhub = []\n',
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(root)
    messages = [p.message for p in caught.value.problems]
    assert any("'guid' must be a UUID" in m for m in messages)
    assert any("'new_feed_url' must be true, false or an absolute http(s) URL" in m for m in messages)
    assert any("hub 'ftp://hub.example.org/' must be an absolute http(s) URL" in m for m in messages)
    assert any("unknown key 'hub' in [websub] (did you mean 'hubs'?)" in m for m in messages)
