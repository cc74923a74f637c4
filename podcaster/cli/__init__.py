"""The ``podcaster`` command: click commands over the library's actions, and the progress bars."""

from podcaster.cli.main import main

__all__ = ["main"]
