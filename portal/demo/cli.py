"""`flask demo ...`: write and evolve the demo scoring database."""

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.engine import make_url

from portal.demo.generator import (
    DemoDatabaseError,
    advance_night,
    demo_night,
    format_generation_summary,
    format_night_summary,
    generate_scoring_db,
)

demo_cli = AppGroup("demo", help="Write and evolve the demo scoring database.")

URL_HELP = "Scoring database URL (default: SCORING_DATABASE_URL)."


def _target_url(url):
    """Return the scoring URL to write, refusing the portal's own database."""
    url = url or current_app.config["SCORING_DATABASE_URL"]
    if make_url(url) == make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]):
        raise click.ClickException("refusing to write: that URL is the portal database")
    return url


@demo_cli.command("scoring-db")
@click.option(
    "--orgs",
    default=12000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Organisations to invent.",
)
@click.option(
    "--seed",
    default=1,
    show_default=True,
    type=int,
    help="Random seed; the same seed writes the same rows.",
)
@click.option("--url", default=None, help=URL_HELP)
def scoring_db_command(orgs, seed, url):
    """Drop, re-create and fill the demo scoring database."""
    url = _target_url(url)
    try:
        with click.progressbar(length=orgs, label="Generating organisations") as bar:
            summary = generate_scoring_db(url, orgs=orgs, seed=seed, progress=bar.update)
    except DemoDatabaseError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(format_generation_summary(summary))


@demo_cli.command("advance-night")
@click.option(
    "--seed", default=1, show_default=True, type=int, help="Random seed for this night's changes."
)
@click.option("--url", default=None, help=URL_HELP)
@click.option(
    "--changes-percent",
    default=5.0,
    show_default=True,
    type=click.FloatRange(min=0, max=100),
    help="Share of organisations that change.",
)
def advance_night_command(seed, url, changes_percent):
    """Move the demo scoring database on by one night."""
    url = _target_url(url)
    try:
        summary = advance_night(url, seed=seed, changes_percent=changes_percent)
    except DemoDatabaseError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(format_night_summary(summary))


@demo_cli.command("status")
@click.option("--url", default=None, help=URL_HELP)
def status_command(url):
    """Print the demo scoring database's current night (its latest change)."""
    night = demo_night(_target_url(url))
    click.echo("No demo scoring data yet (flask demo scoring-db)." if night is None else f"demo night: {night:%Y-%m-%d %H:%M:%S} UTC")
