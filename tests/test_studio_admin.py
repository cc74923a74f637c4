"""The studio's admin library: podcast.toml rewritten value by value, roles, the log's pages, git commits."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from podcaster.errors import ConfigError
from podcaster.folder.tomlfile import with_values
from podcaster.settings import read_settings
from podcaster.studio import (
    AccountError,
    Activity,
    Role,
    activity_page,
    add_user,
    commit_change,
    last_publish,
    load_users,
    record_activity,
    remove_user,
    set_role,
)

PASSWORD = "correct horse battery"
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
TOML = '''\
# The show. Comments stay where they are.
[show]
title = "Avant"  # a comment after a value
description = """
Sur plusieurs \\
lignes."""
categories = [
  "Arts",
  "Government",
]
language = "fr"

[[show.persons]]
name = "Antoine"

[urls]
feed = "https://example.org/feed.xml"
'''


def test_only_the_changed_values_are_rewritten_and_comments_stay() -> None:
    text = with_values(TOML, "show", {"title": "Avant", "description": "Court.", "categories": ["Arts"]})
    assert text.splitlines()[:3] == TOML.splitlines()[:3]  # the unchanged title keeps its comment
    assert 'description = "Court."' in text and 'categories = ["Arts"]' in text
    assert "lignes" not in text and '"Government"' not in text
    assert text.endswith('[urls]\nfeed = "https://example.org/feed.xml"\n')
    data = tomllib.loads(text)
    assert data["show"]["persons"] == [{"name": "Antoine"}]


def test_new_keys_and_tables_go_where_a_person_would_write_them() -> None:
    text = with_values(TOML, "urls", {"site": "https://example.org/"})
    assert 'feed = "https://example.org/feed.xml"\nsite = "https://example.org/"\n' in text
    text = with_values(TOML, "show.owner", {"name": "PB", "email": "pb@example.org"})
    assert '\n\n[show.owner]\nname = "PB"\nemail = "pb@example.org"\n\n[[show.persons]]' in text
    text = with_values(TOML, "show", {"explicit": True, "language": None})
    assert "explicit = true" in text and "language" not in text
    assert tomllib.loads(text)["show"]["categories"] == ["Arts", "Government"]


@pytest.mark.parametrize(
    "value", ['"""\n[urls]\nfeed = "x"\n"""', 'a"b', "ligne\nligne", "\\", "\x00", "é" * 10, "]]", "#"]
)
def test_any_text_is_written_as_exactly_that_text(value: str) -> None:
    text = with_values(TOML, "show", {"title": value})
    assert tomllib.loads(text)["show"]["title"] == value
    assert tomllib.loads(text)["urls"] == {"feed": "https://example.org/feed.xml"}


def test_a_table_written_inline_is_refused_rather_than_broken() -> None:
    inline = '[show]\ntitle = "a"\nowner = { name = "a", email = "b@c" }\n'
    with pytest.raises(ConfigError, match="edit the file by hand"):
        with_values(inline, "show.owner", {"name": "b"})


def test_a_file_that_is_not_toml_is_refused() -> None:
    with pytest.raises(ConfigError, match="invalid TOML"):
        with_values('[show\ntitle = "a"\n', "show", {"title": "b"})


def test_the_last_admin_is_never_removed_or_demoted(tmp_path: Path) -> None:
    add_user(tmp_path, "ada", Role.ADMIN, PASSWORD)
    add_user(tmp_path, "edith", Role.EDITOR, PASSWORD)
    with pytest.raises(AccountError, match="last admin"):
        set_role(tmp_path, "ada", Role.EDITOR)
    with pytest.raises(AccountError, match="last admin"):
        remove_user(tmp_path, "ada", keep_an_admin=True)
    assert load_users(tmp_path)["ada"].role is Role.ADMIN
    assert set_role(tmp_path, "edith", Role.ADMIN).role is Role.ADMIN
    assert set_role(tmp_path, "ada", Role.AUTHOR).role is Role.AUTHOR
    with pytest.raises(AccountError, match="no account"):
        set_role(tmp_path, "nobody", Role.ADMIN)
    remove_user(tmp_path, "edith")  # the CLI may: it is the way back in
    assert set(load_users(tmp_path)) == {"ada"}


def test_the_working_folder_tells_git_to_leave_it_out(tmp_path: Path) -> None:
    add_user(tmp_path, "ada", Role.ADMIN, PASSWORD)
    assert (tmp_path / ".podcaster/.gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"


def test_the_activity_log_reads_page_by_page(tmp_path: Path) -> None:
    assert activity_page(tmp_path, 1) == activity_page(tmp_path, 7)
    assert activity_page(tmp_path, 1).total == 0 and activity_page(tmp_path, 1).pages == 1
    for index in range(7):
        record_activity(tmp_path, Activity(NOW + timedelta(minutes=index), "ada", "saved", str(index)))
    with (tmp_path / ".podcaster/activity.jsonl").open("a", encoding="utf-8") as log:
        log.write('{"when": "cut short')
    pages = [activity_page(tmp_path, number, per_page=3) for number in (1, 2, 3, 4, 0)]
    assert [[entry.subject for entry in page.entries] for page in pages] == [
        ["6", "5", "4"],
        ["3", "2", "1"],
        ["0"],
        ["0"],  # past the end: the last page
        ["6", "5", "4"],
    ]
    assert pages[0].total == 7 and pages[0].pages == 3


def test_the_last_publish_is_the_last_that_went_through(tmp_path: Path) -> None:
    assert last_publish(tmp_path) is None
    record_activity(tmp_path, Activity(NOW, "edith", "publish", "a"))
    record_activity(tmp_path, Activity(NOW + timedelta(hours=1), "ada", "publish-failed", "", "réseau"))
    record_activity(tmp_path, Activity(NOW + timedelta(hours=2), "ada", "saved", "b"))
    found = last_publish(tmp_path)
    assert found is not None and (found.who, found.when) == ("edith", NOW)


def test_the_git_setting_reads_true_or_false() -> None:
    assert read_settings({}).git_commits is True
    assert read_settings({"PODCASTER_STUDIO_GIT_COMMITS": "off"}).git_commits is False
    assert read_settings({"PODCASTER_STUDIO_GIT_COMMITS": "1"}).git_commits is True
    with pytest.raises(ConfigError, match="PODCASTER_STUDIO_GIT_COMMITS"):
        read_settings({"PODCASTER_STUDIO_GIT_COMMITS": "peut-être"})


# -- git -------------------------------------------------------------------------------------------

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True).stdout


def _repository(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "podcast.toml").write_text(TOML, encoding="utf-8")
    (root / ".gitignore").write_text("/audio/\n", encoding="utf-8")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-q", "-m", "start")
    return root


@needs_git
def test_a_change_is_committed_as_its_producer_and_nothing_else(tmp_path: Path) -> None:
    root = _repository(tmp_path / "show")
    (root / "podcast.toml").write_text(TOML.replace("Avant", "Après"), encoding="utf-8")
    (root / "audio").mkdir()
    (root / "audio/a.mp3").write_bytes(b"ID3")
    (root / "brouillon.txt").write_text("pas à moi", encoding="utf-8")
    _git(root, "add", "brouillon.txt")  # staged by someone else: stays staged, uncommitted
    add_user(root, "ada", Role.ADMIN, PASSWORD)
    paths = [
        root / "podcast.toml",
        root / "audio/a.mp3",
        root / ".podcaster/users.json",
        tmp_path / "elsewhere",
    ]
    outcome = commit_change(root, paths, "ada", "podcast.toml: a change\nwith a second line")
    assert outcome.warning == "" and len(outcome.commit) == 40
    assert (
        _git(root, "log", "-1", "--format=%an <%ae>|%s")
        == "ada <ada@studio.invalid>|podcast.toml: a change with a second line\n"
    )
    assert _git(root, "show", "--name-only", "--format=", "HEAD").split() == ["podcast.toml"]
    assert _git(root, "diff", "--cached", "--name-only").split() == ["brouillon.txt"]
    # The same bytes again: nothing to commit.
    assert commit_change(root, [root / "podcast.toml"], "ada", "again").commit == ""


@needs_git
def test_a_file_the_change_moved_is_committed_as_moved(tmp_path: Path) -> None:
    root = _repository(tmp_path / "show")
    old = root / "episodes/saison-1/entretien.md"
    old.parent.mkdir(parents=True)
    old.write_text("---\ntitle: Entretien\n---\n", encoding="utf-8")
    _git(root, "add", "-A")
    _git(root, "-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-q", "-m", "episode")
    new = root / "episodes/saison-2/entretien.md"
    new.parent.mkdir(parents=True)
    old.rename(new)
    never = root / "episodes/saison-1/entretien.vtt"  # removed before git ever saw it: not named
    outcome = commit_change(root, [old, new, never], "ada", "entretien: moved to season 2")
    assert outcome.warning == "" and outcome.commit
    changed = _git(root, "show", "--name-status", "--no-renames", "--format=", "HEAD").split("\n")
    assert sorted(line for line in changed if line) == [
        "A\tepisodes/saison-2/entretien.md",
        "D\tepisodes/saison-1/entretien.md",
    ]
    assert _git(root, "status", "--porcelain") == ""


@needs_git
def test_no_commit_outside_a_repository_of_its_own(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "podcast.toml").write_text(TOML, encoding="utf-8")
    assert commit_change(plain, [plain / "podcast.toml"], "ada", "x").commit == ""
    outer = _repository(tmp_path / "outer")
    inner = outer / "shows/inner"
    inner.mkdir(parents=True)
    (inner / "podcast.toml").write_text(TOML, encoding="utf-8")
    head = _git(outer, "rev-parse", "HEAD")
    assert commit_change(inner, [inner / "podcast.toml"], "ada", "x") == commit_change(plain, [], "ada", "x")
    assert _git(outer, "rev-parse", "HEAD") == head


def test_a_missing_git_is_a_warning_and_the_change_stays(tmp_path: Path) -> None:
    (tmp_path / "podcast.toml").write_text(TOML, encoding="utf-8")
    outcome = commit_change(tmp_path, [tmp_path / "podcast.toml"], "ada", "x", git=str(tmp_path / "no-git"))
    assert outcome.commit == "" and "not installed" in outcome.warning
    assert (tmp_path / "podcast.toml").read_text(encoding="utf-8") == TOML


@needs_git
def test_a_failing_commit_is_a_warning(tmp_path: Path) -> None:
    root = _repository(tmp_path / "show")
    (root / "podcast.toml").write_text(TOML.replace("Avant", "Après"), encoding="utf-8")
    (root / ".git/index.lock").write_text("", encoding="utf-8")  # another git is at work
    outcome = commit_change(root, [root / "podcast.toml"], "ada", "x")
    assert outcome.commit == "" and "failed" in outcome.warning
    assert "Après" in (root / "podcast.toml").read_text(encoding="utf-8")
