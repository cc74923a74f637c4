"""Cover images: Apple's rules as check reports them, and the feed image and thumbnails publish derives."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree
from PIL import Image

from podcaster.actions.check import check_artwork
from podcaster.actions.publish import Change, publish
from podcaster.cli.main import main
from podcaster.errors import MediaError, Severity
from podcaster.media.artwork import (
    CACHE_DIR,
    MAX_FEED_BYTES,
    THUMBNAIL_WIDTHS,
    artwork_problems,
    derive_artwork,
)
from tests.fixtures.audio import make_audio, make_png
from tests.fixtures.catalogue import SHOW_TOML, write_episode, write_podcast

NOW = datetime(2024, 1, 1, tzinfo=UTC)
ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"


def noise(width: int, height: int, mode: str = "RGB", seed: int = 0) -> Image.Image:
    """Coarse random grain: hard on JPEG (so the 512 KB limit bites), yet not pathological."""
    small = (max(1, width // 4), max(1, height // 4))
    data = random.Random(seed).randbytes(small[0] * small[1] * len(mode))
    return Image.frombytes(mode, small, data).resize((width, height), Image.Resampling.BICUBIC)


def save(image: Image.Image, path: Path, kind: str) -> Path:
    image.save(path, kind, **({"compress_level": 1} if kind == "PNG" else {}))
    return path


def problems(path: Path) -> list[tuple[Severity, str]]:
    return [(problem.severity, problem.message) for problem in artwork_problems(path, "podcast.toml")]


def only(found: list[tuple[Severity, str]], severity: Severity, text: str) -> None:
    """*found* holds exactly one problem, of *severity*, whose message says *text*."""
    assert len(found) == 1, found
    assert found[0][0] is severity and text in found[0][1], found


# -- check: the rules ----------------------------------------------------------


def test_a_good_cover_has_no_problem(tmp_path: Path) -> None:
    path = tmp_path / "cover.png"
    path.write_bytes(make_png(1400, 1400))
    assert problems(path) == []
    jpeg = save(Image.new("RGB", (3000, 3000), (10, 120, 200)), tmp_path / "cover.jpeg", "JPEG")
    assert problems(jpeg) == []


def test_not_square_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "wide.png"
    path.write_bytes(make_png(1600, 1400))
    only(problems(path), Severity.ERROR, "1600×1400 is not square")
    assert list(artwork_problems(path, "x", required_square=False)) == []


def test_too_small_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "small.png"
    path.write_bytes(make_png(500, 500))
    only(problems(path), Severity.ERROR, "Apple asks for 1400 to 3000 pixels")


def test_too_large_is_a_warning_publish_mends(tmp_path: Path) -> None:
    path = tmp_path / "large.png"
    path.write_bytes(make_png(3200, 3200))
    only(problems(path), Severity.WARNING, "over Apple's 3000 px")


def test_cmyk_is_reported(tmp_path: Path) -> None:
    path = save(Image.new("CMYK", (1400, 1400), (0, 80, 80, 10)), tmp_path / "print.jpg", "JPEG")
    only(problems(path), Severity.WARNING, "colour space CMYK, which Apple rejects")


def test_greyscale_and_transparency_are_reported(tmp_path: Path) -> None:
    grey = save(Image.new("L", (1400, 1400), 128), tmp_path / "grey.png", "PNG")
    only(problems(grey), Severity.WARNING, "colour mode L, not RGB")
    clear = save(Image.new("RGBA", (1400, 1400), (255, 0, 0, 0)), tmp_path / "clear.png", "PNG")
    only(problems(clear), Severity.WARNING, "transparent areas")


def test_a_png_named_jpg_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "cover.jpg"
    path.write_bytes(make_png(1400, 1400))
    only(problems(path), Severity.WARNING, "the file is PNG but named .jpg; rename it .png")


def test_over_512_kb_is_reported(tmp_path: Path) -> None:
    path = save(noise(1400, 1400), tmp_path / "heavy.png", "PNG")
    assert path.stat().st_size > MAX_FEED_BYTES
    only(problems(path), Severity.WARNING, "apps load feed artwork under 512 KB")


def test_other_formats_and_unreadable_files(tmp_path: Path) -> None:
    webp = save(Image.new("RGB", (1400, 1400), (1, 2, 3)), tmp_path / "cover.webp", "WEBP")
    only(problems(webp), Severity.WARNING, "Apple accepts JPEG or PNG, this is WEBP")
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image at all")
    only(problems(broken), Severity.ERROR, "not a readable image")


def test_check_artwork_names_the_file_and_where_it_is_set(tmp_path: Path) -> None:
    path = tmp_path / "wide.png"
    path.write_bytes(make_png(1500, 1400))
    (found,) = check_artwork(path, tmp_path / "podcast.toml")
    assert str(found) == f"{tmp_path / 'podcast.toml'}: artwork wide.png: {found.message.split(': ', 1)[1]}"
    assert found.is_error


# -- derivation ----------------------------------------------------------------


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_feed_image_is_an_rgb_jpeg_in_range_and_under_512_kb(tmp_path: Path) -> None:
    source = save(noise(3200, 3200), tmp_path / "Pochette été.png", "PNG")
    derived = derive_artwork(source, tmp_path / "cache")
    feed = derived.feed
    image = opened(feed.path.read_bytes())
    assert image.format == "JPEG" and image.mode == "RGB"
    assert image.size == (feed.width, feed.height) and feed.width == feed.height
    assert 1400 <= feed.width <= 3000
    assert feed.size == feed.path.stat().st_size <= MAX_FEED_BYTES
    assert feed.mime_type == "image/jpeg"
    assert feed.key.startswith("artwork/pochette-ete-") and feed.key.endswith(f"-{feed.width}.jpg")
    assert feed.key == f"artwork/pochette-ete-{feed.sha256[:8]}-{feed.width}.jpg"


def test_a_simple_cover_keeps_its_size_and_a_large_one_is_brought_to_3000(tmp_path: Path) -> None:
    plain = tmp_path / "plain.png"
    plain.write_bytes(make_png(2000, 2000))
    assert derive_artwork(plain, tmp_path / "cache").feed.width == 2000
    large = tmp_path / "large.png"
    large.write_bytes(make_png(3600, 3600))
    assert derive_artwork(large, tmp_path / "cache").feed.width == 3000


def test_thumbnails_for_the_site(tmp_path: Path) -> None:
    source = tmp_path / "cover.png"
    source.write_bytes(make_png(1400, 1400, (30, 60, 90)))
    derived = derive_artwork(source, tmp_path / "cache")
    made = [(image.width, image.mime_type) for image in derived.thumbnails]
    assert made == [(width, kind) for width in THUMBNAIL_WIDTHS for kind in ("image/jpeg", "image/webp")]
    for thumbnail in derived.thumbnails:
        image = opened(thumbnail.path.read_bytes())
        assert image.format == {"image/jpeg": "JPEG", "image/webp": "WEBP"}[thumbnail.mime_type]
        assert image.size == (thumbnail.width, thumbnail.height) and image.mode == "RGB"
        assert thumbnail.key.endswith(f"-{thumbnail.width}.{'jpg' if image.format == 'JPEG' else 'webp'}")


def test_cmyk_and_transparent_sources_become_rgb(tmp_path: Path) -> None:
    cmyk = save(Image.new("CMYK", (1400, 1400), (0, 255, 255, 0)), tmp_path / "print.jpg", "JPEG")
    red = opened(derive_artwork(cmyk, tmp_path / "cache").feed.path.read_bytes())
    assert red.mode == "RGB"
    r, g, b = red.getpixel((700, 700))  # type: ignore[misc]
    assert r > 200 and g < 60 and b < 60
    clear = save(Image.new("RGBA", (1400, 1400), (0, 0, 0, 0)), tmp_path / "clear.png", "PNG")
    white = opened(derive_artwork(clear, tmp_path / "cache").feed.path.read_bytes())
    assert min(white.getpixel((10, 10))) > 245  # type: ignore[arg-type]


def test_a_png_named_jpg_is_read_for_what_it_is(tmp_path: Path) -> None:
    source = tmp_path / "cover.jpg"
    source.write_bytes(make_png(1400, 1400))
    assert opened(derive_artwork(source, tmp_path / "cache").feed.path.read_bytes()).format == "JPEG"


def test_small_and_non_square_sources_are_scaled_never_cropped(tmp_path: Path) -> None:
    small = tmp_path / "small.png"
    small.write_bytes(make_png(200, 200))
    derived = derive_artwork(small, tmp_path / "cache")
    assert derived.feed.width == 1400  # enlarged: check reports it as an error
    assert [image.width for image in derived.thumbnails] == [160, 160]
    wide = tmp_path / "wide.png"
    wide.write_bytes(make_png(2000, 1000))
    derived = derive_artwork(wide, tmp_path / "cache")
    assert (derived.feed.width, derived.feed.height) == (2000, 1000)
    assert (derived.thumbnails[0].width, derived.thumbnails[0].height) == (160, 80)


def test_unreadable_source_is_a_media_error(tmp_path: Path) -> None:
    broken = tmp_path / "cover.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    with pytest.raises(MediaError, match="not a readable image") as raised:
        derive_artwork(broken, tmp_path / "cache")
    assert raised.value.path == broken
    with pytest.raises(MediaError, match="cannot read the artwork"):
        derive_artwork(tmp_path / "missing.png", tmp_path / "cache")


def test_derivation_is_deterministic_and_cached(tmp_path: Path) -> None:
    source = save(noise(1500, 1500, seed=4), tmp_path / "cover.png", "PNG")
    first = derive_artwork(source, tmp_path / "one")
    again = derive_artwork(source, tmp_path / "two")
    assert [image.key for image in first.images] == [image.key for image in again.images]
    assert [image.path.read_bytes() for image in first.images] == [i.path.read_bytes() for i in again.images]
    # From the cache: nothing is written again.
    times = {path: path.stat().st_mtime_ns for path in (tmp_path / "one").iterdir()}
    assert derive_artwork(source, tmp_path / "one") == first
    assert {path: path.stat().st_mtime_ns for path in (tmp_path / "one").iterdir()} == times
    # A cached copy gone is made again; a changed source gets new keys.
    first.feed.path.unlink()
    assert derive_artwork(source, tmp_path / "one") == first and first.feed.path.is_file()
    save(noise(1500, 1500, seed=5), source, "PNG")
    changed = derive_artwork(source, tmp_path / "one")
    assert not {image.key for image in changed.images} & {image.key for image in first.images}


# -- publish and the site ------------------------------------------------------


def podcast_with_artwork(tmp_path: Path) -> Path:
    toml = SHOW_TOML.replace('type = "serial"\n', 'type = "serial"\nartwork = "artwork/cover.png"\n')
    root = write_podcast(tmp_path / "podcast", toml)
    (root / "artwork").mkdir()
    save(noise(1600, 1600, seed=1), root / "artwork" / "cover.png", "PNG")
    (root / "artwork" / "episode.jpg").write_bytes(make_png(1400, 1400))  # a PNG named .jpg
    write_episode(
        root, "premier", audio_bytes=None, audio="audio/premier.mp3", extra="image: ../../artwork/episode.jpg"
    )
    (root / "audio").mkdir()
    make_audio(root / "audio" / "premier.mp3", "mp3", 1.0)
    return root


def test_publish_sends_the_derived_images_and_the_feed_names_them(tmp_path: Path) -> None:
    root = podcast_with_artwork(tmp_path)
    result = publish(root, now=NOW)
    sent = [key for key in result.uploaded if key.startswith("media/artwork/")]
    assert len(sent) == 2 * (1 + 2 * len(THUMBNAIL_WIDTHS))  # two covers: a feed image and 6 thumbnails each
    public = root / "public" / "media" / "artwork"
    assert not (public / "cover.png").exists() and not list(public.glob("*.png"))
    feed = etree.parse(str(root / "feeds" / "feed.xml"))
    show_image = feed.find(f"channel/{{{ITUNES}}}image").get("href")
    item_image = feed.find(f"channel/item/{{{ITUNES}}}image").get("href")
    for url in (show_image, item_image):
        assert url.startswith("https://podcast.example.org/media/artwork/") and url.endswith(".jpg")
        data = (
            root / "public" / "media" / url.removeprefix("https://podcast.example.org/media/")
        ).read_bytes()
        image = opened(data)
        assert image.format == "JPEG" and image.mode == "RGB" and image.width == image.height >= 1400
        assert len(data) <= MAX_FEED_BYTES
    assert (root / CACHE_DIR).is_dir()


def test_an_unchanged_publish_uploads_nothing_and_a_new_cover_gets_new_keys(tmp_path: Path) -> None:
    root = podcast_with_artwork(tmp_path)
    first = publish(root, now=NOW)
    again = publish(root, now=NOW)
    assert again.uploaded == []
    assert all(item.change is Change.UNCHANGED for item in again.plan.objects)
    # The cache emptied (another checkout of the same catalogue): the same bytes, the same keys.
    for path in (root / CACHE_DIR).iterdir():
        path.unlink()
    assert publish(root, now=NOW).uploaded == []
    save(noise(1600, 1600, seed=2), root / "artwork" / "cover.png", "PNG")
    changed = publish(root, now=NOW)
    new_art = {key for key in changed.uploaded if key.startswith("media/artwork/")}
    assert len(new_art) == 1 + 2 * len(THUMBNAIL_WIDTHS)
    assert not new_art & set(first.uploaded)


def test_the_site_shows_thumbnails_with_their_size(tmp_path: Path) -> None:
    from lxml import html

    from web import create_app

    root = podcast_with_artwork(tmp_path)
    publish(root, now=NOW)
    app = create_app(root, {"TESTING": True, "CLOCK": lambda: NOW})
    page = html.fromstring(app.test_client().get("/").data)
    picture = page.cssselect("picture.cover")[0]
    webp = picture.cssselect("source")[0]
    assert webp.get("type") == "image/webp"
    assert [part.split()[-1] for part in webp.get("srcset").split(", ")] == ["160w", "320w", "640w"]
    image = picture.cssselect("img.artwork")[0]
    assert (image.get("width"), image.get("height"), image.get("sizes")) == ("240", "240", "240px")
    assert image.get("src").endswith("-320.jpg") and "-640.jpg 640w" in image.get("srcset")
    assert all(".webp " in part for part in webp.get("srcset").split(", "))
    assert image.get("alt")
    episode = html.fromstring(app.test_client().get("/episodes/premier/").data)
    small = episode.cssselect("img.artwork")[0]
    assert (small.get("width"), small.get("height")) == ("136", "136")
    assert "/media/artwork/episode-" in small.get("src")


def test_check_reports_artwork_problems_with_the_file(tmp_path: Path) -> None:
    root = podcast_with_artwork(tmp_path)
    (root / "artwork" / "cover.png").write_bytes(make_png(1500, 1400))
    result = CliRunner().invoke(main, ["--root", str(root), "check"], catch_exceptions=False)
    assert result.exit_code == 1
    assert "artwork cover.png: 1500×1400 is not square" in result.output
    assert "warning: artwork episode.jpg: the file is PNG but named .jpg; rename it .png" in result.output
