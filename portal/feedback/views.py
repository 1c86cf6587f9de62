"""我为政府网站找错: the public form, with a complaint's protections (CSRF, rate limits, bounded body,
lengths, cleaned text, a honeypot), and its acknowledgement. Staff read the reports in the console."""

import logging

from flask import current_app, make_response, render_template, request
from flask_babel import gettext as _

from portal.extensions import limiter
from portal.feedback import bp, service
from portal.feedback.models import CATEGORIES
from portal.i18n import current_language
from portal.web import limit_request_body

log = logging.getLogger(__name__)

#: A field people never see, and robots fill.
TRAP_FIELD = "website_2"
#: The form is small text: a larger body is refused before it is read.
MAX_BODY_BYTES = 32 * 1024


def _submit_limit():
    return current_app.config["SITE_ERROR_REPORT_RATE_LIMIT"]


def _form_limit():
    return current_app.config["SITE_ERROR_REPORT_FORM_RATE_LIMIT"]


def _render(template, status=200, **context):
    response = make_response(render_template(template, categories=CATEGORIES, trap_field=TRAP_FIELD, **context), status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _form(values, errors=None, status=200):
    return _render(
        "feedback/site_error.html",
        status,
        values=values,
        errors={name: [message] if message else [] for name, message in (errors or {}).items()},
        max_description=current_app.config["SITE_ERROR_REPORT_MAX_DESCRIPTION"],
        noindex=bool(values.get("page")),
    )


@bp.route("/site-error", methods=["GET", "POST"], endpoint="site_error")
@limit_request_body(lambda: MAX_BODY_BYTES)
@limiter.limit(_form_limit)
@limiter.limit(_submit_limit, methods=["POST"])
def site_error():
    """Show the form, with the page the reader came from filled in; store a report sent with it."""
    if request.method == "GET":
        page = service.page_on_this_site(request.args.get("page", ""), current_app.config["PUBLIC_BASE_URL"])
        return _form({"page": page or "", "category": "", "description": "", "contact": ""})
    values = {name: request.form.get(name, "") for name in ("page", "category", "description", "contact")}
    if request.form.get(TRAP_FIELD):
        log.info("Site error report refused: the hidden field was filled")
        return _form(values, {"form": _("The form could not be accepted. Please submit it again.")}, 400)
    try:
        report = service.submit(
            values["page"],
            values["category"],
            values["description"],
            values["contact"],
            language=current_language(),
            public_base_url=current_app.config["PUBLIC_BASE_URL"],
            max_description=current_app.config["SITE_ERROR_REPORT_MAX_DESCRIPTION"],
        )
    except service.ReportInvalid as invalid:
        return _form(values, invalid.errors, 400)
    return _render("feedback/thanks.html", report=report, noindex=True)
