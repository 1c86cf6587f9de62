"""Write precise scoring-database rows for tests (the demo generator is tested on its own)."""

import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from stdnum.cn import uscc as uscc_number

from portal.scoring import schema

BASE_TIME = datetime(2026, 11, 1, 2, 0, 0)
RULE_SET = "test-1"
BANDS = {"A": ("95.00", "200.00"), "B": ("80.00", "94.99"), "C": ("60.00", "79.99"), "D": ("0.00", "59.99")}
DIMENSIONS = ("party_building", "integrity", "governance", "operations", "evaluation", "social")
#: Base points of the dimensions: they sum to the rule set's base score of 100.
DIMENSION_BASES = dict(zip(DIMENSIONS, ("20", "20", "15", "15", "15", "15")))
SCORE_FOR_GRADE = {"A": "97.50", "B": "88.00", "C": "70.00", "D": "40.00"}


def make_uscc(number, type_prefix="51", district="110000"):
    """Return a valid USCC for a small integer."""
    first17 = f"{type_prefix}{district}{number:09d}"
    return first17 + uscc_number.calc_check_digit(first17)


class ScoringBuilder:
    """Insert and change rows of a scoring database created from the contract."""

    def __init__(self, url):
        self.engine = sa.create_engine(url)
        self.clock = BASE_TIME

    def tick(self, **delta):
        """Move the builder's clock on; later writes carry the new updated_at."""
        self.clock += timedelta(**(delta or {"minutes": 1}))
        return self.clock

    def execute(self, statement, rows=None):
        with self.engine.begin() as connection:
            return connection.execute(statement, rows) if rows is not None else connection.execute(statement)

    def rule_set(self, version=RULE_SET, bands=BANDS):
        self.execute(
            schema.rule_sets.insert(),
            [
                {
                    "version": version,
                    "name": "测试规则（演示）",
                    "is_demo": True,
                    "effective_from": date(2026, 1, 1),
                    "base_score": Decimal("100"),
                    "description": "test",
                    "updated_at": self.clock,
                }
            ],
        )
        self.execute(
            schema.rule_set_grade_bands.insert(),
            [
                {"rule_set_version": version, "grade": g, "min_score": Decimal(lo), "max_score": Decimal(hi)}
                for g, (lo, hi) in bands.items()
            ],
        )
        self.execute(
            schema.rule_set_dimensions.insert(),
            [
                {
                    "rule_set_version": version,
                    "code": code,
                    "name_zh": code,
                    "name_en": code,
                    "position": position,
                    "max_points": Decimal("20"),
                    "base_points": Decimal(DIMENSION_BASES[code]),
                }
                for position, code in enumerate(DIMENSIONS)
            ],
        )
        self.execute(
            schema.rule_set_items.insert(),
            [
                {
                    "rule_set_version": version,
                    "item_code": "P01",
                    "dimension_code": "integrity",
                    "name_zh": "守信加分",
                    "name_en": "Kept promises",
                    "points": Decimal("2"),
                }
            ],
        )

    def organisation(self, number, name=None, grade="A", score=None, status="normal", **extra):
        """Insert an organisation (and its score unless grade is None); return its USCC."""
        uscc = extra.pop("uscc", None) or make_uscc(number)
        row = {
            "uscc": uscc,
            "name": name or f"北京市测试{number}协会",
            "former_names": json.dumps(extra.pop("former_names", []), ensure_ascii=False),
            "org_type": "social_group",
            "registration_authority": "北京市民政局",
            "district_code": "110000",
            "legal_representative": "张测试",
            "registered_on": date(2010, 1, 1),
            "address": "北京市东城区测试路1号",
            "business_scope": "测试业务",
            "supervising_unit": None,
            "evaluation_level": 4,
            "evaluation_valid_from": date(2022, 1, 1),
            "evaluation_valid_until": date(2027, 1, 1),
            "registration_status": status,
            "updated_at": self.clock,
        }
        row.update({k: v for k, v in extra.items() if k in row})
        self.execute(schema.organisations.insert(), [row])
        if grade is not None:
            self.score(uscc, grade, score, insert=True)
        return uscc

    def score(self, uscc, grade, score=None, insert=False, rule_set_version=RULE_SET):
        values = {
            "score": Decimal(score or SCORE_FOR_GRADE.get(grade, "50")),
            "grade": grade,
            "dimension_scores": json.dumps({code: 10 for code in DIMENSIONS}),
            "assessed_at": self.clock,
            "rule_set_version": rule_set_version,
            "updated_at": self.clock,
        }
        if insert:
            self.execute(schema.credit_scores.insert(), [{"uscc": uscc, **values}])
        else:
            self.execute(schema.credit_scores.update().where(schema.credit_scores.c.uscc == uscc).values(**values))

    def update_organisation(self, uscc, **values):
        values.setdefault("updated_at", self.clock)
        self.execute(schema.organisations.update().where(schema.organisations.c.uscc == uscc).values(**values))

    def delete_organisation(self, uscc):
        self.execute(schema.credit_scores.delete().where(schema.credit_scores.c.uscc == uscc))
        self.execute(schema.organisations.delete().where(schema.organisations.c.uscc == uscc))

    def event(self, event_id, uscc, points="2", status="active", **extra):
        row = {
            "event_id": event_id,
            "uscc": uscc,
            "dimension_code": "integrity",
            "item_code": "P01",
            "description": "按时报送年度工作报告",
            "points": Decimal(points),
            "reporting_department": "北京市民政局",
            "legal_basis": "测试依据",
            "effective_on": date(2025, 6, 1),
            "expires_on": date(2027, 6, 1),
            "status": status,
            "is_public": True,
            "updated_at": self.clock,
        }
        row.update(extra)
        self.execute(schema.credit_events.insert(), [row])

    def list_entry(self, entry_id, uscc, list_type="abnormal_activity", **extra):
        row = {
            "entry_id": entry_id,
            "uscc": uscc,
            "list_type": list_type,
            "reason": "未按规定参加年度检查",
            "listed_on": date(2025, 3, 1),
            "listed_by": "北京市民政局",
            "removed_on": None,
            "removal_reason": None,
            "updated_at": self.clock,
        }
        row.update(extra)
        self.execute(schema.list_entries.insert(), [row])

    def dispose(self):
        self.engine.dispose()
