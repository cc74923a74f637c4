"""Each studio change as a git commit, when the podcast folder is a git repository of its own.

The CLI, git and the browser are three views of one truth: a producer's save
in the studio becomes a commit whose author is that producer, so ``git log``
says who changed what as it does for changes made in a terminal. Only the
paths the change wrote are committed (whatever else is staged or modified is
left alone), never anything in ``.podcaster/`` (accounts, uploads, logs),
never a path the folder's ``.gitignore`` leaves out (audio). git runs as a
plain program with a fixed argument list, no shell, no hooks, no signing and
no prompt; when it is missing or fails, the change stays saved and the
caller gets a warning to log.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from podcaster.atomic import exclusive
from podcaster.folder.layout import PodcastFolder, ignore_work_dir

GIT_SECONDS = 30
EMAIL_DOMAIN = "studio.invalid"  # RFC 2606: a name that can never be anyone's real address
MAX_MESSAGE = 200


@dataclass(frozen=True)
class CommitOutcome:
    commit: str = ""  # the new commit's hash; "" when nothing was committed
    warning: str = ""  # why a commit that was due did not happen (the change itself is saved)


def author_of(who: str) -> str:
    """``Name <name@studio.invalid>`` for the account *who* (account names are plain already)."""
    name = re.sub(r"[^a-z0-9._-]", "", who.lower()) or "studio"
    return f"{name} <{name}@{EMAIL_DOMAIN}>"


def commit_change(
    root: Path, paths: Iterable[Path], who: str, message: str, *, git: str = "git"
) -> CommitOutcome:
    """Commit *paths* as *who*, if *root* is a repository's top; those git ignores are left out.

    A path that no longer exists is committed as removed when git tracked it
    (an episode moved to another season is a removal and an addition).
    """
    root = root.resolve()
    folder = PodcastFolder(root)
    work = folder.users_file.parent
    try:
        top = _git(git, root, "rev-parse", "--show-toplevel")
    except FileNotFoundError:
        return CommitOutcome(warning=f"git ({git}) is not installed: the change is saved but not committed")
    except (OSError, subprocess.SubprocessError) as error:
        return CommitOutcome(warning=f"git could not run ({error}): the change is saved but not committed")
    if top.returncode != 0 or Path(top.stdout.strip()).resolve() != root:
        return CommitOutcome()  # not a repository, or a folder inside a larger one: not ours to commit to
    ignore_work_dir(folder)
    names = sorted(
        {
            folder.relative(path)
            for path in (Path(p).resolve() for p in paths)
            if path.is_relative_to(root) and not path.is_relative_to(work) and not path.is_dir()
        }
    )
    if not names:
        return CommitOutcome()
    summary = " ".join(message.split())[:MAX_MESSAGE] or "studio change"
    try:
        with exclusive(folder.edit_lock):
            return _commit(git, root, names, author_of(who), summary)
    except (OSError, subprocess.SubprocessError) as error:
        return CommitOutcome(warning=f"git could not run ({error}): the change is saved but not committed")


def _commit(git: str, root: Path, names: list[str], author: str, message: str) -> CommitOutcome:
    ignored = _git(git, root, "check-ignore", "--", *names)
    if ignored.returncode == 0:  # 0: some are ignored; 1: none is
        skipped = set(ignored.stdout.splitlines())
        names = [name for name in names if name not in skipped]
    # A path the change removed (an episode moved to another season, a file detached) is committed as
    # removed when git tracked it; one that never existed for git is nobody's business.
    missing = [name for name in names if not (root / name).is_file()]
    if missing:
        tracked = set(_git(git, root, "ls-files", "--", *missing).stdout.splitlines())
        names = [name for name in names if name not in missing or name in tracked]
    if not names:
        return CommitOutcome()
    added = _git(git, root, "add", "-A", "--", *names)
    if added.returncode != 0:
        return _failed("git add", added)
    if _git(git, root, "diff", "--cached", "--quiet", "--", *names).returncode == 0:
        return CommitOutcome()  # written again with the same bytes: nothing to commit
    # A server often has no identity of its own: the studio is then the committer, the producer the author.
    has_identity = _git(git, root, "config", "user.email").returncode == 0
    identity = (
        []
        if has_identity
        else ["-c", "user.name=podcaster studio", "-c", f"user.email=studio@{EMAIL_DOMAIN}"]
    )
    done = _git(
        git,
        root,
        *identity,
        "-c",
        "commit.gpgsign=false",
        "commit",
        "--no-verify",
        "--quiet",
        f"--author={author}",
        "-m",
        message,
        "--",
        *names,
    )
    if done.returncode != 0:
        return _failed("git commit", done)
    head = _git(git, root, "rev-parse", "HEAD")
    return CommitOutcome(commit=head.stdout.strip())


def _failed(what: str, result: subprocess.CompletedProcess[str]) -> CommitOutcome:
    reason = (result.stderr or result.stdout).strip().splitlines()
    return CommitOutcome(
        warning=f"{what} failed ({reason[-1] if reason else result.returncode}): not committed"
    )


def _git(git: str, root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [git, "-C", str(root), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=GIT_SECONDS,
        check=False,
    )
