"""What admins do in the studio beyond episodes: the show's settings, and each change as a git commit."""

from podcaster.studio.admin.gitcommits import CommitOutcome, author_of, commit_change
from podcaster.studio.admin.showsettings import (
    MAX_ARTWORK,
    NewArtwork,
    ShowSaveResult,
    ShowSettings,
    ShowText,
    category_choices,
    read_show_settings,
    save_show_settings,
)

__all__ = [
    "MAX_ARTWORK",
    "CommitOutcome",
    "NewArtwork",
    "ShowSaveResult",
    "ShowSettings",
    "ShowText",
    "author_of",
    "category_choices",
    "commit_change",
    "read_show_settings",
    "save_show_settings",
]
