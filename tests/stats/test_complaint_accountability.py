"""/stats/complaints: the public accountability of complaint handling over 12 months, counts only."""

from datetime import timedelta

from portal.clock import utcnow
from portal.complaints.accountability import accountability
from portal.staff import workflow
from tests.staff.support import create_staff, make_complaint, staff_app  # noqa: F401 (staff_app is a fixture)


def test_on_time_late_outcomes_and_reviews_are_counted_without_names(staff_app):
    with staff_app.app_context():
        handler = create_staff("handler1").id
        now = utcnow()
        on_time, _code = make_complaint(name="北京市准时公益协会", now=now - timedelta(days=60))
        workflow.take_step(on_time.id, handler, "accept", now=now - timedelta(days=59))
        workflow.take_step(on_time.id, handler, "investigate", now=now - timedelta(days=58))
        workflow.take_step(
            on_time.id, handler, "answer", outcome="partly_substantiated", reply="部分属实。", now=now - timedelta(days=50)
        )
        late, _code = make_complaint(name="北京市迟办公益协会", now=now - timedelta(days=100))
        workflow.take_step(late.id, handler, "accept", now=now - timedelta(days=80))  # after 5 working days
        rejected, _code = make_complaint(name="北京市不予受理协会", now=now - timedelta(days=3))
        workflow.take_step(rejected.id, handler, "reject", reason="不属于本机关管辖。", now=now - timedelta(days=2))
        waiting, _code = make_complaint(name="北京市待受理秘密协会", now=now - timedelta(days=30))
        old, _code = make_complaint(name="北京市去年协会", now=now - timedelta(days=400))
        figures = accountability(now)
    assert figures.received == 4  # the one of 400 days ago is outside the 12 months
    assert (figures.acknowledged, figures.acknowledged_on_time) == (3, 2)
    assert (figures.answered, figures.answered_on_time) == (1, 1)
    assert figures.outcomes["partly_substantiated"] == 1 and figures.outcomes["substantiated"] == 0
    assert figures.overdue_now >= 1  # the complaint waiting 30 days for acceptance
    for language in ("zh", "en"):
        response = staff_app.test_client().get("/stats/complaints", headers={"Accept-Language": language})
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert 'id="answered-on-time">1<' in page
        for name in ("准时", "迟办", "不予受理协会", "待受理秘密", "去年"):
            assert name not in page
