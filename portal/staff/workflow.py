"""The steps staff take on a complaint, as the table of portal.complaints.workflow says, with the audit log.

Every step writes a ComplaintEvent: who, when, from, to and the note. A
state change is an UPDATE guarded by the state it was read in (optimistic
concurrency): if two people act at once, the second finds the state moved
and gets ``ConcurrentChange``, so no state can be skipped.

The functions take plain arguments (ids, the acting StaffUser or its id) and
raise a ``WorkflowError`` with a translated message when a step is refused.
"""

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from portal.characters import clean_text
from portal.clock import utcnow
from portal.complaints import notifications
from portal.complaints import workflow as table
from portal.complaints.crypto import ContactKeyError, InvalidToken
from portal.complaints.models import Complaint, ComplaintEvent
from portal.complaints.service import contact_of
from portal.extensions import db
from portal.staff import access
from portal.staff.models import StaffUser

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
    return table.STATE_LABELS.get(state, state)


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
    # Control characters are no one's writing, and PostgreSQL cannot store a NUL: they go.
    text = clean_text(text or "")[0].strip()
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


def _role_of(user, complaint):
    """The role ``user`` takes in the table for ``complaint``: supervisor, handler (if theirs or nobody's), or None."""
    if user.is_supervisor:
        return table.SUPERVISOR
    return table.HANDLER if may_act(user, complaint) else None


def _refuse_step(step, from_state, user, complaint):
    """Raise the WorkflowError that says why ``user`` may not take ``step`` now; return if they may."""
    if from_state not in step.from_states:
        if step.to_state == from_state:
            raise IllegalTransition(_l("The complaint is already “%(state)s”.", state=_label(from_state)))
        raise IllegalTransition(
            _l("A complaint that is “%(from)s” cannot be moved by “%(step)s”.", **{"from": _label(from_state), "step": step.label})
        )
    role = _role_of(user, complaint)
    if role in step.roles:
        return
    if role == table.HANDLER and table.SUPERVISOR in step.roles:
        if step.name == "reopen":
            raise NotAllowed(_l("Only a supervisor can reopen a complaint."))
        raise NotAllowed(_l("Only a supervisor can take this step."))
    if role == table.SUPERVISOR and step.name == "escalate":
        raise NotAllowed(_l("A supervisor does not escalate: take the next step or assign the complaint."))
    raise NotAllowed(_l("This complaint is assigned to someone else: only they or a supervisor can move it."))


def _step_values(step, complaint, user, now, reason, outcome, reply, unit, review_result):
    """Return the column values ``step`` writes (besides the state), checking what it needs."""
    config = current_app.config
    values = {"updated_at": now}
    if step.reason == "required" and reason is None:
        raise MissingInformation(REASON_PROMPTS.get(step.name, _l("Give the reason.")), field="reason")
    if step.deadline == "answer":
        values["answer_due_at"] = table.deadline_for("answer", now, config)
    if step.name == "accept":
        values["accepted_at"] = now
    elif step.name == "reject":
        values.update(rejection_reason=reason, concluded_at=now)
    elif step.name == "transfer":
        if unit not in table.receiving_units(config):
            raise MissingInformation(_l("Choose the receiving unit from the list."), field="unit")
        values.update(transfer_unit=unit, transfer_note=reason)
    elif step.name == "answer":
        if outcome not in table.OUTCOMES:
            raise MissingInformation(_l("Choose the outcome."), field="outcome")
        if reply is None:
            raise MissingInformation(_l("Write the reply to the complainant; an answer cannot be published without one."), field="reply")
        values.update(
            outcome=outcome, public_reply=reply, answered_at=now, answered_by_id=user.id,
            review_request_until=table.deadline_for("review_request", now, config),
        )
    elif step.name == "extend":
        if complaint.extended_at is not None:
            raise IllegalTransition(_l("The answer deadline has already been extended once."))
        values.update(
            extended_at=now, extension_reason=reason,
            answer_due_at=table.deadline_for("extension", complaint.answer_due_at or now, config),
        )
    elif step.name == "hand_back":
        values.update(assignee_id=None)
    elif step.name == "escalate":
        values.update(escalated_at=now)
    elif step.name == "decide_review":
        if user.id in (complaint.answered_by_id, complaint.assignee_id):
            raise NotAllowed(_l("A review is decided by a supervisor who neither handled nor answered the complaint."))
        if review_result not in table.REVIEW_RESULTS:
            raise MissingInformation(_l("Choose the result of the review."), field="result")
        if review_result == "revised" and outcome not in table.OUTCOMES:
            raise MissingInformation(_l("Choose the new outcome."), field="outcome")
        values.update(review_result=review_result, review_decision=reason, concluded_at=now)
        if review_result == "revised":
            values["outcome"] = outcome
    elif step.name == "close":
        if complaint.review_request_until and complaint.review_request_until > now:
            raise IllegalTransition(
                _l("The complainant may still ask for a review: close the complaint once that time is over.")
            )
        values.update(concluded_at=now)
    elif step.name == "reopen":
        # The earlier decision stays in the history; the complaint is open again.
        values.update(
            accepted_at=now, outcome=None, public_reply=None, rejection_reason=None, concluded_at=None,
            answered_at=None, answered_by_id=None, review_request_until=None,
        )
    if user.is_supervisor and step.name != "escalate":
        values["escalated_at"] = None
    return values


#: What to say when a step's reason is missing.
REASON_PROMPTS = {
    "reject": _l("Give the reason for not accepting the complaint; the complainant will see it."),
    "transfer": _l("Write the public note of the transfer; the complainant will see it."),
    "extend": _l("Give the reason for the extension; the complainant will see it."),
    "hand_back": _l("Say why the complaint goes back to the queue."),
    "escalate": _l("Say why the complaint needs a supervisor."),
    "decide_review": _l("Give the reasons of the review decision; the complainant will see them."),
    "reopen": _l("Say why the complaint is reopened."),
}


def take_step(
    complaint_id, actor, step_name, note=None, reason=None, outcome=None, reply=None, unit=None,
    review_result=None, now=None,
):
    """Take the step ``step_name`` of the workflow table on a complaint, record it and return the complaint.

    Raise a WorkflowError subclass if the step is refused.
    """
    now = now or utcnow()
    step = table.step_named(step_name)
    if step is None or table.COMPLAINANT in step.roles:
        raise IllegalTransition(_l("There is no such step."))
    user = _actor(actor)
    complaint = _complaint(complaint_id)
    from_state = complaint.state
    _refuse_step(step, from_state, user, complaint)
    note = _clean(note, NOTE_MAX_LENGTH, "note")
    reason = _clean(reason, PUBLIC_TEXT_MAX_LENGTH if step.reason_public else NOTE_MAX_LENGTH, "reason")
    reply = _clean(reply, PUBLIC_TEXT_MAX_LENGTH, "reply")
    values = _step_values(step, complaint, user, now, reason, outcome, reply, unit, review_result)
    to_state = step.to_state or from_state
    values["state"] = to_state
    assign_to_actor = step.name == "accept" and complaint.assignee_id is None and not user.is_supervisor
    if assign_to_actor:
        values["assignee_id"] = user.id

    # Guarded by the state (and assignee) read above: a concurrent change makes this match no row.
    guard = [Complaint.id == complaint.id, Complaint.state == from_state]
    guard.append(Complaint.assignee_id.is_(None) if complaint.assignee_id is None else Complaint.assignee_id == complaint.assignee_id)
    if _guarded_update(update(Complaint).where(*guard).values(**values)) != 1:
        db.session.rollback()
        raise ConcurrentChange(_l("Someone else changed this complaint a moment ago. Look at it again before acting."))

    public_text = reason if step.reason_public else None
    internal = "\n\n".join(text for text in (None if step.reason_public else reason, note) if text) or None
    if step.to_state is not None:
        event = ComplaintEvent(
            complaint_id=complaint.id, at=now, actor_id=user.id, kind="transition",
            from_state=from_state, to_state=to_state, note=internal, public=True,
        )
    else:
        event = ComplaintEvent(
            complaint_id=complaint.id, at=now, actor_id=user.id, kind="step", from_state=from_state,
            to_state=step.name, note=internal, public=False,
        )
    db.session.add(event)
    if public_text is not None or step.name == "answer":
        # The public text as the complainant sees it, kept in the history even if the complaint is reopened.
        db.session.add(
            ComplaintEvent(
                complaint_id=complaint.id, at=now, actor_id=user.id, kind="reply", to_state=step.name,
                note=reply if step.name == "answer" else public_text, public=True,
            )
        )
    notifications.queue_for_step(complaint, step.name, now)
    if assign_to_actor or step.name == "hand_back":
        db.session.add(
            ComplaintEvent(
                complaint_id=complaint.id, at=now, actor_id=user.id, kind="assignment",
                note=user.username if assign_to_actor else None, public=False,
            )
        )
    db.session.commit()
    db.session.refresh(complaint)
    return complaint


def transition(complaint_id, actor, to_state, **arguments):
    """Move a complaint to ``to_state`` by the step of the table that leads there from its state (see take_step)."""
    complaint = _complaint(complaint_id)
    steps = [step for step in table.STEPS.values() if step.to_state == to_state and table.COMPLAINANT not in step.roles]
    from_here = [step for step in steps if complaint.state in step.from_states]
    step = (from_here or steps or [None])[0]
    if step is None:
        raise IllegalTransition(_l("There is no such step."))
    return take_step(complaint_id, actor, step.name, **arguments)


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
    if complaint.state in table.FINAL_STATES:
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
