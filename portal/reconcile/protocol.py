"""What a reconciliation client may send, checked: batches of queries, a data extension, property values.

The shapes are those of the W3C Entity Reconciliation Service API as
OpenRefine sends them: ``queries`` is a JSON object of
``{"q0": {"query", "type", "limit", "properties": [{"pid", "v"}]}}``;
``extend`` is ``{"ids": [...], "properties": [{"id"}]}``. Every mistake is a
``ReconcileInputError`` with a translated message, which the views answer as
a 400 in the API's error shape.
"""

import json
import re
import unicodedata
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _

from portal.reference import DISTRICT_NAMES_ZH, DISTRICTS, ORG_TYPE_NAMES_ZH, ORG_TYPES

#: Queries in one request (OpenRefine sends 10 at a time).
QUERIES_MAXIMUM = 100
#: Candidates a query may ask for.
LIMIT_DEFAULT = 5
LIMIT_MAXIMUM = 25
#: Ids of one data extension request.
EXTEND_IDS_MAXIMUM = 500
#: A query's text longer than this is no organisation's name (the search cuts at 100).
QUERY_TEXT_MAXIMUM = 500
#: A query id ("q0") or a property id longer than this is no such thing.
KEY_MAXIMUM = 100
#: Property values of one query.
VALUES_MAXIMUM = 20

#: The properties a query may give as evidence: ``pid`` -> what it is.
QUERY_PROPERTIES = ("district", "org_type")
#: The properties the data extension adds, in this order.
EXTEND_PROPERTIES = ("grade", "score", "uscc", "report_url")

#: Other ways people write an organisation type in a column.
_TYPE_SYNONYMS = {"民办非企业单位": "social_service", "民非": "social_service", "社团": "social_group"}
_ECHO_LENGTH = 40
#: A JSONP callback: a JavaScript identifier, or a dotted path of them; nothing else is echoed into a script.
_CALLBACK = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]{0,63}(?:\.[A-Za-z_$][A-Za-z0-9_$]{0,63}){0,3}")


class ReconcileInputError(ValueError):
    """A request the service cannot answer: ``code``, a translated ``message`` and the ``parameter`` at fault."""

    def __init__(self, code, message, parameter):
        super().__init__(code)
        self.code = code
        self.message = message
        self.parameter = parameter


@dataclass(frozen=True)
class Query:
    """One name to reconcile, with what the client knows of it."""

    text: str
    org_type: str | None = None
    limit: int = LIMIT_DEFAULT
    #: District codes the client's column names (empty: unknown), and organisation types it names.
    districts: frozenset = frozenset()
    org_types: frozenset = frozenset()


def echo(value):
    """Return ``value`` cut to a length an error message may quote (a lone surrogate, which no answer can carry, as ?)."""
    value = str(value).encode("utf-8", "replace").decode("utf-8")
    return value if len(value) <= _ECHO_LENGTH else value[:_ECHO_LENGTH] + "…"


def _encodable(text):
    """Tell whether a text can be sent back (JSON escapes may carry a lone surrogate, which UTF-8 cannot)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_callback(value):
    """Return a JSONP callback name if it is a safe identifier; raise ReconcileInputError otherwise."""
    if value is None:
        return None
    if not _CALLBACK.fullmatch(value):
        raise ReconcileInputError(
            "invalid_callback",
            _("“callback” must be a JavaScript function name (letters, digits, _ and $, dots between them)."),
            "callback",
        )
    return value


def _json_object(text, parameter, shape):
    """Return the JSON value of a form field, or raise ReconcileInputError."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise ReconcileInputError(
            "invalid_json", _("“%(name)s” is not JSON. %(shape)s", name=parameter, shape=shape), parameter
        ) from None
    return value


def _queries_shape():
    return _('Send a JSON object such as {"q0": {"query": "北京市朝阳区青少年发展基金会", "limit": 3}}.')


def parse_queries(text):
    """Return {key: Query} from the ``queries`` field (JSON text); raise ReconcileInputError if it is malformed."""
    value = _json_object(text, "queries", _queries_shape())
    if not isinstance(value, dict) or not value:
        raise ReconcileInputError(
            "invalid_queries", _("“queries” must be a non-empty JSON object. %(shape)s", shape=_queries_shape()), "queries"
        )
    if len(value) > QUERIES_MAXIMUM:
        raise ReconcileInputError(
            "too_many_queries",
            _(
                "Send at most %(maximum)s queries at a time (this request has %(num)s).",
                maximum=QUERIES_MAXIMUM,
                num=len(value),
            ),
            "queries",
        )
    return {_key(key, "queries"): parse_query(query, key) for key, query in value.items()}


def _key(key, parameter):
    if not key or len(key) > KEY_MAXIMUM or not _encodable(key):
        raise ReconcileInputError(
            "invalid_queries",
            _("A query's key must be a text of 1 to %(maximum)s characters.", maximum=KEY_MAXIMUM),
            parameter,
        )
    return key


def parse_query(query, key="query"):
    """Return the Query of one query object (or of a bare string, as old clients send it)."""
    if isinstance(query, str):
        query = {"query": query}
    if not isinstance(query, dict):
        raise ReconcileInputError(
            "invalid_query", _("Query “%(key)s” must be a JSON object with a “query” text.", key=echo(key)), "queries"
        )
    text = query.get("query")
    if not isinstance(text, str) or not text.strip():
        raise ReconcileInputError(
            "invalid_query", _("Query “%(key)s” must have a “query” text: the name to match.", key=echo(key)), "queries"
        )
    if len(text) > QUERY_TEXT_MAXIMUM:
        raise ReconcileInputError(
            "invalid_query",
            _(
                "Query “%(key)s” is longer than %(maximum)s characters: no organisation's name is this long.",
                key=echo(key),
                maximum=QUERY_TEXT_MAXIMUM,
            ),
            "queries",
        )
    org_type = check_type(query.get("type"))
    limit = check_limit(query.get("limit", LIMIT_DEFAULT))
    districts, org_types = _query_properties(query.get("properties"), key)
    return Query(text=text, org_type=org_type, limit=limit, districts=districts, org_types=org_types)


def check_type(value):
    """Return an organisation type a query restricts to (None for any); raise ReconcileInputError if unknown."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or value not in ORG_TYPES:
        raise ReconcileInputError(
            "invalid_type",
            _(
                "“%(value)s” is not a type of this service. Choose social_group, social_service or foundation, or none.",
                value=echo(value),
            ),
            "type",
        )
    return value


def check_limit(value):
    """Return the number of candidates asked for; raise ReconcileInputError unless it is 1 to LIMIT_MAXIMUM."""
    if isinstance(value, str) and value.isdigit() and len(value) < 6:
        value = int(value)  # some clients send numbers as text
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= LIMIT_MAXIMUM:
        raise ReconcileInputError(
            "invalid_limit", _("“limit” must be a whole number from 1 to %(maximum)s.", maximum=LIMIT_MAXIMUM), "limit"
        )
    return value


def _query_properties(properties, key):
    if properties in (None, []):
        return frozenset(), frozenset()
    if not isinstance(properties, list) or len(properties) > len(QUERY_PROPERTIES) * 2:
        raise ReconcileInputError(
            "invalid_properties",
            _("“properties” of query “%(key)s” must be a list of {\"pid\", \"v\"} objects.", key=echo(key)),
            "properties",
        )
    districts, org_types = set(), set()
    for item in properties:
        if not isinstance(item, dict) or not isinstance(item.get("pid"), str) or "v" not in item:
            raise ReconcileInputError(
                "invalid_properties",
                _("“properties” of query “%(key)s” must be a list of {\"pid\", \"v\"} objects.", key=echo(key)),
                "properties",
            )
        pid = item["pid"]
        if pid not in QUERY_PROPERTIES:
            raise ReconcileInputError(
                "unknown_property",
                _("“%(value)s” is not a property of this service. Use district or org_type.", value=echo(pid)),
                "properties",
            )
        for value in _values(item["v"], key):
            if pid == "district":
                districts.update(district_codes(value))
            else:
                org_types.update(org_type_codes(value))
    return frozenset(districts), frozenset(org_types)


def _values(value, key):
    """Return the texts of a property value: a text, a number, {"id"/"name"}, or a list of them."""
    values = value if isinstance(value, list) else [value]
    if len(values) > VALUES_MAXIMUM:
        raise ReconcileInputError(
            "invalid_properties",
            _("A property of query “%(key)s” has more than %(maximum)s values.", key=echo(key), maximum=VALUES_MAXIMUM),
            "properties",
        )
    texts = []
    for item in values:
        if isinstance(item, dict):
            item = item.get("id") or item.get("name")
        if isinstance(item, bool) or item is None:
            continue
        if isinstance(item, int | float):
            item = str(item)
        if not isinstance(item, str):
            raise ReconcileInputError(
                "invalid_properties",
                _("A property value of query “%(key)s” must be a text or a number.", key=echo(key)),
                "properties",
            )
        texts.append(item)
    return texts


def _plain(text):
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


def _english_labels(labels):
    with force_locale("en"):
        return {code: str(label).lower() for code, label in labels.items()}


def district_codes(value):
    """Return the district codes a cell names: 110105, 朝阳区, 朝阳, 北京市朝阳区, Chaoyang (District); () if none."""
    text = _plain(value)
    if not text:
        return ()
    if text in DISTRICT_NAMES_ZH:
        return (text,)
    english = _english_labels(DISTRICTS)
    for code, name in DISTRICT_NAMES_ZH.items():
        if text in (name, name.removesuffix("区"), "北京市" + name, "北京" + name):
            return (code,)
        label = english[code].replace(" ", "")
        if text in (label, label + "district"):
            return (code,)
    if text in ("市级", "市本级", "beijing", "municipal"):
        return ("110000",)
    return ()


def org_type_codes(value):
    """Return the organisation types a cell names: social_group, 社会团体, Social group, 民办非企业单位...; () if none."""
    text = _plain(value)
    if text in ORG_TYPES:
        return (text,)
    if text in _TYPE_SYNONYMS:
        return (_TYPE_SYNONYMS[text],)
    english = _english_labels(ORG_TYPES)
    for code in ORG_TYPES:
        if text in (ORG_TYPE_NAMES_ZH[code], english[code].replace(" ", "")):
            return (code,)
    return ()


def _extend_shape():
    return _('Send a JSON object such as {"ids": ["51110000…"], "properties": [{"id": "grade"}]}.')


def parse_extend(text):
    """Return (ids, property ids) of the ``extend`` field (JSON text); raise ReconcileInputError if malformed."""
    value = _json_object(text, "extend", _extend_shape())
    if not isinstance(value, dict):
        raise ReconcileInputError("invalid_extend", _("“extend” must be a JSON object. %(shape)s", shape=_extend_shape()), "extend")
    ids, properties = value.get("ids"), value.get("properties")
    if not isinstance(ids, list) or not all(
        isinstance(item, str) and len(item) <= KEY_MAXIMUM and _encodable(item) for item in ids
    ):
        raise ReconcileInputError(
            "invalid_extend", _("“ids” of “extend” must be a list of codes, as texts. %(shape)s", shape=_extend_shape()), "extend"
        )
    if len(ids) > EXTEND_IDS_MAXIMUM:
        raise ReconcileInputError(
            "too_many_ids",
            _("Send at most %(maximum)s ids at a time (this request has %(num)s).", maximum=EXTEND_IDS_MAXIMUM, num=len(ids)),
            "extend",
        )
    if not isinstance(properties, list) or not all(isinstance(item, dict) for item in properties):
        raise ReconcileInputError(
            "invalid_extend",
            _("“properties” of “extend” must be a list of {\"id\"} objects. %(shape)s", shape=_extend_shape()),
            "extend",
        )
    chosen = []
    for item in properties:
        property_id = item.get("id")
        if property_id not in EXTEND_PROPERTIES:
            raise ReconcileInputError(
                "unknown_property",
                _(
                    "“%(value)s” is not a property this service adds. Use grade, score, uscc or report_url.",
                    value=echo(property_id),
                ),
                "extend",
            )
        if property_id not in chosen:
            chosen.append(property_id)
    return list(dict.fromkeys(ids)), chosen
