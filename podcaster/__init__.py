"""podcaster: a podcast publishing and RSS feed manager.

The library is useful on its own; the ``podcaster`` command (:mod:`podcaster.cli.main`)
and the site (the ``web`` package) are thin shells over it. What they may use is
exported here, beside the public modules :mod:`podcaster.models`, :mod:`podcaster.errors`,
:mod:`podcaster.settings` and :mod:`podcaster.storage`; every other module is the
library's own business. Publishing and storage live in :mod:`podcaster.actions.publish`
and :mod:`podcaster.storage`, imported on demand since they bring boto3.
"""

from podcaster.actions.build import BuildResult, build
from podcaster.actions.stats import audience_store
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
from podcaster.feed.documents import Feeds, render_feeds
from podcaster.feed.episodes_json import render_episodes_json
from podcaster.feed.public import Resolver
from podcaster.folder.catalogue import Catalogue, load_catalogue
from podcaster.folder.layout import PodcastFolder, find_root
from podcaster.folder.showfile import load_show
from podcaster.media import Cue, page_transcript, probe, read_artwork, read_tags
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
from podcaster.stats import HopRecorder, targets_of

__all__ = [
    "BuildResult",
    "Catalogue",
    "CatalogueError",
    "Chapter",
    "ConfigError",
    "Cue",
    "Episode",
    "EpisodeType",
    "FeedError",
    "Feeds",
    "HopRecorder",
    "MediaError",
    "MediaInfo",
    "PodcastFolder",
    "PodcasterError",
    "Problem",
    "PublicEpisode",
    "PublicShow",
    "Resolver",
    "Season",
    "Severity",
    "Show",
    "ShowType",
    "StorageError",
    "Transcript",
    "audience_store",
    "build",
    "find_root",
    "load_catalogue",
    "load_show",
    "page_transcript",
    "probe",
    "read_artwork",
    "read_tags",
    "render_episodes_json",
    "render_feeds",
    "targets_of",
]
