"""BulkInserter stores exactly what SQLAlchemy's own INSERT stores, on SQLite and PostgreSQL.

Its C-level conversions (booleans, and SQLite's ISO dates and timestamps)
must give the same stored values as the column types' bind processors, and
it must fall back to them for anything else (a date in a timestamp column,
a timezone-aware timestamp, an integer for a boolean).
"""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.database import BulkInserter

metadata = sa.MetaData()
sample = sa.Table(
    "bulk_sample",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("flag", sa.Boolean),
    sa.Column("day", sa.Date),
    sa.Column("moment", sa.DateTime),
    sa.Column("points", sa.Numeric(6, 2)),
    sa.Column("names", sa.JSON),
    sa.Column("label", sa.String(20)),
)

ROWS = [
    {"flag": True, "day": date(2026, 11, 2), "moment": datetime(2026, 11, 2, 3, 4, 5), "points": Decimal("1.50"),
     "names": ["甲"], "label": "a"},
    {"flag": False, "day": date(999, 1, 1), "moment": datetime(2026, 11, 2, 3, 4, 5, 7), "points": Decimal("-2.00"),
     "names": {"k": 1}, "label": None},
    # (A JSON None is left out: the inserter stores SQL NULL where SQLAlchemy stores the JSON 'null'.)
    {"flag": None, "day": None, "moment": None, "points": None, "names": [], "label": ""},
]
#: Inputs the C-level conversions must leave to the bind processors.
OTHER_INPUTS = [
    {"moment": date(2026, 11, 2)},  # a date in a timestamp column
    {"moment": datetime(2026, 11, 2, 18, 0, tzinfo=UTC)},  # timezone-aware
    {"flag": 1},
]


@pytest.fixture
def engine(database_urls):
    engine = sa.create_engine(database_urls[0])
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def stored(connection):
    """Return the stored values as text, as the database holds them (not as SQLAlchemy would parse them)."""
    names = [column.name for column in sample.columns if column.name != "id"]
    listed = ", ".join(f"CAST({name} AS TEXT)" for name in names)
    return [tuple(row) for row in connection.exec_driver_sql(f"SELECT {listed} FROM bulk_sample ORDER BY id")]


@pytest.mark.parametrize("rows", [ROWS, [{**ROWS[0], **other} for other in OTHER_INPUTS]], ids=["usual", "other"])
def test_bulk_insert_stores_what_sqlalchemy_stores(engine, rows):
    rows = [{"id": number, **row} for number, row in enumerate(rows, 1)]
    columns = [column.name for column in sample.columns]
    with engine.begin() as connection:
        connection.execute(sample.insert(), rows)
        expected = stored(connection)
        connection.execute(sample.delete())
        BulkInserter(connection, sample, columns).insert(rows)
        assert stored(connection) == expected
