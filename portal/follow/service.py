"""Following organisations by e-mail: sign up, confirm (double opt-in), unsubscribe, forget.

The form's only work is ``request_follow``: one row in ``follow_requests``,
the same for every address and every code. The scheduler then handles each
request (``handle_requests``): a code that is not published now is dropped
without a trace, an address that already follows the organisation gets
nothing, and any other gets a confirmation e-mail through the outbox. Only a
confirmed subscription is ever in a digest. So no answer and no timing of
the site tells whether an address is subscribed or a code is published.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from portal import mail
from portal.clock import utcnow
from portal.extensions import db
from portal.follow import tokens
from portal.follow.models import KIND_CONFIRM, FollowMessage, FollowRequest, Subscriber, Subscription
from portal.publication.models import ListChange, Organisation
from portal.publication.state import PUBLISHED

log = logging.getLogger(__name__)


class AddressInvalid(ValueError):
    """The e-mail address is not one we can write to."""


def subscriber_address(text):
    """Return the address as it is stored (normalised, lower case); raise AddressInvalid if it is not valid."""
    address = mail.normalise_address(text)
    # ASCII only: an address in other scripts needs SMTPUTF8, which a mail server may refuse for good.
    if not mail.valid_address(address) or not address.isascii():
        raise AddressInvalid(address)
    return address.lower()


def request_follow(email, uscc, language, now=None):
    """Record a sign-up to follow ``uscc`` at ``email`` (already checked) in ``language``; the scheduler handles it.

    The same one INSERT whatever the address and the code: the caller learns nothing.
    """
    db.session.add(FollowRequest(email=email, uscc=uscc, language=language, created_at=now or utcnow()))
    db.session.commit()


def last_change_id():
    """Return the id of the latest list change (0 before any)."""
    return db.session.scalar(select(func.max(ListChange.id))) or 0


def published_name(uscc):
    """Return the name of ``uscc`` if it is published now, else None (unknown and unpublished alike)."""
    return db.session.scalar(select(Organisation.name).where(Organisation.uscc == uscc, PUBLISHED))


def published_codes(codes):
    """Return the set of ``codes`` that are published now."""
    if not codes:
        return set()
    return set(db.session.scalars(select(Organisation.uscc).where(Organisation.uscc.in_(codes), PUBLISHED)))


def _handle(sign_up, now):
    """Turn one sign-up into a pending subscription and a confirmation e-mail, if it calls for one."""
    if published_name(sign_up.uscc) is None:
        return False
    subscriber = db.session.scalar(select(Subscriber).where(Subscriber.email == sign_up.email))
    if subscriber is None:
        subscriber = Subscriber(email=sign_up.email, language=sign_up.language, created_at=now, digest_cursor=0)
        db.session.add(subscriber)
        db.session.flush()
    subscription = db.session.scalar(
        select(Subscription).where(Subscription.subscriber_id == subscriber.id, Subscription.uscc == sign_up.uscc)
    )
    if subscription is None:
        subscription = Subscription(
            subscriber_id=subscriber.id, uscc=sign_up.uscc, language=sign_up.language, created_at=now,
        )
        db.session.add(subscription)
        db.session.flush()
    elif subscription.confirmed_at is not None:
        return False
    else:
        # Asked again before confirming: a fresh link (the old one stops working when it is sent), and a new deadline.
        subscription.language = sign_up.language
        subscription.created_at = now
    waiting = db.session.scalar(
        select(FollowMessage.id).where(FollowMessage.subscription_id == subscription.id, FollowMessage.sent_at.is_(None))
    )
    if waiting is None:
        db.session.add(
            FollowMessage(
                subscriber_id=subscriber.id, kind=KIND_CONFIRM, subscription_id=subscription.id, created_at=now,
                attempts=0, next_attempt_at=now,
            )
        )
    return True


def handle_requests(now=None, limit=500):
    """Handle the sign-ups waiting, oldest first; return how many asked for a confirmation e-mail.

    Each in its own transaction, locked and skipped when another scheduler
    has taken it (PostgreSQL); a race on the same new address ends in the
    unique constraints, and the other scheduler's work stands.
    """
    now = now or utcnow()
    waiting = db.session.scalars(select(FollowRequest.id).order_by(FollowRequest.id).limit(limit)).all()
    db.session.commit()
    queued = 0
    for request_id in waiting:
        lock = select(FollowRequest).where(FollowRequest.id == request_id)
        if db.engine.dialect.name == "postgresql":
            lock = lock.with_for_update(skip_locked=True)
        sign_up = db.session.scalars(lock).first()
        if sign_up is None:
            db.session.rollback()
            continue
        try:
            queued += _handle(sign_up, now)
            db.session.delete(sign_up)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            db.session.execute(delete(FollowRequest).where(FollowRequest.id == request_id))
            db.session.commit()
    return queued


@dataclass(frozen=True)
class Confirmation:
    """A subscription a confirmation link is for: its code, the organisation's name if published now, and its state."""

    subscription_id: int
    uscc: str
    name: str | None
    confirmed: bool


def confirmation(token):
    """Return the Confirmation a link is for; raise tokens.InvalidLink if the link is not (or no longer) valid."""
    subscription_id, secret = tokens.read_confirmation_token(token)
    subscription = db.session.get(Subscription, subscription_id)
    if subscription is None:
        raise tokens.InvalidLink()
    # The hash stays after confirmation, so that the same link (a double click) finds the same subscription,
    # and a link of a subscription since forgotten never finds another one that took its id.
    if not tokens.secret_matches(secret, subscription.token_hash):
        raise tokens.InvalidLink()
    return Confirmation(
        subscription.id, subscription.uscc, published_name(subscription.uscc), subscription.confirmed_at is not None
    )


def confirm(token, now=None):
    """Confirm the subscription of a confirmation link; return its Confirmation. Raises tokens.InvalidLink.

    Confirming twice (a double click, a second device) is not an error. The
    digests report the list changes after this moment.
    """
    found = confirmation(token)
    if not found.confirmed:
        subscription = db.session.get(Subscription, found.subscription_id)
        subscription.confirmed_at = now or utcnow()
        subscription.since_change_id = last_change_id()
        subscription.subscriber.language = subscription.language
        db.session.commit()
    return Confirmation(found.subscription_id, found.uscc, found.name, True)


def forget(subscriber_ids):
    """Delete subscribers, everything they follow and their messages; commit."""
    if not subscriber_ids:
        return
    db.session.execute(delete(FollowMessage).where(FollowMessage.subscriber_id.in_(subscriber_ids)))
    db.session.execute(delete(Subscription).where(Subscription.subscriber_id.in_(subscriber_ids)))
    db.session.execute(delete(Subscriber).where(Subscriber.id.in_(subscriber_ids)))
    db.session.commit()


def unsubscribe(token):
    """Forget the address of an unsubscribe link, with all it follows. Raises tokens.InvalidLink if not ours.

    A link of an address that has already gone does nothing, and is not an error.
    """
    subscriber_id, created = tokens.read_unsubscribe_token(token)
    subscriber = db.session.get(Subscriber, subscriber_id)
    if subscriber is not None and subscriber.created_at.isoformat() == created:
        forget([subscriber.id])
        log.info("A follow subscriber unsubscribed")
    db.session.rollback()


def purge(now=None):
    """Delete what is kept no longer: unconfirmed sign-ups and sent messages past FOLLOW_CONFIRM_DAYS.

    Return (subscribers forgotten, pending subscriptions deleted, messages deleted).
    """
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["FOLLOW_CONFIRM_DAYS"])
    db.session.execute(delete(FollowRequest).where(FollowRequest.created_at < cutoff))
    expired = select(Subscription.id).where(Subscription.confirmed_at.is_(None), Subscription.created_at < cutoff)
    messages = db.session.execute(
        delete(FollowMessage).where(
            (FollowMessage.subscription_id.in_(expired)) | (FollowMessage.sent_at < cutoff)
        )
    ).rowcount
    pending = db.session.execute(delete(Subscription).where(Subscription.id.in_(expired))).rowcount
    db.session.commit()
    # An address that follows nothing any more is not kept.
    idle = db.session.scalars(
        select(Subscriber.id).where(~Subscriber.subscriptions.any()).where(Subscriber.created_at < cutoff)
    ).all()
    forget(idle)
    return len(idle), pending, messages
