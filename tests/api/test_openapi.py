"""The OpenAPI document tells the truth: every endpoint's actual responses validate against it.

Responses of every endpoint (successes, 304s and every kind of error) are
checked against the schema the document gives for that path, method and
status, with $refs resolved through ``referencing``. The document's objects
are closed, so an undocumented field fails here.
"""

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from portal.api.openapi import openapi_document
from portal.api.views import API_PREFIX
from tests.api.test_endpoints import (  # noqa: F401 (fixtures)
    UNKNOWN,
    catch_up_index,
    limited_app,
    many,
    portal,
    uscc_of,
)

SPEC_URI = "https://portal.invalid/api/v1/openapi.json"


def pointer_escape(text):
    return text.replace("~", "~0").replace("/", "~1")


class Spec:
    """The served OpenAPI document, with a validator for each response it describes."""

    def __init__(self, document):
        self.document = document
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(SPEC_URI, resource)

    def resolve(self, node):
        while "$ref" in node:
            node = self.registry.resolver(base_uri=SPEC_URI).lookup(node["$ref"]).contents
        return node

    def operation(self, path, method, method_not_allowed=False):
        """Return (template, operation) for an actual path such as /organisations/<code>.

        For a method the path does not have (a 405), the operation of one it has,
        whose responses document the 405.
        """
        relative = path[len(API_PREFIX):] or "/"
        for template, item in self.document["paths"].items():
            parts, actual = template.strip("/").split("/"), relative.strip("/").split("/")
            if len(parts) == len(actual) and all(p == a or p.startswith("{") for p, a in zip(parts, actual)):
                if method in item:
                    return template, item[method]
                if method_not_allowed:
                    return template, next(iter(item.values()))
                raise AssertionError(f"{method.upper()} {template} is not documented")
        raise AssertionError(f"{relative} is not documented")

    def validate(self, method, path, response):
        """Validate an actual response against the document; return the schema pointer used."""
        template, operation = self.operation(path, method, response.status_code == 405)
        status = str(response.status_code)
        assert status in operation["responses"], f"{method.upper()} {template} does not document {status}"
        documented = operation["responses"][status]
        if "$ref" in documented:
            pointer = documented["$ref"].removeprefix("#")
        else:
            pointer = f"/paths/{pointer_escape(template)}/{method}/responses/{status}"
        described = self.resolve(documented)
        if "content" not in described:
            assert response.data == b"", f"{status} of {template} should have no body"
            self.check_headers(template, status, described, response)
            return pointer
        assert response.mimetype in described["content"], (template, status, response.mimetype)
        schema_pointer = f"{pointer}/content/{pointer_escape(response.mimetype)}/schema"
        validator = Draft202012Validator(
            {"$ref": f"{SPEC_URI}#{schema_pointer}"},
            registry=self.registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        errors = sorted(validator.iter_errors(response.get_json()), key=lambda error: list(error.path))
        assert not errors, f"{method.upper()} {path} {status}: " + "; ".join(
            f"{'/'.join(map(str, error.path))}: {error.message}" for error in errors[:5]
        )
        self.check_headers(template, status, described, response)
        return pointer

    def check_headers(self, template, status, described, response):
        for name, header in described.get("headers", {}).items():
            if self.resolve(header).get("required"):
                assert name in response.headers, f"{status} of {template} lacks the required header {name}"


@pytest.fixture
def spec(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return Spec(response.get_json())


def test_the_document_is_well_formed():
    document = openapi_document()
    assert document["openapi"] == "3.1.0"
    for name, schema in document["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)
    spec = Spec(document)

    def references(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    yield value
                else:
                    yield from references(value)
        elif isinstance(node, list):
            for value in node:
                yield from references(value)

    for reference in set(references(document)):
        assert spec.resolve({"$ref": reference}) is not None, reference
    for template, item in document["paths"].items():
        for method, operation in item.items():
            assert operation["operationId"] and operation["summary"], template
            assert {"200", "400", "429", "500"} <= set(operation["responses"]), template
            for parameter in operation.get("parameters", []):
                parameter = spec.resolve(parameter)
                assert parameter["in"] in ("query", "path"), parameter
                if parameter["in"] == "path":
                    assert "{" + parameter["name"] + "}" in template


def test_every_route_is_documented_and_every_documented_path_exists(app):
    documented = {
        (API_PREFIX + ("" if template == "/" else template), method.upper())
        for template, item in openapi_document()["paths"].items()
        for method in item
    }
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.rule != API_PREFIX + "/":
            path = rule.rule.replace("<uscc>", "{uscc}")
            routes.update((path, method) for method in rule.methods - {"HEAD", "OPTIONS"})
    assert routes == documented


def test_served_document_states_the_publication(client, portal):
    info = client.get("/api/v1/openapi.json").get_json()["info"]
    assert info["x-publication-version"] == 3 and info["x-data-as-of"] == "2026-11-04T18:30:00Z"


# (method, path, query or JSON body, expected status)
CASES = [
    ("get", "/api/v1", {}, 200),
    ("get", "/api/v1/", {"lang": "en"}, 200),
    ("get", "/api/v1", {"x": "1"}, 400),
    ("get", "/api/v1/organisations", {}, 200),
    ("get", "/api/v1/organisations", {"lang": "en", "grade": "A", "sort": "score_desc", "limit": "1"}, 200),
    ("get", "/api/v1/organisations", {"evaluation": "none", "district": "110105"}, 200),
    ("get", "/api/v1/organisations", {"grade": "C"}, 400),
    ("get", "/api/v1/organisations", {"cursor": "nonsense"}, 400),
    ("get", "/api/v1/organisations/{published}", {}, 200),
    ("get", "/api/v1/organisations/{published}", {"lang": "en"}, 200),
    ("get", "/api/v1/organisations/{returned}", {}, 200),
    ("get", "/api/v1/organisations/{hidden}", {}, 404),
    ("get", "/api/v1/organisations/{unknown}", {"lang": "en"}, 404),
    ("get", "/api/v1/organisations/123", {}, 400),
    ("get", "/api/v1/organisations/{published}/changes", {}, 200),
    ("get", "/api/v1/organisations/{returned}/changes", {"lang": "en", "limit": "1"}, 200),
    ("get", "/api/v1/organisations/{hidden}/changes", {}, 404),
    ("get", "/api/v1/organisations/{unknown}/changes", {"lang": "en"}, 404),
    ("get", "/api/v1/organisations/123/changes", {}, 400),
    ("get", "/api/v1/organisations/{published}/changes", {"limit": "0"}, 400),
    ("get", "/api/v1/search", {"q": "协会"}, 200),
    ("get", "/api/v1/search", {"q": "北京市", "grade": ["A", "B"], "sort": "score_desc", "lang": "en"}, 200),
    ("get", "/api/v1/search", {"q": "zzzzqqq"}, 200),
    ("get", "/api/v1/search", {"q": "北京市阿尔法协"}, 200),
    ("get", "/api/v1/search", {"q": ""}, 200),
    ("get", "/api/v1/search", {"q": "x", "sort": "best"}, 400),
    ("get", "/api/v1/changes", {"since": "2026-11-01"}, 200),
    ("get", "/api/v1/changes", {"since": "2026-11-01", "until": "2026-11-04", "type": "exit", "limit": "1"}, 200),
    ("get", "/api/v1/changes", {}, 400),
    ("get", "/api/v1/changes", {"since": "2026-02-30"}, 400),
    ("get", "/api/v1/rules", {}, 200),
    ("get", "/api/v1/rules", {"lang": "en"}, 200),
    ("get", "/api/v1/statistics", {}, 200),
    ("get", "/api/v1/statistics", {"lang": "en"}, 200),
    ("get", "/api/v1/openapi.json", {}, 200),
    ("post", "/api/v1/batch-check", {"values": ["{published}", "{hidden}", "北京市贝塔基金会", "nothing", "123456789", ""]}, 200),
    ("post", "/api/v1/batch-check", ["{unknown}"], 200),
    ("post", "/api/v1/batch-check", {"values": "x"}, 400),
    ("post", "/api/v1/batch-check", {"values": ["x"] * 5001}, 400),
    ("post", "/api/v1/organisations", {}, 405),
    ("get", "/api/v1/batch-check", {}, 405),
]


def _fill(value):
    codes = {"published": uscc_of(1), "returned": uscc_of(2), "hidden": uscc_of(6), "unknown": UNKNOWN}
    if isinstance(value, str):
        return value.format(**codes)
    if isinstance(value, list):
        return [_fill(item) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item) for key, item in value.items()}
    return value


def test_every_endpoint_answers_as_documented(app, client, portal, spec):
    catch_up_index(app)
    checked = set()
    for method, path, data, status in CASES:
        path = _fill(path)
        if method == "get":
            response = client.get(path, query_string=data)
        else:
            response = client.post(path, json=_fill(data))
        assert response.status_code == status, (method, path, data, response.get_data(as_text=True)[:300])
        spec.validate(method, path, response)
        checked.add((spec.operation(path, method, status == 405)[0], method, status))
        # Revalidation of every successful GET: a 304, as documented.
        if method == "get" and status == 200:
            again = client.get(path, query_string=data, headers={"If-None-Match": response.headers["ETag"]})
            assert again.status_code == 304
            spec.validate("get", path, again)
    operations = {(template, method) for template, item in spec.document["paths"].items() for method in item}
    assert {(template, method) for template, method, status in checked if status == 200} == operations


def test_pages_of_cursors_and_exits_validate(client, many, spec):
    body = client.get("/api/v1/organisations", query_string={"limit": 5})
    while True:
        spec.validate("get", "/api/v1/organisations", body)
        following = body.get_json()["next"]
        if following is None:
            break
        body = client.get(following)
    response = client.post("/api/v1/batch-check", json={"values": ["北京市同名1协会"]})
    spec.validate("post", "/api/v1/batch-check", response)


def test_errors_validate(app, client, portal, spec, monkeypatch):
    # The search before its index exists.
    response = client.get("/api/v1/search", query_string={"q": "协会"})
    assert response.status_code == 503
    spec.validate("get", "/api/v1/search", response)
    # Oversized and non-JSON batch bodies.
    for kwargs, status in (
        ({"data": "x" * (2 * 1024 * 1024 + 1), "content_type": "application/json"}, 413),
        ({"data": "a,b", "content_type": "text/csv"}, 415),
    ):
        response = client.post("/api/v1/batch-check", **kwargs)
        assert response.status_code == status
        spec.validate("post", "/api/v1/batch-check", response)
    # An unexpected failure.
    from portal.api import service

    monkeypatch.setattr(service, "rule_sets", lambda: 1 / 0)
    response = client.get("/api/v1/rules")
    assert response.status_code == 500
    spec.validate("get", "/api/v1/rules", response)


def test_rate_limited_responses_validate(limited_app, portal):
    client = limited_app.test_client()
    spec = Spec(client.get("/api/v1/openapi.json").get_json())
    for _ in range(2):
        response = client.get("/api/v1/statistics")
        assert response.status_code == 200
        spec.validate("get", "/api/v1/statistics", response)
    response = client.get("/api/v1/changes", query_string={"since": "2026-11-01"})
    assert response.status_code == 429
    spec.validate("get", "/api/v1/changes", response)
    response = client.post("/api/v1/batch-check", json={"values": []})
    assert response.status_code == 429
    spec.validate("post", "/api/v1/batch-check", response)
