"""``podcaster user``: the studio's accounts. Passwords are prompted (twice) or read from standard input."""

from __future__ import annotations

import sys

import click

from podcaster.cli.common import display, root_of
from podcaster.folder.layout import PodcastFolder
from podcaster.studio import (
    MIN_PASSWORD,
    Role,
    add_user,
    check_name,
    check_password,
    load_users,
    remove_user,
    set_password,
)

ROLES = [role.value for role in Role]


@click.group()
def user() -> None:
    """Studio accounts: add, list, remove, change a password."""


@user.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    required=True,
    help="author: drafts only; editor: every episode, and publish; admin: also accounts and the show.",
)
@click.pass_context
def add_command(ctx: click.Context, name: str, role: str) -> None:
    """Create the account NAME; its password is asked for, never given on the command line."""
    root = root_of(ctx)
    name = check_name(name)  # a bad name is refused before a password is asked for
    created = add_user(root, name, Role(role), _password(f"password for {name}"))
    click.echo(f"added {created.name} ({created.role}) to {display(PodcastFolder(root).users_file)}")


@user.command("list")
@click.pass_context
def list_command(ctx: click.Context) -> None:
    """Every account: name, role, when its password last changed."""
    users = load_users(root_of(ctx))
    if not users:
        click.echo("no account yet: add one with 'podcaster user add NAME --role admin'")
        return
    width = max(len(name) for name in users)
    for account in users.values():
        click.echo(
            f"{account.name.ljust(width)}  {account.role.value.ljust(6)}  password set {account.changed}"
        )


@user.command("remove")
@click.argument("name")
@click.pass_context
def remove_command(ctx: click.Context, name: str) -> None:
    """Delete the account NAME; its sessions end at their next request."""
    removed = remove_user(root_of(ctx), name)
    click.echo(f"removed {removed.name}")


@user.command("passwd")
@click.argument("name")
@click.pass_context
def passwd_command(ctx: click.Context, name: str) -> None:
    """Give NAME a new password; its sessions end at their next request."""
    changed = set_password(root_of(ctx), name, _password(f"new password for {name}"))
    click.echo(f"password changed for {changed.name}")


def _password(prompt: str) -> str:
    """Prompted twice at a terminal; otherwise the first line of standard input (for scripts)."""
    if sys.stdin.isatty():
        password: str = click.prompt(
            f"{prompt} (at least {MIN_PASSWORD} characters)", hide_input=True, confirmation_prompt=True
        )
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    check_password(password)
    return password
