"""Publish and unpublish from the studio: the CLI's own ``publish``, in a thread, its progress kept.

Publishing an episode clears its ``draft`` flag, unpublishing sets it; either
way :func:`~podcaster.actions.publish.publish` then runs whole, with the same
order and guarantees as ``podcaster publish`` (media first and verified,
feeds last, the lock file after) and the same one-at-a-time lock. The flag is
written before the thread starts, so a refusal (a role, an unknown episode)
is known at once; what the publish did or why it stopped is in the job, and
in ``.podcaster/publish-jobs/ID.json``: the site may run several worker
processes, and the one that shows the progress is not always the one that
runs the publish.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from podcaster.actions.publish import publish
from podcaster.atomic import exclusive, write_atomically
from podcaster.errors import PodcasterError
from podcaster.folder.catalogue import parse_front_matter
from podcaster.folder.frontmatter import render_episode_file
from podcaster.folder.layout import PodcastFolder
from podcaster.publishing.plan import Plan, PlannedObject
from podcaster.publishing.send import PublishReporter
from podcaster.settings import Settings
from podcaster.studio.activity import Activity, record_activity
from podcaster.studio.episodes import EditRefused, find_episode_file
from podcaster.studio.roles import Permission, Role, can

MAX_MESSAGES = 50
KEEP_JOBS = 20  # the newest jobs' files are kept, so their pages still answer after they end
SAVE_EVERY = 0.5  # seconds between two saves of a job's progress while bytes flow
JOB_ID = re.compile(r"^[A-Za-z0-9_-]{16}$")


class JobState(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Action(StrEnum):
    PUBLISH = "publish"
    UNPUBLISH = "unpublish"


@dataclass
class PublishJob(PublishReporter):
    """One publish running in the background; its fields are read by other threads under its lock."""

    id: str
    action: Action
    slug: str
    who: str
    started: datetime
    state: JobState = JobState.RUNNING
    messages: list[str] = field(default_factory=list)
    total_bytes: int = 0
    sent_bytes: int = 0
    total_files: int = 0
    done_files: int = 0
    uploaded: list[str] = field(default_factory=list)
    error: str = ""
    folder: Path | None = None  # where its progress is saved for other processes to read
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _saved: float = field(default=0.0, repr=False)
    thread: threading.Thread | None = field(default=None, repr=False)

    def message(self, text: str) -> None:
        with self._lock:
            self.messages = [*self.messages, text][-MAX_MESSAGES:]
        self.save()

    def start(self, plan: Plan) -> None:
        with self._lock:
            self.total_bytes = plan.upload_bytes
            self.total_files = len(plan.uploads)
        self.save()

    def bytes_sent(self, item: PlannedObject, count: int) -> None:
        with self._lock:
            self.sent_bytes += count
        self.save(soon=True)

    def file_done(self, item: PlannedObject) -> None:
        with self._lock:
            self.done_files += 1
        self.save(soon=True)

    def end(self, state: JobState, *, error: str = "", uploaded: list[str] | None = None) -> None:
        with self._lock:
            self.state, self.error = state, error
            self.uploaded = list(uploaded or [])
        self.save()

    def save(self, *, soon: bool = False) -> None:
        """Write the progress for other processes; with *soon*, only if the last save is old enough."""
        if self.folder is None or (soon and time.monotonic() - self._saved < SAVE_EVERY):
            return
        self._saved = time.monotonic()
        progress = {**self.progress(), "pid": os.getpid(), "started": self.started.isoformat()}
        with contextlib.suppress(OSError):  # a full disk must not stop the publish itself
            self.folder.mkdir(parents=True, exist_ok=True)
            write_atomically(
                self.folder / f"{self.id}.json", json.dumps(progress).encode("utf-8"), mode=0o600
            )

    def progress(self) -> dict[str, Any]:
        """What the job has done so far, as plain values (the studio's JSON)."""
        with self._lock:
            return {
                "id": self.id,
                "action": self.action.value,
                "slug": self.slug,
                "state": self.state.value,
                "messages": list(self.messages),
                "total_bytes": self.total_bytes,
                "sent_bytes": max(0, min(self.sent_bytes, self.total_bytes)),
                "total_files": self.total_files,
                "done_files": self.done_files,
                "uploaded": list(self.uploaded),
                "error": self.error,
            }

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the job to end; whether it did within *timeout*."""
        if self.thread is not None:
            self.thread.join(timeout)
        return self.state is not JobState.RUNNING


def set_draft(root: Path, slug: str, draft: bool, role: Role) -> bool:
    """Mark *slug* as a draft (or not); whether the file changed. Only roles that publish may."""
    if not can(role, Permission.PUBLISH):
        raise EditRefused("only editors and admins publish or unpublish an episode")
    root = root.resolve()
    with exclusive(PodcastFolder(root).edit_lock):
        path = find_episode_file(root, slug)
        data, _, notes, _ = parse_front_matter(path)
        if (data.get("draft") is True) == draft:
            return False
        front = dict(data)
        front["draft"] = True if draft else None  # None drops the key: not a draft is the default
        write_atomically(path, render_episode_file(front, notes).encode("utf-8"))
    return True


def start_publish(
    root: Path,
    who: str,
    role: Role,
    now: datetime,
    *,
    action: Action = Action.PUBLISH,
    slug: str = "",
    settings: Settings | None = None,
    on_end: Callable[[PublishJob, JobState], None] | None = None,
) -> PublishJob:
    """Publish the show (after taking *slug* out of or into the drafts) in a thread; return its job.

    *on_end* is called with the job and how it ended, before the job says it ended.
    """
    if not can(role, Permission.PUBLISH):
        raise EditRefused("only editors and admins publish")
    root = root.resolve()
    if slug:
        set_draft(root, slug, action is Action.UNPUBLISH, role)
    jobs = PodcastFolder(root).publish_jobs_dir
    _sweep_jobs(jobs)
    job = PublishJob(
        id=secrets.token_urlsafe(12), action=action, slug=slug, who=who, started=now, folder=jobs
    )
    job.save()

    def run() -> None:
        state, error, uploaded = JobState.DONE, "", []
        try:
            uploaded = publish(root, now=now, reporter=job, settings=settings).uploaded
        except PodcasterError as refused:
            state, error = JobState.FAILED, str(refused)
        except Exception as unexpected:  # a thread's error must reach the page, not vanish
            state, error = JobState.FAILED, f"unexpected error: {unexpected!r}"
        # The log and the commit first: whoever sees the job ended finds them written.
        verb = action.value if state is JobState.DONE else f"{action.value}-failed"
        record_activity(root, Activity(now, who, verb, slug, error.splitlines()[0] if error else ""))
        if on_end is not None:
            on_end(job, state)
        job.end(state, error=error, uploaded=uploaded)

    job.thread = threading.Thread(target=run, name=f"studio-publish-{job.id}", daemon=True)
    job.thread.start()
    return job


def read_job(root: Path, job_id: str) -> dict[str, Any] | None:
    """A publish's progress as its process last saved it; ``None`` for an unknown job.

    A job still "running" whose process is gone (the server was stopped) is
    told as failed: nothing will finish it, and publishing again will.
    """
    if not JOB_ID.match(job_id):
        return None
    try:
        progress: dict[str, Any] = json.loads(
            (PodcastFolder(root).publish_jobs_dir / f"{job_id}.json").read_text(encoding="utf-8")
        )
    except (OSError, ValueError):
        return None
    if progress.get("state") == JobState.RUNNING.value and not _alive(int(progress.get("pid", 0))):
        progress["state"] = JobState.FAILED.value
        progress["error"] = "the server stopped during this publish; publish again to finish it"
    return progress


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def _sweep_jobs(folder: Path) -> None:
    """Keep the newest jobs' files only."""
    with contextlib.suppress(OSError):
        files = sorted(folder.glob("*.json"), key=lambda path: path.stat().st_mtime)
        for old in files[: max(0, len(files) - KEEP_JOBS + 1)]:
            old.unlink(missing_ok=True)
