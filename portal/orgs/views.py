"""Public pages of the organisations: the home page and the published list."""

import re

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext

from portal.orgs import service
from portal.reference import ORG_TYPES, PUBLISHED_GRADES
from portal.web import abort_with_message, current_publication

bp = Blueprint("orgs", __name__)

# ASCII digits only: int() would also take spaces, signs, underscores and other scripts' digits.
_PAGE_NUMBER = re.compile(r"[0-9]{1,9}")


def _requested_page():
    """Return the ?page= number, or stop with a 400 if it is not a positive whole number."""
    value = request.args.get("page")
    if value is None:
        return 1
    if not _PAGE_NUMBER.fullmatch(value) or int(value) < 1:
        abort_with_message(400, _("The page number must be a whole number from 1 upwards."))
    return int(value)


@bp.get("/")
def home():
    summary = service.publication_summary(current_publication())
    return render_template("orgs/home.html", summary=summary, grades=PUBLISHED_GRADES)


@bp.get("/orgs", endpoint="list")
def list_organisations():
    page = _requested_page()
    per_page = current_app.config["LIST_PAGE_SIZE"]
    rows, total = service.published_organisations(page, per_page)
    pages = service.page_count(total, per_page)
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
    return render_template(
        "orgs/list.html", rows=rows, total=total, page=page, pages=pages, org_types=ORG_TYPES
    )
