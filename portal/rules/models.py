"""The portal's copy of the scoring system's rule sets (grade bands, dimensions, items)."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db


class RuleSet(db.Model):
    __tablename__ = "rule_sets"

    version: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    is_demo: Mapped[bool] = mapped_column(Boolean)
    effective_from: Mapped[date] = mapped_column(Date)
    base_score: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    description: Mapped[str | None] = mapped_column(Text)
    source_updated_at: Mapped[datetime] = mapped_column(DateTime)

    grade_bands: Mapped[list["GradeBand"]] = relationship(
        cascade="all, delete-orphan", order_by="GradeBand.min_score.desc()"
    )
    dimensions: Mapped[list["Dimension"]] = relationship(
        cascade="all, delete-orphan", order_by="Dimension.position"
    )
    items: Mapped[list["RuleItem"]] = relationship(
        cascade="all, delete-orphan", order_by="RuleItem.item_code"
    )

    def band_for(self, grade):
        """Return the grade band of ``grade``, or None."""
        return next((band for band in self.grade_bands if band.grade == grade), None)


class GradeBand(db.Model):
    __tablename__ = "rule_set_grade_bands"

    rule_set_version: Mapped[str] = mapped_column(ForeignKey("rule_sets.version"), primary_key=True)
    grade: Mapped[str] = mapped_column(String(1), primary_key=True)
    min_score: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    max_score: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    description: Mapped[str | None] = mapped_column(Text)

    def contains(self, score):
        return self.min_score <= score <= self.max_score


class Dimension(db.Model):
    __tablename__ = "rule_set_dimensions"

    rule_set_version: Mapped[str] = mapped_column(ForeignKey("rule_sets.version"), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    max_points: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    # Points every score starts from in this dimension (None from a source without them).
    base_points: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    description: Mapped[str | None] = mapped_column(Text)


class RuleItem(db.Model):
    __tablename__ = "rule_set_items"

    rule_set_version: Mapped[str] = mapped_column(ForeignKey("rule_sets.version"), primary_key=True)
    item_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    dimension_code: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    points: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    validity_months: Mapped[int | None] = mapped_column(Integer)
    legal_basis: Mapped[str | None] = mapped_column(Text)
    # Minus items: minor | general | serious (轻微, 一般, 严重); None for plus items.
    severity: Mapped[str | None] = mapped_column(String(16))
