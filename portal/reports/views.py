"""Verifiable credit reports: the PDF, the printable page and the verify page."""

import logging
from urllib.parse import urlsplit

import segno
from flask import Blueprint, current_app, g, make_response, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.exceptions import ServiceUnavailable

from portal.characters import clean_text
from portal.extensions import limiter
from portal.origin import public_base_url, public_url
from portal.reference import DISTRICTS, EVENT_STATUSES, LIST_TYPES, ORG_TYPES, REGISTRATION_STATUSES
from portal.reports import display, pdf, pdf_cache, service
from portal.uscc import check_uscc
from portal.web import abort_with_message, current_publication

log = logging.getLogger(__name__)

bp = Blueprint("reports", __name__)

# How much of a visitor's input an error message repeats.
_ECHO_LENGTH = 80


def _echo(value):
    """Return typed text to show back: cut short, without control characters (a NUL is not HTML)."""
    value = clean_text(value)[0]
    return value if len(value) <= _ECHO_LENGTH else value[:_ECHO_LENGTH] + "…"


def _timezone():
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def _report_limit():
    return current_app.config["REPORT_RATE_LIMIT"]


def _verify_limit():
    return current_app.config["REPORT_VERIFY_RATE_LIMIT"]


def _not_for_search_engines(response, cache_control="no-cache"):
    # Issued reports and verifications are for people holding a report, not for crawlers.
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Cache-Control"] = cache_control
    return response


def _checked_code(uscc, endpoint):
    """Return (code, None) for a valid, normalised code; (None, response) for a redirect or a 400."""
    check = check_uscc(uscc)
    if check.problem is not None:
        shown = check.code if len(check.code) <= 40 else check.code[:40] + "…"
        return None, (render_template("orgs/invalid_uscc.html", check=check, shown_code=shown), 400)
    if check.code != uscc:
        return None, redirect(url_for(endpoint, uscc=check.code, **request.args.to_dict(flat=False)), 301)
    return check.code, None


def _issued_report(uscc, endpoint):
    """Return (report, None), or (None, response) when there is nothing to issue."""
    code, response = _checked_code(uscc, endpoint)
    if response is not None:
        return None, response
    report = service.issue_report(code, get_locale().language, _timezone())
    if report is None:
        return None, _not_published(code)
    return report, None


def _not_published(code):
    # The same page as the report's for every code the public may not see.
    return render_template("orgs/not_published.html", uscc=code), 404


def _document(report, for_pdf):
    """Render the report document (HTML) from what the issued report stated."""
    verify_url = public_url("reports.verify", number=report.report_number, lang=report.language)
    qr_code = segno.make(verify_url, error="m").svg_data_uri(scale=4, border=2, dark="#000000", light="#ffffff")
    return render_template(
        "reports/document.html",
        issued=report,
        report=display.displayed(service.stated(report), _timezone()),
        sha256_grouped=service.grouped_hash(report.sha256),
        verify_url=verify_url,
        verify_form_url=public_url("reports.verify_form", lang=report.language),
        qr_code=qr_code,
        for_pdf=for_pdf,
        stylesheet=public_url("static", filename="css/print.css") if for_pdf else url_for("static", filename="css/print.css"),
        org_types=ORG_TYPES,
        districts=DISTRICTS,
        registration_statuses=REGISTRATION_STATUSES,
        event_statuses=EVENT_STATUSES,
        list_types=LIST_TYPES,
    )


def _pdf_renderer(report):
    """Return a function that writes the PDF of an issued report to a path (laid out in a child process)."""

    def render_to(path):
        # Called in the request, only when the PDF is not cached yet: the HTML is made here, the PDF in the child.
        html = _document(report, for_pdf=True)
        static_prefix = urlsplit(public_url("static", filename="x")).path[:-1]
        pdf.render_in_child(
            html,
            public_base_url() + "/",
            current_app.static_folder,
            static_prefix,
            path,
            current_app.config["REPORT_PDF_RENDER_TIMEOUT_SECONDS"],
        )

    return render_to


def _renderer_busy():
    retry_after = current_app.config["REPORT_PDF_RETRY_AFTER_SECONDS"]
    error = ServiceUnavailable(
        description=_(
            "Many reports are being prepared at this moment. Please try again in %(seconds)d seconds; "
            "the printable version of the report has the same content and is available now.",
            seconds=retry_after,
        ),
        retry_after=retry_after,
    )
    error.shown_to_visitor = True
    raise error


#: PDFs each worker remembers for the current publication (a few hundred bytes each).
KNOWN_PDFS_PER_PROCESS = 5000


def _known_pdfs():
    known = current_app.extensions.get("portal.known_pdfs")
    if known is None:
        known = current_app.extensions["portal.known_pdfs"] = pdf_cache.KnownPdfs(KNOWN_PDFS_PER_PROCESS)
    return known


def _pdf_response(served):
    """Send a PDF of the folder (sendfile, through the server's file wrapper), with its validators."""
    cached = served.cached
    response = send_file(
        cached.path,
        mimetype="application/pdf",
        download_name=f"credit-report-{served.uscc}-{served.report_number}.pdf",
        conditional=True,
        etag=cached.etag,
        last_modified=cached.modified,
        max_age=None,
    )
    response.headers["Content-Language"] = "zh-CN" if served.language == "zh" else served.language
    response.vary.update(("Accept-Language", "Cookie"))
    return _not_for_search_engines(response)


def _rendered_pdf(report):
    """Return the ServedPdf of an issued report, rendering it if no worker has yet (or a 503 or 500)."""
    key = pdf_cache.PdfKey(
        uscc=report.uscc,
        publication_version=report.publication_version,
        language=report.language,
        report_number=report.report_number,
        # The PDF prints absolute addresses, from PUBLIC_BASE_URL (which a test may change).
        public_base_url=public_base_url(),
    )
    try:
        cached = pdf_cache.store_for(current_app.config).get_or_render(key, _pdf_renderer(report))
    except pdf_cache.RenderQueueFull as busy:
        log.warning("PDF of report %s refused with 503: %s", report.report_number, busy)
        _renderer_busy()
    except Exception:
        log.exception("could not render the PDF of report %s", report.report_number)
        abort_with_message(
            500,
            _("The PDF could not be made just now. The printable version of the report has the same content."),
        )
    return pdf_cache.ServedPdf(cached, report.uscc, report.report_number, report.language)


def _sent_before():
    """Return the ServedPdf of this request's report if this worker has sent it at the current publication, else None.

    Looked up once per request (the rate limit asks first, then the view).
    """
    if "pdf_sent_before" not in g:
        g.pdf_sent_before = None
        code = (request.view_args or {}).get("uscc", "")
        publication = current_publication()
        check = check_uscc(code)
        if publication is not None and check.problem is None and check.code == code:
            g.pdf_sent_before = _known_pdfs().get(publication.version, _request_key(code, service.issue_day(_timezone())))
    return g.pdf_sent_before


def _request_key(code, issued_on):
    return (code, get_locale().language, issued_on, public_base_url())


@bp.get("/org/<uscc>/report.pdf", endpoint="pdf")
# Sending a PDF again issues and renders nothing: the limit counts what does.
@limiter.shared_limit(_report_limit, scope="issued-reports", exempt_when=lambda: _sent_before() is not None)
def report_pdf(uscc):
    """Issue (or reuse) the credit report of a published organisation and send it as a PDF.

    The PDF is rendered once per report (organisation, publication and
    language) and then served from the node's shared folder, with ETag and
    Last-Modified, to every worker (portal/reports/pdf_cache.py). A worker
    that has sent it before at the current publication version finds it in
    its KnownPdfs without reading the issued report again.
    """
    code, response = _checked_code(uscc, "reports.pdf")
    if response is not None:
        return response
    served = _sent_before()
    if served is not None:
        try:
            return _pdf_response(served)
        except FileNotFoundError:
            # Someone emptied the folder: render it again.
            _known_pdfs().forget(_request_key(code, service.issue_day(_timezone())))
    report = service.issue_report(code, get_locale().language, _timezone())
    if report is None:
        return _not_published(code)
    served = _rendered_pdf(report)
    _known_pdfs().remember(report.publication_version, _request_key(code, report.issued_on), served)
    return _pdf_response(served)


@bp.get("/org/<uscc>/report/print", endpoint="printable")
@limiter.shared_limit(_report_limit, scope="issued-reports")
def report_printable(uscc):
    """Issue (or reuse) the credit report of a published organisation as a printable page."""
    report, response = _issued_report(uscc, "reports.printable")
    if response is not None:
        return response
    return _not_for_search_engines(make_response(_document(report, for_pdf=False)))


# -- verification -------------------------------------------------------------------------


def _verify_page(status=200, **context):
    context.setdefault("verification", None)
    context.setdefault("number_value", "")
    context.setdefault("sha256_value", "")
    context.setdefault("number_error", None)
    context.setdefault("sha256_error", None)
    context.setdefault("problem", None)
    response = make_response(
        render_template(
            "reports/verify.html",
            org_types=ORG_TYPES,
            districts=DISTRICTS,
            registration_statuses=REGISTRATION_STATUSES,
            event_statuses=EVENT_STATUSES,
            list_types=LIST_TYPES,
            **context,
        ),
        status,
    )
    return _not_for_search_engines(response)


def _number_error(value):
    return _(
        "“%(value)s” is not a report number. A report number looks like R-20261129-7K3QZ9W2MX4TBH6C: "
        "R, the date of issue and 16 letters and digits.",
        value=_echo(value),
    )


def _sha256_error(value):
    return _(
        "“%(value)s” is not a SHA-256 hash. The hash printed on the report has 64 characters, digits 0 to 9 "
        "and letters a to f; spaces are ignored.",
        value=_echo(value),
    )


@bp.get("/verify", endpoint="verify_form")
@limiter.limit(_verify_limit)
def verify_form():
    """Show the form to check a report; with a number (and a hash), go to its verification."""
    typed_number = request.args.get("number", "").strip()
    typed_sha256 = request.args.get("sha256", "").strip()
    if not typed_number and not typed_sha256:
        return _verify_page()
    number = service.normalise_report_number(typed_number) if typed_number else None
    sha256 = service.normalise_sha256(typed_sha256) if typed_sha256 else None
    number_error = None
    if not typed_number:
        number_error = _("Type the report number printed on the report.")
    elif number is None:
        number_error = _number_error(typed_number)
    sha256_error = _sha256_error(typed_sha256) if typed_sha256 and sha256 is None else None
    if number_error or sha256_error:
        return _verify_page(
            400,
            number_value=_echo(typed_number),
            sha256_value=_echo(typed_sha256),
            number_error=number_error,
            sha256_error=sha256_error,
        )
    arguments = {"sha256": sha256} if sha256 else {}
    return redirect(url_for("reports.verify", number=number, **arguments), 303)


@bp.get("/verify/<number>", endpoint="verify")
@limiter.limit(_verify_limit)
def verify(number):
    """Confirm that a report was issued by the portal, show what it stated and what has changed since."""
    canonical = service.normalise_report_number(number)
    if canonical is None:
        return _verify_page(400, number_value=_echo(number), number_error=_number_error(number), problem="number")
    typed_sha256 = request.args.get("sha256", "").strip()
    sha256 = service.normalise_sha256(typed_sha256) if typed_sha256 else None
    if canonical != number:
        arguments = request.args.to_dict(flat=False)
        return redirect(url_for("reports.verify", number=canonical, **arguments), 301)
    if typed_sha256 and sha256 is None:
        return _verify_page(
            400,
            number_value=canonical,
            sha256_value=_echo(typed_sha256),
            sha256_error=_sha256_error(typed_sha256),
            problem="sha256",
        )
    verification = service.verify(canonical, sha256)
    if verification is None:
        return _verify_page(404, number_value=canonical, sha256_value=typed_sha256, problem="unknown")
    if not verification.intact:
        log.error("issued report %s no longer matches its stored hash", canonical)
        abort_with_message(
            500,
            _("This report's record could not be checked. Please contact the portal's operators, quoting the report number."),
        )
    content = display.displayed(verification.content, _timezone())
    status = 400 if verification.hash_matches is False else 200
    return _verify_page(
        status,
        verification=verification,
        report=content,
        number_value=canonical,
        sha256_value=typed_sha256,
        sha256_grouped=service.grouped_hash(verification.report.sha256),
        problem="hash_mismatch" if status == 400 else None,
    )
