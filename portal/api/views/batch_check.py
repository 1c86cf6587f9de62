"""/batch-check: up to 5,000 codes or names checked against the public list at once."""

from flask import current_app, request
from flask_babel import force_locale, format_number
from flask_babel import gettext as _

from portal.api import service
from portal.api.http import ApiError, api_language, json_response
from portal.api.views.blueprint import bp
from portal.extensions import limiter
from portal.opendata import batch
from portal.web import current_publication, limit_request_body

def _batch_rate_limit():
    return current_app.config["API_BATCH_RATE_LIMIT"]


def _batch_result(row_number, item):
    """Return one result of ``portal.opendata.batch.check_values`` in the API's shape (scores as numbers)."""

    def match(found):
        return {
            "uscc": found["uscc"],
            "name": found["name"],
            "grade": found["grade"],
            "score": service.number(found["score"]),
        }

    result = {
        "row": row_number,
        "input": item["input"],
        "kind": item["kind"],
        "result": item["result"],
        "uscc": item.get("uscc"),
        "name": item.get("name"),
        "grade": item.get("grade"),
        "score": service.number(item.get("score")),
    }
    if "matches" in item:
        result["matches"] = [match(found) for found in item["matches"]]
    return result


def _batch_values():
    maximum_bytes = current_app.config["API_BATCH_MAX_BYTES"]
    if request.content_length is not None and request.content_length > maximum_bytes:
        raise ApiError(413, "payload_too_large", _("The request is too large."))
    if not request.is_json:
        raise ApiError(
            415, "unsupported_media_type", _("Send the request body as JSON (Content-Type: application/json).")
        )
    if len(request.get_data(cache=True)) > maximum_bytes:
        raise ApiError(413, "payload_too_large", _("The request is too large."))
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        body = None  # nested thousands deep: no list of values
    values = body.get("values") if isinstance(body, dict) else body
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        raise ApiError(
            400, "invalid_body",
            _('Send a JSON object {"values": [...]} whose values are codes or names, as strings.'), "values",
        )
    maximum = batch.MAX_ROWS
    if len(values) > maximum:
        raise ApiError(
            400, "too_many_values",
            _(
                "Send at most %(maximum)s values at a time (this request has %(num)s).",
                maximum=format_number(maximum),
                num=format_number(len(values)),
            ),
            "values",
        )
    if any(len(value) > batch.MAX_VALUE_CHARS for value in values):
        raise ApiError(
            400, "invalid_body",
            _(
                "A value is longer than %(maximum)s characters: no code or name is this long.",
                maximum=batch.MAX_VALUE_CHARS,
            ),
            "values",
        )
    # A lone surrogate (valid in JSON) can be neither queried nor echoed back: drop it.
    return [value.encode("utf-16", "surrogatepass").decode("utf-16", "ignore") for value in values]


def _batch_body_limit():
    # One byte more than allowed: a chunked body is cut at the limit without an error,
    # so reading one byte over it is how _batch_values knows that the body was longer.
    return current_app.config["API_BATCH_MAX_BYTES"] + 1


@bp.post("/batch-check")
@limit_request_body(_batch_body_limit)
@limiter.limit(_batch_rate_limit, override_defaults=False)
def batch_check():
    """Check up to 5,000 codes or names against the public list."""
    with force_locale(api_language()):
        publication = current_publication()
        values = _batch_values()
        results = [_batch_result(number, item) for number, item in enumerate(batch.check_values(values), start=1)]
        summary = {}
        for result in results:
            summary[result["result"]] = summary.get(result["result"], 0) + 1
        response = json_response({"count": len(results), "summary": summary, "results": results}, 200, publication)
        response.headers["Cache-Control"] = "no-store"
        return response
