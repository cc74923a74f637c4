"""What every command shares: exit codes, the podcast folder and settings of this run, how paths print."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import IntEnum
from pathlib import Path

import click

from podcaster.actions import Tagged
from podcaster.errors import Problem
from podcaster.folder.layout import find_root
from podcaster.settings import Settings, settings_from_environment


class ExitCode(IntEnum):
    OK = 0
    USER_ERROR = 1  # a PodcasterError, a failed check or verification
    USAGE = 2  # click's own: unknown command or option, missing argument


def display(path: object) -> str:
    """Paths relative to the current folder when they are below it: shorter, clickable in editors."""
    if isinstance(path, Path):
        try:
            return str(path.resolve().relative_to(Path.cwd()))
        except ValueError:
            return str(path)
    return str(path) if path is not None else ""


def format_problem(problem: Problem) -> str:
    return str(
        Problem(
            display(problem.path) if problem.path else None, problem.message, problem.line, problem.severity
        )
    )


def print_problems(problems: Iterable[Problem]) -> None:
    for problem in problems:
        click.echo(format_problem(problem), err=True)


def counted(count: int, noun: str) -> str:
    """``1 episode``, ``0 episodes``, ``3 episodes``: the count and its noun agree."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def to_stderr(text: str) -> None:
    """The progress callback every command hands the library: news lines on stderr."""
    click.echo(text, err=True)


def settings_of(ctx: click.Context) -> Settings:
    """The environment's settings, read once per command at this edge and passed down."""
    root_ctx = ctx.find_root()
    root_ctx.ensure_object(dict)
    if "settings" not in root_ctx.obj:
        root_ctx.obj["settings"] = settings_from_environment()
    settings: Settings = root_ctx.obj["settings"]
    return settings


def given_root(ctx: click.Context) -> Path | None:
    """The folder given with ``--root``, if any."""
    root: Path | None = ctx.find_root().obj.get("root")
    return root


def root_of(ctx: click.Context) -> Path:
    """The podcast folder: ``--root``, else PODCASTER_ROOT, else the nearest one upward."""
    given = given_root(ctx) or settings_of(ctx).root
    return given.resolve() if given else find_root(Path.cwd())


def now_of(ctx: click.Context) -> datetime:
    # PODCASTER_NOW lets a producer preview a scheduled release ("what will the feed look like then?").
    return settings_of(ctx).clock()


def duration(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def report_tagged(results: list[Tagged]) -> None:
    """What ``tag`` (and ``publish --tag``) did to each file."""
    for result in results:
        if not result.changed:
            click.echo(f"unchanged {display(result.path)}: it already carries these tags")
            continue
        size = f"{result.before.size:,} → " if result.before else ""
        click.echo(f"tagged    {display(result.path)}  ({size}{result.after.size:,} bytes)")
    changed = sum(result.changed for result in results)
    click.echo(f"{counted(changed, 'file')} tagged, {len(results) - changed} unchanged")
