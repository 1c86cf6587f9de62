"""Schemathesis against the live API: what /api/v1/openapi.json promises is what the server answers.

The portal runs as deployed (gunicorn, migrated SQLite database, demo data
through ``flask sync run``) on a loopback port, with rate limits off for the
run. Schemathesis reads the OpenAPI description from that server and sends,
to every operation, requests drawn from the schema (valid ones and, for the
negative checks schemathesis does by default, some invalid ones). Each
response must:

* not be a server error (``not_a_server_error``);
* have a status code the description lists (``status_code_conformance``);
* have a content type the description lists (``content_type_conformance``);
* have a body valid against the description's schema for that status
  (``response_schema_conformance``).
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from portal.api.openapi import openapi_document
from portal.testing.live_server import LiveServer
from tests.conftest import live_portal_database

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


class FuzzServer(LiveServer):
    """The live server with rate limits off: the run sends far more than a client may."""

    def environment(self):
        env = super().environment()
        env["RATELIMIT_ENABLED"] = "false"
        return env


@pytest.fixture(scope="module")
def live_api(live_backend):
    with live_portal_database(live_backend) as portal_database_url:
        server = FuzzServer(orgs=150, seed=3, workers=2, access_log=False, log=lambda message: None,
                            portal_database_url=portal_database_url)
        server.start()
        yield server
        server.stop()


# The description the code builds: schemathesis needs it at collection time,
# before the server runs (its lazy ``from_fixture`` loader fails under this
# pytest). test_the_served_description_is_this_one checks that the live
# server serves exactly this document, so the run is against what it serves.
schema = schemathesis.openapi.from_dict(openapi_document())


def test_the_served_description_is_this_one(live_api):
    import json
    import urllib.request

    with urllib.request.urlopen(f"{live_api.base_url}/api/v1/openapi.json", timeout=30) as response:
        served = json.load(response)
    expected = openapi_document()
    served_info = {key: value for key, value in served.pop("info").items() if not key.startswith("x-")}
    assert served_info == expected.pop("info")
    # The servers entry is absolute, on the server's PUBLIC_BASE_URL (portal/testing/live_server.py sets it).
    assert served.pop("servers") == [{"url": f"{live_api.base_url}/api/v1"}]
    expected.pop("servers")
    assert served == json.loads(json.dumps(expected))


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_description(live_api, case):
    case.call_and_validate(base_url=f"{live_api.base_url}/api/v1", checks=CHECKS, timeout=30)
