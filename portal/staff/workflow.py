"""The handling workflow of a complaint: its transitions, notes and assignment, with the audit log.

    submitted ──► accepted ──► investigating ──► concluded (outcome + public reply)
        └──────► rejected (public reason)
    rejected / concluded ──► accepted   (reopening: a supervisor, with a note)

Every change writes a ComplaintEvent: who, when, from, to and the internal
note. A state change is an UPDATE guarded by the state it was read in
(optimistic concurrency): if two people act at once, the second finds the
state moved and gets ``ConcurrentChange``, so no state can be skipped.

The functions take plain arguments (ids, the acting StaffUser or its id) and
raise a ``WorkflowError`` with a translated message when a move is refused.
"""

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from portal.clock import utcnow
from portal.complaints.crypto import ContactKeyError, InvalidToken
from portal.complaints.deadlines import due_after_days
from portal.complaints.models import OUTCOMES, STATE_LABELS, Complaint, ComplaintEvent
from portal.complaints.service import contact_of
from portal.extensions import db
from portal.staff import access
from portal.staff.models import StaffUser

#: Forward moves anyone on the staff may make (a handler only on a complaint that is
#: unassigned or assigned to them).
FORWARD = {
    "submitted": ("accepted", "rejected"),
    "accepted": ("investigating",),
    "investigating": ("concluded",),
}
#: Moves back into the workflow: supervisors only, with a note.
REOPEN = {
    "rejected": ("accepted",),
    "concluded": ("accepted",),
}

NOTE_MAX_LENGTH = 5000
PUBLIC_TEXT_MAX_LENGTH = 5000


class WorkflowError(Exception):
    """A workflow action was refused. ``message`` is for people (translated lazily); ``field`` names the input at fault."""

    status = 409

    def __init__(self, message, field=None):
        super().__init__(str(message))
        self.message = message
        self.field = field

    def __str__(self):
        return str(self.message)


class ComplaintNotFound(WorkflowError):
    status = 404


class IllegalTransition(WorkflowError):
    """The move is not in the workflow from the complaint's current state."""

    status = 409


class MissingInformation(WorkflowError):
    """The move needs something that was not given (a reason, an outcome, a reply, a note)."""

    status = 400


class NotAllowed(WorkflowError):
    """The actor may not do this (role, assignment, deactivated account)."""

    status = 403


class ConcurrentChange(WorkflowError):
    """Someone else changed the complaint between reading and writing it."""

    status = 409


def _label(state):
    return STATE_LABELS.get(state, state)


def _actor(actor):
    """Return the acting StaffUser (given as one or as its id); refuse a missing or deactivated account."""
    user = db.session.get(StaffUser, actor if isinstance(actor, int) else getattr(actor, "id", None))
    if user is None or not user.is_active:
        raise NotAllowed(_l("Only an active staff account can do this."))
    return user


def _complaint(complaint_id):
    complaint = db.session.get(Complaint, complaint_id)
    if complaint is None:
        raise ComplaintNotFound(_l("There is no such complaint."))
    return complaint


def _clean(text, max_length, field):
    text = (text or "").strip()
    if len(text) > max_length:
        raise MissingInformation(_l("This text is too long: at most %(num)s characters.", num=max_length), field=field)
    return text or None


def _guarded_update(statement):
    """Run an UPDATE guarded by the values read earlier; return the number of rows it changed.

    On SQLite (WAL), a transaction that read before another one committed
    cannot write at all ("database is locked", SQLITE_BUSY_SNAPSHOT): that is
    the same concurrent change, so it counts as no row changed.
    """
    try:
        return db.session.execute(statement.execution_options(synchronize_session=False)).rowcount
    except OperationalError as error:
        db.session.rollback()
        if db.engine.dialect.name == "sqlite" and "locked" in str(error.orig):
            return 0
        raise


def may_act(user, complaint):
    """Tell whether ``user`` may move ``complaint`` forward: supervisors always, handlers if it is theirs or nobody's."""
    return user.is_supervisor or complaint.assignee_id in (None, user.id)


def transition(complaint_id, actor, to_state, note=None, reason=None, outcome=None, reply=None, now=None):
    """Move a complaint to ``to_state``, record the event and return the complaint.

    ``reason`` (public) is required to reject; ``outcome`` and ``reply``
    (public) to conclude; ``note`` (internal) to reopen. Raise a
    WorkflowError subclass if the move is refused.
    """
    now = now or utcnow()
    user = _actor(actor)
    complaint = _complaint(complaint_id)
    from_state = complaint.state
    reopening = to_state in REOPEN.get(from_state, ())

    if to_state not in FORWARD.get(from_state, ()) and not reopening:
        if to_state == from_state:
            raise IllegalTransition(_l("The complaint is already “%(state)s”.", state=_label(from_state)))
        raise IllegalTransition(
            _l(
                "A complaint that is “%(from)s” cannot become “%(to)s”.",
                **{"from": _label(from_state), "to": _label(to_state)},
            )
        )
    note = _clean(note, NOTE_MAX_LENGTH, "note")
    if reopening:
        if not user.is_supervisor:
            raise NotAllowed(_l("Only a supervisor can reopen a complaint."))
        if note is None:
            raise MissingInformation(_l("Say why the complaint is reopened."), field="note")
    elif not may_act(user, complaint):
        raise NotAllowed(_l("This complaint is assigned to someone else: only they or a supervisor can move it."))

    values = {"state": to_state, "updated_at": now}
    public_text = None
    if to_state == "rejected":
        reason = _clean(reason, PUBLIC_TEXT_MAX_LENGTH, "reason")
        if reason is None:
            raise MissingInformation(_l("Give the reason for not accepting the complaint; the complainant will see it."), field="reason")
        values.update(rejection_reason=reason, concluded_at=now)
        public_text = reason
    elif to_state == "concluded":
        if outcome not in OUTCOMES:
            raise MissingInformation(_l("Choose the outcome: substantiated or not substantiated."), field="outcome")
        reply = _clean(reply, PUBLIC_TEXT_MAX_LENGTH, "reply")
        if reply is None:
            raise MissingInformation(_l("Write the reply to the complainant; a complaint cannot be concluded without one."), field="reply")
        values.update(outcome=outcome, public_reply=reply, concluded_at=now)
        public_text = reply
    elif to_state == "accepted":
        values.update(
            accepted_at=now,
            conclude_due_at=due_after_days(now, current_app.config["COMPLAINT_CONCLUDE_DAYS"]),
        )
        if reopening:
            # The earlier decision stays in the history; the complaint is open again.
            values.update(outcome=None, public_reply=None, rejection_reason=None, concluded_at=None)

    assign_to_actor = to_state == "accepted" and not reopening and complaint.assignee_id is None and not user.is_supervisor
    if assign_to_actor:
        values["assignee_id"] = user.id

    # Guarded by the state (and assignee) read above: a concurrent change makes this match no row.
    guard = [Complaint.id == complaint.id, Complaint.state == from_state]
    guard.append(Complaint.assignee_id.is_(None) if complaint.assignee_id is None else Complaint.assignee_id == complaint.assignee_id)
    if _guarded_update(update(Complaint).where(*guard).values(**values)) != 1:
        db.session.rollback()
        raise ConcurrentChange(_l("Someone else changed this complaint a moment ago. Look at it again before acting."))

    db.session.add(
        ComplaintEvent(
            complaint_id=complaint.id, at=now, actor_id=user.id, kind="transition",
            from_state=from_state, to_state=to_state, note=note, public=True,
        )
    )
    if public_text is not None and to_state == "concluded":
        # The reply as the complainant sees it, kept in the history even if the complaint is reopened.
        db.session.add(
            ComplaintEvent(complaint_id=complaint.id, at=now, actor_id=user.id, kind="reply", note=public_text, public=True)
        )
    if assign_to_actor:
        db.session.add(
            ComplaintEvent(
                complaint_id=complaint.id, at=now, actor_id=user.id, kind="assignment", note=user.username, public=False
            )
        )
    db.session.commit()
    db.session.refresh(complaint)
    return complaint


def add_note(complaint_id, actor, note, now=None):
    """Add an internal note (never shown to the complainant) to a complaint's history."""
    now = now or utcnow()
    user = _actor(actor)
    complaint = _complaint(complaint_id)
    if not access.may_see(user, complaint):
        raise NotAllowed(_l("This complaint is assigned to someone else: only they or a supervisor can add notes."))
    note = _clean(note, NOTE_MAX_LENGTH, "note")
    if note is None:
        raise MissingInformation(_l("Write the note."), field="note")
    # A note does not depend on the complaint's state: if a concurrent change
    # spoiled this transaction (SQLite), write it again in a fresh one.
    for attempt in (1, 2):
        if _guarded_update(update(Complaint).where(Complaint.id == complaint.id).values(updated_at=now)) == 1:
            break
        if attempt == 2:
            raise ConcurrentChange(_l("Someone else changed this complaint a moment ago. Try again."))
    event = ComplaintEvent(complaint_id=complaint.id, at=now, actor_id=user.id, kind="note", note=note, public=False)
    db.session.add(event)
    db.session.commit()
    return event


def assign(complaint_id, actor, assignee_id, now=None):
    """Assign a complaint (``assignee_id`` None: unassign) and record it.

    A supervisor assigns anyone active, or no one; a handler may only take an
    unassigned complaint for themselves.
    """
    now = now or utcnow()
    user = _actor(actor)
    complaint = _complaint(complaint_id)
    previous = complaint.assignee_id
    assignee = None
    if assignee_id is not None:
        assignee = db.session.get(StaffUser, assignee_id)
        if assignee is None or not assignee.is_active:
            raise MissingInformation(_l("Choose an active staff member."), field="assignee")
    if not user.is_supervisor:
        if assignee_id != user.id:
            raise NotAllowed(_l("A handler can only take a complaint for themselves; a supervisor assigns it to others."))
        if previous is not None:
            raise NotAllowed(_l("This complaint is already assigned; ask a supervisor to reassign it."))
    if previous == assignee_id:
        raise IllegalTransition(_l("The complaint is already assigned to this person."), field="assignee")
    if complaint.state not in FORWARD:
        raise IllegalTransition(_l("A closed complaint cannot be assigned; a supervisor may reopen it first."))
    guard = Complaint.assignee_id.is_(None) if previous is None else Complaint.assignee_id == previous
    if _guarded_update(
        update(Complaint).where(Complaint.id == complaint.id, guard).values(assignee_id=assignee_id, updated_at=now)
    ) != 1:
        db.session.rollback()
        raise ConcurrentChange(_l("Someone else changed the assignment a moment ago. Look at it again before acting."))
    # An assignment event's note is the assignee's username (None: unassigned); pages show their name.
    db.session.add(
        ComplaintEvent(
            complaint_id=complaint.id, at=now, actor_id=user.id, kind="assignment",
            note=assignee.username if assignee else None, public=False,
        )
    )
    db.session.commit()
    db.session.refresh(complaint)
    return complaint


def view_contact(complaint_id, actor, now=None):
    """Return a complaint's contact details for its assignee or a supervisor, and record the view in its history.

    Returns (contact, unreadable): the decrypted {"name", "phone", "email"},
    or None and True when the current key cannot decrypt them (the view is
    recorded all the same). Raise NotAllowed for anyone else. Never log the result.
    """
    now = now or utcnow()
    user = _actor(actor)
    complaint = _complaint(complaint_id)
    if not access.may_see_contact(user, complaint):
        raise NotAllowed(
            _l("Only the handler this complaint is assigned to, or a supervisor, can see the contact details.")
        )
    if not complaint.has_contact:
        raise IllegalTransition(_l("This complaint has no contact details to show."))
    db.session.add(
        ComplaintEvent(complaint_id=complaint.id, at=now, actor_id=user.id, kind="contact_view", public=False)
    )
    db.session.commit()
    try:
        return contact_of(complaint), False
    except (InvalidToken, ContactKeyError):
        # A rotated-out or wrong key: say so, never show the token.
        return None, True


def history(complaint_id):
    """Return every event of a complaint, oldest first, with its actor (for staff only)."""
    return db.session.execute(
        select(ComplaintEvent, StaffUser)
        .outerjoin(StaffUser, StaffUser.id == ComplaintEvent.actor_id)
        .where(ComplaintEvent.complaint_id == complaint_id)
        .order_by(ComplaintEvent.at, ComplaintEvent.id)
    ).all()
