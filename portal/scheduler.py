"""The scheduler process: ``flask scheduler run``.

It runs the nightly sync and keeps this node's search index caught up. It is a
process of its own, one per node, and is never started inside gunicorn workers
(each worker would run every job again).
"""

import logging
import signal
import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import click
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import current_app
from flask.cli import AppGroup, with_appcontext

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}

scheduler_cli = AppGroup("scheduler", help="The process that runs the nightly jobs.")


def sync_job(app, catch_up=None):
    """The nightly job: one sync, then the index catches up (retried with backoff by ``catch_up`` if it fails)."""
    from portal.sync.service import run_sync

    with app.app_context():
        result = run_sync(trigger="scheduler")
        log.info("scheduled %s", result.summary())
    if catch_up is not None and result.index is not None:
        catch_up.record(result.index)
    return result


def index_catch_up_job(app):
    """Bring this node's index up to the publication version if it lags; return the summary, or None if it did not."""
    from portal.index_folder import index_version
    from portal.publication.state import publication_state
    from portal.sync.service import catch_up_index

    with app.app_context():
        state = publication_state()
        if state is None:
            return None
        _downloads_catch_up()
        version = index_version(app.config["INDEX_DIR"])
        if version is not None and version >= state.version:
            return None
        return catch_up_index()


class IndexCatchUp:
    """This node's index catch-up: every ``INDEX_CATCH_UP_SECONDS``, and after a failure again with backoff.

    A catch-up that fails (the sync's, or this job's) is tried again after
    ``INDEX_CATCH_UP_RETRY_SECONDS``, then after twice as long each time, up
    to ``INDEX_CATCH_UP_RETRY_MAXIMUM_SECONDS``, instead of at the regular
    interval. While the index lags, search answers from it with every hit
    checked against the publication, and ``/healthz`` says ``degraded``.

    The scheduler calls it at every tick (``tick_seconds``); it decides
    whether an attempt is due. No job is added or removed from a job's
    thread: APScheduler's shutdown(wait=True) holds the job stores' lock
    while it waits for running jobs, so a job that touches the job stores
    would never finish.
    """

    def __init__(self, app):
        self.app = app
        self.failures = 0
        self.next_attempt = 0.0  # time.monotonic(); the first tick attempts
        self._lock = threading.Lock()  # the sync job and the ticks run in their own threads

    def tick_seconds(self):
        """How often the scheduler asks whether an attempt is due."""
        config = self.app.config
        return min(config["INDEX_CATCH_UP_SECONDS"], config["INDEX_CATCH_UP_RETRY_SECONDS"])

    def __call__(self):
        """Catch up if an attempt is due; return its summary, or None."""
        if time.monotonic() < self.next_attempt:
            return None
        return self.attempt()

    def attempt(self):
        """Catch up now, whatever the schedule; return the summary (None if the index was current)."""
        summary = index_catch_up_job(self.app)
        self.record(summary)
        return summary

    def retry_delay(self):
        """Seconds until the next attempt after ``failures`` failures in a row."""
        config = self.app.config
        base = config["INDEX_CATCH_UP_RETRY_SECONDS"]
        return min(base * 2 ** max(0, self.failures - 1), config["INDEX_CATCH_UP_RETRY_MAXIMUM_SECONDS"])

    def record(self, summary):
        """Set the next attempt: sooner after a failure (with backoff), at the regular interval after a success."""
        with self._lock:
            if summary is not None and summary.get("error"):
                self.failures += 1
                delay = self.retry_delay()
                log.warning(
                    "search index catch-up failed (%d in a row): %s; next attempt in %d s",
                    self.failures, summary["error"], delay,
                )
            else:
                if self.failures:
                    log.info("search index caught up after %d failed attempts", self.failures)
                self.failures = 0
                delay = self.app.config["INDEX_CATCH_UP_SECONDS"]
            self.next_attempt = time.monotonic() + delay


def _downloads_catch_up():
    """Regenerate this node's bulk downloads if they lag the publication (a node whose sync was skipped)."""
    try:
        from portal.opendata import downloads

        downloads.catch_up()
    except Exception:
        log.exception("bulk downloads catch-up failed; it is tried again at the next catch-up")


def complaint_retention_job(app):
    """Delete complainants' contact data past its retention period (daily)."""
    from portal.complaints.retention import purge_contacts

    with app.app_context():
        return purge_contacts()


def evidence_cleanup_job(app):
    """Finish evidence files of committed complaints, remove files of failed submissions (hourly)."""
    from portal.complaints.retention import cleanup

    with app.app_context():
        return cleanup()


def notification_job(app):
    """Send the complainants' e-mail waiting in the outbox (every MAIL_SEND_INTERVAL_SECONDS)."""
    from portal.complaints.notifications import send_pending

    with app.app_context():
        return send_pending()


def follow_mail_job(app):
    """Handle follow sign-ups and send the follow e-mail waiting in the outbox (every MAIL_SEND_INTERVAL_SECONDS)."""
    from portal.follow.outbox import send_pending

    with app.app_context():
        return send_pending()


def follow_digest_job(app):
    """Queue the daily follow digests, then delete what is kept no longer (daily at FOLLOW_DIGEST_HOUR)."""
    from portal.follow.digest import queue_digests
    from portal.follow.service import purge

    with app.app_context():
        queued = queue_digests()
        purge()
        return queued


def build_scheduler(app, scheduler_class=BlockingScheduler, sync_now=False):
    """Return a scheduler with the sync and catch-up jobs configured from ``app.config``.

    ``sync_now`` runs the sync job once as soon as the scheduler starts, then at SYNC_CRON as usual.
    """
    timezone = app.config["SYNC_TIMEZONE"]
    scheduler = scheduler_class(timezone=timezone, job_defaults=JOB_DEFAULTS)
    catch_up = IndexCatchUp(app)
    scheduler.add_job(
        sync_job,
        CronTrigger.from_crontab(app.config["SYNC_CRON"], timezone=timezone),
        args=[app, catch_up],
        id="sync",
        name="nightly sync",
        replace_existing=True,
        **({"next_run_time": datetime.now(ZoneInfo(timezone))} if sync_now else {}),
    )
    scheduler.add_job(
        catch_up,
        IntervalTrigger(seconds=catch_up.tick_seconds(), timezone=timezone),
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
    scheduler.add_job(
        notification_job,
        IntervalTrigger(seconds=app.config["MAIL_SEND_INTERVAL_SECONDS"], timezone=timezone),
        args=[app],
        id="complaint-notifications",
        name="complaint notifications (e-mail outbox)",
        replace_existing=True,
    )
    scheduler.add_job(
        follow_mail_job,
        IntervalTrigger(seconds=app.config["MAIL_SEND_INTERVAL_SECONDS"], timezone=timezone),
        args=[app],
        id="follow-mail",
        name="follow sign-ups and e-mail (outbox)",
        replace_existing=True,
    )
    scheduler.add_job(
        follow_digest_job,
        CronTrigger(hour=app.config["FOLLOW_DIGEST_HOUR"], minute=0, timezone=timezone),
        args=[app],
        id="follow-digest",
        name="daily follow digests",
        replace_existing=True,
    )
    return scheduler


@scheduler_cli.command("run")
@click.option("--sync-now", is_flag=True, help="Also run the sync once at start (a node joining late, a test).")
@with_appcontext
def run_command(sync_now):
    """Run the scheduler in the foreground until stopped."""
    from portal.search.analysis import initialize_jieba

    app = current_app._get_current_object()
    initialize_jieba(app.config["JIEBA_CACHE_DIR"])
    scheduler = build_scheduler(app, sync_now=sync_now)

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
