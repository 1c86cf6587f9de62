"""Following organisations by e-mail: subscribers, what they follow, sign-ups waiting, and the outbox.

The personal data is the e-mail address and the chosen language, nothing
else: no name, no client address. A confirmation token is stored only as a
SHA-256 hash; an unsubscribe link is signed with SECRET_KEY and stored
nowhere. Times are naive UTC.
"""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db


class FollowRequest(db.Model):
    """A sign-up as the form sent it, until the scheduler handles it (within MAIL_SEND_INTERVAL_SECONDS).

    The form only ever writes one of these, whatever the address and the code:
    whether the code is published and whether the address already follows it
    is decided later, out of sight, so that the answer and its timing are the
    same for every sign-up.
    """

    __tablename__ = "follow_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    uscc: Mapped[str] = mapped_column(String(18))
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)

    def __repr__(self):
        return f"<FollowRequest {self.id} for {self.uscc}>"  # never the address: reprs end up in logs


class Subscriber(db.Model):
    """One e-mail address that follows (or was asked to follow) organisations."""

    __tablename__ = "follow_subscribers"
    # An id is never given again (SQLite would reuse the highest one once deleted): an old unsubscribe
    # link names an address that is gone, never the next one.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Normalised and lower-cased, so that one address is one subscriber.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # The language of its messages: that of the last subscription it confirmed.
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # The last list change (list_changes.id) a digest has covered for this address.
    digest_cursor: Mapped[int] = mapped_column(Integer, default=0)

    # Deleted with plain DELETEs, messages first (``service.forget``), not by an ORM cascade.
    subscriptions: Mapped[list["Subscription"]] = relationship(back_populates="subscriber", order_by="Subscription.id")

    def __repr__(self):
        return f"<Subscriber {self.id}>"


class Subscription(db.Model):
    """One organisation an address follows: pending until the link in the confirmation e-mail is used."""

    __tablename__ = "follow_subscriptions"
    __table_args__ = (UniqueConstraint("subscriber_id", "uscc", name="uq_follow_subscriptions_subscriber_uscc"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("follow_subscribers.id"), index=True)
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    # The language asked for with this sign-up; the subscriber's once confirmed.
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # SHA-256 of the secret in the latest confirmation link sent (kept once confirmed: see service.confirmation).
    token_hash: Mapped[str | None] = mapped_column(String(64))
    # Digests report the list changes after this one (the last one when it was confirmed).
    since_change_id: Mapped[int] = mapped_column(Integer, default=0)

    subscriber: Mapped[Subscriber] = relationship(back_populates="subscriptions")

    def __repr__(self):
        return f"<Subscription {self.id} {self.uscc} {'confirmed' if self.confirmed_at else 'pending'}>"


#: The kinds of message in the outbox.
KIND_CONFIRM = "confirm"
KIND_DIGEST = "digest"


class FollowMessage(db.Model):
    """One e-mail to a subscriber, in the outbox until the mail server has accepted it (``portal.mail``)."""

    __tablename__ = "follow_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("follow_subscribers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    # The subscription a confirmation is for.
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("follow_subscriptions.id"))
    # A digest's list changes as JSON (public data only); rendered in the subscriber's language when sent.
    payload: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    # The class of the last failure (never the server's text, which may echo the address).
    last_error: Mapped[str | None] = mapped_column(String(64))

    def __repr__(self):
        return f"<FollowMessage {self.kind} {self.id}: {'sent' if self.sent_at else 'pending'}>"
