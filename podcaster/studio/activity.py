"""The studio's activity log: who did what, when, one JSON object a line, only ever appended to.

Each entry is written with a single ``write`` on a file opened for appending,
so two processes logging at once never interleave inside a line; a line a
crash cut short is skipped when read. The log lives in the folder's
uncommitted working folder, beside the accounts whose names it holds.
"""

from __future__ import annotations

import json
import os
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from podcaster.folder.layout import PodcastFolder

MAX_DETAIL = 500


@dataclass(frozen=True)
class Activity:
    when: datetime
    who: str
    action: str  # created, saved, publish, unpublish, publish-failed, preview-link, show-saved, user-…
    subject: str  # an episode's slug, or "" for the whole show
    detail: str = ""


def record_activity(root: Path, activity: Activity) -> None:
    """Append *activity* to the log."""
    line = json.dumps(
        {
            "when": activity.when.astimezone(UTC).isoformat(timespec="seconds"),
            "who": activity.who,
            "action": activity.action,
            "subject": activity.subject,
            "detail": activity.detail[:MAX_DETAIL],
        },
        ensure_ascii=False,
    )
    path = PodcastFolder(root).activity_log
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        size = os.fstat(descriptor).st_size
        # A line a crash cut short gets its end, so this entry starts a line of its own.
        lead = "\n" if size and os.pread(descriptor, 1, size - 1) != b"\n" else ""
        os.write(descriptor, (lead + line + "\n").encode("utf-8"))
    finally:
        os.close(descriptor)


def recent_activity(root: Path, limit: int = 20) -> list[Activity]:
    """The last *limit* entries, newest first."""
    try:
        with PodcastFolder(root).activity_log.open(encoding="utf-8", errors="replace") as stream:
            lines = deque(stream, maxlen=limit)
    except FileNotFoundError:
        return []
    return [found for line in reversed(lines) if (found := _parse(line)) is not None]


@dataclass(frozen=True)
class ActivityPage:
    entries: list[Activity]
    number: int  # from 1, newest first
    pages: int
    total: int


def activity_page(root: Path, number: int, per_page: int = 50) -> ActivityPage:
    """Page *number* of the whole log, newest first; a page past the end is the last one."""
    try:
        with PodcastFolder(root).activity_log.open(encoding="utf-8", errors="replace") as stream:
            entries = [found for line in stream if (found := _parse(line)) is not None]
    except FileNotFoundError:
        entries = []
    pages = max(1, -(-len(entries) // per_page))
    number = min(max(1, number), pages)
    end = len(entries) - (number - 1) * per_page
    chosen = entries[max(0, end - per_page) : end]
    return ActivityPage(list(reversed(chosen)), number, pages, len(entries))


def last_publish(root: Path, scan: int = 2000) -> Activity | None:
    """The newest publish that went through, among the last *scan* entries."""
    return next((entry for entry in recent_activity(root, scan) if entry.action == "publish"), None)


def _parse(line: str) -> Activity | None:
    try:
        raw = json.loads(line)
        return Activity(
            when=datetime.fromisoformat(raw["when"]),
            who=str(raw["who"]),
            action=str(raw["action"]),
            subject=str(raw.get("subject", "")),
            detail=str(raw.get("detail", "")),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None  # a line cut short by a crash, or edited by hand
