"""``flask staff ...``: create and manage staff accounts."""

import sys

import click
from flask.cli import AppGroup

from portal.staff import accounts, throttle, two_factor
from portal.staff.models import ROLES

staff_cli = AppGroup("staff", help="Create and manage staff accounts.")

password_stdin_option = click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of standard input."
)


def _read_password(password_stdin):
    if password_stdin:
        # The first line of standard input, without its line ending (for scripts and secrets managers).
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")


def _apply(action, *arguments, done):
    """Call an accounts service; print ``done`` (formatted with the user) or its errors, and exit 1 on an error."""
    try:
        user = action(*arguments)
    except accounts.AccountError as error:
        for message in error.messages:
            click.echo(f"Error: {message}", err=True)
        raise SystemExit(1) from None
    click.echo(done.format(user=user))


def _account_command(name, action, done, help_text):
    """Add ``flask staff NAME USERNAME``: one service call on one account."""

    @staff_cli.command(name, help=help_text)
    @click.argument("username")
    def command(username):
        _apply(action, username, done=done)

    return command


@staff_cli.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(sorted(ROLES)), required=True, help="handler or supervisor.")
@click.option("--display-name", required=True, help="The name shown to colleagues, e.g. 张敏.")
@password_stdin_option
def create_user(username, role, display_name, password_stdin):
    """Create a staff account (the password is prompted twice, or read from stdin)."""
    password = _read_password(password_stdin)
    _apply(accounts.create_user, username, role, display_name, password,
           done="Created {user.role} {user.username} ({user.display_name}).")


@staff_cli.command("set-password")
@click.argument("username")
@password_stdin_option
def set_password(username, password_stdin):
    """Set a new password; it also ends the account's sessions."""
    password = _read_password(password_stdin)
    _apply(accounts.set_password, username, password, done="Password of {user.username} changed.")


_account_command(
    "unlock", accounts.clear_sign_in_delays, "Sign-in delays of {user.username} cleared.",
    "Clear the sign-in delays of an account after failed attempts, from every address (no account is ever locked).",
)
_account_command(
    "deactivate", accounts.deactivate, "{user.username} deactivated.",
    "Deactivate an account: it can no longer sign in and its sessions end.",
)
_account_command("activate", accounts.activate, "{user.username} activated.", "Reactivate a deactivated account.")
_account_command(
    "reset-totp", two_factor.reset,
    "Two-step verification of {user.username} reset: its sessions have ended; it can be set up again after signing in.",
    "Remove an account's second factor (a lost phone); its sessions end.",
)


@staff_cli.command("list")
def list_users():
    """List the staff accounts."""
    now = accounts.utcnow()
    delays = throttle.current_delays(now)
    for user in accounts.all_staff():
        state = "active" if user.is_active else "deactivated"
        delayed_until = delays.get(throttle.account_key(user.username))
        if delayed_until:
            state += f", sign-in delayed until {delayed_until:%Y-%m-%d %H:%M} UTC"
        last = f"{user.last_login_at:%Y-%m-%d %H:%M}" if user.last_login_at else "never"
        second = "two-step on" if user.has_two_factor else "two-step off"
        click.echo(f"{user.username}\t{user.role}\t{user.display_name}\t{state}\t{second}\tlast sign-in {last}")
