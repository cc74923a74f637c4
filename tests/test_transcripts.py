"""Transcripts: WebVTT and SRT read into cues, every mistake named by file and line; found beside the
episode, checked, published with their types, carried by the feed and shown on the page."""

from __future__ import annotations

from pathlib import Path

import feedparser
import lxml.html
import pytest
from click.testing import CliRunner
from lxml import etree

from podcaster.actions.build import build
from podcaster.actions.publish import publish
from podcaster.cli.main import main
from podcaster.errors import CatalogueError
from podcaster.folder.catalogue import load_catalogue
from podcaster.media.transcripts import (
    SRT_TYPE,
    VTT_TYPE,
    Cue,
    page_transcript,
    parse_srt,
    parse_transcript_file,
    parse_vtt,
    read_transcript,
)
from podcaster.storage import open_storage
from tests.fixtures.audio import decoded_duration, make_audio
from tests.fixtures.catalogue import write_episode, write_podcast
from tests.fixtures.site import CUES, NOW, make_site
from web import create_app

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
NS = {"podcast": PODCAST_NS}
SECONDS = 3.0

VALID_VTT = """\
WEBVTT - Penser le 9-3, épisode 1
Kind: captions
Language: fr

NOTE Relu par la production,
sur deux lignes.

intro
00:00.000 --> 00:01.200 align:start position:10%
<v.intervieweur Antoine Tricot>Bonjour &amp; <i>bienvenue</i>
dans <c.lieu>Penser le 9-3</c>.

00:00:01.200 --> 00:00:02.500
<v Fatima Benali>Merci.</v> <00:00:02.000>Vraiment.

STYLE
::cue { color: white }

00:02.500 --> 00:02.900
Sans locuteur, &lt;pas une balise&gt;.
"""

VALID_SRT = (
    "\ufeff1\r\n00:00:00,000 --> 00:00:01,500\r\n<i>Bonjour</i> à toutes\r\net à tous.\r\n\r\n"
    "2\r\n00:00:01,500 --> 00:00:02,900\r\n<font color='#fff'>Fin.</font>\r\n"
)


# -- reading ----------------------------------------------------------------------


def test_webvtt_cues_with_speakers_entities_and_blocks_skipped() -> None:
    cues, problems = parse_vtt(VALID_VTT, "e.vtt", duration=SECONDS)
    assert problems == []
    assert cues == (
        Cue(0.0, 1.2, "Bonjour & bienvenue dans Penser le 9-3.", "Antoine Tricot", 9),
        Cue(1.2, 2.5, "Merci. Vraiment.", "Fatima Benali", 13),
        Cue(2.5, 2.9, "Sans locuteur, <pas une balise>.", None, 19),
    )


def test_srt_cues_with_bom_crlf_and_tags() -> None:
    cues, problems = parse_srt(VALID_SRT.removeprefix("\ufeff"), "e.srt", duration=SECONDS)
    assert problems == []
    assert cues == (Cue(0.0, 1.5, "Bonjour à toutes et à tous.", None, 2), Cue(1.5, 2.9, "Fin.", None, 7))


def test_files_are_read_as_utf8_with_or_without_bom(tmp_path: Path) -> None:
    srt = tmp_path / "e.srt"
    srt.write_bytes(VALID_SRT.encode("utf-8"))
    vtt = tmp_path / "e.vtt"
    vtt.write_text(VALID_VTT, encoding="utf-8")
    assert [cue.text for cue in read_transcript(srt)] == ["Bonjour à toutes et à tous.", "Fin."]
    assert read_transcript(vtt, duration=SECONDS)[0].speaker == "Antoine Tricot"


# Each broken file: its name, its text, and the (line, words of the message) expected for each problem.
BROKEN: dict[str, tuple[str, str, list[tuple[int, str]]]] = {
    "non-monotonic-vtt": (
        "e.vtt",
        "WEBVTT\n\n00:01.000 --> 00:02.000\nDeux\n\n00:00.500 --> 00:01.000\nUn\n",
        [(6, "before the previous one (00:01.000, line 3)")],
    ),
    "non-monotonic-srt": (
        "e.srt",
        "1\n00:00:01,000 --> 00:00:02,000\nDeux\n\n2\n00:00:00,000 --> 00:00:00,500\nUn\n",
        [(6, "cues must be in time order")],
    ),
    "past-the-duration": (
        "e.vtt",
        "WEBVTT\n\n00:00.000 --> 00:01.000\nUn\n\n00:02.000 --> 00:09.000\nTrop long\n",
        [(6, "after the end of the audio (00:03.000)")],
    ),
    "starts-past-the-duration-srt": (
        "e.srt",
        "1\n00:00:00,000 --> 00:00:01,000\nUn\n\n2\n00:00:04,000 --> 00:00:05,000\nAprès\n",
        [(6, "ends at 00:05.000, after the end of the audio")],
    ),
    "end-before-start": (
        "e.vtt",
        "WEBVTT\n\n00:02.000 --> 00:01.000\nÀ rebours\n",
        [(3, "not after it starts (00:02.000)")],
    ),
    "malformed-vtt-time": (
        "e.vtt",
        "WEBVTT\n\n00:00.000 --> 00:01.000\nUn\n\n00:00:1.000 --> 00:02.000\nDeux\n",
        [(6, "malformed time '00:00:1.000'")],
    ),
    "malformed-vtt-minutes": (
        "e.vtt",
        "WEBVTT\n\n00:61.000 --> 01:02.000\nUn\n",
        [(3, "malformed time '00:61.000'")],
    ),
    "srt-time-with-a-dot": (
        "e.srt",
        "1\n00:00:00.000 --> 00:00:01,000\nUn\n",
        [(2, "SRT puts a comma before the milliseconds")],
    ),
    "srt-two-arrows": (
        "e.srt",
        "1\n00:00:00,000 --> 00:00:01,000 --> 00:00:02,000\nUn\n",
        [(2, "malformed cue times")],
    ),
    "vtt-without-header": (
        "e.vtt",
        "00:00.000 --> 00:01.000\nUn\n",
        [(1, "must start with a 'WEBVTT' line")],
    ),
    "srt-named-vtt": (
        "e.vtt",
        "1\n00:00:00,000 --> 00:00:01,000\nUn\n",
        [(1, "this looks like SRT: name it .srt")],
    ),
    "vtt-named-srt": (
        "e.srt",
        "WEBVTT\n\n00:00.000 --> 00:01.000\nUn\n",
        [(1, "this is a WebVTT file")],
    ),
    "cue-without-times": (
        "e.vtt",
        "WEBVTT\n\n00:00.000 --> 00:01.000\nUn\n\nune ligne perdue\nune autre\n",
        [(6, "expected cue times")],
    ),
    "srt-without-times": (
        "e.srt",
        "1\nBonjour\n",
        [(1, "expected a cue number, then 'start --> end' times")],
    ),
    "empty": ("e.vtt", "WEBVTT\n", [(1, "holds no cue")]),
    "several-at-once": (
        "e.vtt",
        "WEBVTT\n\n00:00.000 --> 00:01.000\nUn\n\n00:00.500 --> 00:00.400\nDeux\n\n00:01.000 --> 00:04.000\nTrois\n",
        [(6, "not after it starts"), (9, "after the end of the audio")],
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_each_problem_is_reported_with_file_and_line(tmp_path: Path, case: str) -> None:
    name, text, expected = BROKEN[case]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError) as raised:
        read_transcript(path, duration=SECONDS)
    problems = raised.value.problems
    assert [(p.path, p.line) for p in problems] == [(path, line) for line, _ in expected], problems
    for problem, (line, words) in zip(problems, expected, strict=True):
        assert words in problem.message
        assert str(problem).startswith(f"{path}:{line}: ")


def test_latin1_bytes_are_refused_naming_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.srt"
    path.write_bytes("1\n00:00:00,000 --> 00:00:01,000\nÀ bientôt\n".encode("latin-1"))
    cues, problems = parse_transcript_file(path, duration=SECONDS)
    assert cues == ()
    assert len(problems) == 1
    assert (problems[0].path, problems[0].line) == (path, 3)
    assert "not valid UTF-8 (byte 0xc0)" in problems[0].message
    assert str(problems[0]).startswith(f"{path}:3: ")


def test_a_cue_running_just_past_the_end_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "e.vtt"
    path.write_text("WEBVTT\n\n00:00.000 --> 00:03.300\nFin\n", encoding="utf-8")
    assert len(read_transcript(path, duration=SECONDS)) == 1


# -- in the catalogue -------------------------------------------------------------


@pytest.fixture(scope="module")
def mp3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_audio(tmp_path_factory.mktemp("transcript-audio") / "a.mp3", "mp3", SECONDS, channels=1)


def podcast_with(root: Path, mp3: Path, slug: str = "premier", extra: str = "") -> Path:
    write_podcast(root)
    path = write_episode(root, slug, guid=f"guid-{slug}", extra=extra, audio_bytes=mp3.read_bytes())
    return path


def test_transcripts_are_found_beside_the_episode(tmp_path: Path, mp3: Path) -> None:
    root = tmp_path / "podcast"
    episode_file = podcast_with(root, mp3)
    folder = episode_file.parent
    for name in (
        "premier.vtt",
        "premier.en.srt",
        "premier.fr.vtt",
        "premier-bis.vtt",
        "autre.vtt",
        "premier.txt",
    ):
        (folder / name).write_text("WEBVTT\n", encoding="utf-8")
    episode = load_catalogue(root).episode("premier")
    assert episode is not None
    assert [(t.source, t.mime_type, t.language) for t in episode.transcripts] == [
        ("premier.vtt", VTT_TYPE, None),
        ("premier.fr.vtt", VTT_TYPE, "fr"),
        ("premier.en.srt", SRT_TYPE, "en"),
    ]


def test_front_matter_names_transcripts_and_then_none_is_guessed(tmp_path: Path, mp3: Path) -> None:
    root = tmp_path / "podcast"
    extra = "transcripts:\n  - file: textes/premier.srt\n    language: fr\n  - premier.vtt\n"
    episode_file = podcast_with(root, mp3, extra=extra)
    (episode_file.parent / "premier.en.vtt").write_text("WEBVTT\n", encoding="utf-8")
    episode = load_catalogue(root).episode("premier")
    assert episode is not None
    assert [(t.source, t.mime_type, t.language) for t in episode.transcripts] == [
        ("textes/premier.srt", SRT_TYPE, "fr"),
        ("premier.vtt", VTT_TYPE, None),
    ]


def test_check_reports_each_transcript_problem_with_file_and_line(tmp_path: Path, mp3: Path) -> None:
    root = tmp_path / "podcast"
    episode_file = podcast_with(root, mp3)
    vtt = episode_file.parent / "premier.vtt"
    vtt.write_text(
        "WEBVTT\n\n00:01.000 --> 00:02.000\nUn\n\n00:00.000 --> 00:09.000\nDeux\n", encoding="utf-8"
    )
    srt = episode_file.parent / "premier.en.srt"
    srt.write_bytes("1\n00:00:00,000 --> 00:00:01,000\nÉté\n".encode("latin-1"))
    result = CliRunner().invoke(main, ["--root", str(root), "check"], catch_exceptions=False)
    assert result.exit_code == 1
    assert f"{vtt}:6: the cue starts at 00:00.000, before the previous one" in result.output
    assert f"{vtt}:6: the cue ends at 00:09.000, after the end of the audio" in result.output
    assert f"{srt}:3: not valid UTF-8" in result.output


def test_check_names_a_missing_transcript(tmp_path: Path, mp3: Path) -> None:
    root = tmp_path / "podcast"
    episode_file = podcast_with(root, mp3, extra="transcripts: [absent.vtt]")
    result = CliRunner().invoke(main, ["--root", str(root), "check"], catch_exceptions=False)
    assert f"{episode_file}: transcript file not found: absent.vtt" in result.output


def test_check_is_quiet_about_valid_transcripts(tmp_path: Path, mp3: Path) -> None:
    root = tmp_path / "podcast"
    episode_file = podcast_with(root, mp3)
    (episode_file.parent / "premier.vtt").write_text(VALID_VTT, encoding="utf-8")
    result = CliRunner().invoke(main, ["--root", str(root), "check"], catch_exceptions=False)
    assert "premier.vtt" not in result.output


# -- published, in the feed -------------------------------------------------------


def test_publish_uploads_transcripts_with_their_types_and_the_feed_names_them(
    tmp_path: Path, mp3: Path
) -> None:
    root = tmp_path / "podcast"
    episode_file = podcast_with(root, mp3)
    (episode_file.parent / "premier.vtt").write_text(VALID_VTT, encoding="utf-8")
    (episode_file.parent / "premier.en.srt").write_bytes(VALID_SRT.encode("utf-8"))
    assert decoded_duration(root / "audio" / "premier.mp3") >= 2.9
    publish(root, storage_url="file://public", now=NOW)

    storage = open_storage("file://public", base=root)
    keys = {key: info for key, info in storage.list().items() if key.startswith("media/transcripts/")}
    types = {key.rsplit(".", 1)[-1]: storage.head(key).content_type for key in keys}  # type: ignore[union-attr]
    assert types == {"vtt": VTT_TYPE, "srt": SRT_TYPE}
    for key in keys:
        source = "premier.vtt" if key.endswith(".vtt") else "premier.en.srt"
        assert storage.read(key) == (episode_file.parent / source).read_bytes()

    feed = (root / "feeds" / "feed.xml").read_bytes()
    tags = etree.fromstring(feed).xpath("/rss/channel/item/podcast:transcript", namespaces=NS)
    media = "https://podcast.example.org/media/"
    assert [(tag.get("type"), tag.get("language")) for tag in tags] == [(VTT_TYPE, "fr"), (SRT_TYPE, "en")]
    for tag in tags:
        key = "media/" + tag.get("url").removeprefix(media)
        assert tag.get("url").startswith(media + "transcripts/premier") and key in keys
    parsed = feedparser.parse(feed)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert PODCAST_NS in parsed.namespaces.values()
    # feedparser keeps one podcast:transcript per item (the last one's attributes).
    assert parsed.entries[0]["podcast_transcript"] == dict(tags[-1].attrib)


def test_publish_refuses_an_invalid_transcript_before_any_upload(tmp_path: Path, mp3: Path) -> None:
    root = tmp_path / "podcast"
    episode_file = podcast_with(root, mp3)
    vtt = episode_file.parent / "premier.vtt"
    vtt.write_text("WEBVTT\n\n00:00.000 --> 00:10.000\nTrop long\n", encoding="utf-8")
    with pytest.raises(CatalogueError) as raised:
        publish(root, storage_url="file://public", now=NOW)
    assert str(raised.value).startswith(f"{vtt}:3: the cue ends at 00:10.000, after the end of the audio")
    assert not (root / "public" / "feed.xml").exists()
    assert not (root / "public" / "media").exists()


# -- on the page ------------------------------------------------------------------


def test_the_page_shows_the_cues_as_text_with_seek_links(tmp_path: Path, sample_mp3: Path) -> None:
    root = make_site(tmp_path / "podcast", sample_mp3)
    client = create_app(root, {"TESTING": True, "CLOCK": lambda: NOW}).test_client()
    body = client.get("/episodes/premier-episode/").get_data(as_text=True)
    page = lxml.html.fromstring(body)
    audio_url = page.cssselect("audio[data-player]")[0].get("src")
    items = page.cssselect(".transcript [data-cues] li")
    assert len(items) == len(CUES)
    for item, (start, end, _speaker, text) in zip(items, CUES, strict=True):
        link = item.cssselect("a.time")[0]
        assert link.get("href") == f"{audio_url}#t={start:g}"  # works without JavaScript: a media fragment
        assert float(link.get("data-seek")) == start
        assert (float(item.get("data-start")), float(item.get("data-end"))) == (start, end)
        assert item.cssselect("p")[0].text_content().endswith(text)
    # A speaker is named when the voice changes.
    assert [s.text_content() for s in page.cssselect(".cues .speaker")] == [cue[2] for cue in CUES]
    # The cue's "<script>" is text, escaped: no element of it reaches the page.
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert page.cssselect(".transcript .transcript-files a")[0].get("type") == VTT_TYPE


def test_an_episode_whose_transcript_breaks_leaves_the_site_until_fixed(
    tmp_path: Path, sample_mp3: Path
) -> None:
    root = make_site(tmp_path / "podcast", sample_mp3)
    client = create_app(root, {"TESTING": True, "CLOCK": lambda: NOW, "RELOAD_INTERVAL": 0}).test_client()
    assert client.get("/episodes/premier-episode/").status_code == 200
    vtt = root / "episodes" / "saison-1" / "premier-episode.vtt"
    good = vtt.read_bytes()
    vtt.write_bytes(b"WEBVTT\n\n00:00.000 --> x\n")
    # The library refuses the file (publish would too): that episode is left out, the rest stays up.
    assert client.get("/episodes/premier-episode/").status_code == 404
    assert client.get("/").status_code == 200
    assert client.get("/episodes/episode-hostile/").status_code == 200
    vtt.write_bytes(good)
    assert client.get("/episodes/premier-episode/").status_code == 200


def test_no_transcript_no_text(tmp_path: Path, sample_mp3: Path) -> None:
    root = make_site(tmp_path / "podcast", sample_mp3)
    client = create_app(root, {"TESTING": True, "CLOCK": lambda: NOW}).test_client()
    body = client.get("/episodes/saison-2-debut/").get_data(as_text=True)
    assert "data-cues" not in body


def test_build_sees_a_transcript_added_beside_an_episode(tmp_path: Path, mp3: Path) -> None:
    root = tmp_path / "podcast"
    episode_file = podcast_with(root, mp3)
    build(root, now=NOW)
    assert b"podcast:transcript" not in (root / "feeds" / "feed.xml").read_bytes()
    assert build(root, now=NOW).up_to_date
    (episode_file.parent / "premier.vtt").write_text(VALID_VTT, encoding="utf-8")
    result = build(root, now=NOW)
    assert not result.up_to_date
    assert b'type="text/vtt"' in (root / "feeds" / "feed.xml").read_bytes()


def test_the_page_shows_the_show_languages_webvtt_first(tmp_path: Path, mp3: Path) -> None:
    root = tmp_path / "podcast"
    episode_file = podcast_with(root, mp3)
    one_cue = "WEBVTT\n\n00:00.000 --> 00:01.000\n{}\n"
    (episode_file.parent / "premier.en.vtt").write_text(one_cue.format("Hello"), encoding="utf-8")
    (episode_file.parent / "premier.srt").write_text(
        "1\n00:00:00,000 --> 00:00:01,000\nSRT\n", encoding="utf-8"
    )
    episode = load_catalogue(root).episodes[0]
    found = page_transcript(root, episode, duration=SECONDS, language="fr")
    assert found is not None and found[0].source == "premier.srt"  # no language given: the show's
    (episode_file.parent / "premier.vtt").write_text(one_cue.format("Bonjour"), encoding="utf-8")
    episode = load_catalogue(root).episodes[0]
    found = page_transcript(root, episode, duration=SECONDS, language="fr")
    assert found is not None and (found[0].source, found[1][0].text) == ("premier.vtt", "Bonjour")
