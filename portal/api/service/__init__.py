"""What the public JSON API answers: published data as plain, JSON-ready dicts.

Every organisation query here starts from ``Organisation.is_published``, as
``portal.orgs.service`` does: publication is decided by the sync, never by
the API. Lists are paged by keyset (``paging``). One module per area:
organisations, changes, rules; ``values`` turns scores, dates and labels into JSON.
"""

from portal.api.service.change_record import organisation_change_record
from portal.api.service.changes import list_changes
from portal.api.service.organisations import (
    DEFAULT_ORGANISATION_SORT,
    ORGANISATION_SORTS,
    organisation_report,
    organisation_summary,
    published_organisations,
)
from portal.api.service.paging import InvalidCursor, Page, decode_cursor, encode_cursor
from portal.api.service.rules import rule_sets
from portal.api.service.values import evaluation_code, iso_date, iso_time, number, publication_fields

__all__ = [
    "DEFAULT_ORGANISATION_SORT",
    "ORGANISATION_SORTS",
    "InvalidCursor",
    "Page",
    "decode_cursor",
    "encode_cursor",
    "evaluation_code",
    "iso_date",
    "iso_time",
    "list_changes",
    "number",
    "organisation_change_record",
    "organisation_report",
    "organisation_summary",
    "publication_fields",
    "published_organisations",
    "rule_sets",
]
