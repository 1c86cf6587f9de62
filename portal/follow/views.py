"""Pages of following by e-mail: the sign-up from a report, the confirmation link and the unsubscribe link.

The report page is cached and sets no cookie, so its follow form carries no
CSRF token: sent from there, the sign-up answers with the same form, filled
in and with a token, to check and send (nothing is stored until then). Every
answer to a sign-up is the same whatever the address and the code (see
``service``). The unsubscribe link takes a POST without a CSRF token, as RFC
8058's one click requires: its signed token is the proof.
"""

import hashlib
import hmac

from flask import current_app, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, ValidationError, validate_csrf

from portal import mail
from portal.extensions import csrf, limiter
from portal.follow import bp, service, tokens
from portal.i18n import current_language
from portal.uscc import valid_uscc
from portal.web import abort_with_message, limit_request_body

#: An e-mail address, a language and a token: a larger body is refused before it is read.
MAX_BODY_BYTES = 8 * 1024


def _signup_limit():
    return current_app.config["FOLLOW_SIGNUP_RATE_LIMIT"]


def _address_limit():
    return current_app.config["FOLLOW_ADDRESS_RATE_LIMIT"]


def _address_key():
    """The rate-limit bucket of the address typed: a keyed hash, so the store never holds the address."""
    address = mail.normalise_address(request.form.get("email", "")).lower()
    secret = current_app.config["SECRET_KEY"].encode()
    return "follow-address:" + hmac.new(secret, address.encode(), hashlib.sha256).hexdigest()[:32]


def _signed_up(response):
    # Only a sign-up taken counts: the form shown again to check it, or an error, does not.
    return response.status_code == 303


def _page(template, status=200, **context):
    response = make_response(render_template(template, noindex=True, **context), status)
    response.headers["Cache-Control"] = "no-store"
    # The address holds a token: never send it to another site.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _signup_form(uscc, values, errors, status, expired=False):
    return _page("follow/signup.html", status, uscc=uscc, values=values, errors=errors, expired=expired,
                 days=current_app.config["FOLLOW_CONFIRM_DAYS"])


@bp.post("/org/<uscc>/follow", endpoint="signup")
@csrf.exempt
@limit_request_body(lambda: MAX_BODY_BYTES)
@limiter.limit(_signup_limit, deduct_when=_signed_up)
@limiter.limit(_address_limit, key_func=_address_key, deduct_when=_signed_up)
def signup(uscc):
    """Take a sign-up to follow ``uscc``: check it (with a CSRF token), then record it for the scheduler."""
    code = valid_uscc(uscc)
    if code is None:
        abort_with_message(400, _("This is not a valid unified social credit code."))
    languages = current_app.config["LANGUAGES"]
    language = request.form.get("language", "")
    values = {"email": request.form.get("email", "")[:320], "language": language if language in languages else None}
    errors = {}
    try:
        address = service.subscriber_address(values["email"])
    except service.AddressInvalid:
        errors["email"] = [_("Enter an e-mail address such as name@example.com.")]
    if values["language"] is None:
        errors["language"] = [_("Choose the language of the e-mail.")]
        values["language"] = current_language()
    token = request.form.get("csrf_token")
    try:
        validate_csrf(token)
    except ValidationError:
        # From the cached report page (no token), or a form that expired: the same form, with a token, to send.
        return _signup_form(code, values, errors, 400 if errors or token else 200, expired=bool(token) and not errors)
    if errors:
        return _signup_form(code, values, errors, 400)
    service.request_follow(address, code, values["language"])
    return redirect(url_for("follow.sent"), 303)


@bp.get("/follow/sent", endpoint="sent")
def sent():
    """The answer to every sign-up taken."""
    return _page("follow/sent.html", days=current_app.config["FOLLOW_CONFIRM_DAYS"])


def _invalid_link():
    return _page("follow/invalid_link.html", 400)


@bp.route("/follow/confirm/<token>", methods=["GET", "POST"], endpoint="confirm")
def confirm(token):
    """Show the confirmation of a link from the e-mail (GET: mail scanners open links), confirm it on POST."""
    try:
        found = service.confirmation(token)
        if found.name is None:
            # It left the public list since: it cannot be followed now.
            raise tokens.InvalidLink()
        if request.method == "POST":
            found = service.confirm(token)
    except tokens.InvalidLink:
        return _invalid_link()
    if found.confirmed:
        return _page("follow/confirmed.html", confirmation=found)
    return _page("follow/confirm.html", confirmation=found, token=token)


@bp.route("/follow/unsubscribe/<token>", methods=["GET", "POST"], endpoint="unsubscribe")
@csrf.exempt
def unsubscribe(token):
    """Ask before unsubscribing (GET); unsubscribe on POST, also RFC 8058's one-click POST from a mail program."""
    try:
        if request.method == "POST":
            service.unsubscribe(token)
            return _page("follow/unsubscribed.html")
        tokens.read_unsubscribe_token(token)
    except tokens.InvalidLink:
        return _invalid_link()
    return _page("follow/unsubscribe.html", token=token)


@bp.errorhandler(CSRFError)
def csrf_error(_error):
    response = make_response(
        render_template(
            "errors/400.html",
            message=_("The form has expired or did not come from this site. Open the link in the e-mail again."),
        ),
        400,
    )
    response.headers["Cache-Control"] = "no-store"
    return response
