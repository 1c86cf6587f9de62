"""Step 1 of the form shows the public outcomes of earlier complaints about a published organisation, and nothing else."""

from datetime import timedelta

from portal.clock import utcnow
from portal.complaints import organisations
from portal.staff import accounts, workflow
from tests.complaints.support import (  # noqa: F401 (fixtures)
    PUBLISHED_NAME,
    PUBLISHED_USCC,
    UNPUBLISHED_NAME,
    UNPUBLISHED_USCC,
    app,
    client,
    make_app,
)
from tests.staff.support import make_complaint


def answered_complaint(uscc, name, handler, outcome):
    complaint, _code = make_complaint(name=name, uscc=uscc, now=utcnow() - timedelta(days=10))
    for step, arguments in (("accept", {}), ("investigate", {}), ("answer", {"outcome": outcome, "reply": "秘密答复内容"})):
        workflow.take_step(complaint.id, handler, step, **arguments)
    return complaint


def choose(client, uscc, name=""):
    return client.post(
        "/complaints/new?lang=en",
        data={"step": "organisation", "uscc": uscc, "organisation_name": name, "category": "other"},
    )


def test_the_outcomes_of_a_published_organisation_and_none_of_another(app, client):
    # The app's organisations: PUBLISHED_USCC on the public list, UNPUBLISHED_USCC graded C.
    with app.app_context():
        handler = accounts.create_user("handler1", "handler", "Handler", "Correct-Horse-42").id
        answered_complaint(PUBLISHED_USCC, PUBLISHED_NAME, handler, "partly_substantiated")
        answered_complaint(UNPUBLISHED_USCC, UNPUBLISHED_NAME, handler, "substantiated")
        published = organisations.resolve_organisation(PUBLISHED_USCC, "")
        assert organisations.public_outcomes(published).counts["partly_substantiated"] == 1
    page = choose(client, PUBLISHED_USCC).get_data(as_text=True)
    assert 'id="earlier-outcomes-title"' in page and "Partly substantiated: 1" in page
    assert "秘密答复内容" not in page
    # An organisation off the public list: no outcomes, so nothing tells it from an unknown code.
    page = choose(client, UNPUBLISHED_USCC, UNPUBLISHED_NAME).get_data(as_text=True)
    assert 'id="earlier-outcomes-title"' not in page
