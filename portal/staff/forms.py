"""Forms of the staff console (Flask-WTF: every POST carries a CSRF token)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Regexp

from portal.complaints.models import OUTCOMES
from portal.staff.two_factor import normalise_code
from portal.staff.workflow import NOTE_MAX_LENGTH, PUBLIC_TEXT_MAX_LENGTH


def _too_long(maximum):
    return Length(max=maximum, message=_l("At most %(num)s characters.", num=maximum))


class LoginForm(FlaskForm):
    username = StringField(
        _l("Username"), validators=[DataRequired(_l("Enter your username.")), Length(max=64)],
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


class NoteForm(FlaskForm):
    """An internal note, alone (add a note) or with a move (accept, investigate)."""

    note = TextAreaField(_l("Internal note (optional, staff only)"), validators=[_too_long(NOTE_MAX_LENGTH)])


class AddNoteForm(FlaskForm):
    note = TextAreaField(
        _l("Internal note (staff only)"),
        validators=[DataRequired(_l("Write the note.")), _too_long(NOTE_MAX_LENGTH)],
    )


class RejectForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for not accepting (shown to the complainant)"),
        validators=[DataRequired(_l("Give the reason for not accepting the complaint; the complainant will see it.")),
                    _too_long(PUBLIC_TEXT_MAX_LENGTH)],
    )
    note = TextAreaField(_l("Internal note (optional, staff only)"), validators=[_too_long(NOTE_MAX_LENGTH)])


class ConcludeForm(FlaskForm):
    outcome = RadioField(
        _l("Outcome"),
        choices=[SelectChoice(code, label) for code, label in OUTCOMES.items()],
        validators=[InputRequired(_l("Choose the outcome: substantiated or not substantiated."))],
    )
    reply = TextAreaField(
        _l("Reply to the complainant (public)"),
        validators=[DataRequired(_l("Write the reply to the complainant; a complaint cannot be concluded without one.")),
                    _too_long(PUBLIC_TEXT_MAX_LENGTH)],
    )
    note = TextAreaField(_l("Internal note (optional, staff only)"), validators=[_too_long(NOTE_MAX_LENGTH)])


class ReopenForm(FlaskForm):
    note = TextAreaField(
        _l("Why is the complaint reopened? (staff only)"),
        validators=[DataRequired(_l("Say why the complaint is reopened.")), _too_long(NOTE_MAX_LENGTH)],
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
