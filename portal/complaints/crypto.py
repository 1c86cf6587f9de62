"""Encryption at rest of a complainant's contact details (Fernet, key COMPLAINT_CONTACT_KEY).

COMPLAINT_CONTACT_KEY may hold several keys separated by commas: the first
encrypts, all decrypt (MultiFernet), so a key can be rotated without losing
the tokens written with the old one.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class ContactKeyError(RuntimeError):
    """COMPLAINT_CONTACT_KEY is missing or is not a Fernet key."""


def generate_key():
    """Return a new random Fernet key (text)."""
    return Fernet.generate_key().decode("ascii")


def build_fernet(key_setting):
    """Return a MultiFernet for a key setting ("key" or "new,old"); raise ContactKeyError if unusable."""
    if isinstance(key_setting, bytes):
        key_setting = key_setting.decode("ascii")
    keys = [key.strip() for key in (key_setting or "").split(",") if key.strip()]
    if not keys:
        raise ContactKeyError("COMPLAINT_CONTACT_KEY is not set")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as error:
        raise ContactKeyError("COMPLAINT_CONTACT_KEY is not a valid Fernet key") from error


def _fernet():
    # Built per call: cheap, and always follows the app's current configuration.
    return build_fernet(current_app.config.get("COMPLAINT_CONTACT_KEY"))


def encrypt(text):
    """Return the Fernet token (bytes) of ``text``; None for None or an empty string."""
    if text is None or text == "":
        return None
    return _fernet().encrypt(text.encode("utf-8"))


def decrypt(token):
    """Return the text of a Fernet token; None for None. Raise InvalidToken on a wrong key."""
    if token is None:
        return None
    if isinstance(token, str):
        token = token.encode("ascii")
    return _fernet().decrypt(bytes(token)).decode("utf-8")


__all__ = ["ContactKeyError", "InvalidToken", "build_fernet", "decrypt", "encrypt", "generate_key"]
