"""The commands as library functions: each does one job on a podcast folder and returns what it did.

``demo`` and ``sample_audio`` are left out on purpose: they need ``lameenc``, the optional ``demo``
extra; import :mod:`podcaster.actions.demo` itself where it is wanted.
"""

from podcaster.actions.add import AddedEpisode, add_episode
from podcaster.actions.build import BuildResult, build
from podcaster.actions.check import CheckResult, check
from podcaster.actions.init import init_podcast
from podcaster.actions.listing import EpisodeRow, ListResult, State, list_episodes
from podcaster.actions.publish import Change, Plan, PlannedObject, PublishReporter, PublishResult, publish
from podcaster.actions.stats import audience_figures, ingest_logs
from podcaster.actions.tag import Tagged, tag_episodes

__all__ = [
    "AddedEpisode",
    "BuildResult",
    "Change",
    "CheckResult",
    "EpisodeRow",
    "ListResult",
    "Plan",
    "PlannedObject",
    "PublishReporter",
    "PublishResult",
    "State",
    "Tagged",
    "add_episode",
    "audience_figures",
    "build",
    "check",
    "ingest_logs",
    "init_podcast",
    "list_episodes",
    "publish",
    "tag_episodes",
]
