"""The portal database: engine tuning, and the lock that makes a sync exactly-once."""

import hashlib
import operator
import time
from contextlib import contextmanager
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, create_engine, event, text
from sqlalchemy.orm import Session

from portal.extensions import REPLICA_ENGINE, db

#: First key of the PostgreSQL advisory lock held by the transaction that applies a sync; the second
#: is the portal's database and schema (sync_lock_key).
SYNC_LOCK_NAMESPACE = 0x5052_5443  # "PRTC"

_SQLITE_BUSY_TIMEOUT_MS = 30_000


class LockNotAcquired(Exception):
    """Another process holds the sync lock."""


def _tune_sqlite(engine):
    """Use WAL and real transactions on SQLite.

    pysqlite begins transactions lazily and never with IMMEDIATE; we take over
    BEGIN so that a sync can hold SQLite's write lock for its whole transaction.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {_SQLITE_BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        mode = connection.get_execution_options().get("sqlite_begin", "")
        connection.exec_driver_sql(f"BEGIN {mode}".strip())


def init_app(app):
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine)
    replica_url = app.config.get("PORTAL_DATABASE_REPLICA_URL")
    if replica_url:
        # Not a Flask-SQLAlchemy bind: no model lives only there, and create_all must never touch it.
        app.extensions[REPLICA_ENGINE] = create_engine(replica_url, pool_pre_ping=True)


def all_engines(app):
    """Return every engine of the portal database this app uses (the primary, and the replica if any)."""
    with app.app_context():
        engines = [db.engine]
    replica = app.extensions.get(REPLICA_ENGINE)
    return engines + ([replica] if replica is not None else [])


def sync_lock_key(connection):
    """Return the second key of the sync's advisory lock: a 32-bit hash of the database and schema of the portal.

    Every node of one portal computes the same key, so its syncs exclude each
    other; portals in other schemas of the same database (a staging copy, or
    two test runs) hold locks of their own and never skip each other's runs.
    """
    database, schema = connection.execute(text("SELECT current_database(), current_schema()")).one()
    digest = hashlib.blake2b(f"{database}\0{schema}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def locked_session(wait_seconds=2.0):
    """Yield a session whose transaction holds the portal's exclusive sync lock.

    PostgreSQL: a transaction-scoped advisory lock, keyed by the portal's
    database and schema (sync_lock_key). SQLite: the database write lock
    (BEGIN IMMEDIATE). Raise LockNotAcquired if another process holds it
    for longer than ``wait_seconds``. Commit or roll back inside the block.
    """
    engine = db.engine
    if engine.dialect.name == "sqlite":
        connection = engine.connect().execution_options(sqlite_begin="IMMEDIATE")
        dbapi = connection.connection.driver_connection
        dbapi.execute(f"PRAGMA busy_timeout = {int(wait_seconds * 1000)}")
        try:
            try:
                connection.begin()
            except Exception as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    raise LockNotAcquired() from exc
                raise
            dbapi.execute(f"PRAGMA busy_timeout = {_SQLITE_BUSY_TIMEOUT_MS}")
            with Session(bind=connection, join_transaction_mode="control_fully") as session:
                yield session
        finally:
            dbapi.execute(f"PRAGMA busy_timeout = {_SQLITE_BUSY_TIMEOUT_MS}")
            connection.close()
        return
    connection = engine.connect()
    try:
        connection.begin()
        key = {"namespace": SYNC_LOCK_NAMESPACE, "key": sync_lock_key(connection)}
        deadline = time.monotonic() + wait_seconds
        while not connection.execute(text("SELECT pg_try_advisory_xact_lock(:namespace, :key)"), key).scalar():
            if time.monotonic() >= deadline:
                raise LockNotAcquired()
            time.sleep(0.1)
        with Session(bind=connection, join_transaction_mode="control_fully") as session:
            yield session
    finally:
        connection.close()


class BulkInserter:
    """Insert many rows into one table through the driver's executemany.

    SQLAlchemy's executemany spends about 40 µs a row building parameters; a
    full sync writes hundreds of thousands of rows. This compiles the INSERT
    once, converts values with the column types' own bind processors (so
    values are stored exactly as SQLAlchemy would store them), and hands the
    driver plain tuples.
    """

    def __init__(self, connection, table, columns, keys=None):
        """Insert into ``columns`` of ``table``; take each from the rows' ``keys`` (by default the column names)."""
        dialect = connection.dialect
        self.connection = connection
        self.columns = tuple(columns)
        marker = "?" if dialect.paramstyle == "qmark" else "%s"
        preparer = dialect.identifier_preparer
        self.sql = "INSERT INTO {} ({}) VALUES ({})".format(
            preparer.format_table(table),
            ", ".join(preparer.quote(name) for name in self.columns),
            ", ".join([marker] * len(self.columns)),
        )
        self.copy_sql = None
        if dialect.name == "postgresql":
            self.copy_sql = "COPY {} ({}) FROM STDIN".format(
                preparer.format_table(table), ", ".join(preparer.quote(name) for name in self.columns)
            )
        keys = tuple(keys or self.columns)
        getter = operator.itemgetter(*keys)
        # itemgetter of one key returns the value itself, not a tuple of it.
        self.getter = getter if len(keys) > 1 else lambda row: (getter(row),)
        self.processors = [
            (index, processor)
            for index, name in enumerate(self.columns)
            if (processor := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None
        ]
        self.kinds = [_bind_kind(table.c[name].type, dialect) for name in self.columns]

    def insert(self, rows):
        """Insert ``rows``: dicts (or sequences) that have every one of this inserter's keys."""
        if not rows:
            return
        # Work column by column: itemgetter and zip run in C, and each
        # processor is applied to one list instead of once per row and column.
        self.insert_columns(list(zip(*map(self.getter, rows))))

    def insert_columns(self, values):
        """Insert rows given column by column: ``values`` holds one list per column, in this inserter's order."""
        if not values or not values[0]:
            return
        values = list(values)
        for index, processor in self.processors:
            column = values[index]
            fast = _c_level_bind(self.kinds[index], column)
            values[index] = fast if fast is not None else [None if value is None else processor(value) for value in column]
        if self.copy_sql is None:
            self.connection.exec_driver_sql(self.sql, list(zip(*values)))
            return
        # PostgreSQL: COPY streams the rows in one round trip, where executemany
        # would make one per row (16x the raw read at 60,000 organisations).
        cursor = self.connection.connection.driver_connection.cursor()
        with cursor.copy(self.copy_sql) as copy:
            for row in zip(*values):
                copy.write_row(row)


_NONE = type(None)


def _bind_kind(column_type, dialect):
    """Return which C-level conversion of ``_c_level_bind`` stores values of ``column_type`` as SQLAlchemy would, or None."""
    if isinstance(column_type, Boolean):
        return "boolean"
    if dialect.name == "sqlite" and isinstance(column_type, DateTime):
        return "sqlite_datetime"
    if dialect.name == "sqlite" and isinstance(column_type, Date):
        return "sqlite_date"
    return None


_SQLITE_DATETIME = operator.methodcaller("isoformat", " ", "microseconds")


def _c_level_bind(kind, values):
    """Convert one column of values as its type's bind processor would, in C; None where this does not apply.

    SQLAlchemy's processors are a Python call per value (a third of writing a
    row). These give the same stored values for the usual inputs, checked
    for the whole column first: booleans as they are (the drivers store them
    as the processors would), and on SQLite naive timestamps and dates in
    SQLAlchemy's ISO formats.
    """
    if kind is None:
        return None
    types = set(map(type, values))
    if kind == "boolean":
        return values if types <= {bool, _NONE} else None
    if kind == "sqlite_date" and types <= {date, _NONE}:
        convert = date.isoformat
    elif kind == "sqlite_datetime" and types <= {datetime, _NONE}:
        present = [value for value in values if value is not None] if _NONE in types else values
        if set(map(operator.attrgetter("tzinfo"), present)) - {None}:
            return None
        convert = _SQLITE_DATETIME
    else:
        return None
    if _NONE in types:
        return [None if value is None else convert(value) for value in values]
    return list(map(convert, values))
