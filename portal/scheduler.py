"""The scheduler process: ``flask scheduler run``.

It runs the nightly sync and keeps this node's search index caught up. It is a
process of its own, one per node, and is never started inside gunicorn workers
(each worker would run every job again).
"""

import logging
import signal

import click
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import current_app
from flask.cli import AppGroup, with_appcontext

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}

scheduler_cli = AppGroup("scheduler", help="The process that runs the nightly jobs.")


def sync_job(app):
    """The nightly job: one sync, then the index catches up."""
    from portal.sync.service import run_sync

    with app.app_context():
        result = run_sync(trigger="scheduler")
        log.info("scheduled %s", result.summary())
        return result


def index_catch_up_job(app):
    """Bring this node's index up to the publication version if it lags."""
    from portal.search import index as search_index
    from portal.sync.service import catch_up_index, publication_state

    with app.app_context():
        state = publication_state()
        if state is None:
            return None
        _downloads_catch_up()
        if search_index.index_version(app.config["INDEX_DIR"]) >= state.version:
            return None
        return catch_up_index()


def _downloads_catch_up():
    """Regenerate this node's bulk downloads if they lag the publication (a node whose sync was skipped)."""
    try:
        from portal.opendata import downloads

        downloads.catch_up()
    except Exception:
        log.exception("bulk downloads catch-up failed; it is tried again at the next catch-up")


def complaint_retention_job(app):
    """Delete complainants' contact data past its retention period (daily)."""
    from portal.complaints.service import purge_contacts

    with app.app_context():
        return purge_contacts()


def evidence_cleanup_job(app):
    """Finish evidence files of committed complaints, remove files of failed submissions (hourly)."""
    from portal.complaints.service import cleanup

    with app.app_context():
        return cleanup()


def build_scheduler(app, scheduler_class=BlockingScheduler):
    """Return a scheduler with the sync and catch-up jobs configured from ``app.config``."""
    timezone = app.config["SYNC_TIMEZONE"]
    scheduler = scheduler_class(timezone=timezone, job_defaults=JOB_DEFAULTS)
    scheduler.add_job(
        sync_job,
        CronTrigger.from_crontab(app.config["SYNC_CRON"], timezone=timezone),
        args=[app],
        id="sync",
        name="nightly sync",
        replace_existing=True,
    )
    scheduler.add_job(
        index_catch_up_job,
        IntervalTrigger(seconds=app.config["INDEX_CATCH_UP_SECONDS"], timezone=timezone),
        args=[app],
        id="index-catch-up",
        name="search index catch-up",
        replace_existing=True,
    )
    scheduler.add_job(
        complaint_retention_job,
        CronTrigger(hour=3, minute=30, timezone=timezone),
        args=[app],
        id="complaint-retention",
        name="complaint contact data retention",
        replace_existing=True,
    )
    scheduler.add_job(
        evidence_cleanup_job,
        IntervalTrigger(hours=1, timezone=timezone),
        args=[app],
        id="evidence-cleanup",
        name="evidence file clean-up",
        replace_existing=True,
    )
    return scheduler


@scheduler_cli.command("run")
@with_appcontext
def run_command():
    """Run the scheduler in the foreground until stopped."""
    from portal.search.analysis import initialize_jieba

    app = current_app._get_current_object()
    initialize_jieba(app.config["JIEBA_CACHE_DIR"])
    scheduler = build_scheduler(app)

    def stop(_signum, _frame):
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    click.echo(f"scheduler: nightly sync at '{app.config['SYNC_CRON']}' ({app.config['SYNC_TIMEZONE']})")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass


def init_app(app):
    app.cli.add_command(scheduler_cli)
