"""Complaint codes: the access code, the tracking number as typed, and the form's signed token.

The access code is stored only as a hash; the form token carries an
idempotency key and the time the form was shown (a minimum fill time).
"""

import re
import secrets
import unicodedata
from datetime import UTC

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.security import generate_password_hash

from portal.clock import utcnow

#: Crockford's base 32: no I, L, O or U, so that a code read aloud or copied by hand survives.
ACCESS_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ACCESS_CODE_GROUPS = 4
ACCESS_CODE_GROUP_LENGTH = 4  # 16 characters of 5 bits: 80 random bits
_ACCESS_CODE_FOLD = str.maketrans({"O": "0", "I": "1", "L": "1"})
# Fast enough for a rate-limited form; the code's 80 random bits are what protect it.
_ACCESS_CODE_HASH_METHOD = "pbkdf2:sha256:20000"
DUMMY_ACCESS_CODE_HASH = generate_password_hash("0" * 16, method=_ACCESS_CODE_HASH_METHOD)

TRACKING_NUMBER = re.compile(r"^TS-(\d{8})-(\d{4,7})$")


class FormTokenError(ValueError):
    """The form's signed token is missing, forged, too fresh or too old; ``message`` is translated."""

    def __init__(self, reason, message):
        super().__init__(reason)
        self.reason = reason
        self.message = message



# -- access codes ------------------------------------------------------------------


def generate_access_code():
    """Return a new access code, e.g. ``7KQ2-M9XD-4RTB-0HZP``."""
    length = ACCESS_CODE_GROUPS * ACCESS_CODE_GROUP_LENGTH
    characters = "".join(secrets.choice(ACCESS_CODE_ALPHABET) for _position in range(length))
    return "-".join(
        characters[start : start + ACCESS_CODE_GROUP_LENGTH]
        for start in range(0, len(characters), ACCESS_CODE_GROUP_LENGTH)
    )


def normalise_access_code(text):
    """Return an access code as typed, without spaces or hyphens, in upper case, with O/I/L folded."""
    text = unicodedata.normalize("NFKC", text or "").upper().translate(_ACCESS_CODE_FOLD)
    return re.sub(r"[\s\-–—_]", "", text)


def hash_access_code(code):
    return generate_password_hash(normalise_access_code(code), method=_ACCESS_CODE_HASH_METHOD)


def normalise_tracking_number(text):
    """Return a tracking number as typed, trimmed and in upper case (full-width folded)."""
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text or "")).upper()


# -- the form's signed token: minimum fill time and idempotency key ------------------


def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="complaints.form")


def issue_form_token(now=None):
    """Return a signed token carrying a new idempotency key and the time the form was shown."""
    now = now or utcnow()
    return _serializer().dumps({"k": secrets.token_urlsafe(24), "t": int(now.replace(tzinfo=UTC).timestamp())})


def form_key(token):
    """Return the idempotency key of a form token this site signed, whatever its age; None for any other text.

    For what belongs to the form however it is refused (its held files), never to accept it.
    """
    try:
        return str(_serializer().loads(token or "")["k"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def read_form_token(token, now=None, check_fill_time=True):
    """Return the idempotency key of a form token; raise FormTokenError if it cannot be trusted."""
    now = now or utcnow()
    try:
        payload = _serializer().loads(token or "")
        key, issued = str(payload["k"]), int(payload["t"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise FormTokenError("invalid", _("The form could not be checked. Please fill it in again.")) from None
    age = now.replace(tzinfo=UTC).timestamp() - issued
    config = current_app.config
    if age > config["COMPLAINT_FORM_MAX_AGE_SECONDS"]:
        raise FormTokenError(
            "expired", _("The form was open for too long. Please check your entries and submit again.")
        )
    if check_fill_time and age < config["COMPLAINT_MIN_FILL_SECONDS"]:
        raise FormTokenError(
            "too_fast", _("The form was sent too quickly. Please check your entries and submit again.")
        )
    return key
