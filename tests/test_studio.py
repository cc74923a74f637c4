"""The studio's library: accounts and their file, roles, and the one episode-edit function; ``podcaster user``."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from podcaster.cli.main import main
from podcaster.errors import CatalogueError
from podcaster.folder.layout import PodcastFolder
from podcaster.models import EpisodeType
from podcaster.studio import (
    AccountError,
    EditRefused,
    EpisodeChanges,
    Outcome,
    Permission,
    Role,
    add_user,
    authenticate,
    can,
    can_edit_episode,
    from_wall_clock,
    load_users,
    read_episode,
    remove_user,
    save_episode,
    set_password,
)
from tests.fixtures.site import DRAFT, NOW

PASSWORD = "correct horse battery"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "podcast.toml").write_text('[show]\ntitle = "x"\n', encoding="utf-8")
    return tmp_path


def test_accounts_live_in_a_private_file_with_argon2_hashes(folder: Path) -> None:
    add_user(folder, "Marie", Role.EDITOR, PASSWORD)
    path = PodcastFolder(folder).users_file
    assert path.parent.name == ".podcaster"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text(encoding="utf-8")
    assert PASSWORD not in text
    (entry,) = json.loads(text)["users"]
    assert entry["name"] == "marie" and entry["role"] == "editor"
    assert entry["hash"].startswith("$argon2id$")
    assert not list(path.parent.glob("*.tmp"))


def test_authenticate(folder: Path) -> None:
    add_user(folder, "marie", Role.AUTHOR, PASSWORD)
    user = authenticate(folder, "MARIE", PASSWORD)
    assert user is not None and user.role is Role.AUTHOR
    assert authenticate(folder, "marie", PASSWORD + "x") is None
    assert authenticate(folder, "nobody", PASSWORD) is None
    assert authenticate(folder, "../marie", PASSWORD) is None
    assert authenticate(folder, "marie", "x" * 5000) is None


@pytest.mark.parametrize("name", ["../x", "a/b", "", " ", "<script>", ".hidden", "x" * 41, "é"])
def test_unsafe_names_are_refused(folder: Path, name: str) -> None:
    with pytest.raises(AccountError):
        add_user(folder, name, Role.ADMIN, PASSWORD)
    assert load_users(folder) == {}


def test_duplicates_short_passwords_and_unknown_accounts_are_refused(folder: Path) -> None:
    add_user(folder, "marie", Role.ADMIN, PASSWORD)
    with pytest.raises(AccountError, match="already exists"):
        add_user(folder, "marie", Role.AUTHOR, PASSWORD)
    with pytest.raises(AccountError, match="too short"):
        add_user(folder, "paul", Role.AUTHOR, "short")
    with pytest.raises(AccountError, match="no account"):
        remove_user(folder, "paul")
    with pytest.raises(AccountError, match="no account"):
        set_password(folder, "paul", PASSWORD)


def test_a_new_password_changes_the_session_stamp(folder: Path) -> None:
    before = add_user(folder, "marie", Role.ADMIN, PASSWORD)
    after = set_password(folder, "marie", "another long password")
    assert before.stamp != after.stamp
    assert authenticate(folder, "marie", PASSWORD) is None
    assert authenticate(folder, "marie", "another long password") is not None
    remove_user(folder, "marie")
    assert load_users(folder) == {}


def test_roles() -> None:
    assert can(Role.AUTHOR, Permission.EDIT_DRAFT)
    assert not can(Role.AUTHOR, Permission.EDIT_ANY)
    assert not can(Role.AUTHOR, Permission.PUBLISH)
    assert can(Role.EDITOR, Permission.PUBLISH) and not can(Role.EDITOR, Permission.MANAGE_USERS)
    assert all(can(Role.ADMIN, permission) for permission in Permission)
    assert can_edit_episode(Role.AUTHOR, draft=True) and not can_edit_episode(Role.AUTHOR, draft=False)
    assert can_edit_episode(Role.EDITOR, draft=False)


def test_wall_clock_times_in_paris() -> None:
    assert from_wall_clock("2024-01-15T09:30", "Europe/Paris").isoformat() == "2024-01-15T09:30:00+01:00"
    assert from_wall_clock("2024-07-15T09:30", "Europe/Paris").isoformat() == "2024-07-15T09:30:00+02:00"
    with pytest.raises(ValueError, match="does not exist"):
        from_wall_clock("2024-03-31T02:30", "Europe/Paris")
    with pytest.raises(ValueError):
        from_wall_clock("2024-01-15T09:30+01:00", "Europe/Paris")
    with pytest.raises(ValueError):
        from_wall_clock("yesterday", "Europe/Paris")


def _changes(root: Path, slug: str, **fields: object) -> tuple[EpisodeChanges, str]:
    current = read_episode(root, slug)
    values = {
        "title": current.title,
        "date": current.date,
        "type": current.type,
        "explicit": current.explicit,
        "notes": current.notes,
    }
    values.update(fields)
    return EpisodeChanges(**values), current.version  # type: ignore[arg-type]


def test_save_rewrites_the_file_with_its_offset(site_root: Path) -> None:
    date = from_wall_clock("2023-02-01T08:15", "Europe/Paris")
    changes, version = _changes(site_root, "premier-episode", title="  Un  titre\nneuf ", date=date)
    result = save_episode(site_root, "premier-episode", changes, version, Role.EDITOR, NOW)
    assert result.outcome is Outcome.SAVED
    text = (site_root / "episodes/saison-1/premier-episode.md").read_text(encoding="utf-8")
    assert 'title: "Un titre neuf"' in text
    assert 'date: "2023-02-01T08:15:00+01:00"' in text
    assert 'guid: "test-guid-premier-episode"' in text
    again = read_episode(site_root, "premier-episode")
    assert again.title == "Un titre neuf" and again.date == date
    assert save_episode(
        site_root, "premier-episode", *_changes(site_root, "premier-episode"), Role.EDITOR, NOW
    )
    same = save_episode(
        site_root, "premier-episode", *_changes(site_root, "premier-episode"), Role.EDITOR, NOW
    )
    assert same.outcome is Outcome.UNCHANGED


def test_a_save_keeps_a_date_written_with_another_offset(site_root: Path) -> None:
    path = site_root / "episodes/saison-1/premier-episode.md"
    path.write_text(path.read_text().replace("2023-01-25T09:00:00+01:00", "2023-01-25T08:00:07+00:00"))
    changes, version = _changes(site_root, "premier-episode", title="Autre titre")
    changes = EpisodeChanges(
        **{**changes.__dict__, "date": from_wall_clock("2023-01-25T09:00:07", "Europe/Paris")}
    )
    assert (
        save_episode(site_root, "premier-episode", changes, version, Role.EDITOR, NOW).outcome
        is Outcome.SAVED
    )
    assert 'date: "2023-01-25T08:00:07+00:00"' in path.read_text()


def test_a_file_changed_since_loading_is_a_conflict(site_root: Path) -> None:
    changes, version = _changes(site_root, "premier-episode", title="Mon titre")
    path = site_root / "episodes/saison-1/premier-episode.md"
    theirs = path.read_text(encoding="utf-8").replace("Premier épisode", "Leur titre")
    path.write_text(theirs, encoding="utf-8")
    result = save_episode(site_root, "premier-episode", changes, version, Role.EDITOR, NOW)
    assert result.outcome is Outcome.CONFLICT
    assert result.current is not None and result.current.text == theirs
    assert "Mon titre" in result.proposed
    assert path.read_text(encoding="utf-8") == theirs


def test_a_save_check_refuses_is_undone_with_errors_by_field(site_root: Path) -> None:
    path = site_root / "episodes/saison-1/premier-episode.md"
    before = path.read_bytes()
    changes, version = _changes(site_root, "premier-episode", title="   ")
    result = save_episode(site_root, "premier-episode", changes, version, Role.EDITOR, NOW)
    assert result.outcome is Outcome.INVALID
    assert "title" in result.errors
    assert path.read_bytes() == before
    # A trailer without a number may become a full episode only with one: the error sits beside the type.
    trailer = site_root / "episodes/saison-1/bande-annonce.md"
    trailer.write_text(
        '---\ntitle: "Bande-annonce"\nseason: 1\ntype: trailer\ndate: "2023-01-01T09:00:00+01:00"\n'
        'guid: "bande"\naudio: "audio/premier-episode.mp3"\n---\nBientôt.\n',
        encoding="utf-8",
    )
    changes, version = _changes(site_root, "bande-annonce", type=EpisodeType.FULL)
    result = save_episode(site_root, "bande-annonce", changes, version, Role.EDITOR, NOW)
    assert result.outcome is Outcome.INVALID and "type" in result.errors


def test_authors_edit_drafts_only(site_root: Path) -> None:
    changes, version = _changes(site_root, "premier-episode", title="Par une autrice")
    with pytest.raises(EditRefused):
        save_episode(site_root, "premier-episode", changes, version, Role.AUTHOR, NOW)
    changes, version = _changes(site_root, DRAFT, title="Brouillon revu")
    assert save_episode(site_root, DRAFT, changes, version, Role.AUTHOR, NOW).outcome is Outcome.SAVED


@pytest.mark.parametrize("slug", ["../podcast", "..", "saison-1/premier-episode", "PREMIER", "absent"])
def test_only_existing_plain_slugs_are_edited(site_root: Path, slug: str) -> None:
    with pytest.raises(CatalogueError):
        read_episode(site_root, slug)
    changes = EpisodeChanges("x", datetime(2024, 1, 1, tzinfo=UTC), EpisodeType.FULL, None, "")
    with pytest.raises(CatalogueError):
        save_episode(site_root, slug, changes, "", Role.ADMIN, NOW)


def test_user_commands(folder: Path) -> None:
    runner = CliRunner()

    def run(*args: str, given: str = "", code: int = 0) -> str:
        result = runner.invoke(main, ["--root", str(folder), "user", *args], input=given)
        assert result.exit_code == code, result.output
        return result.output

    assert "added marie (editor)" in run("add", "Marie", "--role", "editor", given=PASSWORD + "\n")
    assert "too short" in run("add", "paul", "--role", "author", given="short\n", code=1)
    assert "invalid name" in run("add", "../paul", "--role", "author", given=PASSWORD + "\n", code=1)
    run("add", "paul", "--role", "bogus", given=PASSWORD + "\n", code=2)
    run("add", "paul", "--password", PASSWORD, "--role", "author", code=2)  # never an argument
    listed = run("list")
    assert "marie" in listed and "editor" in listed and "argon2" not in listed
    assert "password changed for marie" in run("passwd", "marie", given="a brand new password\n")
    assert authenticate(folder, "marie", "a brand new password") is not None
    assert "removed marie" in run("remove", "marie")
    assert "no account yet" in run("list")
