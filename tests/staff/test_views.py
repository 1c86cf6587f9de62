"""The staff console over HTTP: role checks on every route, the queue, the dashboard, the detail and the workflow forms."""

import os
from datetime import timedelta

import pytest
from flask import url_for

from portal.complaints import evidence as store
from portal.complaints.models import Complaint, ComplaintEvent, Evidence
from portal.extensions import db
from portal.staff import accounts, workflow
from portal.staff.accounts import utcnow
from tests.staff.support import (  # noqa: F401 (staff_app is a fixture)
    create_staff,
    make_complaint,
    png_bytes,
    reload,
    sign_in,
    staff_app,
)

#: Who may reach each staff route: "public", any signed-in "staff", only a "supervisor", or the
#: complaint's "assignee" and supervisors. The test below fails if a route of the blueprint is missing here.
ROUTE_ROLES = {
    "staff.login": "public",
    "staff.login_code": "public",
    "staff.logout": "staff",
    "staff.change_password": "staff",
    "staff.two_factor": "staff",
    "staff.disable_two_factor": "staff",
    "staff.dashboard": "staff",
    "staff.complaints": "staff",
    "staff.detail": "staff",
    "staff.step": "staff",
    "staff.add_note": "staff",
    "staff.assign": "staff",
    "staff.evidence": "staff",
    "staff.contact": "assignee",
    "staff.users": "supervisor",
    "staff.clear_sign_in_delays": "supervisor",
    "staff.reset_two_factor": "supervisor",
    "staff.site_errors": "staff",
    "staff.site_error_handled": "staff",
}


@pytest.fixture
def world(staff_app):
    """Three accounts (a handler, a supervisor, a deactivated handler) and a complaint with evidence."""
    with staff_app.app_context():
        handler = create_staff("handler1", "handler", "韩处理")
        supervisor = create_staff("super1", "supervisor", "苏主管")
        gone = create_staff("gone1", "handler", "离职者")
        complaint, code = make_complaint(files=[("发票.png", png_bytes())], now=utcnow() - timedelta(days=1))
        # Outside this app context: requests of the test client must have their own.
        return {
            "handler": handler.id,
            "supervisor": supervisor.id,
            "gone": gone.id,
            "complaint": complaint.id,
            "number": complaint.tracking_number,
            "evidence": complaint.evidence[0].id,
            "code": code,
        }


def staff_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("staff.")]


def url_of(app, rule, world):
    values = {"tracking_number": world["number"], "evidence_id": world["evidence"], "user_id": world["handler"], "step_name": "accept",
              "report_id": 1}
    with app.test_request_context():
        return url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})


def client_as(app, actor):
    """A test client signed in as ``actor`` (None: signed out; "gone": signed in, then deactivated)."""
    client = app.test_client()
    if actor is None:
        return client
    username = {"handler": "handler1", "supervisor": "super1", "gone": "gone1"}[actor]
    if actor == "gone":
        with app.app_context():
            accounts.activate(username)
    assert sign_in(client, username).status_code == 303
    if actor == "gone":
        with app.app_context():
            accounts.deactivate(username)
    return client


def test_every_staff_route_is_in_the_table(staff_app):
    endpoints = {rule.endpoint for rule in staff_rules(staff_app)}
    assert endpoints == set(ROUTE_ROLES)
    for endpoint, role in ROUTE_ROLES.items():
        view = staff_app.view_functions[endpoint]
        if role == "public":
            assert not hasattr(view, "staff_role"), endpoint
        else:
            # The decorator is there, with the role of the table.
            assert getattr(view, "staff_role", "missing") == (None if role in ("staff", "assignee") else "supervisor"), endpoint


@pytest.mark.parametrize("actor", [None, "gone", "handler", "supervisor"])
def test_role_checks_on_every_route(staff_app, world, actor):
    checked = 0
    for rule in staff_rules(staff_app):
        url = url_of(staff_app, rule, world)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            client = client_as(staff_app, actor)
            response = client.open(url, method=method, data={})
            required = ROUTE_ROLES[rule.endpoint]
            where = f"{method} {url} as {actor}"
            assert response.status_code < 500, where
            assert response.headers["Cache-Control"] == "no-store", where
            checked += 1
            if required == "public":
                assert response.status_code in (200, 302, 303, 400, 401), where
                continue
            if actor in (None, "gone"):
                if method == "GET":
                    assert response.status_code == 302, where
                    assert response.headers["Location"].startswith("/staff/login?next="), where
                else:
                    assert response.status_code == 401, where
            elif required == "supervisor" and actor == "handler":
                assert response.status_code == 403, where
            elif required == "assignee" and actor == "handler":
                # The world's complaint is nobody's yet: seen by every handler, its contact details by none.
                assert response.status_code == 403, where
            else:
                assert response.status_code not in (401, 403), where
                assert response.status_code < 500, where
    assert checked >= len(ROUTE_ROLES)


def test_forbidden_page_explains(staff_app, world):
    client = client_as(staff_app, "handler")
    response = client.get("/staff/users", headers={"Accept-Language": "en"})
    assert response.status_code == 403
    assert "Your account is not allowed to do this" in response.get_data(as_text=True)


# -- dashboard and queue -------------------------------------------------------


@pytest.fixture
def queue_world(staff_app, world):
    """Complaints of every kind, with known ages, deadlines and assignees."""
    now = utcnow()
    with staff_app.app_context():
        handler, supervisor = world["handler"], world["supervisor"]
        made = {}
        made["fresh"] = make_complaint(name="北京市阳光助学协会", category="illegal_fundraising", now=now - timedelta(days=2))[0].id
        made["old"] = make_complaint(name="北京市老旧互助会", category="other", now=now - timedelta(days=40))[0].id
        made["middle"] = make_complaint(
            name="北京市青少年发展基金会", uscc="53110000500000001X", category="false_advertising", now=now - timedelta(days=10)
        )[0].id
        made["mine"] = make_complaint(name="北京市我的协会", now=now - timedelta(days=3))[0].id
        workflow.transition(made["mine"], handler, "accepted", now=now - timedelta(days=3))
        made["closed"] = make_complaint(name="北京市已结协会", now=now - timedelta(days=5))[0].id
        workflow.transition(made["closed"], supervisor, "rejected", reason="不属于管辖范围。", now=now - timedelta(days=4))
        return made


def queue_numbers(client, **query):
    response = client.get("/staff/complaints", query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    page = response.get_data(as_text=True)
    with client.application.app_context():
        return {c.id for c in db.session.scalars(db.select(Complaint)) if c.tracking_number in page}


def test_queue_filters(staff_app, world, queue_world):
    client = client_as(staff_app, "handler")
    made = queue_world
    everything_open = {world["complaint"], made["fresh"], made["old"], made["middle"], made["mine"]}
    assert queue_numbers(client) == everything_open
    assert queue_numbers(client, state="all") == everything_open | {made["closed"]}
    assert queue_numbers(client, state="rejected") == {made["closed"]}
    assert queue_numbers(client, state="accepted") == {made["mine"]}
    assert queue_numbers(client, category="illegal_fundraising") == {made["fresh"]}
    assert queue_numbers(client, organisation="53110000500000001x") == {made["middle"]}
    assert queue_numbers(client, organisation="青少年") == {made["middle"]}
    assert queue_numbers(client, organisation="100%") == set()
    assert queue_numbers(client, age="gt30") == {made["old"]}
    assert queue_numbers(client, age="7to30") == {made["middle"]}
    assert queue_numbers(client, age="lt7") == {world["complaint"], made["fresh"], made["mine"]}
    assert queue_numbers(client, assignee="me") == {made["mine"]}
    assert queue_numbers(client, assignee=str(world["handler"])) == {made["mine"]}
    assert queue_numbers(client, assignee="none") == everything_open - {made["mine"]}
    # Five working days to accept: the 40- and 10-day-old submitted complaints are overdue.
    assert queue_numbers(client, overdue="1") == {made["old"], made["middle"]}


def test_queue_sorting_paging_and_flags(staff_app, world, queue_world):
    staff_app.config["STAFF_QUEUE_PAGE_SIZE"] = 2
    client = client_as(staff_app, "supervisor")
    with staff_app.app_context():
        numbers = {key: db.session.get(Complaint, ident).tracking_number for key, ident in queue_world.items()}
    page = client.get("/staff/complaints", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert numbers["old"] in page and numbers["middle"] in page and numbers["fresh"] not in page  # oldest first
    assert "Overdue" in page and 'class="is-overdue"' in page
    assert "This is page 1 of 3." in page and 'rel="next"' in page
    page = client.get("/staff/complaints?sort=newest").get_data(as_text=True)
    assert numbers["old"] not in page
    page = client.get("/staff/complaints?sort=due&page=1").get_data(as_text=True)
    assert numbers["old"] in page  # the most overdue first
    assert client.get("/staff/complaints?page=4").status_code == 404
    assert client.get("/staff/complaints?page=0").status_code == 400


@pytest.mark.parametrize(
    "query",
    ["state=closed", "category=spam", "age=old", "sort=random", "overdue=yes", "assignee=someone", "state=open&state=all",
     "organisation=" + "长" * 201, "page=x"],
)
def test_queue_refuses_bad_filters(staff_app, world, query):
    client = client_as(staff_app, "handler")
    response = client.get("/staff/complaints?" + query, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert 'class="error-message"' in response.get_data(as_text=True)


def test_dashboard_counts(staff_app, world, queue_world):
    client = client_as(staff_app, "handler")
    response = client.get("/staff/", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    with staff_app.app_context():
        oldest = db.session.get(Complaint, queue_world["old"]).tracking_number
    assert "<strong>5</strong> open complaints" in page
    assert "<strong>2</strong> overdue" in page
    assert "<strong>1</strong> open and assigned to me" in page
    assert "<strong>4</strong> open and unassigned" in page
    assert oldest in page and "40 days ago" in page
    assert '<caption id="states-caption">' in page and 'scope="row"' in page


def test_staff_pages_are_never_cached(staff_app, world):
    staff_app.config["PAGE_CACHE_SIZE"] = 500
    client = client_as(staff_app, "handler")
    first = client.get("/staff/complaints").get_data(as_text=True)
    with staff_app.app_context():
        added = make_complaint(name="北京市新来的协会")[0].tracking_number
    second = client.get("/staff/complaints")
    assert added not in first and added in second.get_data(as_text=True)
    assert second.headers["Cache-Control"] == "no-store" and "ETag" not in second.headers
    assert "noindex" in second.headers["X-Robots-Tag"]


# -- detail ----------------------------------------------------------------------


def test_detail_shows_evidence_and_history_and_contact_only_on_request(staff_app, world):
    client = client_as(staff_app, "handler")
    response = client.get(f"/staff/complaints/{world['number']}", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "发票.png" in page
    assert "History (audit log)" in page and 'scope="col"' in page
    assert "Accept" in page and "Do not accept" in page
    assert "Reopen" not in page  # not for a handler, nor for an open complaint
    # Not this handler's complaint (nobody's yet): its contact details are not theirs to see.
    assert "王小明" not in page and "13800138000" not in page and "wang@example.com" not in page
    assert "Only the handler this complaint is assigned to, and supervisors, can see them." in page
    assert "Take the complaint to see them." in page
    assert client.get("/staff/complaints/TS-20000101-9999").status_code == 404


def test_anonymous_complaints_are_marked(staff_app, world):
    with staff_app.app_context():
        number = make_complaint(anonymous=True)[0].tracking_number
    client = client_as(staff_app, "handler")
    page = client.get(f"/staff/complaints/{number}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Anonymous complaint." in page


def test_contact_with_a_wrong_key_is_not_shown(staff_app, world):
    from portal.complaints import crypto

    staff_app.config["COMPLAINT_CONTACT_KEY"] = crypto.generate_key()
    client = client_as(staff_app, "supervisor")
    response = client.post(f"/staff/complaints/{world['number']}/contact", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert "cannot be decrypted" in response.get_data(as_text=True)


def test_evidence_download(staff_app, world):
    client = client_as(staff_app, "handler")
    response = client.get(f"/staff/complaints/{world['number']}/evidence/{world['evidence']}")
    assert response.status_code == 200
    assert response.data == png_bytes() or response.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    # Another complaint's number with this evidence id: not found.
    with staff_app.app_context():
        other = make_complaint()[0].tracking_number
    assert client.get(f"/staff/complaints/{other}/evidence/{world['evidence']}").status_code == 404
    # A file missing from the store: a clear 404, not a 500.
    with staff_app.app_context():
        os.remove(store.stored_path(db.session.get(Evidence, world["evidence"]).stored_name))
    assert client.get(f"/staff/complaints/{world['number']}/evidence/{world['evidence']}").status_code == 404


# -- who sees which complaint (issue 14, finding 11) -----------------------------------


@pytest.fixture
def colleagues_complaint(staff_app, world):
    """A second handler, and a complaint assigned to them (with evidence and contact details)."""
    with staff_app.app_context():
        colleague = create_staff("handler2", "handler", "何同事")
        complaint = make_complaint(name="北京市同事承办协会", files=[("收据.png", png_bytes())], now=utcnow() - timedelta(days=2))[0]
        workflow.transition(complaint.id, colleague.id, "accepted")  # accepting it makes it theirs
        return {
            "colleague": colleague.id,
            "number": complaint.tracking_number,
            "id": complaint.id,
            "evidence": complaint.evidence[0].id,
        }


def _not_found_page(response, number):
    return response.get_data(as_text=True).replace(number, "NUMBER")


def test_a_handler_cannot_reach_a_colleagues_complaint(staff_app, world, colleagues_complaint):
    """Issue 14, finding 11: a handler sees their complaints and the unassigned ones, nothing else; supervisors all."""
    theirs = colleagues_complaint["number"]
    base = f"/staff/complaints/{theirs}"
    handler = client_as(staff_app, "handler")
    # Not in the queue, whatever the filters.
    for query in ({}, {"state": "all"}, {"assignee": str(colleagues_complaint["colleague"])}, {"organisation": "同事承办"}):
        page = handler.get("/staff/complaints", query_string=query).get_data(as_text=True)
        assert theirs not in page, query
    assert world["number"] in handler.get("/staff/complaints").get_data(as_text=True)
    # Nor in the dashboard's figures: only the unassigned complaint is open for this handler.
    page = handler.get("/staff/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "<strong>1</strong> open complaints" in page and theirs not in page
    # Every address of it answers as for a tracking number that does not exist.
    unknown = "TS-20000101-9999"
    missing = handler.get(f"/staff/complaints/{unknown}", headers={"Accept-Language": "en"})
    for method, path, data in [
        ("GET", base, None),
        ("GET", f"{base}/evidence/{colleagues_complaint['evidence']}", None),
        ("POST", f"{base}/notes", {"note-note": "偷看"}),
        ("POST", f"{base}/step/investigate", {}),
        ("POST", f"{base}/assign", {"assign-assignee": str(world["handler"])}),
        ("POST", f"{base}/contact", {}),
    ]:
        response = handler.open(path, method=method, data=data, headers={"Accept-Language": "en"})
        assert response.status_code == 404, (method, path)
        if method == "GET" and "evidence" not in path:
            assert _not_found_page(response, theirs) == _not_found_page(missing, unknown)
        assert "同事承办" not in response.get_data(as_text=True)
    with staff_app.app_context():
        complaint = db.session.get(Complaint, colleagues_complaint["id"])
        assert complaint.state == "accepted" and complaint.assignee_id == colleagues_complaint["colleague"]
        assert not [event for event in complaint.events if event.kind in ("note", "contact_view")]
    # Its assignee and the supervisors see it.
    supervisor = client_as(staff_app, "supervisor")
    assert supervisor.get(base).status_code == 200
    assert theirs in supervisor.get("/staff/complaints").get_data(as_text=True)
    page = supervisor.get("/staff/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "<strong>2</strong> open complaints" in page
    colleague = staff_app.test_client()
    assert sign_in(colleague, "handler2").status_code == 303
    assert colleague.get(base).status_code == 200
    assert colleague.get(f"{base}/evidence/{colleagues_complaint['evidence']}").status_code == 200


def contact_views(app, complaint_id):
    with app.app_context():
        return [
            event.actor_id
            for event in db.session.scalars(
                db.select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint_id).order_by(ComplaintEvent.id)
            )
            if event.kind == "contact_view"
        ]


@pytest.mark.parametrize(
    "language, refusal, viewed",
    [
        ("zh", "只有此投诉举报的承办人或主管才能查看联系方式。", "已查看联系方式"),
        ("en", "Only the handler this complaint is assigned to, or a supervisor, can see the contact details.",
         "Contact details viewed"),
    ],
)
def test_contact_details_only_for_the_assignee_and_supervisors_and_each_view_audited(staff_app, world, language, refusal,
                                                                                    viewed):
    """Issue 14, finding 11: a handler who is not the assignee never sees contact details; each view is in the history."""
    headers = {"Accept-Language": language}
    base = f"/staff/complaints/{world['number']}"
    handler = client_as(staff_app, "handler")
    # Nobody's complaint yet: the handler sees it, not its complainant's details, not even on request.
    assert "13800138000" not in handler.get(base, headers=headers).get_data(as_text=True)
    response = handler.post(f"{base}/contact", headers=headers)
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert refusal in page and 'href="#complainant"' in page
    assert "13800138000" not in page and "王小明" not in page
    assert contact_views(staff_app, world["complaint"]) == []
    # Once it is theirs, they may ask; the page shows them only then, and the view is recorded.
    assert handler.post(f"{base}/assign", data={"assign-assignee": str(world["handler"])}).status_code == 303
    assert "13800138000" not in handler.get(base, headers=headers).get_data(as_text=True)
    response = handler.post(f"{base}/contact", headers=headers)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "王小明" in page and "13800138000" in page and "wang@example.com" in page
    assert response.headers["Cache-Control"] == "no-store"
    assert contact_views(staff_app, world["complaint"]) == [world["handler"]]
    # A supervisor may always ask; recorded too, and shown in the history.
    supervisor = client_as(staff_app, "supervisor")
    assert "13800138000" in supervisor.post(f"{base}/contact", headers=headers).get_data(as_text=True)
    assert contact_views(staff_app, world["complaint"]) == [world["handler"], world["supervisor"]]
    history = supervisor.get(base, headers=headers).get_data(as_text=True)
    assert history.count(viewed) == 2 and "13800138000" not in history
    # An anonymous complaint has nothing to show, and nothing is recorded.
    with staff_app.app_context():
        anonymous = make_complaint(anonymous=True)[0]
        number, complaint_id = anonymous.tracking_number, anonymous.id
    response = supervisor.post(f"/staff/complaints/{number}/contact", headers={"Accept-Language": "en"})
    assert response.status_code == 409 and "no contact details to show" in response.get_data(as_text=True)
    assert contact_views(staff_app, complaint_id) == []


# -- the workflow through the forms ----------------------------------------------


def test_handling_a_complaint_through_the_forms(staff_app, world):
    from portal.complaints import service as complaints_service

    client = client_as(staff_app, "handler")
    base = f"/staff/complaints/{world['number']}"
    response = client.post(f"{base}/step/accept", data={"accept-note": "材料齐全"}, headers={"Accept-Language": "en"})
    assert response.status_code == 303 and response.headers["Location"] == base
    page = client.get(base, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "The complaint is “Accepted”" in page and "材料齐全" in page
    # Skipping is refused: an accepted complaint cannot be answered yet.
    response = client.post(f"{base}/step/answer", data={"answer-outcome": "substantiated", "answer-reply": "答复", "answer-confirm": "y"})
    assert response.status_code == 409
    assert 'href="#actions"' in response.get_data(as_text=True)
    # So is a step whose form is not on the page, even with its fields left empty.
    response = client.post(f"{base}/step/reject", data={"reject-reason": ""})
    assert response.status_code == 409 and 'href="#actions"' in response.get_data(as_text=True)
    assert client.post(f"{base}/step/investigate", data={}).status_code == 303
    # Answering without a reply nor the confirmation: a 400 with an error summary linking to the fields.
    response = client.post(f"{base}/step/answer", data={"answer-outcome": "substantiated"}, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'href="#answer-reply"' in page and "cannot be published without one" in page
    assert 'href="#answer-confirm"' in page
    assert 'aria-describedby="answer-reply-hint answer-reply-error"' in page
    response = client.post(
        f"{base}/step/answer",
        data={"answer-outcome": "partly_substantiated", "answer-reply": "经查部分属实，已责令该会整改。", "answer-confirm": "y"},
    )
    assert response.status_code == 303
    with staff_app.app_context():
        status = complaints_service.lookup(world["number"], world["code"])
    assert status.state == "answered" and status.public_reply == "经查部分属实，已责令该会整改。"
    assert status.outcome == "partly_substantiated" and status.review_request_until is not None
    # Closing is refused while the complainant may still ask for a review.
    response = client.post(f"{base}/step/close", data={"close-confirm": "y"})
    assert response.status_code == 409
    with staff_app.app_context():
        db.session.execute(db.update(Complaint).where(Complaint.id == world["complaint"]).values(review_request_until=utcnow()))
        db.session.commit()
    assert client.post(f"{base}/step/close", data={"close-confirm": "y"}).status_code == 303
    # A handler cannot reopen; a supervisor can, with a reason.
    assert client.post(f"{base}/step/reopen", data={"reopen-reason": "重新调查"}).status_code == 403
    supervisor = client_as(staff_app, "supervisor")
    response = supervisor.post(f"{base}/step/reopen", data={"reopen-reason": ""})
    assert response.status_code == 400
    assert supervisor.post(f"{base}/step/reopen", data={"reopen-reason": "投诉人补充证据"}).status_code == 303
    with staff_app.app_context():
        complaint = reload(Complaint, world["complaint"])
        assert complaint.state == "accepted"
        kinds = [(e.kind, e.from_state, e.to_state) for e in db.session.scalars(
            db.select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id).order_by(ComplaintEvent.at, ComplaintEvent.id)
        )]
    assert kinds == [
        ("transition", None, "submitted"),
        ("transition", "submitted", "accepted"),
        ("assignment", None, None),
        ("transition", "accepted", "investigating"),
        ("transition", "investigating", "answered"),
        ("reply", None, "answer"),
        ("transition", "answered", "concluded"),
        ("transition", "concluded", "accepted"),
    ]


def test_rejecting_needs_a_reason_and_a_confirmation(staff_app, world):
    client = client_as(staff_app, "handler")
    base = f"/staff/complaints/{world['number']}"
    response = client.post(f"{base}/step/reject", data={"reject-reason": "  "}, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert 'href="#reject-reason"' in response.get_data(as_text=True)
    response = client.post(f"{base}/step/reject", data={"reject-reason": "不属于本机关管辖。"}, headers={"Accept-Language": "en"})
    assert response.status_code == 400 and 'href="#reject-confirm"' in response.get_data(as_text=True)
    with staff_app.app_context():
        assert reload(Complaint, world["complaint"]).state == "submitted"
    assert client.post(f"{base}/step/reject", data={"reject-reason": "不属于本机关管辖。", "reject-confirm": "y"}).status_code == 303
    assert client.post(f"{base}/step/nowhere", data={}).status_code == 404


def test_notes_and_assignment_through_the_forms(staff_app, world):
    handler = client_as(staff_app, "handler")
    base = f"/staff/complaints/{world['number']}"
    assert handler.post(f"{base}/notes", data={"note-note": ""}).status_code == 400
    assert handler.post(f"{base}/notes", data={"note-note": "已电话联系。"}).status_code == 303
    # A handler takes the unassigned complaint, but cannot give it to someone else.
    assert handler.post(f"{base}/assign", data={"assign-assignee": str(world["supervisor"])}).status_code == 400
    assert handler.post(f"{base}/assign", data={"assign-assignee": str(world["handler"])}).status_code == 303
    with staff_app.app_context():
        assert reload(Complaint, world["complaint"]).assignee_id == world["handler"]
    page = handler.get(base, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Assigned to 韩处理" in page and "已电话联系。" in page
    # The supervisor reassigns and unassigns.
    supervisor = client_as(staff_app, "supervisor")
    assert supervisor.post(f"{base}/assign", data={"assign-assignee": str(world["supervisor"])}).status_code == 303
    assert supervisor.post(f"{base}/assign", data={"assign-assignee": ""}).status_code == 303
    assert supervisor.post(f"{base}/assign", data={"assign-assignee": "99999"}).status_code == 400
    with staff_app.app_context():
        assert reload(Complaint, world["complaint"]).assignee_id is None


def test_supervisor_clears_sign_in_delays(staff_app, world):
    from portal.staff import throttle

    with staff_app.app_context():
        for _failure in range(5):
            throttle.record_failure("handler1", "127.0.0.1", utcnow())
    assert sign_in(staff_app.test_client(), "handler1").status_code == 401
    supervisor = client_as(staff_app, "supervisor")
    page = supervisor.get("/staff/users", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Sign-in delayed after failed attempts" in page and "Clear the sign-in delays of handler1" in page
    response = supervisor.post(f"/staff/users/{world['handler']}/clear-sign-in-delays", headers={"Accept-Language": "en"})
    assert response.status_code == 303
    page = supervisor.get("/staff/users", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "The sign-in delays of handler1 are cleared." in page and "Sign-in delayed" not in page
    assert supervisor.post("/staff/users/99999/clear-sign-in-delays").status_code == 404
    assert sign_in(staff_app.test_client(), "handler1").status_code == 303


# -- accessibility of the markup -----------------------------------------------------


class _Markup:
    """The parts of a page the checks below look at."""

    def __init__(self, html):
        from html.parser import HTMLParser

        self.controls, self.labels, self.ids, self.tables, self.headers, self.links = [], set(), [], [], [], []
        markup = self

        class Parser(HTMLParser):
            def handle_starttag(self, tag, attrs):
                attributes = dict(attrs)
                if "id" in attributes:
                    markup.ids.append(attributes["id"])
                if tag in ("input", "select", "textarea") and attributes.get("type") not in ("hidden", "submit"):
                    markup.controls.append(attributes)
                elif tag == "label" and "for" in attributes:
                    markup.labels.add(attributes["for"])
                elif tag == "table":
                    markup.tables.append([])
                elif tag == "caption" and markup.tables:
                    markup.tables[-1].append("caption")
                elif tag == "th":
                    markup.headers.append(attributes.get("scope"))
                elif tag == "a" and attributes.get("href", "").startswith("#"):
                    markup.links.append(attributes["href"][1:])

        Parser().feed(html)


@pytest.mark.parametrize(
    "actor, path",
    [
        (None, "/staff/login"),
        ("handler", "/staff/"),
        ("handler", "/staff/complaints?state=all"),
        ("handler", "/staff/password"),
        ("handler", "/staff/two-factor"),
        ("supervisor", "/staff/users"),
        ("supervisor", "DETAIL"),
    ],
)
def test_pages_have_labels_captions_and_scoped_headers(staff_app, world, queue_world, actor, path):
    client = client_as(staff_app, actor)
    if path == "DETAIL":
        base = f"/staff/complaints/{world['number']}"
        # With errors shown: the summary's links must lead to fields on the page.
        response = client.post(f"{base}/step/reject", data={"reject-reason": ""})
        assert response.status_code == 400
    else:
        response = client.get(path)
        assert response.status_code == 200
    markup = _Markup(response.get_data(as_text=True))
    for control in markup.controls:
        assert control.get("id") in markup.labels, control
    assert all(table == ["caption"] for table in markup.tables), path
    assert all(scope in ("col", "row") for scope in markup.headers), path
    assert len(markup.ids) == len(set(markup.ids)), sorted(i for i in markup.ids if markup.ids.count(i) > 1)
    for target in markup.links:
        assert target in markup.ids, target
