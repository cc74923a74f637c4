"""Commands that serve the site: ``serve`` a podcast folder, and the ``demo``."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from podcaster.cli.common import ExitCode, display, given_root, root_of, settings_of
from podcaster.folder.layout import PodcastFolder
from podcaster.folder.showfile import load_show

DEMO_EXTRA_MISSING = "podcaster demo needs the sample-audio encoder: pip install 'podcaster[demo]'"


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8093, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on."
)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Serve the site, feeds and (with local storage) the media, with waitress."""
    root = root_of(ctx)
    click.echo(f"serving {display(root)} on http://{host}:{port}/  (Ctrl-C to stop)")
    _run_site(root, host=host, port=port)


@click.command()
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
def demo(ctx: click.Context, work_dir: Path | None, host: str, port: int, no_serve: bool) -> None:
    """The embedded default: sample audio for the bundled catalogue, published locally and served."""
    try:
        # Lazy: the demo's sample audio needs lameenc, an optional extra the other commands never load.
        from podcaster.actions.demo import bundled_catalogue, run_demo
    except ModuleNotFoundError as error:
        if error.name != "lameenc":
            raise
        click.echo(DEMO_EXTRA_MISSING, err=True)
        ctx.exit(ExitCode.USER_ERROR)
    # The bundled catalogue, from any folder, unless --root or PODCASTER_ROOT names another.
    given = given_root(ctx) or settings_of(ctx).root
    source = given.resolve() if given else bundled_catalogue()
    work_dir = work_dir or Path(tempfile.mkdtemp(prefix="podcaster-demo-"))
    base_url = f"http://{host}:{port}/"
    show_file = PodcastFolder(source).show_file
    click.echo(f"making sample audio for « {load_show(source).title} » ({show_file}) in {work_dir}")
    result = run_demo(source, work_dir, base_url, settings=settings_of(ctx))
    click.echo(f"published {len(result.published.uploaded)} objects to {result.published.plan.storage_url}")
    click.echo(f"site      {base_url}")
    click.echo(f"feed      {base_url}feed.xml")
    click.echo(f"api       {base_url}api/episodes.json")
    click.echo(f"embed     {base_url}embed/")
    click.echo(
        f"studio    {base_url}studio/  (account {result.account}, password {result.password}: shown once)"
    )
    if not no_serve:
        _run_site(result.root, host=host, port=port)


def _run_site(root: Path, *, host: str, port: int) -> None:
    # Imported here: the library and the other commands never need Flask.
    from waitress import serve as waitress_serve

    from web import create_app

    waitress_serve(create_app(root), host=host, port=port, threads=8, ident="podcaster")
