"""Who did what: the activity log's page, and each studio change committed to git as its producer.

``/studio/activite/`` lists the whole log, newest first, a page at a time,
for editors and admins. :func:`commit` is what every view that changes the
catalogue calls after its save: when the podcast folder is a git repository
(and ``STUDIO_GIT_COMMITS`` is not off), the paths it wrote become a commit
whose author is the signed-in producer; a git that is missing or fails is
a warning in the log, never an error for the producer, whose change is saved.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from flask import Response, current_app, request
from flask_login import current_user

from podcaster import PodcastFolder
from podcaster.studio import Permission, activity_page, can, commit_change, wall_clock

from ..i18n import interface_language
from .blueprint import account, bp, language, page, require

PER_PAGE = 50
WORDS = {
    "fr": {
        "title": "Journal d’activité",
        "intro": "Qui a fait quoi dans le studio, et quand (heure de Paris). Les plus récents d’abord.",
        "when": "Date et heure",
        "who": "Qui",
        "what": "Action",
        "empty": "Rien n’a encore été fait dans le studio.",
        "pages": "Pages du journal",
        "page_of": "Page {number} sur {pages} ({total} entrée(s))",
        "newer": "Plus récents",
        "older": "Plus anciens",
    },
    "en": {
        "title": "Activity log",
        "intro": "Who did what in the studio, and when (Paris time). Newest first.",
        "when": "Date and time",
        "who": "Who",
        "what": "Action",
        "empty": "Nothing has been done in the studio yet.",
        "pages": "Log pages",
        "page_of": "Page {number} of {pages} ({total} entries)",
        "newer": "Newer",
        "older": "Older",
    },
}


@bp.context_processor
def permissions() -> dict[str, Callable[[str], bool]]:
    """``studio_can('manage-users')`` for templates: the navigation shows only what the role may open."""

    def studio_can(permission: str) -> bool:
        return bool(current_user.is_authenticated) and can(account().role, Permission(permission))

    return {"studio_can": studio_can}


@bp.get("/activite/")
@require(Permission.VIEW_ACTIVITY)
def activity() -> Response:
    raw = request.args.get("page", "1")
    number = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 7 else 1
    found = activity_page(current_app.config["ROOT"], number, PER_PAGE)
    return page(
        "studio/activity.html",
        w=WORDS[interface_language(language())],
        log=found,
        zone=current_app.config["STUDIO_TIMEZONE"],
        wall_clock=wall_clock,
    )


def git_commits_on() -> bool:
    configured = current_app.config.get("STUDIO_GIT_COMMITS")
    if configured is None:
        return bool(current_app.config["LIBRARY_SETTINGS"].git_commits)
    return bool(configured)


def commit(paths: Iterable[Path | None], message: str) -> None:
    """Commit *paths* as the signed-in producer, if the folder is a git repository and commits are on."""
    if git_commits_on():
        committer(account().name)(paths, message)


def committer(who: str) -> Callable[[Iterable[Path | None], str], None]:
    """A commit function for *who* that works outside a request too (a publish ends in its own thread)."""
    root: Path = current_app.config["ROOT"]
    log: logging.Logger = current_app.logger
    enabled = git_commits_on()

    def run(paths: Iterable[Path | None], message: str) -> None:
        if not enabled:
            return
        outcome = commit_change(root, [path for path in paths if path is not None], who, message)
        if outcome.warning:
            log.warning("studio: %s", outcome.warning)

    return run


def commit_new_draft(added: Any, saved: Iterable[Path] = ()) -> None:
    """Commit a draft the studio made from an upload: its file, cover, new season and media facts (not audio).

    *saved* are the files its form's save wrote next (transcript, chapters, artwork, a move).
    """
    folder = PodcastFolder(current_app.config["ROOT"])
    paths = [
        added.path,
        added.artwork,
        folder.lock_file,
        folder.show_file if added.new_season else None,
        *saved,
    ]
    commit(paths, f"{added.path.stem}: new draft from the studio")
