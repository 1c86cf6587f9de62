"""``flask sync ...``: run and inspect the nightly sync."""

import click
from flask import current_app
from flask.cli import AppGroup

from portal.publication.state import publication_state
from portal.sync import record, service
from portal.sync.models import RUN_SUCCEEDED

sync_cli = AppGroup("sync", help="Pull credit data from the scoring database.")


@sync_cli.command("run")
@click.option("--full", is_flag=True, help="Read every row and reconcile deletions.")
@click.option("--no-index", is_flag=True, help="Do not update the search index afterwards.")
def run_command(full, no_index):
    """Run one sync now, as the scheduler does."""
    with click.progressbar(length=0, label="Reading the scoring database", show_pos=True) as bar:
        # The number of changed rows is unknown until read: show rows read so far.
        def progress(count):
            bar.length += count
            bar.update(count)

        result = service.run_sync(full=full, trigger="cli", progress=progress, update_index=not no_index)
    click.echo(result.summary())
    if result.status != RUN_SUCCEEDED and result.status != "skipped":
        raise SystemExit(1)


@sync_cli.command("status")
def status_command():
    """Show the publication state and recent runs."""
    state = publication_state()
    if state is None:
        click.echo("No successful sync yet.")
    else:
        click.echo(
            f"publication version {state.version}, {state.published_count} published, "
            f"data as of {state.data_as_of:%Y-%m-%d %H:%M:%S} UTC"
        )
    for run in record.recent_runs(10):
        click.echo(
            f"#{run.id} {run.started_at:%Y-%m-%d %H:%M:%S} {run.mode:<11} {run.trigger:<9} {run.status:<9} "
            f"read {run.rows_read} changed {run.rows_changed} +{run.published} -{run.unpublished} "
            f"rejected {run.rejected}" + (f" error: {run.error}" if run.error else "")
        )
    current_app.logger.debug("sync status printed")
