"""Chapters: Podcasting 2.0 JSON chapters (1.2) from real ID3 CHAP/CTOC frames or a chapters file,
validated against the format's schema, published as application/json+chapters, named by the feed
and shown on the page; ``add`` picks them up and ``check`` holds their times to the duration."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import feedparser
import jsonschema
import lxml.html
import pytest
from click.testing import CliRunner
from lxml import etree

from podcaster.actions.add import add_episode
from podcaster.actions.publish import publish
from podcaster.cli.main import main
from podcaster.errors import CatalogueError
from podcaster.feed.public import Resolver
from podcaster.folder.catalogue import load_catalogue
from podcaster.folder.lockfile import load_lock
from podcaster.media import probe
from podcaster.media.chapters import CHAPTERS_TYPE, episode_chapters, parse_chapters_file, read_chapters_file
from podcaster.storage import open_storage
from tests.fixtures.audio import SAMPLE_CHAPTERS, add_id3_chapters, copy_audio, make_audio
from tests.fixtures.catalogue import write_episode, write_podcast
from tests.fixtures.site import NOW
from web import create_app

SCHEMA = json.loads(
    (Path(__file__).parent / "fixtures" / "schemas" / "json-chapters-1.2.schema.json").read_text()
)
NS = {"podcast": "https://podcastindex.org/namespace/1.0"}
MEDIA = "https://podcast.example.org/media/"
SECONDS = 3.0


def assert_valid_chapters(document: Any) -> None:
    """Valid against the JSON Schema of the format, and in ascending startTime order as it requires."""
    jsonschema.validate(document, SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    starts = [chapter["startTime"] for chapter in document["chapters"]]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)


@pytest.fixture(scope="module")
def plain_mp3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_audio(tmp_path_factory.mktemp("chapter-audio") / "plain.mp3", "mp3", SECONDS, channels=1)


@pytest.fixture(scope="module")
def chaptered_mp3(plain_mp3: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real CHAP frames, written in reverse; the CTOC lists them out of time order (2, 0, 1)."""
    path = copy_audio(plain_mp3, tmp_path_factory.mktemp("chaptered"), "chaptered.mp3")
    return add_id3_chapters(path, SAMPLE_CHAPTERS, toc_order=[2, 0, 1])


def podcast_with(root: Path, audio: Path, slug: str = "premier", extra: str = "") -> Path:
    write_podcast(root)
    return write_episode(root, slug, guid=f"guid-{slug}", extra=extra, audio_bytes=audio.read_bytes())


# -- from the audio's tags ----------------------------------------------------------------


def test_id3_chapters_become_valid_json_chapters_in_time_order(tmp_path: Path, chaptered_mp3: Path) -> None:
    media = probe(chaptered_mp3)
    assert [chapter.title for chapter in media.chapters] == ["Fin", "Ouverture", "Entretien"]  # CTOC order
    root = tmp_path / "podcast"
    podcast_with(root, chaptered_mp3)
    episode = load_catalogue(root).episodes[0]
    found = episode_chapters(episode, media, podcast_name="Penser le test")
    assert found is not None
    document = json.loads(found.data)
    assert_valid_chapters(document)
    assert document["version"] == "1.2"
    assert (document["title"], document["podcastName"]) == ("Un épisode", "Penser le test")
    assert [(c["startTime"], c.get("endTime"), c["title"]) for c in document["chapters"]] == [
        (start if start % 1 else int(start), end if end % 1 else int(end), title)
        for start, end, title in SAMPLE_CHAPTERS
    ]
    # The page lists the same chapters as the document.
    assert [(c.start, c.title) for c in found.chapters] == [(s, t) for s, _, t in SAMPLE_CHAPTERS]


def test_the_document_is_the_same_bytes_every_time(tmp_path: Path, chaptered_mp3: Path) -> None:
    root = tmp_path / "podcast"
    podcast_with(root, chaptered_mp3)
    episode = load_catalogue(root).episodes[0]
    media = probe(chaptered_mp3)
    first = episode_chapters(episode, media)
    again = episode_chapters(episode, probe(chaptered_mp3))
    assert first is not None and again is not None and first.data == again.data


def test_no_chapters_no_document(tmp_path: Path, plain_mp3: Path) -> None:
    root = tmp_path / "podcast"
    podcast_with(root, plain_mp3)
    catalogue = load_catalogue(root)
    media = probe(plain_mp3)
    assert episode_chapters(catalogue.episodes[0], media) is None
    public = Resolver(catalogue).public_episode(catalogue.episodes[0], media)
    assert public.chapters_url is None and public.chapters == ()


# -- from a chapters file -------------------------------------------------------------------

GOOD_FILE = {
    "version": "1.2.0",
    "author": "Profession Banlieue",
    "chapters": [
        {"startTime": 0, "title": "Ouverture", "img": "https://www.example.org/ouverture.jpg"},
        {"startTime": 0.75, "toc": False, "location": {"name": "Bobigny", "geo": "geo:48.908,2.439"}},
        {
            "startTime": 1.5,
            "endTime": 2.5,
            "title": "Sur le terrain",
            "url": "https://www.example.org/terrain",
        },
        {"startTime": 2.5, "title": "Pour conclure", "rssblue:remoteEntity": {"item": {"guid": "x"}}},
    ],
}


def test_a_valid_chapters_file(tmp_path: Path) -> None:
    path = tmp_path / "chapitres.json"
    path.write_text(json.dumps(GOOD_FILE, indent=2, ensure_ascii=False), encoding="utf-8")
    assert_valid_chapters(GOOD_FILE)
    document, chapters = read_chapters_file(path, duration=SECONDS)
    assert document == GOOD_FILE
    # The silent chapter (toc: false) is kept in the document, not shown as a link.
    assert [(c.start, c.title, c.end, c.url, c.image) for c in chapters] == [
        (0.0, "Ouverture", None, None, "https://www.example.org/ouverture.jpg"),
        (1.5, "Sur le terrain", 2.5, "https://www.example.org/terrain", None),
        (2.5, "Pour conclure", None, None, None),
    ]


# name -> (file text, [(line, words of the message)]) for each error.
BROKEN: dict[str, tuple[str, list[tuple[int, str]]]] = {
    "not-json": (
        '{\n  "version": "1.2",\n  "chapters": [\n    {"startTime": 0,}\n  ]\n}\n',
        [(4, "not valid JSON")],
    ),
    "not-an-object": ("[]\n", [(1, "a chapters file is a JSON object")]),
    "no-version": ('{\n  "chapters": [{"startTime": 0, "title": "A"}]\n}\n', [(1, '"version" is required')]),
    "version-a-number": (
        '{\n  "version": 1.2,\n  "chapters": [{"startTime": 0, "title": "A"}]\n}\n',
        [(2, '"version" is required and must be text')],
    ),
    "unknown-version": (
        '{\n  "version": "2.0",\n  "chapters": [{"startTime": 0, "title": "A"}]\n}\n',
        [(2, "not a JSON chapters version")],
    ),
    "no-chapters": ('{\n  "version": "1.2",\n  "chapters": []\n}\n', [(3, '"chapters" is required')]),
    "start-not-a-number": (
        '{\n  "version": "1.2",\n  "chapters": [\n    {\n      "startTime": "0:30",\n      "title": "A"\n    }\n  ]\n}\n',
        [(5, "'startTime' is required and must be a number")],
    ),
    "descending": (
        '{\n  "version": "1.2",\n  "chapters": [\n    {"startTime": 2, "title": "B"},\n'
        '    {"startTime": 1, "title": "A"}\n  ]\n}\n',
        [(5, "chapter 2 starts at 00:01.000, not after the previous one (00:02.000)")],
    ),
    "past-the-duration": (
        '{\n  "version": "1.2",\n  "chapters": [\n    {"startTime": 0, "title": "A"},\n'
        '    {"startTime": 4, "title": "Trop tard"}\n  ]\n}\n',
        [(5, "chapter 2 starts at 00:04.000, after the end of the audio (00:03.000)")],
    ),
    "ends-past-the-duration": (
        '{\n  "version": "1.2",\n  "chapters": [\n    {"startTime": 0,\n     "endTime": 9, "title": "A"}\n  ]\n}\n',
        [(5, "ends at 00:09.000, after the end of the audio")],
    ),
    "end-before-start": (
        '{\n  "version": "1.2",\n  "chapters": [\n    {"startTime": 2, "endTime": 1, "title": "A"}\n  ]\n}\n',
        [(4, "'endTime' (00:01.000) must come after its startTime")],
    ),
    "no-title": (
        '{\n  "version": "1.2",\n  "chapters": [\n    {"startTime": 0}\n  ]\n}\n',
        [(4, "chapter 1 needs a 'title'")],
    ),
    "image-not-a-url": (
        '{\n  "version": "1.2",\n  "chapters": [\n    {"startTime": 0, "title": "A",\n     "img": "cover.jpg"}\n  ]\n}\n',
        [(5, "'img' must be an http(s) URL")],
    ),
    "toc-not-a-boolean": (
        '{\n  "version": "1.2",\n  "chapters": [\n    {"startTime": 0, "title": "A", "toc": "no"}\n  ]\n}\n',
        [(4, "'toc' must be true or false")],
    ),
    "location-without-geo": (
        '{\n  "version": "1.2",\n  "chapters": [\n    {"startTime": 0, "title": "A",\n'
        '     "location": {"name": "Bobigny"}}\n  ]\n}\n',
        [(5, "'location' needs a 'name' and a 'geo'")],
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_each_chapters_file_error_is_reported_with_file_and_line(tmp_path: Path, case: str) -> None:
    text, expected = BROKEN[case]
    path = tmp_path / "chapitres.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError) as raised:
        read_chapters_file(path, duration=SECONDS)
    problems = raised.value.problems
    assert [(p.path, p.line) for p in problems] == [(path, line) for line, _ in expected], problems
    for problem, (line, words) in zip(problems, expected, strict=True):
        assert words in problem.message
        assert str(problem).startswith(f"{path}:{line}: ")


def test_a_chapters_file_in_latin1_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "chapitres.json"
    path.write_bytes(
        '{\n"version": "1.2",\n"chapters": [{"startTime": 0, "title": "Été"}]\n}\n'.encode("latin-1")
    )
    problems = parse_chapters_file(path)[2]
    assert [(p.path, p.line) for p in problems] == [(path, 3)]
    assert "not valid UTF-8" in problems[0].message


def test_unknown_keys_are_warnings_naming_their_line(tmp_path: Path) -> None:
    path = tmp_path / "chapitres.json"
    path.write_text(
        '{\n  "version": "1.2",\n  "chapters": [\n    {"startTime": 0, "title": "A",\n     "starttime": 3}\n  ]\n}\n',
        encoding="utf-8",
    )
    problems = parse_chapters_file(path, duration=SECONDS)[2]
    assert [(p.line, p.is_error) for p in problems] == [(5, False)]
    assert "unknown key 'starttime'" in problems[0].message
    assert len(read_chapters_file(path, duration=SECONDS)[1]) == 1  # a warning does not refuse the file


# -- published, in the feed, on the page ---------------------------------------------------


def published_chapters(root: Path) -> tuple[str, bytes, str | None]:
    storage = open_storage("file://public", base=root)
    keys = [key for key in storage.list() if key.startswith("media/chapters/")]
    assert len(keys) == 1, keys
    info = storage.head(keys[0])
    assert info is not None
    return keys[0], storage.read(keys[0]), info.content_type


def feed_chapters(root: Path) -> list[etree._Element]:
    """The feed's podcast:chapters tags, by XPath; feedparser reads the same and no error."""
    feed = (root / "feeds" / "feed.xml").read_bytes()
    tags = list(etree.fromstring(feed).xpath("/rss/channel/item/podcast:chapters", namespaces=NS))
    parsed = feedparser.parse(feed)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert [entry["podcast_chapters"] for entry in parsed.entries] == [dict(tag.attrib) for tag in tags]
    return tags


def test_publish_puts_the_json_chapters_from_memory_and_the_feed_names_them(
    tmp_path: Path, chaptered_mp3: Path
) -> None:
    root = tmp_path / "podcast"
    podcast_with(root, chaptered_mp3)
    first = publish(root, storage_url="file://public", now=NOW)
    key, body, content_type = published_chapters(root)
    assert content_type == CHAPTERS_TYPE
    sha = hashlib.sha256(body).hexdigest()
    assert key == f"media/chapters/premier-{sha[:8]}.json"
    assert_valid_chapters(json.loads(body))
    assert key in first.uploaded
    (tag,) = feed_chapters(root)
    assert (tag.get("url"), tag.get("type")) == (MEDIA + key.removeprefix("media/"), CHAPTERS_TYPE)
    # Generated in memory: no chapters file is written anywhere but in the storage.
    assert [path for path in root.rglob("*chapters*") if "public" not in path.parts] == []
    # Nothing changed: nothing is sent again, chapters included.
    again = publish(root, storage_url="file://public", now=NOW)
    assert again.uploaded == []


def test_a_chapters_file_replaces_the_tags_and_its_change_gets_a_new_url(
    tmp_path: Path, chaptered_mp3: Path
) -> None:
    root = tmp_path / "podcast"
    episode_file = podcast_with(root, chaptered_mp3, extra="chapters: premier.chapters.json")
    chapters_file = episode_file.parent / "premier.chapters.json"
    chapters_file.write_text(json.dumps(GOOD_FILE), encoding="utf-8")
    publish(root, storage_url="file://public", now=NOW)
    key, body, content_type = published_chapters(root)
    assert content_type == CHAPTERS_TYPE
    assert json.loads(body) == GOOD_FILE
    assert_valid_chapters(json.loads(body))
    (tag,) = feed_chapters(root)
    assert tag.get("url") == MEDIA + key.removeprefix("media/")

    page = lxml.html.fromstring(
        create_app(root, {"TESTING": True, "CLOCK": lambda: NOW}).test_client().get("/episodes/premier/").data
    )
    links = page.cssselect(".chapters a[data-seek]")
    assert [(float(a.get("data-seek")), a.cssselect(".chapter-title")[0].text) for a in links] == [
        (0.0, "Ouverture"),
        (1.5, "Sur le terrain"),
        (2.5, "Pour conclure"),
    ]
    assert links[1].get("href").endswith("#t=1.5")

    changed = dict(GOOD_FILE, chapters=GOOD_FILE["chapters"][:1])
    chapters_file.write_text(json.dumps(changed), encoding="utf-8")
    publish(root, storage_url="file://public", now=NOW, prune=True)
    new_key, body, _ = published_chapters(root)
    assert new_key != key and json.loads(body) == changed
    (tag,) = feed_chapters(root)
    assert tag.get("url") == MEDIA + new_key.removeprefix("media/")


def test_publish_refuses_an_invalid_chapters_file_before_any_upload(tmp_path: Path, plain_mp3: Path) -> None:
    root = tmp_path / "podcast"
    episode_file = podcast_with(root, plain_mp3, extra="chapters: chapitres.json")
    path = episode_file.parent / "chapitres.json"
    path.write_text('{\n  "version": "1.2",\n  "chapters": [\n    {"startTime": 7, "title": "A"}\n  ]\n}\n')
    with pytest.raises(CatalogueError) as raised:
        publish(root, storage_url="file://public", now=NOW)
    assert str(raised.value).startswith(
        f"{path}:4: chapter 1 starts at 00:07.000, after the end of the audio"
    )
    assert not (root / "public").exists() or not any((root / "public").rglob("*.mp3"))


@pytest.mark.s3
def test_on_s3_chapters_and_transcripts_keep_their_content_types(
    tmp_path: Path, chaptered_mp3: Path, s3_bucket: str, s3_env: Any
) -> None:
    from tests.fixtures.s3 import admin_client

    root = tmp_path / "podcast"
    episode_file = podcast_with(root, chaptered_mp3)
    (episode_file.parent / "premier.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nBonjour\n")
    (episode_file.parent / "premier.en.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nHello\n")
    publish(root, storage_url=f"s3://{s3_bucket}", now=NOW)
    client = admin_client(s3_env)
    try:
        listed = client.list_objects_v2(Bucket=s3_bucket, Prefix="media/")["Contents"]
        types = {}
        for item in listed:
            folder = item["Key"].split("/")[1]
            if folder in ("chapters", "transcripts"):
                head = client.head_object(Bucket=s3_bucket, Key=item["Key"])
                types[item["Key"].rsplit(".", 1)[-1]] = head["ContentType"]
        assert types == {"json": CHAPTERS_TYPE, "vtt": "text/vtt", "srt": "application/x-subrip"}
    finally:
        client.close()


# -- add and check -----------------------------------------------------------------------------


def test_add_picks_up_the_chapters_from_the_tags_and_publish_serves_them(
    tmp_path: Path, chaptered_mp3: Path
) -> None:
    root = write_podcast(tmp_path / "podcast")
    added = add_episode(root, chaptered_mp3, season=1, title="Avec chapitres", now=NOW)
    facts = load_lock(root).media(added.guid)
    assert facts is not None
    assert sorted((c.start, c.title) for c in facts.chapters) == [(s, t) for s, _, t in SAMPLE_CHAPTERS]
    publish(root, storage_url="file://public", now=NOW)
    _, body, _ = published_chapters(root)
    assert [c["title"] for c in json.loads(body)["chapters"]] == [t for _, _, t in SAMPLE_CHAPTERS]


def test_check_holds_tag_chapters_to_the_duration(tmp_path: Path, plain_mp3: Path) -> None:
    late = add_id3_chapters(
        copy_audio(plain_mp3, tmp_path, "late.mp3"), [(0.0, 1.0, "Début"), (4.0, 5.0, "Après la fin")]
    )
    root = tmp_path / "podcast"
    episode_file = podcast_with(root, late)
    result = CliRunner().invoke(main, ["--root", str(root), "check"], catch_exceptions=False)
    assert result.exit_code == 1
    assert (
        f"{episode_file}: chapter 'Après la fin' starts at 00:04.000, after the end of the audio"
        in result.output
    )
    assert "'Début'" not in result.output


def test_check_reports_a_chapters_file_with_its_lines(tmp_path: Path, plain_mp3: Path) -> None:
    root = tmp_path / "podcast"
    episode_file = podcast_with(root, plain_mp3, extra="chapters: chapitres.json")
    path = episode_file.parent / "chapitres.json"
    path.write_text(
        '{\n  "version": "1.2",\n  "chapters": [\n    {"startTime": 2, "title": "B"},\n'
        '    {"startTime": 1, "title": "A"},\n    {"startTime": 8, "title": "C"}\n  ]\n}\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["--root", str(root), "check"], catch_exceptions=False)
    assert result.exit_code == 1
    assert f"{path}:5: chapter 2 starts at 00:01.000, not after the previous one" in result.output
    assert f"{path}:6: chapter 3 starts at 00:08.000, after the end of the audio" in result.output
    missing = podcast_with(tmp_path / "other", plain_mp3, extra="chapters: absent.json")
    result = CliRunner().invoke(main, ["--root", str(tmp_path / "other"), "check"], catch_exceptions=False)
    assert f"{missing}: chapters file not found: absent.json" in result.output
