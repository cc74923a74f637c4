"""Tags written into the audio: every format read back by the library, and published audio left alone."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from mutagen.id3 import ID3
from PIL import Image

from podcaster.cli.main import main
from podcaster.folder.lockfile import load_lock
from podcaster.media import probe, read_artwork, read_tags, write_tags
from podcaster.models import Artwork, Chapter, Tags
from tests.fixtures.audio import add_id3_chapters, copy_audio, make_audio, make_png
from tests.fixtures.catalogue import SHOW_TOML, write_episode, write_podcast

PARIS = timezone(timedelta(hours=1))
DATE = datetime(2023, 1, 25, 9, 0, tzinfo=PARIS)
CHAPTERS = (
    Chapter(0.0, "Ouverture"),
    Chapter(1.0, "Entretien « 9-3 »", url="https://example.org/"),
    Chapter(2.0, "Fin"),
)
COVER = Artwork("image/png", make_png(8, 8, (10, 20, 30)))
FORMATS = ("mp3-cbr", "m4a", "ogg-vorbis", "ogg-opus", "flac")


def tag(path: Path, **changes: object) -> None:
    fields: dict[str, object] = {
        "title": "Habiter la Seine-Saint-Denis",
        "show": "Penser le 9-3",
        "artist": "Profession Banlieue",
        "season": 2,
        "episode": 7,
        "date": DATE,
        "artwork": COVER,
        "chapters": CHAPTERS,
    }
    write_tags(path, **{**fields, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", FORMATS)
def test_tags_are_written_and_read_back(kind: str, audio_files: dict[str, Path], tmp_path: Path) -> None:
    path = copy_audio(audio_files[kind], tmp_path)
    before = probe(path)
    tag(path)
    assert read_tags(path) == Tags(
        title="Habiter la Seine-Saint-Denis",
        artist="Profession Banlieue",
        album="Penser le 9-3",
        date="2023-01-25",
        track=7,
        disc=2,
    )
    cover = read_artwork(path)
    assert cover == COVER
    after = probe(path)
    assert after.duration == pytest.approx(before.duration) and after.codec == before.codec
    assert after.size != before.size or after.sha256 != before.sha256
    if kind == "m4a":
        assert after.chapters == ()  # Mutagen cannot write MP4 chapters (a known gap)
    else:
        assert [(c.start, c.title, c.url) for c in after.chapters] == [
            (c.start, c.title, c.url) for c in CHAPTERS
        ]
        assert [c.end for c in after.chapters][:2] == [1.0, 2.0]
        assert after.chapters[-1].end == pytest.approx(after.duration, abs=0.001)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary file left


@pytest.mark.parametrize("kind", FORMATS)
def test_writing_the_same_tags_again_leaves_the_file_alone(
    kind: str, audio_files: dict[str, Path], tmp_path: Path
) -> None:
    path = copy_audio(audio_files[kind], tmp_path)
    tag(path)
    data, stat = path.read_bytes(), path.stat()
    tag(path)
    assert path.read_bytes() == data and path.stat().st_mtime_ns == stat.st_mtime_ns


def test_mp3_gets_id3v24_with_a_chapter_table(audio_files: dict[str, Path], tmp_path: Path) -> None:
    path = copy_audio(audio_files["mp3-cbr"], tmp_path)
    tag(path, comment="Notes de l'épisode")
    tags = ID3(path)
    assert tags.version == (2, 4, 0)
    (toc,) = tags.getall("CTOC")
    assert toc.child_element_ids == ["chp0", "chp1", "chp2"]
    assert str(tags.getall("TCON")[0]) == "Podcast"
    assert read_tags(path).comment == "Notes de l'épisode"


def test_fields_left_out_are_kept_and_empty_chapters_remove_them(
    audio_files: dict[str, Path], tmp_path: Path
) -> None:
    for kind in ("mp3-cbr", "flac", "ogg-vorbis"):
        path = copy_audio(audio_files[kind], tmp_path)
        tag(path)
        write_tags(path, title="Nouveau titre")
        tags = read_tags(path)
        assert (tags.title, tags.album, tags.track) == ("Nouveau titre", "Penser le 9-3", 7)
        assert len(probe(path).chapters) == 3 and read_artwork(path) == COVER
        write_tags(path, title=None, chapters=())
        assert probe(path).chapters == () and read_tags(path).title == "Nouveau titre"


def test_existing_id3_chapters_are_replaced(tagged_mp3: Path, tmp_path: Path) -> None:
    path = copy_audio(tagged_mp3, tmp_path)
    add_id3_chapters(path, [(0.0, 1.5, "Ancien")])
    tag(path, chapters=CHAPTERS[:2])
    assert [chapter.title for chapter in probe(path).chapters] == ["Ouverture", "Entretien « 9-3 »"]


# -- podcaster tag and publish --tag ---------------------------------------------


def podcast(tmp_path: Path) -> Path:
    toml = SHOW_TOML.replace('type = "serial"\n', 'type = "serial"\nartwork = "cover.png"\n')
    root = write_podcast(tmp_path / "podcast", toml)
    (root / "cover.png").write_bytes(make_png(1400, 1400, (200, 40, 40)))
    (root / "audio").mkdir()
    for number, slug in enumerate(("premier", "second"), start=1):
        make_audio(root / "audio" / f"{slug}.mp3", "mp3", 1.0, seed=number)
        write_episode(root, slug, number=number, title=f"Épisode {number}", audio_bytes=None)
    return root


def run(root: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(main, ["--root", str(root), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def test_tag_writes_every_unpublished_episode_and_updates_the_lock(tmp_path: Path) -> None:
    root = podcast(tmp_path)
    run(root, "build")
    sizes = {guid: entry.media.size for guid, entry in load_lock(root).episodes.items()}
    output = run(root, "tag")
    assert "2 files tagged, 0 unchanged" in output
    path = root / "audio" / "premier.mp3"
    tags = read_tags(path)
    assert (tags.title, tags.album, tags.artist, tags.track, tags.disc) == (
        "Épisode 1",
        "Penser le test",
        "Profession Banlieue",
        1,
        1,
    )
    cover = read_artwork(path)
    assert cover is not None and cover.mime_type == "image/jpeg"
    assert Image.open(io.BytesIO(cover.data)).size == (1400, 1400)  # the feed image, not the source
    lock = load_lock(root)
    for guid, entry in lock.episodes.items():
        assert entry.media.size > sizes[guid]
        assert entry.media.sha256 == probe(root / entry.audio).sha256
    assert "0 files tagged, 2 unchanged" in run(root, "tag")
    assert "probing" not in run(root, "build")  # the probe cache knows the tagged files


def test_published_episodes_are_refused_unless_forced(tmp_path: Path) -> None:
    root = podcast(tmp_path)
    run(root, "publish", "--tag", "--no-verify" if _has_no_verify() else "--quiet")
    published = root / "public" / "media"
    sent = next(published.glob("audio/saison-1/premier-*.mp3"))
    assert read_tags(sent).title == "Épisode 1"  # tagged before its first upload
    path = root / "audio" / "premier.mp3"
    data = path.read_bytes()
    episode_file = root / "episodes" / "saison-1" / "premier.md"
    episode_file.write_text(episode_file.read_text().replace("Épisode 1", "Épisode un"), encoding="utf-8")
    output = run(root, "tag", "premier", code=1)
    assert "premier.md: already published" in output
    assert "breaks downloads resumed" in output and "--force" in output
    assert path.read_bytes() == data
    assert "0 files tagged" in run(root, "tag")  # without names, published episodes are left alone
    assert path.read_bytes() == data
    assert "1 file tagged," in run(root, "tag", "--force", "premier")
    assert read_tags(path).title == "Épisode un"
    assert load_lock(root).media(_guid(episode_file)).sha256 == probe(path).sha256


def test_unknown_and_remote_episodes_are_errors(tmp_path: Path) -> None:
    root = podcast(tmp_path)
    write_episode(root, "ailleurs", number=3, audio="https://cdn.example.org/a.mp3", audio_bytes=None)
    output = run(root, "tag", "nulle-part", "ailleurs", code=1)
    assert "no episode 'nulle-part'" in output and "its audio is online" in output
    assert "2 errors" in output


def _guid(episode_file: Path) -> str:
    for line in episode_file.read_text(encoding="utf-8").splitlines():
        if line.startswith("guid: "):
            return line.removeprefix("guid: ").strip()
    raise AssertionError("no guid")


def _has_no_verify() -> bool:
    return any(param.name == "no_verify" for param in main.commands["publish"].params)


def test_a_chapters_file_goes_into_the_audio(tmp_path: Path) -> None:
    root = podcast(tmp_path)
    chapters = root / "episodes" / "saison-1" / "premier.chapters.json"
    chapters.write_text(
        '{"version": "1.2.0", "chapters": [{"startTime": 0, "title": "Accueil"},'
        ' {"startTime": 0.5, "title": "Le terrain", "url": "https://example.org/terrain"}]}',
        encoding="utf-8",
    )
    write_episode(
        root,
        "premier",
        number=1,
        title="Épisode 1",
        audio_bytes=None,
        extra="chapters: premier.chapters.json",
    )
    run(root, "tag", "premier")
    found = probe(root / "audio" / "premier.mp3").chapters
    assert [(c.start, c.title, c.url) for c in found] == [
        (0.0, "Accueil", None),
        (0.5, "Le terrain", "https://example.org/terrain"),
    ]
