"""The loudness of a show's episodes, for ``check`` and ``list --audio``.

Each audio content is decoded once (:class:`podcaster.media.loudness.LoudnessCache`
remembers it in the podcast folder); importing this module brings numpy, SciPy
and PyAV, so the commands import it only when they measure.
"""

from __future__ import annotations

from collections.abc import Callable

from podcaster.errors import MediaError, Problem, Severity
from podcaster.folder.catalogue import Catalogue
from podcaster.media.loudness import Loudness, LoudnessCache

__all__ = ["measure_episodes"]


def measure_episodes(
    catalogue: Catalogue, progress: Callable[[str], None] | None = None
) -> tuple[dict[str, Loudness], list[Problem]]:
    """The loudness of each episode (by GUID) whose facts are known, from the cache or its audio here.

    Episodes whose audio is neither measured before nor on this machine are left out;
    audio that cannot be decoded is a warning naming the episode file.
    """
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
