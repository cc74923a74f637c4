"""The producers' studio as a library: accounts and roles, the home's overview, episode edits.

Both shells use it: ``podcaster user …`` manages accounts, the site's
``/studio/`` signs producers in and edits through the same functions.
"""

from podcaster.studio.accounts import (
    MIN_PASSWORD,
    AccountError,
    User,
    add_user,
    authenticate,
    check_name,
    check_password,
    find_user,
    load_users,
    remove_user,
    set_password,
)
from podcaster.studio.audience import PERIODS, AudienceView, audience_view, period_days
from podcaster.studio.episodes import (
    EditRefused,
    EpisodeChanges,
    EpisodeText,
    Outcome,
    SaveResult,
    from_wall_clock,
    read_episode,
    save_episode,
    wall_clock,
)
from podcaster.studio.overview import Overview, studio_overview
from podcaster.studio.roles import Permission, Role, can, can_edit_episode

__all__ = [
    "MIN_PASSWORD",
    "PERIODS",
    "AccountError",
    "AudienceView",
    "EditRefused",
    "EpisodeChanges",
    "EpisodeText",
    "Outcome",
    "Overview",
    "Permission",
    "Role",
    "SaveResult",
    "User",
    "add_user",
    "audience_view",
    "authenticate",
    "can",
    "can_edit_episode",
    "check_name",
    "check_password",
    "find_user",
    "from_wall_clock",
    "load_users",
    "period_days",
    "read_episode",
    "remove_user",
    "save_episode",
    "set_password",
    "studio_overview",
    "wall_clock",
]
