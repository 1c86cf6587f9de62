"""What the API says about itself and the list as a whole: the index, the rules, the statistics,
the OpenAPI document, and the human-readable page /api.
"""

from flask import current_app, render_template
from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import ngettext

from portal.api import service
from portal.api.http import api_language, published_json
from portal.api.openapi import openapi_document
from portal.api.views.arguments import check_arguments
from portal.api.views.blueprint import API_PREFIX, bp, docs_bp
from portal.opendata import batch
from portal.origin import public_path_url, public_url
from portal.pagecache import cached_page
from portal.web import current_publication

@bp.get("")
@bp.get("/")
@published_json
def index():
    """Say what the API offers, with links."""
    check_arguments(())

    return {
        "name": _("Beijing Social Organisation Credit Information Portal"),
        "version": "v1",
        "documentation": public_url("api_docs.page"),
        "openapi": public_url("api.openapi"),
        "endpoints": {
            "organisations": public_url("api.organisations"),
            "organisation": public_url("api.organisation", uscc="{uscc}").replace("%7B", "{").replace("%7D", "}"),
            "organisation_changes": public_url("api.organisation_changes", uscc="{uscc}")
            .replace("%7B", "{")
            .replace("%7D", "}"),
            "search": public_url("api.search"),
            "changes": public_url("api.changes"),
            "rules": public_url("api.rules"),
            "statistics": public_url("api.statistics"),
            "batch_check": public_url("api.batch_check"),
        },
    }


@bp.get("/rules")
@published_json
def rules():
    """Return the rule sets: grade bands, dimensions and the catalogue of plus and minus items."""
    check_arguments(())
    return {"rule_sets": service.rule_sets()}


def statistics_data():
    """Return the statistics pages' numbers (``portal.stats``), with labels in the request's language."""
    from portal.stats.service import published_statistics

    figures = published_statistics()
    label = "label_en" if api_language() == "en" else "label_zh"

    def counts(rows):
        return [
            {
                "code": row["code"],
                "label": row[label],
                "label_zh": row["label_zh"],
                "label_en": row["label_en"],
                "count": row["count"],
            }
            for row in rows
        ]

    return {
        "total": figures["total"],
        "first_sync_at": figures["first_sync_at"],
        "timezone": figures["timezone"],
        "by_grade": counts(figures["by_grade"]),
        "by_type": counts(figures["by_type"]),
        "by_district": counts(figures["by_district"]),
        "by_evaluation": counts(figures["by_evaluation"]),
        "score_distribution": figures["score_distribution"],
        "changes_by_month": figures["changes_by_month"],
    }


@bp.get("/statistics")
@published_json
def statistics():
    """Return the published organisations counted by grade, type, district, evaluation and score; changes per month."""
    check_arguments(())
    return {"statistics": statistics_data()}


@bp.get("/openapi.json")
@published_json(publication_fields=False)
def openapi():
    """Return the OpenAPI 3.1 description of this API, with the publication it describes as x- fields."""
    check_arguments(())
    fields = service.publication_fields(current_publication())
    document = openapi_document()
    # Absolute, from PUBLIC_BASE_URL: a client generated from this document calls the real site.
    document["servers"] = [{"url": public_path_url(API_PREFIX)}]
    document["info"] = {
        **document["info"],
        "x-data-as-of": fields["data_as_of"],
        "x-publication-version": fields["publication_version"],
    }
    return document


def describe_rate(rate):
    """Return a Flask-Limiter rate such as "120 per minute" in the page's language."""
    from limits import parse_many

    periods = {
        "second": lambda num: ngettext("%(num)s request a second", "%(num)s requests a second", num),
        "minute": lambda num: ngettext("%(num)s request a minute", "%(num)s requests a minute", num),
        "hour": lambda num: ngettext("%(num)s request an hour", "%(num)s requests an hour", num),
        "day": lambda num: ngettext("%(num)s request a day", "%(num)s requests a day", num),
    }
    try:
        items = parse_many(rate)
    except ValueError:
        return rate
    described = []
    for item in items:
        period = item.GRANULARITY.name
        if item.multiples != 1 or period not in periods:
            return rate
        described.append(periods[period](item.amount))
    return "; ".join(described) if described else rate


@docs_bp.get("/api")
@cached_page
def page():
    """Explain the API with examples and curl lines."""
    base = public_path_url(API_PREFIX)
    return render_template(
        "api/index.html",
        base=base,
        page_size=current_app.config["API_PAGE_SIZE"],
        page_size_maximum=current_app.config["API_PAGE_SIZE_MAXIMUM"],
        batch_maximum=format_number(batch.MAX_ROWS),
        rate_limit=describe_rate(current_app.config["API_RATE_LIMIT"]),
        batch_rate_limit=describe_rate(current_app.config["API_BATCH_RATE_LIMIT"]),
        max_age=current_app.config["API_MAX_AGE"],
    )
