"""podcaster: a podcast publishing and RSS feed manager.

The library is useful on its own; the ``podcaster`` command (:mod:`podcaster.cli`)
and the site (the ``web`` package) are thin shells over it. Publishing and
storage live in :mod:`podcaster.publish` and :mod:`podcaster.storage`, imported
on demand since they bring boto3.
"""

from .build import BuildResult, build
from .catalogue import Catalogue, load_catalogue
from .errors import (
    CatalogueError,
    ConfigError,
    FeedError,
    MediaError,
    PodcasterError,
    Problem,
    Severity,
    StorageError,
)
from .media import probe, read_artwork, read_tags
from .models import (
    Chapter,
    Episode,
    EpisodeType,
    MediaInfo,
    PublicEpisode,
    PublicShow,
    Season,
    Show,
    ShowType,
    Transcript,
)
from .show import find_root, load_show

__all__ = [
    "BuildResult",
    "Catalogue",
    "CatalogueError",
    "Chapter",
    "ConfigError",
    "Episode",
    "EpisodeType",
    "FeedError",
    "MediaError",
    "MediaInfo",
    "PodcasterError",
    "Problem",
    "PublicEpisode",
    "PublicShow",
    "Season",
    "Severity",
    "Show",
    "ShowType",
    "StorageError",
    "Transcript",
    "build",
    "find_root",
    "load_catalogue",
    "load_show",
    "probe",
    "read_artwork",
    "read_tags",
]
