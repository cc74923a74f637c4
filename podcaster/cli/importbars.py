"""Download bars for ``podcaster import --rehost`` on a terminal (rich), and plain lines otherwise."""

from __future__ import annotations

from collections.abc import Callable

from podcaster.cli.publishbars import TransferBars, bar_label
from podcaster.importing.importer import ImportReporter


class ImportBars(TransferBars, ImportReporter):
    """One bar per download."""

    def download_started(self, name: str, total: int | None, done: int) -> None:
        if name in self.tasks:
            self.progress.update(self.tasks[name], total=total, completed=done)
        else:
            self.tasks[name] = self.progress.add_task(bar_label(name), total=total, completed=done)

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
