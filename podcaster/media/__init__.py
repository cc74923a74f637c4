"""The audio and the files beside it: facts per format, artwork, chapters and transcripts.

Loudness (:mod:`podcaster.media.loudness`) is left out: it brings numpy, SciPy
and PyAV, so it is imported only where audio is decoded.
"""

from podcaster.media.artwork import DerivedArtwork, artwork_problems, derive_artwork, find_derived_artwork
from podcaster.media.chapters import (
    CHAPTERS_TYPE,
    Chapters,
    episode_chapter_problems,
    episode_chapters,
    read_chapters_file,
)
from podcaster.media.formats import file_signature, probe, read_artwork, read_tags, sha256_file, write_tags
from podcaster.media.transcripts import (
    TIMED_TYPES,
    Cue,
    discover,
    episode_transcript_problems,
    page_transcript,
    read_transcript,
)

__all__ = [
    "CHAPTERS_TYPE",
    "TIMED_TYPES",
    "Chapters",
    "Cue",
    "DerivedArtwork",
    "artwork_problems",
    "derive_artwork",
    "discover",
    "episode_chapter_problems",
    "episode_chapters",
    "episode_transcript_problems",
    "file_signature",
    "find_derived_artwork",
    "page_transcript",
    "probe",
    "read_artwork",
    "read_chapters_file",
    "read_tags",
    "read_transcript",
    "sha256_file",
    "write_tags",
]
