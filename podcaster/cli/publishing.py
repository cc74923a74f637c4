"""Commands that make the show public: ``build``, ``publish`` and ``verify``."""

from __future__ import annotations

import contextlib
import getpass
import sys
from datetime import datetime
from pathlib import Path

import click

from podcaster.actions import Change, build, publish, tag_episodes
from podcaster.cli.common import (
    ExitCode,
    display,
    given_root,
    now_of,
    print_problems,
    report_tagged,
    root_of,
    settings_of,
    to_stderr,
)
from podcaster.cli.publishbars import BarReporter, LineReporter
from podcaster.errors import ConfigError
from podcaster.folder.layout import PodcastFolder
from podcaster.studio import Activity, record_activity
from podcaster.verifying import VerifyReport, VerifySettings, verify_feed, verify_podcast

_NO_SITE = click.option(
    "--no-site", is_flag=True, help="Leave out the static site (site/): the feeds and media only."
)


@click.command("build")
@_NO_SITE
@click.pass_context
def build_command(ctx: click.Context, no_site: bool) -> None:
    """Write feeds/ (feed.xml, saison-N.xml, episodes.json) and the static site in site/; upload nothing."""
    root, now = root_of(ctx), now_of(ctx)
    result = build(root, now, progress=to_stderr)
    print_problems(result.warnings)
    if result.up_to_date:
        click.echo("feeds are up to date: nothing changed since the last build")
    else:
        for path in result.written:
            click.echo(f"wrote {display(path)}")
        click.echo(
            f"{result.episode_count} live episodes; {len(result.written)} files written, {len(result.unchanged)} unchanged"
        )
    if not no_site:
        _export_site(root, now)


def _export_site(root: Path, now: datetime) -> None:
    """Write the public site as static files into site/, and say what changed."""
    # The site's shell, imported only here (as 'serve' does): the other commands never load Flask.
    from web.export import export_site

    exported = export_site(root, now)
    where = display(exported.folder)
    if not exported.written and not exported.removed:
        click.echo(f"site is up to date: {exported.files} files in {where}")
        return
    click.echo(
        f"site: {exported.files} files in {where}; {len(exported.written)} written, "
        f"{len(exported.unchanged)} unchanged, {len(exported.removed)} removed"
    )


@click.command("publish")
@click.option(
    "--storage",
    "storage_url",
    help="Where to publish, overriding podcast.toml: file://PATH or s3://BUCKET[/PREFIX].",
)
@click.option(
    "--dry-run", is_flag=True, help="Print the plan (new, changed, unchanged objects) and touch nothing."
)
@click.option("--prune", is_flag=True, help="Also delete media no episode uses any more (kept by default).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars, only errors and the summary.")
@click.option(
    "--tag",
    "tag_first",
    is_flag=True,
    help="First write the tags of episodes not yet published into their audio (see 'podcaster tag').",
)
@_NO_SITE
@click.option(
    "--no-verify",
    is_flag=True,
    help="Do not fetch the live feed afterwards to check it as podcast apps will.",
)
@click.pass_context
def publish_command(
    ctx: click.Context,
    storage_url: str | None,
    dry_run: bool,
    prune: bool,
    quiet: bool,
    no_verify: bool,
    tag_first: bool,
    no_site: bool,
) -> None:
    """Upload what changed (audio, artwork, the static site), verify it, then the feeds, last."""
    # Tagging, publishing and verifying are three actions, called in turn so that each one's
    # summary prints before the next starts (verifying waits on the network, up to its timeouts).
    root = root_of(ctx)
    progress = None if quiet else to_stderr
    if tag_first and not dry_run:
        report_tagged(tag_episodes(root, progress=progress))
    if not no_site and not dry_run and PodcastFolder(root).site_dir.is_dir():
        # A site 'build' exported must show what the feeds will: build first (it probes new audio),
        # then export again. Without site/ (never built, or built with --no-site) no site goes up.
        build(root, now_of(ctx), progress=progress)
        _export_site(root, now_of(ctx))
    interactive = sys.stderr.isatty() and not quiet and not dry_run
    reporter = BarReporter() if interactive else LineReporter(progress)
    with reporter if isinstance(reporter, BarReporter) else contextlib.nullcontext():
        result = publish(
            root,
            storage_url=storage_url,
            settings=settings_of(ctx),
            dry_run=dry_run,
            prune=prune,
            reporter=reporter,
            site=not no_site,
        )
    plan = result.plan
    if dry_run:
        click.echo(f"plan for {plan.storage_url}:")
        for item in plan.objects:
            click.echo(f"  {item.change.value:<9} {item.key}  {item.size:,} bytes")
        click.echo(f"{len(plan.uploads)} objects to upload ({plan.upload_bytes:,} bytes); nothing was sent")
        return
    if result.uploaded or result.deleted:
        # The studio's overview and log tell the last publish, from wherever it was run (not a cron
        # run that found nothing to do: those would bury every other entry).
        who = f"{_login()} (terminal)"
        with contextlib.suppress(OSError):  # the publish went through: a log it cannot write is no failure
            record_activity(
                root, Activity(now_of(ctx), who, "publish", "", f"{len(result.uploaded)} uploaded")
            )
    unchanged = sum(1 for item in plan.objects if item.change is Change.UNCHANGED)
    click.echo(
        f"published to {plan.storage_url}: {len(result.uploaded)} uploaded, {unchanged} unchanged, {len(result.deleted)} deleted"
    )
    if not no_verify:
        _verify_published(ctx, root, storage_url, quiet, now_of(ctx))


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return "?"


def _verify_published(
    ctx: click.Context, root: Path, storage_url: str | None, quiet: bool, now: datetime
) -> None:
    """After a publish: check the public side; unreachable is a warning, a failed check exit code 1."""
    if storage_url is not None:
        # Published somewhere else than podcast.toml says: the public URLs may not serve it.
        click.echo(
            "not verified (published with --storage): run 'podcaster verify FEED_URL' to check", err=True
        )
        return
    report = verify_podcast(root, now=now, progress=None if quiet else to_stderr)
    if report.unreachable is not None:
        click.echo(
            f"warning: the public feed {report.feed_url} could not be reached ({report.unreachable}); "
            "the storage checks passed, so the publish stands. Run 'podcaster verify' once it is online "
            "(DNS, CDN, network)",
            err=True,
        )
        return
    _print_report(report)
    if not report.ok:
        click.echo(
            "the storage holds everything, but the public side fails the checks above "
            "(as podcast apps fetch it): fix them, then run 'podcaster verify'",
            err=True,
        )
        ctx.exit(ExitCode.USER_ERROR)


@click.command()
@click.argument("feed_url", required=False)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=15.0,
    show_default=True,
    help="Seconds to wait for each server to connect and answer.",
)
@click.pass_context
def verify(ctx: click.Context, feed_url: str | None, timeout: float) -> None:
    """Fetch the live feed (default: the configured one) and check it as podcast apps' crawlers do.

    Enclosures answer HEAD and ranged GETs with their length and type, artwork, transcripts and
    chapters answer, and GUIDs are those of the last publish. Exit code 1 on any failure.
    """
    settings = VerifySettings(timeout=timeout)
    root: Path | None = None
    try:
        root = root_of(ctx)
    except ConfigError:
        if not feed_url or given_root(ctx):
            raise
        # A feed URL outside any podcast folder: check it all but the GUIDs, which need the lock file.
    if root is None:
        assert feed_url is not None
        report = verify_feed(feed_url, now=now_of(ctx), settings=settings, progress=to_stderr)
    else:
        report = verify_podcast(root, feed_url, now=now_of(ctx), settings=settings, progress=to_stderr)
    if report.unreachable is not None:
        click.echo(f"{report.feed_url}: the feed cannot be fetched: {report.unreachable}", err=True)
        ctx.exit(ExitCode.USER_ERROR)
    _print_report(report)
    if not report.ok:
        ctx.exit(ExitCode.USER_ERROR)


def _print_report(report: VerifyReport) -> None:
    for finding in report.findings:
        click.echo(str(finding), err=True)
    click.echo(report.summary)
