"""Decide: what a run changes in the portal tables, from the rows it read.

No session here: the publication rule (``portal.publication.decision``)
applied to each organisation, the columns that changed, the entries to and
exits from the public list, and the score snapshots to keep. A new
organisation's rows are written by the database from the staged rows
(``staging``), so they are decided here as the SQL expressions of their
columns; a changed or retired one is decided on plain rows, which ``apply``
loads and writes.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, literal, null, true

from portal.chinese import name_pinyin
from portal.publication.decision import decide_publication
from portal.publication import field_history
from portal.publication.models import CHANGE_ENTRY, CHANGE_EXIT, CHANGE_GRADE, ListChange, Organisation, ScoreSnapshot

#: Organisation columns copied from the scoring database as they are.
COPIED_COLUMNS = (
    "name",
    "former_names",
    "org_type",
    "registration_authority",
    "district_code",
    "legal_representative",
    "registered_on",
    "address",
    "business_scope",
    "supervising_unit",
    "evaluation_level",
    "evaluation_valid_from",
    "evaluation_valid_until",
    "registration_status",
    "score",
    "grade",
    "dimension_scores",
    "assessed_at",
    "rule_set_version",
    "organisation_updated_at",
    "score_updated_at",
)
#: Columns whose change is a score change, recorded as a snapshot.
SNAPSHOT_COLUMNS = ("score", "grade", "dimension_scores", "rule_set_version", "is_published")
#: Columns the publication rule decides, set on each row read (``mark_publication``).
PUBLICATION_COLUMNS = ("is_published", "unpublished_reason")
#: Columns whose difference from the portal's row is a change of an organisation.
COMPARED_COLUMNS = (*COPIED_COLUMNS, *PUBLICATION_COLUMNS)
#: Columns of a staged organisation: as read, as decided, and the pinyin of its name.
STAGED_COLUMNS = (*COMPARED_COLUMNS, "name_pinyin")
#: Reasons not to publish that are a fault of the source, so quarantined as well.
SOURCE_FAULTS = ("out_of_band", "unknown_rule_set")
#: The reason recorded with an entry to the public list.
ENTRY_REASON = "graded_a_b"


@dataclass(frozen=True)
class Stamp:
    """What every record of a run carries: the run, the version it makes, the moment it read."""

    run_id: int
    version: int
    at: datetime


@dataclass
class Changes:
    """The rows to write for one chunk of changed (or retired) organisations."""

    updates: list = field(default_factory=list)
    snapshots: list = field(default_factory=list)
    list_changes: list = field(default_factory=list)
    #: Lines of the change record (变更记录): public fields that changed while listed.
    field_changes: list = field(default_factory=list)


def mark_publication(rows, grade_bands):
    """Set each row's ``is_published``, ``unpublished_reason`` and ``name_pinyin``; return the source's faults.

    The pinyin orders the public list, and costs some 20 µs a name: it is
    computed for published organisations only (empty for the others, until
    they enter the list or are renamed; see ``decide_organisations``).

    ``grade_bands`` maps rule-set version -> grade -> (min, max). The faults
    are (uscc, reason) of the rows stored but not published for a fault of
    the source, in the order of ``rows``.
    """
    faults = []
    for row in rows:
        published, reason = decide_publication(row, grade_bands)
        if reason in SOURCE_FAULTS:
            faults.append((row["uscc"], reason))
        row["is_published"] = published
        row["unpublished_reason"] = reason
        row["name_pinyin"] = name_pinyin(row["name"]) if published else ""
    return faults


def new_organisation_rows(staged, stamp):
    """Return the SQL of a new organisation's rows, from the staging table ``staged`` (``staging.StagingTable``).

    {table: {column: expression}} for the organisation itself, its first
    score snapshot and, if published, its entry to the public list (that one
    only for the rows ``entry_condition`` holds for).
    """
    columns = staged.c

    def value(table, name, data):
        return null() if data is None else literal(data, table.c[name].type)

    organisations = Organisation.__table__
    snapshots = ScoreSnapshot.__table__
    list_changes = ListChange.__table__
    published = columns.is_published == true()
    return {
        organisations: {
            "uscc": columns.uscc,
            **{name: columns[name] for name in STAGED_COLUMNS},
            "in_source": value(organisations, "in_source", True),
            "published_since": case((published, value(organisations, "published_since", stamp.at)), else_=null()),
            "changed_in_version": value(organisations, "changed_in_version", stamp.version),
        },
        snapshots: {
            "uscc": columns.uscc,
            "sync_run_id": value(snapshots, "sync_run_id", stamp.run_id),
            "effective_at": value(snapshots, "effective_at", stamp.at),
            **{name: columns[name] for name in ("score", "grade", "dimension_scores", "is_published", "rule_set_version")},
        },
        list_changes: {
            "sync_run_id": value(list_changes, "sync_run_id", stamp.run_id),
            "publication_version": value(list_changes, "publication_version", stamp.version),
            "changed_at": value(list_changes, "changed_at", stamp.at),
            "uscc": columns.uscc,
            "name": columns.name,
            "change_type": value(list_changes, "change_type", CHANGE_ENTRY),
            "old_grade": null(),
            "new_grade": columns.grade,
            "reason": value(list_changes, "reason", ENTRY_REASON),
        },
    }


def entry_condition(staged):
    """Return the condition on the staging table of a new organisation that enters the public list."""
    return staged.c.is_published == true()


def decide_organisations(rows, existing, stamp):
    """Return the Changes that bring the portal's existing organisations up to ``rows``.

    ``rows`` are marked by ``mark_publication``; ``existing`` maps USCC -> the
    portal's current row (any object with the columns as attributes). The
    updates hold, per organisation, exactly the columns that changed.
    """
    changes = Changes()
    for row in rows:
        values = {column: row.get(column) for column in COPIED_COLUMNS}
        published = row["is_published"]
        values.update(is_published=published, unpublished_reason=row["unpublished_reason"], in_source=True)
        current = existing[row["uscc"]]
        diff = {key: value for key, value in values.items() if getattr(current, key) != value}
        if not diff:
            continue
        if "name" in diff or (published and not current.name_pinyin):
            diff["name_pinyin"] = name_pinyin(row["name"])
        diff.update(_publication_transition(current, published, stamp.at))
        diff.update(uscc=current.uscc, changed_in_version=stamp.version)
        changes.updates.append(diff)
        if any(column in diff for column in SNAPSHOT_COLUMNS):
            changes.snapshots.append(snapshot(stamp, current.uscc, {**_snapshot_values(current), **diff}))
        changes.list_changes.extend(_list_changes(stamp, current, published, row["unpublished_reason"], row))
        changes.field_changes.extend(field_history.field_changes(stamp, current, diff, published))
    return changes


def retire_organisations(missing, stamp):
    """Return the Changes for organisations gone from the source: out of it, and off the public list."""
    changes = Changes()
    for current in missing:
        diff = {"uscc": current.uscc, "in_source": False, "changed_in_version": stamp.version}
        if current.is_published:
            diff.update(is_published=False, unpublished_reason="removed_from_source", published_since=None)
            changes.list_changes.append(
                list_change(stamp, current.uscc, current.name, CHANGE_EXIT, current.grade, None, "removed_from_source")
            )
            changes.snapshots.append(snapshot(stamp, current.uscc, {**_snapshot_values(current), "is_published": False}))
        changes.updates.append(diff)
    return changes


def snapshot(stamp, uscc, values):
    """Return the score snapshot row of ``uscc`` with ``values``."""
    return {
        "uscc": uscc,
        "sync_run_id": stamp.run_id,
        "effective_at": stamp.at,
        "score": values.get("score"),
        "grade": values.get("grade"),
        "dimension_scores": values.get("dimension_scores"),
        "is_published": values.get("is_published", False),
        "rule_set_version": values.get("rule_set_version"),
    }


def list_change(stamp, uscc, name, change_type, old_grade, new_grade, reason):
    """Return the list-change row of one entry, exit or regrading."""
    return {
        "sync_run_id": stamp.run_id,
        "publication_version": stamp.version,
        "changed_at": stamp.at,
        "uscc": uscc,
        "name": name,
        "change_type": change_type,
        "old_grade": old_grade,
        "new_grade": new_grade,
        "reason": reason,
    }


def _publication_transition(current, published, at):
    if published and not current.is_published:
        return {"published_since": at}
    if not published and current.is_published:
        return {"published_since": None}
    return {}


def _list_changes(stamp, current, published, reason, row):
    if published and not current.is_published:
        return [list_change(stamp, current.uscc, row["name"], CHANGE_ENTRY, None, row["grade"], ENTRY_REASON)]
    if current.is_published and not published:
        # The grade that made it leave is not recorded: an exit must not reveal it.
        return [list_change(stamp, current.uscc, current.name, CHANGE_EXIT, current.grade, None, reason)]
    if published and current.grade != row["grade"]:
        return [list_change(stamp, current.uscc, row["name"], CHANGE_GRADE, current.grade, row["grade"], "regraded")]
    return []


def _snapshot_values(org):
    return {column: getattr(org, column) for column in SNAPSHOT_COLUMNS}
