"""Cover images: what Apple Podcasts would reject, and the copies the feed and the site use.

The only module (with :mod:`podcaster.actions.check`, which calls it) that imports Pillow.

From one source image per show, season or episode, :func:`derive_artwork`
makes the feed image (a square RGB JPEG of 1400 to 3000 px, under 512 KB)
and small thumbnails for web pages (JPEG and WebP, 160/320/640 px). Every
derived file is named after its own bytes (``artwork/cover-1a2b3c4d-1400.jpg``),
so a changed cover gets new URLs and apps fetch it again, while the long
immutable cache given to media never serves a stale one.

Derivation is deterministic (the same source gives the same bytes, hence the
same keys, so publishing an unchanged show uploads nothing) and kept in a
local cache (``.podcaster/artwork/``) so that it is not redone on each build,
publish or site reload.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from podcaster.atomic import write_atomically
from podcaster.errors import MediaError, Problem, Severity

__all__ = [
    "CACHE_DIR",
    "FEED_MAX",
    "FEED_MIN",
    "MAX_FEED_BYTES",
    "THUMBNAIL_WIDTHS",
    "DerivedArtwork",
    "DerivedImage",
    "artwork_problems",
    "derive_artwork",
    "find_derived_artwork",
]

FEED_MIN, FEED_MAX = 1400, 3000
MAX_FEED_BYTES = 512 * 1024
THUMBNAIL_WIDTHS = (160, 320, 640)
CACHE_DIR = ".podcaster/artwork"
# Bump when the recipe below changes what it writes: cached copies made by the old one are then ignored.
_RECIPE = 1
# Feed sides tried in turn when the JPEG will not fit in 512 KB at a decent quality.
_FEED_SIDES = (3000, 2400, 2000, 1600, FEED_MIN)
_FEED_QUALITIES = tuple(range(90, 35, -5))  # 90, 85 … 40
_THUMB_JPEG_QUALITY = 82
_THUMB_WEBP_QUALITY = 80
_EXTENSIONS = {"JPEG": (".jpg", ".jpeg"), "PNG": (".png",)}
_MIME = {"JPEG": "image/jpeg", "WEBP": "image/webp"}
_SUFFIX = {"JPEG": "jpg", "WEBP": "webp"}


@dataclass(frozen=True)
class DerivedImage:
    """One file made from a cover, in the local cache, and the storage key it is published under."""

    path: Path
    key: str  # under the media prefix, e.g. artwork/cover-1a2b3c4d-1400.jpg
    mime_type: str
    width: int
    height: int
    sha256: str
    size: int


@dataclass(frozen=True)
class DerivedArtwork:
    """The feed image and the site's thumbnails (smallest first, JPEG and WebP at each width)."""

    source: Path
    feed: DerivedImage
    thumbnails: tuple[DerivedImage, ...]

    @property
    def images(self) -> tuple[DerivedImage, ...]:
        return (self.feed, *self.thumbnails)


def artwork_problems(path: Path, where: Path | str, *, required_square: bool = True) -> Iterator[Problem]:
    """What Apple would reject in a cover image, as errors when publish cannot mend it, else warnings.

    Publish derives the feed image (RGB JPEG, at most 3000 px, under 512 KB) from the
    source, so a CMYK, oversized, heavy or misnamed source only earns a warning; a
    source that is not square or too small cannot be mended without cropping or
    blurring it, and is an error.
    """

    def problem(message: str, severity: Severity = Severity.ERROR) -> Problem:
        return Problem(where, f"artwork {path.name}: {message}", None, severity)

    warning = Severity.WARNING
    try:
        with Image.open(path) as image:
            real_format, mode, (width, height) = image.format or "?", image.mode, image.size
            transparent = image.has_transparency_data
    except (UnidentifiedImageError, OSError) as error:
        yield problem(f"not a readable image ({error})")
        return
    if real_format not in _EXTENSIONS:
        yield problem(
            f"Apple accepts JPEG or PNG, this is {real_format}; publish sends a JPEG copy to the feed",
            warning,
        )
    expected = _EXTENSIONS.get(real_format, ())
    if expected and path.suffix.lower() not in expected:
        yield problem(
            f"the file is {real_format} but named {path.suffix or 'without an extension'}; "
            f"rename it {expected[0]}",
            warning,
        )
    if mode == "CMYK":
        yield problem(
            "colour space CMYK, which Apple rejects: publish converts the feed copy to RGB, but colours"
            " may shift; export it as RGB (sRGB)",
            warning,
        )
    elif mode not in ("RGB", "RGBA", "P"):
        yield problem(f"colour mode {mode}, not RGB: publish converts the feed copy to RGB", warning)
    if transparent:
        yield problem("transparent areas: publish puts the feed copy on a white background", warning)
    if required_square and width != height:
        yield problem(
            f"{width}×{height} is not square: Apple requires a square cover; crop it (publish will not)"
        )
    if min(width, height) < FEED_MIN:
        yield problem(
            f"{width}×{height}: Apple asks for {FEED_MIN} to {FEED_MAX} pixels a side;"
            f" give a source of at least {FEED_MIN}×{FEED_MIN} (publish would have to enlarge it, blurred)"
        )
    elif max(width, height) > FEED_MAX:
        yield problem(
            f"{width}×{height}: over Apple's {FEED_MAX} px; publish sends a {FEED_MAX}×{FEED_MAX} copy",
            warning,
        )
    size = path.stat().st_size
    if size > MAX_FEED_BYTES:
        yield problem(
            f"{size // 1024} KB: apps load feed artwork under 512 KB; publish re-encodes the feed copy to fit",
            warning,
        )


def derive_artwork(source: Path, cache: Path, folder: str = "artwork") -> DerivedArtwork:
    """The feed image and thumbnails for the cover at *source*, from *cache* when made before.

    A source that is not square is scaled as it is, never cropped: ``check`` reports it as
    an error, since only the producer can choose what to cut. Raises :class:`MediaError`
    naming the file if it is not a readable image.
    """
    try:
        data = source.read_bytes()
    except OSError as error:
        raise MediaError(f"cannot read the artwork ({error.strerror or error})", path=source) from error
    stem = source.stem
    index = _index_path(data, cache, folder, stem)
    cached = _read_index(index, cache, source)
    if cached is not None:
        return cached
    image = _open_rgb(source, data)
    images = [_feed_image(image, source, folder, stem, cache)]
    longest = max(image.size)
    for side in [side for side in THUMBNAIL_WIDTHS if side <= longest] or [longest]:
        small = _scaled(image, side)
        for kind, quality in (("JPEG", _THUMB_JPEG_QUALITY), ("WEBP", _THUMB_WEBP_QUALITY)):
            images.append(_store(_encode(small, kind, quality), kind, small.size, folder, stem, cache))
    derived = DerivedArtwork(source=source, feed=images[0], thumbnails=tuple(images[1:]))
    document = [{**asdict(item), "path": item.path.name} for item in derived.images]
    write_atomically(index, json.dumps({"recipe": _RECIPE, "images": document}, indent=1).encode("utf-8"))
    return derived


def find_derived_artwork(source: Path, cache: Path, folder: str = "artwork") -> DerivedArtwork | None:
    """What :func:`derive_artwork` made from *source* before, if still in *cache*; reads only, never writes."""
    try:
        data = source.read_bytes()
    except OSError:
        return None
    return _read_index(_index_path(data, cache, folder, source.stem), cache, source)


def _index_path(data: bytes, cache: Path, folder: str, stem: str) -> Path:
    source_sha = hashlib.sha256(data).hexdigest()
    index_name = hashlib.sha256(f"{_RECIPE}\0{folder}\0{stem}\0{source_sha}".encode()).hexdigest()[:32]
    return cache / f"{index_name}.json"


def _read_index(index: Path, cache: Path, source: Path) -> DerivedArtwork | None:
    """The artwork derived before, if its index and every file it names are still in the cache."""
    try:
        document = json.loads(index.read_text(encoding="utf-8"))
        images = [DerivedImage(**{**raw, "path": cache / raw["path"]}) for raw in document["images"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    for image in images:
        try:
            if image.path.stat().st_size != image.size:
                return None
        except OSError:
            return None
    return DerivedArtwork(source=source, feed=images[0], thumbnails=tuple(images[1:]))


def _open_rgb(source: Path, data: bytes) -> Image.Image:
    """The source as an upright, opaque sRGB image."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            image = ImageOps.exif_transpose(opened)  # phones store rotation as a tag; apps ignore it
            image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise MediaError(f"not a readable image ({error}): export it as JPEG or PNG", path=source) from error
    profile = image.info.get("icc_profile")
    if image.has_transparency_data:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba).convert("RGB")
        profile = None  # the composite lost it; treat the colours as sRGB
    if profile:
        try:
            converted = ImageCms.profileToProfile(
                image,
                ImageCms.ImageCmsProfile(io.BytesIO(profile)),
                ImageCms.createProfile("sRGB"),
                outputMode="RGB",
            )
            if converted is not None:  # None only when converting in place, which is not asked here
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: fall back to the plain conversion below
    return image.convert("RGB")


def _feed_image(image: Image.Image, source: Path, folder: str, stem: str, cache: Path) -> DerivedImage:
    """The largest size (at most 3000 px a side) and best quality whose JPEG fits in 512 KB."""
    side = min(max(max(image.size), FEED_MIN), FEED_MAX)
    for candidate in [side, *(smaller for smaller in _FEED_SIDES if smaller < side)]:
        resized = _scaled(image, candidate)
        encoded = _best_fit(resized)
        if encoded is not None:
            return _store(encoded, "JPEG", resized.size, folder, stem, cache)
    raise MediaError(
        f"cannot make a feed image under {MAX_FEED_BYTES // 1024} KB from it, even at {FEED_MIN} px and"
        f" quality {_FEED_QUALITIES[-1]}: simplify the image (less fine noise or grain)",
        path=source,
    )


def _best_fit(image: Image.Image) -> bytes | None:
    """The JPEG at the highest quality in the list that fits in 512 KB, found by bisection."""
    encoded = {}

    def fits(index: int) -> bool:
        encoded[index] = _encode(image, "JPEG", _FEED_QUALITIES[index])
        return len(encoded[index]) <= MAX_FEED_BYTES

    if fits(0):
        return encoded[0]
    low, high = 0, len(_FEED_QUALITIES) - 1  # low does not fit; high is to be tried
    if not fits(high):
        return None
    while high - low > 1:  # a lower quality never makes a larger file, near enough
        middle = (low + high) // 2
        if fits(middle):
            high = middle
        else:
            low = middle
    return encoded[high]


def _scaled(image: Image.Image, longest: int) -> Image.Image:
    """*image* with its longer side *longest* pixels, its shape kept (never cropped)."""
    width, height = image.size
    if max(width, height) == longest:
        return image
    scale = longest / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _encode(image: Image.Image, kind: str, quality: int) -> bytes:
    buffer = io.BytesIO()
    if kind == "JPEG":
        # No EXIF, ICC or comment is written: nothing varies between runs but the pixels.
        image.save(buffer, "JPEG", quality=quality, optimize=True)
    else:
        image.save(buffer, "WEBP", quality=quality, method=4)
    return buffer.getvalue()


def _store(
    data: bytes, kind: str, size: tuple[int, int], folder: str, stem: str, cache: Path
) -> DerivedImage:
    # Imported here: the storage package loads boto3, which deriving images never needs.
    from podcaster.storage import safe_key

    sha = hashlib.sha256(data).hexdigest()
    width, height = size
    key = safe_key(f"{folder}/{stem}-{sha[:8]}-{width}.{_SUFFIX[kind]}")
    path = cache / key.rsplit("/", 1)[-1]
    if not (path.is_file() and path.stat().st_size == len(data)):
        write_atomically(path, data)
    return DerivedImage(
        path=path, key=key, mime_type=_MIME[kind], width=width, height=height, sha256=sha, size=len(data)
    )
