"""The RSS feed and episodes.json, read back with XPath, feedparser and gPodder's podcastparser."""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import feedparser
import podcastparser
import pytest
from lxml import etree

from podcaster.errors import FeedError
from podcaster.feed.episodes_json import EPISODES_JSON_VERSION, render_episodes_json
from podcaster.feed.rss import APPLE_CATEGORIES, ShowFeeds, render_feed, render_items
from podcaster.folder.notes import render_notes
from podcaster.models import (
    PODCAST_GUID_NAMESPACE,
    Category,
    Episode,
    EpisodeType,
    Funding,
    Location,
    MediaInfo,
    Owner,
    Person,
    PublicEpisode,
    PublicShow,
    Season,
    Show,
    ShowType,
    Transcript,
    Urls,
)

NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
}
PARIS = timezone(timedelta(hours=1), "CET")
NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
ROOT = Path("/srv/penser-le-9-3")
URLS = Urls.from_feed("https://podcast.example.org/feed.xml")

HOSTILE_TITLE = "<script>alert(1)</script> Banlieue & « ville »"
HOSTILE_NOTES = 'Des notes "><img src=x onerror=alert(1)> et <script>alert(2)</script> la suite.'

SHOW = Show(
    title="Penser le 9-3",
    description="Le podcast de Profession Banlieue, centre de ressources de la politique de la ville "
    "en Seine-Saint-Denis, coproduit avec Making Waves.",
    language="fr",
    author="Profession Banlieue & Making Waves",
    owner=Owner("Profession Banlieue", "podcast@example.org"),
    urls=URLS,
    categories=(Category("Society & Culture", "Documentary"), Category("Government")),
    explicit=False,
    type=ShowType.SERIAL,
    copyright="© 2023 Profession Banlieue",
    location=Location("Seine-Saint-Denis", geo="geo:48.91,2.48", osm="R7400"),
    funding=(Funding("https://example.org/soutenir", "Soutenir Profession Banlieue"),),
    persons=(
        Person(
            "Antoine Tricot", role="host", href="https://example.org/antoine", img="https://example.org/a.jpg"
        ),
    ),
    seasons=(
        Season(1, "Saison 1 : état des lieux", "Quatre épisodes pour comprendre la Seine-Saint-Denis."),
        Season(2, "Saison 2 : habiter", "L’habitat et la rénovation urbaine."),
    ),
    subtitle="La politique de la ville en questions",
    root=ROOT,
)
PUBLIC_SHOW = PublicShow(
    SHOW,
    artwork_url=URLS.media_url("cover.jpg"),
    season_artwork_urls={2: URLS.media_url("saison-2.png")},
)


def make_episode(
    slug: str,
    *,
    season: int = 1,
    number: int | None = 1,
    date: datetime = datetime(2023, 1, 25, 10, 0, tzinfo=PARIS),
    title: str | None = None,
    notes_markdown: str = "Une conversation sur la **rénovation urbaine** à Saint-Denis.\n\nDeuxième paragraphe.",
    size: int = 33_612_345,
    duration: float = 2100.4,
    mime_type: str = "audio/mpeg",
    type: EpisodeType = EpisodeType.FULL,
    **fields: object,
) -> PublicEpisode:
    """One public episode as the catalogue would give it (notes rendered and sanitised by the real code)."""
    public_fields = {
        key: fields.pop(key) for key in ("image_url", "chapters_url", "transcripts") if key in fields
    }
    notes_html = render_notes(notes_markdown)
    episode = Episode(
        slug=slug,
        path=ROOT / f"episodes/saison-{season}/{slug}.md",
        title=title or f"Épisode {number} : la ville à l’épreuve",
        season=season,
        number=number,
        type=type,
        date=date,
        guid=str(uuid.uuid5(uuid.NAMESPACE_URL, slug)),
        audio=f"{slug}.mp3",
        notes_markdown=notes_markdown,
        notes_html=notes_html,
        **fields,  # type: ignore[arg-type]
    )
    media = MediaInfo(
        size=size,
        sha256="ab" * 32,
        duration=duration,
        mime_type=mime_type,
        bitrate=128_000,
        sample_rate=44_100,
        channels=2,
        codec="mp3",
    )
    key = f"saison-{season}/{slug}.mp3"
    return PublicEpisode(episode, media, key, URLS.media_url(key), **public_fields)  # type: ignore[arg-type]


def catalogue() -> list[PublicEpisode]:
    """Live episodes of two seasons, a trailer, a draft and one scheduled for later."""
    return [
        make_episode(
            "s1e1-etat-des-lieux",
            number=1,
            summary="Ce qu’est la politique de la ville, et ce qu’elle n’est pas.",
            explicit=False,
            persons=(Person("Antoine Tricot"), Person("Invitée à confirmer", role="guest")),
            location=Location("Bobigny", geo="geo:48.908,2.439"),
            image_url=URLS.media_url("s1e1.jpg"),
            chapters_url=URLS.media_url("s1e1.chapters.json"),
            transcripts=(
                Transcript(URLS.media_url("s1e1.vtt"), "text/vtt", "fr", "captions"),
                Transcript(URLS.media_url("s1e1.html"), "text/html", "fr"),
            ),
        ),
        make_episode(
            "s1e2-ecoles", number=2, date=datetime(2023, 1, 25, 10, 5, tzinfo=PARIS), size=29_000_001
        ),
        make_episode(
            "s1e3-associations",
            number=3,
            date=datetime(2023, 1, 25, 10, 10, tzinfo=PARIS),
            explicit=True,
            duration=1999.5,
        ),
        make_episode(
            "s1-bande-annonce",
            number=None,
            date=datetime(2023, 1, 20, 9, 0, tzinfo=PARIS),
            type=EpisodeType.TRAILER,
            duration=61.6,
            size=987_654,
        ),
        make_episode(
            "s2e1-habiter",
            season=2,
            number=1,
            date=datetime(2023, 11, 15, 7, 0, tzinfo=PARIS),
            title=HOSTILE_TITLE,
            notes_markdown=HOSTILE_NOTES,
            mime_type="audio/mp4",
        ),
        make_episode(
            "s2e2-brouillon", season=2, number=2, date=datetime(2023, 11, 22, tzinfo=PARIS), draft=True
        ),
        make_episode("s2e3-a-venir", season=2, number=3, date=NOW + timedelta(days=7)),
    ]


LIVE_SLUGS = ["s2e1-habiter", "s1e3-associations", "s1e2-ecoles", "s1e1-etat-des-lieux", "s1-bande-annonce"]


@pytest.fixture(scope="module")
def episodes() -> list[PublicEpisode]:
    return catalogue()


@pytest.fixture(scope="module")
def feed_bytes(episodes: list[PublicEpisode]) -> bytes:
    return render_feed(PUBLIC_SHOW, episodes, self_url=URLS.feed, now=NOW)


@pytest.fixture(scope="module")
def channel(feed_bytes: bytes) -> etree._Element:
    return etree.fromstring(feed_bytes).find("channel")


def xp(node: etree._Element, path: str) -> list:
    return node.xpath(path, namespaces=NS)


def one(node: etree._Element, path: str) -> str:
    values = xp(node, path)
    assert len(values) == 1, f"{path}: {values!r}"
    return str(values[0])


def item(channel: etree._Element, slug: str) -> etree._Element:
    (found,) = [node for node in xp(channel, "item") if node.findtext("link").endswith(f"/episodes/{slug}/")]
    return found


def by_slug(episodes: list[PublicEpisode], slug: str) -> PublicEpisode:
    return next(public for public in episodes if public.episode.slug == slug)


# --- the document -------------------------------------------------------------------------------


def test_is_utf8_rss_with_a_declaration(feed_bytes: bytes) -> None:
    assert feed_bytes.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = etree.fromstring(feed_bytes)
    assert root.tag == "rss" and root.get("version") == "2.0"
    assert "état des lieux".encode() in feed_bytes  # accents written as UTF-8, not as character references
    # The podcast: namespace is declared once, on the root.
    assert feed_bytes.count(NS["podcast"].encode()) == 1


def test_channel_tags(channel: etree._Element) -> None:
    assert one(channel, "title/text()") == "Penser le 9-3"
    assert one(channel, "description/text()") == SHOW.description
    assert one(channel, "link/text()") == "https://podcast.example.org/"
    assert one(channel, "language/text()") == "fr"
    assert one(channel, "copyright/text()") == "© 2023 Profession Banlieue"
    assert one(channel, "atom:link[@rel='self']/@href") == URLS.feed
    assert one(channel, "atom:link[@rel='self']/@type") == "application/rss+xml"
    assert one(channel, "generator/text()") == "podcaster"
    newest = "Wed, 15 Nov 2023 07:00:00 +0100"
    assert one(channel, "lastBuildDate/text()") == newest
    assert one(channel, "pubDate/text()") == newest
    assert one(channel, "image/url/text()") == URLS.media_url("cover.jpg")

    assert one(channel, "itunes:image/@href") == URLS.media_url("cover.jpg")
    assert xp(channel, "itunes:category/@text") == ["Society & Culture", "Government"]
    assert one(channel, "itunes:category[@text='Society & Culture']/itunes:category/@text") == "Documentary"
    assert one(channel, "itunes:explicit/text()") == "false"
    assert one(channel, "itunes:author/text()") == "Profession Banlieue & Making Waves"
    assert one(channel, "itunes:owner/itunes:name/text()") == "Profession Banlieue"
    assert one(channel, "itunes:owner/itunes:email/text()") == "podcast@example.org"
    assert one(channel, "itunes:type/text()") == "serial"
    assert one(channel, "itunes:summary/text()") == SHOW.description
    assert one(channel, "itunes:subtitle/text()") == "La politique de la ville en questions"
    assert xp(channel, "itunes:new-feed-url") == []

    expected_guid = str(uuid.uuid5(PODCAST_GUID_NAMESPACE, "podcast.example.org/feed.xml"))
    assert one(channel, "podcast:guid/text()") == expected_guid == SHOW.podcast_guid
    assert one(channel, "podcast:locked/text()") == "yes"
    assert one(channel, "podcast:locked/@owner") == "podcast@example.org"
    assert one(channel, "podcast:location/text()") == "Seine-Saint-Denis"
    assert one(channel, "podcast:location/@geo") == "geo:48.91,2.48"
    assert one(channel, "podcast:location/@osm") == "R7400"
    assert one(channel, "podcast:funding/@url") == "https://example.org/soutenir"
    assert one(channel, "podcast:funding/text()") == "Soutenir Profession Banlieue"
    person = xp(channel, "podcast:person")[0]
    assert (person.text, person.get("role"), person.get("group")) == ("Antoine Tricot", "host", "cast")
    assert (person.get("href"), person.get("img")) == (
        "https://example.org/antoine",
        "https://example.org/a.jpg",
    )
    assert one(channel, "podcast:medium/text()") == "podcast"


def test_item_tags(channel: etree._Element, episodes: list[PublicEpisode]) -> None:
    public = by_slug(episodes, "s1e1-etat-des-lieux")
    node = item(channel, "s1e1-etat-des-lieux")
    assert one(node, "title/text()") == "Épisode 1 : la ville à l’épreuve"
    assert one(node, "guid/text()") == public.guid
    assert one(node, "guid/@isPermaLink") == "false"
    assert one(node, "pubDate/text()") == "Wed, 25 Jan 2023 10:00:00 +0100"
    assert one(node, "link/text()") == "https://podcast.example.org/episodes/s1e1-etat-des-lieux/"
    assert one(node, "description/text()") == "Ce qu’est la politique de la ville, et ce qu’elle n’est pas."
    assert one(node, "content:encoded/text()") == public.episode.notes_html
    assert "<strong>rénovation urbaine</strong>" in public.episode.notes_html
    assert one(node, "enclosure/@url") == URLS.media_url("saison-1/s1e1-etat-des-lieux.mp3")
    assert one(node, "enclosure/@length") == "33612345"
    assert one(node, "enclosure/@type") == "audio/mpeg"
    assert one(node, "itunes:duration/text()") == "2100"
    assert one(node, "itunes:season/text()") == "1"
    assert one(node, "itunes:episode/text()") == "1"
    assert one(node, "itunes:episodeType/text()") == "full"
    assert one(node, "itunes:explicit/text()") == "false"
    assert one(node, "itunes:image/@href") == URLS.media_url("s1e1.jpg")
    assert one(node, "podcast:season/text()") == "1"
    assert one(node, "podcast:season/@name") == "Saison 1 : état des lieux"
    assert one(node, "podcast:episode/text()") == "1"
    persons = [(p.text, p.get("role"), p.get("group")) for p in xp(node, "podcast:person")]
    assert persons == [("Antoine Tricot", "host", "cast"), ("Invitée à confirmer", "guest", "cast")]
    assert one(node, "podcast:location/text()") == "Bobigny"
    assert one(node, "podcast:location/@geo") == "geo:48.908,2.439"
    transcripts = [dict(t.attrib) for t in xp(node, "podcast:transcript")]
    assert transcripts == [
        {"url": URLS.media_url("s1e1.vtt"), "type": "text/vtt", "language": "fr", "rel": "captions"},
        {"url": URLS.media_url("s1e1.html"), "type": "text/html", "language": "fr"},
    ]
    assert one(node, "podcast:chapters/@url") == URLS.media_url("s1e1.chapters.json")
    assert one(node, "podcast:chapters/@type") == "application/json+chapters"


def test_optional_item_tags_are_left_out_or_follow_the_episode(channel: etree._Element) -> None:
    plain = item(channel, "s1e2-ecoles")
    for path in ("itunes:explicit", "itunes:image", "podcast:person", "podcast:location", "podcast:transcript",
                 "podcast:chapters"):  # fmt: skip
        assert xp(plain, path) == [], path
    assert one(item(channel, "s1e3-associations"), "itunes:explicit/text()") == "true"
    trailer = item(channel, "s1-bande-annonce")
    assert one(trailer, "itunes:episodeType/text()") == "trailer"
    assert xp(trailer, "itunes:episode") == xp(trailer, "podcast:episode") == []
    assert one(trailer, "itunes:duration/text()") == "62"
    # Durations are rounded half up, not to even.
    assert one(item(channel, "s1e3-associations"), "itunes:duration/text()") == "2000"


def test_newest_first_without_drafts_or_scheduled(channel: etree._Element) -> None:
    links = [link.rsplit("/", 2)[-2] for link in xp(channel, "item/link/text()")]
    assert links == LIVE_SLUGS


def test_defensively_leaves_out_what_the_caller_should_have(episodes: list[PublicEpisode]) -> None:
    # The scheduled episode becomes live once its date has come, and not a second before.
    scheduled = by_slug(episodes, "s2e3-a-venir")
    before = render_feed(
        PUBLIC_SHOW, episodes, self_url=URLS.feed, now=scheduled.episode.date - timedelta(seconds=1)
    )
    at = render_feed(PUBLIC_SHOW, episodes, self_url=URLS.feed, now=scheduled.episode.date)
    assert scheduled.guid.encode() not in before
    assert scheduled.guid.encode() in at
    assert by_slug(episodes, "s2e2-brouillon").guid.encode() not in at


def test_season_feed(episodes: list[PublicEpisode]) -> None:
    season = SHOW.seasons[1]
    self_url = URLS.season_feed_url(2)
    data = render_feed(PUBLIC_SHOW, episodes, self_url=self_url, season=season, now=NOW)
    channel = etree.fromstring(data).find("channel")
    assert one(channel, "title/text()") == "Penser le 9-3 — Saison 2 : habiter"
    assert one(channel, "description/text()") == "L’habitat et la rénovation urbaine."
    assert one(channel, "atom:link[@rel='self']/@href") == "https://podcast.example.org/saison-2.xml"
    assert one(channel, "itunes:image/@href") == URLS.media_url("saison-2.png")
    assert xp(channel, "item/itunes:season/text()") == ["2"]
    # Its own podcast:guid, by the same rule as the show's.
    assert one(channel, "podcast:guid/text()") == str(
        uuid.uuid5(PODCAST_GUID_NAMESPACE, "podcast.example.org/saison-2.xml")
    )
    # A season without its own artwork uses the show's.
    first = render_feed(
        PUBLIC_SHOW, episodes, self_url=URLS.season_feed_url(1), season=SHOW.seasons[0], now=NOW
    )
    first_channel = etree.fromstring(first).find("channel")
    assert one(first_channel, "itunes:image/@href") == URLS.media_url("cover.jpg")
    assert len(xp(first_channel, "item")) == 4
    assert set(xp(first_channel, "item/podcast:season/text()")) == {"1"}


# --- user text never becomes markup ------------------------------------------------------------------


def _live_tags(data: bytes) -> list[bytes]:
    """Every tag name in the raw bytes that an HTML or XML reader would see as markup."""
    return re.findall(rb"<\s*([a-zA-Z][\w:-]*)", data)


@pytest.mark.parametrize("sanitised", [True, False])
def test_script_and_onerror_come_out_escaped(sanitised: bool) -> None:
    public = make_episode("s2e1-habiter", season=2, title=HOSTILE_TITLE, notes_markdown=HOSTILE_NOTES)
    if not sanitised:
        # Even notes that skipped the sanitiser never become live markup in the XML.
        raw = replace(public.episode, notes_html=HOSTILE_NOTES, summary=HOSTILE_NOTES)
        public = replace(public, episode=raw)
    data = render_feed(PUBLIC_SHOW, [public], self_url=URLS.feed, now=NOW)

    tags = {tag.decode().lower() for tag in _live_tags(data)}
    assert not tags & {"script", "img"}, tags
    assert b"<script" not in data.lower() and b"<img" not in data.lower()
    root = etree.fromstring(data)
    assert not [node for node in root.iter() if etree.QName(node).localname.lower() in {"script", "img"}]
    node = root.find("channel/item")
    assert node.findtext("title") == HOSTILE_TITLE  # escaped in the bytes, intact once read
    if sanitised:
        for text in (node.findtext("description"), one(node, "content:encoded/text()")):
            assert "onerror" not in text and "<script" not in text

    parsed = feedparser.parse(data)
    assert not parsed.bozo
    assert parsed.entries[0].title == HOSTILE_TITLE  # plain text, not interpreted as HTML
    for text in (parsed.entries[0].summary, parsed.entries[0].content[0].value):
        assert "onerror" not in text and "<script" not in text


def test_identical_input_gives_identical_bytes(episodes: list[PublicEpisode], feed_bytes: bytes) -> None:
    again = render_feed(PUBLIC_SHOW, list(reversed(episodes)), self_url=URLS.feed, now=NOW)
    later = render_feed(PUBLIC_SHOW, episodes, self_url=URLS.feed, now=NOW + timedelta(hours=5))
    assert again == feed_bytes
    assert later == feed_bytes  # nothing new went live: no clock in the document


def test_guid_survives_title_date_and_audio_url_changes(episodes: list[PublicEpisode]) -> None:
    public = by_slug(episodes, "s1e2-ecoles")
    changed = replace(
        public,
        episode=replace(
            public.episode, title="Les écoles, autrement", date=datetime(2023, 2, 1, tzinfo=PARIS)
        ),
        audio_url="https://cdn.example.net/autre/ecoles.mp3",
    )
    node = etree.fromstring(render_feed(PUBLIC_SHOW, [changed], self_url=URLS.feed, now=NOW)).find(
        "channel/item"
    )
    assert node.findtext("title") == "Les écoles, autrement"
    assert one(node, "enclosure/@url") == "https://cdn.example.net/autre/ecoles.mp3"
    assert node.findtext("guid") == public.guid


def test_hubs_and_new_feed_url() -> None:
    show = replace(
        SHOW,
        hubs=("https://pubsubhubbub.appspot.com/", "https://websub.example.org/"),
        urls=replace(URLS, new_feed="https://ailleurs.example.org/feed.xml"),
    )
    public_show = replace(PUBLIC_SHOW, show=show)
    channel = etree.fromstring(render_feed(public_show, [], self_url=URLS.feed, now=NOW)).find("channel")
    assert xp(channel, "atom:link[@rel='hub']/@href") == list(show.hubs)
    assert one(channel, "itunes:new-feed-url/text()") == "https://ailleurs.example.org/feed.xml"
    season = render_feed(public_show, [], self_url=URLS.season_feed_url(1), season=SHOW.seasons[0], now=NOW)
    assert xp(etree.fromstring(season), "channel/itunes:new-feed-url") == []


def _show_feeds(
    public_show: PublicShow,
    episodes: list[PublicEpisode],
    items: Callable[[Show, list[PublicEpisode]], list[bytes]] = render_items,
) -> tuple[bytes, dict[int, bytes]]:
    """What render_feeds does, in this process: the live episodes' items, then the channels around them."""
    feeds = ShowFeeds(public_show, episodes, now=NOW)
    with feeds.naming_unwritable_items():
        rendered = items(public_show.show, feeds.live)
    return feeds.assemble(rendered)


def test_show_feeds_share_items_and_give_render_feed_s_bytes(episodes: list[PublicEpisode]) -> None:
    show = replace(SHOW, hubs=("https://websub.example.org/",), seasons=(*SHOW.seasons, Season(3, "Vide")))
    public_show = replace(PUBLIC_SHOW, show=show)
    rendered: list[list[str]] = []

    def items(show: Show, live: list[PublicEpisode]) -> list[bytes]:
        rendered.append([public.episode.slug for public in live])
        return render_items(show, live)

    whole, seasons = _show_feeds(public_show, episodes, items)
    assert rendered == [LIVE_SLUGS]  # each item written once, for every document
    assert whole == render_feed(public_show, episodes, self_url=URLS.feed, now=NOW)
    assert list(seasons) == [1, 2, 3]
    for season in show.seasons:
        url = URLS.season_feed_url(season.number)
        assert seasons[season.number] == render_feed(
            public_show, episodes, self_url=url, season=season, now=NOW
        )


def test_show_feeds_name_a_control_character_like_render_feed(episodes: list[PublicEpisode]) -> None:
    broken = make_episode("s1e9-casse", number=9, title="Un titre\x07 cassé")
    with pytest.raises(FeedError) as caught:
        _show_feeds(PUBLIC_SHOW, [*episodes, broken])
    with pytest.raises(FeedError) as expected:
        render_feed(PUBLIC_SHOW, [*episodes, broken], self_url=URLS.feed, now=NOW)
    assert [str(problem) for problem in caught.value.problems] == [
        str(problem) for problem in expected.value.problems
    ]


def test_show_feeds_raise_an_item_s_failure_before_a_channel_s(episodes: list[PublicEpisode]) -> None:
    # The channels may be written first, while workers write the items: the order of errors stays.
    public_show = replace(PUBLIC_SHOW, season_artwork_urls={2: "https://media.example.org/saison-2.gif"})
    show = public_show.show
    broken = make_episode("s1e9-casse", number=9, title="Un titre\x07 cassé")
    feeds = ShowFeeds(public_show, [*episodes, broken], now=NOW)
    feeds.render_channels()  # fails, and keeps its failure for assemble()
    with pytest.raises(FeedError) as caught, feeds.naming_unwritable_items():
        render_items(show, feeds.live)
    assert [problem.path.name for problem in caught.value.problems] == ["s1e9-casse.md"]
    with pytest.raises(FeedError) as channel_failure:
        feeds.assemble([b"<item/>"] * len(feeds.live))
    with pytest.raises(FeedError) as expected:
        _show_feeds(public_show, episodes)
    assert [str(problem) for problem in channel_failure.value.problems] == [
        str(problem) for problem in expected.value.problems
    ]


# --- real clients -----------------------------------------------------------------------------------


def test_feedparser_reads_it(feed_bytes: bytes, episodes: list[PublicEpisode]) -> None:
    parsed = feedparser.parse(feed_bytes)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert parsed.feed.title == "Penser le 9-3"
    assert parsed.feed.language == "fr"
    assert parsed.feed.image.href == URLS.media_url("cover.jpg")
    assert [entry.id for entry in parsed.entries] == [by_slug(episodes, slug).guid for slug in LIVE_SLUGS]
    for entry, slug in zip(parsed.entries, LIVE_SLUGS, strict=True):
        public = by_slug(episodes, slug)
        assert entry.title == public.episode.title
        assert not entry.guidislink
        (enclosure,) = entry.enclosures
        assert enclosure.href == public.audio_url
        assert int(enclosure.length) == public.media.size
        assert enclosure.type == public.media.mime_type
        assert entry.itunes_duration == str(int(public.media.duration + 0.5))
        assert entry.published_parsed is not None


def test_podcastparser_reads_it(feed_bytes: bytes, episodes: list[PublicEpisode]) -> None:
    parsed = podcastparser.parse(URLS.feed, io.BytesIO(feed_bytes))
    assert parsed["title"] == "Penser le 9-3"
    assert parsed["cover_url"] == URLS.media_url("cover.jpg")
    assert parsed["type"] == "serial"
    assert parsed["explicit"] is False
    assert parsed["itunes_categories"] == [["Society & Culture", "Documentary"], ["Government"]]
    # podcastparser sorts by date itself; compare by GUID.
    got = {episode["guid"]: episode for episode in parsed["episodes"]}
    assert set(got) == {by_slug(episodes, slug).guid for slug in LIVE_SLUGS}
    for slug in LIVE_SLUGS:
        public = by_slug(episodes, slug)
        episode = got[public.guid]
        assert episode["title"] == public.episode.title
        assert episode["total_time"] == int(public.media.duration + 0.5)
        (enclosure,) = episode["enclosures"]
        assert enclosure["file_size"] == public.media.size
        assert enclosure["mime_type"] == public.media.mime_type
        assert enclosure["url"] == public.audio_url
        assert episode["published"] == int(public.episode.date.timestamp())
        assert episode["link"] == f"https://podcast.example.org/episodes/{slug}/"


# --- errors --------------------------------------------------------------------------------------------


def test_every_category_of_apple_list_is_accepted(episodes: list[PublicEpisode]) -> None:
    categories = tuple(Category(name) for name in APPLE_CATEGORIES) + tuple(
        Category(name, sub) for name, subs in APPLE_CATEGORIES.items() for sub in sorted(subs)
    )
    public_show = replace(PUBLIC_SHOW, show=replace(SHOW, categories=categories))
    data = render_feed(public_show, episodes, self_url=URLS.feed, now=NOW)
    assert b"Leisure" in data and b"True Crime" in data


def test_unknown_categories_name_podcast_toml(episodes: list[PublicEpisode]) -> None:
    show = replace(SHOW, categories=(Category("society & culture"), Category("Arts", "Cuisine")))
    with pytest.raises(FeedError) as caught:
        render_feed(replace(PUBLIC_SHOW, show=show), episodes, self_url=URLS.feed, now=NOW)
    problems = caught.value.problems
    assert [problem.path for problem in problems] == [ROOT / "podcast.toml"] * 2
    assert "'society & culture'" in problems[0].message and "case-sensitive" in problems[0].message
    assert "'Cuisine'" in problems[1].message and "'Arts'" in problems[1].message
    assert str(caught.value).startswith(f"{ROOT / 'podcast.toml'}: unknown Apple Podcasts category")


def test_artwork_apple_cannot_use_is_refused(episodes: list[PublicEpisode]) -> None:
    public_show = replace(PUBLIC_SHOW, artwork_url=URLS.media_url("cover.webp"))
    odd = by_slug(episodes, "s1e2-ecoles")
    odd = replace(odd, image_url=URLS.media_url("ecoles.gif"))
    with pytest.raises(FeedError) as caught:
        render_feed(public_show, [odd], self_url=URLS.feed, now=NOW)
    paths = [problem.path for problem in caught.value.problems]
    assert paths == [ROOT / "podcast.toml", odd.episode.path]
    assert all(".jpg or .png" in problem.message for problem in caught.value.problems)


def test_a_control_character_names_the_episode_and_field(episodes: list[PublicEpisode]) -> None:
    public = by_slug(episodes, "s1e2-ecoles")
    broken = replace(
        public,
        episode=replace(
            public.episode, title="Les écoles\x0b (copié de Word)", persons=(Person("Jeanne\x01 Martin"),)
        ),
    )
    with pytest.raises(FeedError) as caught:
        render_feed(PUBLIC_SHOW, [broken], self_url=URLS.feed, now=NOW)
    messages = [(problem.path, problem.message) for problem in caught.value.problems]
    assert messages == [
        (public.episode.path, "title holds a control character XML cannot carry"),
        (public.episode.path, "persons.name holds a control character XML cannot carry"),
    ]


def test_a_show_without_owner_email_still_builds(episodes: list[PublicEpisode]) -> None:
    # `podcaster init` without --email gives such a show; `podcaster check` is the one to complain.
    show = replace(SHOW, owner=Owner("Profession Banlieue", ""))
    data = render_feed(replace(PUBLIC_SHOW, show=show), episodes, self_url=URLS.feed, now=NOW)
    channel = etree.fromstring(data).find("channel")
    assert xp(channel, "itunes:owner") == []
    # The Podcast Index cannot read podcast:locked without its owner: no tag rather than one it ignores.
    assert xp(channel, "podcast:locked") == []


def test_naive_now_is_a_programming_error(episodes: list[PublicEpisode]) -> None:
    with pytest.raises(ValueError, match="aware"):
        render_feed(PUBLIC_SHOW, episodes, self_url=URLS.feed, now=datetime(2024, 1, 1))


# --- episodes.json -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def json_bytes(episodes: list[PublicEpisode]) -> bytes:
    return render_episodes_json(PUBLIC_SHOW, episodes, now=NOW)


def test_episodes_json_fields(json_bytes: bytes, episodes: list[PublicEpisode]) -> None:
    document = json.loads(json_bytes)
    assert document["version"] == EPISODES_JSON_VERSION == 1
    assert document["show"] == {
        "title": "Penser le 9-3",
        "description": SHOW.description,
        "language": "fr",
        "url": "https://podcast.example.org/",
        "feed": "https://podcast.example.org/feed.xml",
        "image": URLS.media_url("cover.jpg"),
    }
    assert [entry["slug"] for entry in document["episodes"]] == LIVE_SLUGS
    first = next(entry for entry in document["episodes"] if entry["slug"] == "s1e1-etat-des-lieux")
    public = by_slug(episodes, "s1e1-etat-des-lieux")
    assert first == {
        "guid": public.guid,
        "slug": "s1e1-etat-des-lieux",
        "title": "Épisode 1 : la ville à l’épreuve",
        "season": 1,
        "season_name": "Saison 1 : état des lieux",
        "episode": 1,
        "type": "full",
        "date": "2023-01-25T10:00:00+01:00",
        "duration": 2100,
        "audio": {"url": public.audio_url, "type": "audio/mpeg", "length": 33_612_345},
        "image": URLS.media_url("s1e1.jpg"),
        "summary": "Ce qu’est la politique de la ville, et ce qu’elle n’est pas.",
        "notes_html": public.episode.notes_html,
        "url": "https://podcast.example.org/episodes/s1e1-etat-des-lieux/",
        "chapters_url": URLS.media_url("s1e1.chapters.json"),
        "transcripts": [
            {"url": URLS.media_url("s1e1.vtt"), "type": "text/vtt", "language": "fr", "rel": "captions"},
            {"url": URLS.media_url("s1e1.html"), "type": "text/html", "language": "fr", "rel": None},
        ],
    }
    trailer = next(entry for entry in document["episodes"] if entry["slug"] == "s1-bande-annonce")
    assert (trailer["episode"], trailer["type"], trailer["chapters_url"], trailer["transcripts"]) == (
        None, "trailer", None, [],
    )  # fmt: skip
    assert trailer["image"] == URLS.media_url("cover.jpg")  # falls back to the show's artwork
    # No summary: the first paragraph of the notes, as text.
    assert trailer["summary"] == "Une conversation sur la rénovation urbaine à Saint-Denis."
    habiter = next(entry for entry in document["episodes"] if entry["slug"] == "s2e1-habiter")
    assert habiter["image"] == URLS.media_url("saison-2.png")  # the season's artwork
    assert habiter["audio"]["type"] == "audio/mp4"


def test_episodes_json_is_safe_to_inline_and_stable(json_bytes: bytes, episodes: list[PublicEpisode]) -> None:
    assert b"<" not in json_bytes and b">" not in json_bytes and b"&" not in json_bytes
    assert "é".encode() in json_bytes  # UTF-8, not \u escapes, for everything else
    habiter = next(entry for entry in json.loads(json_bytes)["episodes"] if entry["slug"] == "s2e1-habiter")
    assert habiter["title"] == HOSTILE_TITLE
    assert "onerror" not in habiter["notes_html"] and "<script" not in habiter["notes_html"]
    assert (
        render_episodes_json(PUBLIC_SHOW, list(reversed(episodes)), now=NOW + timedelta(hours=1))
        == json_bytes
    )


def test_episodes_json_is_the_whole_document_dumped_at_once(json_bytes: bytes) -> None:
    # Written entry by entry, it is the very text json.dumps gives for the whole document.
    document = json.loads(json_bytes)
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    for unsafe in "<>&\u2028\u2029":
        text = text.replace(unsafe, f"\\u{ord(unsafe):04x}")
    assert (text + "\n").encode() == json_bytes
