"""The producers' studio as a library: accounts and roles, the overview, edits, uploads, publishing.

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
from podcaster.studio.activity import Activity, recent_activity, record_activity
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
from podcaster.studio.publishing import Action, JobState, PublishJob, read_job, set_draft, start_publish
from podcaster.studio.roles import Permission, Role, can, can_edit_episode
from podcaster.studio.uploads import (
    Probed,
    Upload,
    UploadCut,
    UploadError,
    append_chunk,
    create_draft,
    discard_upload,
    find_upload,
    probe_upload,
    start_upload,
    store_whole,
)

__all__ = [
    "MIN_PASSWORD",
    "PERIODS",
    "AccountError",
    "Action",
    "Activity",
    "AudienceView",
    "EditRefused",
    "EpisodeChanges",
    "EpisodeText",
    "JobState",
    "Outcome",
    "Overview",
    "Permission",
    "Probed",
    "PublishJob",
    "Role",
    "SaveResult",
    "Upload",
    "UploadCut",
    "UploadError",
    "User",
    "add_user",
    "append_chunk",
    "audience_view",
    "authenticate",
    "can",
    "can_edit_episode",
    "check_name",
    "check_password",
    "create_draft",
    "discard_upload",
    "find_upload",
    "find_user",
    "from_wall_clock",
    "load_users",
    "period_days",
    "probe_upload",
    "read_episode",
    "read_job",
    "recent_activity",
    "record_activity",
    "remove_user",
    "save_episode",
    "set_draft",
    "set_password",
    "start_publish",
    "start_upload",
    "store_whole",
    "studio_overview",
    "wall_clock",
]
