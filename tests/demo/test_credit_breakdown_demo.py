"""Done when: on a 12,000-organisation demo after 30 nights, every published score is the sum of its breakdown.

For every published organisation: credit.breakdown.total == credit.score and
base + plus − minus + undisclosed == total, to the cent; every night's sync
reconciles every score (0 score_does_not_reconcile); and a changing
organisation's history has a point for each of the 30 nights.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.demo.generator import advance_night, generate_scoring_db
from portal.extensions import db
from portal.orgs import report as orgs_report
from portal.publication.models import Organisation, ScoreSnapshot
from portal.publication.state import PUBLISHED
from portal.scoring.schema import scoring_metadata
from portal.sync import service as sync_service

ORGANISATIONS = 12_000
NIGHTS = 30
DEMO_DAY = date(2026, 10, 1)
CENT = Decimal("0.01")


def sync_on(app, monkeypatch, day):
    """Sync as the scheduler does, at 02:30 Beijing time on ``day`` (18:30 UTC the day before)."""
    moment = datetime.combine(day, datetime.min.time()) - timedelta(hours=5, minutes=30)
    monkeypatch.setattr(sync_service, "utcnow", lambda: moment)
    with app.app_context():
        result = sync_service.run_sync(trigger="test", update_index=False)
    assert result.status == "succeeded", result.error
    assert result.unreconciled == 0, result.summary()
    return result


@pytest.mark.slow
def test_every_published_score_is_the_sum_of_its_breakdown_after_30_nights(tmp_path, monkeypatch):
    scoring_url = f"sqlite:///{tmp_path / 'scoring.db'}"
    engine = sa.create_engine(scoring_url)
    scoring_metadata.create_all(engine)
    engine.dispose()
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "PUBLIC_BASE_URL": "http://localhost",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'portal.db'}",
            "SCORING_DATABASE_URL": scoring_url,
            "INDEX_DIR": str(tmp_path / "index"),
            "EVIDENCE_DIR": str(tmp_path / "evidence"),
            "DOWNLOADS_DIR": str(tmp_path / "downloads"),
            "RATELIMIT_ENABLED": False,
            "PAGE_CACHE_SIZE": 0,
        }
    )
    with app.app_context():
        db.create_all()
    generate_scoring_db(scoring_url, orgs=ORGANISATIONS, seed=17, today=DEMO_DAY)
    sync_on(app, monkeypatch, DEMO_DAY)
    for night in range(1, NIGHTS + 1):
        advance_night(scoring_url, seed=17)
        # The night's rows are stamped 01:00-02:00 UTC of DEMO_DAY + night - 1; the sync runs after them.
        sync_on(app, monkeypatch, DEMO_DAY + timedelta(days=night))

    client = app.test_client()
    with app.app_context():
        published = db.session.scalars(sa.select(Organisation.uscc).where(PUBLISHED).order_by(Organisation.uscc)).all()
        assert len(published) > 0.6 * ORGANISATIONS
        today = DEMO_DAY + timedelta(days=NIGHTS)
        for uscc in published:
            report = orgs_report.credit_report(uscc, today, "Asia/Shanghai")
            breakdown = report.breakdown
            assert breakdown is not None and breakdown["reconciles"], uscc
            total = breakdown["total"]
            assert total == report.organisation.score, uscc
            assert breakdown["base"] + breakdown["plus"] - breakdown["minus"] + breakdown["undisclosed"] == total
            assert all(value == value.quantize(CENT) for value in (total, breakdown["plus"], breakdown["minus"]))
        # A changing organisation: published every night, with the most snapshots.
        changing = db.session.execute(
            sa.select(ScoreSnapshot.uscc, sa.func.count())
            .where(ScoreSnapshot.uscc.in_(published))
            .group_by(ScoreSnapshot.uscc)
            .order_by(sa.func.count().desc(), ScoreSnapshot.uscc)
            .limit(50)
        ).all()
        candidates = [uscc for uscc, count in changing if count > 1]
        histories = {uscc: orgs_report.credit_report(uscc, today, "Asia/Shanghai").history for uscc in candidates}
        always_listed = [u for u, history in histories.items() if all(point.published for point in history)]
        assert always_listed
        history = histories[always_listed[0]]
        assert len(history) == NIGHTS + 1  # the first sync and 30 nights
        assert len({point.score for point in history}) > 1
    # The API and the chart say the same for it.
    body = client.get(f"/api/v1/organisations/{always_listed[0]}").get_json()["organisation"]
    assert len(body["history"]) == NIGHTS + 1
    page = client.get(f"/org/{always_listed[0]}").get_data(as_text=True)
    assert page.count('class="chart__marker') == NIGHTS + 1
