"""``podcaster stats``: the audience for a period, and ``stats ingest`` to read access logs into it."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import click

from podcaster.actions.stats import audience_figures, audience_report, ingest_logs
from podcaster.atomic import write_atomically
from podcaster.cli.common import display, now_of, root_of, settings_of, to_stderr
from podcaster.stats.figures import Audience
from podcaster.stats.logs import FORMATS


def _day(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a day such as 2023-01-31") from None


@click.group("stats", invoke_without_command=True)
@click.option("--from", "start", callback=_day, metavar="DAY", help="First day counted (default: the first).")
@click.option(
    "--to", "end", callback=_day, metavar="DAY", help="Last day counted, included (default: the last)."
)
@click.option("--csv", "as_csv", is_flag=True, help="Print the per-episode table as CSV, for spreadsheets.")
@click.option("--json", "as_json", is_flag=True, help="Print every figure as JSON, for programs.")
@click.pass_context
def stats(ctx: click.Context, start: str | None, end: str | None, as_csv: bool, as_json: bool) -> None:
    """Downloads counted by the IAB rules: totals, per episode, per app and per country."""
    if ctx.invoked_subcommand is not None:
        return
    if as_csv and as_json:
        raise click.UsageError("--csv and --json are exclusive")
    figures = audience_figures(root_of(ctx), start, end, settings_of(ctx))
    if as_json:
        click.echo(json.dumps(figures.to_json(), ensure_ascii=False, indent=2))
    elif as_csv:
        click.echo(_csv(figures), nl=False)
    else:
        click.echo(_text(figures))


@stats.command("ingest")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--format", "log_format", type=click.Choice(FORMATS), help="The logs' format (default: detected)."
)
@click.pass_context
def ingest(ctx: click.Context, files: tuple[Path, ...], log_format: str | None) -> None:
    """Count the downloads in access logs (gzip or not); lines already read are skipped."""
    summary = ingest_logs(
        root_of(ctx),
        files,
        log_format=log_format,
        now=now_of(ctx),
        progress=to_stderr,
        settings=settings_of(ctx),
    )
    tallies = summary.tallies
    for read in summary.files:
        if not read.new_bytes:
            click.echo(f"{display(read.path)}: nothing new", err=True)
    click.echo(
        f"{tallies.lines:,} lines read: {tallies.downloads:,} downloads; not counted: "
        f"{tallies.bots:,} bot requests, {tallies.probes:,} probes, {tallies.no_agent:,} without user agent, "
        f"{tallies.partial:,} partial or repeated requests, {tallies.other:,} other requests, "
        f"{tallies.unreadable:,} unreadable lines"
    )


@stats.command("report")
@click.option(
    "--from", "start", callback=_day, metavar="DAY", help="First day reported (default: the first)."
)
@click.option(
    "--to", "end", callback=_day, metavar="DAY", help="Last day reported, included (default: the last)."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=Path("rapport.pdf"),
    show_default=True,
    help="Where to write the PDF.",
)
@click.pass_context
def report(ctx: click.Context, start: str | None, end: str | None, output: Path) -> None:
    """Write the funders' report (French, PDF): key figures, charts, each episode, the counting method."""
    pdf = audience_report(root_of(ctx), start, end, today=now_of(ctx).date(), settings=settings_of(ctx))
    write_atomically(output, pdf)
    click.echo(f"{display(output)}: {len(pdf) // 1024:,} KiB")


def _text(figures: Audience) -> str:
    lines = [f"Downloads from {figures.start} to {figures.end}: {figures.total:,}", ""]
    if figures.episodes:
        width = max(len(e.title) for e in figures.episodes)
        width = min(max(width, 7), 50)
        lines.append(f"{'Episode':<{width}}  {'period':>8}  {'7 days':>8}  {'30 days':>8}  {'all time':>8}")
        for e in figures.episodes:
            title = e.title if len(e.title) <= width else e.title[: width - 1] + "…"
            lines.append(
                f"{title:<{width}}  {e.downloads:>8,}  {e.first_7_days:>8,}  {e.first_30_days:>8,}  {e.all_time:>8,}"
            )
        lines.append("")
    for heading, counts in (
        ("Apps", figures.apps),
        ("Devices", figures.devices),
        ("Countries", figures.countries),
    ):
        if counts:
            lines.append(f"{heading}:")
            lines.extend(f"  {name:<30} {count:>8,}" for name, count in counts.items())
            lines.append("")
    return "\n".join(lines).rstrip("\n")


def _csv(figures: Audience) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["guid", "title", "released", "downloads", "first_7_days", "first_30_days", "all_time"])
    for e in figures.episodes:
        writer.writerow(
            [e.guid, e.title, e.released, e.downloads, e.first_7_days, e.first_30_days, e.all_time]
        )
    return out.getvalue()
