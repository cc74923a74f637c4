"""The demo: a copy of a catalogue whose public URLs point at a local server, with sample audio.

:func:`run_demo` prepares the copy (:func:`prepare_demo`) and publishes it to
its local folder; serving it is the command's job (``podcaster demo``). The
sample audio needs ``lameenc``, the ``demo`` extra: this module is not
re-exported by :mod:`podcaster.actions`, so a lean install never imports it.
"""

from __future__ import annotations

import re
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from podcaster.actions.publish import PublishResult, publish
from podcaster.actions.sample_audio import write_sample_audio
from podcaster.errors import ConfigError
from podcaster.folder.catalogue import parse_front_matter
from podcaster.folder.layout import SHOW_FILE, PodcastFolder
from podcaster.folder.tomlfile import retarget
from podcaster.settings import Settings
from podcaster.studio import Role, add_user, find_user, set_password

DEMO_SECONDS = 24.0
DEMO_STORAGE = "file://public"
DEMO_ACCOUNT = "demo"
# Chapters at these fractions of each sample, so the pages show seekable chapters.
DEMO_CHAPTERS = {
    "fr": ("Ouverture", "Sur le terrain", "Les questions", "Pour conclure"),
    "en": ("Opening", "In the field", "The questions", "To conclude"),
}

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DemoResult:
    root: Path  # the demo's podcast folder, ready to serve
    base_url: str
    published: PublishResult
    account: str = DEMO_ACCOUNT  # an editor account for the studio
    password: str = field(default="", repr=False)  # made for this run, shown once


def bundled_catalogue() -> Path:
    """The catalogue shipped with podcaster: in the installed package, else the source checkout's root."""
    package = Path(__file__).resolve().parent.parent
    # A wheel carries a copy (see setup.py); an editable install or a checkout has the repository's own.
    for candidate in (package / "demo_catalogue", package.parent):
        if (candidate / SHOW_FILE).is_file() and (candidate / "episodes").is_dir():
            return candidate
    raise ConfigError(
        "this installation of podcaster has no bundled catalogue; pass --root with a podcast folder",
        path=package,
    )


def run_demo(
    source_root: Path,
    work_dir: Path,
    base_url: str,
    *,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> DemoResult:
    """Copy the catalogue in *source_root* into *work_dir* with sample audio, publish it there, open the studio.

    The studio gets an editor account, ``demo``, with a password made for
    this run (an earlier run's account in the same folder gets a new one).
    """
    root = prepare_demo(source_root, work_dir, base_url, progress=progress)
    published = publish(root, settings=settings, reporter=None)
    password = secrets.token_urlsafe(12)
    if find_user(root, DEMO_ACCOUNT) is None:
        add_user(root, DEMO_ACCOUNT, Role.EDITOR, password)
    else:
        set_password(root, DEMO_ACCOUNT, password)
    return DemoResult(root=root, base_url=base_url, published=published, password=password)


def prepare_demo(
    source_root: Path, work_dir: Path, base_url: str, *, progress: Progress | None = None
) -> Path:
    """Copy the catalogue in *source_root* into *work_dir*, served from *base_url*; return the new root.

    ``podcast.toml`` gets ``[urls] feed = BASE_URL/feed.xml`` (media and site
    follow from it) and local storage; every episode whose audio file is
    missing gets a short sample MP3 with chapters. The lock file and built
    feeds are not copied: the demo's build probes its own audio.
    """
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"the demo's base URL must be http(s)://…, not {base_url!r}")
    base_url = base_url if base_url.endswith("/") else base_url + "/"
    source_root = source_root.resolve()
    root = work_dir.resolve()
    source, podcast = PodcastFolder(source_root), PodcastFolder(root)
    show_file = source.show_file
    if not show_file.is_file():
        raise ConfigError(f"no {SHOW_FILE} to copy the demo from", path=source_root)
    root.mkdir(parents=True, exist_ok=True)
    text = show_file.read_text(encoding="utf-8")
    podcast.show_file.write_text(demo_toml(text, base_url + "feed.xml"), encoding="utf-8")
    for copied, target in (
        (source.episodes_dir, podcast.episodes_dir),
        (source.artwork_dir, podcast.artwork_dir),
    ):
        if copied.is_dir():
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(copied, target)
    language = "en" if re.search(r'(?m)^\s*language\s*=\s*"en', text) else "fr"
    for seed, path in enumerate(podcast.episode_files()):
        data, _, _, _ = parse_front_matter(path)
        audio = data.get("audio")
        if not isinstance(audio, str) or audio.startswith(("http://", "https://")):
            continue
        target = (root / audio).resolve()
        if not target.is_relative_to(root):
            raise ConfigError(f"the audio path {audio!r} points outside the podcast folder", path=path)
        if target.is_file():
            continue  # samples are deterministic: one made by an earlier run is the same
        if progress:
            progress(f"making sample audio {audio}")
        names = DEMO_CHAPTERS[language]
        chapters = [(DEMO_SECONDS * index / len(names), name) for index, name in enumerate(names)]
        write_sample_audio(
            target,
            seconds=DEMO_SECONDS,
            title=str(data.get("title", path.stem)),
            seed=seed,
            chapters=chapters,
        )
    return root


def demo_toml(text: str, feed_url: str) -> str:
    """*text* of a podcast.toml with the feed URL replaced, media and site URLs dropped, storage local."""
    return retarget(text, feed_url, DEMO_STORAGE)
