"""``podcaster import``: a show from its feed, with download bars on a terminal."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

from podcaster.cli.common import ExitCode, display, given_root, print_problems, to_stderr
from podcaster.cli.importbars import ImportBars, ImportLines
from podcaster.errors import ConfigError
from podcaster.folder.layout import find_root
from podcaster.importing.importer import import_feed


@click.command("import")
@click.argument("source", required=False)
@click.option(
    "--feed-url",
    help="The address the feed will have here, e.g. https://podcast.example.org/feed.xml "
    "(needed the first time, when there is no podcast.toml yet).",
)
@click.option(
    "--season-from",
    type=click.Choice(["tags", "order"]),
    default="tags",
    show_default=True,
    help="tags: seasons and numbers from itunes:season/episode (season 1 when absent); "
    "order: everything in season 1, numbered by date.",
)
@click.option(
    "--rehost", is_flag=True, help="Download every episode's audio here, to publish it with the rest."
)
@click.option("--force", is_flag=True, help="Overwrite files edited since the last import.")
@click.option(
    "--allow-private",
    is_flag=True,
    help="Fetch from loopback and private addresses too (a feed on this machine or your own network); "
    "refused by default, so that a feed cannot reach into your network.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bars, only warnings and the summary.")
@click.pass_context
def import_command(
    ctx: click.Context,
    source: str | None,
    feed_url: str | None,
    season_from: str,
    rehost: bool,
    force: bool,
    allow_private: bool,
    quiet: bool,
) -> None:
    """Import a show from its feed (URL or file): every GUID, date and enclosure URL kept.

    Run it again to pick up new episodes: SOURCE defaults to the feed imported last time.
    """
    given = given_root(ctx)
    try:
        root = given.resolve() if given else find_root(Path.cwd())
    except ConfigError:
        root = Path.cwd()  # a new podcast folder, here
    interactive = sys.stderr.isatty() and not quiet
    reporter = ImportBars() if interactive else ImportLines(None if quiet else to_stderr)
    with reporter if isinstance(reporter, ImportBars) else contextlib.nullcontext():
        result = import_feed(
            root,
            source,
            season_from="order" if season_from == "order" else "tags",
            rehost=rehost,
            force=force,
            feed_url=feed_url,
            reporter=reporter,
            allow_private=allow_private,
        )
    print_problems(result.warnings)
    for path, guid in result.derived_guids:
        click.echo(
            f"{display(path)}: no GUID in the feed; its enclosure URL is its GUID now: {guid}", err=True
        )
    print_problems(result.skipped)
    click.echo(f"imported {result.fetched_from}")
    added_seasons = ", ".join(map(str, result.seasons_added))
    click.echo(
        f"  podcast.toml {result.show_status}"
        + (f" (seasons added: {added_seasons})" if added_seasons else "")
    )
    for path in result.added:
        click.echo(f"  added    {display(path)}")
    for path in result.updated:
        click.echo(f"  updated  {display(path)}")
    if result.downloaded:
        click.echo(f"  {len(result.downloaded)} audio files downloaded into audio/")
    click.echo(
        f"{len(result.added)} added, {len(result.updated)} updated, {len(result.unchanged)} unchanged, "
        f"{len(result.skipped)} skipped"
        + (f", {len(result.failed)} failed" if result.failed else "")
        + (f"; {result.not_in_source} episodes not in the feed kept" if result.not_in_source else "")
    )
    if result.failed:
        print_problems(result.failed)
        count = len(result.failed)
        click.echo(
            f"{count} item{'s' if count > 1 else ''} not imported (the rest was): run the import again "
            "to pick up what is missing",
            err=True,
        )
        ctx.exit(ExitCode.USER_ERROR)
    click.echo("next: podcaster check && podcaster build, then podcaster publish")
