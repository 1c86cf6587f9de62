"""Review (复核): asked for once by the complainant with the access code and a reason, within the window; decided by another supervisor."""

from datetime import timedelta

import pytest

from portal.clock import utcnow
from portal.complaints import review, service
from portal.staff import workflow
from tests.staff.support import create_staff, make_complaint, staff_app  # noqa: F401 (staff_app is a fixture)


@pytest.fixture
def answered(staff_app):
    with staff_app.app_context():
        first = create_staff("super1", "supervisor").id
        second = create_staff("super2", "supervisor").id
        complaint, code = make_complaint(now=utcnow() - timedelta(days=5))
        for step, arguments in (("accept", {}), ("investigate", {}), ("answer", {"outcome": "partly_substantiated", "reply": "部分属实。"})):
            workflow.take_step(complaint.id, first, step, **arguments)
        yield complaint, code, first, second


def test_a_review_through_the_status_page_decided_by_another_supervisor(staff_app, answered):
    complaint, code, first, second = answered
    client = staff_app.test_client()
    data = {"tracking_number": complaint.tracking_number, "review_access_code": code, "review_reason": "答复与事实不符。"}
    # A wrong access code answers like an unknown complaint.
    response = client.post("/complaints/status/review?lang=en", data={**data, "review_access_code": "0000-0000-0000-0000"})
    assert response.status_code == 404
    response = client.post("/complaints/status/review?lang=en", data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Your request for a review has been received." in page and "答复与事实不符。" in page
    # Once only.
    assert client.post("/complaints/status/review?lang=en", data=data).status_code == 409
    with staff_app.app_context():
        status = service.lookup(complaint.tracking_number, code)
        assert status.state == "reviewing" and status.review_due_at is not None
        # The supervisor who answered may not decide the review; another may.
        with pytest.raises(workflow.NotAllowed):
            workflow.take_step(complaint.id, first, "decide_review", review_result="upheld", reason="维持。")
        with pytest.raises(workflow.MissingInformation):
            workflow.take_step(complaint.id, second, "decide_review", review_result="revised", reason="改为属实。")
        workflow.take_step(
            complaint.id, second, "decide_review", review_result="revised", outcome="substantiated", reason="经复核，投诉属实。"
        )
        status = service.lookup(complaint.tracking_number, code)
    assert (status.state, status.outcome, status.review_result) == ("concluded", "substantiated", "revised")
    assert status.review_decision == "经复核，投诉属实。"


def test_no_review_after_the_window(staff_app, answered):
    complaint, code, _first, _second = answered
    with staff_app.app_context():
        later = utcnow() + timedelta(days=31)
        with pytest.raises(review.ReviewRefused) as refused:
            review.request_review(complaint.tracking_number, code, "太晚了", now=later)
        assert refused.value.status == 409
        assert service.lookup(complaint.tracking_number, code, now=later).review_request_until is None


def test_the_supervisor_who_handles_the_complaint_does_not_decide_its_review(staff_app, answered):
    complaint, code, first, second = answered
    with staff_app.app_context():
        review.request_review(complaint.tracking_number, code, "答复与事实不符。")
        # The second supervisor took the complaint over: neither the handler nor the one who answered decides.
        workflow.assign(complaint.id, second, second)
        for supervisor in (first, second):
            with pytest.raises(workflow.NotAllowed):
                workflow.take_step(complaint.id, supervisor, "decide_review", review_result="upheld", reason="维持。")
        third = create_staff("super3", "supervisor").id
        workflow.take_step(complaint.id, third, "decide_review", review_result="upheld", reason="维持原答复。")
        assert service.lookup(complaint.tracking_number, code).state == "concluded"
