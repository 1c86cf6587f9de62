"""The links in follow e-mail: signed with SECRET_KEY, so that nobody can make one for someone else.

A confirmation link carries a subscription's id and a random secret and is
valid for FOLLOW_CONFIRM_DAYS: the database keeps only the secret's SHA-256,
replaced by the next link sent (only the latest link works).
An unsubscribe link (in every digest, for RFC 8058's one click) carries the
subscriber's id and creation time; it is stored nowhere and stops working
when the address has unsubscribed.
"""

import hashlib
import hmac
import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

_CONFIRM_SALT = "portal.follow.confirm"
_UNSUBSCRIBE_SALT = "portal.follow.unsubscribe"


class InvalidLink(ValueError):
    """The link was not made by this portal, was cut short, or has expired."""


def secret_hash(secret):
    """Return the stored form of a confirmation secret."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def confirmation_token(subscription_id):
    """Return (token, hash of its secret) for a new confirmation link of a subscription."""
    secret = secrets.token_urlsafe(18)
    token = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_CONFIRM_SALT).dumps([subscription_id, secret])
    return token, secret_hash(secret)


def read_confirmation_token(token):
    """Return (subscription id, secret) of a confirmation token; raise InvalidLink if it is not valid (or expired)."""
    max_age = current_app.config["FOLLOW_CONFIRM_DAYS"] * 24 * 3600
    try:
        subscription_id, secret = URLSafeTimedSerializer(
            current_app.config["SECRET_KEY"], salt=_CONFIRM_SALT
        ).loads(token, max_age=max_age)
    except (BadSignature, TypeError, ValueError) as error:
        raise InvalidLink() from error
    if not isinstance(subscription_id, int) or not isinstance(secret, str):
        raise InvalidLink()
    return subscription_id, secret


def secret_matches(secret, stored_hash):
    """Tell, in constant time, whether ``secret`` is the one whose hash is stored."""
    return stored_hash is not None and hmac.compare_digest(secret_hash(secret), stored_hash)


def unsubscribe_token(subscriber):
    """Return the token of a subscriber's unsubscribe link."""
    serializer = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_UNSUBSCRIBE_SALT)
    return serializer.dumps([subscriber.id, subscriber.created_at.isoformat()])


def read_unsubscribe_token(token):
    """Return (subscriber id, creation time as ISO text) of an unsubscribe token; raise InvalidLink if not valid."""
    try:
        subscriber_id, created = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_UNSUBSCRIBE_SALT).loads(token)
    except (BadSignature, TypeError, ValueError) as error:
        raise InvalidLink() from error
    if not isinstance(subscriber_id, int) or not isinstance(created, str):
        raise InvalidLink()
    return subscriber_id, created
