"""Public pages of the organisations: home, the published list, credit reports, changes, about."""

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import ngettext

from portal import charts
from portal.badges.service import report_badge
from portal.orgs import service
from portal.orgs.change_record import change_record
from portal.orgs.metadata import organisation_json_ld
from portal.orgs.changes import first_publication_line, group_by_day, list_changes, public_state_on, recent_changes
from portal.orgs.report import credit_report
from portal.clock import local_today, parse_iso_date
from portal.grades import PUBLISHED_GRADES
from portal.pagecache import cached_page
from portal.publication.changes import EXIT_REASON_LABELS
from portal.publication.field_history import FIELD_LABELS
from portal.publication.models import CHANGE_ENTRY, CHANGE_EXIT, CHANGE_TYPES
from portal.publication.state import publication_summary
from portal.reference import DISTRICTS, EVENT_STATUSES, LIST_TYPES, ORG_TYPES, REGISTRATION_STATUSES
from portal.uscc import check_uscc
from portal.web import abort_with_message, current_publication, requested_page

bp = Blueprint("orgs", __name__)

#: How many entries and exits the home page lists.
RECENT_CHANGES = 10

# ASCII digits only: int() would also take spaces, signs, underscores and other scripts' digits.
# How much of a visitor's input an error message repeats.
_ECHO_LENGTH = 40


def _echo(value):
    return value if len(value) <= _ECHO_LENGTH else value[:_ECHO_LENGTH] + "…"


def _timezone():
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def _translated(labels):
    """Return {code: label} with lazy labels translated once, for pages that repeat them in every row."""
    return {code: str(label) for code, label in labels.items()}


def _check_page_exists(page, pages):
    if page > pages:
        abort_with_message(
            404,
            ngettext(
                "There is no page %(page)s: the list has %(num)s page.",
                "There is no page %(page)s: the list has %(num)s pages.",
                pages,
                page=page,
            ),
        )


def _requested_choice(name, allowed, message):
    """Return ?name= if it is one of ``allowed``, None if absent or empty; stop with a 400 otherwise.

    ``message`` is called with the (shortened) value to explain the 400.
    """
    values = request.args.getlist(name)
    if len(values) > 1:
        abort_with_message(400, _("Choose at most one value for “%(name)s”.", name=name))
    value = values[0].strip() if values else ""
    if value == "":
        return None
    if value not in allowed:
        abort_with_message(400, message(_echo(value)))
    return value


def _requested_date(name):
    """Return ?name= as a date (YYYY-MM-DD), None if absent or empty; stop with a 400 otherwise."""
    value = request.args.get(name, "").strip()
    if value == "":
        return None
    try:
        return parse_iso_date(value)
    except ValueError:
        abort_with_message(
            400,
            _(
                "“%(value)s” is not a valid date for “%(name)s”. "
                "Write dates as year-month-day, for example 2026-11-29.",
                value=_echo(value),
                name=name,
            ),
        )


# -- home ------------------------------------------------------------------------


@bp.get("/")
@cached_page
def home():
    summary = publication_summary(current_publication())
    timezone = _timezone()
    return render_template(
        "orgs/home.html",
        summary=summary,
        grades=PUBLISHED_GRADES,
        entries=recent_changes(CHANGE_ENTRY, RECENT_CHANGES, timezone),
        exits=recent_changes(CHANGE_EXIT, RECENT_CHANGES, timezone),
        exit_reasons=EXIT_REASON_LABELS,
    )


# -- the published list ------------------------------------------------------------


def _list_filters():
    """Return the list's filters from the query string; stop with a 400 on an unknown value."""
    return {
        "grade": _requested_choice(
            "grade",
            service.LIST_FILTERS["grade"],
            lambda value: _(
                "Only organisations rated A or B are published, so the grade can only be A or B (not “%(value)s”).",
                value=value,
            ),
        ),
        "type": _requested_choice(
            "type",
            service.LIST_FILTERS["type"],
            lambda value: _("“%(value)s” is not an organisation type. Choose one from the list.", value=value),
        ),
        "district": _requested_choice(
            "district",
            service.LIST_FILTERS["district"],
            lambda value: _("“%(value)s” is not a district code of Beijing. Choose one from the list.", value=value),
        ),
        "evaluation": _requested_choice(
            "evaluation",
            service.LIST_FILTERS["evaluation"],
            lambda value: _(
                "“%(value)s” is not an evaluation level. Choose 1A to 5A, or not evaluated.", value=value
            ),
        ),
    }


@bp.get("/orgs", endpoint="list")
@cached_page
def list_organisations():
    filters = _list_filters()
    sort = (
        _requested_choice(
            "sort",
            service.LIST_SORTS,
            lambda value: _("“%(value)s” is not a way to sort the list. Choose one from the list.", value=value),
        )
        or service.DEFAULT_SORT
    )
    page = requested_page()
    per_page = current_app.config["LIST_PAGE_SIZE"]
    rows, total = service.published_organisations(filters, sort, page, per_page)
    pages = service.page_count(total, per_page)
    _check_page_exists(page, pages)
    return render_template(
        "orgs/list.html",
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        filters=filters,
        filtered=any(value is not None for value in filters.values()),
        sort=sort,
        counts=service.filter_counts(filters),
        options=service.LIST_FILTERS,
        org_types=_translated(ORG_TYPES),
        districts=_translated(DISTRICTS),
        today=local_today(_timezone()),
    )


# -- the credit report ---------------------------------------------------------------


@bp.get("/org/<uscc>", endpoint="report")
@cached_page
def report(uscc):
    check = check_uscc(uscc)
    if check.problem is not None:
        return render_template("orgs/invalid_uscc.html", check=check, shown_code=_echo(check.code)), 400
    if check.code != uscc:
        return redirect(url_for("orgs.report", uscc=check.code, **request.args.to_dict(flat=False)), 301)
    timezone = _timezone()
    if request.args.get("as_of", "").strip():
        return _report_as_of(check.code, timezone)
    organisation_report = credit_report(check.code, local_today(timezone), timezone)
    if organisation_report is None:
        # The same page for every code the public may not see: it must not
        # tell a C-graded, cancelled or unknown organisation apart.
        return render_template("orgs/not_published.html", uscc=check.code), 404
    bands = organisation_report.rule_set.grade_bands if organisation_report.rule_set else ()
    return render_template(
        "orgs/report.html",
        report=organisation_report,
        org=organisation_report.organisation,
        json_ld=organisation_json_ld(organisation_report.organisation, _data_as_of()),
        dimension_chart=charts.dimension_bars(organisation_report.dimensions),
        history_chart=charts.score_line(organisation_report.history, bands),
        change_record=change_record(check.code, timezone),
        field_labels=FIELD_LABELS,
        badge=report_badge(check.code, organisation_report.organisation.name),
        org_types=ORG_TYPES,
        districts=DISTRICTS,
        registration_statuses=REGISTRATION_STATUSES,
        event_statuses=EVENT_STATUSES,
        list_types=LIST_TYPES,
    )


def _data_as_of():
    publication = current_publication()
    return publication.data_as_of if publication is not None else None


def _report_as_of(uscc, timezone):
    """Show what the public list showed of ``uscc`` at the end of ?as_of= (a Beijing date)."""
    day = _requested_date("as_of")
    today = local_today(timezone)
    if day > today:
        abort_with_message(
            400,
            _(
                "%(date)s is in the future: the public list can only be shown as it was on a past date or today (%(today)s).",
                date=format_date(day, "long"),
                today=format_date(today, "long"),
            ),
        )
    state = public_state_on(uscc, day, timezone)
    status = 200 if state.published else 404
    chart = None
    if state.published:
        bands = state.rule_set.grade_bands if state.rule_set else ()
        chart = charts.score_line(state.history, bands)
    return (
        render_template(
            "reports/as_of.html",
            state=state,
            uscc=uscc,
            today=today,
            history_chart=chart,
            dimension_chart=charts.dimension_bars(state.dimensions) if state.dimensions else None,
        ),
        status,
    )


# -- changes to the public list --------------------------------------------------------


def requested_change_filters():
    """Return (change type, from, to) of /changes and its downloads; stop with a 400 on a bad one."""
    change_type = _requested_choice(
        "type",
        CHANGE_TYPES,
        lambda value: _("“%(value)s” is not a kind of change. Choose entries, exits or grade changes.", value=value),
    )
    date_from = _requested_date("from")
    date_to = _requested_date("to")
    if date_from and date_to and date_from > date_to:
        abort_with_message(400, _("The start date (“from”) must not be later than the end date (“to”)."))
    return change_type, date_from, date_to


@bp.get("/changes")
@cached_page
def changes():
    change_type, date_from, date_to = requested_change_filters()
    page = requested_page()
    per_page = current_app.config["LIST_PAGE_SIZE"]
    lines, total = list_changes(change_type, date_from, date_to, page, per_page, _timezone())
    pages = service.page_count(total, per_page)
    _check_page_exists(page, pages)
    return render_template(
        "orgs/changes.html",
        days=group_by_day(lines),
        first_publication=first_publication_line(change_type, date_from, date_to, _timezone()),
        exit_reasons=EXIT_REASON_LABELS,
        total=total,
        page=page,
        pages=pages,
        change_type=change_type,
        date_from=date_from,
        date_to=date_to,
        filtered=bool(change_type or date_from or date_to),
        change_types=CHANGE_TYPES,
    )


# -- about --------------------------------------------------------------------------------


@bp.get("/about")
@cached_page
def about():
    return render_template("orgs/about.html", publication=current_publication())
