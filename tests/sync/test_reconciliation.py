"""Reconciliation on every sync: each score recomputed from its items, differences on /status, the grade kept."""

import json
from datetime import date, datetime
from decimal import Decimal

import pytest

from portal.demo.generator import generate_scoring_db
from portal.extensions import db
from portal.publication.models import Organisation
from portal.scoring import schema
from portal.sync.models import SyncRun
from tests.synced_portal import sync_at
from tests.orgs.test_display_windows import WindowScoring

NIGHT = datetime(2026, 11, 3, 3, 0)


def test_flask_sync_run_reconciles_every_demo_score(app, runner, scoring_url):
    generate_scoring_db(scoring_url, orgs=400, seed=21)
    result = runner.invoke(args=["sync", "run"])
    assert result.exit_code == 0, result.output
    assert " 0 score_does_not_reconcile" in result.output
    with app.app_context():
        run = db.session.query(SyncRun).one()
        assert run.unreconciled == 0 and run.reconciliation["checked"] > 300
        assert run.reconciliation["rule_sets"] == {}  # the demo rule set is consistent


@pytest.fixture
def wrong_score(app, scoring_url, monkeypatch):
    """Two B organisations whose scores add up (87.00); then one is sent as 88.50, still in band B."""
    scoring = WindowScoring(scoring_url)
    scoring.rule_set()
    usccs = []
    for number in (1, 2):
        uscc = scoring.organisation(number, grade=None)
        scoring.execute(
            schema.credit_scores.insert(),
            [{"uscc": uscc, "score": Decimal("87.00"), "grade": "B",
              "dimension_scores": json.dumps({"integrity": 25, "operations": 20, "social": 42}),
              "assessed_at": scoring.clock, "rule_set_version": "windows-1", "updated_at": scoring.clock}],
        )
        for code, points, dimension in (("PLUS", "2", "social"), ("GENERAL", "-3", "integrity"),
                                        ("MINOR", "-2", "integrity"), ("SERIOUS", "-10", "operations")):
            scoring.event(f"E{number}-{code}", uscc, points=points, item_code=code, dimension_code=dimension,
                          effective_on=date(2026, 6, 1), expires_on=date(2030, 1, 1))
        usccs.append(uscc)
    first = sync_at(app, monkeypatch, NIGHT)
    assert first.unreconciled == 0
    scoring.tick(days=1)
    scoring.score(usccs[0], "B", "88.50", rule_set_version="windows-1")
    second = sync_at(app, monkeypatch, datetime(2026, 11, 4, 3, 0))
    scoring.dispose()
    return second, usccs


def test_a_wrong_score_is_reported_on_status_and_published_with_its_grade(app, wrong_score):
    result, (wrong, right) = wrong_score
    assert result.unreconciled == 1
    assert "1 score_does_not_reconcile" in result.summary()
    with app.app_context():
        run = db.session.get(SyncRun, result.run_id)
        assert run.reconciliation["differences"] == [
            {"uscc": wrong, "reason": "score_does_not_reconcile", "score": "88.50", "recomputed": "87.00"}
        ]
        org = db.session.get(Organisation, wrong)
        assert org.is_published and org.grade == "B" and org.score == Decimal("88.50")
    client = app.test_client()
    status = client.get("/status?lang=en").get_data(as_text=True)
    assert '<dd id="unreconciled-count">1</dd>' in status
    assert f"/org/{wrong}" in status and f"/org/{right}" not in status
    assert "88.50" in status and "87.00" in status
    report = client.get(f"/org/{wrong}?lang=en")
    assert report.status_code == 200
    page = report.get_data(as_text=True)
    assert "which its items do not add up to" in page
    api = client.get(f"/api/v1/organisations/{wrong}").get_json()["organisation"]["credit"]
    assert api["grade"] == "B" and api["score"] == 88.5
    assert api["breakdown"]["reconciles"] is False and api["breakdown"]["total"] == 87


def test_an_inconsistent_rule_set_is_reported_on_status_and_methodology(app, scoring, monkeypatch):
    # The builder's rule set: grade A reaches 200 points, but the dimensions give at most 120.
    scoring.organisation(1, grade="A", score="97.50")
    result = sync_at(app, monkeypatch, NIGHT)
    with app.app_context():
        problems = db.session.get(SyncRun, result.run_id).reconciliation["rule_sets"]["test-1"]
    assert "band_beyond_reachable" in [problem["code"] for problem in problems]
    client = app.test_client()
    for path in ("/status?lang=en", "/methodology?lang=en"):
        text = client.get(path).get_data(as_text=True)
        assert "contradicts itself" in text and "A grade band reaches scores that no organisation can have." in text


def _python_reconciliation(session):
    """The arithmetic of ``portal.rules.arithmetic`` over the portal's rows, as the sync computed it before it ran in SQL."""
    from itertools import groupby

    import sqlalchemy as sa

    from portal.clock import local_date
    from portal.publication.models import CreditEvent
    from portal.rules.arithmetic import Item, RuleDimension, score_from_items
    from portal.rules.models import Dimension
    from portal.scoring.schema import SCORING_TIMEZONE

    dimensions = {}
    for dimension in session.scalars(sa.select(Dimension)):
        dimensions.setdefault(dimension.rule_set_version, []).append(
            RuleDimension(dimension.code, dimension.base_points, dimension.max_points)
        )
    events = session.execute(sa.select(CreditEvent).order_by(CreditEvent.uscc)).scalars()
    items = {
        uscc: [Item(e.dimension_code, e.points, e.status, e.effective_on, e.expires_on) for e in group]
        for uscc, group in groupby(events, key=lambda event: event.uscc)
    }
    checked, differences = 0, []
    for org in session.scalars(
        sa.select(Organisation).where(Organisation.score.is_not(None), Organisation.in_source.is_(True)).order_by(Organisation.uscc)
    ):
        if org.rule_set_version not in dimensions or org.assessed_at is None:
            continue
        checked += 1
        day = local_date(org.assessed_at, SCORING_TIMEZONE)
        recomputed, _ = score_from_items(dimensions[org.rule_set_version], items.get(org.uscc, []), day)
        if recomputed != org.score:
            differences.append({"uscc": org.uscc, "reason": "score_does_not_reconcile", "score": str(org.score),
                                "recomputed": str(recomputed)})
    return checked, differences


def test_the_database_recomputes_every_score_as_the_arithmetic_does(app, runner, scoring_url):
    """Demo data, then scores and items changed in the portal: caps, floors, validity edges, Beijing midnight."""
    from datetime import timedelta

    import sqlalchemy as sa

    from portal.publication.models import CreditEvent
    from portal.scoring.schema import SCORING_TIMEZONE
    from portal.sync.reconcile import reconcile_scores

    generate_scoring_db(scoring_url, orgs=300, seed=5)
    assert runner.invoke(args=["sync", "run", "--no-index"]).exit_code == 0
    with app.app_context():
        session = db.session
        orgs = session.scalars(sa.select(Organisation).order_by(Organisation.uscc).where(Organisation.score.is_not(None))).all()
        for number, org in enumerate(orgs[:40]):
            events = session.scalars(sa.select(CreditEvent).where(CreditEvent.uscc == org.uscc)).all()
            if number % 4 == 0:
                org.score += Decimal("0.01")
            elif number % 4 == 1 and events:
                # Effective on the Beijing day of the assessment, which began the evening before in UTC.
                org.assessed_at = datetime.combine(events[0].effective_on, datetime.min.time()) - timedelta(hours=8)
                events[0].status = "active"
            elif number % 4 == 2 and events:
                events[0].points = Decimal("-99.99")  # the floor of 0
                if len(events) > 1:
                    events[1].points = Decimal("99.99")  # the cap
            elif events:
                org.assessed_at = datetime.combine(events[0].expires_on or date(2030, 1, 1), datetime.min.time()) + timedelta(hours=15, minutes=59)
        session.commit()
        expected_checked, expected = _python_reconciliation(session)
        record = reconcile_scores(session, SCORING_TIMEZONE)
        session.rollback()
    assert len(expected) >= 10
    assert record["checked"] == expected_checked
    assert record["count"] == len(expected)
    assert record["differences"] == expected
