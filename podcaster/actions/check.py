"""``podcaster check``: the rules Apple Podcasts and the Podcasting 2.0 namespace apply to a show."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from podcaster.errors import MediaError, PodcasterError, Problem, Severity
from podcaster.feed.rss import APPLE_CATEGORIES
from podcaster.folder.catalogue import Catalogue, load_catalogue
from podcaster.folder.mediafacts import refresh_media
from podcaster.media import artwork_problems, episode_chapter_problems, episode_transcript_problems
from podcaster.models import Episode, EpisodeType, Person

if TYPE_CHECKING:
    from podcaster.media.loudness import Loudness

MAX_DESCRIPTION_BYTES = 4000
# Loudness targets (LUFS, ±1 LU) as Apple and the AES recommend for spoken word: a mono file
# played on two speakers sounds 3 LU louder than it measures, hence its lower target.
LOUDNESS_TARGETS = {1: -19.0, 2: -16.0}
LOUDNESS_TOLERANCE = 1.0
MP3_MIN_BITRATES = {1: 64_000, 2: 96_000}  # below this, speech in MP3 sounds thin or watery
USUAL_SAMPLE_RATES = (44_100, 48_000)
APPLE_AUDIO_TYPES = {"audio/mpeg", "audio/mp4", "audio/x-m4a"}
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}

Progress = Callable[[str], None]


@dataclass(frozen=True)
class CheckResult:
    """Every problem found, in the order found, and how many episodes were looked at."""

    problems: list[Problem] = field(default_factory=list)
    episode_count: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if not problem.is_error]

    @property
    def exit_status(self) -> int:
        """1 when any problem is an error (the show would be refused somewhere), else 0."""
        return 1 if self.errors else 0


def check(root: Path, now: datetime, *, audio: bool = True, progress: Progress | None = None) -> CheckResult:
    """Check the podcast folder *root*: catalogue, media facts, artwork and, with *audio*, how it sounds.

    A catalogue that does not load raises; media that cannot be probed is a problem among the others.
    """
    catalogue = load_catalogue(root)
    problems: list[Problem] = []
    try:
        refresh_media(catalogue)
    except PodcasterError as error:
        problems.extend(error.problems)
    problems.extend(check_catalogue(catalogue, now))
    if audio:
        problems.extend(check_audio(catalogue, progress))
    return CheckResult(problems=problems, episode_count=len(catalogue.episodes))


def check_catalogue(catalogue: Catalogue, now: datetime) -> list[Problem]:
    """Every error and warning for a catalogue that loaded (loading already refused the worst)."""
    problems = list(catalogue.warnings)
    problems.extend(_show_problems(catalogue))
    for episode in catalogue.episodes:
        problems.extend(_episode_problems(catalogue, episode, now))
    return problems


def check_artwork(path: Path, where: Path | str, *, required_square: bool = True) -> Iterator[Problem]:
    """What Apple would reject in a cover image: size, shape, colour space, real type, weight."""
    return artwork_problems(path, where, required_square=required_square)


def _show_problems(catalogue: Catalogue) -> Iterator[Problem]:
    show = catalogue.show
    toml = catalogue.folder.show_file
    if show.artwork is None:
        yield Problem(
            toml, "[show] has no artwork: Apple Podcasts requires a square cover of 1400 to 3000 px"
        )
    else:
        yield from check_artwork(show.artwork, toml)
    for season in show.seasons:
        if season.artwork:
            yield from check_artwork(season.artwork, toml)
    if not show.owner.email:
        yield Problem(toml, "[show.owner] needs an email: Apple and podcast:locked use it to prove ownership")
    if len(show.description.encode("utf-8")) > MAX_DESCRIPTION_BYTES:
        yield Problem(toml, f"the show description is over {MAX_DESCRIPTION_BYTES} bytes, Apple's limit")
    if not show.categories:
        yield Problem(toml, "no categories: directories file the show under 'Society & Culture' or similar")
    for category in show.categories:
        subcategories = APPLE_CATEGORIES.get(category.name)
        if subcategories is None or (category.subcategory and category.subcategory not in subcategories):
            yield Problem(toml, f"'{category.name}' is not in Apple's category list")
    for name, url in (("feed", show.urls.feed), ("media", show.urls.media), ("site", show.urls.site)):
        parts = urlsplit(url)
        if parts.scheme != "https":
            severity = Severity.WARNING if parts.hostname in _LOCAL_HOSTS else Severity.ERROR
            yield Problem(toml, f"the {name} URL must use HTTPS for Apple Podcasts: {url}", None, severity)
    if show.location and len(show.location.name) > 128:
        yield Problem(toml, "podcast:location names are limited to 128 characters")
    links = [
        *(("[show.funding] url", funding.url) for funding in show.funding),
        *_person_links("[show.persons]", show.persons),
        *((f"[links] {key}", url) for key, url in show.links.items()),
        *(("[websub] hubs", hub) for hub in show.hubs),
        ("[urls] old_feed", show.urls.old_feed),
        ("[urls] new_feed_url", show.urls.new_feed),
    ]
    yield from _plain_http(toml, links)


def _person_links(where: str, persons: tuple[Person, ...]) -> Iterator[tuple[str, str | None]]:
    for person in persons:
        yield f"{where} href of {person.name}", person.href
        yield f"{where} img of {person.name}", person.img


def _plain_http(path: Path, links: Iterable[tuple[str, str | None]]) -> Iterator[Problem]:
    """A warning for each link in plain http: loading already refused every other scheme."""
    for what, url in links:
        if url and urlsplit(url).scheme == "http" and urlsplit(url).hostname not in _LOCAL_HOSTS:
            yield Problem(path, f"{what} is plain http, use https: {url}", None, Severity.WARNING)


def _episode_problems(catalogue: Catalogue, episode: Episode, now: datetime) -> Iterator[Problem]:
    path = episode.path
    media = catalogue.lock.media(episode.guid)
    yield from episode_transcript_problems(catalogue.root, episode, media.duration if media else None)
    yield from episode_chapter_problems(catalogue.root, episode, media)
    remote = [episode.audio, episode.chapters, *(transcript.source for transcript in episode.transcripts)]
    links = [*_person_links("'persons':", episode.persons), *(("a file's URL", url) for url in remote)]
    yield from _plain_http(path, links)
    if len(episode.notes_html.encode("utf-8")) > MAX_DESCRIPTION_BYTES:
        yield Problem(
            path,
            f"the notes are over {MAX_DESCRIPTION_BYTES} bytes: Apple cuts longer descriptions",
            None,
            Severity.WARNING,
        )
    if not episode.notes_markdown.strip():
        yield Problem(path, "no show notes: apps show an empty description", None, Severity.WARNING)
    if episode.type is EpisodeType.FULL and episode.number is None:
        yield Problem(path, "a full episode needs an 'episode' number")
    if media is None:
        if not episode.audio_is_remote:
            yield Problem(
                path, "no media facts yet: run 'podcaster build' to probe the audio", None, Severity.WARNING
            )
        return
    if media.mime_type not in APPLE_AUDIO_TYPES:
        yield Problem(
            path,
            f"{media.mime_type} is not accepted by Apple Podcasts (MP3 or M4A are); other apps will play it",
            None,
            Severity.WARNING,
        )
    if media.duration <= 0:
        yield Problem(path, "the audio has no duration")
    if episode.date > now and not episode.draft:
        yield Problem(path, f"scheduled: goes live on {episode.date.isoformat()}", None, Severity.WARNING)
    if episode.image:
        image = (path.parent / episode.image).resolve()
        if not image.is_relative_to(catalogue.root):
            yield Problem(path, f"image {episode.image!r} points outside the podcast folder")
        elif not image.is_file():
            yield Problem(path, f"image file not found: {episode.image}")
        else:
            yield from check_artwork(image, path)


def check_audio(catalogue: Catalogue, progress: Progress | None = None) -> list[Problem]:
    """Warnings on how each episode sounds: loudness, clipping, bitrate, sample rate.

    Loudness is measured by decoding the audio once per content (:func:`measure_episodes`); the
    other figures come from the lock file's media facts.
    """
    measured, problems = measure_episodes(catalogue, progress)

    def warn(episode: Episode, message: str) -> None:
        problems.append(Problem(episode.path, f"audio {episode.audio}: {message}", None, Severity.WARNING))

    for episode in catalogue.episodes:
        media = catalogue.lock.media(episode.guid)
        if media is None:
            continue
        layout = "mono" if media.channels == 1 else "stereo"
        floor = MP3_MIN_BITRATES[min(max(media.channels, 1), 2)]
        if media.mime_type == "audio/mpeg" and media.bitrate < floor:
            warn(
                episode,
                f"{media.bitrate // 1000} kbps is low for {layout} MP3: export at {floor // 1000} kbps or more",
            )
        if media.sample_rate not in USUAL_SAMPLE_RATES:
            warn(episode, f"sample rate {media.sample_rate:,} Hz: podcast apps expect 44,100 or 48,000 Hz")
        loudness = measured.get(episode.guid)
        if loudness is None:
            continue
        target = LOUDNESS_TARGETS[1 if loudness.channels == 1 else 2]
        if loudness.integrated is None:
            warn(episode, "silent: no part of it is over −70 LUFS")
        elif abs(loudness.integrated - target) > LOUDNESS_TOLERANCE:
            change = target - loudness.integrated
            warn(
                episode,
                f"integrated loudness {loudness.integrated:.1f} LUFS; aim for {target:.0f} ± 1 LUFS in {layout}"
                f" ({'raise' if change > 0 else 'lower'} it by {abs(change):.1f} dB)",
            )
        if loudness.clipped:
            warn(
                episode,
                f"{loudness.clipped:,} samples clipped (peak {loudness.sample_peak:+.1f} dBFS): lower the"
                " level or use a limiter so peaks stay under −1 dBFS",
            )
    return problems


def measure_episodes(
    catalogue: Catalogue, progress: Progress | None = None
) -> tuple[dict[str, Loudness], list[Problem]]:
    """The loudness of each episode (by GUID) whose facts are known, from the cache or its audio here.

    Each audio content is decoded once: the podcast folder's loudness cache remembers it.
    Episodes whose audio is neither measured before nor on this machine are left out;
    audio that cannot be decoded is a warning naming the episode file.
    """
    from podcaster.media.loudness import LoudnessCache  # numpy, SciPy and PyAV: only when audio is measured

    cache = LoudnessCache(catalogue.folder.loudness_cache)
    measured: dict[str, Loudness] = {}
    problems: list[Problem] = []
    for episode in catalogue.episodes:
        media = catalogue.lock.media(episode.guid)
        if media is None or episode.audio_is_remote:
            continue
        found = cache.get(media.sha256)
        audio = episode.audio_path(catalogue.root)
        if found is None and audio.is_file():
            if progress:
                progress(f"measuring the loudness of {episode.audio}")
            try:
                found = cache.measure(audio, media.sha256)
            except MediaError as error:
                problems.extend(
                    Problem(episode.path, f"audio {episode.audio}: {p.message}", None, Severity.WARNING)
                    for p in error.problems
                )
        if found is not None:
            measured[episode.guid] = found
    cache.save()
    return measured, problems
