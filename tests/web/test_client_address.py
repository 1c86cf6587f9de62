"""The client's address comes through trusted proxies only (TRUSTED_PROXY_HOPS), for rate limits and staff sessions.

Security finding 2: behind nginx every visitor had the proxy's address, so
every rate limit was one bucket for the whole city; and the staff session's
fingerprint read X-Forwarded-For from anyone.
"""

import io
import sys

import pytest

from portal import create_app
from portal.extensions import db
from portal.origin import client_address, rate_limit_key
from tests.staff.support import PASSWORD, create_staff

PROXY = "10.0.0.1"
ALICE, BOB, MALLORY = "203.0.113.5", "203.0.113.6", "198.51.100.7"


def api_status(client, remote_addr, forwarded_for=None):
    """GET a rate-limited API endpoint from ``remote_addr``, with an X-Forwarded-For header if given."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for is not None else {}
    return client.get("/api/v1/rules", headers=headers, environ_base={"REMOTE_ADDR": remote_addr}).status_code


@pytest.fixture
def limited(rate_limited_app):
    """Return a function making an app whose API allows 2 requests a minute per client, behind ``hops`` proxies."""

    def make(hops):
        return rate_limited_app(API_RATE_LIMIT="2 per minute", TRUSTED_PROXY_HOPS=hops).test_client()

    return make


def test_two_clients_behind_one_trusted_proxy_have_separate_buckets(limited):
    client = limited(hops=1)
    assert [api_status(client, PROXY, ALICE) for _ in range(3)] == [200, 200, 429]
    # Bob comes through the same proxy (same TCP peer) and has a bucket of his own.
    assert [api_status(client, PROXY, BOB) for _ in range(3)] == [200, 200, 429]


def test_forwarded_for_is_ignored_without_a_trusted_proxy(limited):
    client = limited(hops=0)
    statuses = [api_status(client, MALLORY, forwarded) for forwarded in (None, "192.0.2.1", "192.0.2.2, 192.0.2.3")]
    assert statuses == [200, 200, 429]
    # Other clients are not affected by what Mallory claims.
    assert api_status(client, ALICE, MALLORY) == 200


def test_a_client_cannot_spoof_entries_in_front_of_the_trusted_proxy(limited):
    client = limited(hops=1)
    # Mallory writes X-Forwarded-For herself; nginx appends the address it saw ($proxy_add_x_forwarded_for).
    spoofed = [f"{fake}, {MALLORY}" for fake in ("192.0.2.1", "192.0.2.2", ALICE)]
    assert [api_status(client, PROXY, forwarded) for forwarded in spoofed] == [200, 200, 429]
    assert api_status(client, PROXY, ALICE) == 200


def test_two_trusted_proxies_take_the_second_address_from_the_right(limited):
    client = limited(hops=2)
    # client -> CDN (appends the client) -> nginx (appends the CDN) -> portal.
    assert [api_status(client, PROXY, f"192.0.2.{n}, {ALICE}, 10.0.0.9") for n in range(3)] == [200, 200, 429]
    assert api_status(client, PROXY, f"{BOB}, 10.0.0.9") == 200


def address_app(app, **settings):
    """An app on ``app``'s databases, with a route showing what the application sees of the client."""
    made = create_app({**{key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "SCORING_DATABASE_URL")},
                       "TESTING": True, "SECRET_KEY": "test", **settings})

    @made.get("/test-client-address")
    def seen():
        from flask import request

        return {
            "address": client_address(),
            "rate_limit_key": rate_limit_key(),
            "secure": request.is_secure,
            "forwarded_headers": sorted(name for name in request.headers.keys() if "forward" in name.lower()),
        }

    return made


@pytest.mark.parametrize(
    "hops, forwarded_for, proto, address, secure",
    [
        (0, f"{ALICE}", "https", PROXY, False),
        (1, f"192.0.2.1, {ALICE}", "https", ALICE, True),
        (1, None, "https", PROXY, True),
        (2, ALICE, None, PROXY, False),  # fewer entries than hops: the peer's address
    ],
)
def test_client_address_and_scheme_come_from_trusted_hops_only(app, hops, forwarded_for, proto, address, secure):
    client = address_app(app, TRUSTED_PROXY_HOPS=hops).test_client()
    headers = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Prefix": "/evil", "Forwarded": "for=192.0.2.9"}
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    if proto:
        headers["X-Forwarded-Proto"] = proto
    seen = client.get("/test-client-address", headers=headers, environ_base={"REMOTE_ADDR": PROXY}).get_json()
    assert (seen["address"], seen["secure"]) == (address, secure)
    # Nothing downstream (Flask-Login, a library, a log line) can read a header the client wrote.
    assert seen["forwarded_headers"] == []


def test_ipv6_clients_share_a_bucket_per_64(app):
    client = address_app(app, TRUSTED_PROXY_HOPS=1).test_client()

    def key(forwarded_for):
        return client.get("/test-client-address", headers={"X-Forwarded-For": forwarded_for},
                          environ_base={"REMOTE_ADDR": PROXY}).get_json()["rate_limit_key"]

    assert key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert key("2001:db8:1:3::1") == "2001:db8:1:3::/64"
    assert key("::ffff:203.0.113.5") == ALICE
    assert key(ALICE) == ALICE


@pytest.mark.parametrize("hops", ["-1", "two"])
def test_a_bad_hop_count_stops_the_start(hops, monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", hops)
    with pytest.raises((RuntimeError, ValueError)):
        create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


# -- staff sessions --------------------------------------------------------------------------------


def staff_client(app, **settings):
    staff = address_app(app, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False, **settings)
    with staff.app_context():
        create_staff("zhangmin")
    return staff


def test_a_copied_staff_session_does_not_work_from_another_address_by_claiming_the_first(app):
    staff = staff_client(app)
    client = staff.test_client()
    victim = {"REMOTE_ADDR": ALICE}
    response = client.post("/staff/login", data={"username": "zhangmin", "password": PASSWORD},
                           environ_base=victim)
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    assert client.get("/staff/", environ_base=victim).status_code == 200
    # Mallory replays the cookie from her own address, claiming Alice's in X-Forwarded-For.
    stolen = client.get("/staff/", environ_base={"REMOTE_ADDR": MALLORY}, headers={"X-Forwarded-For": ALICE})
    assert stolen.status_code == 302 and "/staff/login" in stolen.headers["Location"]
    with staff.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_staff_session_behind_a_trusted_proxy_follows_the_real_client(app):
    staff = staff_client(app, TRUSTED_PROXY_HOPS=1)
    client = staff.test_client()
    through_proxy = {"REMOTE_ADDR": PROXY}
    response = client.post("/staff/login", data={"username": "zhangmin", "password": PASSWORD},
                           environ_base=through_proxy, headers={"X-Forwarded-For": ALICE})
    assert response.status_code in (302, 303)
    assert client.get("/staff/", environ_base=through_proxy, headers={"X-Forwarded-For": ALICE}).status_code == 200
    # Mallory, through the same proxy, writes Alice's address in front of her own.
    stolen = client.get("/staff/", environ_base=through_proxy, headers={"X-Forwarded-For": f"{ALICE}, {MALLORY}"})
    assert stolen.status_code == 302 and "/staff/login" in stolen.headers["Location"]
    with staff.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_access_log_sees_the_real_client(app):
    """gunicorn logs the REMOTE_ADDR of the environ it passed to the app: the proxy fix sets it in place."""
    made = address_app(app, TRUSTED_PROXY_HOPS=1)
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": "/test-client-address", "SERVER_NAME": "localhost", "SERVER_PORT": "80",
        "HTTP_HOST": "localhost", "REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"192.0.2.1, {ALICE}",
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr,
    }
    statuses = []
    body = b"".join(made.wsgi_app(environ, lambda status, headers, exc_info=None: statuses.append(status)))
    assert statuses == ["200 OK"] and ALICE.encode() in body
    assert environ["REMOTE_ADDR"] == ALICE
