"""Fill the portal as production does: rows in the scoring database, then the nightly sync.

The modules that test what the public sees (pages, API, statistics, open
data) share one story over three nights; each tells it with its own
organisations (``ScoringOrganisation``) and dates, and adds its own changes.
"""

from datetime import date
from typing import NamedTuple

from portal.sync import service as sync_service
from tests.scoring_builder import make_uscc

TYPE_PREFIX = {"social_group": "51", "social_service": "52", "foundation": "53"}


class ScoringOrganisation(NamedTuple):
    """An organisation a test writes to the scoring database, with its score.

    The defaults are the builder's. The USCC follows from the number, the
    type (its prefix) and the district.
    """

    number: int
    name: str
    org_type: str = "social_group"
    district: str = "110000"
    grade: str = "A"
    score: str | None = None
    evaluation_level: int | None = 4
    status: str = "normal"
    registered_on: date | None = date(2010, 1, 1)

    @property
    def uscc(self):
        return make_uscc(self.number, TYPE_PREFIX[self.org_type], self.district)

    def write(self, scoring, **columns):
        """Insert the organisation, its score and any other ``columns`` of its row; return its USCC."""
        return scoring.organisation(
            self.number,
            uscc=self.uscc,
            name=self.name,
            grade=self.grade,
            score=self.score,
            status=self.status,
            org_type=self.org_type,
            district_code=self.district,
            evaluation_level=self.evaluation_level,
            registered_on=self.registered_on,
            **columns,
        )


def uscc_lookup(organisations):
    """Return a function that gives the USCC of one of ``organisations`` by its number."""
    by_number = {organisation.number: organisation.uscc for organisation in organisations}
    return by_number.__getitem__


def sync_at(app, monkeypatch, moment, update_index=False):
    """Run a sync as if the clock showed ``moment`` (naive UTC); check that it succeeded and return its result."""
    monkeypatch.setattr(sync_service, "utcnow", lambda: moment)
    with app.app_context():
        result = sync_service.run_sync(trigger="test", update_index=update_index)
    assert result.status == "succeeded", result.error
    return result


def sync_three_nights(app, scoring, monkeypatch, nights, organisations, third_night_changes=None):
    """Sync three nights over ``organisations``, already written by ``scoring``; return ``app``.

    Night 1: all enter that may. Night 2: no. 2 drops to C and leaves, no. 3
    rises to A. Night 3: no. 2 returns as B, no. 5 is cancelled, and
    ``third_night_changes()``, if given, makes more changes.
    """
    uscc_of = uscc_lookup(organisations)
    sync_at(app, monkeypatch, nights[0])
    scoring.tick(days=1)
    scoring.score(uscc_of(2), "C", "70.00")
    scoring.score(uscc_of(3), "A", "96.00")
    sync_at(app, monkeypatch, nights[1])
    scoring.tick(days=1)
    scoring.score(uscc_of(2), "B", "88.00")
    scoring.update_organisation(uscc_of(5), registration_status="cancelled")
    if third_night_changes:
        third_night_changes()
    sync_at(app, monkeypatch, nights[2])
    return app
