"""``flask complaints ...``: retention, clean-up, export and keys."""

import json
import sys
from datetime import datetime

import click
from flask.cli import AppGroup

from portal.complaints import crypto, exports, retention

complaints_cli = AppGroup("complaints", help="Complaints: purge contact details, clean up files, export.")


@complaints_cli.command("purge")
def purge_command():
    """Delete contact details of complaints concluded longer ago than the retention period."""
    purged = retention.purge_contacts()
    click.echo(f"Contact details purged from {purged} complaints.")


@complaints_cli.command("cleanup")
def cleanup_command():
    """Finish or delete evidence files of interrupted submissions and expired forms, and forget stale access codes."""
    counts = retention.cleanup()
    click.echo(
        f"Evidence files finished: {counts['finished']}, orphans deleted: {counts['deleted']}, "
        f"files of expired forms deleted: {counts['held_forms_deleted']}, "
        f"unshown access codes forgotten: {counts['access_codes_forgotten']}."
    )


def _parse_day(value):
    return datetime.fromisoformat(value) if value else None


@complaints_cli.command("export")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, writable=True), help="File to write (default: standard output)."
)
@click.option("--since", help="Only complaints concluded at or after this UTC date/time (YYYY-MM-DD).")
@click.option("--until", help="Only complaints concluded before this UTC date/time (YYYY-MM-DD).")
def export_command(output, since, until):
    """Export concluded complaints as JSON Lines, with per-organisation counts; no personal data."""
    try:
        since_at, until_at = _parse_day(since), _parse_day(until)
    except ValueError as error:
        raise click.BadParameter(str(error)) from error
    lines = exports.export_concluded(since=since_at, until=until_at)
    stream = open(output, "w", encoding="utf-8") if output else sys.stdout
    try:
        for line in lines:
            stream.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
    finally:
        if output:
            stream.close()


@complaints_cli.command("generate-key")
def generate_key_command():
    """Print a new key for COMPLAINT_CONTACT_KEY."""
    click.echo(crypto.generate_key())
