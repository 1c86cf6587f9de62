"""Staging: the rows a run read, in temporary tables, compared and written by the database itself.

A run writes every row of a source table that it may apply into a staging
table (COPY on PostgreSQL, executemany on SQLite), chunk by chunk as it
reads, and the keys of the rows it refused into another. Then set-based
statements do the rest in one pass each: they find the rows that are new or
differ from the portal's and insert or update them, and a full run finds the
portal rows whose keys the source no longer sends. Comparing and writing row
by row in Python was most of a full sync's time.

Staging tables are temporary tables: they live in the connection's own
temporary schema (PostgreSQL's ``pg_temp``, SQLite's ``temp`` database), no
other connection sees them, and they belong to the run's transaction. A run
that fails rolls them back with everything else; a run that succeeds drops
them before its commit.
"""

from sqlalchemy import Column, Index, MetaData, Table, exists, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.schema import CreateIndex, CreateTable, DropTable
from sqlalchemy.types import JSON

from portal.database import BulkInserter

_PREFIX = "sync_staging_"


class StagingTable:
    """A temporary copy of some columns of ``target`` (its key first), filled chunk by chunk, then merged.

    ``sources`` maps a staging column to the key of the read rows it is
    taken from, where the two differ.
    """

    def __init__(self, connection, target, key, columns, sources=None):
        self.connection = connection
        self.target = target
        self.key = key
        self.columns = tuple(columns)
        self.postgresql = connection.dialect.name == "postgresql"
        metadata = MetaData()
        # Named in the temporary schema, so that a DROP can never reach a table of the portal.
        options = {"prefixes": ["TEMPORARY"], "schema": "temp"}
        if self.postgresql:
            options.update(schema="pg_temp", postgresql_on_commit="DROP")
        key_type = target.c[key].type
        self.table = Table(
            f"{_PREFIX}{target.name}",
            metadata,
            *(Column(name, target.c[name].type) for name in (key, *self.columns)),
            **options,
        )
        #: Keys of the rows read but refused (quarantined): not applied, but not gone from the source either.
        self.refused = Table(f"{_PREFIX}refused_{target.name}", metadata, Column(key, key_type), **options)
        #: Keys of the staged rows that differ from the portal's (``mark_changed``).
        self.changed = Table(f"{_PREFIX}changed_{target.name}", metadata, Column(key, key_type), **options)
        self._tables = (self.table, self.refused, self.changed)
        sources = sources or {}
        self._inserter = BulkInserter(
            connection, self.table, (key, *self.columns), keys=[sources.get(name, name) for name in (key, *self.columns)]
        )
        self._refused_inserter = BulkInserter(connection, self.refused, (key,))

    def create(self):
        """Create the staging tables afresh, inside the run's transaction."""
        self.drop()
        for table in self._tables:
            self.connection.execute(CreateTable(table))

    def drop(self):
        for table in self._tables:
            self.connection.execute(DropTable(table, if_exists=True))

    def append(self, rows):
        """Stage ``rows``: read rows that may be applied, in key order, each key once."""
        self._inserter.insert(rows)

    def refuse(self, keys):
        """Note the keys of rows read but refused: a full run must not retire them."""
        if keys:
            self._refused_inserter.insert_columns([list(keys)])

    def prepare(self):
        """Index and describe the staged rows, once all are in, for the statements that compare them."""
        if self.postgresql:
            # Row counts are what the plans need: a small sample (for this transaction) is a tenth of the default's cost.
            self.connection.exec_driver_sql("SET LOCAL default_statistics_target = 10")
        for table in (self.table, self.refused):
            self.connection.execute(CreateIndex(Index(f"{table.name}_key", table.c[self.key], _table=table)))
            if self.postgresql:
                # Temporary tables are never analysed automatically: without statistics the
                # planner could compare row by row what a hash join compares in one pass.
                self.connection.exec_driver_sql(f"ANALYZE pg_temp.{table.name}")

    # -- set-based comparison and writes ------------------------------------------------

    def _current(self):
        return self.target.c[self.key] == self.table.c[self.key]

    def _differs(self, columns):
        differences = []
        for name in columns:
            current, staged = self.target.c[name], self.table.c[name]
            if self.postgresql and isinstance(current.type, JSON):
                # PostgreSQL's json has no equality; jsonb compares values (key order aside), as Python does.
                current, staged = current.cast(JSONB), staged.cast(JSONB)
            differences.append(current.is_distinct_from(staged))
        return or_(*differences)

    def insert_new(self, values, into=None, where=None):
        """Insert a row for each staged row the portal lacks (and ``where`` holds for); return how many.

        ``values`` maps each column of ``into`` (by default the portal's
        table) to an expression of the staging table's columns.
        """
        rows = select(*values.values()).where(~exists().where(self._current()))
        if where is not None:
            rows = rows.where(where)
        into = self.target if into is None else into
        statement = into.insert().from_select(list(values), rows.order_by(self.table.c[self.key]))
        # SQLAlchemy keeps an INSERT's rowcount only when asked to.
        return self.connection.execute(statement.execution_options(preserve_rowcount=True)).rowcount

    def update_changed(self):
        """Copy every staged column into the portal rows that differ in any of them; return how many changed."""
        statement = (
            self.target.update()
            .values({name: self.table.c[name] for name in self.columns})
            .where(self._current(), self._differs(self.columns))
        )
        return self.connection.execute(statement).rowcount

    def mark_changed(self, columns, extra=()):
        """Note the keys of the staged rows whose portal row differs in any of ``columns`` (or meets ``extra``)."""
        differing = (
            select(self.table.c[self.key])
            .join(self.target, self._current())
            .where(or_(self._differs(columns), *extra))
        )
        self.connection.execute(self.changed.insert().from_select([self.key], differing))
        self.connection.execute(CreateIndex(Index(f"{self.changed.name}_key", self.changed.c[self.key], _table=self.changed)))

    def changed_rows(self, after, limit):
        """Return up to ``limit`` staged rows noted by ``mark_changed`` with keys after ``after`` (None: from the first), in key order."""
        key = self.table.c[self.key]
        statement = select(self.table).where(key.in_(select(self.changed.c[self.key]))).order_by(key).limit(limit)
        if after is not None:
            statement = statement.where(key > after)
        return [row._asdict() for row in self.connection.execute(statement)]

    def unseen(self, condition=None):
        """Return the condition on the portal's table of the rows whose key this run never read (full runs read all)."""
        key = self.target.c[self.key]
        never_read = ~exists().where(self.table.c[self.key] == key) & ~exists().where(self.refused.c[self.key] == key)
        return never_read if condition is None else condition & never_read

    def delete_unseen(self):
        """Delete the portal rows whose key this run never read; return how many."""
        return self.connection.execute(self.target.delete().where(self.unseen())).rowcount
