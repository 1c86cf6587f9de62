"""Pages of complaints: file one in two steps, its acknowledgement, the status lookup, the privacy notice.

Every form is a POST (organisation names, descriptions and codes stay out of
URLs and access logs) and works without JavaScript.
"""

import logging

from flask import (
    abort,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge

from portal.clock import utcnow
from portal.complaints import bp, codes, held_files, review, service, validation
from portal.complaints import organisations as organisation_lookup
from portal.complaints.models import CATEGORIES
from portal.complaints.workflow import OUTCOMES, REVIEW_RESULTS, STATE_LABELS
from portal.extensions import limiter
from portal.web import abort_with_message, current_publication

log = logging.getLogger(__name__)

#: Session key: tracking numbers this browser submitted (for their acknowledgement page).
SUBMITTED_KEY = "complaints_submitted"
#: The honeypot: a field people never see, and robots fill.
TRAP_FIELD = "hp_field_7"


def _submit_limit():
    return current_app.config["COMPLAINT_SUBMIT_RATE_LIMIT"]


def _form_limit():
    return current_app.config["COMPLAINT_FORM_RATE_LIMIT"]


def _status_limit():
    return current_app.config["COMPLAINT_STATUS_RATE_LIMIT"]


def _not_final_step():
    return request.form.get("step") != "details"


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _render(template, status=200, **context):
    context.setdefault("categories", CATEGORIES)
    context.setdefault("state_labels", STATE_LABELS)
    context.setdefault("outcomes", OUTCOMES)
    context.setdefault("review_results", REVIEW_RESULTS)
    return _no_store(make_response(render_template(template, **context), status))


# -- step 1: organisation and category ----------------------------------------------------


def _step_one(values, errors=None, status=200):
    return _render("complaints/new.html", status, values=values, errors=errors or {})


@bp.get("/")
def index():
    """Explain how complaints work, with links to file one and to look one up."""
    return _render(
        "complaints/index.html",
        accept_days=current_app.config["COMPLAINT_ACKNOWLEDGE_WORKING_DAYS"],
        conclude_days=current_app.config["COMPLAINT_ANSWER_WORKING_DAYS"],
    )


@bp.route("/new", methods=["GET", "POST"])
@limiter.limit(_form_limit, methods=["POST"])
@limiter.limit(_submit_limit, methods=["POST"], exempt_when=_not_final_step)
def new():
    """File a complaint: the organisation and the kind of problem first, then the details."""
    if request.method == "GET":
        values = {"uscc": "", "organisation_name": "", "category": request.args.get("category", "")}
        code = (request.args.get("uscc") or "").strip()[:40]
        if code:
            # Prefill from a report page's "report this organisation" link: name and USCC only, and only
            # for a published organisation; any other code is kept as typed, so the page is the same
            # whether it is unpublished, unknown or not a code at all.
            try:
                choice = organisation_lookup.resolve_organisation(code, "")
                values.update(uscc=choice.uscc, organisation_name=choice.name)
            except validation.ComplaintInvalid:
                values["uscc"] = code
        values["form_token"] = codes.issue_form_token()
        return _step_one(values)
    if request.form.get("step") == "details":
        return _submit()
    return _choose_organisation()


def _form_values(*names):
    return {name: (request.form.get(name) or "") for name in names}


def _choose_organisation():
    values = _form_values("uscc", "organisation_name", "category", "form_token")
    if not values["form_token"]:
        values["form_token"] = codes.issue_form_token()
    errors = {}
    organisation = None
    try:
        organisation = organisation_lookup.resolve_organisation(values["uscc"], values["organisation_name"])
    except validation.ComplaintInvalid as invalid:
        errors.update(invalid.errors)
    validation.check_category(values["category"], errors)
    if errors:
        return _step_one(values, errors, 400)
    return _step_two(organisation, values)


#: The order of the second step's fields, for the error summary.
DETAIL_FIELDS = (
    "category",
    "description",
    "incident_on",
    "evidence",
    "contact",
    "contact_name",
    "contact_phone",
    "contact_email",
    "consent",
)


def _in_page_order(errors):
    known = {name: errors[name] for name in DETAIL_FIELDS if name in errors}
    return {**known, **{name: messages for name, messages in errors.items() if name not in known}}


def _step_two(organisation, values, errors=None, status=200, message=None, held=None):
    errors = _in_page_order(errors or {})
    if held is None:
        # Back from step one with the form's token: the files held for it are still there.
        held = held_files.held_files(codes.form_key(values["form_token"]))
    similar = organisation_lookup.similar_open_complaints(organisation, values["category"])
    values.setdefault("contact_choice", "contact")
    values.setdefault("same_concern", "no")
    return _render(
        "complaints/details.html",
        status,
        organisation=organisation,
        values=values,
        errors=errors,
        similar=similar,
        outcomes_before=organisation_lookup.public_outcomes(organisation),
        message=message,
        description_min=current_app.config["COMPLAINT_DESCRIPTION_MIN"],
        description_max=current_app.config["COMPLAINT_DESCRIPTION_MAX"],
        max_files=current_app.config["COMPLAINT_EVIDENCE_MAX_FILES"],
        max_megabytes=current_app.config["COMPLAINT_EVIDENCE_MAX_BYTES"] // (1024 * 1024),
        trap_field=TRAP_FIELD,
        held=held,
        today_iso=validation.local_date(utcnow()).isoformat(),
        retention_days=current_app.config["COMPLAINT_CONTACT_RETENTION_DAYS"],
    )


# -- step 2: the details, and the submission --------------------------------------------------


def _field_errors(values, contact, anonymous):
    """Return {field: [messages]} of everything wrong with the step-two fields, consent included."""
    errors = {}
    if not values["consent"]:
        errors["consent"] = [_("Agree to the privacy notice to submit a complaint.")]
    validation.check_fields(values["category"], values["description"], values["incident_on"], contact, anonymous, errors)
    return errors


def _read_uploads():
    """Return the files sent with the form as ``(filename, bytes)``, each read to one byte past the limit."""
    limit = current_app.config["COMPLAINT_EVIDENCE_MAX_BYTES"] + 1
    return [(upload.filename, upload.stream.read(limit)) for upload in request.files.getlist("evidence") if upload.filename]


def _submit():
    values = _form_values(
        "uscc",
        "organisation_name",
        "category",
        "form_token",
        "description",
        "incident_on",
        "contact_choice",
        "contact_name",
        "contact_phone",
        "contact_email",
        "same_concern",
        "consent",
    )
    # The files held for this form when it came back before, and those sent now: whatever is refused
    # below, they are held again for the form the visitor gets back (held_files).
    files = held_files.FormFiles(
        codes.form_key(values["form_token"]), _read_uploads(), request.form.getlist("keep_evidence")
    )

    def refuse(errors, message=None, rejected=(), step_one=False):
        if codes.form_key(values["form_token"]) is None:
            values["form_token"] = codes.issue_form_token()
        errors = dict(errors or {})
        held = files.hold(codes.form_key(values["form_token"]), errors, rejected)
        if step_one:
            return _step_one(values, errors, 400)
        return _step_two(organisation, values, errors, 400, message=message, held=held)

    organisation = None
    try:
        organisation = organisation_lookup.resolve_organisation(values["uscc"], values["organisation_name"])
    except validation.ComplaintInvalid as invalid:
        return refuse(invalid.errors, step_one=True)
    category_errors = {}
    validation.check_category(values["category"], category_errors)
    if category_errors:
        return refuse(category_errors, step_one=True)

    if request.form.get(TRAP_FIELD):
        log.info("Complaint form refused: the hidden field was filled")
        return refuse({}, message=_("The form could not be accepted. Please submit it again."))
    anonymous = values["contact_choice"] == "anonymous"
    contact = {"name": values["contact_name"], "phone": values["contact_phone"], "email": values["contact_email"]}
    try:
        idempotency_key = codes.read_form_token(values["form_token"])
    except codes.FormTokenError as error:
        log.info("Complaint form refused: form token %s", error.reason)
        if error.reason != "too_fast":
            values["form_token"] = codes.issue_form_token()
        # Also say what is wrong with the fields, so that the next attempt can succeed.
        return refuse(_field_errors(values, contact, anonymous), message=error.message)

    existing = service.find_by_idempotency_key(idempotency_key)
    if existing is not None:
        # The same form again (a double click, a reload): the acknowledgement it already made.
        held_files.release(idempotency_key)
        return _acknowledge(existing)

    if not values["consent"]:
        # Say everything that is wrong at once, not only the missing consent.
        return refuse(_field_errors(values, contact, anonymous))
    try:
        complaint, _code = service.submit_complaint(
            organisation=organisation,
            category=values["category"],
            description=values["description"],
            incident_on=values["incident_on"],
            files=files.for_submission(),
            contact=contact,
            anonymous=anonymous,
            idempotency_key=idempotency_key,
            same_concern=values["same_concern"] == "yes",
        )
    except validation.ComplaintInvalid as invalid:
        return refuse(invalid.errors, rejected=invalid.rejected_files)
    except service.StorageUnavailable:
        abort_with_message(
            503,
            _("Your complaint could not be saved because the portal's file storage is full. Nothing was stored. "
              "Please try again later."),
        )
    held_files.release(idempotency_key)
    return _acknowledge(complaint)


def _acknowledge(complaint):
    submitted = [number for number in session.get(SUBMITTED_KEY, []) if number != complaint.tracking_number]
    session[SUBMITTED_KEY] = (submitted + [complaint.tracking_number])[-10:]
    # Post/Redirect/Get: the acknowledgement is a GET page; the access code is not in its URL.
    return redirect(url_for("complaints.acknowledgement", tracking_number=complaint.tracking_number), code=303)


@bp.get("/acknowledgement/<tracking_number>")
def acknowledgement(tracking_number):
    """Show the acknowledgement of a complaint this browser submitted; the access code only the first time."""
    if tracking_number not in session.get(SUBMITTED_KEY, []):
        abort(404)
    complaint = service.find_by_tracking_number(tracking_number)
    if complaint is None:
        abort(404)
    access_code = service.take_pending_access_code(complaint)
    return _render("complaints/acknowledgement.html", complaint=complaint, access_code=access_code)


# -- status lookup ------------------------------------------------------------------------------


@bp.route("/status", methods=["GET", "POST"])
@limiter.limit(_status_limit, methods=["POST"])
def status():
    """Look up a complaint by its tracking number and access code."""
    if request.method == "GET":
        return _render("complaints/status.html", values={}, errors={})
    values = _form_values("tracking_number", "access_code")
    errors = {}
    if not values["tracking_number"].strip():
        errors["tracking_number"] = [_("Enter the tracking number, for example TS-20261128-0042.")]
    elif not codes.TRACKING_NUMBER.fullmatch(codes.normalise_tracking_number(values["tracking_number"])):
        errors["tracking_number"] = [_("A tracking number looks like TS-20261128-0042.")]
    if not values["access_code"].strip():
        errors["access_code"] = [_("Enter the access code you were given when you submitted the complaint.")]
    if errors:
        shown = {"tracking_number": values["tracking_number"]}
        return _render("complaints/status.html", 400, values=shown, errors=errors)
    result = service.lookup(values["tracking_number"], values["access_code"])
    if result is None:
        # The same answer whether the number exists or not.
        return _render(
            "complaints/status.html",
            404,
            values={"tracking_number": values["tracking_number"]},
            errors={},
            message=_("No complaint matches this tracking number and access code. Check both and try again."),
        )
    return _render("complaints/status_result.html", result=result)


@bp.post("/status/review")
@limiter.limit(_status_limit)
def request_review():
    """Ask for a review (复核) of the answer, with the access code and a reason."""
    values = _form_values("tracking_number", "review_access_code", "review_reason")
    try:
        complaint = review.request_review(values["tracking_number"], values["review_access_code"], values["review_reason"])
    except review.ReviewRefused as error:
        # Back to the look-up, which says why: the access code is never put back into a page.
        return _render(
            "complaints/status.html", error.status, values={"tracking_number": values["tracking_number"]},
            errors={}, message=error.message,
        )
    return _render("complaints/status_result.html", result=service.public_status(complaint), review_requested=True)


@bp.get("/privacy")
def privacy():
    """The privacy notice of complaints."""
    config = current_app.config
    return _render(
        "complaints/privacy.html",
        retention_days=config["COMPLAINT_CONTACT_RETENTION_DAYS"],
    )


# -- organisation suggestions (JSON, for the form's autocomplete) --------------------------------


@bp.post("/organisations")
@limiter.limit(_form_limit)
def organisations():
    """Suggest published organisations for a name or code typed: name and USCC only (POST keeps it out of logs)."""
    suggestions = organisation_lookup.suggest_organisations(request.form.get("q", ""))
    publication = current_publication()
    data_as_of = publication.data_as_of.isoformat() + "Z" if publication and publication.data_as_of else None
    response = jsonify(organisations=suggestions, data_as_of=data_as_of)
    return _no_store(response)


# -- errors of this blueprint, with messages about complaints ------------------------------------


def _error(template, status, message):
    return _no_store(make_response(render_template(template, message=message), status))


@bp.errorhandler(CSRFError)
def csrf_error(error):
    log.info("Complaint form refused: %s", error.description)
    return _error(
        "errors/400.html",
        400,
        _("The form has expired or did not come from this site. Go back, reload the page and submit again."),
    )


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    config = current_app.config
    return _error(
        "errors/413.html",
        413,
        _(
            "The files are too large together. Attach at most %(count)s files of %(size)s MB each (JPEG, PNG or PDF).",
            count=config["COMPLAINT_EVIDENCE_MAX_FILES"],
            size=config["COMPLAINT_EVIDENCE_MAX_BYTES"] // (1024 * 1024),
        ),
    )


def init_app(app):
    pass
