"""``flask follow ...``: what the scheduler does for following by e-mail, on demand."""

import click
from flask.cli import AppGroup

from portal.follow import digest, outbox, service

follow_cli = AppGroup("follow", help="Following organisations by e-mail: sign-ups, digests, the outbox.")


@follow_cli.command("send")
def send_command():
    """Handle the sign-ups waiting and send the follow e-mail that is due."""
    sent, failed = outbox.send_pending()
    click.echo(f"Follow e-mail: {sent} sent, {failed} failed (tried again later).")


@follow_cli.command("digest")
def digest_command():
    """Queue the digests of the list changes since each address's last one (the scheduler does it daily)."""
    click.echo(f"Digests queued: {digest.queue_digests()}.")


@follow_cli.command("purge")
def purge_command():
    """Delete unconfirmed sign-ups and sent messages older than FOLLOW_CONFIRM_DAYS."""
    forgotten, pending, messages = service.purge()
    click.echo(f"Addresses forgotten: {forgotten}, unconfirmed subscriptions: {pending}, messages: {messages}.")
