"""Property-based tests of the reconciliation service: whatever a client sends, never a 5xx, never an unpublished code.

Hypothesis draws the ``queries`` and ``extend`` fields (JSON of any shape,
texts with control characters, query syntax, lone surrogates, huge numbers),
the suggest prefixes and cursors, preview ids and JSONP callbacks. A 200 holds
only published organisations with scores from 85 to 100; an error is the API's
error JSON.
"""

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from portal.demo.generator import generate_scoring_db
from portal.extensions import db
from portal.publication.models import Organisation
from portal.sync import service as sync_service

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_MAX_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
FORM = "application/x-www-form-urlencoded; charset=UTF-8"

wild_text = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x3000), max_size=200),
    st.sampled_from(["", " ", "北京", "北京市", "*", 'name:"北京" OR uscc:5*', "\x00\x01", "<script>x</script>",
                     "' OR 1=1 --", "北" * 600, "51110000MJ0000001X", "朝阳区 养老", "\ud800"]),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30) | st.floats() | wild_text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(wild_text, children, max_size=4),
    max_leaves=12,
)
query_objects = st.fixed_dictionaries(
    {"query": st.one_of(wild_text, json_values)},
    optional={
        "type": st.one_of(st.sampled_from(["social_group", "foundation", "", None, "company"]), json_values),
        "limit": st.one_of(st.integers(min_value=-5, max_value=30), st.sampled_from(["3", "x", None]), json_values),
        "type_strict": st.sampled_from(["should", "all", "any"]),
        "properties": st.one_of(
            st.lists(
                st.fixed_dictionaries(
                    {"pid": st.sampled_from(["district", "org_type", "colour", ""]), "v": json_values}
                ),
                max_size=3,
            ),
            json_values,
        ),
    },
)


def sendable(text):
    """Return text a form can carry: a lone surrogate cannot be encoded (JSON escapes of one, \\ud800, can)."""
    return text.encode("utf-8", "replace").decode("utf-8")


queries_fields = st.one_of(
    wild_text.map(sendable),
    json_values.map(json.dumps),
    st.dictionaries(st.text(min_size=1, max_size=5), query_objects, min_size=1, max_size=4).map(json.dumps),
    st.dictionaries(st.text(min_size=1, max_size=5), query_objects, min_size=1, max_size=4).map(
        lambda value: sendable(json.dumps(value, ensure_ascii=False))
    ),
)
extend_fields = st.one_of(
    wild_text.map(sendable),
    st.fixed_dictionaries(
        {
            "ids": st.one_of(st.lists(wild_text, max_size=5), json_values),
            "properties": st.one_of(
                st.lists(st.fixed_dictionaries({"id": st.sampled_from(["grade", "score", "uscc", "report_url", "x"])}),
                         max_size=4),
                json_values,
            ),
        }
    ).map(json.dumps),
)
callbacks = st.one_of(
    st.none(), st.sampled_from(["cb", "jQuery1_2", "a.b", "alert(1)", "", "$"]), st.text(max_size=10).map(sendable)
)


@pytest.fixture
def demo_portal(app):
    """A small demo portal, synced and indexed; returns the published and the unpublished codes."""
    generate_scoring_db(app.config["SCORING_DATABASE_URL"], orgs=60, seed=7)
    with app.app_context():
        result = sync_service.run_sync(trigger="test")
        assert result.status == "succeeded", result.error
        rows = db.session.execute(select(Organisation.uscc, Organisation.is_published)).all()
    published = {uscc for uscc, is_published in rows if is_published}
    unpublished = {uscc for uscc, is_published in rows if not is_published}
    assert published and unpublished
    return published, unpublished


def assert_answered_well(response, published, unpublished):
    assert response.status_code < 500, (response.status_code, response.get_data(as_text=True)[:300])
    text = response.get_data(as_text=True)
    assert not any(code in text for code in unpublished)
    if response.status_code == 404 and response.mimetype == "text/html":
        assert "<h1 class=\"preview__name\">" in text  # the preview's card for any code not published
    elif response.status_code >= 400:
        assert response.mimetype == "application/json"
        assert set(response.get_json()["error"]) >= {"code", "message", "status"}
    return text


@FUZZ
@given(queries=queries_fields, callback=callbacks)
def test_any_queries_are_answered_well(client, demo_portal, queries, callback):
    published, unpublished = demo_portal
    query_string = {"callback": callback} if callback is not None else {}
    response = client.post("/api/reconcile", data={"queries": queries}, content_type=FORM, query_string=query_string)
    text = assert_answered_well(response, published, unpublished)
    if response.status_code == 200:
        body = json.loads(text[text.index("(") + 1 : -2]) if response.mimetype == "application/javascript" else json.loads(text)
        for answer in body.values():
            for candidate in answer["result"]:
                assert candidate["id"] in published and 85 <= candidate["score"] <= 100


@FUZZ
@given(extend=extend_fields)
def test_any_extension_is_answered_well(client, demo_portal, extend):
    published, unpublished = demo_portal
    response = client.post("/api/reconcile", data={"extend": extend}, content_type=FORM)
    assert_answered_well(response, published, unpublished)


@FUZZ
@given(path=st.sampled_from(["/suggest/entity", "/suggest/type", "/suggest/property", "/propose_properties",
                             "/preview", ""]),
       name=st.sampled_from(["prefix", "cursor", "id", "type", "limit", "queries", "lang"]),
       value=wild_text, callback=callbacks)
def test_any_argument_of_any_endpoint_is_answered_well(client, demo_portal, path, name, value, callback):
    published, unpublished = demo_portal
    query_string = {name: sendable(value)}
    if callback is not None:
        query_string["callback"] = callback
    assert_answered_well(client.get("/api/reconcile" + path, query_string=query_string), published, unpublished)
