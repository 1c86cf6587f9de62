"""Decide: what a run changes in the portal tables, from the rows it read.

Plain rows in, plain rows out, no session: the publication rule
(``portal.publication.decision``) applied to each organisation, the columns
that changed, the entries to and exits from the public list, and the score
snapshots to keep. ``apply`` loads the current rows and writes the result.
"""

from dataclasses import dataclass, field
from datetime import datetime

from portal.chinese import name_pinyin
from portal.publication.decision import decide_publication
from portal.publication import field_history
from portal.publication.models import CHANGE_ENTRY, CHANGE_EXIT, CHANGE_GRADE

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
#: Reasons not to publish that are a fault of the source, so quarantined as well.
SOURCE_FAULTS = ("out_of_band", "unknown_rule_set")


@dataclass(frozen=True)
class Stamp:
    """What every record of a run carries: the run, the version it makes, the moment it read."""

    run_id: int
    version: int
    at: datetime


@dataclass
class Changes:
    """The rows to write for one chunk, and the organisations refused for a fault of the source."""

    inserts: list = field(default_factory=list)
    updates: list = field(default_factory=list)
    snapshots: list = field(default_factory=list)
    list_changes: list = field(default_factory=list)
    #: Lines of the change record (变更记录): public fields that changed while listed.
    field_changes: list = field(default_factory=list)
    #: (uscc, reason), in the order of the rows read.
    faults: list = field(default_factory=list)


def decide_organisations(rows, existing, grade_bands, stamp):
    """Return the Changes that bring the portal's organisations up to ``rows``.

    ``existing`` maps USCC -> the portal's current row (any object with the
    columns as attributes); ``grade_bands`` maps rule-set version -> grade -> (min, max).
    """
    changes = Changes()
    for row in rows:
        published, reason = decide_publication(row, grade_bands)
        if reason in SOURCE_FAULTS:
            changes.faults.append((row["uscc"], reason))
        values = {column: row.get(column) for column in COPIED_COLUMNS}
        values.update(is_published=published, unpublished_reason=reason, in_source=True)
        current = existing.get(row["uscc"])
        if current is None:
            values.update(
                uscc=row["uscc"],
                name_pinyin=name_pinyin(row["name"]),
                published_since=stamp.at if published else None,
                changed_in_version=stamp.version,
            )
            changes.inserts.append(values)
            changes.snapshots.append(snapshot(stamp, row["uscc"], values))
            if published:
                changes.list_changes.append(
                    list_change(stamp, row["uscc"], row["name"], CHANGE_ENTRY, None, row["grade"], "graded_a_b")
                )
            continue
        diff = {key: value for key, value in values.items() if getattr(current, key) != value}
        if not diff:
            continue
        if "name" in diff:
            diff["name_pinyin"] = name_pinyin(row["name"])
        diff.update(_publication_transition(current, published, stamp.at))
        diff.update(uscc=current.uscc, changed_in_version=stamp.version)
        changes.updates.append(diff)
        if any(column in diff for column in SNAPSHOT_COLUMNS):
            changes.snapshots.append(snapshot(stamp, current.uscc, {**_snapshot_values(current), **diff}))
        changes.list_changes.extend(_list_changes(stamp, current, published, reason, row))
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


def decide_children(rows, existing, source):
    """Return the Changes (inserts and updates) that bring one child table up to ``rows``.

    ``source`` is the ``read.ChildTable``; ``existing`` maps its key -> the portal's current row.
    """
    changes = Changes()
    for row in rows:
        values = {column: row.get(column) for column in source.columns}
        values["source_updated_at"] = row["updated_at"]
        current = existing.get(row[source.key])
        if current is None:
            changes.inserts.append({source.key: row[source.key], **values})
            continue
        diff = {column: value for column, value in values.items() if getattr(current, column) != value}
        if diff:
            changes.updates.append({source.key: row[source.key], **diff})
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
        return [list_change(stamp, current.uscc, row["name"], CHANGE_ENTRY, None, row["grade"], "graded_a_b")]
    if current.is_published and not published:
        # The grade that made it leave is not recorded: an exit must not reveal it.
        return [list_change(stamp, current.uscc, current.name, CHANGE_EXIT, current.grade, None, reason)]
    if published and current.grade != row["grade"]:
        return [list_change(stamp, current.uscc, row["name"], CHANGE_GRADE, current.grade, row["grade"], "regraded")]
    return []


def _snapshot_values(org):
    return {column: getattr(org, column) for column in SNAPSHOT_COLUMNS}
