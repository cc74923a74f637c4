"""Who may do what in the studio: three roles, each a superset of the one below.

Authors write drafts; editors also change what listeners already get and
publish; admins also manage accounts and the show's settings. Every part of
the studio asks :func:`can` rather than comparing roles itself, so a new
power is added here once.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    AUTHOR = "author"
    EDITOR = "editor"
    ADMIN = "admin"


class Permission(StrEnum):
    EDIT_DRAFT = "edit-draft"
    EDIT_ANY = "edit-any"  # an episode that is not a draft: scheduled, or already heard
    PUBLISH = "publish"
    MANAGE_USERS = "manage-users"
    EDIT_SHOW = "edit-show"
    VIEW_ACTIVITY = "view-activity"  # the whole log; the home shows everyone its last lines


_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.AUTHOR: frozenset({Permission.EDIT_DRAFT}),
    Role.EDITOR: frozenset(
        {Permission.EDIT_DRAFT, Permission.EDIT_ANY, Permission.PUBLISH, Permission.VIEW_ACTIVITY}
    ),
    Role.ADMIN: frozenset(Permission),
}


def can(role: Role, permission: Permission) -> bool:
    """Whether *role* holds *permission*."""
    return permission in _GRANTS[role]


def can_edit_episode(role: Role, *, draft: bool) -> bool:
    """Authors edit drafts only; editors and admins edit every episode."""
    return can(role, Permission.EDIT_DRAFT if draft else Permission.EDIT_ANY)
