"""Files sent with the episode form: a transcript, a chapters file, a cover; received, checked, placed.

A file arrives in ``.podcaster/uploads/`` (streamed, never over its limit),
is checked by the very functions ``check`` runs on the catalogue's files
(:func:`~podcaster.media.transcripts.parse_transcript_file`,
:func:`~podcaster.media.chapters.parse_chapters_file`,
:func:`~podcaster.media.artwork.artwork_problems`), and only then moved where
the catalogue keeps it: transcripts and chapters beside the episode file,
the cover under ``artwork/episodes/``, each named after the episode's slug,
so a name the producer gave (``../../podcast.toml``) never becomes a path.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from podcaster.errors import PodcasterError, Problem
from podcaster.folder.layout import PodcastFolder
from podcaster.media import artwork_problems
from podcaster.media.chapters import parse_chapters_file
from podcaster.media.transcripts import parse_transcript_file


class Kind(StrEnum):
    TRANSCRIPT = "transcript"
    CHAPTERS = "chapters"
    ARTWORK = "artwork"


LIMITS = {Kind.TRANSCRIPT: 2 << 20, Kind.CHAPTERS: 1 << 20, Kind.ARTWORK: 10 << 20}
SUFFIXES = {
    Kind.TRANSCRIPT: (".vtt", ".srt"),
    Kind.CHAPTERS: (".json",),
    Kind.ARTWORK: (".jpg", ".jpeg", ".png"),
}
_IMAGE_SIGNATURES = ((b"\xff\xd8\xff", ".jpg"), (b"\x89PNG\r\n\x1a\n", ".png"))


class AttachmentError(PodcasterError):
    """A file the form cannot take: wrong kind, empty, too large, or refused by ``check``'s rules."""

    def __init__(self, kind: Kind, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.kind = kind
        self.messages = messages


@dataclass(frozen=True)
class Staged:
    """A file received for the form, waiting in the uploads folder until the save places or drops it."""

    kind: Kind
    path: Path
    name: str  # as the producer's computer named it: shown, never used as a path
    suffix: str  # the one it is stored with

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def stage_attachment(root: Path, kind: Kind, filename: str, chunks: Iterable[bytes]) -> Staged:
    """Receive *chunks* as a *kind* file named *filename*; refuse a wrong kind, an empty or too large file."""
    name = Path(filename.replace("\\", "/")).name[:200] or kind.value
    suffix = Path(name).suffix.lower()
    if kind is not Kind.ARTWORK and suffix not in SUFFIXES[kind]:
        raise AttachmentError(kind, [f"{name}: expected a {' or '.join(SUFFIXES[kind])} file"])
    folder = PodcastFolder(root).uploads_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"form-{secrets.token_hex(12)}{suffix if kind is not Kind.ARTWORK else ''}"
    limit = LIMITS[kind]
    written = 0
    try:
        with path.open("xb") as stream:
            for chunk in chunks:
                written += len(chunk)
                if written > limit:
                    raise AttachmentError(kind, [f"{name} is over the limit of {limit // (1 << 20)} MB"])
                stream.write(chunk)
        if written == 0:
            raise AttachmentError(kind, [f"{name} is empty"])
        if kind is Kind.ARTWORK:
            with path.open("rb") as stream:
                head = stream.read(8)
            suffix = next((found for magic, found in _IMAGE_SIGNATURES if head.startswith(magic)), "")
            if not suffix:
                raise AttachmentError(
                    kind, [f"{name}: Apple accepts JPEG or PNG covers, and this is neither"]
                )
            path = path.rename(path.with_name(path.name + suffix))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Staged(kind, path, name, suffix)


def staged_problems(staged: Staged, duration: float | None) -> list[str]:
    """The errors ``check`` would find in *staged* once in place (warnings are not reasons to refuse)."""
    problems: list[Problem]
    if staged.kind is Kind.TRANSCRIPT:
        problems = parse_transcript_file(staged.path, duration=duration)[1]
    elif staged.kind is Kind.CHAPTERS:
        problems = parse_chapters_file(staged.path, duration=duration)[2]
    else:
        problems = list(artwork_problems(staged.path, staged.name))
    return [
        (f"{staged.name}, line {problem.line}: " if problem.line else f"{staged.name}: ")
        + problem.message.replace(f"artwork {staged.path.name}: ", "")
        for problem in problems
        if problem.is_error
    ]


def target_of(folder: PodcastFolder, staged: Staged, season: int, slug: str) -> Path:
    """Where *staged* goes for the episode *slug* of *season*: a name made here, never the one sent."""
    if staged.kind is Kind.TRANSCRIPT:
        return folder.episode_transcript(season, slug, staged.suffix)
    if staged.kind is Kind.CHAPTERS:
        return folder.episode_chapters(season, slug)
    return folder.episode_artwork(slug, staged.suffix)


def owned_by(folder: PodcastFolder, episode_file: Path, name: str) -> Path | None:
    """The file *name* (as the episode file writes it) when it is this episode's own, to delete with it.

    Only files inside the podcast folder named after the episode's slug
    (``<slug>.vtt``, ``<slug>.chapters.json``, ``artwork/episodes/<slug>.jpg``)
    are the episode's; anything else it names may be shared and is only unlinked.
    """
    if name.startswith(("http://", "https://")):
        return None
    path = folder.inside(name, episode_file.parent)
    slug = episode_file.stem
    if path is None or not path.name.startswith(slug + "."):
        return None
    if path.parent in (episode_file.parent.resolve(), (folder.artwork_dir / "episodes").resolve()):
        return path
    return None


def discard_all(staged: Iterable[Staged]) -> None:
    for item in staged:
        with contextlib.suppress(OSError):
            item.discard()
