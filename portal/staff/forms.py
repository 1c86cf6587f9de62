"""Forms of the staff console (Flask-WTF: every POST carries a CSRF token)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from portal.characters import clean_text
from portal.complaints.workflow import OUTCOMES, REVIEW_RESULTS
from portal.staff.two_factor import normalise_code
from portal.staff.workflow import NOTE_MAX_LENGTH, PUBLIC_TEXT_MAX_LENGTH


def typed_text(text):
    """Return a text field's value without the control characters no one types (PostgreSQL refuses a NUL)."""
    return None if text is None else clean_text(text)[0]


def _too_long(maximum):
    return Length(max=maximum, message=_l("At most %(num)s characters.", num=maximum))


class LoginForm(FlaskForm):
    username = StringField(
        _l("Username"), filters=[typed_text], validators=[DataRequired(_l("Enter your username.")), Length(max=64)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Enter your password.")), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )


class CodeForm(FlaskForm):
    """A 6-digit code of the authenticator app (signing in, setting up, turning off)."""

    code = StringField(
        _l("6-digit code"),
        filters=[normalise_code],
        validators=[
            DataRequired(_l("Enter the 6-digit code shown by your authenticator app.")),
            Regexp(r"^[0-9]{6}$", message=_l("The code has 6 digits, like 123456.")),
        ],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "autocapitalize": "none",
                   "spellcheck": "false", "size": 8},
    )


class LogoutForm(FlaskForm):
    pass


class StepForm(FlaskForm):
    """A step of the workflow table (portal.complaints.workflow): the page shows the fields the step uses.

    What a step requires (a reason, an outcome, a unit) is checked by the
    workflow service from the table, so that the console and the CLI refuse
    the same things; the form bounds lengths and asks for the confirmation.
    """

    unit = SelectField(_l("Receiving unit"), choices=[], validate_choice=False)
    outcome = RadioField(_l("Outcome"), choices=[SelectChoice(code, label) for code, label in OUTCOMES.items()],
                         validate_choice=False)
    result = RadioField(_l("Result of the review"), choices=[SelectChoice(code, label) for code, label in REVIEW_RESULTS.items()],
                        validate_choice=False)
    reply = TextAreaField(_l("Reply to the complainant (public)"), filters=[typed_text],
                          validators=[_too_long(PUBLIC_TEXT_MAX_LENGTH)])
    reason = TextAreaField(_l("Reason"), filters=[typed_text], validators=[_too_long(PUBLIC_TEXT_MAX_LENGTH)])
    note = TextAreaField(_l("Internal note (optional, staff only)"), filters=[typed_text],
                         validators=[_too_long(NOTE_MAX_LENGTH)])
    confirm = BooleanField(_l("I have checked this step: it cannot be undone by me."))


#: The label of the reason of each step that has one (public reasons say so).
REASON_LABELS = {
    "reject": _l("Reason for not accepting (shown to the complainant)"),
    "transfer": _l("Public note of the transfer (shown to the complainant)"),
    "extend": _l("Reason for the extension (shown to the complainant)"),
    "hand_back": _l("Why does it go back to the queue? (staff only)"),
    "escalate": _l("Why does it need a supervisor? (staff only)"),
    "decide_review": _l("Reasons of the decision (shown to the complainant)"),
    "reopen": _l("Why is the complaint reopened? (staff only)"),
}


class AddNoteForm(FlaskForm):
    note = TextAreaField(
        _l("Internal note (staff only)"),
        filters=[typed_text],
        validators=[DataRequired(_l("Write the note.")), _too_long(NOTE_MAX_LENGTH)],
    )


class AssignForm(FlaskForm):
    # Choices are set per request: "" (nobody) and the ids of active staff.
    assignee = SelectField(_l("Assign to"), choices=[], validate_choice=True)


class PasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(_l("Enter a new password."))],
        render_kw={"autocomplete": "new-password"},
    )
    confirm_password = PasswordField(
        _l("New password again"),
        validators=[DataRequired(_l("Enter the new password again.")),
                    EqualTo("new_password", _l("The two new passwords are not the same."))],
        render_kw={"autocomplete": "new-password"},
    )


def error_list(*forms):
    """Return [(field id, message)] of every error of ``forms``, for the error summary."""
    errors = []
    for form in forms:
        for field in form:
            for message in field.errors:
                errors.append((field.id, message))
    return errors
