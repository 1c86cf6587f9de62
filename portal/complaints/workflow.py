"""The complaint workflow, as one table: states, outcomes, and every step with who may take it.

    待受理 submitted ──受理──► 已受理 accepted ──办理──► 办理中 investigating ──答复──► 已答复 answered
        │                        │   ▲                    │   ▲                     │      │
        │                        └─转办─► 已转办 transferred ─答复─────────────────────┘      │
        └─不予受理──► rejected                                         复核 (complainant, once)│
                                                          复核中 reviewing ◄──────────────────┘
                                                               └─复核决定──► 已办结 concluded ◄─办结─ answered

Besides the moves between states, a handler may hand a complaint back to
the queue, escalate it to a supervisor, or extend its answer deadline once;
a supervisor may reopen a rejected or concluded complaint. Every step
writes an event in the complaint's history (the audit log).

The public pages, the staff console, the CLI and the exports read this
module; ``deadline_for`` is the one deadline rule (working days, on the
holiday calendar of ``portal.working_days``).
"""

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.working_days import calendar, due_after_working_days

# -- states ---------------------------------------------------------------------------

#: Every state, in workflow order.
STATES = ("submitted", "rejected", "accepted", "transferred", "investigating", "answered", "reviewing", "concluded")

STATE_LABELS = {
    "submitted": _l("Awaiting acceptance"),
    "rejected": _l("Not accepted"),
    "accepted": _l("Accepted"),
    "transferred": _l("Transferred"),
    "investigating": _l("Being handled"),
    "answered": _l("Answered"),
    "reviewing": _l("Under review"),
    "concluded": _l("Concluded"),
}

#: States in which the portal still owes the complainant something ("open").
OPEN_STATES = ("submitted", "accepted", "transferred", "investigating", "reviewing")

#: States in which a handler is working towards the answer.
HANDLING_STATES = ("accepted", "transferred", "investigating")

#: States after which nothing happens unless a supervisor reopens the complaint.
FINAL_STATES = ("rejected", "concluded")

#: States whose public outcome and reply the complainant (and the public outcomes of step 1) see.
ANSWERED_STATES = ("answered", "reviewing", "concluded")

OUTCOMES = {
    "substantiated": _l("Substantiated"),
    "partly_substantiated": _l("Partly substantiated"),
    "not_substantiated": _l("Not substantiated"),
    "unverifiable": _l("Cannot be verified"),
}

#: Results of a review (复核): the answer stands, or a new outcome replaces it.
REVIEW_RESULTS = {
    "upheld": _l("Answer upheld"),
    "revised": _l("Answer revised"),
}

# -- who --------------------------------------------------------------------------------

HANDLER = "handler"  # any active staff member on a complaint that is theirs or nobody's
SUPERVISOR = "supervisor"
COMPLAINANT = "complainant"  # with the tracking number and access code

# -- steps ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of the workflow.

    ``to_state`` None: the state does not change. ``reason``: "required" or
    None; ``reason_public``: the complainant sees the reason. ``deadline``:
    the name of the deadline the step starts (see DEADLINES), or None.
    ``confirm``: the console asks for a confirmation (a checkbox; no
    JavaScript needed). ``outcome``: the step records an outcome and a public
    reply. ``unit``: the step names a receiving unit (转办).
    """

    name: str
    label: object
    from_states: tuple
    to_state: str | None
    roles: tuple
    reason: str | None = None
    reason_public: bool = False
    deadline: str | None = None
    confirm: bool = False
    outcome: bool = False
    unit: bool = False


STEPS = {
    step.name: step
    for step in (
        Step("accept", _l("Accept"), ("submitted",), "accepted", (HANDLER, SUPERVISOR), deadline="answer"),
        Step(
            "reject", _l("Do not accept"), ("submitted",), "rejected", (HANDLER, SUPERVISOR),
            reason="required", reason_public=True, confirm=True,
        ),
        Step(
            "transfer", _l("Transfer to a receiving unit"), ("accepted", "investigating"), "transferred",
            (HANDLER, SUPERVISOR), reason="required", reason_public=True, unit=True,
        ),
        Step("investigate", _l("Start handling"), ("accepted",), "investigating", (HANDLER, SUPERVISOR)),
        Step(
            "answer", _l("Publish the answer"), ("investigating", "transferred"), "answered", (HANDLER, SUPERVISOR),
            confirm=True, outcome=True, deadline="review_request",
        ),
        Step(
            "extend", _l("Extend the answer deadline"), HANDLING_STATES, None, (HANDLER, SUPERVISOR),
            reason="required", reason_public=True, deadline="extension",
        ),
        Step(
            "hand_back", _l("Hand back to the queue"), HANDLING_STATES, None, (HANDLER, SUPERVISOR),
            reason="required",
        ),
        Step("escalate", _l("Escalate to a supervisor"), ("submitted", *HANDLING_STATES), None, (HANDLER,), reason="required"),
        Step(
            "request_review", _l("Request a review"), ("answered",), "reviewing", (COMPLAINANT,),
            reason="required", reason_public=True, deadline="review",
        ),
        Step(
            "decide_review", _l("Decide the review"), ("reviewing",), "concluded", (SUPERVISOR,),
            reason="required", reason_public=True, confirm=True,
        ),
        Step("close", _l("Close the complaint"), ("answered",), "concluded", (HANDLER, SUPERVISOR), confirm=True),
        Step("reopen", _l("Reopen"), FINAL_STATES, "accepted", (SUPERVISOR,), reason="required", deadline="answer"),
    )
}

#: Each deadline: its setting (working days) and the column it sets.
DEADLINES = {
    "acknowledge": ("COMPLAINT_ACKNOWLEDGE_WORKING_DAYS", "accept_due_at"),
    "answer": ("COMPLAINT_ANSWER_WORKING_DAYS", "answer_due_at"),
    "extension": ("COMPLAINT_ANSWER_EXTENSION_WORKING_DAYS", "answer_due_at"),
    "review_request": ("COMPLAINT_REVIEW_REQUEST_DAYS", "review_request_until"),
    "review": ("COMPLAINT_REVIEW_WORKING_DAYS", "review_due_at"),
}

#: The deadline a complaint in each state is working towards (the column), for queues and counts.
DUE_COLUMN = {
    "submitted": "accept_due_at",
    "accepted": "answer_due_at",
    "transferred": "answer_due_at",
    "investigating": "answer_due_at",
    "reviewing": "review_due_at",
}


def steps_from(state, role=None):
    """Return the steps open from ``state`` (to ``role`` if given), in table order."""
    return [step for step in STEPS.values() if state in step.from_states and (role is None or role in step.roles)]


def step_named(name):
    return STEPS.get(name)


def deadline_for(name, start, config=None):
    """Return the naive-UTC deadline ``name`` (see DEADLINES) for a step taken at ``start`` (naive UTC).

    Working days on the Chinese holiday calendar, except the window to ask
    for a review, which counts calendar days (from the answer, as the
    complainant reads it); ``start`` of an extension is the current deadline.
    """
    config = config or current_app.config
    setting, _column = DEADLINES[name]
    days = config[setting]
    zone = config["BABEL_DEFAULT_TIMEZONE"]
    working = calendar(config["WORKING_DAYS_SCHEDULE_FILE"] or None)
    if name == "review_request":
        return due_after_working_days(start, 0, zone, working=working) + timedelta(days=days)
    return due_after_working_days(start, days, zone, working=working)


def due_of(complaint):
    """Return the deadline ``complaint`` is working towards now, or None."""
    column = DUE_COLUMN.get(complaint.state)
    return getattr(complaint, column) if column else None


def is_overdue(complaint, now):
    due = due_of(complaint)
    return due is not None and due < now


def receiving_units(config=None):
    """Return the configured receiving units of a transfer (转办), in order."""
    config = config or current_app.config
    return list(config["COMPLAINT_RECEIVING_UNITS"])
