"""The studio's accounts: names, roles and Argon2 password hashes in ``.podcaster/users.json``.

The file lives in the folder's uncommitted working folder, which nothing
publishes or serves; it is replaced atomically with mode 0600, under the
folder's edit lock, so two commands adding users at once lose neither.
Passwords are never stored, logged or returned: only their Argon2id hashes.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from podcaster.atomic import exclusive, write_atomically
from podcaster.errors import ConfigError, PodcasterError
from podcaster.folder.layout import PodcastFolder, ignore_work_dir
from podcaster.studio.roles import Role

USERS_VERSION = 1
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # Argon2 takes any length; a bound keeps a hostile form from costing much
_HASHER = PasswordHasher()  # Argon2id with RFC 9106's second recommended parameters


@functools.cache
def _decoy() -> str:
    """Verified against when the name is unknown, so a wrong name costs as long as a wrong password.

    Made at the first sign-in, not at import: hashing takes Argon2's 64 MiB
    and a tenth of a second from every process that merely imports the studio.
    """
    return _HASHER.hash("not a password anyone has")


class AccountError(PodcasterError):
    """A name, role or password the studio cannot accept."""


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    password_hash: str
    created: str
    changed: str

    @property
    def stamp(self) -> str:
        """Changes with the password: sessions keep it, and end when it no longer matches."""
        return hashlib.sha256(self.password_hash.encode("utf-8")).hexdigest()[:16]


def check_name(name: str) -> str:
    """The account name as stored (lower case); raise when it is not a plain, safe name."""
    cleaned = name.strip().lower()
    if not NAME.match(cleaned):
        raise AccountError(
            f"invalid name {name!r}: use 1 to 40 letters a-z, digits, '.', '_' or '-', starting with a "
            "letter or digit"
        )
    return cleaned


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password is too short: use at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"the password is too long: use at most {MAX_PASSWORD} characters")


def load_users(root: Path) -> dict[str, User]:
    """Every account in *root*, by name; an absent file is no account."""
    path = PodcastFolder(root).users_file
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    try:
        document = json.loads(text)
        if document.get("version") != USERS_VERSION:
            raise ConfigError(
                f"unsupported users file version {document.get('version')!r}; expected {USERS_VERSION}",
                path=path,
            )
        users = [_user_from_json(raw) for raw in document["users"]]
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ConfigError(f"the users file is damaged ({error}); fix it or remove it", path=path) from None
    return {user.name: user for user in users}


def find_user(root: Path, name: str) -> User | None:
    try:
        cleaned = check_name(name)
    except AccountError:
        return None
    return load_users(root).get(cleaned)


def authenticate(root: Path, name: str, password: str) -> User | None:
    """The account when *password* is its password, else None; the hash is upgraded if its cost rose."""
    user = find_user(root, name) if len(password) <= MAX_PASSWORD else None
    try:
        _HASHER.verify(user.password_hash if user else _decoy(), password[:MAX_PASSWORD])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _HASHER.check_needs_rehash(user.password_hash):
        with exclusive(PodcastFolder(root).edit_lock):
            users = load_users(root)
            if user.name in users and users[user.name].password_hash == user.password_hash:
                user = _with_password(users[user.name], password)
                users[user.name] = user
                _save(root, users)
    return user


def add_user(root: Path, name: str, role: Role, password: str, *, now: datetime | None = None) -> User:
    """Create the account *name*; refuse a name already taken."""
    cleaned = check_name(name)
    check_password(password)
    moment = _stamp(now)
    with exclusive(PodcastFolder(root).edit_lock):
        users = load_users(root)
        if cleaned in users:
            raise AccountError(f"the account {cleaned!r} already exists; use 'podcaster user passwd'")
        user = User(cleaned, Role(role), _HASHER.hash(password), moment, moment)
        users[cleaned] = user
        _save(root, users)
    return user


def remove_user(root: Path, name: str, *, keep_an_admin: bool = False) -> User:
    """Delete the account *name*: its sessions end at their next request.

    With *keep_an_admin* (the studio's way), the last admin is never removed:
    the browser could not give the power back. The CLI may, as the way back in.
    """
    cleaned = check_name(name)
    with exclusive(PodcastFolder(root).edit_lock):
        users = load_users(root)
        user = users.pop(cleaned, None)
        if user is None:
            raise AccountError(f"no account named {cleaned!r}")
        if keep_an_admin:
            _refuse_no_admin(users, cleaned)
        _save(root, users)
    return user


def set_role(root: Path, name: str, role: Role) -> User:
    """Give *name* the role *role*; refuse to leave the folder without an admin."""
    cleaned = check_name(name)
    with exclusive(PodcastFolder(root).edit_lock):
        users = load_users(root)
        if cleaned not in users:
            raise AccountError(f"no account named {cleaned!r}")
        old = users[cleaned]
        user = User(old.name, Role(role), old.password_hash, old.created, old.changed)
        users[cleaned] = user
        _refuse_no_admin(users, cleaned)
        if user != old:
            _save(root, users)
    return user


def _refuse_no_admin(users: dict[str, User], name: str) -> None:
    """Checked under the lock, so two admins demoting each other at once cannot both succeed."""
    if not any(user.role is Role.ADMIN for user in users.values()):
        raise AccountError(
            f"{name!r} is the last admin: make another account admin first, so someone can still manage accounts"
        )


def set_password(root: Path, name: str, password: str, *, now: datetime | None = None) -> User:
    """Give *name* a new password: its other sessions end at their next request."""
    cleaned = check_name(name)
    check_password(password)
    with exclusive(PodcastFolder(root).edit_lock):
        users = load_users(root)
        if cleaned not in users:
            raise AccountError(f"no account named {cleaned!r}")
        user = _with_password(users[cleaned], password, now)
        users[cleaned] = user
        _save(root, users)
    return user


def _with_password(user: User, password: str, now: datetime | None = None) -> User:
    return User(user.name, user.role, _HASHER.hash(password), user.created, _stamp(now))


def _stamp(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")


def _save(root: Path, users: dict[str, User]) -> None:
    document = {
        "version": USERS_VERSION,
        "users": [_user_to_json(users[name]) for name in sorted(users)],
    }
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    folder = PodcastFolder(root)
    write_atomically(folder.users_file, text.encode("utf-8"), mode=0o600)
    ignore_work_dir(folder)


def _user_to_json(user: User) -> dict[str, Any]:
    return {
        "name": user.name,
        "role": user.role.value,
        "hash": user.password_hash,
        "created": user.created,
        "changed": user.changed,
    }


def _user_from_json(raw: dict[str, Any]) -> User:
    return User(
        name=check_name(str(raw["name"])),
        role=Role(raw["role"]),
        password_hash=str(raw["hash"]),
        created=str(raw.get("created", "")),
        changed=str(raw.get("changed", "")),
    )
