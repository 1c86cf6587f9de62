"""The published data model: every organisation the portal has synced, its history, the list changes and the publication state.

Every organisation read from the scoring database is kept, published or not,
because complaints may name any registered organisation. Only rows with
``is_published`` are ever shown to the public. The sync writes these tables
in one transaction; search, pages, the API, open data, statistics and
reports only read them.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db

#: Kinds of ListChange.
CHANGE_ENTRY = "entry"
CHANGE_EXIT = "exit"
CHANGE_GRADE = "grade_change"
CHANGE_TYPES = (CHANGE_ENTRY, CHANGE_EXIT, CHANGE_GRADE)


class Organisation(db.Model):
    __tablename__ = "organisations"

    uscc: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The public list's order: set by the sync once an organisation is published, and on every renaming.
    name_pinyin: Mapped[str] = mapped_column(String(600), default="")
    former_names: Mapped[list] = mapped_column(JSON, default=list)
    org_type: Mapped[str] = mapped_column(String(32))
    registration_authority: Mapped[str] = mapped_column(String(100))
    district_code: Mapped[str] = mapped_column(String(6))
    legal_representative: Mapped[str | None] = mapped_column(String(100))
    registered_on: Mapped[date | None] = mapped_column(Date)
    address: Mapped[str | None] = mapped_column(String(300))
    business_scope: Mapped[str | None] = mapped_column(Text)
    supervising_unit: Mapped[str | None] = mapped_column(String(200))
    evaluation_level: Mapped[int | None] = mapped_column(Integer)
    evaluation_valid_from: Mapped[date | None] = mapped_column(Date)
    evaluation_valid_until: Mapped[date | None] = mapped_column(Date)
    registration_status: Mapped[str] = mapped_column(String(16))

    # The current credit score (NULL until the scoring system has scored it).
    score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    grade: Mapped[str | None] = mapped_column(String(1))
    dimension_scores: Mapped[dict | None] = mapped_column(JSON)
    assessed_at: Mapped[datetime | None] = mapped_column(DateTime)
    rule_set_version: Mapped[str | None] = mapped_column(String(32))

    # Publication: decided by the sync, never by a view.
    is_published: Mapped[bool] = mapped_column(Boolean, default=False)
    # Why an organisation is not published (internal: never shown publicly).
    unpublished_reason: Mapped[str | None] = mapped_column(String(32))
    published_since: Mapped[datetime | None] = mapped_column(DateTime)

    # Change tracking: the source timestamps, and the publication version in
    # which this row last changed (the index catches up from it).
    organisation_updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    score_updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    changed_in_version: Mapped[int] = mapped_column(Integer, default=0)
    # False once a full reconciliation finds the row gone from the source.
    in_source: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        # The public list: its default order, its sorts and its filter counts.
        Index("ix_organisations_published_name", "is_published", "name_pinyin"),
        Index("ix_organisations_published_score", "is_published", "score"),
        Index("ix_organisations_published_registered", "is_published", "registered_on"),
        Index(
            "ix_organisations_published_facets",
            "is_published",
            "grade",
            "org_type",
            "district_code",
            "evaluation_level",
        ),
        Index("ix_organisations_changed_in_version", "changed_in_version"),
    )

    def __repr__(self):
        return f"<Organisation {self.uscc} {self.grade} published={self.is_published}>"


class CreditEvent(db.Model):
    __tablename__ = "credit_events"

    event_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    dimension_code: Mapped[str] = mapped_column(String(32))
    item_code: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    points: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    reporting_department: Mapped[str] = mapped_column(String(200))
    legal_basis: Mapped[str | None] = mapped_column(Text)
    effective_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    is_public: Mapped[bool] = mapped_column(Boolean)
    source_updated_at: Mapped[datetime] = mapped_column(DateTime)


class ListEntry(db.Model):
    """An entry in 活动异常名录 or 严重违法失信名单."""

    __tablename__ = "list_entries"

    entry_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    list_type: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    listed_on: Mapped[date] = mapped_column(Date)
    listed_by: Mapped[str | None] = mapped_column(String(200))
    removed_on: Mapped[date | None] = mapped_column(Date)
    removal_reason: Mapped[str | None] = mapped_column(Text)
    source_updated_at: Mapped[datetime] = mapped_column(DateTime)


class ScoreSnapshot(db.Model):
    """The score, grade and publication of one organisation after a sync that changed them."""

    __tablename__ = "score_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18))
    sync_run_id: Mapped[int] = mapped_column(ForeignKey("sync_runs.id"))
    # The moment from which this snapshot was the public state.
    effective_at: Mapped[datetime] = mapped_column(DateTime)
    score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    grade: Mapped[str | None] = mapped_column(String(1))
    dimension_scores: Mapped[dict | None] = mapped_column(JSON)
    is_published: Mapped[bool] = mapped_column(Boolean)
    rule_set_version: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (Index("ix_score_snapshots_uscc_effective", "uscc", "effective_at"),)


class PublicationState(db.Model):
    """One row: what the public currently sees, and where the next incremental sync starts."""

    __tablename__ = "publication_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id"))
    # Data as of: when the last successful sync read the scoring database.
    data_as_of: Mapped[datetime | None] = mapped_column(DateTime)
    last_full_at: Mapped[datetime | None] = mapped_column(DateTime)
    published_count: Mapped[int] = mapped_column(Integer, default=0)
    # Per-table high-water marks of the source's updated_at, as ISO strings.
    watermarks: Mapped[dict | None] = mapped_column(JSON)


class ListChange(db.Model):
    """An entry to or exit from the public list, or a grade change while listed."""

    __tablename__ = "list_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sync_run_id: Mapped[int] = mapped_column(ForeignKey("sync_runs.id"))
    publication_version: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(DateTime)
    uscc: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(200))
    change_type: Mapped[str] = mapped_column(String(16))
    # Grades as published: old_grade is set for exits and grade changes,
    # new_grade for entries and grade changes. An exit never records the
    # grade that made the organisation leave, so nothing can reveal it.
    old_grade: Mapped[str | None] = mapped_column(String(1))
    new_grade: Mapped[str | None] = mapped_column(String(1))
    # Internal reason code (never shown publicly for exits).
    reason: Mapped[str] = mapped_column(String(32))

    __table_args__ = (
        Index("ix_list_changes_changed_at", "changed_at"),
        Index("ix_list_changes_type_changed_at", "change_type", "changed_at"),
        Index("ix_list_changes_uscc", "uscc"),
    )


class FieldChange(db.Model):
    """One public field of a listed organisation that a sync saw change: a line of its change record (变更记录).

    Recorded only while the organisation is in the public list before and
    after the change (``portal.publication.field_history``): what happens to
    it off the list is never kept, so its record cannot tell why it left.
    """

    __tablename__ = "field_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18))
    sync_run_id: Mapped[int] = mapped_column(ForeignKey("sync_runs.id"))
    publication_version: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(DateTime)
    field: Mapped[str] = mapped_column(String(32))
    # As text: a score is kept with its two decimals ("88.00").
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_field_changes_uscc_changed_at", "uscc", "changed_at"),)
