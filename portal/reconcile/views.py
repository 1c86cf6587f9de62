"""/api/reconcile: the reconciliation service as OpenRefine calls it (W3C Entity Reconciliation Service API 0.2).

- ``GET /api/reconcile``: the service manifest; with ``queries`` (GET or a
  POSTed form field): the candidates of each query; with ``extend``: the
  data extension (grade, score, USCC, report address).
- ``/preview?id=``: a small HTML card of an organisation (OpenRefine shows it in a frame).
- ``/suggest/entity|type|property?prefix=``: autocomplete of names (the
  search's suggestions), of types and of properties.
- ``/propose_properties?type=``: the properties the data extension adds.

Every JSON answer may be wrapped for JSONP (``?callback=``, checked to be a
function name), has CORS headers (``portal.api.http``) and shares the API's
rate limit; mistakes are 400s in the API's error shape.
"""

import json

from flask import Blueprint, current_app, make_response, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _

from portal.api.http import (
    RETRY_AFTER_SECONDS,
    ApiError,
    api_language,
    error_response,
    serve_as_json_api,
    json_response,
)
from portal.origin import public_path_url, public_url
from portal.reconcile import protocol, service
from portal.reconcile.protocol import ReconcileInputError
from portal.web import current_publication, limit_request_body

SERVICE_PATH = "/api/reconcile"
bp = Blueprint("reconcile", __name__, url_prefix=SERVICE_PATH)

#: The largest form a client may POST (100 queries of long names and their properties fit).
REQUEST_BODY_MAXIMUM = 256 * 1024
#: Sizes of the preview frame OpenRefine opens, in CSS pixels.
PREVIEW_WIDTH, PREVIEW_HEIGHT = 420, 200
#: The preview is framed by the client's page (OpenRefine, any origin): it may be, and it runs nothing.
PREVIEW_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors *"
)


# The JSON API's one limit per client address (the same scope as /api/v1) and its error shape:
# reconciling is using the API.
serve_as_json_api(bp)


@bp.errorhandler(ReconcileInputError)
def _bad_input(error):
    return error_response(400, error.code, error.message, error.parameter)


# -- answers -----------------------------------------------------------------------------


def _field(name):
    """Return the one value of ``name`` from the posted form or the query string, or None; refuse several."""
    values = request.form.getlist(name) if request.method == "POST" else []
    values = values or request.args.getlist(name)
    if len(values) > 1:
        raise ReconcileInputError(
            "invalid_parameter", _("Choose at most one value for “%(name)s”.", name=name), name
        )
    return values[0] if values else None


def _answer(payload, cacheable=True):
    """Return ``payload`` as JSON, or as JSONP when ``?callback=`` names a function."""
    publication = current_publication()
    callback = protocol.check_callback(request.args.get("callback"))
    response = json_response(payload, 200, publication, with_publication_fields=False)
    if callback is not None:
        # ASCII only: U+2028 and U+2029 end a line in older JavaScript. The comment keeps
        # the body from starting with the caller's bytes (a content-sniffing trick).
        body = json.dumps(payload, ensure_ascii=True, separators=(",", ":"))
        response.set_data(f"/**/ {callback}({body});")
        response.mimetype = "application/javascript"
    if cacheable and request.method in ("GET", "HEAD"):
        response.headers["Cache-Control"] = f"public, max-age={current_app.config['API_MAX_AGE']}"
    else:
        response.headers["Cache-Control"] = "no-store"
    return response


def _searching(function, *args):
    from portal.search.index import SearchIndexMissing

    try:
        return function(*args)
    except SearchIndexMissing:
        raise ApiError(
            503, "search_unavailable", _("Search is temporarily unavailable. Please try again later."),
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from None


def _publication_version():
    publication = current_publication()
    if publication is None:
        raise ApiError(
            503, "unavailable", _("The data is temporarily unavailable. Please try again later."),
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    return publication.version


@bp.app_template_global()
def reconciliation_service():
    """Return the service's address and batch size, for the API's documentation page (/api)."""
    return {"url": public_path_url(SERVICE_PATH), "queries_maximum": protocol.QUERIES_MAXIMUM}


def report_url(uscc):
    return public_url("orgs.report", uscc=uscc, lang=None)


# -- the service --------------------------------------------------------------------------


@bp.route("", methods=["GET", "POST"])
@bp.route("/", methods=["GET", "POST"])
@limit_request_body(lambda: REQUEST_BODY_MAXIMUM)
def endpoint():
    """The manifest, or the candidates of ``queries``, or the data ``extend`` asks for."""
    with force_locale(api_language()):
        protocol.check_callback(request.args.get("callback"))
        queries, extend = _field("queries"), _field("extend")
        if queries is not None and extend is not None:
            raise ReconcileInputError(
                "invalid_parameter", _("Send either “queries” or “extend”, not both."), "queries"
            )
        if queries is not None:
            return _answer(_candidates(protocol.parse_queries(queries)), cacheable=False)
        if extend is not None:
            return _answer(_extension(*protocol.parse_extend(extend)), cacheable=False)
        if request.method == "POST":
            raise ReconcileInputError(
                "missing_parameter", _("Send the queries as JSON in the form field “queries”."), "queries"
            )
        return _answer(manifest())


def manifest():
    """Return the service manifest: what OpenRefine reads when the service is added."""
    language = api_language()
    base = public_path_url(SERVICE_PATH)
    return {
        "versions": ["0.2"],
        "name": _("Beijing Social Organisation Credit Information Portal: published organisations (grade A or B)"),
        "identifierSpace": public_path_url("/org/"),
        "schemaSpace": public_path_url("/api/reconcile/types/"),
        "defaultTypes": service.types(language),
        "view": {"url": public_path_url("/org/") + "{{id}}"},
        "preview": {"url": f"{base}/preview?id={{{{id}}}}&lang={language}", "width": PREVIEW_WIDTH, "height": PREVIEW_HEIGHT},
        "suggest": {
            "entity": {"service_url": base, "service_path": "/suggest/entity"},
            "type": {"service_url": base, "service_path": "/suggest/type"},
            "property": {"service_url": base, "service_path": "/suggest/property"},
        },
        "extend": {
            "propose_properties": {"service_url": base, "service_path": "/propose_properties"},
            "property_settings": [],
        },
    }


def _candidates(queries):
    version = _publication_version()
    language = api_language()
    type_names = {entry["id"]: entry["name"] for entry in service.types(language)}
    answers = {}
    for key, query in queries.items():
        candidates = _searching(service.reconcile, query, version)
        answers[key] = {
            "result": [
                {
                    "id": candidate.uscc,
                    "name": candidate.name,
                    "type": [{"id": candidate.org_type, "name": type_names.get(candidate.org_type, candidate.org_type)}],
                    "score": candidate.score,
                    "match": candidate.match,
                }
                for candidate in candidates
            ]
        }
    return answers


def _extension(ids, properties):
    _publication_version()
    return {
        "meta": service.properties(properties, api_language()),
        "rows": service.extension_rows(ids, properties, report_url),
    }


@bp.get("/propose_properties")
def propose_properties():
    """The properties the data extension can add to organisations of a type."""
    with force_locale(api_language()):
        protocol.check_callback(request.args.get("callback"))
        org_type = protocol.check_type(_field("type"))
        limit = _field("limit")
        proposed = service.extension_properties(api_language())
        if limit not in (None, ""):
            proposed = proposed[: protocol.check_limit(limit)]
        return _answer({"type": org_type or "", "properties": proposed})


# -- suggest --------------------------------------------------------------------------------


def _prefix_and_cursor():
    protocol.check_callback(request.args.get("callback"))
    prefix = _field("prefix") or ""
    if len(prefix) > protocol.QUERY_TEXT_MAXIMUM:
        raise ReconcileInputError(
            "invalid_parameter",
            _("“prefix” is longer than %(maximum)s characters.", maximum=protocol.QUERY_TEXT_MAXIMUM),
            "prefix",
        )
    cursor = _field("cursor") or "0"
    if not cursor.isdigit() or len(cursor) > 6:
        raise ReconcileInputError("invalid_parameter", _("“cursor” must be a whole number from 0 upwards."), "cursor")
    return prefix, int(cursor)


@bp.get("/suggest/entity")
def suggest_entity():
    """Published organisations for a name being typed (the search's suggestions)."""
    from portal.search import service as search_service

    with force_locale(api_language()):
        prefix, cursor = _prefix_and_cursor()
        version = _publication_version()
        language = api_language()
        type_names = {entry["id"]: entry["name"] for entry in service.types(language)}
        suggestions = _searching(search_service.suggest, prefix, search_service.SUGGESTIONS_MAXIMUM, None, version)
        organisations = service.published_organisations([item.uscc for item in suggestions])
        result = []
        for item in suggestions[cursor:]:
            organisation = organisations.get(item.uscc)
            if organisation is None:
                continue
            result.append(
                {
                    "id": item.uscc,
                    "name": item.name,
                    "description": _("Grade %(grade)s · %(district)s", grade=item.grade, district=service.district_label(organisation.district_code, language)),
                    "notable": [{"id": organisation.org_type, "name": type_names.get(organisation.org_type, "")}],
                }
            )
        return _answer({"result": result})


@bp.get("/suggest/type")
def suggest_type():
    """The service's types (organisation types) matching what is typed."""
    with force_locale(api_language()):
        prefix, cursor = _prefix_and_cursor()
        return _answer({"result": service.matching(service.types(api_language()), prefix)[cursor:]})


@bp.get("/suggest/property")
def suggest_property():
    """The properties a query may give (district, org_type) matching what is typed."""
    with force_locale(api_language()):
        prefix, cursor = _prefix_and_cursor()
        return _answer({"result": service.matching(service.query_properties(api_language()), prefix)[cursor:]})


# -- preview -------------------------------------------------------------------------------


@bp.get("/preview")
def preview():
    """A small HTML card of a published organisation; the same neutral card for any other code."""
    with force_locale(api_language()):
        identifier = _field("id") or ""
        if len(identifier) > protocol.KEY_MAXIMUM:
            raise ReconcileInputError("invalid_parameter", _("“id” is not a unified social credit code."), "id")
        organisation = service.published_organisation(identifier)
        language = api_language()
        body = render_template(
            "reconcile/preview.html",
            organisation=organisation,
            shown_id=protocol.echo(identifier),
            language=language,
            org_type={entry["id"]: entry["name"] for entry in service.types(language)}.get(
                organisation.org_type if organisation else None
            ),
            district=service.district_label(organisation.district_code, language) if organisation else None,
            report_url=report_url(organisation.uscc) if organisation else None,
        )
        response = make_response(body, 200 if organisation is not None else 404)
        response.headers["Content-Security-Policy"] = PREVIEW_POLICY
        response.headers["Cache-Control"] = f"public, max-age={current_app.config['API_MAX_AGE']}"
        return response
