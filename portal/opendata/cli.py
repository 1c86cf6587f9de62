"""``flask opendata ...``: generate the bulk downloads."""

import click
from flask.cli import AppGroup

from portal.opendata import downloads
from portal.publication.state import publication_state

opendata_cli = AppGroup("opendata", help="Bulk downloads of the public list.")


@opendata_cli.command("export")
def export_command():
    """Write the public list as CSV and JSON Lines, as after each sync."""
    state = publication_state()
    total = state.published_count if state is not None else 0
    with click.progressbar(length=total, label="Exporting published organisations", show_pos=True) as bar:
        result = downloads.export_downloads(progress=bar.update)
    click.echo(result.summary())
    for item in result.files:
        click.echo(f"  {item['name']}  sha256 {item['sha256']}")


@opendata_cli.command("status")
def status_command():
    """Show the current downloads and whether they reflect the current publication."""
    try:
        manifest = downloads.read_manifest()
    except downloads.ExportUnavailable:
        click.echo("No downloads have been generated yet.")
        raise SystemExit(1)
    state = publication_state()
    version = state.version if state is not None else 0
    lag = "" if manifest["publication_version"] == version else f" (publication is at version {version}: run export)"
    click.echo(
        f"publication version {manifest['publication_version']}{lag}, data as of {manifest['data_as_of']}, "
        f"generated {manifest['generated_at']}"
    )
    for item in manifest["files"]:
        click.echo(f"  {item['name']}  {item['rows']:,} rows  {item['size']:,} bytes  sha256 {item['sha256']}")
