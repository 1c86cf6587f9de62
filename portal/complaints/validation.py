"""Checks of a complaint's fields and files: plain arguments in, cleaned values and translated errors out."""

import re
import unicodedata
from datetime import date

from flask import current_app
from flask_babel import gettext as _

from portal import clock, mail
from portal.clock import utcnow
from portal.complaints import evidence
from portal.complaints.models import CATEGORIES

_PHONE_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_PHONE_LANDLINE = re.compile(r"^0\d{2,3}\d{7,8}$")
_EARLIEST_INCIDENT = date(1950, 1, 1)
CONTACT_NAME_MAX = 50


class ComplaintInvalid(ValueError):
    """The submission has errors: ``errors`` maps a field to a list of messages (translated).

    ``rejected_files``: the indexes of the uploads that were refused (the others could be accepted).
    """

    def __init__(self, errors, rejected_files=()):
        super().__init__("invalid complaint")
        self.errors = errors
        self.rejected_files = tuple(rejected_files)




def timezone_name():
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def local_date(utc_naive):
    """Return the Beijing date of a naive UTC time."""
    return clock.local_date(utc_naive, timezone_name())


def add_error(errors, name, message):
    errors.setdefault(name, []).append(message)


def clean_text(text):
    """Normalise line ends and drop control characters other than tab and newline."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return "".join(
        character
        for character in text
        if character in "\n\t" or unicodedata.category(character) not in ("Cc", "Cs", "Co")
    ).strip()

# -- validation -------------------------------------------------------------------------


def check_category(category, errors):
    if category not in CATEGORIES:
        add_error(errors, "category", _("Choose the kind of problem."))
    return category


def check_description(text, errors):
    config = current_app.config
    description = clean_text(text)
    low, high = config["COMPLAINT_DESCRIPTION_MIN"], config["COMPLAINT_DESCRIPTION_MAX"]
    if not description:
        add_error(errors, "description", _("Describe what happened."))
    elif len(description) < low:
        add_error(
            errors, "description", _("The description is too short: write at least %(count)s characters.", count=low)
        )
    elif len(description) > high:
        add_error(
            errors,
            "description",
            _(
                "The description is too long: at most %(count)s characters (it has %(length)s).",
                count=high,
                length=len(description),
            ),
        )
    return description


def parse_incident_date(text, today, errors):
    """Return the date typed (YYYY-MM-DD) or None; add an error if it is invalid or in the future."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    if not text:
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        add_error(errors, "incident_on", _("Enter the date as year-month-day, for example 2026-03-15."))
        return None
    if value > today:
        add_error(errors, "incident_on", _("The date of the incident cannot be in the future."))
    elif value < _EARLIEST_INCIDENT:
        add_error(errors, "incident_on", _("The date of the incident is too far in the past."))
    return value


def normalise_phone(text):
    """Return a phone number without spaces, hyphens or +86, or None if it is not a Chinese number."""
    digits = re.sub(r"[\s\-()（）]", "", unicodedata.normalize("NFKC", text or ""))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if _PHONE_MOBILE.fullmatch(digits) or _PHONE_LANDLINE.fullmatch(digits):
        return digits
    return None


def check_contact(contact, anonymous, errors):
    """Return the cleaned contact dict (empty when anonymous); add errors for invalid fields."""
    contact = contact or {}
    name = clean_text(contact.get("name")).replace("\n", " ")
    phone_text = (contact.get("phone") or "").strip()
    email = mail.normalise_address(contact.get("email"))
    if anonymous:
        if name or phone_text or email:
            add_error(
                errors,
                "contact",
                _("You chose to stay anonymous: leave the contact details empty, or choose to give them."),
            )
        return {}
    if len(name) > CONTACT_NAME_MAX:
        add_error(
            errors, "contact_name", _("The name is too long (at most %(count)s characters).", count=CONTACT_NAME_MAX)
        )
    phone = None
    if phone_text:
        phone = normalise_phone(phone_text)
        if phone is None:
            add_error(
                errors,
                "contact_phone",
                _("Enter a mobile number of 11 digits, or a landline with its area code, for example 010-12345678."),
            )
    if email and not mail.valid_address(email):
        add_error(errors, "contact_email", _("Enter an e-mail address such as name@example.com."))
    if not phone_text and not email:
        add_error(
            errors,
            "contact",
            _("Give a phone number or an e-mail address so that we can reply, or choose to stay anonymous."),
        )
    return {"name": name or None, "phone": phone, "email": email or None}


def check_fields(category, description, incident_on, contact, anonymous, errors, now=None):
    """Check every field but the organisation and the files; return the cleaned description, date and contact."""
    today = local_date(now or utcnow())
    check_category(category, errors)
    description = check_description(description, errors)
    if isinstance(incident_on, str) or incident_on is None:
        incident_on = parse_incident_date(incident_on, today, errors)
    elif incident_on > today:
        add_error(errors, "incident_on", _("The date of the incident cannot be in the future."))
    contact = check_contact(contact, anonymous, errors)
    return description, incident_on, contact


def _uploads(files):
    return [(filename, stream) for filename, stream in files or () if filename]


def check_file_count(files, errors):
    """Check the number of uploads (``(filename, stream)`` pairs; empty file inputs skipped), reading none."""
    maximum = current_app.config["COMPLAINT_EVIDENCE_MAX_FILES"]
    if len(_uploads(files)) > maximum:
        add_error(errors, "evidence", _("Attach at most %(count)s files.", count=maximum))


def prepare_files(files, errors, rejected=None):
    """Check and clean uploads (``(filename, stream)`` pairs; empty file inputs skipped).

    The index of each refused upload (among those not skipped) is added to ``rejected`` if given.
    """
    uploads = _uploads(files)
    if len(uploads) > current_app.config["COMPLAINT_EVIDENCE_MAX_FILES"]:
        check_file_count(files, errors)
        return []
    prepared = []
    for index, (filename, stream) in enumerate(uploads):
        try:
            prepared.append(evidence.prepare_upload(filename, stream))
        except evidence.EvidenceError as error:
            add_error(errors, "evidence", error.message)
            if rejected is not None:
                rejected.append(index)
    return prepared
