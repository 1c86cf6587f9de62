"""Write a demo scoring database: the scoring system's contract, filled with invented data.

The portal only reads the scoring database. This module is the one thing that
writes one, so it makes its own engine rather than using the portal's
read-only one. ``generate_scoring_db`` replaces the contract tables with a
fresh database. ``advance_night`` moves that database on by one night, as the
scoring system would. Both are deterministic: the same seed (and, for a
night, the same starting database) writes the same rows on the same day.
The demo follows the wall clock: a database generated today holds the state
after the scoring system's run of last night, and each ``advance_night`` moves
it on by one day. ``updated_at`` is derived from those days, never from the
time the command runs.
"""

import random
import time
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import Column, Numeric, String, bindparam, create_engine, func, inspect, select
from sqlalchemy.engine import Engine

from portal.demo import catalogue
from portal.demo.factory import Batch, OrganisationFactory
from portal.demo.shape import (
    NIGHT_HOUR,
    cents,
    decimal_points,
    demo_today,
    generation_time,
    inconsistent_indexes,
    last_night,
)
from portal.demo.night import Night
from portal.scoring.schema import (
    credit_events,
    credit_scores,
    list_entries,
    organisations,
    rule_set_dimensions,
    rule_set_grade_bands,
    rule_set_items,
    rule_sets,
    scoring_metadata,
)

BATCH_SIZE = 2000
#: Tables that only a portal database has: writing there would destroy it.
PORTAL_ONLY_TABLES = ("sync_runs", "publication_state", "list_changes", "score_snapshots")


class DemoDatabaseError(Exception):
    """The target database cannot hold, or does not hold, a demo scoring database."""


# -- Public API ---------------------------------------------------------------


def generate_scoring_db(url, orgs=12000, seed=1, progress=None, today=None):
    """Drop, re-create and fill the contract tables at ``url`` (a URL or an Engine).

    ``today`` is the demo's day (default: today by the wall clock); the rows
    are those of the scoring system's run the night before. ``progress``, if
    given, is called with the number of organisations written after each
    batch. Return a summary dict (counts, grades, seconds).
    """
    started = time.perf_counter()
    today = today or demo_today()
    factory = OrganisationFactory(random.Random(seed), today=last_night(today))
    totals = {"organisations": 0, "events": 0, "list_entries": 0, "scores": 0, "inconsistent": 0}
    grades = {band[0]: 0 for band in catalogue.GRADE_BANDS}
    # One transaction: where DDL is transactional (PostgreSQL), a failure leaves the old database.
    with _writing_engine(url) as engine, engine.begin() as connection:
        _refuse_portal_database(connection)
        scoring_metadata.drop_all(connection)
        scoring_metadata.create_all(connection)
        _insert(connection, rule_sets, [_rule_set_row()])
        _insert(connection, rule_set_grade_bands, _grade_band_rows())
        _insert(connection, rule_set_dimensions, _dimension_rows())
        _insert(connection, rule_set_items, _item_rows())
        inconsistent = inconsistent_indexes(factory.rng, orgs)
        for start in range(0, orgs, BATCH_SIZE):
            batch = Batch()
            for index in range(start, min(start + BATCH_SIZE, orgs)):
                factory.generated_organisation(batch, index, inconsistent=index in inconsistent)
            _write_batch(connection, batch)
            totals["organisations"] += len(batch.organisations)
            totals["events"] += len(batch.events)
            totals["list_entries"] += len(batch.list_entries)
            totals["scores"] += len(batch.scores)
            for row in batch.scores:
                grades[row["grade"]] += 1
            if progress is not None:
                progress(len(batch.organisations))
    totals["inconsistent"] = len(inconsistent)
    return {
        **totals,
        "grades": grades,
        "seed": seed,
        "generation_time": generation_time(today),
        "seconds": time.perf_counter() - started,
    }


def advance_night(url, seed=1, changes_percent=5.0):
    """Move the demo scoring database at ``url`` on by one night.

    The night is the day after the latest ``updated_at`` in the database;
    every row written gets an ``updated_at`` between 01:00 and 02:00 UTC of
    that night. About ``changes_percent`` per cent of the organisations change.
    The result depends only on the database and ``seed``. Return a summary dict.
    """
    started = time.perf_counter()
    with _writing_engine(url) as engine, engine.begin() as connection:
        _refuse_portal_database(connection)
        migrate_scoring_db(connection)
        night = Night(read_state(connection), seed, changes_percent)
        night.plan()
        _write_night(connection, night)
    return {**night.summary(), "seconds": time.perf_counter() - started}


def format_generation_summary(summary):
    """Return the one-line summary of ``generate_scoring_db``."""
    grades = " / ".join(f"{grade} {count}" for grade, count in summary["grades"].items())
    return (
        f"demo scoring db: {summary['organisations']} organisations, {summary['events']} events, "
        f"{summary['list_entries']} list entries, grades {grades} "
        f"({summary['inconsistent']} deliberately inconsistent) in {summary['seconds']:.1f} s"
    )


def format_night_summary(summary):
    """Return the one-line summary of ``advance_night``."""
    return (
        f"demo night {summary['night']}: {summary['organisations_changed']} of "
        f"{summary['organisations']} organisations changed ({summary['new_organisations']} new, "
        f"{summary['cancelled']} cancelled, {summary['profile_changes']} profiles, "
        f"{summary['scores_changed']} scores: {summary['b_to_c']} B→C, "
        f"{summary['c_to_b_or_a']} C→B/A), events +{summary['events_added']} / "
        f"{summary['events_expired']} expired / {summary['events_repaired']} repaired, "
        f"list +{summary['list_added']} / -{summary['list_removed']} in {summary['seconds']:.1f} s"
    )


def demo_night(url):
    """Return the current demo night: the latest ``updated_at`` in the database, or None."""
    with _writing_engine(url) as engine, engine.connect() as connection:
        return _latest_update(connection)


# -- Engines and writing ------------------------------------------------------


@contextmanager
def _writing_engine(url):
    """Yield ``url`` if it is an Engine; otherwise an engine for it, disposed of afterwards."""
    if isinstance(url, Engine):
        yield url
        return
    engine = create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def _refuse_portal_database(connection):
    # The portal database has tables with the same names as the contract's;
    # dropping them there would destroy the portal's data.
    found = sorted(set(inspect(connection).get_table_names()) & set(PORTAL_ONLY_TABLES))
    if found:
        raise DemoDatabaseError(
            "refusing to write: this looks like the portal database " f"(it has {', '.join(found)})"
        )


def _insert(connection, table, rows):
    """Insert ``rows`` with executemany, ``BATCH_SIZE`` rows at a time."""
    for start in range(0, len(rows), BATCH_SIZE):
        connection.execute(table.insert(), rows[start : start + BATCH_SIZE])


def _update(connection, table, key, rows):
    """Update ``rows`` (dicts holding ``key`` and the new values) with executemany."""
    by_columns = {}
    for row in rows:
        by_columns.setdefault(tuple(sorted(row)), []).append(row)
    for columns, group in by_columns.items():
        values = [column for column in columns if column != key]
        statement = (
            table.update()
            .where(table.c[key] == bindparam("key_value"))
            .values({column: bindparam(f"new_{column}") for column in values})
        )
        parameters = [
            {"key_value": row[key], **{f"new_{column}": row[column] for column in values}}
            for row in group
        ]
        for start in range(0, len(parameters), BATCH_SIZE):
            connection.execute(statement, parameters[start : start + BATCH_SIZE])


def _write_batch(connection, batch):
    _insert(connection, organisations, batch.organisations)
    _insert(connection, credit_scores, batch.scores)
    _insert(connection, credit_events, batch.events)
    _insert(connection, list_entries, batch.list_entries)


def _write_night(connection, night):
    _insert(connection, organisations, night.new_orgs)
    _update(connection, organisations, "uscc", night.org_updates)
    _insert(connection, credit_scores, night.new_scores)
    _update(connection, credit_scores, "uscc", night.score_updates)
    _insert(connection, credit_events, night.new_events)
    _update(connection, credit_events, "event_id", night.event_updates)
    _insert(connection, list_entries, night.new_entries)
    _update(connection, list_entries, "entry_id", night.entry_updates)


# -- The rule set ------------------------------------------------------------


def _rule_set_row():
    return {
        "version": catalogue.RULE_SET_VERSION,
        "name": catalogue.RULE_SET_NAME,
        "is_demo": True,
        "effective_from": catalogue.RULE_SET_EFFECTIVE_FROM,
        "base_score": decimal_points(catalogue.BASE_SCORE * 100),
        "description": catalogue.RULE_SET_DESCRIPTION,
        "updated_at": datetime(2025, 12, 20, NIGHT_HOUR, 30),
    }


def _grade_band_rows():
    return [
        {
            "rule_set_version": catalogue.RULE_SET_VERSION,
            "grade": grade,
            "min_score": decimal_points(cents(low)),
            "max_score": decimal_points(cents(high)),
            "description": description,
        }
        for grade, low, high, description in catalogue.GRADE_BANDS
    ]


def _dimension_rows():
    return [
        {
            "rule_set_version": catalogue.RULE_SET_VERSION,
            "code": code,
            "name_zh": name_zh,
            "name_en": name_en,
            "position": position,
            "max_points": decimal_points(max_points * 100),
            "base_points": decimal_points(base_points * 100),
            "description": f"基础分{base_points}分，最高{max_points}分",
        }
        for position, (code, name_zh, name_en, max_points, base_points) in enumerate(
            catalogue.DIMENSIONS, 1
        )
    ]


def _item_rows():
    return [
        {
            "rule_set_version": catalogue.RULE_SET_VERSION,
            "item_code": code,
            "dimension_code": item.dimension,
            "name_zh": item.name_zh,
            "name_en": item.name_en,
            "points": decimal_points(item.points * 100),
            "validity_months": item.validity_months,
            "legal_basis": item.legal_basis,
            "severity": item.severity,
        }
        for code, item in catalogue.ITEMS.items()
    ]


#: Columns the contract gained after demo databases were first written: (table, column, type).
_ADDED_COLUMNS = (
    (rule_set_dimensions, Column("base_points", Numeric(6, 2))),
    (rule_set_items, Column("severity", String(16))),
)


def migrate_scoring_db(connection):
    """Bring a demo scoring database written by an older generator up to the contract.

    Adds ``rule_set_dimensions.base_points`` and ``rule_set_items.severity``
    with the demo rule set's values, and bumps the rule set's ``updated_at``
    (as the contract asks) so that the portal reads it again. Return the
    names of the columns added.
    """
    inspector = inspect(connection)
    if not set(inspector.get_table_names()) >= {"rule_sets", "rule_set_dimensions", "rule_set_items"}:
        return []
    added = []
    for table, column in _ADDED_COLUMNS:
        if column.name in {c["name"] for c in inspector.get_columns(table.name)}:
            continue
        type_sql = column.type.compile(dialect=connection.dialect)
        connection.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {type_sql}")
        added.append(f"{table.name}.{column.name}")
    if not added:
        return added
    version = catalogue.RULE_SET_VERSION
    for code, *_, base_points in catalogue.DIMENSIONS:
        connection.execute(
            rule_set_dimensions.update()
            .where(rule_set_dimensions.c.rule_set_version == version, rule_set_dimensions.c.code == code)
            .values(base_points=decimal_points(base_points * 100))
        )
    for code, item in catalogue.ITEMS.items():
        connection.execute(
            rule_set_items.update()
            .where(rule_set_items.c.rule_set_version == version, rule_set_items.c.item_code == code)
            .values(severity=item.severity)
        )
    latest = _latest_update(connection)
    connection.execute(
        rule_sets.update()
        .where(rule_sets.c.version == version)
        .values(updated_at=latest + timedelta(seconds=1))
    )
    return added


def _latest_update(connection):
    """Return the latest ``updated_at`` of the contract's tables; None if there are none."""
    tables = (rule_sets, organisations, credit_scores, credit_events, list_entries)
    existing = set(inspect(connection).get_table_names())
    if not all(table.name in existing for table in tables):
        return None
    latest = [connection.execute(select(func.max(table.c.updated_at))).scalar() for table in tables]
    latest = [value for value in latest if value is not None]
    return max(latest) if latest else None


def read_state(connection):
    """Read what a night needs from the scoring database, in a stable order."""
    latest = _latest_update(connection)
    if latest is None:
        raise DemoDatabaseError(
            "there is no demo scoring database here: run `flask demo scoring-db` first"
        )
    rule_set = (
        connection.execute(
            select(rule_sets).order_by(
                rule_sets.c.is_demo.desc(), rule_sets.c.effective_from.desc(), rule_sets.c.version
            )
        )
        .mappings()
        .first()
    )
    version = rule_set["version"]
    bands = sorted(
        (
            (row.grade, cents(row.min_score), cents(row.max_score))
            for row in connection.execute(
                select(rule_set_grade_bands).where(
                    rule_set_grade_bands.c.rule_set_version == version
                )
            )
        ),
        key=lambda band: -band[1],
    )
    dimensions = sorted(
        connection.execute(
            select(rule_set_dimensions).where(rule_set_dimensions.c.rule_set_version == version)
        ),
        key=lambda row: (row.position, row.code),
    )

    def stable(statement, key):
        return sorted(
            (dict(row) for row in connection.execute(statement).mappings()),
            key=lambda row: row[key],
        )

    return {
        "latest": latest,
        "version": version,
        "bands": bands,
        "dimensions": [
            (row.code, cents(row.max_points), cents(row.base_points)) for row in dimensions
        ],
        "organisations": stable(
            select(
                organisations.c.uscc,
                organisations.c.name,
                organisations.c.former_names,
                organisations.c.org_type,
                organisations.c.district_code,
                organisations.c.registration_authority,
                organisations.c.registration_status,
                organisations.c.registered_on,
            ),
            "uscc",
        ),
        "scores": stable(
            select(
                credit_scores.c.uscc,
                credit_scores.c.score,
                credit_scores.c.grade,
                credit_scores.c.dimension_scores,
            ),
            "uscc",
        ),
        "open_events": stable(
            select(
                credit_events.c.event_id,
                credit_events.c.uscc,
                credit_events.c.dimension_code,
                credit_events.c.item_code,
                credit_events.c.points,
                credit_events.c.effective_on,
                credit_events.c.expires_on,
                credit_events.c.status,
            ).where(credit_events.c.status.in_(("active", "objection"))),
            "event_id",
        ),
        "open_list_entries": stable(
            select(
                list_entries.c.entry_id,
                list_entries.c.uscc,
                list_entries.c.list_type,
                list_entries.c.listed_on,
            ).where(list_entries.c.removed_on.is_(None)),
            "entry_id",
        ),
        "former_names": [
            row.former_names
            for row in connection.execute(
                select(organisations.c.former_names).where(
                    organisations.c.former_names.is_not(None)
                )
            )
        ],
    }
