"""Download bars for ``podcaster import --rehost`` on a terminal (rich), and plain lines otherwise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.progress import TaskID

from podcaster.cli.publishbars import transfer_bars
from podcaster.importing.importer import ImportReporter


class ImportBars(ImportReporter):
    """One bar per download on stderr; news lines printed above them."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.progress = transfer_bars(self.console)
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> ImportBars:
        self.progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.stop()

    def message(self, text: str) -> None:
        self.progress.console.print(text, markup=False, highlight=False)

    def download_started(self, name: str, total: int | None, done: int) -> None:
        label = name if len(name) <= 40 else "…" + name[-39:]
        if name in self.tasks:
            self.progress.update(self.tasks[name], total=total, completed=done)
        else:
            self.tasks[name] = self.progress.add_task(label, total=total, completed=done)

    def bytes_received(self, name: str, count: int) -> None:
        if name in self.tasks:
            self.progress.advance(self.tasks[name], count)

    def download_done(self, name: str) -> None:
        task = self.tasks.pop(name, None)
        if task is not None:
            self.progress.remove_task(task)


class ImportLines(ImportReporter):
    """Plain lines for logs and pipes: news, and where each download resumed."""

    def __init__(self, echo: Callable[[str], None] | None) -> None:
        self.echo = echo

    def message(self, text: str) -> None:
        if self.echo:
            self.echo(text)

    def download_started(self, name: str, total: int | None, done: int) -> None:
        if self.echo and done:
            self.echo(f"  resuming {name} at byte {done:,}")
