"""The episode form beyond its text fields: seasons, number, guests, place, and the files sent with it."""

from podcaster.studio.form.attachments import (
    LIMITS,
    AttachmentError,
    Kind,
    Staged,
    discard_all,
    stage_attachment,
    staged_problems,
)
from podcaster.studio.form.changes import FileChanges
from podcaster.studio.form.extras import (
    MAX_GUESTS,
    MAX_TEXT,
    Attached,
    Extras,
    Guest,
    NewSeason,
    extras_problems,
)

__all__ = [
    "LIMITS",
    "MAX_GUESTS",
    "MAX_TEXT",
    "Attached",
    "AttachmentError",
    "Extras",
    "FileChanges",
    "Guest",
    "Kind",
    "NewSeason",
    "Staged",
    "discard_all",
    "extras_problems",
    "stage_attachment",
    "staged_problems",
]
