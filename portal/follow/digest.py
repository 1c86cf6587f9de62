"""The daily digest: grade changes, entries and exits of the organisations an address follows.

Each address has a cursor, the last list change (``list_changes.id``) its
digests have covered. The list changes are written only by successful syncs,
in their transaction, so the changes after the cursor are those of the
successful syncs since the last digest. A digest is queued in the outbox and
the cursor moved in one transaction, the cursor only if nobody moved it
first: two schedulers queue each digest once, and a day the scheduler missed
is in the next day's digest.
"""

import json

from sqlalchemy import select, update

from portal.clock import utcnow
from portal.extensions import db
from portal.follow.models import KIND_DIGEST, FollowMessage, Subscriber, Subscription
from portal.follow.service import last_change_id
from portal.publication.changes import public_exit_reason, shown_grades
from portal.publication.models import ListChange


def changes_for(subscriber_id, cursor, latest):
    """Return the list changes after ``cursor`` up to ``latest`` of what ``subscriber_id`` follows, as plain dicts.

    Only public facts: the code, the name on the list, the kind of change, the
    grades as shown (none for an exit) and the public reason of an exit.
    """
    rows = db.session.execute(
        select(ListChange)
        .join(Subscription, Subscription.uscc == ListChange.uscc)
        .where(
            Subscription.subscriber_id == subscriber_id,
            Subscription.confirmed_at.is_not(None),
            ListChange.id > cursor,
            ListChange.id > Subscription.since_change_id,
            ListChange.id <= latest,
        )
        .order_by(ListChange.changed_at, ListChange.id)
    ).scalars()
    changes = []
    for change in rows:
        old_grade, new_grade = shown_grades(change)
        changes.append(
            {
                "uscc": change.uscc,
                "name": change.name,
                "change_type": change.change_type,
                "old_grade": old_grade,
                "new_grade": new_grade,
                "exit_reason": public_exit_reason(change.change_type, change.reason),
                "changed_at": change.changed_at.isoformat(),
            }
        )
    return changes


def queue_digests(now=None):
    """Queue a digest for every confirmed address whose organisations changed since its last one; return how many."""
    now = now or utcnow()
    latest = last_change_id()
    due = db.session.execute(
        select(Subscriber.id, Subscriber.digest_cursor).where(
            Subscriber.digest_cursor < latest,
            Subscriber.subscriptions.any(Subscription.confirmed_at.is_not(None)),
        )
    ).all()
    db.session.commit()
    queued = 0
    for subscriber_id, cursor in due:
        changes = changes_for(subscriber_id, cursor, latest)
        moved = db.session.execute(
            update(Subscriber)
            .where(Subscriber.id == subscriber_id, Subscriber.digest_cursor == cursor)
            .values(digest_cursor=latest)
        ).rowcount
        if moved != 1:
            db.session.rollback()
            continue
        if changes:
            db.session.add(
                FollowMessage(
                    subscriber_id=subscriber_id, kind=KIND_DIGEST, payload=json.dumps(changes, ensure_ascii=False),
                    created_at=now, attempts=0, next_attempt_at=now,
                )
            )
            queued += 1
        db.session.commit()
    return queued
