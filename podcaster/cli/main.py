"""The ``podcaster`` command: a thin shell over the library.

Every PodcasterError becomes ``path:line: message`` lines and exit code 1 here,
in one place; click's usage errors exit 2.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable
from datetime import datetime
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from podcaster.errors import ConfigError, PodcasterError, Problem
from podcaster.folder.layout import find_root
from podcaster.models import EpisodeType
from podcaster.settings import Settings, settings_from_environment

if TYPE_CHECKING:
    from podcaster.actions.tag import Tagged
    from podcaster.folder.catalogue import Catalogue
    from podcaster.media.loudness import Loudness
    from podcaster.verifying import VerifyReport


class ExitCode(IntEnum):
    OK = 0
    USER_ERROR = 1
    USAGE = 2


F = TypeVar("F", bound=Callable[..., Any])


def _display(path: object) -> str:
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
            _display(problem.path) if problem.path else None, problem.message, problem.line, problem.severity
        )
    )


def reports_errors(command: F) -> F:
    """Turn library errors into readable lines on stderr and exit code 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except PodcasterError as error:
            for problem in error.problems:
                click.echo(format_problem(problem), err=True)
            count = len(error.problems)
            if count > 1:
                click.echo(f"{count} errors", err=True)
            sys.exit(ExitCode.USER_ERROR)

    return wrapper  # type: ignore[return-value]


def _root(ctx: click.Context) -> Path:
    given: Path | None = ctx.obj.get("root") or _settings(ctx).root
    return given.resolve() if given else find_root(Path.cwd())


def _settings(ctx: click.Context) -> Settings:
    """The environment's settings, read once per command at this edge and passed down."""
    root_ctx = ctx.find_root()
    root_ctx.ensure_object(dict)
    if "settings" not in root_ctx.obj:
        root_ctx.obj["settings"] = settings_from_environment()
    settings: Settings = root_ctx.obj["settings"]
    return settings


def _now(ctx: click.Context) -> datetime:
    # PODCASTER_NOW lets a producer preview a scheduled release ("what will the feed look like then?").
    return _settings(ctx).clock()


def _print_warnings(problems: list[Problem]) -> None:
    for problem in problems:
        click.echo(format_problem(problem), err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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


@main.command()
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
@reports_errors
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
    from podcaster.actions.init import init_podcast

    folder = directory or ctx.obj.get("root") or Path.cwd()
    path = init_podcast(folder, title=title, author=author, feed_url=feed_url, language=language, email=email)
    click.echo(f"created {_display(path)}")
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


@main.command()
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
@reports_errors
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
    from podcaster.actions.add import add_episode

    added = add_episode(
        _root(ctx),
        audio,
        season=season,
        number=number,
        title=title,
        date=date,
        episode_type=EpisodeType(episode_type),
        draft=draft,
        now=_now(ctx),
    )
    media = added.media
    click.echo(f"added {_display(added.path)}")
    click.echo(f"  title    {added.title}")
    click.echo(f"  guid     {added.guid}")
    click.echo(f"  audio    {media.mime_type}, {_duration(media.duration)}, {media.size:,} bytes")
    if media.chapters:
        click.echo(f"  chapters {len(media.chapters)} from the audio's tags")
    if added.artwork:
        click.echo(f"  artwork  {_display(added.artwork)}")
    click.echo("edit its notes, then: podcaster check && podcaster publish")


@main.command("import")
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
@reports_errors
def import_feed(
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
    from podcaster.cli.importbars import ImportBars, ImportLines
    from podcaster.importing.importer import import_feed as run_import

    given: Path | None = ctx.obj.get("root")
    try:
        root = given.resolve() if given else find_root(Path.cwd())
    except ConfigError:
        root = Path.cwd()  # a new podcast folder, here
    interactive = sys.stderr.isatty() and not quiet
    reporter = (
        ImportBars() if interactive else ImportLines(None if quiet else lambda t: click.echo(t, err=True))
    )
    with reporter if isinstance(reporter, ImportBars) else contextlib.nullcontext():
        result = run_import(
            root,
            source,
            season_from="order" if season_from == "order" else "tags",
            rehost=rehost,
            force=force,
            feed_url=feed_url,
            reporter=reporter,
            allow_private=allow_private,
        )
    _print_warnings(result.warnings)
    for path, guid in result.derived_guids:
        click.echo(
            f"{_display(path)}: no GUID in the feed; its enclosure URL is its GUID now: {guid}", err=True
        )
    _print_warnings(result.skipped)
    click.echo(f"imported {result.fetched_from}")
    added_seasons = ", ".join(map(str, result.seasons_added))
    click.echo(
        f"  podcast.toml {result.show_status}"
        + (f" (seasons added: {added_seasons})" if added_seasons else "")
    )
    for path in result.added:
        click.echo(f"  added    {_display(path)}")
    for path in result.updated:
        click.echo(f"  updated  {_display(path)}")
    if result.downloaded:
        click.echo(f"  {len(result.downloaded)} audio files downloaded into audio/")
    click.echo(
        f"{len(result.added)} added, {len(result.updated)} updated, {len(result.unchanged)} unchanged, "
        f"{len(result.skipped)} skipped"
        + (f"; {result.not_in_source} episodes not in the feed kept" if result.not_in_source else "")
    )
    click.echo("next: podcaster check && podcaster build, then podcaster publish")


@main.command()
@click.option(
    "--no-loudness",
    is_flag=True,
    help="Skip measuring loudness and clipping (each audio file is decoded once, then remembered).",
)
@click.pass_context
@reports_errors
def check(ctx: click.Context, no_loudness: bool) -> None:
    """Validate catalogue, media and artwork against Apple Podcasts' and Podcasting 2.0 rules."""
    from podcaster.actions.check import check_audio, check_catalogue
    from podcaster.folder.catalogue import load_catalogue
    from podcaster.folder.mediafacts import refresh_media

    catalogue = load_catalogue(_root(ctx))
    problems: list[Problem] = []
    try:
        refresh_media(catalogue)
    except PodcasterError as error:
        problems.extend(error.problems)
    problems.extend(check_catalogue(catalogue, _now(ctx)))
    if not no_loudness:
        problems.extend(check_audio(catalogue, lambda text: click.echo(text, err=True)))
    for problem in problems:
        click.echo(format_problem(problem), err=True)
    errors = sum(1 for p in problems if p.is_error)
    warnings = len(problems) - errors
    click.echo(f"{len(catalogue.episodes)} episodes checked: {errors} errors, {warnings} warnings")
    if errors:
        sys.exit(ExitCode.USER_ERROR)


@main.command()
@click.pass_context
@reports_errors
def build(ctx: click.Context) -> None:
    """Write feeds/ (feed.xml, saison-N.xml, episodes.json) without uploading anything."""
    from podcaster.actions.build import build as build_feeds

    result = build_feeds(_root(ctx), _now(ctx), progress=lambda message: click.echo(message, err=True))
    _print_warnings(result.warnings)
    if result.up_to_date:
        click.echo("feeds are up to date: nothing changed since the last build")
        return
    for path in result.written:
        click.echo(f"wrote {_display(path)}")
    click.echo(
        f"{result.episode_count} live episodes; {len(result.written)} files written, {len(result.unchanged)} unchanged"
    )


@main.command("list")
@click.option(
    "--audio",
    "audio_figures",
    is_flag=True,
    help="Also show loudness (LUFS), sample peak (dBFS), bitrate, sample rate and channels.",
)
@click.pass_context
@reports_errors
def list_episodes(ctx: click.Context, audio_figures: bool) -> None:
    """A table of episodes: season, number, title, date, duration and state."""
    from podcaster.actions.listing import episode_states
    from podcaster.folder.catalogue import load_catalogue

    catalogue = load_catalogue(_root(ctx))
    if audio_figures:
        from podcaster.folder.mediafacts import refresh_media

        try:
            refresh_media(catalogue)  # facts for audio added since the last build (the lock is not saved)
        except PodcasterError as error:
            _print_warnings(error.problems)
    states = episode_states(catalogue, _now(ctx))
    rows: list[tuple[str, ...]] = [
        (
            str(e.season),
            str(e.number or "-"),
            e.title,
            e.date.strftime("%Y-%m-%d %H:%M"),
            _duration(media.duration) if (media := catalogue.lock.media(e.guid)) else "?",
            state,
        )
        for e, state in states
    ]
    headers: tuple[str, ...] = ("season", "ep", "title", "date", "duration", "state")
    if audio_figures:
        from podcaster.media.loudness import measure_episodes

        measured, problems = measure_episodes(catalogue, lambda text: click.echo(text, err=True))
        _print_warnings(problems)
        headers = (*headers, "LUFS", "peak", "kbps", "kHz", "ch")
        rows = [
            (*row, *_audio_cells(catalogue, e.guid, measured))
            for row, (e, _) in zip(rows, states, strict=True)
        ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    widths[2] = min(widths[2], 50)
    for row in (headers, *rows):
        cells = [
            cell if len(cell) <= widths[i] else cell[: widths[i] - 1] + "…" for i, cell in enumerate(row)
        ]
        click.echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(cells)).rstrip())


def _audio_cells(catalogue: Catalogue, guid: str, measured: dict[str, Loudness]) -> tuple[str, ...]:
    """Loudness, peak, bitrate, sample rate and channels; "?" where unknown (audio not here)."""
    media, loudness = catalogue.lock.media(guid), measured.get(guid)
    if loudness is None:
        lufs = peak = "?"
    else:
        lufs = "silent" if loudness.integrated is None else f"{loudness.integrated:.1f}"
        peak = "-inf" if loudness.sample_peak is None else f"{loudness.sample_peak:.1f}"
    if media is None:
        return (lufs, peak, "?", "?", "?")
    kbps, khz = str(round(media.bitrate / 1000)), f"{media.sample_rate / 1000:g}"
    return (lufs, peak, kbps, khz, str(media.channels))


def _duration(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@main.command()
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
@click.option(
    "--no-verify",
    is_flag=True,
    help="Do not fetch the live feed afterwards to check it as podcast apps will.",
)
@click.pass_context
@reports_errors
def publish(
    ctx: click.Context,
    storage_url: str | None,
    dry_run: bool,
    prune: bool,
    quiet: bool,
    no_verify: bool,
    tag_first: bool,
) -> None:
    """Upload what changed (audio, artwork), verify it, then the feeds, last."""
    from podcaster.actions.publish import Change
    from podcaster.actions.publish import publish as publish_catalogue
    from podcaster.cli.publishbars import BarReporter, LineReporter

    root = _root(ctx)
    if tag_first and not dry_run:
        from podcaster.actions.tag import tag_episodes

        _report_tagged(tag_episodes(root, progress=None if quiet else lambda t: click.echo(t, err=True)))
    interactive = sys.stderr.isatty() and not quiet and not dry_run
    reporter = (
        BarReporter()
        if interactive
        else LineReporter(None if quiet else lambda text: click.echo(text, err=True))
    )
    with reporter if isinstance(reporter, BarReporter) else contextlib.nullcontext():
        result = publish_catalogue(
            root,
            storage_url=storage_url,
            settings=_settings(ctx),
            dry_run=dry_run,
            prune=prune,
            reporter=reporter,
        )
    plan = result.plan
    if dry_run:
        click.echo(f"plan for {plan.storage_url}:")
        for item in plan.objects:
            click.echo(f"  {item.change.value:<9} {item.key}  {item.size:,} bytes")
        click.echo(f"{len(plan.uploads)} objects to upload ({plan.upload_bytes:,} bytes); nothing was sent")
        return
    unchanged = sum(1 for item in plan.objects if item.change is Change.UNCHANGED)
    click.echo(
        f"published to {plan.storage_url}: {len(result.uploaded)} uploaded, {unchanged} unchanged, {len(result.deleted)} deleted"
    )
    if not no_verify:
        _verify_published(root, storage_url, quiet, _now(ctx))


def _verify_published(root: Path, storage_url: str | None, quiet: bool, now: datetime) -> None:
    """After a publish: check the public side; unreachable is a warning, a failed check exit code 1."""
    from podcaster.verifying import verify_podcast

    if storage_url is not None:
        # Published somewhere else than podcast.toml says: the public URLs may not serve it.
        click.echo(
            "not verified (published with --storage): run 'podcaster verify FEED_URL' to check", err=True
        )
        return
    report = verify_podcast(root, now=now, progress=None if quiet else lambda t: click.echo(t, err=True))
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
        sys.exit(ExitCode.USER_ERROR)


@main.command()
@click.argument("feed_url", required=False)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=15.0,
    show_default=True,
    help="Seconds to wait for each server to connect and answer.",
)
@click.pass_context
@reports_errors
def verify(ctx: click.Context, feed_url: str | None, timeout: float) -> None:
    """Fetch the live feed (default: the configured one) and check it as podcast apps' crawlers do.

    Enclosures answer HEAD and ranged GETs with their length and type, artwork, transcripts and
    chapters answer, and GUIDs are those of the last publish. Exit code 1 on any failure.
    """
    from podcaster.verifying import VerifySettings, verify_feed, verify_podcast

    settings = VerifySettings(timeout=timeout)
    root: Path | None = None
    try:
        root = _root(ctx)
    except ConfigError:
        if not feed_url or ctx.obj.get("root"):
            raise
        # A feed URL outside any podcast folder: check it all but the GUIDs, which need the lock file.

    def progress(text: str) -> None:
        click.echo(text, err=True)

    if root is None:
        assert feed_url is not None
        report = verify_feed(feed_url, now=_now(ctx), settings=settings, progress=progress)
    else:
        report = verify_podcast(root, feed_url, now=_now(ctx), settings=settings, progress=progress)
    if report.unreachable is not None:
        click.echo(f"{report.feed_url}: the feed cannot be fetched: {report.unreachable}", err=True)
        sys.exit(ExitCode.USER_ERROR)
    _print_report(report)
    if not report.ok:
        sys.exit(ExitCode.USER_ERROR)


def _print_report(report: VerifyReport) -> None:
    for finding in report.findings:
        click.echo(str(finding), err=True)
    click.echo(report.summary)


@main.command()
@click.argument("slugs", nargs=-1, metavar="[SLUG]...")
@click.option(
    "--force",
    is_flag=True,
    help="Also rewrite episodes already published (their length changes: resumed downloads break"
    " and apps may download them again).",
)
@click.pass_context
@reports_errors
def tag(ctx: click.Context, slugs: tuple[str, ...], force: bool) -> None:
    """Write title, show, numbers, date, cover and chapters into each episode's audio file.

    Without SLUG, every episode not yet published. Published episodes are refused
    unless --force: new tags change the file, which listeners may have half downloaded.
    """
    from podcaster.actions.tag import tag_episodes

    _report_tagged(tag_episodes(_root(ctx), slugs, force=force, progress=lambda t: click.echo(t, err=True)))


def _report_tagged(results: list[Tagged]) -> None:
    for result in results:
        if not result.changed:
            click.echo(f"unchanged {_display(result.path)}: it already carries these tags")
            continue
        size = f"{result.before.size:,} → " if result.before else ""
        click.echo(f"tagged    {_display(result.path)}  ({size}{result.after.size:,} bytes)")
    changed = sum(result.changed for result in results)
    click.echo(f"{changed} files tagged, {len(results) - changed} unchanged")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8093, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on."
)
@click.pass_context
@reports_errors
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Serve the site, feeds and (with local storage) the media, with waitress."""
    root = _root(ctx)
    click.echo(f"serving {_display(root)} on http://{host}:{port}/  (Ctrl-C to stop)")
    _run_site(root, host=host, port=port)


@main.command()
@click.option(
    "--dir",
    "work_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to build the demo (default: a new temporary folder).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8093, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on."
)
@click.option("--no-serve", is_flag=True, help="Prepare, build and publish, then stop without serving.")
@click.pass_context
@reports_errors
def demo(ctx: click.Context, work_dir: Path | None, host: str, port: int, no_serve: bool) -> None:
    """The embedded default: sample audio for the bundled catalogue, published locally and served."""
    import tempfile

    from podcaster.actions.demo import prepare_demo
    from podcaster.actions.publish import publish as publish_catalogue

    source = _root(ctx)
    work_dir = work_dir or Path(tempfile.mkdtemp(prefix="podcaster-demo-"))
    base_url = f"http://{host}:{port}/"
    click.echo(f"making sample audio for {_display(source)} in {work_dir}")
    root = prepare_demo(source, work_dir, base_url)
    result = publish_catalogue(root, settings=_settings(ctx), reporter=None)
    click.echo(f"published {len(result.uploaded)} objects to {result.plan.storage_url}")
    click.echo(f"site      {base_url}")
    click.echo(f"feed      {base_url}feed.xml")
    click.echo(f"api       {base_url}api/episodes.json")
    click.echo(f"embed     {base_url}embed/")
    if not no_serve:
        _run_site(root, host=host, port=port)


def _run_site(root: Path, *, host: str, port: int) -> None:
    # Imported here: the library and the other commands never need Flask.
    from waitress import serve as waitress_serve

    from web import create_app

    waitress_serve(create_app(root), host=host, port=port, threads=8, ident="podcaster")
