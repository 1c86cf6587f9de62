"""The public status page of the nightly sync (registered by ``portal.sync.init_app``)."""

from flask import Blueprint, current_app, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal import working_days
from portal.clock import utcnow
from portal.rules.labels import PROBLEM_LABELS
from portal.sync import record
from portal.sync.models import (
    ERROR_INTERNAL,
    ERROR_INTERRUPTED,
    ERROR_LOCK_HELD,
    ERROR_SCORING_UNAVAILABLE,
    RUN_FAILED,
    RUN_RUNNING,
    RUN_SKIPPED,
    RUN_SUCCEEDED,
)
from portal.web import current_publication

bp = Blueprint("sync", __name__)

RECENT_RUNS = 20

RUN_STATUSES = {
    RUN_RUNNING: _l("Running"),
    RUN_SUCCEEDED: _l("Succeeded"),
    RUN_FAILED: _l("Failed"),
    RUN_SKIPPED: _l("Skipped"),
}
RUN_MODES = {"incremental": _l("Incremental"), "full": _l("Full")}
RUN_TRIGGERS = {"cli": _l("Command line"), "scheduler": _l("Scheduler"), "test": _l("Test")}

#: Why a run did not succeed. The details (hosts, drivers' messages) stay in
#: the run record for operators and are never shown publicly.
RUN_ERRORS = {
    ERROR_SCORING_UNAVAILABLE: _l("The credit assessment database could not be reached. The previous data stays published."),
    ERROR_LOCK_HELD: _l("Another update was already running."),
    ERROR_INTERRUPTED: _l("The update was interrupted. The previous data stays published."),
    ERROR_INTERNAL: _l("The update failed. The previous data stays published."),
}


def duration_label(seconds):
    """Return a run's duration as minutes and seconds, or None while it runs."""
    if seconds is None:
        return None
    minutes, seconds = divmod(round(seconds), 60)
    if minutes:
        return _("%(minutes)d min %(seconds)d s", minutes=minutes, seconds=seconds)
    return _("%(seconds)d s", seconds=seconds)


@bp.get("/status")
def status():
    return render_template(
        "sync/status.html",
        publication=current_publication(),
        runs=record.recent_runs(RECENT_RUNS),
        statuses=RUN_STATUSES,
        modes=RUN_MODES,
        triggers=RUN_TRIGGERS,
        errors=RUN_ERRORS,
        duration_label=duration_label,
        quality=record.data_quality(),
        problem_labels=PROBLEM_LABELS,
        missing_holiday_year=working_days.missing_schedule_now(current_app.config, utcnow()),
    )
