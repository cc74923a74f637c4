"""Commands on the catalogue itself: ``init``, ``add``, ``check``, ``list`` and ``tag``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from podcaster.actions import EpisodeRow, add_episode, check, init_podcast, list_episodes, tag_episodes
from podcaster.cli.common import (
    counted,
    display,
    duration,
    given_root,
    now_of,
    print_problems,
    report_tagged,
    root_of,
    to_stderr,
)
from podcaster.models import EpisodeType

TITLE_WIDTH = 50  # longer titles are cut with an ellipsis so the table stays readable


@click.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", required=True, help="The show's title.")
@click.option("--author", required=True, help="Who makes the show (person or organisation).")
@click.option(
    "--feed-url",
    required=True,
    help="The public URL the feed will have, e.g. https://podcast.example.org/feed.xml",
)
@click.option("--language", default="fr", show_default=True, help="The show's language (BCP 47).")
@click.option("--email", help="The owner's e-mail, which Apple Podcasts requires.")
@click.pass_context
def init(
    ctx: click.Context,
    directory: Path | None,
    title: str,
    author: str,
    feed_url: str,
    language: str,
    email: str | None,
) -> None:
    """Create a new podcast folder: podcast.toml, episodes/ and feeds/."""
    folder = directory or given_root(ctx) or Path.cwd()
    path = init_podcast(folder, title=title, author=author, feed_url=feed_url, language=language, email=email)
    click.echo(f"created {display(path)}")
    click.echo("next: podcaster add AUDIO --season 1")


def _parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("write it like 2023-01-25T09:00:00+01:00") from None
    if parsed.tzinfo is None:
        raise click.BadParameter("add a time zone, e.g. 2023-01-25T09:00:00+01:00")
    return parsed


@click.command()
@click.argument("audio", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--season", type=click.IntRange(min=1), required=True, help="The season number.")
@click.option(
    "--episode", "number", type=click.IntRange(min=1), help="The episode number (default: the next one)."
)
@click.option("--title", help="The title (default: the audio's title tag, else its file name).")
@click.option("--date", callback=_parse_date, help="Publication date and time with time zone (default: now).")
@click.option(
    "--type",
    "episode_type",
    type=click.Choice([t.value for t in EpisodeType]),
    default="full",
    show_default=True,
    help="Episode type.",
)
@click.option(
    "--draft", is_flag=True, help="Keep it out of every feed and page until the draft line is removed."
)
@click.pass_context
def add(
    ctx: click.Context,
    audio: Path,
    season: int,
    number: int | None,
    title: str | None,
    date: datetime | None,
    episode_type: str,
    draft: bool,
) -> None:
    """Add an episode from an audio file: probe it, write its episode file with a new GUID."""
    added = add_episode(
        root_of(ctx),
        audio,
        season=season,
        number=number,
        title=title,
        date=date,
        episode_type=EpisodeType(episode_type),
        draft=draft,
        now=now_of(ctx),
    )
    media = added.media
    if added.new_season:
        click.echo(
            f'added season {season} ("{added.new_season}") to podcast.toml: rename it there if you like'
        )
    click.echo(f"added {display(added.path)}")
    click.echo(f"  title    {added.title}")
    click.echo(f"  guid     {added.guid}")
    click.echo(f"  audio    {media.mime_type}, {duration(media.duration)}, {media.size:,} bytes")
    if media.chapters:
        click.echo(f"  chapters {len(media.chapters)} from the audio's tags")
    if added.artwork:
        click.echo(f"  artwork  {display(added.artwork)}")
    click.echo("edit its notes, then: podcaster check && podcaster publish")


@click.command("check")
@click.option(
    "--no-loudness",
    is_flag=True,
    help="Skip measuring loudness and clipping (each audio file is decoded once, then remembered).",
)
@click.pass_context
def check_command(ctx: click.Context, no_loudness: bool) -> None:
    """Validate catalogue, media and artwork against Apple Podcasts' and Podcasting 2.0 rules."""
    result = check(root_of(ctx), now_of(ctx), audio=not no_loudness, progress=to_stderr)
    print_problems(result.problems)
    # Last, after every problem (click.echo flushes each line, so a shared terminal or pipe keeps this order).
    counts = (counted(len(result.errors), "error"), counted(len(result.warnings), "warning"))
    click.echo(f"{counted(result.episode_count, 'episode')} checked: {', '.join(counts)}")
    if result.exit_status:
        ctx.exit(result.exit_status)


@click.command("list")
@click.option(
    "--audio",
    "audio_figures",
    is_flag=True,
    help="Also show loudness (LUFS), sample peak (dBFS), bitrate, sample rate and channels.",
)
@click.pass_context
def list_command(ctx: click.Context, audio_figures: bool) -> None:
    """A table of episodes: season, number, title, date, duration and state."""
    result = list_episodes(root_of(ctx), now_of(ctx), audio=audio_figures, progress=to_stderr)
    print_problems(result.warnings)
    headers: tuple[str, ...] = ("season", "ep", "title", "date", "duration", "state")
    if result.audio:
        headers = (*headers, "LUFS", "peak", "kbps", "kHz", "ch")
    rows = [_cells(row, result.audio) for row in result.rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    widths[2] = min(widths[2], TITLE_WIDTH)
    for row in (headers, *rows):
        cells = [
            cell if len(cell) <= widths[i] else cell[: widths[i] - 1] + "…" for i, cell in enumerate(row)
        ]
        click.echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(cells)).rstrip())


def _cells(row: EpisodeRow, audio: bool) -> tuple[str, ...]:
    episode, media = row.episode, row.media
    cells = (
        str(episode.season),
        str(episode.number or "-"),
        episode.title,
        episode.date.strftime("%Y-%m-%d %H:%M"),
        duration(media.duration) if media else "?",
        row.state,
    )
    return (*cells, *_audio_cells(row)) if audio else cells


def _audio_cells(row: EpisodeRow) -> tuple[str, ...]:
    """Loudness, peak, bitrate, sample rate and channels; "?" where unknown (audio not here)."""
    media, loudness = row.media, row.loudness
    if loudness is None:
        lufs = peak = "?"
    else:
        lufs = "silent" if loudness.integrated is None else f"{loudness.integrated:.1f}"
        peak = "-inf" if loudness.sample_peak is None else f"{loudness.sample_peak:.1f}"
    if media is None:
        return (lufs, peak, "?", "?", "?")
    kbps, khz = str(round(media.bitrate / 1000)), f"{media.sample_rate / 1000:g}"
    return (lufs, peak, kbps, khz, str(media.channels))


@click.command()
@click.argument("slugs", nargs=-1, metavar="[SLUG]...")
@click.option(
    "--force",
    is_flag=True,
    help="Also rewrite episodes already published (their length changes: resumed downloads break"
    " and apps may download them again).",
)
@click.pass_context
def tag(ctx: click.Context, slugs: tuple[str, ...], force: bool) -> None:
    """Write title, show, numbers, date, cover and chapters into each episode's audio file.

    Without SLUG, every episode not yet published. Published episodes are refused
    unless --force: new tags change the file, which listeners may have half downloaded.
    """
    report_tagged(tag_episodes(root_of(ctx), slugs, force=force, progress=to_stderr))
