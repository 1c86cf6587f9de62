"""The contract reader: streams rows of the scoring database as plain dicts.

Rows are streamed in chunks (server-side cursors on PostgreSQL), so memory
stays flat however many organisations the scoring database holds.

Every text value is cleaned on read (``portal.characters.clean_text``): NUL,
other control characters and undecodable bytes are removed, line breaks
become ``\n``. A row that had characters removed carries the list of those
columns under ``CLEANED_COLUMNS``; the sync records it on the run and still
applies it.
"""

import json
from datetime import datetime
from operator import itemgetter

from sqlalchemy import String, select, union
from sqlalchemy.exc import DBAPIError

from portal.characters import clean_text
from portal.scoring import ScoringUnavailable, is_undecodable_text, tolerant_decoding
from portal.scoring.schema import (
    credit_events,
    credit_scores,
    list_entries,
    organisations,
    rule_set_dimensions,
    rule_set_grade_bands,
    rule_set_items,
    rule_sets,
)

ORGANISATION_COLUMNS = [c for c in organisations.c if c.name != "updated_at"] + [
    organisations.c.updated_at.label("organisation_updated_at")
]
SCORE_COLUMNS = [
    credit_scores.c.score,
    credit_scores.c.grade,
    credit_scores.c.dimension_scores,
    credit_scores.c.assessed_at,
    credit_scores.c.rule_set_version,
    credit_scores.c.updated_at.label("score_updated_at"),
]

#: Key of a row whose text had characters removed: the names of those columns.
CLEANED_COLUMNS = "cleaned_columns"


class ScoringReader:
    """Read the scoring database through one connection, in one read transaction."""

    def __init__(self, engine, chunk_size=2000):
        self.engine = engine
        self.chunk_size = chunk_size
        self.connection = None

    def __enter__(self):
        try:
            self.connection = self.engine.connect()
        except DBAPIError as exc:
            raise ScoringUnavailable(str(exc.orig).strip() or repr(exc)) from exc
        return self

    def __exit__(self, *exc_info):
        if self.connection is not None:
            if self.engine.dialect.name == "sqlite":
                # Back to the connection's default, for whoever reads through it next.
                tolerant_decoding(self.connection.connection.driver_connection, True)
            self.connection.close()
            self.connection = None

    def _key_order(self, column):
        """Order keys byte-wise on every backend (the sync relies on it)."""
        if self.engine.dialect.name == "postgresql":
            return column.collate("C")
        return column

    def _stream(self, statement, key=None):
        """Yield rows of ``statement`` as dicts, fetching ``chunk_size`` at a time.

        With ``key`` (the column the statement is ordered by), an SQLite
        connection decodes text strictly, in SQLite itself; at the first value
        that is not UTF-8 it turns tolerant and reads on after the last key it
        yielded. Without, it decodes tolerantly throughout (small tables).
        """
        dbapi = self.connection.connection.driver_connection if self.engine.dialect.name == "sqlite" else None
        strict = dbapi is not None and key is not None
        if dbapi is not None:
            tolerant_decoding(dbapi, not strict)
        last = None
        while True:
            try:
                resumed = statement if last is None else statement.where(key > last)
                for raw_key, row in self._rows(resumed, key.name if strict else None):
                    last = raw_key
                    yield row
                return
            except DBAPIError as exc:
                if not (strict and is_undecodable_text(exc)):
                    raise ScoringUnavailable(str(exc.orig).strip() or repr(exc)) from exc
                strict = False
                tolerant_decoding(dbapi, True)

    def _rows(self, statement, key_name):
        """Yield (the row's ``key_name`` value as read, the row as a cleaned dict) for each row of ``statement``."""
        result = self.connection.execution_options(stream_results=True, yield_per=self.chunk_size).execute(statement)
        keys = tuple(result.keys())
        key_index = keys.index(key_name) if key_name else None
        # Most rows hold only printable text: one C-level test of all their text at once.
        text_indexes = [index for index, column in enumerate(statement.selected_columns) if isinstance(column.type, String)]
        texts = itemgetter(*text_indexes) if len(text_indexes) > 1 else (lambda row: [row[i] for i in text_indexes])
        for partition in result.partitions(self.chunk_size):
            for row in partition:
                as_dict = dict(zip(keys, row))
                try:
                    printable = "".join(filter(None, texts(row))).isprintable()
                except TypeError:  # a value of another type in a text column (SQLite)
                    printable = False
                yield (None if key_index is None else row[key_index]), (as_dict if printable else _cleaned(as_dict))

    def rule_sets(self):
        """Return every rule set with its grade bands, dimensions and items."""
        result = {}
        for row in self._stream(select(rule_sets).order_by(rule_sets.c.version)):
            row.update(grade_bands=[], dimensions=[], items=[])
            result[row["version"]] = row
        children = (
            ("grade_bands", rule_set_grade_bands),
            ("dimensions", rule_set_dimensions),
            ("items", rule_set_items),
        )
        for key, table in children:
            for row in self._stream(select(table)):
                parent = result.get(row["rule_set_version"])
                if parent is not None:
                    parent[key].append(row)
        return list(result.values())

    def organisations(self, organisations_since=None, scores_since=None):
        """Yield organisations joined with their current score, in USCC order.

        With watermarks, yield only organisations whose own row or whose score
        changed after them; without, yield all of them.
        """
        statement = select(*ORGANISATION_COLUMNS, *SCORE_COLUMNS).select_from(
            organisations.outerjoin(credit_scores, credit_scores.c.uscc == organisations.c.uscc)
        )
        if organisations_since is not None or scores_since is not None:
            changed = union(
                select(organisations.c.uscc).where(
                    organisations.c.updated_at > (organisations_since or datetime.min)
                ),
                select(credit_scores.c.uscc).where(
                    credit_scores.c.updated_at > (scores_since or datetime.min)
                ),
            ).subquery()
            statement = statement.where(organisations.c.uscc.in_(select(changed.c.uscc)))
        for row in self._stream(statement.order_by(self._key_order(organisations.c.uscc)), organisations.c.uscc):
            # The texts inside the JSON too: "\u0000" is a NUL once parsed. The
            # text itself is clean by now, so only an escape can bring one in.
            for column, parse in (("former_names", _json_list), ("dimension_scores", _json_object)):
                text = row[column]
                row[column] = parse(text)
                if text and "\\" in text:
                    row[column] = _cleaned_json(row, column, row[column])
            yield row

    def credit_events(self, since=None):
        """Yield credit events changed after ``since`` (all without it)."""
        statement = select(credit_events)
        if since is not None:
            statement = statement.where(credit_events.c.updated_at > since)
        yield from self._stream(statement.order_by(self._key_order(credit_events.c.event_id)), credit_events.c.event_id)

    def list_entries(self, since=None):
        """Yield list entries changed after ``since`` (all without it)."""
        statement = select(list_entries)
        if since is not None:
            statement = statement.where(list_entries.c.updated_at > since)
        yield from self._stream(statement.order_by(self._key_order(list_entries.c.entry_id)), list_entries.c.entry_id)


def _cleaned(row):
    """Clean every text value of ``row`` in place; mark the columns that lost characters."""
    removed_from = None
    for column, value in row.items():
        # isprintable() is C and 5x cheaper than the regular expression: most
        # texts pass it (it fails on tabs, newlines and some spaces, and then
        # clean_text decides).
        if value.__class__ is str and not value.isprintable():
            text, removed = clean_text(value)
            if removed:
                removed_from = (removed_from or []) + [column]
            row[column] = text
    if removed_from:
        row[CLEANED_COLUMNS] = removed_from
    return row


def _cleaned_json(row, column, value):
    """Return a parsed JSON value with its texts (keys included) cleaned; mark ``column`` if any lost characters."""
    cleaned, removed = _clean_json(value)
    if removed and column not in row.get(CLEANED_COLUMNS, ()):
        row[CLEANED_COLUMNS] = [*row.get(CLEANED_COLUMNS, ()), column]
    return cleaned


def _clean_json(value):
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        items = [_clean_json(item) for item in value]
        return [item for item, _ in items], any(removed for _, removed in items)
    if isinstance(value, dict):
        removed = False
        cleaned = {}
        for key, item in value.items():
            key, key_removed = _clean_json(key)
            item, item_removed = _clean_json(item)
            cleaned[key] = item
            removed = removed or key_removed or item_removed
        return cleaned, removed
    return value, False


def _json_list(value):
    if value in (None, ""):
        return []
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        return None  # malformed: the sync quarantines the row
    return parsed if isinstance(parsed, list) else None


def _json_object(value):
    if value in (None, ""):
        return None
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        return None
    return parsed if isinstance(parsed, dict) else None
