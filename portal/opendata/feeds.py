"""Atom feeds (RFC 4287) of changes to the public list, and of one organisation.

Ids are ``urn:uuid:`` names derived from what an entry records (the list
change's id, or the organisation and the moment of its snapshot), so they
stay the same across requests, hosts and languages. Exits never carry a
grade: the grade that made an organisation leave must not be revealed.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree

from sqlalchemy import select

from portal.characters import xml_text
from portal.extensions import db
from portal.orgs import report as orgs_report
from portal.publication.changes import (
    first_publication,
    public_changes,
    public_exit_reason,
    shown_grades,
    without_first_publication,
)
from portal.publication.models import CHANGE_ENTRY, CHANGE_EXIT, CHANGE_GRADE, ListChange, Organisation, ScoreSnapshot
from portal.publication.state import PUBLISHED

ATOM = "http://www.w3.org/2005/Atom"
#: Our own namespace for the data-as-of time, which Atom has no element for.
PORTAL_NS = "urn:x-beijing-social-organisation-credit-portal:feed"
ElementTree.register_namespace("", ATOM)
ElementTree.register_namespace("portal", PORTAL_NS)

#: A fixed namespace for the uuid5 ids of feeds and entries: never change it.
ID_NAMESPACE = uuid.UUID("5b0c1f0e-6a63-4d1e-9f0a-2c3f4b1d7e21")

CHANGE_TYPES = (CHANGE_ENTRY, CHANGE_EXIT, CHANGE_GRADE)


def stable_id(*parts):
    return f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, '/'.join(str(part) for part in parts))}"


def atom_time(value):
    return value.isoformat(timespec="seconds") + "Z"


@dataclass(frozen=True)
class FeedChange:
    """A list change as the public may see it."""

    id: int
    changed_at: datetime
    uscc: str
    name: str
    change_type: str
    old_grade: str | None
    new_grade: str | None
    currently_published: bool
    exit_reason: str | None = None  # the public reason of an exit (portal.publication.changes)


def recent_list_changes(change_type=None, limit=100):
    """Return the ``limit`` most recent list changes (of one type, or all), newest first.

    The first publication's entries are left out: ``first_publication`` tells them as one entry.
    """
    statement = (
        public_changes()
        .where(without_first_publication(first_publication()))
        .order_by(ListChange.changed_at.desc(), ListChange.id.desc())
        .limit(limit)
    )
    if change_type is not None:
        statement = statement.where(ListChange.change_type == change_type)
    return [
        FeedChange(
            row.id,
            row.changed_at,
            row.uscc,
            row.name,
            row.change_type,
            *shown_grades(row),
            bool(row.is_published),
            public_exit_reason(row.change_type, row.reason),
        )
        for row in db.session.execute(statement)
    ]


def exit_reasons_of(uscc):
    """Return {moment of exit: public reason} of one organisation's exits from the list."""
    rows = db.session.execute(
        select(ListChange.changed_at, ListChange.reason).where(
            ListChange.uscc == uscc, ListChange.change_type == CHANGE_EXIT
        )
    )
    return {changed_at: public_exit_reason(CHANGE_EXIT, reason) for changed_at, reason in rows}


def published_organisation(uscc):
    """Return (uscc, name, grade, score) of a published organisation, or None."""
    return db.session.execute(
        select(Organisation.uscc, Organisation.name, Organisation.grade, Organisation.score).where(
            Organisation.uscc == uscc, PUBLISHED
        )
    ).first()


def organisation_history(uscc, timezone_name, limit=100):
    """Return the public history of one published organisation (HistoryPoints), newest first.

    The oldest point of the whole history is its first entry to the public list.
    """
    snapshots = db.session.execute(
        select(ScoreSnapshot.effective_at, ScoreSnapshot.score, ScoreSnapshot.grade, ScoreSnapshot.is_published)
        .where(ScoreSnapshot.uscc == uscc)
        .order_by(ScoreSnapshot.effective_at, ScoreSnapshot.id)
    ).all()
    # The report page's own rules: nothing from before the first publication,
    # and a time out of the list is one point without a score.
    return list(reversed(orgs_report.score_history(snapshots, timezone_name)))[:limit]


# -- building the XML ----------------------------------------------------------


@dataclass
class FeedEntry:
    id: str
    title: str
    updated: datetime
    link: str
    summary: str
    category: str


def build_feed(*, feed_id, title, subtitle, updated, self_url, alternate_url, author, author_url, language,
               data_as_of, entries):
    """Return an Atom document (bytes, UTF-8) for ``entries`` (FeedEntry)."""

    # Every text and attribute goes through xml_text: ElementTree writes a
    # control character as it is, and one makes the whole feed invalid XML.
    def sub(parent, tag, text=None, **attributes):
        element = ElementTree.SubElement(
            parent, f"{{{ATOM}}}{tag}", {name: xml_text(value) for name, value in attributes.items()}
        )
        if text is not None:
            element.text = xml_text(text)
        return element

    feed = ElementTree.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": xml_text(language)})
    sub(feed, "id", feed_id)
    sub(feed, "title", title)
    sub(feed, "subtitle", subtitle)
    sub(feed, "updated", atom_time(updated))
    sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    sub(feed, "link", rel="alternate", type="text/html", href=alternate_url)
    person = sub(feed, "author")
    sub(person, "name", author)
    sub(person, "uri", author_url)
    sub(feed, "generator", "portal")
    if data_as_of is not None:
        ElementTree.SubElement(feed, f"{{{PORTAL_NS}}}dataAsOf").text = atom_time(data_as_of)
    for item in entries:
        entry = sub(feed, "entry")
        sub(entry, "id", item.id)
        sub(entry, "title", item.title)
        sub(entry, "updated", atom_time(item.updated))
        sub(entry, "published", atom_time(item.updated))
        sub(entry, "link", rel="alternate", type="text/html", href=item.link)
        sub(entry, "category", term=item.category)
        sub(entry, "summary", item.summary, type="text")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(feed, encoding="utf-8", xml_declaration=False)
