"""``flask staff ...``: create and manage staff accounts."""

import sys

import click
from flask.cli import AppGroup

from portal.staff import accounts
from portal.staff.models import ROLES

staff_cli = AppGroup("staff", help="Create and manage staff accounts.")


def _read_password(password_stdin):
    if password_stdin:
        # The first line of standard input, without its line ending (for scripts and secrets managers).
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")


def _fail(error):
    for message in error.messages:
        click.echo(f"Error: {message}", err=True)
    raise SystemExit(1)


@staff_cli.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(sorted(ROLES)), required=True, help="handler or supervisor.")
@click.option("--display-name", required=True, help="The name shown to colleagues, e.g. 张敏.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def create_user(username, role, display_name, password_stdin):
    """Create a staff account (the password is prompted twice, or read from stdin)."""
    password = _read_password(password_stdin)
    try:
        user = accounts.create_user(username, role, display_name, password)
    except accounts.AccountError as error:
        _fail(error)
    click.echo(f"Created {user.role} {user.username} ({user.display_name}).")


@staff_cli.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def set_password(username, password_stdin):
    """Set a new password; it also unlocks the account and ends its sessions."""
    password = _read_password(password_stdin)
    try:
        user = accounts.set_password(username, password)
    except accounts.AccountError as error:
        _fail(error)
    click.echo(f"Password of {user.username} changed.")


@staff_cli.command("unlock")
@click.argument("username")
def unlock(username):
    """Lift the lockout after repeated failed sign-ins."""
    try:
        user = accounts.unlock(username)
    except accounts.AccountError as error:
        _fail(error)
    click.echo(f"{user.username} unlocked.")


@staff_cli.command("deactivate")
@click.argument("username")
def deactivate(username):
    """Deactivate an account: it can no longer sign in and its sessions end."""
    try:
        user = accounts.deactivate(username)
    except accounts.AccountError as error:
        _fail(error)
    click.echo(f"{user.username} deactivated.")


@staff_cli.command("activate")
@click.argument("username")
def activate(username):
    """Reactivate a deactivated account."""
    try:
        user = accounts.activate(username)
    except accounts.AccountError as error:
        _fail(error)
    click.echo(f"{user.username} activated.")


@staff_cli.command("list")
def list_users():
    """List the staff accounts."""
    now = accounts.utcnow()
    for user in accounts.all_staff():
        state = "active" if user.is_active else "deactivated"
        if user.is_locked(now):
            state += f", locked until {user.locked_until:%Y-%m-%d %H:%M} UTC"
        last = f"{user.last_login_at:%Y-%m-%d %H:%M}" if user.last_login_at else "never"
        click.echo(f"{user.username}\t{user.role}\t{user.display_name}\t{state}\tlast sign-in {last}")
