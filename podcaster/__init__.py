"""podcaster: a podcast publishing and RSS feed manager.

The library is useful on its own; the ``podcaster`` command (:mod:`podcaster.cli.main`)
and the site (the ``web`` package) are thin shells over it. Publishing and
storage live in :mod:`podcaster.actions.publish` and :mod:`podcaster.storage`, imported
on demand since they bring boto3.
"""

from podcaster.actions.build import BuildResult, build
from podcaster.errors import (
    CatalogueError,
    ConfigError,
    FeedError,
    MediaError,
    PodcasterError,
    Problem,
    Severity,
    StorageError,
)
from podcaster.folder.catalogue import Catalogue, load_catalogue
from podcaster.folder.layout import find_root
from podcaster.folder.showfile import load_show
from podcaster.media import probe, read_artwork, read_tags
from podcaster.models import (
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
