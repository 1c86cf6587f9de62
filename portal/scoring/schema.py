"""The scoring database contract: the tables and columns the portal reads.

The scoring database belongs to the scoring system. The portal only reads it,
so these tables live in their own ``MetaData`` and are never part of
``db.metadata``: ``flask db upgrade`` and ``create_all()`` cannot touch them.
The demo generator and the tests create them with ``scoring_metadata``.

docs/scoring-database.md describes every column for the scoring-system team.
"""

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
)

from portal.grades import GRADES  # noqa: F401 (the grades the contract allows)

scoring_metadata = MetaData()

#: Dates of the contract are calendar dates in Beijing: a score counts its items on
#: the Beijing date of ``assessed_at`` (docs/scoring-database.md).
SCORING_TIMEZONE = "Asia/Shanghai"

#: Registration status codes (登记状态).
STATUS_NORMAL = "normal"  # 正常
STATUS_CANCELLED = "cancelled"  # 注销
STATUS_REVOKED = "revoked"  # 撤销
REGISTRATION_STATUSES = (STATUS_NORMAL, STATUS_CANCELLED, STATUS_REVOKED)

#: Organisation type codes (组织类型).
ORG_TYPES = ("social_group", "social_service", "foundation")

#: Credit event status codes.
EVENT_STATUSES = ("active", "expired", "repaired", "objection", "withdrawn")

#: List types: 活动异常名录 and 严重违法失信名单.
LIST_TYPES = ("abnormal_activity", "serious_violation")


rule_sets = Table(
    "rule_sets",
    scoring_metadata,
    Column("version", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("is_demo", Boolean, nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("base_score", Numeric(6, 2), nullable=False),
    Column("description", Text),
    Column("updated_at", DateTime, nullable=False),
)

rule_set_grade_bands = Table(
    "rule_set_grade_bands",
    scoring_metadata,
    Column("rule_set_version", String(32), primary_key=True),
    Column("grade", String(1), primary_key=True),
    Column("min_score", Numeric(6, 2), nullable=False),  # inclusive
    Column("max_score", Numeric(6, 2), nullable=False),  # inclusive
    Column("description", Text),
)

rule_set_dimensions = Table(
    "rule_set_dimensions",
    scoring_metadata,
    Column("rule_set_version", String(32), primary_key=True),
    Column("code", String(32), primary_key=True),
    Column("name_zh", String(100), nullable=False),
    Column("name_en", String(100), nullable=False),
    Column("position", Integer, nullable=False),
    Column("max_points", Numeric(6, 2), nullable=False),
    Column("base_points", Numeric(6, 2), nullable=False),  # every score starts here; sum = base_score
    Column("description", Text),
)

rule_set_items = Table(
    "rule_set_items",
    scoring_metadata,
    Column("rule_set_version", String(32), primary_key=True),
    Column("item_code", String(32), primary_key=True),
    Column("dimension_code", String(32), nullable=False),
    Column("name_zh", String(200), nullable=False),
    Column("name_en", String(200), nullable=False),
    Column("points", Numeric(6, 2), nullable=False),  # signed: + plus item, - minus item
    Column("validity_months", Integer),
    Column("legal_basis", Text),
    Column("severity", String(16)),  # minus items: minor 轻微, general 一般, serious 严重; NULL for plus items
)

organisations = Table(
    "organisations",
    scoring_metadata,
    Column("uscc", String(18), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("former_names", Text),  # JSON array of strings, oldest first
    Column("org_type", String(32), nullable=False),
    Column("registration_authority", String(100), nullable=False),
    Column("district_code", String(6), nullable=False),
    Column("legal_representative", String(100)),
    Column("registered_on", Date),
    Column("address", String(300)),
    Column("business_scope", Text),
    Column("supervising_unit", String(200)),
    Column("evaluation_level", Integer),  # 1..5 for 1A..5A, NULL for none
    Column("evaluation_valid_from", Date),
    Column("evaluation_valid_until", Date),
    Column("registration_status", String(16), nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_scoring_organisations_updated_at", "updated_at"),
)

credit_scores = Table(
    "credit_scores",
    scoring_metadata,
    Column("uscc", String(18), primary_key=True),
    Column("score", Numeric(6, 2), nullable=False),
    Column("grade", String(1), nullable=False),
    Column("dimension_scores", Text, nullable=False),  # JSON object: dimension code -> points
    Column("assessed_at", DateTime, nullable=False),
    Column("rule_set_version", String(32), nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_scoring_credit_scores_updated_at", "updated_at"),
)

credit_events = Table(
    "credit_events",
    scoring_metadata,
    Column("event_id", String(32), primary_key=True),
    Column("uscc", String(18), nullable=False),
    Column("dimension_code", String(32), nullable=False),
    Column("item_code", String(32), nullable=False),
    Column("description", Text, nullable=False),
    Column("points", Numeric(6, 2), nullable=False),
    Column("reporting_department", String(200), nullable=False),
    Column("legal_basis", Text),
    Column("effective_on", Date, nullable=False),
    Column("expires_on", Date),
    Column("status", String(16), nullable=False),
    Column("is_public", Boolean, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_scoring_credit_events_updated_at", "updated_at"),
    Index("ix_scoring_credit_events_uscc", "uscc"),
)

list_entries = Table(
    "list_entries",
    scoring_metadata,
    Column("entry_id", String(32), primary_key=True),
    Column("uscc", String(18), nullable=False),
    Column("list_type", String(32), nullable=False),
    Column("reason", Text, nullable=False),
    Column("listed_on", Date, nullable=False),
    Column("listed_by", String(200)),
    Column("removed_on", Date),
    Column("removal_reason", Text),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_scoring_list_entries_updated_at", "updated_at"),
    Index("ix_scoring_list_entries_uscc", "uscc"),
)
