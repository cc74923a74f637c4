"""The ``podcaster`` command group: ``--root``, and the one place library errors become exit code 1.

Every PodcasterError a command raises is printed as ``path:line: message`` lines on stderr and
ends the run with exit code 1; click's usage errors exit 2. The commands live by job in
:mod:`~podcaster.cli.catalogue`, :mod:`~podcaster.cli.publishing`, :mod:`~podcaster.cli.importing`,
:mod:`~podcaster.cli.site`, :mod:`~podcaster.cli.users` and :mod:`~podcaster.cli.stats`, each parsing its options,
calling one action and printing its result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from podcaster.cli import catalogue, importing, publishing, site, stats, users
from podcaster.cli.common import ExitCode, print_problems
from podcaster.errors import PodcasterError


class PodcasterGroup(click.Group):
    """A group that reports the library's errors instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PodcasterError as error:
            print_problems(error.problems)
            count = len(error.problems)
            if count > 1:
                click.echo(f"{count} errors", err=True)
            ctx.exit(ExitCode.USER_ERROR)


@click.group(
    cls=PodcasterGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    help="The podcast folder (default: the nearest folder upward holding podcast.toml).",
)
@click.version_option(package_name="podcaster")
@click.pass_context
def main(ctx: click.Context, root: Path | None) -> None:
    """Publish a podcast: catalogue, feeds, storage and a small site."""
    ctx.ensure_object(dict)
    ctx.obj["root"] = root


for command in (
    catalogue.init,
    catalogue.add,
    importing.import_command,
    catalogue.check_command,
    publishing.build_command,
    catalogue.list_command,
    publishing.publish_command,
    publishing.verify,
    catalogue.tag,
    site.serve,
    site.demo,
    users.user,
    stats.stats,
):
    main.add_command(command)
