"""The schemas of /organisations and /organisations/{uscc}: the list, the report and their parts."""

from portal.api.openapi.base import (
    BOOLEAN,
    COUNT,
    DATE,
    DATE_TIME,
    EVALUATION,
    GRADE,
    INTEGER,
    NULLABLE_STRING,
    NUMBER,
    STRING,
    URL,
    closed_object,
    envelope,
    nullable,
    ref,
)
from portal.orgs.service import LIST_FILTERS
from portal.reference import DISTRICTS, ORG_TYPES
from portal.uscc import PATTERN as USCC_PATTERN

SCHEMAS = {
    "OrganisationLinks": closed_object(
        {
            "api_url": {**URL, "description": "This organisation in the API."},
            "report_url": {**URL, "description": "The organisation's credit report page."},
        }
    ),
    "OrganisationSummary": closed_object(
        {
            "uscc": {"type": "string", "pattern": USCC_PATTERN, "description": "Unified social credit code."},
            "name": STRING,
            "org_type": {"type": "string", "enum": list(ORG_TYPES)},
            "org_type_label": {"type": "string", "description": "The type in the request's language."},
            "district_code": {"type": "string", "enum": list(DISTRICTS)},
            "district_label": {"type": "string", "description": "The district in the request's language."},
            "grade": GRADE,
            "score": NUMBER,
            "registered_on": nullable(DATE),
            "evaluation_level": EVALUATION,
            "evaluation_valid_until": nullable(DATE),
            "evaluation_expired": BOOLEAN,
            "assessed_at": nullable(DATE_TIME),
            "api_url": URL,
            "report_url": URL,
        }
    ),
    "OrganisationList": envelope(
        {
            "total": {**COUNT, "description": "Organisations matching the filters, on all pages."},
            "limit": INTEGER,
            "sort": {"type": "string", "enum": ["name", "score_desc", "score_asc", "registered_desc", "registered_asc"]},
            "filters": closed_object(
                {
                    "grade": nullable({"type": "string", "enum": list(LIST_FILTERS["grade"])}),
                    "type": nullable({"type": "string", "enum": list(LIST_FILTERS["type"])}),
                    "district": nullable({"type": "string", "enum": list(LIST_FILTERS["district"])}),
                    "evaluation": nullable({"type": "string", "enum": list(LIST_FILTERS["evaluation"])}),
                }
            ),
            "next_cursor": {**NULLABLE_STRING, "description": "Pass as ?cursor= for the next page; null on the last page."},
            "next": {"type": ["string", "null"], "format": "uri", "description": "The URL of the next page."},
            "organisations": {"type": "array", "items": ref("OrganisationSummary")},
        }
    ),
    "Dimension": closed_object(
        {
            "code": STRING,
            "name_zh": STRING,
            "name_en": STRING,
            "points": nullable(NUMBER),
            "max_points": nullable(NUMBER),
        }
    ),
    "HistoryPoint": closed_object(
        {
            "date": {**DATE, "description": "The date in Beijing."},
            "effective_at": DATE_TIME,
            "published": {**BOOLEAN, "description": "False for a time out of the public list (no score is shown for it)."},
            "score": nullable(NUMBER),
            "grade": nullable(GRADE),
            "previous_grade": {**nullable(GRADE), "description": "Set when the grade changed at this point."},
            "reentered": {**BOOLEAN, "description": "The first point after a time out of the public list."},
        }
    ),
    "CreditEvent": closed_object(
        {
            "event_id": STRING,
            "item_code": STRING,
            "item_name": NULLABLE_STRING,
            "dimension_code": STRING,
            "description": STRING,
            "points": NUMBER,
            "reporting_department": STRING,
            "legal_basis": NULLABLE_STRING,
            "effective_on": DATE,
            "expires_on": nullable(DATE),
            "shown_until": {
                **nullable(DATE),
                "description": "Minus items: the last day the item is published (国家发展改革委令第36号: "
                "general items at most 1 year, serious items at most 3 years); null for plus items.",
            },
            "status": {"type": "string", "enum": ["active", "expired", "repaired", "objection", "withdrawn"]},
            "status_label": STRING,
        }
    ),
    "DimensionBreakdown": closed_object(
        {
            "code": STRING,
            "base": {**NUMBER, "description": "The dimension's base points."},
            "max_points": NUMBER,
            "points": {**NUMBER, "description": "base + the shown items + undisclosed + cap_adjustment."},
            "event_ids": {
                "type": "array",
                "items": STRING,
                "description": "The shown items (current_events) that count in this dimension.",
            },
            "undisclosed": {**NUMBER, "description": "Signed total of the counting items that may not be shown."},
            "undisclosed_count": COUNT,
            "cap_adjustment": {
                **NUMBER,
                "description": "Points not counted because the dimension is held within 0 and its maximum "
                "(negative at the maximum, positive at zero).",
            },
        }
    ),
    "CreditBreakdown": closed_object(
        {
            "base": {**NUMBER, "description": "The rule set's base score (the sum of the dimensions' bases)."},
            "plus": {**NUMBER, "description": "Points of the shown plus items, as counted within the caps."},
            "minus": {**NUMBER, "description": "Points taken by the shown minus items (a positive number), as counted."},
            "undisclosed": {
                **NUMBER,
                "description": "Signed total of the items that count but may not be shown: not public, minor "
                "(轻微), or past their display window. Only this total and undisclosed_count are given.",
            },
            "undisclosed_count": COUNT,
            "total": {
                **NUMBER,
                "description": "base + plus − minus + undisclosed, to the cent. Equals credit.score when "
                "reconciles is true.",
            },
            "reconciles": {
                **BOOLEAN,
                "description": "False when the scoring system's score is not the sum of its items; the score and "
                "grade published are the scoring system's, and the difference is reported on /status.",
            },
            "dimensions": {"type": "array", "items": ref("DimensionBreakdown")},
        },
        description="The score as a sum of its items (docs/scoring-database.md, How a score is made).",
    ),
    "ListEntry": closed_object(
        {
            "list_type": {"type": "string", "enum": ["abnormal_activity", "serious_violation"]},
            "list_type_label": STRING,
            "listed": {**BOOLEAN, "description": "Still listed (not removed)."},
            "listed_on": DATE,
            "listed_by": NULLABLE_STRING,
            "reason": STRING,
            "removed_on": nullable(DATE),
            "removal_reason": NULLABLE_STRING,
        }
    ),
    "Organisation": closed_object(
        {
            "uscc": {"type": "string", "pattern": USCC_PATTERN},
            "name": STRING,
            "former_names": {"type": "array", "items": STRING},
            "org_type": {"type": "string", "enum": list(ORG_TYPES)},
            "org_type_label": STRING,
            "registration_authority": STRING,
            "district_code": {"type": "string", "enum": list(DISTRICTS)},
            "district_label": STRING,
            "legal_representative": NULLABLE_STRING,
            "registered_on": nullable(DATE),
            "registration_status": {"type": "string", "enum": ["normal"]},
            "registration_status_label": STRING,
            "address": NULLABLE_STRING,
            "business_scope": NULLABLE_STRING,
            "supervising_unit": NULLABLE_STRING,
            "published_since": nullable(DATE_TIME),
            "credit": closed_object(
                {
                    "grade": GRADE,
                    "score": NUMBER,
                    "assessed_at": nullable(DATE_TIME),
                    "rule_set_version": NULLABLE_STRING,
                    "grade_band": nullable(
                        closed_object({"grade": GRADE, "min_score": NUMBER, "max_score": NUMBER})
                    ),
                    "dimensions": {"type": "array", "items": ref("Dimension")},
                    "breakdown": {
                        **nullable(ref("CreditBreakdown")),
                        "description": "The score as a sum; null when the rule set gives no dimension bases.",
                    },
                }
            ),
            "history": {"type": "array", "items": ref("HistoryPoint"), "description": "Oldest first."},
            "current_events": {"type": "array", "items": ref("CreditEvent"), "description": "Plus and minus items that count now."},
            "earlier_events": {"type": "array", "items": ref("CreditEvent"), "description": "Expired, repaired or withdrawn items."},
            "evaluation": closed_object(
                {
                    "level": EVALUATION,
                    "valid_from": nullable(DATE),
                    "valid_until": nullable(DATE),
                    "expired": BOOLEAN,
                },
                description="评估等级 (social organisation evaluation level).",
            ),
            "list_entries": {"type": "array", "items": ref("ListEntry")},
            "api_url": URL,
            "report_url": URL,
        }
    ),
    "OrganisationResponse": envelope({"organisation": ref("Organisation")}),
}
