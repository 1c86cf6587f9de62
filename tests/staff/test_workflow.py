"""The handling workflow (the table of portal/complaints/workflow.py, taken by portal/staff/workflow.py): every step, legal and illegal, and the audit log."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from portal.complaints import service as complaints_service
from portal.complaints import workflow as table
from portal.complaints.models import Complaint, ComplaintEvent
from portal.extensions import db
from portal.staff import accounts, workflow
from tests.staff.support import NOW, create_staff, make_complaint, reload, staff_app  # noqa: F401

#: The steps staff take, from the table; the complainant's (request_review) is tested in test_complaint_workflow.py.
STAFF_STEPS = [step for step in table.STEPS.values() if table.COMPLAINANT not in step.roles]
UNIT = "市民政局社会组织管理处"
#: How to bring a new complaint to each state, with a supervisor (steps of the table).
PATHS = {
    "submitted": [],
    "accepted": ["accept"],
    "rejected": ["reject"],
    "transferred": ["accept", "transfer"],
    "investigating": ["accept", "investigate"],
    "answered": ["accept", "investigate", "answer"],
    "reviewing": ["accept", "investigate", "answer"],
    "concluded": ["accept", "investigate", "answer", "close"],
}
FULL_ARGUMENTS = {
    "note": "内部备注", "reason": "不属于本机关管辖。", "outcome": "substantiated", "reply": "经查，情况属实，已责令整改。",
    "unit": UNIT, "review_result": "upheld",
}


@pytest.fixture
def people(staff_app):
    with staff_app.app_context():
        handler = create_staff("handler1", "handler")
        other = create_staff("handler2", "handler")
        supervisor = create_staff("super1", "supervisor")
        yield {"handler": handler.id, "other": other.id, "supervisor": supervisor.id}


def bring_to(state, actor_id, now=NOW):
    complaint, _code = make_complaint(now=now)
    for hour, step in enumerate(PATHS[state], start=1):
        if step == "close":
            # The review window is over.
            now = now + timedelta(days=60)
        workflow.take_step(complaint.id, actor_id, step, now=now + timedelta(hours=hour), **FULL_ARGUMENTS)
    if state == "reviewing":
        db.session.execute(
            update(Complaint).where(Complaint.id == complaint.id).values(state="reviewing", review_reason="不服", review_requested_at=now)
        )
        db.session.commit()
    return complaint.id


def events_of(complaint_id):
    return db.session.scalars(
        select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint_id).order_by(ComplaintEvent.at, ComplaintEvent.id)
    ).all()


@pytest.mark.parametrize("role", ["handler", "supervisor"])
@pytest.mark.parametrize("step", [step.name for step in STAFF_STEPS])
@pytest.mark.parametrize("from_state", table.STATES)
def test_every_step_from_every_state(staff_app, people, role, from_state, step):
    """Each step of the table is taken exactly from its states, by its roles; every other try changes nothing."""
    complaint_id = bring_to(from_state, people["supervisor"])
    # Unassigned, so that a handler is refused only by the rules of the workflow; answered by nobody here.
    db.session.execute(update(Complaint).where(Complaint.id == complaint_id).values(assignee_id=None, answered_by_id=None))
    db.session.commit()
    before = len(events_of(complaint_id))
    spec = table.STEPS[step]
    later = NOW + timedelta(days=90)  # after any review window
    call = lambda: workflow.take_step(complaint_id, people[role], step, now=later, **FULL_ARGUMENTS)  # noqa: E731
    if from_state in spec.from_states and role in spec.roles:
        complaint = call()
        assert complaint.state == (spec.to_state or from_state)
        event = events_of(complaint_id)[before]
        assert event.actor_id == people[role] and event.at == later
        if spec.to_state:
            assert (event.kind, event.from_state, event.to_state) == ("transition", from_state, spec.to_state)
        else:
            assert (event.kind, event.to_state, event.public) == ("step", step, False)
        return
    expected = workflow.IllegalTransition if from_state not in spec.from_states else workflow.NotAllowed
    with pytest.raises(expected):
        call()
    assert reload(Complaint, complaint_id).state == from_state
    assert len(events_of(complaint_id)) == before


def test_reject_without_reason_is_refused(staff_app, people):
    complaint_id = bring_to("submitted", people["supervisor"])
    for reason in (None, "", "   \n "):
        with pytest.raises(workflow.MissingInformation) as caught:
            workflow.transition(complaint_id, people["handler"], "rejected", reason=reason)
        assert caught.value.field == "reason"
    assert reload(Complaint, complaint_id).state == "submitted"
    complaint = workflow.transition(complaint_id, people["handler"], "rejected", reason=" 不属于本机关管辖。 ", now=NOW)
    assert complaint.rejection_reason == "不属于本机关管辖。"
    assert complaint.concluded_at == NOW


def test_an_answer_needs_an_outcome_and_a_reply(staff_app, people):
    complaint_id = bring_to("investigating", people["supervisor"])
    with pytest.raises(workflow.MissingInformation) as caught:
        workflow.transition(complaint_id, people["supervisor"], "answered", outcome="substantiated", reply="  ")
    assert caught.value.field == "reply"
    with pytest.raises(workflow.MissingInformation) as caught:
        workflow.transition(complaint_id, people["supervisor"], "answered", outcome="maybe", reply="回复")
    assert caught.value.field == "outcome"
    with pytest.raises(workflow.MissingInformation):
        workflow.transition(complaint_id, people["supervisor"], "answered", reply="回复")
    assert reload(Complaint, complaint_id).state == "investigating"
    complaint = workflow.transition(
        complaint_id, people["supervisor"], "answered", outcome="partly_substantiated", reply="经查，部分属实。", now=NOW + timedelta(days=1)
    )
    assert (complaint.state, complaint.outcome, complaint.public_reply) == ("answered", "partly_substantiated", "经查，部分属实。")
    assert complaint.answered_by_id == people["supervisor"]
    assert complaint.review_request_until is not None
    kinds = [(event.kind, event.public, event.note) for event in events_of(complaint_id)][-2:]
    assert kinds == [("transition", True, None), ("reply", True, "经查，部分属实。")]


def test_public_texts_have_a_maximum_length(staff_app, people):
    complaint_id = bring_to("submitted", people["supervisor"])
    with pytest.raises(workflow.MissingInformation) as caught:
        workflow.transition(complaint_id, people["handler"], "rejected", reason="长" * 5001)
    assert caught.value.field == "reason"


def test_reopening_needs_a_supervisor_and_a_reason(staff_app, people):
    complaint_id = bring_to("concluded", people["supervisor"])
    with pytest.raises(workflow.NotAllowed):
        workflow.take_step(complaint_id, people["handler"], "reopen", reason="想重新处理")
    with pytest.raises(workflow.MissingInformation) as caught:
        workflow.take_step(complaint_id, people["supervisor"], "reopen")
    assert caught.value.field == "reason"
    # Thursday 5 November 2026, 10:00 in Beijing: 30 working days later is Thursday 17 December, 23:59:59 Beijing.
    reopened_at = NOW + timedelta(days=3)
    complaint = workflow.take_step(complaint_id, people["supervisor"], "reopen", reason="投诉人补充了新证据", now=reopened_at)
    assert complaint.state == "accepted"
    assert complaint.outcome is None and complaint.public_reply is None and complaint.concluded_at is None
    assert complaint.answer_due_at == datetime(2026, 12, 17, 15, 59, 59)
    # The earlier reply stays in the history.
    assert any(event.kind == "reply" for event in events_of(complaint_id))
    # And the reopened complaint goes round the workflow again.
    workflow.transition(complaint_id, people["supervisor"], "investigating")
    workflow.transition(complaint_id, people["supervisor"], "answered", outcome="substantiated", reply="复查属实。")
    assert reload(Complaint, complaint_id).public_reply == "复查属实。"


def test_reopening_a_rejected_complaint(staff_app, people):
    complaint_id = bring_to("rejected", people["supervisor"])
    complaint = workflow.take_step(complaint_id, people["supervisor"], "reopen", reason="复核后受理")
    assert complaint.state == "accepted" and complaint.rejection_reason is None


def test_acceptance_sets_the_answer_deadline(staff_app, people):
    complaint_id = bring_to("submitted", people["supervisor"])
    staff_app.config["COMPLAINT_ANSWER_WORKING_DAYS"] = 10
    complaint = workflow.transition(complaint_id, people["handler"], "accepted", now=NOW)
    assert complaint.accepted_at == NOW
    # Monday 2 November 2026 + 10 working days: Monday 16 November, the end of that day in Beijing.
    assert complaint.answer_due_at == datetime(2026, 11, 16, 15, 59, 59)
    assert complaint.accept_due_at is not None  # set at submission, kept


def test_a_handler_accepting_an_unassigned_complaint_takes_it(staff_app, people):
    complaint_id = bring_to("submitted", people["supervisor"])
    complaint = workflow.transition(complaint_id, people["handler"], "accepted", now=NOW)
    assert complaint.assignee_id == people["handler"]
    assignment = [event for event in events_of(complaint_id) if event.kind == "assignment"]
    assert [(event.note, event.public) for event in assignment] == [("handler1", False)]
    # Another handler may not move it on; its assignee and a supervisor may.
    with pytest.raises(workflow.NotAllowed):
        workflow.transition(complaint_id, people["other"], "investigating")
    workflow.transition(complaint_id, people["handler"], "investigating")
    workflow.transition(complaint_id, people["supervisor"], "answered", outcome="substantiated", reply="已处理。")


def test_a_deactivated_account_cannot_act(staff_app, people):
    complaint_id = bring_to("submitted", people["supervisor"])
    accounts.deactivate("handler1")
    with pytest.raises(workflow.NotAllowed):
        workflow.transition(complaint_id, people["handler"], "accepted")
    with pytest.raises(workflow.NotAllowed):
        workflow.add_note(complaint_id, people["handler"], "备注")


def test_an_unknown_complaint(staff_app, people):
    with pytest.raises(workflow.ComplaintNotFound):
        workflow.transition(999999, people["supervisor"], "accepted")


def test_two_handlers_at_once_cannot_skip_a_state(staff_app, people):
    """The second of two concurrent moves finds the state changed and is refused (optimistic concurrency)."""
    complaint_id = bring_to("submitted", people["supervisor"])
    stale = db.session.get(Complaint, complaint_id)
    assert stale.state == "submitted"
    # Someone else rejects it meanwhile, through another connection.
    with db.engine.begin() as connection:
        connection.execute(
            update(Complaint.__table__).where(Complaint.__table__.c.id == complaint_id).values(state="rejected", rejection_reason="x")
        )
    before = len(events_of(complaint_id))
    # This session still holds the complaint as "submitted": accepting it now would move a rejected complaint.
    with pytest.raises(workflow.ConcurrentChange):
        workflow.transition(complaint_id, people["handler"], "accepted")
    complaint = reload(Complaint, complaint_id)
    assert complaint.state == "rejected" and complaint.accepted_at is None
    assert len(events_of(complaint_id)) == before


def test_notes_are_internal(staff_app, people):
    complaint_id = bring_to("accepted", people["supervisor"])
    with pytest.raises(workflow.MissingInformation):
        workflow.add_note(complaint_id, people["handler"], "  ")
    event = workflow.add_note(complaint_id, people["handler"], "已电话联系机构负责人。", now=NOW + timedelta(days=2))
    assert (event.kind, event.public, event.actor_id, event.note) == ("note", False, people["handler"], "已电话联系机构负责人。")


def test_assignment_rules(staff_app, people):
    complaint_id = bring_to("submitted", people["supervisor"])
    # A handler cannot give it to someone else, but can take it.
    with pytest.raises(workflow.NotAllowed):
        workflow.assign(complaint_id, people["handler"], people["other"])
    workflow.assign(complaint_id, people["handler"], people["handler"])
    # Once taken, the other handler cannot take it.
    with pytest.raises(workflow.NotAllowed):
        workflow.assign(complaint_id, people["other"], people["other"])
    # A supervisor reassigns, and unassigns.
    workflow.assign(complaint_id, people["supervisor"], people["other"])
    assert reload(Complaint, complaint_id).assignee_id == people["other"]
    workflow.assign(complaint_id, people["supervisor"], None)
    assert reload(Complaint, complaint_id).assignee_id is None
    notes = [event.note for event in events_of(complaint_id) if event.kind == "assignment"]
    assert notes == ["handler1", "handler2", None]
    # Nobody inactive.
    accounts.deactivate("handler2")
    with pytest.raises(workflow.MissingInformation):
        workflow.assign(complaint_id, people["supervisor"], people["other"])


def test_a_closed_complaint_cannot_be_assigned(staff_app, people):
    complaint_id = bring_to("concluded", people["supervisor"])
    with pytest.raises(workflow.IllegalTransition):
        workflow.assign(complaint_id, people["supervisor"], people["handler"])


def test_the_complainant_sees_the_reply_and_not_the_notes(staff_app, people):
    complaint, code = make_complaint(now=NOW)
    workflow.transition(complaint.id, people["handler"], "accepted", note="秘密备注一")
    workflow.add_note(complaint.id, people["handler"], "秘密备注二")
    workflow.transition(complaint.id, people["handler"], "investigating")
    workflow.transition(complaint.id, people["handler"], "answered", outcome="substantiated", reply="经查属实，已责令整改。")
    status = complaints_service.lookup(complaint.tracking_number, code)
    assert status.state == "answered" and status.outcome == "substantiated"
    assert status.public_reply == "经查属实，已责令整改。"
    assert [entry.state for entry in status.timeline] == ["submitted", "accepted", "investigating", "answered"]
    assert "秘密" not in repr(status)


def test_hand_back_and_escalation_are_audited_and_seen_by_supervisors(staff_app, people):
    from portal.staff import queue

    complaint_id = bring_to("submitted", people["supervisor"])
    workflow.take_step(complaint_id, people["handler"], "accept", now=NOW)
    with pytest.raises(workflow.MissingInformation):
        workflow.take_step(complaint_id, people["handler"], "escalate", reason=" ")
    workflow.take_step(complaint_id, people["handler"], "escalate", reason="涉及多个区，需要主管协调。", now=NOW + timedelta(hours=1))
    from portal.staff.models import StaffUser

    supervisor = db.session.get(StaffUser, people["supervisor"])
    assert queue.dashboard(supervisor, NOW + timedelta(hours=2)).escalated == 1
    escalated = queue.complaint_queue(queue.QueueFilters(escalated=True), supervisor, NOW + timedelta(hours=2))
    assert [row[0].id for row in escalated.rows] == [complaint_id]
    # The handler hands it back to the queue with a reason: unassigned, still accepted.
    complaint = workflow.take_step(complaint_id, people["handler"], "hand_back", reason="本人休假。", now=NOW + timedelta(hours=3))
    assert complaint.assignee_id is None and complaint.state == "accepted"
    steps = [(event.kind, event.to_state, event.note, event.public) for event in events_of(complaint_id) if event.kind == "step"]
    assert steps == [("step", "escalate", "涉及多个区，需要主管协调。", False), ("step", "hand_back", "本人休假。", False)]
    # A supervisor's step clears the escalation.
    complaint = workflow.take_step(complaint_id, people["supervisor"], "investigate", now=NOW + timedelta(hours=4))
    assert complaint.escalated_at is None
