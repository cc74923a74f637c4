"""Progress bars for ``publish`` on a terminal: one per file and one overall (rich)."""

from __future__ import annotations

import threading
from typing import Any, Self

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from podcaster.actions.publish import Plan, PlannedObject, PublishReporter


def transfer_bars(console: Console) -> Progress:
    """Bars showing bytes moved, speed and time left: the same for uploads and downloads."""
    return Progress(
        TextColumn("{task.description}", justify="left"),
        BarColumn(),
        DownloadColumn(binary_units=True),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def bar_label(name: str) -> str:
    """A file's name as its bar shows it: the end of it, when it is long."""
    return name if len(name) <= 40 else "…" + name[-39:]


class TransferBars:
    """Bars on stderr while files move, shown between ``with`` and its end; news lines printed above."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.progress = transfer_bars(self.console)
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> Self:
        self.progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.stop()

    def message(self, text: str) -> None:
        self.progress.console.print(text, markup=False, highlight=False)


class BarReporter(TransferBars, PublishReporter):
    """Draws a bar per uploaded file and one overall."""

    def __init__(self, console: Console | None = None) -> None:
        super().__init__(console)
        self.overall: TaskID | None = None
        self._lock = threading.Lock()  # files are uploaded from several threads at once

    def start(self, plan: Plan) -> None:
        if plan.uploads:
            self.overall = self.progress.add_task("total", total=plan.upload_bytes)

    def file_started(self, item: PlannedObject) -> None:
        task = self.progress.add_task(bar_label(item.key), total=item.size)
        with self._lock:
            self.tasks[item.key] = task

    def bytes_sent(self, item: PlannedObject, count: int) -> None:
        with self._lock:
            task = self.tasks.get(item.key)
        if task is not None:
            self.progress.advance(task, count)
        if self.overall is not None:
            self.progress.advance(self.overall, count)

    def file_done(self, item: PlannedObject) -> None:
        with self._lock:
            task = self.tasks.pop(item.key, None)
        if task is not None:
            self.progress.remove_task(task)
        self.progress.console.print(
            f"uploaded {item.key} ({item.size:,} bytes)", markup=False, highlight=False
        )


class LineReporter(PublishReporter):
    """Plain lines, for logs and pipes (no terminal) — or nothing at all with --quiet."""

    def __init__(self, echo: Any | None) -> None:
        self.echo = echo

    def message(self, text: str) -> None:
        if self.echo:
            self.echo(text)

    def file_done(self, item: PlannedObject) -> None:
        if self.echo:
            self.echo(f"uploaded {item.key} ({item.size:,} bytes)")
